"""Mantel-Haenszel and Peto pooling compared with R metafor 3.8.1 rma.mh / rma.peto
(validation/metafor/effects.R -> effects.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evsynth.errors import PoolingError
from evsynth.pooling.sparse import mantel_haenszel, peto
from tests.tolerances import CLOSED_FORM_RTOL, ZERO_ATOL

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "validation" / "metafor" / "effects.json").read_text()
)


def _tables(name):
    t = REF["escalc_2x2"][name]
    return t["ai"], t["bi"], t["ci"], t["di"]


def _compare(res, ref):
    approx = lambda x: pytest.approx(x, rel=CLOSED_FORM_RTOL, abs=ZERO_ATOL)  # noqa: E731
    assert res.beta == approx(ref["beta"])
    assert res.se == approx(ref["se"])
    assert res.z == approx(ref["zval"])
    assert res.pvalue == approx(ref["pval"])
    assert res.ci_lower == approx(ref["ci_lb"])
    assert res.ci_upper == approx(ref["ci_ub"])
    assert res.q == approx(ref["QE"])
    assert res.q_pvalue == approx(ref["QEp"])
    assert res.i2 == approx(ref["I2"])
    assert res.h2 == approx(ref["H2"])
    assert res.k == ref["k"]
    assert res.k_q == ref["k_yi"]


@pytest.mark.metafor
@pytest.mark.parametrize("data", ["sparse", "bcg"])
@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
def test_mantel_haenszel_matches_rma_mh(data, measure):
    """R: rma.mh(ai, bi, ci, di, measure=measure) with defaults (add=1/2, to="only0",
    drop00=TRUE for the Q test; raw counts for the MH estimate; correct=TRUE)."""
    ref = REF["rma_mh"][f"{data}_{measure}"]
    res = mantel_haenszel(*_tables(data), measure=measure)
    _compare(res, ref)
    if measure == "OR":
        assert res.cmh == pytest.approx(ref["MH"], rel=CLOSED_FORM_RTOL)
        assert res.cmh_p == pytest.approx(ref["MHp"], rel=CLOSED_FORM_RTOL)


@pytest.mark.metafor
@pytest.mark.parametrize("data", ["sparse", "bcg"])
def test_peto_matches_rma_peto(data):
    """R: rma.peto(ai, bi, ci, di) with defaults."""
    _compare(peto(*_tables(data)), REF["rma_peto"][data])


def test_sparse_double_zero_is_reported():
    """Study 3 of the sparse set is a double zero: it is named in the messages (metafor drops it
    from Q silently except for a warning)."""
    res = mantel_haenszel(*_tables("sparse"), slab=[f"s{i}" for i in range(1, 8)])
    assert any("s3" in m and "double-zero" in m for m in res.messages)
    assert math.exp(res.beta) == pytest.approx(res.estimate)
    assert res.to_frame().loc[0, "k"] == 7


def test_mh_by_hand_two_tables():
    """Hand calculation, tables (a, b, c, d) = (2, 8, 1, 9) and (3, 7, 2, 8), N = 20 each:
    OR_MH = (2*9/20 + 3*8/20) / (8*1/20 + 7*2/20) = (0.9 + 1.2) / (0.4 + 0.7) = 2.1 / 1.1."""
    res = mantel_haenszel([2, 3], [8, 7], [1, 2], [9, 8])
    assert res.estimate == pytest.approx(2.1 / 1.1, rel=CLOSED_FORM_RTOL)


def test_peto_by_hand_one_table():
    """Hand calculation, table (2, 8, 1, 9): E = 3*10/20 = 1.5, V = 3*17*10*10/(400*19)
    = 0.671052631..., log OR = (2 - 1.5) / V = 0.745098039..."""
    res = peto([2], [8], [1], [9])
    v = 3 * 17 * 10 * 10 / (400 * 19)
    assert res.beta == pytest.approx(0.5 / v, rel=CLOSED_FORM_RTOL)
    assert res.se == pytest.approx(math.sqrt(1 / v), rel=CLOSED_FORM_RTOL)
    assert res.q == 0.0 and res.q_df == 0


def test_impossible_tables_raise():
    with pytest.raises(PoolingError, match="larger than"):
        mantel_haenszel([5], None, [1], None, n1i=[4], n2i=[10])
    with pytest.raises(PoolingError, match="Peto"):
        peto([0, 0], [10, 5], [0, 0], [10, 5])
    with pytest.raises(PoolingError, match="RD"):
        mantel_haenszel([0, 0], [10, 5], [1, 2], [9, 3])
