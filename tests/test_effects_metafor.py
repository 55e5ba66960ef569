"""Effect sizes compared with R metafor 3.8.1 (validation/metafor/effects.R -> effects.json).

Each test names the R call that produced the reference values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.effects import (
    escalc,
    log_ratio_from_ci,
    log_ratio_from_p,
    transf_iarcsin,
    transf_ilogit,
    transf_ipft,
    transf_ipft_hm,
    transf_pft,
)
from tests.tolerances import CLOSED_FORM_RTOL, ZERO_ATOL

pytestmark = pytest.mark.metafor

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "validation" / "metafor" / "effects.json").read_text()
)


def _arr(values):
    return np.array([np.nan if x is None else x for x in values], dtype=float)


def test_reference_records_versions():
    assert REF["versions"]["metafor"] == "3.8.1"
    assert REF["versions"]["R"].startswith("R version")


CASES_2X2 = [
    (data, case) for data in ("sparse", "bcg") for case in REF["escalc_2x2"][data]["cases"]
]


@pytest.mark.parametrize(("data", "case"), CASES_2X2)
def test_escalc_2x2_matches_metafor(data, case):
    """R: escalc(measure=m, ai, bi, ci, di, to=to, drop00=dz) for m in OR/RR/RD, every `to`.

    metafor keeps yi = 0, vi = 0 for a double-zero RD without correction; evsynth reports it as
    not estimable (a zero variance cannot be weighted), so those entries are compared as missing.
    """
    ref = REF["escalc_2x2"][data]
    measure, to, dz = case.split("_")
    res = escalc(
        measure,
        ai=ref["ai"],
        bi=ref["bi"],
        ci=ref["ci"],
        di=ref["di"],
        to=to,
        drop00=(dz == "drop00"),
    )
    yi, vi = _arr(ref["cases"][case]["yi"]), _arr(ref["cases"][case]["vi"])
    zero_var = vi == 0
    yi[zero_var] = np.nan
    vi[zero_var] = np.nan
    np.testing.assert_array_equal(np.isnan(res.yi), np.isnan(yi))
    np.testing.assert_allclose(res.yi, yi, rtol=CLOSED_FORM_RTOL, atol=ZERO_ATOL)
    np.testing.assert_allclose(res.vi, vi, rtol=CLOSED_FORM_RTOL)
    for r in res.results:
        if not r.estimable:
            assert r.reason  # every missing value says why


@pytest.mark.parametrize("case", list(REF["escalc_proportions"]["cases"]))
def test_escalc_proportions_match_metafor(case):
    """R: escalc(measure=m, xi, ni) for PR/PLO/PAS/PFT; PLO with to="all"; PR with to="if0all"."""
    ref = REF["escalc_proportions"]
    measure, _, to = case.partition("_")
    res = escalc(measure, xi=ref["xi"], ni=ref["ni"], to=to or "only0")
    np.testing.assert_allclose(res.yi, ref["cases"][case]["yi"], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(res.vi, ref["cases"][case]["vi"], rtol=CLOSED_FORM_RTOL)


def test_back_transforms_match_metafor():
    """R: transf.ipft(x, 20), transf.ipft.hm(x, targs=list(ni)), transf.iarcsin(x),
    transf.ilogit(x), transf.pft(p, 20)."""
    t = REF["transf"]
    x = np.array(t["x"])
    ni = REF["escalc_proportions"]["ni"]
    np.testing.assert_allclose(transf_ipft(x, 20), t["ipft_n20"], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(transf_ipft_hm(x, ni), t["ipft_hm"], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(transf_iarcsin(x), t["iarcsin"], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(transf_ilogit(x), t["ilogit"], rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(
        transf_pft([0, 0.25, 0.5, 1], 20), t["pft_n20"], rtol=CLOSED_FORM_RTOL
    )


def test_pooled_pft_back_transform_uses_harmonic_mean():
    """R: fit <- rma(yi, vi, data=escalc("PFT", xi, ni), method="DL");
    predict(fit, transf=transf.ipft.hm, targs=list(ni=ni))."""
    p = REF["transf"]["pooled_pft"]
    ni = REF["escalc_proportions"]["ni"]
    got = transf_ipft_hm([p["beta"], p["ci_lb"], p["ci_ub"]], ni)
    np.testing.assert_allclose(
        got, [p["pred"], p["pred_ci_lb"], p["pred_ci_ub"]], rtol=CLOSED_FORM_RTOL
    )


def test_conv_wald_ci_and_p_formulas():
    """R (conv.wald formulas, metafor >= 4.0): sei = (log(ub)-log(lb)) / (2 qnorm(1-(1-level)/2));
    sei = |log(est)| / qnorm(p/2, lower.tail=FALSE)."""
    w = REF["conv_wald"]
    for i, est in enumerate(w["est"]):
        res = log_ratio_from_ci(est, w["lb"][i], w["ub"][i], level=w["level"][i])
        assert res.yi == pytest.approx(w["ci_yi"][i], rel=CLOSED_FORM_RTOL)
        assert res.sei == pytest.approx(w["ci_sei"][i], rel=CLOSED_FORM_RTOL)
        res_p = log_ratio_from_p(est, w["p"][i])
        assert res_p.sei == pytest.approx(w["p_sei"][i], rel=CLOSED_FORM_RTOL)
