"""The run on the bundled papers with a protocol that records risk of bias and screening
(tests/fixtures/protocols/bundled_with_rob.yaml) writes the manuscript outputs (issue 14)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import evsynth
from evsynth.cli import main
from evsynth.review.grade import SOF_COLUMNS
from tests.test_manuscript import compare_with_pooled, run_r_script

PROTOCOL = Path(__file__).parent / "fixtures" / "protocols" / "bundled_with_rob.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return evsynth.run(out=out, protocol=PROTOCOL, progress=False)


def test_run_writes_the_manuscript_outputs(run):
    out = run.out
    for name in ("sof.csv", "sof.docx", "methods.md", "analysis.R"):
        assert (out / name).stat().st_size > 0, name
    for stem in ("prisma", "rob_traffic_light", "rob_summary_tocilizumab_pfs"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{stem}.{ext}").is_file()
    for name in ("sof.csv", "sof.docx", "methods.md", "analysis.R", "figures/prisma.pdf"):
        assert out / name in run.files
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in ("Summary of findings", "Risk of bias", "PRISMA flow", "Methods"):
        assert f"<h2 id='{section.lower().replace(' ', '-')}'>{section}</h2>" in html
    assert "ROBINS-I" in (out / "methods.md").read_text(encoding="utf-8")
    assert "<a href='#summary-of-findings'>Summary of findings</a>" in html
    assert "zhang2025 D1: retrospective comparison" in html  # the support quote


def test_two_study_question_with_a_very_wide_interval_is_low_or_very_low(run):
    sof = pd.read_csv(run.out / "sof.csv")
    assert list(sof.columns) == SOF_COLUMNS
    row = sof.set_index("question").loc["tocilizumab on PFS"]
    assert row["k"] == 2
    assert 0.02 < row["ci_lower"] < 0.04 and 40 < row["ci_upper"] < 60
    assert row["certainty"] in ("low", "very low")
    assert "imprecision (rated down two levels): the 95% CI (0.03 to 50.69)" in row["downgrades"]
    # ROBINS-I serious for both studies (the fixture's judgements)
    assert "risk of bias: 100% of the weight comes from studies at serious" in row["downgrades"]
    # the protocol's override of a domain is shown as such
    cr = sof.set_index("question").loc["glucocorticoid on CR"]
    assert "indirectness" not in cr["downgrades"]


def test_prisma_counts_agree_with_the_run(run):
    assert run.studies["study_id"].nunique() == 4  # the fixture's included_studies
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert "Finding: The protocol's screening counts" not in html


@pytest.mark.metafor
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (Rscript)")
def test_analysis_r_reproduces_every_pooled_estimate(run, tmp_path):
    check = run_r_script((run.out / "analysis.R").read_text(encoding="utf-8"), tmp_path)
    n = compare_with_pooled(check, run.synthesis.pooled)
    primary = run.synthesis.pooled[run.synthesis.pooled["role"] == "primary"]
    assert set(primary["question"]) <= set(check["question"]) and n >= len(primary)


def test_misspelt_study_id_is_one_line_and_draws_nothing(tmp_path, capsys):
    text = PROTOCOL.read_text(encoding="utf-8").replace(
        "    ma2024: {D1: serious", "    ma2042: {D1: serious"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--protocol", str(bad), "--out", str(out)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(
        "risk_of_bias.studies.ma2042: not a study of this run; the studies are "
        "ma2024, wang2023, zhang2025, zhou2025 (see studies.csv)"
    )
    assert not list(out.glob("figures/*"))


@pytest.mark.metafor
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (Rscript)")
def test_analysis_r_on_the_second_topic(tmp_path):
    """Exercise and falls (tests/fixtures/second_topic, text versions): 2x2 counts rebuilt with
    escalc in R and hazard ratios from their CIs, every analysis to 1e-6."""
    folder = Path(__file__).parent / "fixtures"
    papers = sorted((folder / "second_topic").glob("*.txt"))
    res = evsynth.run(
        papers, tmp_path / "out", protocol=folder / "protocols" / "falls.yaml", progress=False
    )
    script = (tmp_path / "out" / "analysis.R").read_text(encoding="utf-8")
    assert 'kind = c("counts"' in script and "not rebuilt in R" not in script
    assert compare_with_pooled(run_r_script(script, tmp_path), res.synthesis.pooled) >= 4
    # assumed risk: the median control-arm risk of the pooled 2x2 rows, with their range
    prim = res.synthesis.pooled.set_index(["question", "role"]).loc[
        ("exercise on falls", "primary")
    ]
    rows = res.evidence[res.evidence["row_id"].isin(prim["row_ids"].split("; "))]
    risks = rows["events_ctl"] / rows["total_ctl"]
    sof = pd.read_csv(tmp_path / "out" / "sof.csv").set_index("question")
    assert sof.loc["exercise on falls", "absolute_effect"].endswith(
        f"assumed risk {round(1000 * risks.median())} per 1000 (control arms: "
        f"{round(1000 * risks.min())} to {round(1000 * risks.max())})"
    )
