"""Egger's regression test and trim-and-fill against R metafor 3.8 (validation/metafor/inference.json).

Reference calls, ``dat`` = escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg),
``res`` = rma(yi, vi, data=dat, method=<m>): ``regtest(res)`` (model="rma", predictor="sei"),
``regtest(res, model="lm")``, ``regtest(rma(..., test="knha"))``; ``trimfill(res)``,
``trimfill(res, estimator="R0")``, ``trimfill(rma(..., method="FE"))`` and
``trimfill(rma(..., method="DL"), side="left"/"right")``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.errors import PoolingError
from evsynth.pooling import meta_analysis
from evsynth.pooling.bias import egger_test, trim_and_fill
from tests.tolerances import CLOSED_FORM_RTOL, METAFOR_ITERATIVE_RTOL, METAFOR_RTOL

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/inference.json").read_text())
YI, VI = np.array(REF["data"]["yi"]), np.array(REF["data"]["vi"])


@pytest.mark.metafor
@pytest.mark.parametrize(("key", "kw"), [("rma_z", {"model": "rma", "test": "z"}), ("lm", {"model": "lm"}),
                                         ("rma_knha", {"model": "rma", "test": "knha"})])  # fmt: skip
def test_egger_matches_regtest(key, kw):
    ref = REF["regtest"][key]
    res = egger_test(YI, VI, **kw)
    rtol = METAFOR_RTOL if key == "lm" else METAFOR_ITERATIVE_RTOL  # lm is closed form
    assert res.statistic == pytest.approx(ref["zval"], rel=rtol)
    assert res.pvalue == pytest.approx(ref["pval"], rel=rtol)
    assert res.slope == pytest.approx(ref["slope"], rel=rtol)
    assert res.limit_estimate == pytest.approx(ref["limit_estimate"], rel=rtol)
    assert res.limit_ci[0] == pytest.approx(ref["limit_ci_lower"], rel=rtol)
    assert res.limit_ci[1] == pytest.approx(ref["limit_ci_upper"], rel=rtol)
    assert res.df == ref["df"]
    if key != "lm":
        assert res.tau2 == pytest.approx(ref["tau2"], rel=METAFOR_ITERATIVE_RTOL)


def test_egger_lm_equals_classic_regression_of_standardized_effect_on_precision():
    """Egger et al. (1997): OLS of y/se on 1/se; its intercept is the WLS slope on se, same t."""
    se = np.sqrt(VI)
    X = np.column_stack([np.ones_like(se), 1 / se])
    z = YI / se
    beta, *_ = np.linalg.lstsq(X, z, rcond=None)
    resid = z - X @ beta
    s2 = resid @ resid / (len(z) - 2)
    cov = s2 * np.linalg.inv(X.T @ X)
    res = egger_test(YI, VI, model="lm")
    assert res.slope == pytest.approx(beta[0], rel=CLOSED_FORM_RTOL)
    assert res.statistic == pytest.approx(beta[0] / np.sqrt(cov[0, 0]), rel=CLOSED_FORM_RTOL)
    assert res.limit_estimate == pytest.approx(beta[1], rel=CLOSED_FORM_RTOL)


@pytest.mark.metafor
@pytest.mark.parametrize(
    ("key", "kw"),
    [("reml_l0", {}), ("reml_r0", {"estimator": "R0"}), ("fe_l0", {"method": "FE"}),
     ("dl_l0_left", {"method": "DL", "side": "left"}), ("dl_l0_right", {"method": "DL", "side": "right"})],
)  # fmt: skip
def test_trim_and_fill_matches_metafor(key, kw):
    ref = REF["trimfill"][key]
    res = trim_and_fill(YI, VI, **kw)
    rtol = METAFOR_RTOL if kw.get("method") in ("FE", "DL") else METAFOR_ITERATIVE_RTOL
    assert (res.k0, res.side, res.estimator) == (ref["k0"], ref["side"], ref["estimator"])
    assert res.se_k0 == pytest.approx(ref["se_k0"], rel=CLOSED_FORM_RTOL)
    m = res.model
    assert m.k == 13 + ref["k0"]
    for ours, theirs in [(m.estimate, "estimate"), (m.se, "se"), (m.ci[0], "ci_lower"), (m.ci[1], "ci_upper"),
                         (m.statistic, "zval"), (m.q, "q")]:  # fmt: skip
        assert ours == pytest.approx(ref[theirs], rel=rtol), theirs
    assert m.tau2 == pytest.approx(ref["tau2"], rel=rtol, abs=1e-12)
    # observed + filled points for the funnel plot, in metafor's order
    np.testing.assert_allclose(m.yi, ref["yi"], rtol=METAFOR_RTOL)
    np.testing.assert_allclose(m.vi, ref["vi"], rtol=METAFOR_RTOL)
    funnel = res.funnel_frame()
    assert funnel["filled"].tolist() == ref["fill"]
    if key == "reml_r0":
        assert res.p_k0 == ref["p_k0"] == 0.5  # 0.5^(k0 + 1) with k0 = 0


def test_filled_study_mirrors_about_the_trimmed_estimate():
    # FE trim-and-fill on bcg fills 4 studies on the right: each is 2*mu_trimmed - yi of one of
    # the 4 smallest log RRs (in mirrored order: 4th smallest first), and keeps its variance
    res = trim_and_fill(YI, VI, method="FE")
    order = np.argsort(YI, kind="stable")[:4][::-1]
    centre = (res.filled["yi"].to_numpy() + YI[order]) / 2
    np.testing.assert_allclose(centre, centre[0], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(res.filled["vi"], VI[order], rtol=CLOSED_FORM_RTOL)


def test_refuses_below_ten_studies_unless_forced():
    with pytest.raises(PoolingError, match="force=True"):
        egger_test(YI[:6], VI[:6])
    with pytest.raises(PoolingError, match="force=True"):
        trim_and_fill(YI[:6], VI[:6])
    res = egger_test(YI[:6], VI[:6], force=True)
    assert any("low power" in n for n in res.notes)
    tf = trim_and_fill(meta_analysis(YI[:6], VI[:6]), force=True)
    assert any("low power" in n for n in tf.notes)
    with pytest.raises(PoolingError, match="at least 3"):
        egger_test(YI[:2], VI[:2], force=True)
