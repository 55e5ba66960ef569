"""Tables: from text layouts (and PDF cell grids) to :class:`~evsynth.reading.document.Table` objects.

Two text layouts are recognized after a caption line ("Table 5 | ...", "TABLE 2 ...", "Table 3.
..."):

* **one cell per line** (PubMed Central full text): each cell on its own line starting with a
  tab, rows separated by blank lines;
* **tab-separated rows** (PDF-to-text and PDF-to-Markdown converters): one row per line, cells
  separated by tabs, the rows consecutive.

Tab-separated blocks of two or more lines without a caption become tables with label "".
The header rules (which rows are headers, which header spans which columns) and the row-group
rule are in :func:`build_table`; they are documented with examples in ``docs/reader.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from evsynth.reading.document import Table, TableCell

__all__ = ["RawCell", "FoundTable", "build_table", "find_tables", "CAPTION"]

#: A caption line: "Table 5 | Univariable ...", "TABLE 2 Multivariate ...", "Table 3. ...".
CAPTION = re.compile(
    r"^[ \t]*(?P<label>(?:Table|TABLE)[ ]?(?P<num>\d{1,2}[A-Za-z]?|[IVX]{1,5}))\b"
    r"(?P<sep>[ ]*[|.:\u2014-][ ]*|[ ]+|$)(?P<caption>[^\n]*)$",
    re.MULTILINE,
)
#: A figure caption over tab-separated rows: a forest plot that the PDF reader rebuilt into rows
#: ("Figure 2. Forest plot of ..."); the rows become a ``Table`` with ``kind="figure"``.
FIGURE_CAPTION = re.compile(
    r"^[ \t]*(?P<label>(?:Figure|FIGURE|Fig\.)[ ]?(?P<num>\d{1,2}[A-Za-z]?))\b"
    r"(?P<sep>[ ]*[|.:\u2014-][ ]*|[ ]+|$)(?P<caption>[^\n]*)$",
    re.MULTILINE,
)
_P_COLUMN = re.compile(r"^(p|p[- ]?values?|p[ ]?\[.*\]|p\*?|p\s*\(.*\)|p for .*)$", re.IGNORECASE)
_FOOTNOTE_START = re.compile(
    r"^\s*(?:[*†‡§¶#^]|\([*†‡§#a-z]\)|[a-z]\s|Note\b|Notes\b|Abbreviations?\b|Data are\b|Values are\b)"
)
_FOOTNOTE_CUE = re.compile(
    r"\b(?:analy[sz]ed (?:by|with|using)|(?:was|were) (?:calculated|performed|analy[sz]ed|adjusted)"
    r"|by (?:the )?(?:chi-square|fisher|log-rank|ANCOVA|ANOVA|t)[- ]test|adjusted for)\b",
    re.IGNORECASE,
)
_ABBREV = re.compile(r"(?:^|[;.:]\s*)[A-Z][A-Za-z0-9/+\-]*(?: [A-Za-z0-9/+\-]+)?,\s+\S")


@dataclass(frozen=True)
class RawCell:
    """A cell as laid out: its text and its ``[start, end)`` offsets in the *original* text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class FoundTable:
    """A table and where it sits in the normalized text (``nstart``/``nend``)."""

    table: Table
    nstart: int
    nend: int
    warnings: tuple[str, ...] = ()


def _is_p_label(label: str) -> bool:
    return bool(_P_COLUMN.match(label.strip()))


def _spans_from_grid(header: list[list[str]], width: int) -> list[list[tuple[str, int, int]]]:
    """Header rows (already aligned to ``width`` columns) -> per level, (text, first, last) spans.

    A non-empty header cell extends to the right over empty cells of its row while the row
    below has text in those columns (a spanning header such as "Blood count" over HGB/PLT/NE).
    """
    levels = []
    for r, row in enumerate(header):
        below = header[r + 1] if r + 1 < len(header) else None
        spans = []
        c = 0
        while c < width:
            text = row[c]
            if not text:
                c += 1
                continue
            last = c
            if below is not None:
                while last + 1 < width and not row[last + 1] and below[last + 1]:
                    last += 1
            spans.append((text, c, last))
            c = last + 1
        levels.append(spans)
    return levels


