"""The reader's output: a paper as normalized text that maps back to its original characters.

Every later stage points at the *original* text through offsets, so that a reviewer can always see
the exact characters a number came from. For ``.txt``/``.md`` files the original text is the file
decoded as text; for a PDF it is the text layer the reader extracted (in reading order), which is
also kept in ``Document.original`` so offsets stay checkable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay

SECTION_NAMES = (
    "front",
    "abstract",
    "introduction",
    "methods",
    "results",
    "discussion",
    "conclusions",
    "references",
    "table",
    "figure",
    "other",
)


@dataclass(frozen=True)
class Section:
    """A section of the paper.

    ``name`` is one of :data:`SECTION_NAMES`; ``heading`` is the heading as written.
    ``start``/``end`` are offsets into the *normalized* text (``Document.text``).
    """

    name: str
    heading: str
    start: int
    end: int


@dataclass(frozen=True)
class TableCell:
    """One body cell of a table with the labels that give it meaning.

    ``row_label``: the row's first-column label (e.g. "≤8 mg/kg", "Received drug A", "CR").
    ``row_group``: the nearest heading row above it inside the table (e.g. "Dose of drug A", "OS",
    "LFS"), or "" when there is none.
    ``col_label``: the column header of the cell's column (e.g. "HR (95%CI)", "Drug A", "P").
    ``col_group``: a spanning header above ``col_label`` (e.g. "Univariate analysis"), or "".
    ``start``/``end``: offsets into ``Document.original`` of the cell text (provenance).
    """

    row: int
    col: int
    text: str
    row_label: str
    row_group: str
    col_label: str
    col_group: str
    start: int
    end: int


@dataclass(frozen=True)
class Table(FrameDisplay):
    """A table found in the paper, as cells with row and column labels.

    ``label`` is e.g. "Table 5" (or "" when the paper gives none); ``caption`` its caption text;
    ``start``/``end`` offsets into ``Document.original`` of the whole table; ``section`` the name
    of the section the table sits in; ``footnote`` the text under the table (abbreviations, which
    test produced the p-values) when found. ``kind`` is "table", or "figure" for a forest plot
    printed as vector text that the PDF reader rebuilt into rows (label "Figure N", the figure's
    caption; one row per study with the study label as row label, then the pooled rows and the
    heterogeneity line as printed; see ``docs/reader.md``).
    """

    label: str
    caption: str
    cells: tuple[TableCell, ...]
    start: int
    end: int
    section: str = "table"
    footnote: str = ""
    kind: str = "table"

    @property
    def n_rows(self) -> int:
        return 1 + max((c.row for c in self.cells), default=-1)

    @property
    def n_cols(self) -> int:
        return 1 + max((c.col for c in self.cells), default=-1)

    def to_frame(self) -> pd.DataFrame:
        """Cells as a long DataFrame, one row per cell, with their labels and offsets."""
        return pd.DataFrame(
            [
                {
                    "row": c.row,
                    "col": c.col,
                    "row_group": c.row_group,
                    "row_label": c.row_label,
                    "col_group": c.col_group,
                    "col_label": c.col_label,
                    "text": c.text,
                    "start": c.start,
                    "end": c.end,
                }
                for c in self.cells
            ],
            columns=[
                "row",
                "col",
                "row_group",
                "row_label",
                "col_group",
                "col_label",
                "text",
                "start",
                "end",
            ],
        )

    def to_grid(self) -> pd.DataFrame:
        """The table as a grid: index (row_group, row_label), columns (col_group, col_label)."""
        long = self.to_frame()
        if long.empty:
            return pd.DataFrame()
        grid = long.pivot_table(
            index=["row", "row_group", "row_label"],
            columns=["col", "col_group", "col_label"],
            values="text",
            aggfunc="first",
        )
        grid.index = grid.index.droplevel(0)
        grid.columns = grid.columns.droplevel(0)
        return grid

    @property
    def _display_title(self) -> str:  # type: ignore[override]
        return f"{self.label}: {self.caption}".strip(": ")


@dataclass(frozen=True)
class Document(FrameDisplay):
    """A paper read from a file.

    Attributes
    ----------
    path : the file it was read from.
    format : "txt", "md" or "pdf".
    original : the original text (decoded file, or the PDF's extracted text layer).
    text : the normalized text (dashes, minus signs, ligatures, LaTeX fragments, ... normalized).
    offsets : int array of length ``len(text) + 1``; ``offsets[i]`` is the index in ``original``
        of the character that became ``text[i]`` (the last entry is ``len(original)``).
    encoding : the encoding used to decode the file ("utf-8", or the fallback that was used).
    title, doi : as found, or None.
    registrations : trial registration numbers (ChiCTR..., NCT...), in order of appearance.
    sections : sections found, in order.
    tables : tables found, in order.
    pages : number of PDF pages, or None for text files.
    warnings : things the reader noticed that a reviewer should know (e.g. fallback encoding).
    line_boxes : for a PDF, every printed line (a table row, a caption) as
        ``(start, end, page, x0, top, x1, bottom)``: its span in ``original`` and its box in PDF
        points from the top-left corner of the unrotated page (see :meth:`boxes`); () for text.
    """

    path: str
    format: str
    original: str
    text: str
    offsets: np.ndarray = field(repr=False)
    encoding: str = "utf-8"
    title: str | None = None
    doi: str | None = None
    registrations: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    tables: tuple[Table, ...] = ()
    pages: int | None = None
    warnings: tuple[str, ...] = ()
    line_boxes: tuple[tuple[int, int, int, float, float, float, float], ...] = field(
        default=(), repr=False
    )

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalized text to a span of ``original``."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(
                f"span {start}:{end} is outside the normalized text (0:{len(self.text)})"
            )
        ostart = int(self.offsets[start])
        oend = int(self.offsets[end - 1]) + 1 if end > start else ostart
        return ostart, oend

    def quote(self, start: int, end: int) -> str:
        """The original characters behind a span of the normalized text."""
        ostart, oend = self.to_original(start, end)
        return self.original[ostart:oend]

    def boxes(self, start: int, end: int) -> list[tuple[int, float, float, float, float]]:
        """Where ``original[start:end]`` is printed: ``(page, x0, top, x1, bottom)`` per line.

        For a PDF, the boxes of the printed lines that the span touches (a line, a table row or
        a caption, as read), in PDF points from the top-left corner of the page as stored
        (``/Rotate`` not applied; a landscape table set sideways keeps its sideways box).
        ``[]`` for text documents.
        """
        out = []
        for s, e, page, x0, top, x1, bottom in self.line_boxes:
            if s < end and e > start:
                out.append((page, x0, top, x1, bottom))
        return out

    def page_at(self, start: int) -> int | None:
        """The 1-based PDF page that prints ``original[start]`` (None for text documents)."""
        for s, e, page, *_box in self.line_boxes:
            if s <= start < e or s > start:
                return page
        return None

    def section_at(self, pos: int) -> Section | None:
        """The section that contains normalized offset ``pos`` (the innermost, last-starting one)."""
        found = None
        for sec in self.sections:
            if sec.start <= pos < sec.end:
                found = sec
        return found

    def to_frame(self) -> pd.DataFrame:
        """A one-row summary: format, title, DOI, registrations, sections and tables found."""
        return pd.DataFrame(
            [
                {
                    "file": self.path.rsplit("/", 1)[-1],
                    "format": self.format,
                    "title": self.title,
                    "doi": self.doi,
                    "registrations": "; ".join(self.registrations),
                    "sections": ", ".join(dict.fromkeys(s.name for s in self.sections)),
                    "tables": len(self.tables),
                    "pages": self.pages,
                }
            ]
        )

    def __str__(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        return f"Document({name!r}, format={self.format}, title={self.title!r}, doi={self.doi}, tables={len(self.tables)})"
