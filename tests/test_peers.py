"""evsynth against the two Python peers, pymare 0.0.13 and statsmodels 0.15
(``statsmodels.stats.meta_analysis.combine_effects``).

Where a peer computes the same quantity we show agreement on dat.bcg (log RR,
``escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)``, read from
validation/metafor/rma.json). Where a peer is wrong we assert its wrong number and our correct
one (the metafor value). evsynth never delegates to either library (last test), so neither
failure can reach an evsynth user through a default. Differences documented here:

- statsmodels ``combine_effects`` does not truncate the DL tau² at 0: with k = 2 and Q < k-1
  it returns a negative tau², negative random-effects weights, a pooled log HR of 1.256
  (HR 3.51, outside both studies' estimates) and a NaN SE.
- statsmodels reports ``i2`` as a fraction (0-1); evsynth and metafor use percent.
- statsmodels' "random effect wls" row is the HKSJ variance with a *normal* quantile;
  ``conf_int(use_t=True)`` gives the t(k-1) interval, which equals metafor ``test="knha"``.
- pymare's ``summary().get_fe_stats()`` is the HKSJ t(k-1) test without the floor at 1
  (metafor ``test="knha"``), so with two concordant studies it reports a 95% CI a tenth as wide
  as the z interval (HR 1.20 [1.04, 1.38], p = 0.04 instead of [0.67, 2.13], p = 0.55).
- pymare's I² is always Higgins & Thompson's ``(Q - df)/Q`` whatever the tau² estimator;
  metafor/evsynth use ``tau²/(vt + tau²)`` with the estimator's tau² (equal only for DL).
"""

from __future__ import annotations

import ast
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from evsynth.pooling import meta_analysis
from tests.tolerances import CLOSED_FORM_RTOL, METAFOR_RTOL, PEER_OPTIMIZER_RTOL

pymare = pytest.importorskip("pymare")
sm_meta = pytest.importorskip("statsmodels.stats.meta_analysis")

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/rma.json").read_text())
Y = np.array(REF["data"]["bcg"]["yi"])
V = np.array(REF["data"]["bcg"]["vi"])
TOCI_Y = np.array(REF["data"]["toci_k2"]["yi"])
TOCI_V = np.array(REF["data"]["toci_k2"]["vi"])


# ------------------------------------------------------------------------- statsmodels
def test_statsmodels_dl_agrees_on_bcg():
    """statsmodels ``combine_effects(y, v, method_re="dl")`` vs evsynth DL, z test.

    R: ``rma(yi, vi, data=bcg, method="DL", test="z")`` (tau² 0.3088, estimate -0.7141).
    """
    sm = sm_meta.combine_effects(Y, V, method_re="dl")
    ours = meta_analysis(Y, V, method="DL", test="z")
    frame = sm.summary_frame()
    assert sm.tau2 == pytest.approx(ours.tau2, rel=CLOSED_FORM_RTOL)
    assert frame.loc["random effect", "eff"] == pytest.approx(ours.estimate, rel=CLOSED_FORM_RTOL)
    assert frame.loc["random effect", "sd_eff"] == pytest.approx(ours.se, rel=CLOSED_FORM_RTOL)
    assert frame.loc["random effect", "ci_low"] == pytest.approx(ours.ci[0], rel=CLOSED_FORM_RTOL)
    assert sm.q == pytest.approx(ours.q, rel=CLOSED_FORM_RTOL)
    assert 100 * sm.i2 == pytest.approx(ours.i2, rel=CLOSED_FORM_RTOL)  # fraction vs percent
    ref = REF["fits"]["bcg|DL|z"]
    assert ours.tau2 == pytest.approx(ref["tau2"], rel=CLOSED_FORM_RTOL)


def test_statsmodels_paule_mandel_and_hksj_agree_on_bcg():
    """statsmodels ``method_re="iterated"`` (Paule-Mandel) and its t-based HKSJ interval.

    R: ``rma(yi, vi, data=bcg, method="PM", test="knha")``.
    """
    sm = sm_meta.combine_effects(Y, V, method_re="iterated")
    ours = meta_analysis(Y, V, method="PM", test="knha")
    assert sm.tau2 == pytest.approx(ours.tau2, rel=METAFOR_RTOL)
    ci_t = sm.conf_int(use_t=True)[3]  # (fe, re, fe-wls, re-wls): re-wls = HKSJ with t(k-1)
    assert ci_t == pytest.approx(ours.ci, rel=METAFOR_RTOL)
    ref = REF["fits"]["bcg|PM|knha"]
    assert ours.ci == pytest.approx((ref["ci_lb"], ref["ci_ub"]), rel=METAFOR_RTOL)


