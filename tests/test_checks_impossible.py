"""Impossible values, breakdowns, duplicates and study-level findings (evsynth.checks)."""

from __future__ import annotations

import pandas as pd

from evsynth.checks import check_documents
from evsynth.checks.duplicates import check_evidence_duplicates, check_studies
from tests.test_checks_support import findings_of, make_doc


def test_p_above_one_and_p_zero():
    f = check_documents([make_doc("The difference was large (p = 1.20). Another was p = 0.000.")])
    assert findings_of(f, "impossible", "error")["source_quote"].tolist() == ["p = 1.20"]
    assert findings_of(f, "impossible", "warning")["source_quote"].tolist() == ["p = 0.000"]


def test_adjusted_p_column_above_one():
    table = {
        "label": "Table 2",
        "caption": "#, Bonferroni-adjusted P-value.",
        "header": ["Characteristic", "P", "P [#]"],
        "rows": [["Male", "0.511", "5.11"], ["Age", "0.033", "0.33"]],
    }
    f = check_documents([make_doc("Results.", (table,))])
    row = findings_of(f, "impossible", "error")
    assert row["source_quote"].tolist() == ["5.11"]
    assert "capped at 1" in row.iloc[0]["message"]


PARTITION = {
    "label": "Table 2",
    "caption": "Patient demographics",
    "header": ["", "Total (n = 109)", "PHT group (n = 86)", "Non-PHT group (n = 23)"],
    "rows": [
        ["#Sex", "", "", ""],
        ["Male (%)", "57 (52.29)", "46 (53.49)", "11 (47.83)"],
        ["Female (%)", "50 (45.87)", "40 (46.51)", "12 (52.17)"],  # 40 + 12 = 52 > 50
        ["CNS (%)", "10 (9.17)", "9 (10.47)", "1 (4.35)"],
    ],
}


def test_groups_that_add_up_to_more_than_the_total():
    f = check_documents([make_doc("Results.", (PARTITION,))])
    row = findings_of(f, "breakdown", "error")
    assert len(row) == 1
    assert row.iloc[0]["source_quote"] == "50 (45.87)\t40 (46.51)\t12 (52.17)"
    assert "= 52" in row.iloc[0]["message"]


def test_exclusive_rows_exceeding_the_column_n():
    table = {
        "label": "Table 1",
        "caption": "",
        "header": ["", "N = 50"],
        "rows": [["#Sex", ""], ["Male", "30 (60.0)"], ["Female", "25 (50.0)"]],
    }
    f = check_documents([make_doc("Results.", (table,))])
    assert findings_of(f, "breakdown", "error").shape[0] == 1


def test_group_size_reported_twice():
    text = (
        "The low-dose GC group (n = 45) had longer PFS than the non-GC group (n = 49, "
        "p = 0.028). PFS was better in the low-dose GC group (n = 46) than in the non-GC "
        "group (n = 49). In the GC group (n = 55), the CRR was high. The GC group (n = 61) "
        "had cytokines measured."
    )
    f = check_documents([make_doc(text)])
    warn = findings_of(f, "group_size", "warning")
    assert warn["source_quote"].tolist() == ["low-dose GC group (n = 45)"]
    assert findings_of(f, "group_size", "info")["source_quote"].tolist() == ["GC group (n = 55)"]


def test_rate_in_text_differs_from_table():
    table = {
        "label": "Table 2",
        "caption": "CRS and ICANS",
        "header": ["Characteristic", "N (%)"],
        "rows": [["CRS resolution rate", "95.45%"], ["ICANS resolution rate", "93.56%"]],
    }
    text = "The overall response rates were 93.45% for CRS and 93.56% for ICANS (Table 2)."
    f = check_documents([make_doc(text, (table,))])
    assert findings_of(f, "duplicate", "warning")["source_quote"].tolist() == ["93.45% for CRS"]


def test_count_with_two_percentages_text_vs_table():
    table = {
        "label": "Table 2",
        "caption": "Baseline",
        "header": ["Characteristic", "Total (N = 45)"],
        "rows": [
            ["High-risk phenotype or genotypes, No. (%)", "38 (84.4)"],
            ["ICANS, No. (%)", "2 (4.4)"],
        ],
    }
    text = (
        "Of the total 45 patients, 84.4% (38/45) were high-risk phenotype or genotypes. "
        "ICANS occurred in two patients (4.5%)."
    )
    f = check_documents([make_doc(text, (table,))])
    assert findings_of(f, "duplicate")["source_quote"].tolist() == ["two patients (4.5%)"]


def _ev(**kw):
    base = dict(
        study_id="s2025",
        report="a.txt",
        intervention="glucocorticoid",
        intervention_detail="low-dose GC (≤ 8 mg/kg)",
        outcome="PFS",
        measure="HR",
        analysis="multivariable",
        estimate=0.45,
        ci_lower=0.21,
        ci_upper=0.96,
        timepoint="",
        source_start=0,
        source_end=10,
        source_quote="HR 0.45 (0.21-0.96)",
        section="abstract",
        table="",
    )
    base.update(kw)
    return base


def test_same_result_with_different_numbers_across_reports():
    ev = pd.DataFrame(
        [
            _ev(),
            _ev(
                report="b.txt",
                estimate=0.37,
                ci_lower=0.16,
                ci_upper=0.84,
                section="results",
                intervention_detail="≤8 mg/kg",
                source_quote="HR = 0.37; 95% CI 0.16-0.84",
            ),
            _ev(
                report="b.txt",
                intervention_detail=">8 mg/kg",
                estimate=1.9,
                ci_lower=0.9,
                ci_upper=4.0,
            ),  # another dose: not the same result
        ]
    )
    f = check_evidence_duplicates(ev)
    assert sorted(x.report for x in f) == ["a.txt", "b.txt"]
    assert all("0.45" in x.message and "0.37" in x.message for x in f)


def test_studies_duplicates_and_overlaps():
    studies = pd.DataFrame(
        [
            dict(
                study_id="a2025",
                reports="x.txt;y.txt",
                duplicate_of="x.txt duplicates y.txt",
                overlap_flag="",
                registrations="",
                centre="",
                enrolment="",
            ),
            dict(
                study_id="b2023",
                reports="z.txt",
                duplicate_of="",
                overlap_flag="possible overlap with c2025: shares centre H",
                registrations="NCT01",
                centre="H",
                enrolment="2019-2022",
            ),
        ]
    )
    f = check_studies(studies)
    assert [(x.check, x.report) for x in f] == [("same_study", "x.txt"), ("overlap", "z.txt")]
    assert "c2025" in f[1].message


def test_same_result_with_two_p_values():
    ev = pd.DataFrame(
        [
            _ev(report="b.txt", estimate=0.37, ci_lower=0.16, ci_upper=0.84, p_value=0.017),
            _ev(
                report="b.txt",
                estimate=0.37,
                ci_lower=0.16,
                ci_upper=0.84,
                p_value=0.17,
                table="Table 5",
            ),
        ]
    )
    f = check_evidence_duplicates(ev)
    assert len(f) == 1 and "p = 0.17 in b.txt Table 5" in f[0].message
