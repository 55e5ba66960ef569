"""Meta-regression against R metafor 3.8 (validation/metafor/rma.R -> rma.json, key "metareg").

R calls: ``rma(yi, vi, mods=~ablat, data=bcg, method=<m>, test=<t>, control=list(threshold=1e-12,
tol=1e-12, maxiter=1000))`` and the same with ``mods=~ablat + year``; ``bcg`` is
``escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)``. Every value is
compared at METAFOR_RTOL: with ``year`` (~1970) in X, X'WX is ill-conditioned and even the
closed-form DL fit agrees only to ~4e-10.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evsynth.errors import PoolingError
from evsynth.pooling import MetaRegression, meta_analysis, meta_regression
from tests.tolerances import METAFOR_RTOL

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/rma.json").read_text())
BCG = REF["data"]["bcg"]
MODS = {
    "ablat": pd.DataFrame({"ablat": REF["bcg_ablat"]}),
    "ablat+year": pd.DataFrame({"ablat": REF["bcg_ablat"], "year": REF["bcg_year"]}),
}


def _close(ours, ref, what):
    np.testing.assert_allclose(
        np.asarray(ours, float), np.asarray(ref, float), rtol=METAFOR_RTOL, err_msg=what
    )


@pytest.mark.metafor
@pytest.mark.parametrize("key", sorted(REF["metareg"]), ids=lambda k: k.replace("|", "-"))
def test_metareg_matches_metafor(key):
    """R: the call stored in ``REF["metareg"][key]["call"]`` (coefficients, QM, QE, tau², I², R², tau² CI)."""
    ref = REF["metareg"][key]
    spec, method, test = key.split("|")
    res = meta_analysis(BCG["yi"], BCG["vi"], mods=MODS[spec], method=method, test=test)
    assert isinstance(res, MetaRegression)
    call = ref["call"]
    assert list(res.coef_names) == ref["coef_names"]
    _close(res.beta, ref["beta"], f"beta {call}")
    _close(res.se, ref["se"], f"se {call}")
    _close(res.statistic, ref["zval"], f"stat {call}")
    _close(res.pvalue, ref["pval"], f"p {call}")
    _close(res.ci_lower, ref["ci_lb"], f"ci.lb {call}")
    _close(res.ci_upper, ref["ci_ub"], f"ci.ub {call}")
    _close(res.qm, ref["QM"], f"QM {call}")
    _close(res.qm_pvalue, ref["QMp"], f"QMp {call}")
    assert res.qm_df[0] == ref["QMdf"][0]
    assert res.qm_test == ("chi2" if test == "z" else "F")
    _close(res.q, ref["QE"], f"QE {call}")
    _close(res.q_pvalue, ref["QEp"], f"QEp {call}")
    _close(res.tau2, ref["tau2"], f"tau2 {call}")
    _close(res.i2, ref["I2"], f"I2 {call}")
    _close(res.h2, ref["H2"], f"H2 {call}")
    _close(res.r2, ref["R2"], f"R2 {call}")
    if method != "FE":
        _close(res.tau2_ci, ref["tau2_ci"], f"tau2 CI {call}")
        _close(res.i2_ci, ref["I2_ci"], f"I2 CI {call}")


def test_metareg_frame_and_repr():
    """The coefficient table carries the level in CI column names; the repr shows QM and QE.

    R: ``rma(yi, vi, mods=~ablat, data=bcg, test="z")`` gives ablat = -0.0291 (metafor docs).
    """
    res = meta_analysis(BCG["yi"], BCG["vi"], mods=MODS["ablat"], test="z")
    frame = res.to_frame()
    assert list(frame.index) == ["intrcpt", "ablat"]
    assert {"ci_lower_95", "ci_upper_95", "estimate", "se", "pvalue"} <= set(frame.columns)
    assert frame.loc["ablat", "estimate"] == pytest.approx(-0.0291, abs=5e-5)
    text = str(res)
    assert "QM(df = 1)" in text and "QE(df = 11)" in text
    assert "<table" in res._repr_html_()
    assert res.summary_frame().loc[0, "r2"] == pytest.approx(
        REF["metareg"]["ablat|REML|z"]["R2"], rel=METAFOR_RTOL
    )


def test_metareg_mods_by_column_name_and_array():
    """mods as column name of data, as a 1-D array and as a DataFrame give the same fit."""
    df = pd.DataFrame({"yi": BCG["yi"], "vi": BCG["vi"], "ablat": REF["bcg_ablat"]})
    a = meta_analysis(data=df, mods="ablat", test="z")
    b = meta_analysis(BCG["yi"], BCG["vi"], mods=np.array(REF["bcg_ablat"]), test="z")
    c = meta_regression(BCG["yi"], BCG["vi"], mods=MODS["ablat"], test="z")
    assert a.beta == pytest.approx(b.beta, rel=1e-12) == c.beta
    assert b.coef_names == ("intrcpt", "mods")


def test_metareg_categorical_moderator_dummy_coded():
    """A string moderator is dummy-coded against its first (sorted) level, as R's factor().

    Hand check: with a single binary moderator and DL, the slope equals the difference of the
    subgroup estimates only under a common tau²; we check instead that X has the 0/1 column.
    """
    alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
             "random", "random", "systematic", "systematic", "systematic", "systematic"]  # fmt: skip
    res = meta_analysis(
        BCG["yi"], BCG["vi"], mods=pd.DataFrame({"alloc": alloc}), method="DL", test="z"
    )
    assert res.coef_names == ("intrcpt", "allocrandom", "allocsystematic")
    assert [row[1] for row in res.X] == [1.0 if a == "random" else 0.0 for a in alloc]
    assert any("reference level 'alternate'" in n for n in res.notes)


def test_metareg_too_few_studies_and_rank():
    """p + 1 > k for a random-effects meta-regression, and a constant moderator, raise PoolingError."""
    with pytest.raises(PoolingError, match="at least 3 studies"):
        meta_analysis([0.1, 0.2], [0.01, 0.02], mods=[1.0, 2.0])
    with pytest.raises(PoolingError, match="full rank"):
        meta_analysis([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], mods=[1.0, 1.0, 1.0])
    with pytest.raises(PoolingError, match="rows"):
        meta_analysis([0.1, 0.2, 0.3], [0.01, 0.02, 0.03], mods=[1.0, 2.0])