def test_statsmodels_dl_fails_with_two_studies_q_below_df():
    """Known failure of statsmodels 0.15 on the two tocilizumab PFS HRs (Q < k-1).

    R: ``rma(yi, vi, data=toci, method="DL", test="z")`` with yi = log(c(1.18, 1.207)) and
    sei = (log(ub) - log(lb))/(2*qnorm(.975)) from 0.49-2.85 and 0.561-2.598: tau² = 0,
    HR 1.195 [0.671, 2.131].
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sqrt of a negative variance
        sm = sm_meta.combine_effects(TOCI_Y, TOCI_V, method_re="dl")
        frame = sm.summary_frame()
    # the peer's wrong numbers
    assert sm.tau2 == pytest.approx(-0.17706468, rel=1e-6)
    assert math.exp(frame.loc["random effect", "eff"]) == pytest.approx(3.5126, rel=1e-4)
    assert math.isnan(frame.loc["random effect", "sd_eff"])
    # ours, equal to metafor
    ours = meta_analysis(TOCI_Y, TOCI_V, method="DL", test="z", measure="HR")
    ref = REF["fits"]["toci_k2|DL|z"]
    assert ours.tau2 == 0.0 == ref["tau2"]
    assert ours.estimate == pytest.approx(ref["beta"], rel=CLOSED_FORM_RTOL)
    hr = ours.transformed().iloc[0]
    assert (hr["estimate"], hr["ci_lower_95"], hr["ci_upper_95"]) == pytest.approx(
        (1.1953, 0.6706, 2.1306), abs=1e-4
    )
    assert any("truncated at 0" in n for n in ours.notes)


# ------------------------------------------------------------------------------ pymare
@pytest.mark.parametrize(
    ("ours_method", "make"),
    [
        ("DL", lambda: pymare.estimators.DerSimonianLaird()),
        ("HE", lambda: pymare.estimators.Hedges()),
        ("ML", lambda: pymare.estimators.VarianceBasedLikelihoodEstimator(method="ML")),
        ("REML", lambda: pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML")),
    ],
)
def test_pymare_agrees_on_bcg(ours_method, make):
    """pymare tau², estimate and its (HKSJ t) CI vs evsynth ``test="knha"`` on dat.bcg.

    R: ``rma(yi, vi, data=bcg, method=<DL|HE|ML|REML>, test="knha")``. DL and HE are closed
    form; pymare's ML/REML use scipy.optimize (PEER_OPTIMIZER_RTOL).
    """
    fit = make().fit_dataset(pymare.Dataset(y=Y, v=V))
    summary = fit.summary()
    fe = summary.get_fe_stats()
    re = summary.get_re_stats()
    ours = meta_analysis(Y, V, method=ours_method, test="knha")
    rtol = CLOSED_FORM_RTOL if ours_method in ("DL", "HE") else PEER_OPTIMIZER_RTOL
    assert float(np.ravel(re["tau^2"])[0]) == pytest.approx(ours.tau2, rel=rtol)
    assert float(np.ravel(fe["est"])[0]) == pytest.approx(ours.estimate, rel=rtol)
    assert float(np.ravel(fe["ci_l"])[0]) == pytest.approx(ours.ci[0], rel=rtol)
    assert float(np.ravel(fe["p"])[0]) == pytest.approx(ours.pvalue, rel=max(rtol, 1e-9))
    # pymare's tau² CI is the Q-profile interval
    assert np.ravel(re["ci_l"])[0] == pytest.approx(ours.tau2_ci[0], rel=METAFOR_RTOL)
    assert np.ravel(re["ci_u"])[0] == pytest.approx(ours.tau2_ci[1], rel=METAFOR_RTOL)
    # pymare's I² is the Q-based one whatever the estimator; ours is metafor's
    het = summary.get_heterogeneity_stats()
    assert float(np.ravel(het["I^2"])[0]) == pytest.approx(
        100 * (ours.q - 12) / ours.q, rel=CLOSED_FORM_RTOL
    )
    assert ours.i2 == pytest.approx(REF["fits"][f"bcg|{ours_method}|knha"]["I2"], rel=METAFOR_RTOL)


def test_pymare_reml_two_studies_overconfident():
    """Known failure: pymare REML on the two tocilizumab PFS HRs reports HR 1.20 [1.04, 1.38], p = 0.04.

    R: ``rma(yi, vi, data=toci, method="REML", test="z")`` gives HR 1.195 [0.671, 2.131],
    p = 0.545; ``test="knha"`` reproduces pymare's interval (scale factor 0.0014 < 1);
    ``test="adhoc"`` (evsynth's default) floors the factor at 1: HR [0.028, 50.7] with t(1).
    """
    fit = pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(
        pymare.Dataset(y=TOCI_Y, v=TOCI_V)
    )
    fe = fit.summary().get_fe_stats()
    peer = [math.exp(float(np.ravel(fe[x])[0])) for x in ("est", "ci_l", "ci_u")]
    assert peer == pytest.approx([1.1953, 1.0367, 1.3782], abs=1e-4)
    assert float(np.ravel(fe["p"])[0]) == pytest.approx(0.0399, abs=1e-4)

    z = meta_analysis(TOCI_Y, TOCI_V, method="REML", test="z", measure="HR")
    ref = REF["fits"]["toci_k2|REML|z"]
    assert z.ci == pytest.approx((ref["ci_lb"], ref["ci_ub"]), rel=METAFOR_RTOL)
    assert [math.exp(c) for c in z.ci] == pytest.approx([0.6706, 2.1306], abs=1e-4)
    assert z.pvalue == pytest.approx(ref["pval"], rel=METAFOR_RTOL)

    default = meta_analysis(TOCI_Y, TOCI_V, measure="HR")  # REML + adhoc
    ref = REF["fits"]["toci_k2|REML|adhoc"]
    assert default.test == "adhoc"
    assert default.ci == pytest.approx((ref["ci_lb"], ref["ci_ub"]), rel=METAFOR_RTOL)
    assert default.ci[1] - default.ci[0] > z.ci[1] - z.ci[0]  # never narrower than z
    assert default.pvalue > 0.5


def test_evsynth_never_delegates_to_peers():
    """The pooling engine core imports neither pymare nor statsmodels (their defaults never apply)."""
    root = Path(__file__).parent.parent / "evsynth" / "pooling"
    core = ("__init__", "result", "estimators", "rma", "inference", "metareg")
    for path in (root / f"{name}.py" for name in core):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("pymare", "statsmodels")), f"{path.name} imports {name}"
