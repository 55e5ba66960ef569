"""Continuous outcomes from the paper to the pooled result: arm means in tables and sentences,
reported mean differences, pooled against metafor (validation/metafor/continuous.R, part 5).

The three papers of tests/fixtures/continuous/ (written for these tests; PDFs rendered by
tests/make_continuous_pdfs.py) use one style each: a table of "mean (SD)" cells under arm
headers with "(n=...)"; a sentence "mean 5.2 (SD 1.1) in the X group versus 6.0 (SD 1.3) in the Y
group" with the arms' sizes stated earlier; a reported "MD −0.8, 95% CI −1.2 to −0.4".
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import evsynth
from evsynth.extraction import extract_document
from evsynth.protocol.loading import load_protocol
from evsynth.reading.reader import read_string
from tests.tolerances import METAFOR_ITERATIVE_RTOL, TAU2_BOUNDARY_ATOL

HERE = Path(__file__).parent
PAPERS = HERE / "fixtures" / "continuous"
PAIN = HERE / "fixtures" / "protocols" / "pain.yaml"
REF = json.loads(
    (HERE.parent / "validation" / "metafor" / "continuous.json").read_text(encoding="utf-8")
)["end_to_end"]
COLS = ["measure", "outcome", "mean_int", "sd_int", "total_int", "mean_ctl", "sd_ctl", "total_ctl"]


@pytest.fixture(scope="module", params=["txt", "pdf"])
def extracted(request):
    protocol = load_protocol(PAIN)
    table = evsynth.extract(
        sorted(PAPERS.glob(f"*.{request.param}")), protocol=protocol, progress=False
    )
    return table, evsynth.synthesize(table.evidence, table.studies, protocol=protocol)


def _row(ev, report_stem):
    rows = ev[ev["report"].str.startswith(report_stem) & (ev["outcome"] == "pain")]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_arm_means_from_a_table_and_a_sentence(extracted):
    table, _ = extracted
    ev = table.evidence
    a = _row(ev, "alder2021")
    assert [a[c] for c in COLS] == ["means", "pain", 3.1, 1.2, 40, 4.6, 1.5, 38]
    assert (a["intervention"], a["comparator"], a["p_operator"]) == ("exercise", "control", "<")
    assert (a["extractor"], a["table"]) == ("table_arm_means", "Table 2")
    b = _row(ev, "brandt2022")
    assert [b[c] for c in COLS] == ["means", "pain", 5.2, 1.1, 52, 6.0, 1.3, 50]
    assert "mean 5.2 (SD 1.1) in the exercise group" in b["source_quote"]
    # the table's second outcome is not a protocol outcome: kept, unlabelled
    other = ev[ev["report"].str.startswith("alder2021") & (ev["outcome"] == "")]
    assert list(other["mean_int"]) == [7.9]
    # the sentence's p-value is carried on the means row, not repeated as a p-only row
    assert not (ev["report"].str.startswith("brandt2022") & (ev["measure"] == "p_only")).any()


def test_reported_md_with_true_minus_signs(extracted):
    table, _ = extracted
    c = _row(table.evidence, "chen2023")
    assert (c["measure"], c["estimate"], c["ci_lower"], c["ci_upper"]) == ("MD", -0.8, -1.2, -0.4)
    assert c["ci_level"] == 0.95
    assert "\u22120.8" in c["source_quote"]


def test_pooled_md_equals_metafor(extracted):
    _, synth = extracted
    p = synth.pooled
    primary = p[p["analysis"] == "primary"].iloc[0]
    assert (primary["measure"], int(primary["k"]), primary["status"]) == ("MD", 3, "pooled")
    ref = REF["reml_adhoc"]
    assert primary["estimate"] == pytest.approx(ref["estimate"], rel=METAFOR_ITERATIVE_RTOL)
    assert primary["ci_lower"] == pytest.approx(ref["ci_lb"], rel=METAFOR_ITERATIVE_RTOL)
    assert primary["ci_upper"] == pytest.approx(ref["ci_ub"], rel=METAFOR_ITERATIVE_RTOL)
    assert primary["tau2"] == pytest.approx(ref["tau2"], rel=METAFOR_ITERATIVE_RTOL)
    z = p[p["analysis"] == "REML, z test (metafor default)"].iloc[0]
    assert z["ci_lower"] == pytest.approx(REF["reml_z"]["ci_lb"], rel=METAFOR_ITERATIVE_RTOL)
    assert z["pvalue"] == pytest.approx(REF["reml_z"]["pval"], rel=1e-3)
    assert TAU2_BOUNDARY_ATOL < ref["tau2"]


@pytest.mark.parametrize(
    ("sentence", "measure", "est", "lo", "hi"),
    [
        ("Pain fell more with exercise (WMD -1.46, 95% CI -2.07 to -0.85).", "MD", -1.46, -2.07, -0.85),
        ("The mean difference in pain was 0·62 (95% CI 0·10–1·14).", "MD", 0.62, 0.10, 1.14),
        ("Pain: SMD \u22120.41 [95% CI \u22120.70, \u22120.12].", "SMD", -0.41, -0.70, -0.12),
        ("Hedges' g was 0.35 (0.05 to 0.65) for pain.", "SMD", 0.35, 0.05, 0.65),
        ("standardised mean difference \u22120.5 (\u22120.9\u2013\u22120.1) for pain", "SMD", -0.5, -0.9, -0.1),
    ],
)  # fmt: skip
def test_reported_difference_forms(sentence, measure, est, lo, hi):
    ev = extract_document(read_string(sentence), load_protocol(PAIN))
    rows = ev[ev["measure"] == measure]
    assert len(rows) == 1, ev[["measure", "estimate", "source_quote"]]
    r = rows.iloc[0]
    assert (r["estimate"], r["ci_lower"], r["ci_upper"]) == (est, lo, hi)
    assert r["outcome"] == "pain"


def test_plus_minus_sentence_and_cells_not_read_as_means():
    text = (
        "Pain was 3.4 ± 1.0 in the exercise group (n = 30) and 4.1 ± 1.2 in the control group "
        "(n = 31)."
    )
    ev = extract_document(read_string(text), load_protocol(PAIN))
    r = ev[ev["measure"] == "means"].iloc[0]
    assert [r[c] for c in COLS] == ["means", "pain", 3.4, 1.0, 30, 4.1, 1.2, 31]
    # counts "12 (40)" with neither a mean header nor ±: never read as mean (SD)
    table = (
        "Table 3. Outcomes\n| Outcome | Exercise (n=30) | Control (n=31) |\n"
        "| Any pain flare | 12 (40) | 14 (45) |\n"
    )
    ev = extract_document(read_string(table), load_protocol(PAIN))
    assert "means" not in set(ev["measure"])


def test_forest_plot_of_md_has_a_linear_axis_with_the_null_at_zero(extracted):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evsynth.plots import forest_plot

    _, synth = extracted
    q = synth.questions[0]
    fig = forest_plot(synth.results[(q.slug, "primary")], favours=q.favours)
    labels = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels()}
    plt.close(fig)
    # ticks -2, -1, 0 as differences (a ratio axis would print 0.5, 1, 2 and never 0 or -1)
    assert {"\u22122", "\u22121", "0"} <= labels, labels
    assert q.favours == ("Favours exercise", "Favours control")


def test_protocol_measure_smd_pools_arm_means_and_lists_the_reported_md(tmp_path):
    text = PAIN.read_text(encoding="utf-8").replace("measure: MD", "measure: SMD")
    (tmp_path / "smd.yaml").write_text(text, encoding="utf-8")
    protocol = load_protocol(tmp_path / "smd.yaml")
    table = evsynth.extract(sorted(PAPERS.glob("*.txt")), protocol=protocol, progress=False)
    synth = evsynth.synthesize(table.evidence, table.studies, protocol=protocol)
    primary = synth.pooled[synth.pooled["analysis"] == "primary"].iloc[0]
    ref = REF["smd_reml_adhoc"]
    assert (primary["measure"], int(primary["k"]), primary["studies"]) == (
        "SMD",
        2,
        "alder2021; brandt2022",
    )
    assert primary["estimate"] == pytest.approx(ref["estimate"], rel=METAFOR_ITERATIVE_RTOL)
    assert primary["ci_lower"] == pytest.approx(ref["ci_lb"], rel=METAFOR_ITERATIVE_RTOL)
    assert primary["tau2"] == pytest.approx(ref["tau2"], rel=METAFOR_ITERATIVE_RTOL)
    assert "1 row(s) report a MD (chen2023)" in primary["notes"]


def test_an_evidence_table_written_before_the_mean_columns_still_reads(tmp_path):
    from evsynth.evidence.frame import read_evidence

    old = pd.read_csv(HERE.parent / "extracted" / "evidence.csv", dtype=str, keep_default_na=False)
    old = old.drop(columns=["mean_int", "sd_int", "mean_ctl", "sd_ctl"])
    old.to_csv(tmp_path / "evidence.csv", index=False)
    ev = read_evidence(tmp_path / "evidence.csv")
    assert len(ev) == len(old) and ev["mean_int"].isna().all()
    assert ev["mean_int"].dtype == "float64"


def test_change_from_baseline_table_with_plus_minus_middle_dots_and_true_minus():
    text = (
        "Table 2. Change from baseline at 6 months\n"
        "| Outcome | Exercise therapy (n=64) | Usual care (n=66) | p value |\n"
        "| Pain intensity | \u22121\u00b78 \u00b1 1\u00b74 | \u22120\u00b79 \u00b1 1\u00b76 | 0\u00b7001 |\n"
        "| Median pain days (IQR) | 4 (2\u20137) | 6 (3\u20139) | 0\u00b704 |\n"
    )
    ev = extract_document(read_string(text), load_protocol(PAIN))
    means = ev[ev["measure"] == "means"]
    assert len(means) == 1  # the median (IQR) row is not a mean (SD)
    r = means.iloc[0]
    assert [r[c] for c in COLS] == ["means", "pain", -1.8, 1.4, 64, -0.9, 1.6, 66]
    assert (r["p_value"], r["intervention"], r["comparator"]) == (0.001, "exercise", "control")


def test_every_mean_sd_and_arm_size_verifies_against_the_papers(extracted):
    from evsynth.evidence.provenance import row_problems

    table, _ = extracted
    for _, row in table.evidence.iterrows():
        original = evsynth.read(PAPERS / row["report"]).original
        problems = row_problems(row, original)
        assert [p for p in problems if p["level"] == "error"] == [], problems
    # a mean that is not in the quote is an error
    row = table.evidence[table.evidence["measure"] == "means"].iloc[0].copy()
    row["mean_int"] = 3.7
    original = evsynth.read(PAPERS / row["report"]).original
    assert [p["field"] for p in row_problems(row, original) if p["level"] == "error"] == [
        "mean_int"
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Pain scores, mean (SD), were 3.4 (1.0) in the exercise group (n = 30) and 4.1 (1.2) in "
        "the control group (n = 31).",
        "Pain (mean [SD]) was 3.4 [1.0] in the exercise group (n = 30) versus 4.1 [1.2] in the "
        "control group (n = 31).",
    ],
)
def test_sentence_means_when_the_sentence_says_mean_sd(sentence):
    ev = extract_document(read_string(sentence), load_protocol(PAIN))
    r = ev[ev["measure"] == "means"].iloc[0]
    assert [r[c] for c in COLS] == ["means", "pain", 3.4, 1.0, 30, 4.1, 1.2, 31]


def test_md_with_a_unit_before_its_ci_and_percentages_are_not_means():
    ev = extract_document(
        read_string(
            "Pain was lower with exercise (MD \u22120.8 points, 95% CI \u22121.2 to \u22120.4)."
        ),
        load_protocol(PAIN),
    )
    assert list(ev[ev["measure"] == "MD"][["estimate", "ci_lower", "ci_upper"]].iloc[0]) == [
        -0.8,
        -1.2,
        -0.4,
    ]
    ev = extract_document(
        read_string("Pain flares occurred in 12 (40%) of the exercise group and 14 (45%) of the "
                    "control group."),
        load_protocol(PAIN),
    )  # fmt: skip
    assert "means" not in set(ev["measure"])
