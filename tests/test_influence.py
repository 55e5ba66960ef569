"""Leave-one-out and cumulative meta-analysis against R metafor 3.8 (validation/metafor/inference.json).

Reference calls, ``dat`` = escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg):
``leave1out(rma(yi, vi, data=dat, method=<m>, test=<t>))`` and
``cumul(rma(yi, vi, data=dat, method="REML", test=<t>), order=year)``. metafor fits these with its
default REML stopping rule (1e-5), evsynth iterates to 1e-10: iterative tolerances apply.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.errors import PoolingError
from evsynth.pooling import meta_analysis
from evsynth.pooling.influence import cumulative, leave_one_out
from tests.tolerances import (
    CLOSED_FORM_RTOL,
    METAFOR_DEFAULT_REML_PVALUE_RTOL,
    METAFOR_ITERATIVE_RTOL,
    METAFOR_RTOL,
    TAU2_BOUNDARY_ATOL,
)

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/inference.json").read_text())
D = REF["data"]
YI, VI, SLAB = np.array(D["yi"]), np.array(D["vi"]), D["slab"]
PAIRS = [("estimate", "estimate"), ("se", "se"), ("ci_lower_95", "ci_lower"), ("ci_upper_95", "ci_upper"),
         ("statistic", "statistic"), ("pvalue", "pval"), ("tau2", "tau2"), ("i2", "i2"), ("h2", "h2"),
         ("q", "q"), ("q_pvalue", "q_pvalue")]  # fmt: skip


def _compare(frame, ref, method, rows=slice(None)):
    for ours, theirs in PAIRS:
        if theirs not in ref:
            continue
        rtol = (
            METAFOR_RTOL if method == "DL" or ours in ("q", "q_pvalue") else METAFOR_ITERATIVE_RTOL
        )
        if ours == "pvalue" and method == "REML":
            rtol = METAFOR_DEFAULT_REML_PVALUE_RTOL
        atol = TAU2_BOUNDARY_ATOL * (100 if ours == "i2" else 1) if ours in ("tau2", "i2") else 0.0
        np.testing.assert_allclose(
            frame[ours].to_numpy(float)[rows],
            np.array(ref[theirs], float)[rows],
            rtol=rtol,
            atol=atol,
            err_msg=ours,
        )


@pytest.mark.metafor
@pytest.mark.parametrize(
    ("key", "method", "test"),
    [
        ("reml_z", "REML", "z"),
        ("reml_knha", "REML", "knha"),
        ("reml_adhoc", "REML", "adhoc"),
        ("dl_z", "DL", "z"),
    ],
)
def test_leave_one_out_matches_metafor(key, method, test):
    ref = REF["leave1out"][key]
    frame = leave_one_out(YI, VI, labels=SLAB, method=method, test=test)
    assert frame["omitted"].tolist() == ref["slab"]
    assert (frame["k"] == 12).all()
    _compare(frame, ref, method)


@pytest.mark.metafor
@pytest.mark.parametrize(("key", "test"), [("reml_z", "z"), ("reml_knha", "knha")])
def test_cumulative_by_year_matches_metafor(key, test):
    ref = REF["cumul"][key]
    frame = cumulative(YI, VI, labels=SLAB, order=D["year"], method="REML", test=test)
    assert frame["added"].tolist() == ref["slab"]  # 1973 tie: data order kept, as R's order()
    assert frame["k"].tolist() == list(range(1, 14))
    # row 1 is one study: estimate and z interval agree; metafor reports tau2 = I2 = Q = 0 there,
    # evsynth NaN (undefined), so heterogeneity is compared from row 2 on
    _compare(frame, ref, "REML", rows=slice(1, None))
    first = frame.iloc[0]
    assert first["estimate"] == pytest.approx(ref["estimate"][0], rel=CLOSED_FORM_RTOL)
    assert first["ci_lower_95"] == pytest.approx(ref["ci_lower"][0], rel=METAFOR_RTOL)
    assert np.isnan(first["tau2"])


def test_leave_one_out_reuses_a_fitted_model_and_hand_checks_fe():
    # FE, y = (0, 1, 2), v = 1: leaving out study i gives the mean of the other two
    fit = meta_analysis(
        [0.0, 1.0, 2.0], [1.0, 1.0, 1.0], method="FE", test="z", labels=["a", "b", "c"]
    )
    frame = leave_one_out(fit)
    np.testing.assert_allclose(frame["estimate"], [1.5, 1.0, 0.5], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(frame["se"], np.sqrt(0.5), rtol=CLOSED_FORM_RTOL)
    assert frame.attrs["method"] == "FE" and frame.attrs["test"] == "z"


def test_cumulative_decreasing_and_errors():
    frame = cumulative(
        [0.0, 1.0, 2.0],
        [1.0, 1.0, 1.0],
        order=[2001, 2003, 2002],
        decreasing=True,
        method="FE",
        test="z",
    )
    assert frame["added"].tolist() == ["Study 2", "Study 3", "Study 1"]
    np.testing.assert_allclose(frame["estimate"], [1.0, 1.5, 1.0], rtol=CLOSED_FORM_RTOL)
    with pytest.raises(PoolingError, match="one sort key per study"):
        cumulative([0.0, 1.0], [1.0, 1.0], order=[1])
    with pytest.raises(PoolingError, match="missing"):
        cumulative([0.0, 1.0], [1.0, 1.0], order=[2001, None])
    with pytest.raises(PoolingError, match="at least 2"):
        leave_one_out([0.1], [0.1])
