"""Ratio / CI / p-value consistency (evsynth.checks.ratios) on sentences and tables written here."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.checks import check_documents
from evsynth.checks.numbers import Reported
from evsynth.checks.ratios import ASYMMETRY_SLACK, p_range_from_ci
from tests.test_checks_support import findings_of, make_doc
from tests.tolerances import CLOSED_FORM_RTOL


def _run(text, tables=()):
    return check_documents([make_doc(text, tables)])


def test_wald_p_from_ci_hand_calculation():
    """HR 2.78 (1.28-6.04): se = (ln 6.04 - ln 1.28) / (2 x 1.959964) = 0.395801,
    z = ln 2.78 / se = 2.58344, p = erfc(z / sqrt 2) = 0.009782 (Altman & Bland 2011)."""
    zc = 1.959963984540054
    se = (math.log(6.04) - math.log(1.28)) / (2 * zc)
    p_hand = math.erfc(abs(math.log(2.78)) / se / math.sqrt(2))
    assert math.isclose(p_hand, 0.009782, rel_tol=1e-3)
    p_min, p_max, p_point = p_range_from_ci(
        Reported.parse("2.78"), Reported.parse("1.28"), Reported.parse("6.04")
    )
    assert math.isclose(p_point, p_hand, rel_tol=CLOSED_FORM_RTOL)
    assert p_min < 0.0100 < p_max  # the reported p = 0.010 is reachable within rounding


def test_consistent_ratio_sentences_are_not_flagged():
    text = (
        "In the univariate analysis, sex (p = 0.026, HR = 2.07, 95% CI 1.09-3.93) met the "
        "criterion. Multivariate Cox analysis confirmed female sex (p = 0.010, HR = 2.78; 95% CI "
        "1.28-6.04). The hazard ratios (HRs) were 2.021 (95% CI: 0.653-6.256, p = 0.222) and "
        "0.785 (95% CI: 0.250-2.466, p = 0.678), respectively. Low-dose GC was protective "
        "(hazard ratio, 0.37; 95% confidence interval, 0.16-0.84; p < 0.05)."
    )
    assert _run(text).empty


def test_planted_p_that_flips_significance_is_an_error():
    f = _run("Sex was associated with PFS (HR = 2.07, 95% CI 1.09-3.93, p = 0.20).")
    row = findings_of(f, "ratio_p", "error")
    assert len(row) == 1
    assert row.iloc[0]["source_quote"] == "HR = 2.07, 95% CI 1.09-3.93, p = 0.20"
    assert "0.026" in row.iloc[0]["message"] or "0.0263" in row.iloc[0]["recomputed"]


def test_planted_p_off_beyond_rounding_but_same_side_is_a_warning():
    # true p for 2.07 (1.09-3.93) is 0.026 (0.025-0.028 within rounding); 0.035 is not reachable
    f = _run("Sex was associated with PFS (HR = 2.07, 95% CI 1.09-3.93, p = 0.035).")
    assert list(findings_of(f, "ratio_p")["severity"]) == ["warning"]


def test_p_within_rounding_is_not_flagged():
    # 0.027 is reachable: est 2.065, L 1.085, U 3.935 widen the se
    assert _run("HR = 2.07, 95% CI 1.09-3.93, p = 0.027.").empty


def test_operator_less_than_is_respected():
    assert findings_of(_run("HR = 0.37 (95% CI 0.16-0.84), p < 0.001."), "ratio_p").shape[0] == 1
    assert _run("HR = 0.37 (95% CI 0.16-0.84), p < 0.05.").empty


def test_estimate_outside_ci_and_reversed_bounds_are_errors():
    f = _run("The odds ratio was 1.50 (95% CI 0.60-1.40). The HR was 0.80 (95% CI 1.20-0.40).")
    assert list(f["check"]) == ["ratio_ci", "impossible"]
    assert set(f["severity"]) == {"error"}


def test_asymmetric_ci_beyond_rounding_is_a_warning():
    f = _run("The hazard ratio was 2.00 (95% CI 1.50-8.00).")
    row = findings_of(f, "ratio_ci", "warning")
    assert len(row) == 1
    # log distances: ln(2/1.5) = 0.288 below, ln(8/2) = 1.386 above
    assert "0.288" in row.iloc[0]["message"] and "1.386" in row.iloc[0]["message"]


def test_rounding_alone_never_triggers_asymmetry():
    # HR 0.10 (0.01-1.00): rounding 0.01 -> [0.005, 0.015] makes huge log-scale uncertainty
    assert _run("The hazard ratio was 0.10 (95% CI 0.01-1.00).").empty
    assert ASYMMETRY_SLACK > 0


@settings(max_examples=150, deadline=None)
@given(
    log_hr=st.floats(-2.0, 2.0),
    se=st.floats(0.05, 1.2),
    dec=st.sampled_from([2, 3]),
)
def test_correctly_rounded_reports_are_never_flagged(log_hr, se, dec):
    """False alarms: a ratio whose estimate, CI and p were computed exactly and then rounded
    (half-up, 2-3 decimals; p to 3 decimals or '< 0.001') must never be flagged."""
    from scipy.stats import norm

    est, lo, hi = (math.exp(log_hr + k * 1.959963984540054 * se) for k in (0, -1, 1))
    if lo < 10**-dec * 5 or hi > 999:
        return
    p = 2 * norm.sf(abs(log_hr) / se)
    ptxt = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    text = f"The HR was {est:.{dec}f} (95% CI {lo:.{dec}f}-{hi:.{dec}f}, {ptxt})."
    assert _run(text).empty, text


def test_table_ratios_with_grouped_p_columns():
    table = {
        "label": "Table 5",
        "caption": "Cox model for PFS",
        "header": ["Variables", "P", "HR (95%CI)", "P", "HR (95%CI)"],
        "groups": [
            "",
            "Univariate analysis",
            "Univariate analysis",
            "Multivariate analysis",
            "Multivariate analysis",
        ],
        "rows": [
            ["#Sex", "", "", "", ""],
            ["Female", "0.026", "2.07 (1.09-3.93)", "0.010", "2.78 (1.28-6.04)"],
            ["#GC dosage", "", "", "", ""],
            ["≤8 mg/kg", "0.032", "0.44 (0.20-0.93)", "0.170", "0.37 (0.16-0.84)"],  # planted
        ],
    }
    f = _run("Results.", (table,))
    assert list(f["check"]) == ["ratio_p"]
    assert f.iloc[0]["source_quote"] == "0.170\t0.37 (0.16-0.84)"


def test_table_ratios_with_separate_ci_column():
    table = {
        "label": "Table 2",
        "caption": "Multivariate Cox regression analysis",
        "header": ["Subgroup", "HR", "95% CI", "P"],
        "rows": [
            ["Received steroids", "0.547", "0.271 - 1.103", "0.092"],
            ["Received tocilizumab", "1.031", "0.512 - 2.076", "0.0932"],
        ],  # planted
    }
    f = _run("Results.", (table,))
    assert list(f["check"]) == ["ratio_p"]
    assert "1.031" in f.iloc[0]["source_quote"]
