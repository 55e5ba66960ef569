"""Read papers (.txt, .md, .pdf) into :class:`~evsynth.reading.document.Document` objects.

``read(path)`` decodes (or extracts, for PDFs) the original text, normalizes it with an exact
offset map (:mod:`evsynth.reading.normalize`), and finds the title, DOI, trial registrations, sections
and tables. ``read_many(paths)`` reads many files and folders, reporting each failure and
going on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth.errors import (
    DecodeError,
    EmptyFileError,
    MissingFileError,
    ReadError,
    UnsupportedFormatError,
)
from evsynth.reading.document import Document, Section, Table
from evsynth.reading.metadata import find_doi, find_registrations, find_sections, find_title
from evsynth.reading.normalize import normalize
from evsynth.reading.tables import find_tables

__all__ = [
    "FALLBACK_ENCODING",
    "SUPPORTED",
    "ReadFailure",
    "failures_frame",
    "read",
    "read_many",
    "read_string",
]

#: File extensions the reader understands, and the format name each gets.
SUPPORTED = {".txt": "txt", ".md": "md", ".markdown": "md", ".pdf": "pdf"}
#: The encoding tried when a text file is not valid UTF-8 (Windows "ANSI" text is common).
FALLBACK_ENCODING = "cp1252"


def read_string(text: str, name: str = "<string>", format: str = "txt") -> Document:
    """Read a paper given as a string (as if it were the content of a ``.txt``/``.md`` file).

    Parameters
    ----------
    text : the paper's text.
    name : stored as ``Document.path`` (shown in messages and provenance).
    format : "txt" or "md".

    Returns
    -------
    Document with ``original == text``.
    """
    if format not in ("txt", "md"):
        raise UnsupportedFormatError(name, f"read_string reads 'txt' or 'md' text, not {format!r}")
    return _document(text, path=name, format=format)


def _document(
    original: str,
    *,
    path: str,
    format: str,
    encoding: str = "utf-8",
    pages: int | None = None,
    warnings: Iterable[str] = (),
    title_hint: str | None = None,
    line_boxes: Iterable[tuple] = (),
) -> Document:
    """Normalize ``original`` and find metadata, tables and sections."""
    norm = normalize(original)
    text, offsets = norm.text, norm.offsets
    found, table_warnings = find_tables(text, offsets)
    spans = [(f.nstart, f.nend) for f in found]
    tables = [f.table for f in found]
    sections = find_sections(text, spans)
    top = [s for s in sections if s.name not in ("table", "figure")]
    tables = [replace(t, section=_section_of(t, top, offsets)) for t in tables]
    title = find_title(text, sections) or title_hint
    return Document(
        path=path,
        format=format,
        original=original,
        text=text,
        offsets=offsets,
        encoding=encoding,
        title=title,
        doi=find_doi(text, sections),
        registrations=find_registrations(text, sections),
        sections=tuple(sections),
        tables=tuple(tables),
        pages=pages,
        warnings=tuple(warnings) + tuple(table_warnings),
        line_boxes=tuple(line_boxes),
    )


def _section_of(table: Table, sections: list[Section], offsets) -> str:
    """Name of the top-level section a table (original offsets) sits in."""
    pos = int(np.searchsorted(offsets, table.start, side="left"))
    name = "table"
    for s in sections:
        if s.start <= pos < s.end:
            name = s.name
    return name


def _decode(path: Path, data: bytes) -> tuple[str, str, list[str]]:
    """Bytes -> (text, encoding, warnings). UTF-8 first, then :data:`FALLBACK_ENCODING`.

    A UTF-16 byte-order mark (Windows Notepad's "Unicode") is decoded as UTF-16; otherwise NUL
    bytes mean binary data.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:65536]:
        raise DecodeError(
            path,
            "the file contains NUL bytes, so it is binary data, not text "
            "(was a PDF or Word file renamed to .txt?); convert it to text or give the original file",
        )
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            path,
            f"the bytes are neither UTF-8 (byte {utf8_error.start}: {utf8_error.reason}) nor "
            f"{FALLBACK_ENCODING} (byte {exc.start}: {exc.reason}); re-save the file as UTF-8",
        ) from None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(10, len(text) // 100):
        raise DecodeError(
            path,
            f"the file is not UTF-8 and decoding it as {FALLBACK_ENCODING} gives {controls} control "
            "characters, so it is probably binary data; give the original file",
        )
    warning = (
        f"not valid UTF-8 (byte {utf8_error.start}); decoded as {FALLBACK_ENCODING}: check "
        "special characters (±, ≥, –) in quotes"
    )
    return text, FALLBACK_ENCODING, [warning]


def read(path: str | os.PathLike[str]) -> Document:
    """Read one paper (.txt, .md or .pdf) into a :class:`Document`.

    Parameters
    ----------
    path : the file.

    Returns
    -------
    Document : original and normalized text with offsets, metadata, sections and tables.

    Raises
    ------
    MissingFileError, EmptyFileError, UnsupportedFormatError, DecodeError : for text files.
    CorruptPDFError, EncryptedPDFError, NoTextLayerError : for PDFs.
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(p, "no such file; check the path (and the working directory)")
    if p.is_dir():
        raise UnsupportedFormatError(
            p, "this is a folder; use read_many() to read every paper in it"
        )
    fmt = SUPPORTED.get(p.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(set(SUPPORTED)))
        raise UnsupportedFormatError(
            p,
            f"unsupported file type {p.suffix or '(no extension)'!r}; evsynth reads {kinds} "
            "(convert the paper to PDF or plain text)",
        )
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ReadError(p, f"cannot read the file ({exc.strerror})") from None
    if size == 0:
        raise EmptyFileError(p, "the file is empty (0 bytes); was the download incomplete?")
    if fmt == "pdf":
        from evsynth.reading.pdf import extract_pdf

        pdf = extract_pdf(p)
        return _document(
            pdf.text,
            path=str(p),
            format="pdf",
            pages=pdf.pages,
            warnings=pdf.warnings,
            title_hint=pdf.title,
            line_boxes=pdf.line_boxes,
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ReadError(p, f"cannot read the file ({exc.strerror})") from None
    text, encoding, warnings = _decode(p, data)
    if not text.strip():
        raise EmptyFileError(p, "the file has only white space; there is no text to read")
    return _document(text, path=str(p), format=fmt, encoding=encoding, warnings=warnings)


@dataclass(frozen=True)
class ReadFailure:
    """A file that could not be read: its path, the error type name and the message."""

    path: str
    error: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.error}: {self.message}"

    def to_frame(self) -> pd.DataFrame:
        """This failure as a one-row DataFrame (path, error, message)."""
        return failures_frame([self])


def failures_frame(failures: Iterable[ReadFailure]) -> pd.DataFrame:
    """Failures as a DataFrame with columns path, error, message."""
    return pd.DataFrame(
        [{"path": f.path, "error": f.error, "message": f.message} for f in failures],
        columns=["path", "error", "message"],
    )


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.suffix.lower() in SUPPORTED
                    and not f.name.startswith(".")
                    and f.name != "README.md"
                )
            )
        else:
            out.append(p)
    return out


def read_many(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> tuple[list[Document], list[ReadFailure]]:
    """Read many papers; folders are searched recursively for .txt, .md and .pdf files.

    Every file is attempted; a file that cannot be read is reported as a :class:`ReadFailure`
    (never silently skipped) and reading goes on. ``README.md`` files in folders are skipped.

    Returns
    -------
    (documents, failures)
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    docs: list[Document] = []
    failures: list[ReadFailure] = []
    for p in _expand(paths):
        try:
            docs.append(read(p))
        except ReadError as exc:
            failures.append(ReadFailure(str(p), type(exc).__name__, exc.reason))
    return docs, failures
