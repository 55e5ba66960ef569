"""Isolation of batch work: one bad item never stops the batch, and each failure is reported."""

from __future__ import annotations

import os
import time

from evsynth.batch import map_isolated, outcomes_frame


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
    return {"ok": _square, "hang": _hang, "boom": _boom, "hog": _hog, "crash": _segfault}[kind](value)


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
