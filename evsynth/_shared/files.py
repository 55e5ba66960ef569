"""Atomic file writes: a crash or Ctrl-C never leaves a half-written output behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


#: a spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that a spreadsheet would run as a formula prefixed by
    ``'`` (OWASP CSV-injection advice); text cells that already start with ``'`` get one too,
    so that :func:`spreadsheet_raw` recovers every value exactly (drop one leading ``'``).
    Numbers are written as numbers."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        out[col] = values.map(
            lambda v: "'" + v if isinstance(v, str) and v.startswith((*FORMULA_START, "'")) else v
        )
    return out


def spreadsheet_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`spreadsheet_safe` on a frame read back with ``dtype=str``."""
    out = frame.copy()
    for col in out.columns:
        out[col] = out[col].map(lambda v: v[1:] if isinstance(v, str) and v.startswith("'") else v)
    return out


def atomic_write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as CSV (no index, ``\\n`` line endings) atomically, with text cells
    made safe for spreadsheets (:func:`spreadsheet_safe`)."""
    return atomic_write_text(path, spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n"))