def _column_labels(
    levels: list[list[tuple[str, int, int]]], width: int
) -> tuple[list[str], list[str]]:
    """col_label and col_group per column from header spans.

    The label is the lowest header text over the column; a higher header that spans two or more
    columns is the group; a higher header over one column only is part of the label
    ("HR" over "(95% CI)" -> "HR (95% CI)").
    """
    labels = [""] * width
    groups = [""] * width
    for c in range(width):
        covering = []
        for spans in levels:
            for text, a, b in spans:
                if a <= c <= b:
                    covering.append((text, a, b))
        if not covering:
            continue
        lab_parts = [covering[-1][0]]
        grp_parts = []
        for text, a, b in covering[:-1]:
            if b > a:
                grp_parts.append(text)
            else:
                lab_parts.insert(len(lab_parts) - 1, text)
        labels[c] = " ".join(lab_parts)
        groups[c] = " / ".join(grp_parts)
    return labels, groups


def _group_spans_by_count(n_groups: int, first: int, width: int) -> list[tuple[int, int]] | None:
    n_sub = width - first
    if n_groups <= 0 or n_sub % n_groups:
        return None
    k = n_sub // n_groups
    return [(first + i * k, first + (i + 1) * k - 1) for i in range(n_groups)]


def _group_spans_by_boundary_row(
    n_groups: int, first: int, width: int, body: list[list[str]]
) -> list[tuple[int, int]] | None:
    """Spans from a body row with exactly one value per group, the last in the last column.

    Tables that test each group of columns once (a "p-value" row with one p per group) put
    each value in the group's last column; those positions are the group boundaries. Every
    such row must agree, otherwise None (ambiguous).
    """
    found = None
    for row in body:
        pos = [c for c in range(first, width) if c < len(row) and row[c]]
        if len(pos) == n_groups and pos[-1] == width - 1 and n_groups > 1:
            spans, a = [], first
            for p in pos:
                spans.append((a, p))
                a = p + 1
            if found is not None and found != spans:
                return None
            found = spans
    return found


def build_table(
    label: str,
    caption: str,
    rows: Sequence[Sequence[RawCell]],
    *,
    start: int,
    end: int,
    layout: str = "grid",
    section: str = "table",
    footnote: str = "",
) -> tuple[Table, list[str]]:
    """Assemble a :class:`Table` from rows of cells; return it and any warnings.

    Rules
    -----
    Header rows. Row 0 is a header. In the ``"grid"`` layout (tab-separated or PDF), the rows
    right after it whose first cell is empty are headers too (a second header level), and so is
    row 1 when row 0's first cell is empty and row 0 has empty cells right of its first header
    (spanning headers above the row holding the stub label, e.g. "Variable"). In the
    ``"cells"`` layout (one cell per line, empty trailing cells not written), the rows right after
    row 0 with more than one but fewer cells than the widest row are headers; such a row is
    right-aligned (it has no stub cell).

    Column groups in the ``"cells"`` layout: when row 0 has fewer cells than the table is wide,
    its cells after the stub are groups over the sub-header columns. If the number of sub-header
    columns is a multiple of the number of groups, each group spans the same number of columns;
    otherwise a body row with exactly one value per group ending in the last column (e.g. a
    "p-value" row) gives the boundaries; otherwise col_group is left "" and a warning says so.

    Row groups. A body row whose value cells are all empty, or whose only values are in
    p-value columns ("P", "p-value", "P [#]"), is a group heading: it becomes ``row_group`` of
    the rows below it until the next heading (its own p-values are kept as cells).

    Cells. One :class:`TableCell` per non-empty value cell (columns after the first); the first
    column is the row label.
    """
    warnings: list[str] = []
    rows = [list(r) for r in rows if any(c.text for c in r)]
    if not rows:
        warnings.append(f"{label or 'table'}: caption found but no body cells could be read")
        return Table(label, caption, (), start, end, section, footnote), warnings
    width = max(len(r) for r in rows)
    texts = [[c.text for c in r] for r in rows]

    if layout == "cells":
        n_header = 1
        while n_header < len(rows) and n_header < 4 and 1 < len(rows[n_header]) < width:
            n_header += 1
        body_start = n_header
        # align header rows to the full width
        aligned: list[list[str]] = []
        for i in range(n_header):
            t = texts[i]
            if i == 0 or len(t) >= width:
                aligned.append(t + [""] * (width - len(t)))
            else:
                aligned.append([""] * (width - len(t)) + t)
        levels: list[list[tuple[str, int, int]]] = []
        top = texts[0]
        if n_header >= 2 and len(top) < width:
            groups = top[1:]
            first = 1
            spans = _group_spans_by_count(len(groups), first, width)
            if spans is None:
                body = [[c.text for c in r] for r in rows[body_start:]]
                spans = _group_spans_by_boundary_row(len(groups), first, width, body)
            top_spans = [(top[0], 0, 0)] if top[0] else []
            if spans is not None:
                top_spans += [(g, a, b) for g, (a, b) in zip(groups, spans, strict=True)]
            else:
                warnings.append(
                    f"{label or 'table'}: could not tell which columns the headers "
                    f"{', '.join(repr(g) for g in groups)} span; col_group left empty"
                )
            levels.append(top_spans)
            levels.extend(_spans_from_grid(aligned[1:], width))
        else:
            levels = _spans_from_grid(aligned, width)
    else:
        n_header = 1
        top = texts[0] + [""] * (width - len(texts[0]))
        filled = [k for k, v in enumerate(top) if v]
        spanning = bool(filled) and any(not top[k] for k in range(filled[0], width))
        if len(rows) > 1 and not top[0] and spanning and any(texts[1][1:]):
            n_header = 2  # a spanning header row above the row with the stub ("Variable")
        while (
            n_header < len(rows)
            and n_header < 4
            and not texts[n_header][0]
            and any(texts[n_header][1:])
        ):
            n_header += 1
        body_start = n_header
        aligned = [t + [""] * (width - len(t)) for t in texts[:n_header]]
        levels = _spans_from_grid(aligned, width)

    col_labels, col_groups = _column_labels(levels, width)
    p_cols = {c for c in range(1, width) if _is_p_label(col_labels[c])}

    cells: list[TableCell] = []
    group = ""
    for r in range(body_start, len(rows)):
        row = rows[r]
        row_label = row[0].text if row else ""
        values = {c: row[c] for c in range(1, len(row)) if row[c].text}
        heading = bool(row_label) and (
            not values or (width > 2 and set(values) <= p_cols and len(p_cols) < width - 1)
        )
        for c, cell in values.items():
            cells.append(
                TableCell(
                    row=r,
                    col=c,
                    text=cell.text,
                    row_label=row_label,
                    row_group=group,
                    col_label=col_labels[c] if c < width else "",
                    col_group=col_groups[c] if c < width else "",
                    start=cell.start,
                    end=cell.end,
                )
            )
        if heading:
            group = row_label
    if not cells:
        warnings.append(f"{label or 'table'}: caption found but no body cells could be read")
    return Table(label, caption, tuple(cells), start, end, section, footnote), warnings


