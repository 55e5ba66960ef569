"""Read and extract many papers, each in its own isolated process (see :mod:`evsynth._shared.isolation`).

A pathological file can hang a parser or exhaust memory; :func:`extract_many` runs
:func:`extract_one` on every file through :func:`~evsynth._shared.isolation.map_isolated` and turns
every failure into a :class:`FileFailure` with the reason, never a lost file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.isolation import Outcome, map_isolated

__all__ = ["FileFailure", "extract_one", "extract_many", "expand", "collect", "failures_frame"]


@dataclass(frozen=True)
class FileFailure(FrameDisplay):
    """A paper that could not be read or extracted, and why.

    Attributes
    ----------
    path : the file.
    stage : "read" (the reader refused it), "extract" (the extractors raised), or "limit"
        (the worker was stopped: time or memory limit, or it crashed).
    error : the error type, e.g. "CorruptPDFError", "EncryptedPDFError", "EmptyFileError",
        "DecodeError", "Timeout", "MemoryError", "WorkerCrash".
    message : one sentence a reviewer can act on (the typed error's reason).
    seconds : how long the worker ran.
    """

    path: str
    stage: str
    error: str
    message: str
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"{self.path}: {self.error} ({self.stage}): {self.message}"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"path": self.path, "stage": self.stage, "error": self.error, "message": self.message,
              "seconds": self.seconds}]
        )  # fmt: skip


def extract_one(
    path: str | os.PathLike[str], protocol: Any = None
) -> tuple[Any, Any] | FileFailure:
    """Read and extract one paper: ``(Document, rows)`` or a :class:`FileFailure`.

    The per-file step of :func:`extract_many` (and of :func:`evsynth.evidence.distributed.extract_many_dask`):
    exactly ``evsynth.read(path)`` then ``evsynth.extraction.extract_document(doc, protocol)``. Typed
    evsynth errors become a FileFailure; anything else (a bug) propagates.
    """
    from evsynth.errors import EvsynthError
    from evsynth.extraction import extract_document
    from evsynth.reading.reader import read

    try:
        doc = read(path)
    except EvsynthError as exc:
        return FileFailure(str(path), "read", type(exc).__name__, getattr(exc, "reason", str(exc)))
    try:
        rows = extract_document(doc, protocol)
    except EvsynthError as exc:
        return FileFailure(str(path), "extract", type(exc).__name__, str(exc))
    return doc, rows


def _failure_of(outcome: Outcome) -> FileFailure:
    stage = "extract" if outcome.status == "error" else "limit"
    error = {"timeout": "Timeout", "memory": "MemoryError"}.get(outcome.status, outcome.error_type)
    message = outcome.message
    if outcome.status == "error":  # typed errors come back as FileFailure: this one is a bug
        message = f"internal error in the extractors ({message}); please report it with this file"
    return FileFailure(str(outcome.item), stage, error, message, outcome.seconds)


def expand(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None) -> list[str]:
    """Files to read, as the reader finds them: None means the bundled papers; folders are
    searched recursively for .txt/.md/.pdf (``README.md`` and hidden files skipped)."""
    from evsynth.reading.reader import _expand

    if paths is None:
        from evsynth.reading.corpus import bundled_papers

        return [str(p) for p in bundled_papers()]
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [str(p) for p in _expand(paths)]


def collect(
    results: Iterable[tuple[str, Any]],
) -> tuple[list, list[pd.DataFrame], list[FileFailure]]:
    """Split per-file results ``(path, (doc, rows) | FileFailure | Outcome)`` into
    ``(docs, evidence_rows, failures)``, keeping the order of the paths."""
    docs: list = []
    rows: list[pd.DataFrame] = []
    failures: list[FileFailure] = []
    for _path, value in results:
        if isinstance(value, FileFailure):
            failures.append(value)
        elif isinstance(value, Outcome):
            failures.append(_failure_of(value))
        else:
            doc, frame = value
            docs.append(doc)
            rows.append(frame)
    return docs, rows, failures


def extract_many(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None,
    *,
    workers: int | None = None,
    timeout: float | None = 120.0,
    memory_mb: int | None = 4096,
    progress: bool = True,
    protocol: Any = None,
) -> tuple[list, list[pd.DataFrame], list[FileFailure]]:
    """Read and extract many papers, each in its own process with a time and memory limit.

    Parameters
    ----------
    paths : files or folders (folders searched recursively for .txt/.md/.pdf); None for the
        bundled papers.
    workers : papers processed at once (default ``os.cpu_count()``).
    timeout : seconds one paper may take before its worker is stopped (None: no limit).
    memory_mb : address-space limit per worker in MiB (None: no limit; POSIX only).
    progress : show a progress bar on stderr.
    protocol : the review :class:`~evsynth.protocol.Protocol` whose terms label the rows (None:
        arms and outcomes as reported only).

    Returns
    -------
    docs : list of Document, the papers that were read and extracted, in path order.
    evidence_rows : list of DataFrame, ``evidence_rows[i] == extract_document(docs[i], protocol)``
        (columns :data:`evsynth.extraction.schema.EVIDENCE_COLUMNS`); identical to the serial path.
    failures : list of :class:`FileFailure`, one per paper that failed (typed, with the reason);
        never dropped silently.
    """
    files = expand(paths)
    outcomes = map_isolated(
        functools.partial(extract_one, protocol=protocol),
        files,
        workers=(os.cpu_count() or 1) if workers is None else workers,
        timeout=timeout,
        memory_mb=memory_mb,
        progress=progress,
        label="extract",
    )
    return collect((o.item, o.value if o.ok else o) for o in outcomes)


def failures_frame(failures: Iterable[FileFailure]) -> pd.DataFrame:
    """Failures as a DataFrame with columns path, stage, error, message, seconds."""
    cols = ["path", "stage", "error", "message", "seconds"]
    rows = [f.to_frame().iloc[0].to_dict() for f in failures]
    return pd.DataFrame(rows, columns=cols)
