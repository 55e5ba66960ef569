"""Run one function over many files, each in its own process with a time and a memory limit.

A pathological PDF can hang a parser or exhaust memory; a batch over a folder must survive both.
:func:`map_isolated` starts a fresh worker process per item (``fork`` where available, so the
cost is a few milliseconds), caps its address space with ``RLIMIT_AS``, waits at most
``timeout`` seconds, and reports every failure (exception, time-out, memory exhaustion, crash)
as an :class:`Outcome` instead of stopping. Up to ``workers`` items run at once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evsynth._shared.display import FrameDisplay

__all__ = ["Outcome", "map_isolated", "outcomes_frame"]


@dataclass(frozen=True)
class Outcome(FrameDisplay):
    """What happened to one item: its value, or why it failed.

    ``status`` is "ok", "error" (the function raised), "timeout", "memory" (the memory limit was
    hit) or "crashed" (the worker died, e.g. a segfault in a C library).
    """

    item: Any
    status: str
    value: Any = None
    error_type: str = ""
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "item": str(self.item),
                    "status": self.status,
                    "error_type": self.error_type,
                    "message": self.message,
                    "seconds": self.seconds,
                }
            ]
        )


def _context() -> mp.context.BaseContext:
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    limit = int(memory_mb) * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker(func: Callable, item: Any, memory_mb: int | None, conn) -> None:  # runs in the child
    try:
        _limit_memory(memory_mb)
        value = func(item)
        conn.send(("ok", value, "", ""))
    except MemoryError:
        conn.send(("memory", None, "MemoryError", f"exceeded the memory limit of {memory_mb} MB"))
    except BaseException as exc:  # report every failure to the parent, never die silently
        message = str(exc) or exc.__class__.__name__
        if not hasattr(
            exc, "path"
        ):  # not one of our typed errors: keep the last frame for debugging
            tb = traceback.extract_tb(exc.__traceback__)
            if tb:
                message += f" (at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno})"
        try:
            conn.send(("error", None, exc.__class__.__name__, message))
        except Exception:  # the value could not be pickled
            conn.send(("error", None, exc.__class__.__name__, message[:2000]))
    finally:
        conn.close()


class _Progress:
    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.total, self.label, self.enabled = total, label, enabled and total > 0
        self.done = 0
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def step(self, note: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 24
        filled = int(width * self.done / self.total)
        elapsed = time.perf_counter() - self.start
        line = f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {elapsed:5.1f}s {note[:40]}"
        if self.tty:
            print(
                "\r" + line.ljust(100),
                end="" if self.done < self.total else "\n",
                file=sys.stderr,
                flush=True,
            )
        elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
            print(line, file=sys.stderr, flush=True)


def map_isolated(
    func: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    workers: int = 1,
    timeout: float | None = 120.0,
    memory_mb: int | None = 4096,
    progress: bool = False,
    label: str = "evsynth",
) -> list[Outcome]:
    """Apply ``func`` to each item in a separate process; return one :class:`Outcome` per item.

    Parameters
    ----------
    func : a picklable (module-level) function of one argument; its return value must pickle.
    items : the inputs, e.g. file paths.
    workers : how many items run at once (e.g. ``os.cpu_count()``).
    timeout : seconds an item may take before its process is killed (None: no limit).
    memory_mb : address-space limit of each worker process in MiB (None: no limit; POSIX only).
    progress : print a progress bar to stderr.

    Returns
    -------
    list of Outcome, in the order of ``items``; failures are never dropped.
    """
    items = list(items)
    ctx = _context()
    outcomes: list[Outcome | None] = [None] * len(items)
    pending = list(range(len(items)))
    running: dict[int, tuple[Any, Any, float]] = {}
    bar = _Progress(len(items), label, progress)
    workers = max(1, int(workers))
    try:
        while pending or running:
            while pending and len(running) < workers:
                i = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(
                    target=_worker, args=(func, items[i], memory_mb, send), daemon=True
                )
                proc.start()
                send.close()
                running[i] = (proc, recv, time.perf_counter())
            finished = []
            for i, (proc, recv, started) in running.items():
                elapsed = time.perf_counter() - started
                if recv.poll():
                    try:
                        status, value, etype, message = recv.recv()
                    except (EOFError, OSError):
                        proc.join(1)
                        status, value, etype, message = (
                            "crashed",
                            None,
                            "WorkerCrash",
                            f"the worker process died (exit code {proc.exitcode})",
                        )
                    proc.join(5)
                    outcomes[i] = Outcome(
                        items[i], status, value, etype, message, round(elapsed, 3)
                    )
                    finished.append(i)
                elif not proc.is_alive():
                    proc.join()
                    code = proc.exitcode
                    status = "memory" if code in (-9, 137) and memory_mb else "crashed"
                    outcomes[i] = Outcome(
                        items[i],
                        status,
                        None,
                        "WorkerCrash",
                        f"the worker process died (exit code {code})",
                        round(elapsed, 3),
                    )
                    finished.append(i)
                elif timeout is not None and elapsed > timeout:
                    proc.kill()
                    proc.join()
                    outcomes[i] = Outcome(
                        items[i],
                        "timeout",
                        None,
                        "Timeout",
                        f"took longer than the time limit of {timeout:g} s and was stopped",
                        round(elapsed, 3),
                    )
                    finished.append(i)
            for i in finished:
                running.pop(i)[1].close()
                bar.step(str(items[i]).rsplit("/", 1)[-1])
            if running and not finished:
                time.sleep(0.002)
    finally:  # Ctrl-C (KeyboardInterrupt) or an error here: stop every worker still running
        for proc, recv, _started in running.values():
            if proc.is_alive():
                proc.kill()
            proc.join()
            recv.close()
    return [o for o in outcomes if o is not None]


def outcomes_frame(outcomes: list[Outcome]) -> pd.DataFrame:
    """All outcomes as one DataFrame (item, status, error_type, message, seconds)."""
    return (
        pd.concat([o.to_frame() for o in outcomes], ignore_index=True)
        if outcomes
        else pd.DataFrame(columns=["item", "status", "error_type", "message", "seconds"])
    )