# --- text layouts ------------------------------------------------------------------------------


def _cell(text: str, a: int, b: int, offsets: np.ndarray) -> RawCell:
    """Trim ``text[a:b]`` and map it to original offsets."""
    seg = text[a:b]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    a2, b2 = a + lead, b - trail
    if b2 <= a2:
        o = int(offsets[a])
        return RawCell("", o, o)
    return RawCell(text[a2:b2], int(offsets[a2]), int(offsets[b2 - 1]) + 1)


def _lines(text: str, pos: int) -> list[tuple[int, int]]:
    """(start, end) of each line from ``pos`` (end excludes the newline)."""
    out = []
    n = len(text)
    while pos < n:
        e = text.find("\n", pos)
        if e < 0:
            e = n
        out.append((pos, e))
        pos = e + 1
    return out


def _tsv_row(text: str, a: int, b: int, offsets: np.ndarray) -> list[RawCell]:
    cells = []
    s = a
    for i in range(a, b + 1):
        if i == b or text[i] == "\t":
            cells.append(_cell(text, s, i, offsets))
            s = i + 1
    return cells


_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _is_pipe(line: str) -> bool:
    """A Markdown pipe-table line: "| a | b |"."""
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 2


def _pipe_row(text: str, a: int, b: int, offsets: np.ndarray) -> list[RawCell]:
    """Cells of a Markdown pipe-table row (escaped "\\|" is not a separator)."""
    line = text[a:b]
    first = line.index("|")
    last = line.rstrip().rindex("|")
    if last == first:
        last = len(line)
    cells, s = [], a + first + 1
    for k in range(a + first + 1, a + last + 1):
        if k == a + last or (text[k] == "|" and text[k - 1] != "\\"):
            cells.append(_cell(text, s, k, offsets))
            s = k + 1
    return cells


def _footnote(text: str, pos: int) -> tuple[str, int]:
    """The paragraph after a table if it reads like a table footnote; (text, end) or ("", pos)."""
    m = re.compile(r"[ \t]*\n").match(text, pos)
    p = pos
    while m:
        p = m.end()
        m = re.compile(r"[ \t]*\n").match(text, p)
    end = text.find("\n", p)
    end = len(text) if end < 0 else end
    para = text[p:end].strip()
    if not para or len(para) > 1500 or CAPTION.match(text, p, end):
        return "", pos
    if (
        _FOOTNOTE_START.match(para)
        or _ABBREV.search(para)
        or (len(para) < 1200 and _FOOTNOTE_CUE.search(para) and p - pos <= 3)
    ):
        return para, end
    return "", pos


