"""A protocol drives labels, questions and pooling; papers without one keep their arms as reported.

The second topic (tests/fixtures/second_topic: exercise and falls, four papers as text and PDF)
is checked end to end against ``expected.json``, written by ``validation/second_topic.R`` with
metafor 3.8.1 from numbers transcribed by hand from the papers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import evsynth
from evsynth.errors import ProtocolError
from evsynth.extraction import extract_document
from evsynth.protocol import load_protocol, protocol_from_text
from evsynth.reading.reader import read_string

HERE = Path(__file__).parent
TOPIC = HERE / "fixtures" / "second_topic"
FALLS = HERE / "fixtures" / "protocols" / "falls.yaml"
EXPECTED = json.loads((TOPIC / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["txt", "pdf"])
def topic(request):
    protocol = load_protocol(FALLS)
    table = evsynth.extract(
        sorted(TOPIC.glob(f"*.{request.param}")), protocol=protocol, progress=False
    )
    synth = evsynth.synthesize(table.evidence, table.studies, protocol=protocol)
    return request.param, table, synth


def _pooled(synth, outcome: str, analysis: str) -> pd.Series:
    p = synth.pooled
    return p[(p["outcome"] == outcome) & (p["analysis"] == analysis)].iloc[0]


@pytest.mark.parametrize(("outcome", "measure"), [("falls", "OR"), ("hip fracture", "HR")])
def test_pooled_results_equal_metafor(topic, outcome, measure):
    _, _table, synth = topic
    ref = next(q for q in EXPECTED["pooled"] if q["outcome"] == outcome)["result"]["fits"]
    primary = _pooled(synth, outcome, "primary")  # REML, test = adhoc
    assert (primary["status"], primary["measure"], int(primary["k"])) == ("pooled", measure, 3)
    assert primary["estimate"] == pytest.approx(ref["adhoc"]["exp_estimate"], rel=1e-6)
    assert primary["ci_lower"] == pytest.approx(ref["adhoc"]["exp_ci_lb"], rel=1e-5)
    assert primary["ci_upper"] == pytest.approx(ref["adhoc"]["exp_ci_ub"], rel=1e-5)
    assert primary["tau2"] == pytest.approx(ref["z"]["tau2"], abs=1e-6)
    z = _pooled(synth, outcome, "REML, z test (metafor default)")
    assert z["ci_lower"] == pytest.approx(ref["z"]["exp_ci_lb"], rel=1e-5)
    assert z["ci_upper"] == pytest.approx(ref["z"]["exp_ci_ub"], rel=1e-5)


def _chosen(synth, table, outcome: str) -> pd.DataFrame:
    ids = _pooled(synth, outcome, "primary")["row_ids"].split("; ")
    ev = table.evidence
    return ev[ev["row_id"].isin(ids)]


def test_one_estimate_per_study_overall_not_strata_and_adjusted(topic):
    _, table, synth = topic
    falls = _chosen(synth, table, "falls")
    assert len(falls) == 3 and falls["study_id"].is_unique
    moretti = falls[falls["report"].str.startswith("d_")].iloc[0]
    # the overall result (125/412 vs 81/199), not a stratum (70/171, 55/241)
    assert (moretti["events_int"], moretti["total_int"]) == (125, 412)
    assert (moretti["events_ctl"], moretti["total_ctl"]) == (81, 199)
    hip = _chosen(synth, table, "hip fracture")
    cohort = hip[hip["report"].str.startswith("c_")].iloc[0]
    assert (cohort["estimate"], cohort["analysis"]) == (0.71, "multivariable")


def _matching(ev: pd.DataFrame, r: dict) -> pd.DataFrame:
    sub = ev[ev["report"].str.rsplit(".", n=1).str[0] == r["report"]]
    if r["measure"] == "counts":
        keys = ["events_int", "total_int", "events_ctl", "total_ctl"]
        vals = [r["events_intervention"], r["total_intervention"], r["events_comparator"],
                r["total_comparator"]]  # fmt: skip
        mask = sub["measure"] == "counts"
        for k, v in zip(keys, vals, strict=True):
            mask &= sub[k] == v
        return sub[mask]
    return sub[
        (sub["measure"] == r["measure"])
        & ((sub["estimate"] - r["estimate"]).abs() < 1e-9)
        & ((sub["ci_lower"] - r["ci_low"]).abs() < 1e-9)
    ]


SUPPORTED = [r for r in EXPECTED["results"] if r["measure"] in ("counts", "HR", "OR", "RR")]


def test_every_reported_result_is_extracted_with_the_protocol_labels(topic):
    _, table, _ = topic
    missing, mislabelled = [], []
    for r in SUPPORTED:
        rows = _matching(table.evidence, r)
        if rows.empty:
            missing.append((r["report"], r["measure"], r["quote"][:60]))
            continue
        want = (r["intervention"] or "", r["outcome"] or "")
        if not ((rows["intervention"] == want[0]) & (rows["outcome"] == want[1])).any():
            mislabelled.append((r["report"], r["quote"][:60], want))
    assert not missing, missing
    assert not mislabelled, mislabelled


def test_rows_outside_the_protocol_stay_unlabelled(topic):
    _, table, _ = topic
    ev = table.evidence
    injury = ev[(ev["measure"] == "counts") & (ev["events_int"] == 41) & (ev["total_int"] == 455)]
    assert len(injury) and (injury["outcome"] == "").all()
    assert injury["outcome_as_reported"].str.contains("injury").all()
    covariates = ev[ev["report"].str.startswith("c_") & ev["estimate"].isin([1.66, 1.61])]
    assert len(covariates) and (covariates["intervention"] == "").all()


# --------------------------------------------------------------------------- arms as reported
def _rows(text: str, protocol=None) -> pd.DataFrame:
    return extract_document(read_string(text, name="paper.txt"), protocol)


def test_counts_of_two_arms_named_without_a_protocol():
    # the sentence: "a (p%) of b" with arms named "X-treated participants" and
    # "placebo recipients"; hand check: 412/468 = 88.0%, 199/234 = 85.0%
    rows = _rows(
        "Results\n\nMortality was recorded in 412 (88%) of 468 drug-A-treated participants and "
        "199 (85%) of 234 placebo recipients."
    )
    r = rows[rows["measure"] == "counts"].iloc[0]
    assert (r["events_int"], r["total_int"], r["events_ctl"], r["total_ctl"]) == (
        412,
        468,
        199,
        234,
    )
    assert (r["intervention_as_reported"], r["comparator_as_reported"]) == (
        "drug-A-treated participants",
        "placebo recipients",
    )
    assert r["intervention"] == "" and r["outcome"] == ""
    assert r["outcome_as_reported"] == "Mortality"


def test_n_percent_table_with_arm_sizes_in_the_headers():
    text = (
        "Results\n\nTable 2. Outcomes at 12 months\n"
        "Outcome\tExercise group (n=455)\tUsual care (n=451)\tP value\n"
        "Fallers\t41 (9)\t62 (14)\t0.03\n"
        "Age, mean (SD)\t78 (6)\t79 (6)\t0.41\n"
    )
    rows = _rows(text)
    counts = rows[rows["extractor"] == "table_arm_counts"]
    # 41/455 = 9.0% and 62/451 = 13.7% -> printed 9 and 14: counts; "78 (6)" is a mean (SD)
    assert len(counts) == 1
    r = counts.iloc[0]
    assert (r["events_int"], r["total_int"], r["events_ctl"], r["total_ctl"]) == (41, 455, 62, 451)
    assert (r["intervention_as_reported"], r["comparator_as_reported"]) == (
        "Exercise group",
        "Usual care",
    )
    assert r["p_value"] == 0.03
    labelled = _rows(text, load_protocol(FALLS))
    lab = labelled[labelled["extractor"] == "table_arm_counts"].iloc[0]
    assert (lab["intervention"], lab["comparator"], lab["outcome"]) == (
        "exercise",
        "control",
        "falls",
    )


def test_a_over_b_cells_under_a_brand_name_and_middle_dot_decimals():
    protocol = protocol_from_text(
        "evsynth-protocol: 1\ntitle: t\ninterventions: {exercise: {terms: [exercise, Otago]}}\n"
        "comparators: {control: {terms: [control]}}\n"
        "outcomes: {falls: {terms: [falls, fallers], kind: binary}}\n"
    )
    text = (
        "Results\n\nTable 3. Fallers over 12 months\nOutcome\tOtago\tControl\tOdds ratio\n"
        "Fallers\t121/980 (12·3%)\t168/980 (17·1%)\t0·68 (0·53–0·87)\n"
    )
    rows = _rows(text, protocol)
    r = rows[rows["measure"] == "counts"].iloc[0]
    assert (r["events_int"], r["total_int"], r["events_ctl"], r["total_ctl"]) == (
        121,
        980,
        168,
        980,
    )
    assert (r["intervention"], r["comparator"], r["outcome"]) == ("exercise", "control", "falls")


def test_versus_sentence_gives_both_arms_of_a_ratio():
    rows = _rows(
        "Results\n\nDrug A versus placebo reduced mortality (HR 0.71, 95% CI 0.55 to 0.92)."
    )
    r = rows[rows["measure"] == "HR"].iloc[0]
    assert (r["intervention_as_reported"], r["comparator_as_reported"]) == ("Drug A", "placebo")


# --------------------------------------------------------------------------- runs
def test_run_without_a_protocol_asks_no_question(tmp_path):
    res = evsynth.run([TOPIC / "a_jama_rct.txt"], tmp_path / "out", progress=False)
    assert res.synthesis.pooled.empty
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "No review protocol was given" in report and "evsynth init" in report
    assert "Evidence by arms as reported" in report
    assert "tocilizumab" not in report.lower()  # the bundled question is never asked


def test_run_with_the_protocol_names_the_question_and_favours(tmp_path):
    res = evsynth.run(sorted(TOPIC.glob("*.txt")), tmp_path / "out", protocol=FALLS, progress=False)
    primary = res.synthesis.pooled[res.synthesis.pooled["role"] == "primary"]
    assert list(primary["question"]) == ["exercise on falls", "exercise on hip fracture"]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Exercise programmes for falls in older adults")
    assert "## Protocol" in report
    q = res.synthesis.questions[0]
    assert q.favours == ("Favours exercise", "Favours control")


def test_init_writes_a_loadable_scaffold_and_never_overwrites(tmp_path, capsys):
    from evsynth.cli import main

    out = tmp_path / "protocol.yaml"
    assert main(["init", str(TOPIC / "a_jama_rct.txt"), str(TOPIC / "b_lancet_rct.txt"),
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    p = load_protocol(out)
    assert p.interventions and p.outcomes
    assert "paper(s)" in text and "row(s)" in text
    before = out.read_bytes()
    assert main(["init", str(TOPIC / "a_jama_rct.txt"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "never overwrites" in err and "Traceback" not in err
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("yaml_text", "names"),
    [
        ("evsynth-protocol: 1\ntitle: t\ninterventions: {a: [a]}\noutcomes: {o: {terms: [o], kind: binary}}\nanalysys: {}\n", "analysys"),
        ("evsynth-protocol: 1\ntitle: t\ninterventions: {a: [a]}\noutcomes: {o: {terms: [o], kind: binary}}\nquestions: [{intervention: a, outcome: p}]\n", "questions[0].outcome"),
        ("evsynth-protocol: 1\ntitle: t\ninterventions: {a: [a]}\noutcomes: {o: {terms: [o], kind: bianry}}\n", "outcomes.o.kind"),
        ("evsynth-protocol: 1\ntitle: [t\n", "line"),
    ],
)  # fmt: skip
def test_protocol_mistakes_are_one_line_errors_on_the_command_line(
    tmp_path, capsys, yaml_text, names
):
    from evsynth.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml_text, encoding="utf-8")
    assert main(["run", str(TOPIC / "a_jama_rct.txt"), "--protocol", str(bad),
                 "--out", str(tmp_path / "o"), "--quiet"]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(bad) in err and names.split("[")[0] in err
    with pytest.raises(ProtocolError):
        load_protocol(bad)
