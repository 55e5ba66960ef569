"""GOSH (all-subsets fits) against R metafor 3.8 (validation/metafor/inference.R -> inference.json).

Reference calls: ``gosh(rma(yi, vi, data=dat, subset=1:6, method=<m>))`` for m in REML, DL, FE
and ``gosh(rma(yi, vi, data=dat))`` (all 8,191 REML subsets), with ``dat = escalc(measure="RR",
ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)``; the REML models are fitted with
``control=list(threshold=1e-12, maxiter=10000)`` (gosh refits with the model's control), so both
programs are converged and subset fits agree to METAFOR_RTOL.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.errors import PoolingError
from evsynth.pooling import meta_analysis
from evsynth.pooling.gosh import fit_many, gosh, subset_masks
from tests.tolerances import (
    CLOSED_FORM_RTOL,
    METAFOR_ITERATIVE_RTOL,
    METAFOR_RTOL,
    TAU2_BOUNDARY_ATOL,
    ZERO_ATOL,
)

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/inference.json").read_text())
YI = np.array(REF["data"]["yi"])
VI = np.array(REF["data"]["vi"])
COLS = ["estimate", "tau2", "i2", "h2", "q"]


def _compare(frame, ref, cols=COLS):
    for c in cols:
        ours = frame[c].to_numpy(float)
        theirs = np.array(ref[c], float)
        atol = TAU2_BOUNDARY_ATOL * (100 if c == "i2" else 1) if c in ("tau2", "i2") else ZERO_ATOL
        np.testing.assert_allclose(ours, theirs, rtol=METAFOR_RTOL, atol=atol, err_msg=c)


@pytest.mark.metafor
@pytest.mark.parametrize("method", ["REML", "DL", "FE"])
def test_gosh_k6_matches_metafor_subset_by_subset(method):
    """gosh(rma(yi, vi, data=dat, subset=1:6, method=<method>)): all 63 subsets, same order."""
    ref = REF["gosh"][method.lower()]
    frame = gosh(YI[:6], VI[:6], labels=[f"s{i}" for i in range(1, 7)], method=method)
    assert len(frame) == 63
    incl = frame[[f"s{i}" for i in range(1, 7)]].to_numpy()
    np.testing.assert_array_equal(incl, np.array(ref["incl"], bool))
    np.testing.assert_array_equal(frame["k"].to_numpy(), ref["k"])
    _compare(frame, ref)


@pytest.mark.metafor
def test_gosh_all_8191_reml_subsets_of_bcg_match_metafor():
    """gosh(rma(yi, vi, data=dat)): k = 13, 8,191 REML fits (membership order as for k = 6)."""
    ref = REF["gosh"]["reml_all13"]
    frame = gosh(YI, VI)
    assert len(frame) == 2**13 - 1
    np.testing.assert_array_equal(frame["k"].to_numpy(), ref["k"])
    # At metafor's default control (100 iterations) two subsets did not converge (NaN rows);
    # at tight control metafor converges on all of them, and so does evsynth's damped solver.
    assert not np.isnan(np.array(ref["tau2"], float)).any()
    assert frame["converged"].all()
    _compare(frame, ref)


def test_subset_masks_follow_expand_grid_then_size_order():
    # expand.grid(c(F,T), c(F,T), c(F,T)) rows 2..8 are 100, 010, 110, 001, 101, 011, 111;
    # a stable sort by size gives 100, 010, 001, 110, 101, 011, 111.
    expected = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]
    np.testing.assert_array_equal(subset_masks(3).astype(int), expected)


def test_single_study_subsets_have_metafor_k1_values():
    frame = gosh(YI[:4], VI[:4])
    single = frame[frame["k"] == 1]
    np.testing.assert_allclose(single["estimate"], YI[:4], rtol=CLOSED_FORM_RTOL)
    assert (single["tau2"] == 0).all() and (single["i2"] == 0).all() and (single["h2"] == 1).all()


def test_full_set_row_agrees_with_meta_analysis():
    """The last GOSH row is the full model; meta_analysis iterates REML further (1e-10)."""
    frame = gosh(YI, VI)
    fit = meta_analysis(YI, VI, method="REML", test="z")
    last = frame.iloc[-1]
    assert last["estimate"] == pytest.approx(fit.estimate, rel=METAFOR_ITERATIVE_RTOL)
    assert last["tau2"] == pytest.approx(fit.tau2, rel=METAFOR_ITERATIVE_RTOL)


def test_reml_truncates_at_zero_for_homogeneous_data():
    # Q = sum (y - mean)^2 / v = (0.01 + 0 + 0.01) / 0.1 = 0.2 < k - 1 = 2: the REML estimate is 0
    fits = fit_many(np.array([-0.1, 0.0, 0.1]), np.array([0.1, 0.1, 0.1]), method="REML")
    assert fits.tau2[0] == 0.0
    assert fits.q[0] == pytest.approx(0.2, rel=CLOSED_FORM_RTOL)
    assert fits.estimate[0] == pytest.approx(0.0, abs=ZERO_ATOL)


def test_dl_closed_form_two_studies():
    # y = (0, 1), v = (0.1, 0.1): w = 10, Q = 10*0.25*2 = 5, c = 20 - 200/20 = 10,
    # tau2 = (5 - 1)/10 = 0.4, I2 = 100 (Q - 1)/Q = 80, H2 = Q = 5
    fits = fit_many(np.array([0.0, 1.0]), np.array([0.1, 0.1]), method="DL")
    assert fits.tau2[0] == pytest.approx(0.4, rel=CLOSED_FORM_RTOL)
    assert fits.i2[0] == pytest.approx(80.0, rel=CLOSED_FORM_RTOL)
    assert fits.h2[0] == pytest.approx(5.0, rel=CLOSED_FORM_RTOL)


def test_refuses_too_many_studies_unless_asked():
    y = np.linspace(-1, 1, 21)
    with pytest.raises(PoolingError, match="max_k"):
        gosh(y, np.full(21, 0.1))
    with pytest.raises(PoolingError, match="at least 2"):
        gosh([0.1], [0.1])
    with pytest.raises(PoolingError, match="method"):
        gosh(YI[:3], VI[:3], method="PM")
