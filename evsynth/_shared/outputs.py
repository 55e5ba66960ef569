"""One run's output files, written as a set: staged beside the output folder, swapped in whole.

:class:`OutputSet` is how a command writes a folder of results that must never be mixed with
another run's (a report beside the CSVs of a different run):

1. ``OutputSet(out)`` checks ``out`` before any work starts (not a file, not "", writable, room
   to write), takes a lock beside it (a second run into the same folder is refused with a
   clear message) and creates a hidden staging folder ``.NAME.evsynth-staging`` beside it;
   staging folders left by a killed run are removed.
2. Every file goes into the staging folder (:meth:`OutputSet.path`, :meth:`OutputSet.csv`,
   :meth:`OutputSet.text`, :meth:`OutputSet.json`).
3. :meth:`OutputSet.commit` writes ``run.json`` (what was written, with sha256, plus what the
   caller records) and exchanges the staging folder with ``out`` in one ``renameat2`` call
   (Linux; two renames elsewhere). Files in ``out`` that an earlier evsynth run recorded in its
   ``run.json`` and this run did not write again are dropped; every other file already in
   ``out`` (yours) is kept.

A run that stops (an error, Ctrl-C, SIGKILL) before the commit leaves the previous complete
set of files untouched.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from evsynth._shared.files import atomic_write_bytes, atomic_write_csv, atomic_write_text

RUN_RECORD = "run.json"


class OutputProblem(ValueError):
    """The output folder cannot be used; callers turn it into their own typed error."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def recorded_files(folder: Path) -> set[str]:
    """Relative paths that an earlier evsynth run recorded in ``folder/run.json`` as its own."""
    try:
        record = json.loads((folder / RUN_RECORD).read_text(encoding="utf-8"))
        return {str(f["path"]) for f in record.get("files", [])} | {RUN_RECORD}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return set()


def check_output_folder(out: str | Path) -> Path:
    """``out`` as a Path if a run can write there; raise :class:`OutputProblem` saying why not."""
    if str(out).strip() == "":
        raise OutputProblem("--out is empty: name the folder the outputs should go to")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputProblem(f"{out}: is a file, not a folder; give a folder for the outputs")
    parent = out.absolute().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputProblem(f"{out}: {probe} is a file, so the folder cannot be created")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputProblem(
            f"{out}: cannot write in {probe} (permission denied); choose another --out"
        )
    return out


class OutputSet:
    """The files of one run, staged and swapped into ``out`` as a unit (see module docstring)."""

    def __init__(self, out: str | Path) -> None:
        self.out = check_output_folder(out)
        parent = self.out.absolute().parent
        name = self.out.absolute().name
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(parent / f".{name}.evsynth.lock", os.O_CREAT | os.O_RDWR, 0o666)
        except OSError as exc:
            raise OutputProblem(f"{self.out}: cannot write there ({exc.strerror})") from None
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise OutputProblem(
                f"{self.out}: another evsynth run is writing into this folder; wait for it to "
                "finish or choose another --out"
            ) from None
        self.staging = parent / f".{name}.evsynth-staging"
        self._old = parent / f".{name}.evsynth-old"
        for leftover in (self.staging, self._old):  # from a run that was killed
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
        try:
            self.staging.mkdir()
            atomic_write_bytes(self.staging / ".probe", b"evsynth")  # full disk, read-only: now
            (self.staging / ".probe").unlink()
        except OSError as exc:
            self.abort()
            raise OutputProblem(f"{self.out}: cannot write there ({exc.strerror})") from None
        self.written: list[str] = []

    # ------------------------------------------------------------------ writing
    def path(self, name: str) -> Path:
        """Where to write the output ``name`` (a relative path such as ``figures/x.png``)."""
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise OutputProblem(f"{name}: an output name must be a relative path inside the folder")
        target = self.staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.as_posix() not in self.written:
            self.written.append(rel.as_posix())
        return target

    def csv(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a spreadsheet-safe CSV (see :func:`evsynth._shared.files.atomic_write_csv`)."""
        return atomic_write_csv(frame, self.path(name))

    def text(self, name: str, text: str) -> Path:
        """Write a UTF-8 text file."""
        return atomic_write_text(self.path(name), text)

    def json(self, name: str, data: object) -> Path:
        """Write a JSON file (sorted keys, stable across runs)."""
        return self.text(name, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")

    def final(self, name: str) -> Path:
        """Where the output ``name`` will be once the set is committed."""
        return self.out / name

    # ------------------------------------------------------------------ finishing
    def commit(self, record: dict[str, object] | None = None) -> tuple[Path, ...]:
        """Write ``run.json`` and swap the staged set into ``out``; return the final paths."""
        files = [
            {"path": rel, "sha256": hashlib.sha256((self.staging / rel).read_bytes()).hexdigest()}
            for rel in self.written
        ]
        data = dict(record or {})
        data["files"] = files
        atomic_write_text(
            self.staging / RUN_RECORD,
            json.dumps(data, indent=2, sort_keys=True, default=str) + "\n",
        )
        mine = set(self.written) | {RUN_RECORD}
        if self.out.is_dir():
            ours_before = recorded_files(self.out)
            for entry in sorted(self.out.rglob("*")):
                rel = entry.relative_to(self.out).as_posix()
                target = self.staging / rel
                if entry.is_dir() and not entry.is_symlink():
                    if not any(entry.iterdir()):  # an empty folder of yours
                        target.mkdir(parents=True, exist_ok=True)
                    continue
                if rel in ours_before or rel in mine:
                    continue  # an earlier run's file, or one this run wrote again
                target.parent.mkdir(parents=True, exist_ok=True)  # yours: kept in the new set
                os.rename(entry, target)
            if not _exchange(self.staging, self.out):
                os.rename(self.out, self._old)
                os.rename(self.staging, self.out)
            else:
                os.rename(self.staging, self._old)
            shutil.rmtree(self._old, ignore_errors=True)
        else:
            os.rename(self.staging, self.out)
        self._release()
        return tuple(self.out / rel for rel in [*self.written, RUN_RECORD])

    def abort(self) -> None:
        """Drop the staged files and release the lock; ``out`` keeps what it had."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            os.close(fd)
            self._lock_fd = None

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
