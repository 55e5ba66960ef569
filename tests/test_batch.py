"""Isolation of batch work: one bad item never stops the batch, and each failure is reported."""

from __future__ import annotations

import os
import time

from evsynth._shared.isolation import map_isolated, outcomes_frame


def _square(x):
    return x * x


def _hang(_):
    time.sleep(60)


def _boom(_):
    raise ValueError("bad input 7")


def _hog(_):
    blocks = []
    for _ in range(10_000):
        blocks.append(bytearray(16 * 1024 * 1024))  # 16 MiB at a time, until the limit stops it
    return len(blocks)


def _segfault(_):
    import faulthandler

    faulthandler.disable()  # pytest enables it; the dump would only clutter the log
    os.abort()


def _dispatch(item):
    kind, value = item
    return {"ok": _square, "hang": _hang, "boom": _boom, "hog": _hog, "crash": _segfault}[kind](
        value
    )


def test_every_item_gets_an_outcome_in_order():
    items = [("ok", 3), ("boom", 0), ("hang", 0), ("hog", 0), ("crash", 0), ("ok", 4)]
    t0 = time.perf_counter()
    outs = map_isolated(_dispatch, items, workers=2, timeout=3, memory_mb=256)
    assert time.perf_counter() - t0 < 30  # the hanging item was stopped, not waited for
    assert [o.status for o in outs] == ["ok", "error", "timeout", "memory", "crashed", "ok"]
    assert outs[0].value == 9 and outs[-1].value == 16
    assert outs[1].error_type == "ValueError" and "bad input 7" in outs[1].message
    assert "time limit of 3 s" in outs[2].message
    frame = outcomes_frame(outs)
    assert list(frame["status"]) == ["ok", "error", "timeout", "memory", "crashed", "ok"]


def test_results_equal_serial_results():
    items = [("ok", i) for i in range(7)]
    outs = map_isolated(_dispatch, items, workers=2, timeout=30)
    assert [o.value for o in outs] == [i * i for i in range(7)]


# --------------------------------------------------------------------------- extract_many


def _same_document(a, b) -> None:
    import numpy as np

    assert a.path == b.path and a.format == b.format
    assert a.original == b.original and a.text == b.text
    assert np.array_equal(a.offsets, b.offsets)
    assert (a.title, a.doi, a.registrations) == (b.title, b.doi, b.registrations)
    assert a.sections == b.sections and a.tables == b.tables and a.warnings == b.warnings


def test_extract_many_equals_the_serial_path(tmp_path):
    """Each paper in its own process gives exactly what read + extract_document give serially."""
    import pandas as pd

    import evsynth
    from evsynth.evidence.batch import extract_many
    from evsynth.extraction import extract_document
    from tests.bundled_protocol import BUNDLED

    papers = evsynth.bundled_papers()
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")  # one failure among them
    docs, rows, failures = extract_many(
        [*papers, tmp_path / "broken.pdf"], workers=2, progress=False, protocol=BUNDLED
    )
    assert [d.path for d in docs] == [str(p) for p in papers]
    assert len(rows) == len(docs)
    for path, doc, frame in zip(papers, docs, rows, strict=True):
        serial = evsynth.read(path)
        _same_document(doc, serial)
        pd.testing.assert_frame_equal(frame, extract_document(serial, BUNDLED))
    assert sum(len(r) for r in rows) > 50  # the bundled papers report many results
    assert [(f.path, f.stage, f.error) for f in failures] == [
        (str(tmp_path / "broken.pdf"), "read", "CorruptPDFError")
    ]


def test_extract_many_reports_limits_as_failures(tmp_path, monkeypatch):
    """A paper that hangs is stopped at the time limit and named; the others complete."""
    from evsynth.evidence import batch

    slow = tmp_path / "slow.txt"
    slow.write_text("x")
    fast = tmp_path / "fast.txt"
    fast.write_text("y")

    def fake_one(path, protocol=None):
        if str(path).endswith("slow.txt"):
            time.sleep(30)
        return batch.FileFailure(str(path), "read", "EmptyFileError", "stub")

    monkeypatch.setattr(batch, "extract_one", fake_one)  # inherited by the forked workers
    docs, rows, failures = batch.extract_many([slow, fast], workers=2, timeout=1.5, progress=False)
    assert docs == [] and rows == []
    assert [(f.path, f.stage, f.error) for f in failures] == [
        (str(slow), "limit", "Timeout"),
        (str(fast), "read", "EmptyFileError"),
    ]
    assert "time limit of 1.5 s" in failures[0].message


def test_ctrl_c_stops_every_running_worker(monkeypatch):
    """A KeyboardInterrupt in the parent (Ctrl-C in Jupyter) kills the workers, none linger."""
    import multiprocessing

    import pytest

    from evsynth._shared import isolation

    parent = os.getpid()
    real_sleep = time.sleep

    def interrupting_sleep(seconds):
        if os.getpid() == parent:
            raise KeyboardInterrupt
        real_sleep(seconds)

    monkeypatch.setattr(isolation.time, "sleep", interrupting_sleep)
    with pytest.raises(KeyboardInterrupt):
        map_isolated(_dispatch, [("hang", 0), ("hang", 0)], workers=2, timeout=60)
    monkeypatch.undo()
    assert multiprocessing.active_children() == []
