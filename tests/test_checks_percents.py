"""Percentage / count consistency (evsynth.checks.percents) on text and tables written here."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.checks import check_documents
from evsynth.checks.numbers import Reported
from evsynth.checks.percents import implied_denominators, sample_size
from tests.test_checks_support import findings_of, make_doc


def _run(text, tables=()):
    return check_documents([make_doc(text, tables)])


def _half_up(x: float, dec: int) -> str:
    q = 10**dec
    return f"{int(x * q + 0.5 + 1e-9) / q:.{dec}f}"


def test_explicit_fraction_mismatch_is_an_error():
    # 16/17 = 94.12%, not 96.12%
    f = _run("Within 28 days, 96.12% (16/17) of patients had anemia.")
    row = findings_of(f, "percent", "error")
    assert row["source_quote"].tolist() == ["96.12% (16/17)"]
    assert "94.12" in row.iloc[0]["message"]


def test_fraction_then_percent_mismatch_is_an_error():
    # 5/8 = 62.50%
    f = _run("A response was seen in 5/8 (71.43%) of the children.")
    assert findings_of(f, "percent", "error").shape[0] == 1


def test_sentence_denominator_mismatch_is_an_error_and_match_is_clean():
    # 12/80 = 15.0%, so 15.3% is wrong; 15.0% is right
    assert (
        findings_of(_run("Among the 80 patients, 12 (15.3%) relapsed."), "percent", "error").shape[
            0
        ]
        == 1
    )
    assert _run("Among the 80 patients, 12 (15.0%) relapsed.").empty


def test_percentage_no_subset_can_give_is_an_error():
    # 16 of at most 93 patients is at least 17.2%; 5.3% would need about 302 patients
    text = (
        "Ninety-three patients were enrolled in this study. Among the enrolled patients, "
        "16 (5.3%) experienced ICANS."
    )
    row = findings_of(_run(text), "percent", "error")
    assert row["source_quote"].tolist() == ["16 (5.3%)"]
    assert "n = 300-304" in row.iloc[0]["message"]


def test_subgroup_percentage_without_certain_denominator_is_not_flagged():
    # 2 (4.5%) implies n = 44, a possible subset of the 93 patients: no finding
    assert _run("Ninety-three patients were enrolled. ICANS occurred in two patients (4.5%).").empty


def test_truncation_only_is_a_warning():
    # 45/93 = 48.387% -> 48.4% when rounded; 48.3% only when truncated
    f = _run("Among the 93 patients, 45 (48.3%) received tocilizumab.")
    row = findings_of(f, "percent", "warning")
    assert "truncation" in row.iloc[0]["message"]


def test_half_even_and_half_up_both_accepted():
    # 1/8 = 12.5%: '12%' (half-even) and '13%' (half-up) are both correct roundings
    assert _run("Of the 8 patients, 1 (12%) died.").empty
    assert _run("Of the 8 patients, 1 (13%) died.").empty


def test_percentage_above_100_is_impossible():
    f = _run("Complete response was seen in 101.5% (41/40) of patients.")
    assert findings_of(f, "impossible", "error").shape[0] == 1


def test_implied_denominators_hand_calculation():
    # 16 / n in [5.25%, 5.35%] <=> n in [299.07, 304.76] -> 300..304
    assert implied_denominators(16, Reported.parse("5.3")) == (300, 304)
    assert implied_denominators(38, Reported.parse("84.8")) is None  # 38/45 = 84.44, 38/44 = 86.36


def test_sample_size_is_the_largest_stated():
    doc = make_doc(
        "We enrolled 93 patients. A total of 61 patients were screened; 45 patients were included."
    )
    assert sample_size(doc) == 93


TABLE1 = {
    "label": "Table 1",
    "caption": "Baseline characteristics",
    "header": ["Characteristic", "N=120"],
    "rows": [
        ["#Gender, n (%)", ""],
        ["Male", "81 (67.50)"],
        ["Female", "39 (32.50)"],
        ["#Relapse locations, n (%)", ""],
        ["BM", "93 (80.87)"],
        ["BM+CNS", "8 (6.96)"],
        ["CNS", "14 (12.17)"],
        ["#Blasts, n (%)", ""],
        ["≥25% and <50%", "17 (14.16)"],  # truncated: 14.1667 -> 14.17
        ["<25%", "103 (85.83)"],
    ],
}


def test_table_header_and_block_total_denominators():
    f = _run("Results.", (TABLE1,))
    # relapse locations use their own total (93 + 8 + 14 = 115): a note, not an error
    info = findings_of(f, "percent", "info")
    assert len(info) == 1 and "n = 115" in info.iloc[0]["message"]
    warn = findings_of(f, "percent", "warning")
    assert warn["source_quote"].tolist() == ["17 (14.16)"]
    assert findings_of(f, severity="error").empty


def test_table_cell_that_fits_no_denominator_is_flagged():
    table = {
        "label": "Table 2",
        "caption": "Patients",
        "header": ["", "Total (n = 109)"],
        "rows": [["#Previous treatments", ""], ["HSCT (%)", "60 (56.07)"]],
    }
    f = _run("Results.", (table,))
    row = findings_of(f, "percent", "warning")
    assert "n = 107" in row.iloc[0]["message"]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(2, 400),
    frac=st.floats(0.0, 1.0),
    dec=st.integers(0, 2),
    form=st.sampled_from(["fraction", "among", "table"]),
)
def test_correct_percentages_are_never_flagged(n, frac, dec, form):
    """False alarms: k of n printed with 0-2 decimals, rounded half-up, in three layouts."""
    k = round(frac * n)
    pct = _half_up(100 * k / n, dec)
    if form == "fraction":
        f = _run(f"A response was seen in {pct}% ({k}/{n}) of the patients.")
    elif form == "among":
        f = _run(f"Among the {n} patients, {k} ({pct}%) responded.")
    else:
        f = _run(
            "Results.",
            (
                {
                    "label": "Table 1",
                    "caption": "",
                    "header": ["", f"N = {n}"],
                    "rows": [["Responders, n (%)", f"{k} ({pct})"]],
                },
            ),
        )
    assert f.empty, (k, n, pct, form)


def test_group_size_in_the_sentence_is_a_denominator():
    # 12/80 = 15.0%
    assert _run("In the TCZ group (n = 80), 12 (15.0%) relapsed.").empty
    # 15.8% fits 12/76 (a subset with data?): warning; 15.3% fits no denominator at all: error
    f = _run("In the TCZ group (n = 80), 12 (15.8%) relapsed.")
    assert findings_of(f, "percent", "warning")["source_quote"].tolist() == ["12 (15.8%)"]
    f = _run("In the TCZ group (n = 80), 12 (15.3%) relapsed.")
    assert findings_of(f, "percent", "error")["source_quote"].tolist() == ["12 (15.3%)"]
    # two group sizes in one sentence: ambiguous, not used
    assert _run(
        "The TCZ group (n = 80) and the control group (n = 40) had 12 (30.0%) and "
        "10 (12.5%) relapses, respectively."
    ).empty
