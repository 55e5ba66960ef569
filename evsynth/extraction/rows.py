"""Build evidence rows with their provenance (the shared row shape of every extractor)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from evsynth.extraction.schema import EVIDENCE_COLUMNS, NUMERIC_COLUMNS
from evsynth.reading.document import Document

__all__ = ["empty_row", "RowMaker"]


def empty_row() -> dict[str, Any]:
    """A row with every evidence column: '' for text, NaN for numbers."""
    return {c: (math.nan if c in NUMERIC_COLUMNS else "") for c in EVIDENCE_COLUMNS}


class RowMaker:
    """Make rows for one document; spans are given in normalized offsets and mapped back."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.report = Path(doc.path).name if doc.path else ""
        self.rows: list[dict[str, Any]] = []

    def add_norm(self, start: int, end: int, **fields: Any) -> dict[str, Any]:
        """Add a row whose quote is ``doc.text[start:end]`` (mapped to the original)."""
        ostart, oend = self.doc.to_original(start, end)
        return self.add_orig(ostart, oend, **fields)

    def add_orig(self, ostart: int, oend: int, **fields: Any) -> dict[str, Any]:
        """Add a row whose quote is ``doc.original[ostart:oend]``."""
        row = empty_row()
        row["report"] = self.report
        for k, v in fields.items():
            if k not in row:
                raise KeyError(f"unknown evidence column {k!r}")
            row[k] = v
        row["source_start"] = int(ostart)
        row["source_end"] = int(oend)
        row["source_quote"] = self.doc.original[ostart:oend]
        self.rows.append(row)
        return row
