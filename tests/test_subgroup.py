"""Subgroup analysis against R metafor 3.8 (validation/metafor/inference.json) and a hand calculation.

Reference calls, ``dat`` = escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg),
subgroups = ``alloc`` (random / alternate / systematic):
separate: ``rma(yi, vi, data=dat, subset=alloc==g, method="REML")`` per g, then
``rma(est, sei=se, method="FE")$QE`` (Q between, df = 2);
common: ``rma(yi, vi, mods=~factor(alloc), data=dat, method="REML", test="z"|"knha")`` -> QM.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.errors import PoolingError
from evsynth.pooling.subgroup import subgroup_analysis
from tests.tolerances import (
    CLOSED_FORM_RTOL,
    METAFOR_ITERATIVE_RTOL,
    METAFOR_RTOL,
    TAU2_BOUNDARY_ATOL,
)

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/inference.json").read_text())
D = REF["data"]
YI, VI, ALLOC = np.array(D["yi"]), np.array(D["vi"]), D["alloc"]
S = REF["subgroup"]


@pytest.mark.metafor
def test_separate_and_common_tau2_tests_match_metafor():
    res = subgroup_analysis(YI, VI, ALLOC, method="REML", test="z")
    assert res.groups == ("random", "alternate", "systematic")
    for name, fit in zip(res.groups, res.fits, strict=True):
        ref = S["separate"][name]
        assert fit.k == ref["k"]
        assert fit.estimate == pytest.approx(ref["estimate"], rel=METAFOR_ITERATIVE_RTOL)
        assert fit.se == pytest.approx(ref["se"], rel=METAFOR_ITERATIVE_RTOL)
        assert fit.tau2 == pytest.approx(
            ref["tau2"], rel=METAFOR_ITERATIVE_RTOL, abs=TAU2_BOUNDARY_ATOL
        )
        assert fit.q == pytest.approx(ref["q"], rel=METAFOR_RTOL)
    assert res.q_between == pytest.approx(S["q_between"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.q_between_df == S["q_between_df"] == 2
    assert res.q_between_pvalue == pytest.approx(S["q_between_pvalue"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.qm == pytest.approx(S["qm"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.qm_df == (S["qm_df"],)
    assert res.qm_pvalue == pytest.approx(S["qm_pvalue"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.tau2_common == pytest.approx(S["tau2_common"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.pvalue == res.q_between_pvalue  # headline: separate


@pytest.mark.metafor
def test_common_tau2_knha_f_test_matches_metafor():
    res = subgroup_analysis(YI, VI, ALLOC, method="REML", test="knha", between="common")
    assert res.qm_test == "F"
    assert res.qm == pytest.approx(S["qm_knha"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.qm_df == (S["qm_knha_df1"], S["qm_knha_df2"])
    assert res.qm_pvalue == pytest.approx(S["qm_knha_pvalue"], rel=METAFOR_ITERATIVE_RTOL)
    assert res.pvalue == res.qm_pvalue


def test_q_between_hand_calculation_fixed_effect():
    # A: y = (0, 0.2), v = 0.1 -> mu = 0.1, Var = 0.05, w = 20;  B: y = 1, v = 0.1 -> w = 10
    # mu_bar = (20*0.1 + 10*1)/30 = 0.4;  Q = 20*0.3^2 + 10*0.6^2 = 1.8 + 3.6 = 5.4 on 1 df
    res = subgroup_analysis(
        [0.0, 0.2, 1.0], [0.1, 0.1, 0.1], ["A", "A", "B"], method="FE", test="z"
    )
    assert res.q_between == pytest.approx(5.4, rel=CLOSED_FORM_RTOL)
    assert res.q_between_df == 1
    frame = res.to_frame()
    assert list(frame.index) == ["A", "B", "Overall"]
    assert frame.loc["A", "estimate"] == pytest.approx(0.1, rel=CLOSED_FORM_RTOL)


def test_input_errors_are_actionable():
    with pytest.raises(PoolingError, match="missing"):
        subgroup_analysis(YI[:3], VI[:3], ["a", None, "b"])
    with pytest.raises(PoolingError, match="one subgroup"):
        subgroup_analysis(YI[:3], VI[:3], ["a", "a", "a"])
    with pytest.raises(PoolingError, match="3 studies"):
        subgroup_analysis(YI[:3], VI[:3], ["a", "b"])
    with pytest.raises(PoolingError, match="between"):
        subgroup_analysis(YI[:3], VI[:3], ["a", "b", "b"], between="pooled")
