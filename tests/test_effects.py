"""Effect sizes: hand calculations (shown in each test), input validation and effect_sizes()."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import evsynth
from evsynth.effects import (
    EffectSize,
    EffectSizeWarning,
    NotEstimable,
    count_effect,
    effect_sizes,
    escalc,
    log_hr_from_logrank,
    log_ratio_from_ci,
    log_ratio_from_p,
    proportion_effect,
    survival_rate_effect,
)
from evsynth.errors import EffectSizeError, EvsynthError
from tests.tolerances import CLOSED_FORM_RTOL, QUOTED_6DP_ATOL, ZERO_ATOL


def approx(x):
    return pytest.approx(x, rel=CLOSED_FORM_RTOL)


# --- log ratios from a CI or a p-value ---------------------------------------------------------


def test_log_hr_from_95_ci_by_hand():
    """HR 0.52 (95% CI 0.31-0.87): yi = log 0.52 = -0.653926467...,
    sei = (log 0.87 - log 0.31) / (2 * 1.959963985) = 1.031929.../3.91992797 = 0.263253..."""
    res = log_ratio_from_ci(0.52, 0.31, 0.87)
    assert res.yi == approx(math.log(0.52))
    assert res.sei == approx((math.log(0.87) - math.log(0.31)) / (2 * 1.959963984540054))
    assert res.vi == approx(res.sei**2)
    assert res.measure_analysis == "logHR"
    lo, hi = res.ci
    assert lo == approx(math.exp(res.yi - 1.959963984540054 * res.sei))
    assert res.estimate == approx(0.52)


def test_ci_level_90_and_percent_spelling():
    """90% CI uses z = 1.644853627: sei = (log 4.8 - log 1.1) / (2 * 1.644853627)."""
    a = log_ratio_from_ci(2.3, 1.1, 4.8, level=0.90, measure="OR")
    b = log_ratio_from_ci(2.3, 1.1, 4.8, level=90, measure="OR")
    assert a.sei == approx((math.log(4.8) - math.log(1.1)) / (2 * 1.6448536269514722))
    assert a.sei == b.sei and a.measure_analysis == "logOR"


def test_missing_estimate_uses_log_midpoint():
    """No point estimate: yi = (log 0.5 + log 2) / 2 = 0."""
    res = log_ratio_from_ci(None, 0.5, 2.0)
    assert res.yi == pytest.approx(0.0, abs=ZERO_ATOL)
    assert any("midpoint" in n for n in res.notes)


def test_from_p_value_by_hand():
    """HR 0.52, p = 0.013: z = Phi^-1(1 - 0.0065) = 2.483769293, sei = 0.653926 / 2.483769."""
    res = log_ratio_from_p(0.52, 0.013)
    z = 2.483769293250532  # qnorm(0.0065, lower.tail=FALSE) in R
    assert res.sei == approx(abs(math.log(0.52)) / z)


def test_p_bound_is_used_at_its_limit_and_said():
    res = log_ratio_from_p(0.41, 0.001, p_operator="<")
    assert res.sei == approx(abs(math.log(0.41)) / 3.2905267314918945)
    assert any("bound" in n for n in res.notes)
    res = log_ratio_from_p(0.41, 0.05, p_operator=">")
    assert isinstance(res, NotEstimable) and "bound" in res.reason


def test_from_p_not_estimable_at_null():
    assert not log_ratio_from_p(1.0, 0.04).estimable
    assert not log_ratio_from_p(1.3, 1.0).estimable


def test_estimate_outside_ci_warns_not_fails():
    with pytest.warns(EffectSizeWarning, match="outside"):
        res = log_ratio_from_ci(0.95, 0.31, 0.87)
    assert any("outside" in n for n in res.notes)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0.0, 0.3, 0.9), "estimate=0"),
        ((-1.2, 0.3, 0.9), "estimate=-1.2"),
        ((0.5, 0.9, 0.3), "ci_lower=0.9"),
        ((0.5, 0.0, 0.9), "ci_lower=0"),
        ((0.5, 0.5, 0.5), "zero-width"),
        ((0.5, float("nan"), 0.9), "NaN"),
    ],
)
def test_impossible_ci_inputs_raise(args, match):
    with pytest.raises(EffectSizeError, match=match):
        log_ratio_from_ci(*args)


@pytest.mark.parametrize("p", [0.0, 1.5, -0.01])
def test_p_outside_unit_interval_raises(p):
    with pytest.raises(EffectSizeError, match="outside"):
        log_ratio_from_p(0.5, p)


# --- Parmar / Tierney log-rank approximation ---------------------------------------------------


def test_parmar_tierney_by_hand():
    """Log-rank p = 0.03, 40 events, arms of 30 and 50, intervention arm had the lower hazard.
    V = 40 * 30 * 50 / 80^2 = 9.375; z = Phi^-1(1 - 0.015) = 2.170090378;
    O - E = -sqrt(9.375) * 2.170090378 = -6.644527...; log HR = (O - E) / V = -0.708749...;
    var(log HR) = 1 / V = 0.1066666..."""
    res = log_hr_from_logrank(0.03, events=40, n_int=30, n_ctl=50, direction="lower")
    v = 9.375
    z = 2.1700903775845606
    assert res.yi == approx(-math.sqrt(v) * z / v)
    assert res.yi == pytest.approx(-0.708749, abs=QUOTED_6DP_ATOL)
    assert res.vi == approx(1 / v)
    assert res.measure == "HR"
    assert any("approximation" in n for n in res.notes)


def test_parmar_equal_allocation_and_direction():
    """No arm sizes: V = E/4 = 10 for 40 events; 'higher' gives a positive log HR."""
    res = log_hr_from_logrank(0.03, events=40, direction="higher")
    assert res.yi == approx(2.1700903775845606 / math.sqrt(10))
    assert any("equal allocation" in n for n in res.notes)


def test_parmar_without_direction_or_events_is_not_estimable():
    res = log_hr_from_logrank(0.03, events=40)
    assert isinstance(res, NotEstimable) and "sign is unknown" in res.reason
    res = log_hr_from_logrank(0.03, events=None, direction="lower")
    assert "without event counts" in res.reason


# --- counts --------------------------------------------------------------------------------------


def test_odds_ratio_by_hand():
    """12/40 vs 10/38: log OR = log(12*28 / (28*10)) = log(1.2); vi = 1/12 + 1/28 + 1/10 + 1/28."""
    res = count_effect(12, 40, 10, 38)
    assert res.yi == approx(math.log(12 * 28 / (28 * 10)))
    assert res.vi == approx(1 / 12 + 1 / 28 + 1 / 10 + 1 / 28)
    rr = count_effect(12, 40, 10, 38, measure="RR")
    assert rr.yi == approx(math.log((12 / 40) / (10 / 38)))
    rd = count_effect(12, 40, 10, 38, measure="RD")
    assert rd.yi == approx(12 / 40 - 10 / 38)


def test_zero_cell_gets_half():
    """0/10 vs 3/12 -> cells (0.5, 10.5, 3.5, 9.5): log OR = log(0.5*9.5 / (10.5*3.5))."""
    res = count_effect(0, 10, 3, 12)
    assert res.yi == approx(math.log(0.5 * 9.5 / (10.5 * 3.5)))
    assert any("continuity correction +0.5" in n for n in res.notes)


def test_treatment_arm_correction_by_hand():
    """Sweeting et al. 2004: 0/10 vs 3/30; group 1 cells + 10/40 = 0.25, group 2 cells
    + 30/40 = 0.75 (sum 1): log OR = log(0.25 * 27.75 / (10.25 * 3.75))."""
    res = count_effect(0, 10, 3, 30, correction="treatment_arm")
    assert res.yi == approx(math.log(0.25 * 27.75 / (10.25 * 3.75)))
    assert res.vi == approx(1 / 0.25 + 1 / 10.25 + 1 / 3.75 + 1 / 27.75)


def test_double_zero_excluded_for_ratios_kept_for_rd():
    res = escalc("OR", ai=[0, 2], n1i=[10, 20], ci=[0, 4], n2i=[11, 20], slab=["a", "b"])
    assert not res.results[0].estimable and "double-zero" in res.results[0].reason
    assert any("a" in m and "excluded" in m for m in res.messages)
    # RD keeps it, with metafor's correction: 0.5/11 - 0.5/12 (cells +0.5, groups +1)
    rd = escalc("RD", ai=[0, 2], n1i=[10, 20], ci=[0, 4], n2i=[11, 20])
    assert rd.results[0].estimable and rd.results[0].yi == approx(0.5 / 11 - 0.5 / 12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ai": 11, "n1i": 10, "ci": 2, "n2i": 10}, "ai.*larger than n1i"),
        ({"ai": -1, "n1i": 10, "ci": 2, "n2i": 10}, "negative"),
        ({"ai": 1.5, "n1i": 10, "ci": 2, "n2i": 10}, "whole number"),
        ({"ai": 1, "n1i": 10, "ci": 12, "n2i": 10}, "ci.*larger than n2i"),
    ],
)
def test_impossible_counts_raise(kwargs, match):
    with pytest.raises(EffectSizeError, match=match):
        count_effect(**kwargs)


# --- proportions and survival rates ------------------------------------------------------------


def test_proportion_logit_by_hand():
    """53/55: PLO = log(53/2), vi = 1/53 + 1/2; PFT = (asin sqrt(53/56) + asin sqrt(54/56))/2."""
    res = proportion_effect(53, 55)
    assert res.yi == approx(math.log(53 / 2))
    assert res.vi == approx(1 / 53 + 1 / 2)
    assert res.estimate == approx(53 / 55)
    pft = proportion_effect(53, 55, measure="PFT")
    assert pft.yi == approx(0.5 * (math.asin(math.sqrt(53 / 56)) + math.asin(math.sqrt(54 / 56))))
    assert pft.vi == approx(1 / (4 * 55 + 2))


def test_survival_rate_logit_by_hand():
    """58.8% (±11.9%): yi = log(0.588/0.412) = 0.355704..., vi = 0.119^2 / (0.588*0.412)^2."""
    res = survival_rate_effect(0.588, 0.119)
    assert res.yi == approx(math.log(0.588 / 0.412))
    assert res.vi == approx(0.119**2 / (0.588 * 0.412) ** 2)
    assert res.estimate == approx(0.588)
    cll = survival_rate_effect(0.588, 0.119, transform="cloglog")
    assert cll.yi == approx(math.log(-math.log(0.588)))
    assert cll.vi == approx(0.119**2 / (0.588 * math.log(0.588)) ** 2)
    assert cll.estimate == approx(0.588)


@pytest.mark.parametrize(("rate", "se", "match"), [(58.8, 0.119, "0-1 scale"), (0.5, 0, "> 0")])
def test_survival_rate_impossible(rate, se, match):
    with pytest.raises(EffectSizeError, match=match):
        survival_rate_effect(rate, se)


# --- result objects ------------------------------------------------------------------------------


def test_result_objects_display():
    res = log_ratio_from_ci(0.52, 0.31, 0.87)
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["yi", "vi", "sei", "measure"]
    assert "ci_lower_95" in frame.columns
    assert "<table" in res._repr_html_() and "HR 0.52" in repr(res)
    with pytest.raises(AttributeError):
        res.yi = 0.0  # frozen
    ne = NotEstimable("no SE", "HR")
    assert ne.to_frame().loc[0, "not_estimable_reason"] == "no SE"
    assert issubclass(EffectSizeError, EvsynthError)
    with pytest.raises(EffectSizeError):
        EffectSize(yi=0.1, vi=float("nan"), measure="HR", method="x")
    with pytest.raises(EffectSizeError):
        EffectSize(yi=0.1, vi=-0.2, measure="HR", method="x")


# --- effect_sizes on an evidence-table slice -----------------------------------------------------


def _evidence() -> pd.DataFrame:
    nan = np.nan
    rows = [
        # row_id, measure, estimate, lo, hi, level, p, op, test, outcome, ei, ni, ec, nc, se
        ("r1", "HR", 0.52, 0.31, 0.87, 0.95, nan, "", "Cox", "OS", nan, nan, nan, nan, nan),
        ("r2", "HR", 1.18, nan, nan, nan, 0.71, "=", "Cox", "PFS", nan, nan, nan, nan, nan),
        ("r3", "counts", nan, nan, nan, nan, nan, "", "", "CR", 12, 40, 10, 38, nan),
        ("r4", "p_only", nan, nan, nan, nan, 0.03, "=", "log-rank", "OS", nan, nan, nan, nan, nan),
        ("r5", "p_only", nan, nan, nan, nan, 0.03, "=", "log-rank", "OS", 15, 30, 25, 50, nan),
        ("r6", "proportion", nan, nan, nan, nan, nan, "", "", "CR", 53, 55, nan, nan, nan),
        ("r7", "survival_rate", 0.588, nan, nan, nan, nan, "", "", "OS", nan, nan, nan, nan, 0.119),
        ("r8", "OR", 2.3, 1.1, 4.8, 0.90, nan, "", "", "CR", nan, nan, nan, nan, nan),
        ("r9", "HR", 0.7, nan, nan, nan, nan, "", "", "OS", nan, nan, nan, nan, nan),
    ]
    cols = [
        "row_id",
        "measure",
        "estimate",
        "ci_lower",
        "ci_upper",
        "ci_level",
        "p_value",
        "p_operator",
        "test",
        "outcome",
        "events_int",
        "total_int",
        "events_ctl",
        "total_ctl",
        "rate_se",
    ]
    return pd.DataFrame(rows, columns=cols, index=[10, 11, 12, 13, 14, 15, 16, 17, 18])


def test_effect_sizes_rules_by_measure():
    ev = _evidence()
    out = effect_sizes(ev, directions={"r5": "lower"})
    assert list(out.index) == list(ev.index)
    assert list(out["row_id"]) == list(ev["row_id"])
    assert list(out.columns) == [
        "row_id",
        "yi",
        "vi",
        "sei",
        "measure_analysis",
        "method",
        "not_estimable_reason",
        "notes",
    ]
    by = out.set_index("row_id")
    assert by.loc["r1", "yi"] == approx(math.log(0.52))
    assert by.loc["r1", "measure_analysis"] == "logHR"
    assert "CI" in by.loc["r1", "method"]
    assert "p-value" in by.loc["r2", "method"]
    assert by.loc["r3", "measure_analysis"] == "logOR"
    assert by.loc["r3", "yi"] == approx(math.log(1.2))
    assert by.loc["r4", "not_estimable_reason"].startswith("p-value only")
    assert np.isnan(by.loc["r4", "yi"])
    # r5: Parmar with 40 events, arms 30/50, intervention lower -> the hand calculation above
    assert by.loc["r5", "yi"] == approx(-2.1700903775845606 / math.sqrt(9.375))
    assert by.loc["r6", "measure_analysis"] == "PLO"
    assert by.loc["r6", "yi"] == approx(math.log(53 / 2))
    assert by.loc["r7", "yi"] == approx(math.log(0.588 / 0.412))
    assert by.loc["r8", "sei"] == approx((math.log(4.8) - math.log(1.1)) / (2 * 1.6448536269514722))
    assert "without a CI or p-value" in by.loc["r9", "not_estimable_reason"]
    estimable = by["not_estimable_reason"] == ""
    assert by.loc[estimable, "yi"].notna().all() and by.loc[~estimable, "yi"].isna().all()


def test_effect_sizes_p_only_without_events_gives_brief_reason():
    out = effect_sizes(_evidence().iloc[[3]])
    assert out["not_estimable_reason"].iloc[0] == (
        "p-value only: the log-rank p gives |z| but not the direction and not the variance "
        "without event counts"
    )


def test_effect_sizes_counts_measure_rd():
    out = effect_sizes(_evidence().iloc[[2]], counts_measure="RD")
    assert out["yi"].iloc[0] == approx(12 / 40 - 10 / 38)
    assert out["measure_analysis"].iloc[0] == "RD"


def test_effect_sizes_impossible_row_raises_naming_row():
    ev = _evidence()
    ev.loc[10, "ci_lower"] = 0.95  # lower > upper
    with pytest.raises(EffectSizeError, match=r"row 'r1'.*ci_lower=0.95"):
        effect_sizes(ev)
    out = effect_sizes(ev, errors="not_estimable")
    assert out.loc[10, "not_estimable_reason"].startswith("impossible input")


def test_effect_sizes_estimate_outside_ci_warns():
    ev = _evidence().iloc[[0]].copy()
    ev["estimate"] = 0.9
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = effect_sizes(ev)
    assert any(issubclass(w.category, EffectSizeWarning) for w in caught)
    assert "outside" in out["notes"].iloc[0]


def test_top_level_exports():
    assert evsynth.effect_sizes is effect_sizes
    assert evsynth.log_ratio_from_ci is log_ratio_from_ci


# --- property: a symmetric (on the log scale) Wald CI is reproduced exactly -------------------


@given(
    yi=st.floats(min_value=-3, max_value=3),
    sei=st.floats(min_value=0.01, max_value=2),
    level=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_ci_round_trip(yi, sei, level):
    """Build lb/ub = exp(yi -/+ z sei); log_ratio_from_ci must return the same yi and sei, and
    log_ratio_from_p with the Wald p = 2 (1 - Phi(|yi|/sei)) must return the same sei."""
    z = stats.norm.isf((1 - level) / 2)
    res = log_ratio_from_ci(
        math.exp(yi), math.exp(yi - z * sei), math.exp(yi + z * sei), level=level
    )
    assert res.yi == pytest.approx(yi, abs=ZERO_ATOL)
    assert res.sei == pytest.approx(sei, rel=CLOSED_FORM_RTOL)
    p = 2 * stats.norm.sf(abs(yi) / sei)
    if abs(yi) > 1e-3 and 1e-300 < p < 1:
        assert log_ratio_from_p(math.exp(yi), p).sei == pytest.approx(sei, rel=CLOSED_FORM_RTOL)
