"""Extraction rules on sentences and tables written for these tests, in styles the five bundled
papers do not use, and near-misses that must produce no rows.

Every expected value below is read off the test sentence itself (the "hand calculation" of an
extractor is reading the number that is written).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from evsynth.errors import ExtractionError
from evsynth.extraction import extract_document
from evsynth.extraction.labels import find_interventions, find_outcomes, using_vocabulary
from evsynth.extraction.patterns import find_p_values, find_ratio_estimates
from evsynth.reading.document import Document, Table, TableCell
from evsynth.reading.reader import read_string
from tests.bundled_protocol import BUNDLED
from tests.test_extract_gold import check_quotes


def rows_of(text: str) -> pd.DataFrame:
    doc = read_string(text, "case.txt")
    frame = extract_document(doc, BUNDLED)
    assert check_quotes(doc.original, frame) == []
    return frame


def one(text: str) -> pd.Series:
    frame = rows_of(text)
    assert len(frame) == 1, frame[["measure", "estimate", "p_value", "source_quote"]].to_string()
    return frame.iloc[0]


# ---------------------------------------------------------------- ratio estimates in prose
@pytest.mark.parametrize(
    ("sentence", "measure", "est", "lo", "hi", "level", "p", "analysis"),
    [
        (
            "Overall survival was longer with treatment (HR 0.62 [95% CI 0.41 to 0.93]).",
            "HR",
            0.62,
            0.41,
            0.93,
            0.95,
            None,
            "",
        ),
        (
            "Early relapse was more likely after steroids (aHR, 1.8 (1.1-2.9)).",
            "HR",
            1.8,
            1.1,
            2.9,
            0.95,
            None,
            "multivariable",
        ),
        (
            "Response was associated with age (OR = 2.3, 95%CI: 1.2-4.4).",
            "OR",
            2.3,
            1.2,
            4.4,
            0.95,
            None,
            "",
        ),
        (
            "Death was less frequent (hazard ratio for death, 0.71; 95% confidence interval, 0.55 to 0.92; P=0.009).",
            "HR",
            0.71,
            0.55,
            0.92,
            0.95,
            0.009,
            "",
        ),
        (
            "Relapse was reduced in the intervention arm (RR 0.80 (0.70, 0.91)).",
            "RR",
            0.80,
            0.70,
            0.91,
            0.95,
            None,
            "",
        ),
        (
            "Progression was delayed (hazard ratio 0·62 (0·41 to 0·93)).",
            "HR",
            0.62,
            0.41,
            0.93,
            0.95,
            None,
            "",
        ),
        (
            "In the adjusted model, the odds ratio was 1.5 (90% CI 1.1-2.0; p < 0.01).",
            "OR",
            1.5,
            1.1,
            2.0,
            0.90,
            0.01,
            "multivariable",
        ),
        (
            "On univariable Cox analysis, the HR was 1.31 (99% CI, 1.02–1.68), p = 0.04.",
            "HR",
            1.31,
            1.02,
            1.68,
            0.99,
            0.04,
            "univariable",
        ),
        (
            "Dexamethasone use carried a risk ratio of 1.25 (95% CI 1.05 to 1.49).",
            "RR",
            1.25,
            1.05,
            1.49,
            0.95,
            None,
            "",
        ),
        (
            "The hazard ratio for disease progression or death was 0.58 (95% confidence interval [CI], 0.46 to 0.73; P<0.001).",
            "HR",
            0.58,
            0.46,
            0.73,
            0.95,
            0.001,
            "",
        ),
        (
            "Mortality was lower (HR, 0.62; 95% CI, 0.41-0.93).",
            "HR",
            0.62,
            0.41,
            0.93,
            0.95,
            None,
            "",
        ),
        (
            "Relapse was less frequent (HR 0·62, 95% CI 0·41–0·93; p=0·0021).",
            "HR",
            0.62,
            0.41,
            0.93,
            0.95,
            0.0021,
            "",
        ),
        (
            "Risk of CRS was higher (adjusted HR [aHR] 1.62, 95% CI 1.11-2.37).",
            "HR",
            1.62,
            1.11,
            2.37,
            0.95,
            None,
            "multivariable",
        ),
        (
            "Response was associated with dose (OR: 1.5; 95% CI: 1.1-2.0; P = 0.02).",
            "OR",
            1.5,
            1.1,
            2.0,
            0.95,
            0.02,
            "",
        ),
    ],
)
def test_ratio_styles(sentence, measure, est, lo, hi, level, p, analysis):
    r = one(sentence)
    assert (r["measure"], r["estimate"], r["ci_lower"], r["ci_upper"]) == (measure, est, lo, hi)
    assert r["ci_level"] == level
    assert math.isnan(r["p_value"]) if p is None else r["p_value"] == p
    assert r["analysis"] == analysis


def test_middle_dot_and_en_dash_stay_in_the_quote():
    r = one("Progression was delayed (hazard ratio 0·62 (0·41 to 0·93)).")
    assert "0·62 (0·41 to 0·93)" in r["source_quote"]
    r = one("Survival was better (HR = 0.45; 95% CI, 0.21–0.96).")
    assert "0.21–0.96" in r["source_quote"]


def test_plural_estimates_map_to_outcomes_respectively():
    f = rows_of(
        "Treatment with dexamethasone was associated with worse OS and EFS, with hazard ratios of "
        "2.10 (95% CI 1.20-3.70, p = 0.01) and 1.60 (95% CI 1.05-2.45, p = 0.03), respectively."
    )
    assert list(f["outcome"]) == ["OS", "EFS"]
    assert list(f["estimate"]) == [2.10, 1.60]
    assert list(f["p_value"]) == [0.01, 0.03]
    assert set(f["intervention"]) == {"glucocorticoid"}


def test_covariate_results_are_kept_with_empty_intervention():
    f = rows_of(
        "In multivariate Cox analysis for relapse-free survival, male sex (HR = 1.90; 95% CI "
        "1.10-3.30; p = 0.02) and tocilizumab exposure (HR = 0.95; 95% CI 0.60-1.50; p = 0.83) were examined."
    )
    assert list(f["intervention"]) == ["", "tocilizumab"]
    assert f.iloc[0]["intervention_as_reported"].endswith("male sex")
    assert set(f["outcome"]) == {"RFS"} and set(f["analysis"]) == {"multivariable"}
    assert set(f["test"]) == {"Cox"}


# ---------------------------------------------------------------- labels
@pytest.mark.parametrize(
    ("phrase", "name", "negated"),
    [
        ("methylprednisolone", "glucocorticoid", False),
        ("prednisolone", "glucocorticoid", False),
        ("Dexamethasone", "glucocorticoid", False),
        ("GCs", "glucocorticoid", False),
        ("corticosteroids", "glucocorticoid", False),
        ("non-steroid group", "glucocorticoid", True),
        ("patients who did not receive glucocorticoids", "glucocorticoid", True),
        ("TCZ", "tocilizumab", False),
        ("the nontocilizumab group", "tocilizumab", True),
        ("toci group", "tocilizumab", False),
        ("RUX", "ruxolitinib", False),
    ],
)
def test_intervention_vocabulary(phrase, name, negated):
    with using_vocabulary(BUNDLED.vocabulary()):
        found = find_interventions(phrase)
    assert (found[0][0], found[0][2]) == (name, negated)


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("leukaemia-free survival", "LFS"),
        ("leukemia free survival", "LFS"),
        ("event-free survival", "EFS"),
        ("progression free survival", "PFS"),
        ("MRD-negative complete remission", "MRD-negative CR"),
        ("MRD-CR", "MRD-negative CR"),
        ("complete remission", "CR"),
        ("overall survival", "OS"),
        ("relapse-free survival", "RFS"),
    ],
)
def test_outcome_vocabulary(phrase, code):
    with using_vocabulary(BUNDLED.vocabulary()):
        assert find_outcomes(phrase)[0][0] == code


def test_no_outcome_inside_other_words():
    with using_vocabulary(BUNDLED.vocabulary()):
        found = find_outcomes("grade 3 CRS and ICANS; CR or PR; the OR department")
    assert found == (("CR", "CR", 23),)


# ---------------------------------------------------------------- counts per arm
def test_counts_pair_arms_across_sentences():
    r = one(
        "In the dexamethasone group (n = 30), the CR rate was 80.0% (24/30). In the non-dexamethasone "
        "group (n = 50), the CR rate was 90.0% (45/50)."
    )
    assert r["measure"] == "counts" and r["intervention"] == "glucocorticoid"
    assert (r["events_int"], r["total_int"], r["events_ctl"], r["total_ctl"]) == (24, 30, 45, 50)
    assert r["comparator"] == "no glucocorticoid" and r["outcome"] == "CR"


def test_counts_recover_denominators_from_elsewhere():
    text = (
        "Sixteen patients formed the cohort; TCZ (N = 16) and Non-TCZ (N = 30) groups were compared.\n\n"
        "Results\n\n75.00% (n=12) of the TCZ group and 60.00% (n=18) of the non-TCZ group achieved CR."
    )
    r = rows_of(text)
    r = r[r["measure"] == "counts"].iloc[0]
    assert (r["events_int"], r["total_int"], r["events_ctl"], r["total_ctl"]) == (12, 16, 18, 30)
    assert "TCZ (N = 16)" in r["notes"] and "Non-TCZ (N = 30)" in r["notes"]


def test_counts_row_is_kept_when_denominator_is_unknown():
    r = one(
        "Complete remission occurred in 37.5% (n=6) of the TCZ group and in 20% (n=3) of the non-TCZ group."
    )
    assert r["measure"] == "counts" and (r["events_int"], r["events_ctl"]) == (6, 3)
    # 6/16 = 37.5% and 3/15 = 20% are the smallest totals that reproduce the percentages
    assert (r["total_int"], r["total_ctl"]) == (16, 15)
    assert "derived" in r["notes"]


# ---------------------------------------------------------------- p-only comparisons
def test_p_only_for_each_outcome():
    f = rows_of(
        "Compared with the non-dexamethasone group, OS and EFS of the dexamethasone group were not "
        "different (P = 0.41 for OS and 0.12 for EFS)."
    )
    assert list(zip(f["outcome"], f["p_value"], strict=True)) == [("OS", 0.41), ("EFS", 0.12)]
    assert set(f["measure"]) == {"p_only"} and set(f["intervention"]) == {"glucocorticoid"}
    assert set(f["comparator"]) == {"no glucocorticoid"}


def test_p_only_respectively_and_group_sizes():
    f = rows_of(
        "The steroid group (n = 20) and the non-steroid group (n = 25) had similar CR and MRD-negative CR "
        "rates (p = 0.52 and 0.33, respectively)."
    )
    assert list(zip(f["outcome"], f["p_value"], strict=True)) == [
        ("CR", 0.52),
        ("MRD-negative CR", 0.33),
    ]
    assert list(f["total_int"]) == [20, 20] and list(f["total_ctl"]) == [25, 25]


def test_p_only_operator():
    r = one(
        "Event-free survival was longer with tocilizumab than without tocilizumab (log-rank p < 0.001)."
    )
    assert (r["outcome"], r["p_operator"], r["p_value"], r["test"]) == (
        "EFS",
        "<",
        0.001,
        "log-rank",
    )


# ---------------------------------------------------------------- single-arm rates
def test_single_arm_proportion_with_denominator_from_context():
    r = one("Forty patients were infused. Of the 40 patients, 30 (75.0%) achieved CR at day 28.")
    assert (r["measure"], r["events_int"], r["total_int"], r["timepoint"]) == (
        "proportion",
        30,
        40,
        "day 28",
    )
    assert r["estimate"] == 0.75


def test_landmark_survival_rates_with_se():
    f = rows_of("Two-year OS and EFS rates were 61.5% (±8.2%) and 48.0% (±9.1%), respectively.")
    assert list(f["outcome"]) == ["OS", "EFS"]
    assert list(f["estimate"]) == [0.615, 0.48] and list(f["rate_se"]) == [0.082, 0.091]
    assert set(f["timepoint"]) == {"2 years"} and set(f["measure"]) == {"survival_rate"}


def test_survival_rates_over_several_timepoints():
    f = rows_of(
        "The PFS rates at 1, 2, and 3 years were 70.1% ± 5.0%, 60.2% ± 6.1%, and 55.3% ± 6.9%, respectively."
    )
    assert list(f["timepoint"]) == ["1 year", "2 years", "3 years"]
    assert list(f["estimate"]) == [0.701, 0.602, 0.553]


# ---------------------------------------------------------------- near-misses: no rows
@pytest.mark.parametrize(
    "text",
    [
        "At the cutoff, the median follow-up time was 38.3 months (95% CI, 26.6-50.0 months).",
        "The median age of the patients was 8.0 years (range, 2.2-18.0 years).",
        "Median age (range), years\t36 (8-67)\t42 (14-67)\t32 (8-61)\t0.033",
        "Ninety-two (76.67%) received CD19+CD22 CAR T-cells.",
        "The median infusion dose of CAR T-cells was 6.5 × 10^6/kg.",
        "This work was supported by Sci&Tech Program (Grant No. SY202220) and (BK20190985).",
        "A p < 0.05 was considered to indicate a statistically significant difference.",
        "Following CAR T-cell therapy, 91.67% (110/120) of patients developed CRS.",
        "Patients received 0.5 mg/kg/day of prednisone from 1 March 2023 to 2 May 2023.",
        "The OR department treated 12 (8-16) patients per day.",
        "Patients with grade 3 CRS or ICANS had higher IL-6 levels (p < 0.001).",
        "Heterogeneity was low (I2 = 0%, P = 0.79), so a fixed-effect model was used.",
    ],
)
def test_near_misses_give_no_rows(text):
    assert rows_of(text).empty


def test_reference_list_gives_no_rows():
    text = (
        "Results\n\nNothing here.\n\nReferences\n\n"
        "3. Davila ML, Riviere I, Wang X, et al. Hazard ratio 0.52 (0.30-0.90) in B-ALL. "
        "Sci Transl Med. (2014) 6:224ra25. doi: 10.1126/scitranslmed.3008226\n"
    )
    assert rows_of(text).empty


def test_citation_line_outside_references_gives_no_rows():
    text = "15. Strati P, Ahmed S, et al. Corticosteroids (HR 1.2, 95% CI 0.8-1.9). Blood. (2021) 137:3272-6.\n"
    assert rows_of(text).empty


# ---------------------------------------------------------------- tables
def table_document(
    caption: str, grid: list[list[str]], col_groups: list[str], row_groups: list[str]
) -> Document:
    """A one-table document: ``grid[0]`` is the header row, the first column holds row labels."""
    lines = [caption]
    cells = []
    pos = len(caption) + 1
    header = grid[0]
    lines.append("\t".join(header))
    pos += len(lines[-1]) + 1
    for i, row in enumerate(grid[1:], start=1):
        line = "\t".join(row)
        start = pos
        col_pos = start + len(row[0]) + 1
        for j, text in enumerate(row[1:], start=1):
            if text:
                cells.append(
                    TableCell(
                        i,
                        j,
                        text,
                        row[0],
                        row_groups[i - 1],
                        header[j],
                        col_groups[j],
                        col_pos,
                        col_pos + len(text),
                    )
                )
            col_pos += len(text) + 1
        lines.append(line)
        pos += len(line) + 1
    original = "\n".join(lines) + "\n"
    for c in cells:
        assert original[c.start : c.end] == c.text
    table = Table("Table 2", caption.split(" ", 2)[-1], tuple(cells), 0, len(original))
    return Document(
        "table.txt", "txt", original, original, np.arange(len(original) + 1), tables=(table,)
    )


def test_table_univariate_and_multivariate_columns():
    doc = table_document(
        "Table 2 Cox regression for relapse-free survival",
        [
            ["Variable", "P", "HR (95% CI)", "P", "HR (95% CI)"],
            ["0 mg/kg", "", "1.00 (Reference)", "", "1.00 (Reference)"],
            ["≤10 mg/kg", "0.040", "0.52 (0.28-0.97)", "0.021", "0.47 (0.25-0.89)"],
        ],
        ["", "Univariable", "Univariable", "Multivariable", "Multivariable"],
        ["Dexamethasone dose", "Dexamethasone dose"],
    )
    f = extract_document(doc, BUNDLED)
    assert check_quotes(doc.original, f) == []
    assert list(f["analysis"]) == ["univariable", "multivariable"]
    assert list(f["estimate"]) == [0.52, 0.47] and list(f["p_value"]) == [0.040, 0.021]
    assert set(f["intervention"]) == {"glucocorticoid"} and set(f["intervention_detail"]) == {
        "≤10 mg/kg"
    }
    assert set(f["comparator"]) == {"0 mg/kg (reference)"} and set(f["outcome"]) == {"RFS"}
    assert set(f["table"]) == {"Table 2"} and set(f["test"]) == {"Cox"}
    assert f.iloc[0]["source_quote"].startswith("≤10 mg/kg")


def test_table_separate_estimate_interval_and_p_columns():
    doc = table_document(
        "Table 2 Multivariable logistic regression",
        [["Factor", "OR", "95% CI", "P"], ["Received tocilizumab", "1.45", "0.80 - 2.63", "0.22"]],
        ["", "", "", ""],
        ["Complete remission"],
    )
    r = extract_document(doc, BUNDLED).iloc[0]
    assert (r["measure"], r["estimate"], r["ci_lower"], r["ci_upper"], r["p_value"]) == (
        "OR",
        1.45,
        0.80,
        2.63,
        0.22,
    )
    assert (r["intervention"], r["outcome"], r["analysis"], r["comparator"]) == (
        "tocilizumab",
        "CR",
        "multivariable",
        "no tocilizumab",
    )


def test_table_two_by_two_responders():
    doc = table_document(
        "Table 2 Response at day 28 by dexamethasone use",
        [
            ["Response", "Dexamethasone", "Non-dexamethasone"],
            ["CR", "18", "30"],
            ["NR", "2", "5"],
            ["P value", "", "0.71"],
        ],
        ["", "", ""],
        ["", "", ""],
    )
    r = extract_document(doc, BUNDLED).iloc[0]
    assert (r["measure"], r["intervention"], r["comparator"], r["outcome"]) == (
        "counts",
        "glucocorticoid",
        "no glucocorticoid",
        "CR",
    )
    # totals: responders + non-responders = 18 + 2 and 30 + 5
    assert (r["events_int"], r["total_int"], r["events_ctl"], r["total_ctl"], r["p_value"]) == (
        18,
        20,
        30,
        35,
        0.71,
    )


def test_baseline_table_gives_no_rows():
    doc = table_document(
        "Table 1 Baseline characteristics",
        [
            ["Characteristic", "Toci (N = 17)", "Non-toci (N = 28)", "P"],
            ["Median age (range)", "42 (14-67)", "32 (8-61)", "0.033"],
            ["Male, No. (%)", "8 (47.1)", "16 (57.1)", "0.511"],
        ],
        ["", "", "", ""],
        ["", ""],
    )
    assert extract_document(doc, BUNDLED).empty


def test_text_table_lines_under_a_ratio_header():
    text = (
        "Table 3. Pooled odds ratios by subgroup\n"
        "Subgroup n OR (95% CI) P OR (95% CI) P\n"
        "Europe 4 1.21 (1.02-1.44) 0.030 0.90 (0.70-1.16) 0.410\n"
        "Asia 3 1.05 (0.88-1.25) 0.590 1.33 (1.01-1.75) 0.041\n"
    )
    f = rows_of(text)
    assert list(f["estimate"]) == [1.21, 0.90, 1.05, 1.33]
    assert list(f["p_value"]) == [0.030, 0.410, 0.590, 0.041]
    assert list(f["intervention_as_reported"]) == ["Europe", "Europe", "Asia", "Asia"]


def test_prose_mentioning_a_ratio_header_is_not_a_table():
    text = (
        "For each study we computed the pooled OR (95% CI) with a random-effects model and report\n"
        "the median age 36 (8-67) and the median follow-up 14 (10-20) of the included trials.\n"
    )
    assert rows_of(text).empty


def test_text_table_ends_at_prose():
    text = (
        "Subgroup OR (95% CI) P\n"
        "Europe 1.21 (1.02-1.44) 0.030\n"
        "The patients were followed for a median of several years after the operation was done.\n"
        "Median age 36 (8-67) years\n"
    )
    f = rows_of(text)
    assert list(f["estimate"]) == [1.21]


# ---------------------------------------------------------------- patterns and errors
def test_patterns_give_offsets_into_the_text():
    text = "x (HR = 0.44, 95% CI 0.20-0.93) and p = 0.03"
    (e,) = find_ratio_estimates(text)
    assert text[e.est_start : e.est_start + 4] == "0.44" and text[e.start : e.end].endswith("0.93")
    ps = find_p_values(text)
    assert [(p.operator, p.value) for p in ps] == [("=", 0.03)]


def test_extract_document_rejects_non_documents():
    with pytest.raises(ExtractionError, match="needs a Document"):
        extract_document("paper.txt")  # type: ignore[arg-type]


def test_no_catastrophic_backtracking_on_unclosed_intervals():
    """200 KB of an interval that never closes: every pattern has bounded repetition, so this is
    linear. The bound is a guard against exponential blow-up (seconds vs hours), not a speed target."""
    text = "HR 0.5 (0.1" * 18_000
    t0 = time.perf_counter()
    frame = rows_of(text)
    assert frame.empty
    assert time.perf_counter() - t0 < 60
