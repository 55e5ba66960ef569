"""Atomic file writes and spreadsheet-safe CSVs.

A crash or Ctrl-C never leaves a half-written output behind: every file is written to a hidden
temporary file in the same folder and moved into place with :func:`os.replace`. Files get the
permissions the user's umask allows (``tempfile.mkstemp`` alone would make them 0600).

CSV files are written as UTF-8 with a byte-order mark (``utf-8-sig``), so that Excel shows "≤"
and "–" as they are, and with *formula injection* neutralized (OWASP, "CSV Injection"): a text
cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run by a
spreadsheet as a formula, so it is written with a leading apostrophe (``'=1+1``). A text cell
that already begins with an apostrophe gets one more, so the raw value is always the written
value with its first apostrophe removed (:func:`raw_cell`; :func:`read_csv_raw` does it for a
whole file, and ``evsynth.evidence.read_evidence`` uses it). Numbers are never changed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

#: first characters a spreadsheet treats as the start of a formula (OWASP), plus the escape itself
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

#: encoding of every CSV evsynth writes (UTF-8 with BOM: read correctly by Excel and pandas)
CSV_ENCODING = "utf-8-sig"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def stale_temporary_files(folder: str | Path) -> list[Path]:
    """Hidden ``.NAME.PID.XXXX.tmp`` files left in ``folder`` by writers that no longer run.

    A write killed with SIGKILL cannot clean up after itself; the next write into the same
    folder removes what it left (only files whose writer process is gone).
    """
    out = []
    for p in Path(folder).glob(".*.tmp"):
        parts = p.name.split(".")
        pid = next((int(x) for x in parts[2:-1] if x.isdigit()), None)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        out.append(p)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    The file gets mode ``0666 & ~umask`` (as ``open()`` would give it); temporary files left by
    an earlier writer that was killed are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_temporary_files(path.parent):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet may show it: text starting like a formula gets a leading "'".

    >>> safe_cell("=SUM(A1)"), safe_cell("-0.5 to 1"), safe_cell(-0.5), safe_cell("p = 0.03")
    ("'=SUM(A1)", "'-0.5 to 1", -0.5, 'p = 0.03')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def raw_cell(value: object) -> object:
    """Undo :func:`safe_cell`: the value as evsynth had it before writing."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`safe_cell` applied to every text cell and header."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(safe_cell).astype(object)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text evsynth writes for ``frame``: no index, formula-safe, RFC 4180 line ends.

    ``\\r\\n`` line ends (RFC 4180) make the writer quote every cell that holds a ``\\r`` or
    ``\\n``, so such a cell survives the round trip instead of splitting its row.
    """
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\r\n")


def atomic_write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as a spreadsheet-safe ``utf-8-sig`` CSV atomically.

    Read it back with :func:`read_csv_raw` (or ``pandas.read_csv(path, dtype=str,
    keep_default_na=False)`` followed by :func:`raw_cell` on each text cell).
    """
    return atomic_write_bytes(path, csv_text(frame).encode(CSV_ENCODING))


class CsvProblem(ValueError):
    """A CSV file that cannot be read as text; callers turn it into their own typed error."""


def read_csv_raw(path: str | Path, **kwargs: object) -> pd.DataFrame:
    """Read a CSV written by evsynth as text cells, undoing the formula neutralization.

    Raises
    ------
    CsvProblem : the file is not UTF-8 or not a CSV table (the message names the file).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=CSV_ENCODING, **kwargs)
    except UnicodeDecodeError as exc:
        raise CsvProblem(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CsvProblem(f"{path}: not a readable CSV table ({exc}); re-export it as CSV") from None
    frame.columns = [raw_cell(c) for c in frame.columns]
    return frame.map(raw_cell)


def spreadsheet_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`spreadsheet_safe` on a frame read back with ``dtype=str``."""
    out = frame.copy()
    out.columns = [raw_cell(c) for c in out.columns]
    return out.map(raw_cell)
