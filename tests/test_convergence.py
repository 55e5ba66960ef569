"""Issue 19: the tau² solvers converge, 0 is exact at the boundary, every fit says if it converged.

References: validation/metafor/convergence.R -> convergence.json (R metafor 3.8.1). "Exact" REML/ML
tau² there is the global maximum of metafor's profile (restricted) log-likelihood found by a grid
and optimize(), independent of any Fisher scoring; fits at tau² fixed at that optimum give the
exact beta, se, I², H².
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import evsynth
from evsynth.errors import EvsynthError, PoolingError
from evsynth.pooling import estimators, meta_analysis
from evsynth.pooling.estimators import _score_info
from evsynth.pooling.gosh import fit_many
from evsynth.pooling.influence import cumulative, leave_one_out
from evsynth.pooling.permutation import permutation_test
from tests.tolerances import (
    CLOSED_FORM_RTOL,
    METAFOR_RTOL,
    PROFILE_OPTIMUM_RTOL,
    RANDOM_SUITE_RTOL,
)

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/convergence.json").read_text())
CU = REF["cumulative"]
BD = REF["boundary"]


# ---------------------------------------------------------------- 19.1 the cumulative snippet
def test_cumulative_snippet_last_row_is_the_global_reml_optimum_zero():
    frame = cumulative(CU["yi"], CU["vi"], method="REML", test="z")
    assert frame["tau2"].iloc[-1] == 0.0  # the issue: 0.00424 before (a local maximum)
    assert frame["converged"].all()
    # the restricted likelihood has a second, lower maximum near 0.00424 (metafor's profile)
    assert CU["ll_at_zero"][-1] > CU["ll_local"]


def test_cumulative_snippet_every_row_matches_the_exact_profile_optimum():
    frame = cumulative(CU["yi"], CU["vi"], method="REML", test="z")
    for i in range(1, 10):
        ours, exact, mf = frame["tau2"].iloc[i], CU["exact_tau2"][i], CU["metafor_tau2"][i]
        if exact == 0:
            assert ours == 0.0, i  # metafor stops at 1e-13..5e-13 above 0 here
        else:
            assert ours == pytest.approx(exact, rel=PROFILE_OPTIMUM_RTOL), i
            assert ours == pytest.approx(mf, rel=RANDOM_SUITE_RTOL), i
            assert frame["se"].iloc[i] == pytest.approx(CU["metafor_se"][i], rel=RANDOM_SUITE_RTOL)


def test_leave_one_out_rows_carry_converged():
    frame = leave_one_out(CU["yi"], CU["vi"], method="REML", test="z")
    assert frame["converged"].dtype == bool and frame["converged"].all()


# ---------------------------------------------------------------- 19.2 the boundary snippet
def test_boundary_snippet_tau2_exactly_zero_and_exact_se():
    res = meta_analysis(BD["yi"], BD["vi"], method="REML", test="z")
    assert res.tau2 == 0.0 and res.converged
    assert BD["exact"]["tau2"] == 0
    # the se at tau² = 0 (metafor rma(..., tau2=0)), which is 1/sqrt(sum 1/vi)
    assert res.se == pytest.approx(BD["fixed0"]["se"], rel=CLOSED_FORM_RTOL)
    assert res.se == pytest.approx(1 / math.sqrt(sum(1 / v for v in BD["vi"])), rel=1e-12)
    assert f"{res.se:.6g}" == "9.99998e-05"  # the issue: 1.00271e-4 before
    # metafor's own tight fit stops at tau² = 3.7e-13 with se 1.000016e-4 (relative error 1.6e-5)
    assert BD["metafor_tight"]["tau2"] > 0
    assert res.estimate == pytest.approx(BD["fixed0"]["beta"], rel=CLOSED_FORM_RTOL)


def test_boundary_decided_by_the_sign_of_the_score_at_zero():
    y, v = np.array(BD["yi"]), np.array(BD["vi"])
    u0 = _score_info(0.0, y, v, np.ones((5, 1)), reml=True)[0]
    assert u0 == pytest.approx(BD["score_at_zero"], rel=1e-9)  # R: P from its definition
    assert u0 < 0


def test_stopping_rule_is_scale_free():
    """Rescaling yi by c and vi by c² rescales tau² by c² exactly (up to rounding)."""
    y, v = np.array(CU["yi"][:7]), np.array(CU["vi"][:7])
    base = meta_analysis(y, v, method="REML", test="z").tau2
    assert base > 0
    for c in (1e-4, 1e3):
        t = meta_analysis(c * y, c * c * v, method="REML", test="z").tau2
        assert t / c**2 == pytest.approx(base, rel=1e-9)


def test_ml_boundary_exact_zero_with_tiny_variance():
    res = meta_analysis(BD["yi"], BD["vi"], method="ML", test="z")
    assert res.tau2 == 0.0 and res.i2 == 0.0 and res.h2 == 1.0


# ---------------------------------------------------------------- converged flag propagation
def test_fallback_root_gives_the_same_answer(monkeypatch):
    y, v = np.array(CU["yi"][:7]), np.array(CU["vi"][:7])
    full = meta_analysis(y, v, method="REML", test="z")
    monkeypatch.setattr(estimators, "MAXITER", 2)
    short = meta_analysis(y, v, method="REML", test="z")
    assert short.converged
    assert any("bracketed root" in n for n in short.notes)
    assert short.tau2 == pytest.approx(full.tau2, rel=1e-9)


def test_non_convergence_is_flagged_everywhere(monkeypatch):
    """Force a failure (one step, no fallback) and check that nothing hides it."""
    monkeypatch.setattr(estimators, "MAXITER", 1)
    monkeypatch.setattr(estimators, "_score_root", lambda *a: None)
    y, v = CU["yi"][:7], CU["vi"][:7]
    res = meta_analysis(y, v, method="REML", test="z")
    assert not res.converged
    assert "did NOT converge" in str(res) and "did NOT converge" in res._repr_html_()
    assert res.to_frame()["converged"].item() is False or not res.to_frame()["converged"].item()
    frame = cumulative(y, v, method="REML", test="z")
    assert not frame["converged"].iloc[-1]
    assert any("did not converge" in n for n in frame.attrs["notes"])
    sub = evsynth.subgroup_analysis(y, v, groups=["a", "a", "a", "a", "b", "b", "b"])
    assert not sub.to_frame()["converged"].all()
    assert any("did not converge" in n for n in sub.notes)
    reg = meta_analysis(y, v, mods=np.arange(7.0), method="REML", test="z")
    assert not reg.converged and "did NOT converge" in str(reg)


def test_gosh_and_permutation_report_convergence():
    y, v = np.array(CU["yi"][:6]), np.array(CU["vi"][:6])
    g = evsynth.gosh(y, v)
    assert g["converged"].all()
    pt = permutation_test(y, v, method="REML", test="z")
    assert pt.converged and pt.n_not_converged == 0
    assert pt.to_frame()["n_not_converged"].item() == 0


# ---------------------------------------------------------------- 19.5 one solver everywhere
@pytest.mark.parametrize("test", ["z", "knha", "adhoc"])
def test_permutation_observed_statistic_is_the_fits_own(test):
    y, v = np.array(CU["yi"][:8]), np.array(CU["vi"][:8])
    fit = meta_analysis(y, v, method="REML", test=test)
    pt = permutation_test(y, v, method="REML", test=test)
    assert pt.statistic == pytest.approx(fit.statistic, rel=1e-10)


def test_vectorized_and_scalar_reml_agree_on_the_reference_suite():
    for case in REF["random"]:
        y, v = np.array(case["yi"]), np.array(case["vi"])
        one = meta_analysis(y, v, method="REML", test="z")
        many = fit_many(y, v, method="REML")
        assert many.tau2[0] == pytest.approx(one.tau2, rel=1e-9, abs=1e-300)
        assert many.se[0] == pytest.approx(one.se, rel=1e-9)


# ---------------------------------------------------------------- 19.4 degenerate input
def test_mantel_haenszel_with_an_incomplete_table():
    d = REF["degenerate"]
    res = evsynth.mantel_haenszel([1, np.nan, 3], [10, 10, 10], [2, 2, 2], [10, 10, 10])
    assert res.k == d["mh_na"]["k"] == 2
    assert res.labels == ("1", "3")
    assert res.beta == pytest.approx(d["mh_na"]["beta"], abs=1e-12)
    assert res.se == pytest.approx(d["mh_na"]["se"], rel=METAFOR_RTOL)
    assert res.q == pytest.approx(d["mh_na"]["QE"], rel=METAFOR_RTOL)
    assert any("omitted: 2" in m for m in res.messages)


def test_peto_with_an_incomplete_table():
    d = REF["degenerate"]["peto_na"]
    res = evsynth.peto([1, np.nan, 3], [10, 10, 10], [2, 2, 2], [10, 10, 10])
    assert res.labels == ("1", "3")
    assert res.beta == pytest.approx(d["beta"], abs=1e-12)
    assert res.se == pytest.approx(d["se"], rel=METAFOR_RTOL)
    assert res.q == pytest.approx(d["QE"], rel=METAFOR_RTOL)


def test_one_variance_1e16_of_the_others_gives_metafors_result():
    d = REF["degenerate"]["tiny_vi"]
    res = meta_analysis([0.1, 0.2, 0.3], [0.01, 1e-20, 0.02], test="z")
    # metafor: 0. Here the REML score cancels catastrophically (one weight 1e20, the others
    # 1e2): evsynth returns a tau² below 1e-15, i.e. 0 at any precision that matters
    assert d["tau2"] == 0 and 0 <= res.tau2 < 1e-15
    assert res.estimate == pytest.approx(d["beta"], rel=1e-12)
    assert res.se == pytest.approx(d["se"], rel=1e-6)
    assert res.q == pytest.approx(d["QE"], rel=METAFOR_RTOL)
    assert res.i2 == d["I2"] == 0 and res.h2 == d["H2"] == 1
    assert any("unstable" in n for n in res.notes)


@pytest.mark.parametrize(
    ("yi", "mods"),
    [
        (0.1 + 0.2 * np.arange(1, 6), np.arange(1.0, 6.0)),  # yi exactly linear in the moderator
        ([0.3] * 5, np.arange(1.0, 6.0)),  # identical yi
        ([0.3] * 5, None),
    ],
)
def test_knha_with_zero_residual_is_a_typed_error(yi, mods):
    vi = [0.01, 0.02, 0.03, 0.01, 0.02]
    with pytest.raises(PoolingError, match="test='adhoc'"):
        meta_analysis(yi, vi, mods=mods, test="knha")
    meta_analysis(yi, vi, mods=mods, test="adhoc")  # floored at 1: a valid fit


@pytest.mark.parametrize("model", ["lm", "rma"])
def test_egger_with_equal_variances_is_a_typed_error(model):
    with pytest.raises(EvsynthError, match="same standard error"):
        evsynth.egger_test([0.1, 0.3, 0.2, 0.5, 0.4], [0.02] * 5, model=model, force=True)


# ---------------------------------------------------------------- random reference suite
_FIELDS = [("beta", "estimate"), ("se", "se"), ("QE", "q"), ("I2", "i2"), ("H2", "h2")]


@pytest.mark.metafor
@pytest.mark.parametrize("method", ["REML", "ML", "PM", "EB", "DL"])
def test_random_reference_suite(method):
    """Seeded meta-analyses (k 2-30; tau² at and away from 0; tiny and huge vi; 2x2 with zero cells).

    REML/ML: tau² against metafor's tight fit, or exactly 0 where the profile optimum is 0
    (metafor stops 1e-14..5e-13 above it: the listed exception), and then beta/se/I²/H² against
    metafor refitted with tau² fixed at 0. EB: metafor stops ~5e-13 above a root at 0 (abs 1e-12).
    """
    n = 0
    for i, case in enumerate(REF["random"]):
        ref = case["fits"].get(method)
        if ref is None:
            continue
        res = meta_analysis(case["yi"], case["vi"], method=method, test="z")
        assert res.converged, (i, method)
        target = ref
        if method in ("REML", "ML"):
            if ref["exact_tau2"] <= 1e-12:  # optimize() resolves 0 to ~1e-15
                target = ref["at_exact"]
                assert res.tau2 == 0.0, (i, method)
            else:
                assert res.tau2 == pytest.approx(ref["tau2"], rel=RANDOM_SUITE_RTOL), (i, method)
                assert res.tau2 == pytest.approx(ref["exact_tau2"], rel=PROFILE_OPTIMUM_RTOL)
        else:
            # PM/EB: metafor's EB iteration also stops ~5e-13 above a root at 0 (evsynth: 0)
            assert res.tau2 == pytest.approx(ref["tau2"], rel=RANDOM_SUITE_RTOL, abs=1e-12), i
        # I², H² follow tau²: where metafor's tau² (or optimize's 0) is boundary noise
        # (<= 1e-12), so are they, to ~1e-10
        noise = ref["tau2"] <= 1e-12 or ref.get("exact_tau2", 1.0) <= 1e-12
        for theirs, ours in _FIELDS:
            atol = 1e-8 if noise and ours in ("i2", "h2") else 1e-13
            assert getattr(res, ours) == pytest.approx(
                target[theirs], rel=RANDOM_SUITE_RTOL, abs=atol
            ), (i, method, ours)
        n += 1
    assert n >= 90


# ---------------------------------------------------------------- 19.3 pseudo-R²
def test_pseudo_r2_is_undefined_when_the_intercept_only_tau2_is_zero():
    y, v = CU["yi"], CU["vi"]  # full snippet: REML tau² of the intercept-only model is exactly 0
    assert meta_analysis(y, v, method="REML", test="z").tau2 == 0.0
    reg = meta_analysis(y, v, mods=np.arange(10.0), method="REML", test="z")
    assert math.isnan(reg.r2)
    assert "R² (amount of heterogeneity accounted for):            undefined" in str(reg)
    assert any(n.startswith("R² undefined") for n in reg.notes)


def test_pseudo_r2_treats_a_negligible_residual_tau2_as_zero(monkeypatch):
    """tau²_RE > 0 and a residual tau² of rounding size: R² = 100, not a ratio of noise."""
    y, v = np.array(CU["yi"][:7]), np.array(CU["vi"][:7])
    t_re = meta_analysis(y, v, method="REML", test="z").tau2
    assert t_re > 1e-3
    real = estimators.estimate_tau2

    def fake(yi, vi, X, method):
        est = real(yi, vi, X, method)
        if X.shape[1] > 1:  # the moderator model: a rounding-level residual tau²
            return estimators.Tau2Estimate(1e-14, method, notes=est.notes)
        return est

    monkeypatch.setattr("evsynth.pooling.metareg.estimate_tau2", fake)
    reg = meta_analysis(y, v, mods=np.arange(7.0), method="REML", test="z")
    assert reg.r2 == 100.0


# ---------------------------------------------------------------- 19.6 two maxima
PROFILE = json.loads((Path(__file__).parent.parent / "validation/metafor/profile.json").read_text())


@pytest.mark.parametrize("name", ["a", "b"])
def test_two_maxima_warned_and_the_global_one_returned(name):
    ref = PROFILE[name]
    y, v = np.array(ref["yi"]), np.array(ref["vi"])
    X = np.ones((4, 1))
    # 0 is a local maximum (negative score there) and a higher one is inside
    assert _score_info(0.0, y, v, X, reml=False)[0] == pytest.approx(
        ref["ml_score_zero"], rel=1e-12
    )
    assert ref["ml_score_zero"] < 0 and ref["ll_exact"] > ref["ll_zero"]
    assert estimators._log_likelihood(0.0, y, v, X, reml=False) == pytest.approx(
        ref["ll_zero"], rel=1e-12
    )
    res = meta_analysis(y, v, method="ML", test="z")
    assert res.tau2 == pytest.approx(ref["metafor_tau2"], rel=RANDOM_SUITE_RTOL)
    assert res.tau2 == pytest.approx(ref["exact_tau2"], rel=PROFILE_OPTIMUM_RTOL)
    assert any("more than one local maximum" in n for n in res.notes)
    # started at the boundary maximum, the solver stops there; the profile scan moves it
    est = estimators._fisher_scoring(y, v, X, "ML", start=0.0)
    assert est.tau2 == pytest.approx(ref["exact_tau2"], rel=PROFILE_OPTIMUM_RTOL)
    assert any("stopped at a lower one" in n for n in est.notes)
    assert estimators._fisher_scoring(y, v, X, "ML", start=0.0, scan=False).tau2 == 0.0


def test_cumulative_snippet_warns_about_its_two_reml_maxima():
    res = meta_analysis(CU["yi"], CU["vi"], method="REML", test="z")
    assert res.tau2 == 0.0
    assert any("more than one local maximum" in n for n in res.notes)