def find_tables(text: str, offsets: np.ndarray) -> tuple[list[FoundTable], list[str]]:
    """Find the tables of a normalized text (see the module docstring for the layouts).

    ``offsets`` maps normalized characters to the original (``Document.offsets``); cell and
    table offsets in the result are original offsets.
    """
    found: list[FoundTable] = []
    warnings: list[str] = []
    taken: list[tuple[int, int]] = []
    matches = sorted(
        [*CAPTION.finditer(text), *FIGURE_CAPTION.finditer(text)], key=lambda m: m.start()
    )
    for m in matches:
        if any(a <= m.start() < b for a, b in taken):
            continue
        figure = m.re is FIGURE_CAPTION
        label = f"{'Figure' if figure else 'Table'} {m.group('num')}"
        caption = m.group("caption").strip()
        sep = m.group("sep")
        lines = _lines(text, m.end() + 1)
        # skip blank lines
        i = 0
        while i < len(lines) and not text[lines[i][0] : lines[i][1]].strip():
            i += 1
        rows: list[list[RawCell]] = []
        layout = "grid"
        body_end = m.end()
        if i < len(lines):
            a, b = lines[i]
            first = text[a:b]
            if first.startswith("\t") and first.count("\t") == 1:
                layout = "cells"
                row: list[RawCell] = []
                while i < len(lines):
                    a, b = lines[i]
                    line = text[a:b]
                    if line.startswith("\t") and line.count("\t") == 1:
                        row.append(_cell(text, a + 1, b, offsets))
                        body_end = b
                    elif not line.strip():
                        if row:
                            rows.append(row)
                            row = []
                    else:
                        break
                    i += 1
                if row:
                    rows.append(row)
            elif "\t" in first or _is_pipe(first):
                kind = "pipe" if _is_pipe(first) else "tsv"
                while i < len(lines):
                    a, b = lines[i]
                    line = text[a:b]
                    if kind == "tsv" and "\t" not in line or kind == "pipe" and not _is_pipe(line):
                        break
                    if kind == "tsv":
                        rows.append(_tsv_row(text, a, b, offsets))
                    elif not _PIPE_RULE.match(line):
                        rows.append(_pipe_row(text, a, b, offsets))
                    body_end = b
                    i += 1
        if figure and (layout != "grid" or len(rows) < 3):
            continue  # a figure's caption: a table only over the rows of a forest plot
        if not rows:
            # a caption with no body: keep only if it is clearly a caption, not a sentence
            if not (m.group("label").startswith("TABLE") or sep.strip() in ("|", ".", ":")):
                continue
        footnote, fend = _footnote(text, body_end) if rows else _footnote(text, m.end())
        nend = max(fend, body_end)
        table, warn = build_table(
            label,
            caption,
            rows,
            start=int(offsets[m.start() + len(m.group(0)) - len(m.group(0).lstrip())]),
            end=int(offsets[nend - 1]) + 1 if nend > m.start() else int(offsets[m.end()]),
            layout=layout,
            footnote=footnote,
        )
        if figure:
            table = replace(table, kind="figure", section="figure")
        warnings.extend(warn)
        found.append(FoundTable(table, m.start(), nend, tuple(warn)))
        taken.append((m.start(), nend))

    # uncaptioned tab-separated blocks and Markdown pipe tables of two or more rows
    lines = _lines(text, 0)
    i = 0
    while i < len(lines):
        a, b = lines[i]
        line = text[a:b]
        kind = "pipe" if _is_pipe(line) else "tsv" if "\t" in line and line.strip() else None
        if kind and not any(x <= a < y for x, y in taken):
            j = i
            rows = []
            while j < len(lines) and not any(x <= lines[j][0] < y for x, y in taken):
                line = text[lines[j][0] : lines[j][1]]
                if kind == "tsv" and "\t" in line:
                    rows.append(_tsv_row(text, *lines[j], offsets))
                elif kind == "pipe" and _is_pipe(line):
                    if not _PIPE_RULE.match(line):
                        rows.append(_pipe_row(text, *lines[j], offsets))
                else:
                    break
                j += 1
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                nstart, nend = lines[i][0], lines[j - 1][1]
                footnote, fend = _footnote(text, nend)
                nend2 = max(nend, fend)
                table, warn = build_table(
                    "",
                    "",
                    rows,
                    start=int(offsets[nstart]),
                    end=int(offsets[nend2 - 1]) + 1,
                    layout="grid",
                    footnote=footnote,
                )
                warnings.extend(warn)
                found.append(FoundTable(table, nstart, nend2, tuple(warn)))
                taken.append((nstart, nend2))
            i = max(j, i + 1)
        else:
            i += 1
    found.sort(key=lambda f: f.nstart)
    return found, warnings
