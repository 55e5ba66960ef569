"""Risk of bias, GRADE summary of findings, PRISMA flow, methods text and analysis.R (issue 14),
on a made-up review (tests/manuscript_data.py) with values calculated by hand in each test, and
analysis.R checked against R metafor where R is installed."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evsynth.errors import ManuscriptError
from evsynth.protocol import protocol_from_text
from evsynth.protocol.model import RiskOfBias
from evsynth.protocol.risk_of_bias import TOOLS
from evsynth.review.grade import (
    SOF_COLUMNS,
    absolute_risk,
    optimal_information_size,
    summary_of_findings,
)
from evsynth.review.methods import methods_text
from evsynth.review.prisma import prisma_flow
from evsynth.review.risk_of_bias import overall_judgement, risk_of_bias_assessment
from evsynth.review.rscript import analysis_script
from tests.tolerances import CLOSED_FORM_RTOL, METAFOR_RTOL

sys.path.insert(0, str(Path(__file__).parent))
import manuscript_data as data  # noqa: E402


@pytest.fixture(scope="module")
def synth():
    return data.synthesis()


@pytest.fixture(scope="module")
def studies():
    return data.studies()


def _protocol(extra: str = ""):
    return protocol_from_text(
        "evsynth-protocol: 1\ntitle: Exercise\ninterventions:\n  exercise: {terms: [exercise]}\n"
        "comparators:\n  control: {terms: [control]}\n"
        "outcomes:\n  falls: {terms: [falls], kind: binary}\n"
        "  hip fracture: {terms: [hip fracture], kind: time-to-event}\n" + extra
    )


# ------------------------------------------------------------------ risk of bias
def test_overall_is_the_worst_domain_for_rob2_and_robins_i():
    rob2 = {"D1": "low", "D2": "some concerns", "D3": "low", "D4": "high", "D5": "low"}
    assert overall_judgement(TOOLS["RoB 2"], rob2) == "high"
    robins = {f"D{i}": "low" for i in range(1, 8)}
    assert overall_judgement(TOOLS["ROBINS-I"], robins) == "low"
    # no serious/critical domain but one without information: "no information" (Sterne 2016)
    assert overall_judgement(TOOLS["ROBINS-I"], {**robins, "D3": "no information"}) == (
        "no information"
    )
    assert (
        overall_judgement(TOOLS["ROBINS-I"], {**robins, "D3": "no information", "D1": "critical"})
        == "critical"
    )


@pytest.mark.parametrize(
    "stars, rating",
    [((3, 1, 2), "good"), ((2, 2, 3), "fair"), ((4, 0, 3), "poor"), ((4, 2, 1), "poor")],
)
def test_nos_rating_follows_the_ahrq_thresholds(stars, rating):
    doms = dict(
        zip(("selection", "comparability", "outcome"), (str(s) for s in stars), strict=True)
    )
    assert overall_judgement(TOOLS["NOS"], doms) == rating


def test_given_overall_is_kept_and_marked():
    rob = RiskOfBias(
        "rob2",
        {
            "a2019": {"D1": "low", "D2": "low", "D3": "low", "D4": "low", "D5": "Some Concerns"},
            "b2020": {
                "D1": "low",
                "D2": "low",
                "D3": "low",
                "D4": "low",
                "D5": "low",
                "overall": "high",
            },
        },
    )
    a = risk_of_bias_assessment(rob, ["a2019", "b2020"])
    assert a.tool == "RoB 2"
    assert list(a.judgements["overall"]) == ["some concerns", "high"]
    assert list(a.judgements["overall_given"]) == [False, True]


def test_unknown_study_id_is_a_one_line_error_naming_the_key():
    rob = RiskOfBias("RoB 2", {"a2109": {f"D{i}": "low" for i in range(1, 6)}})
    with pytest.raises(ManuscriptError) as info:
        risk_of_bias_assessment(rob, ["a2019", "b2020"])
    msg = str(info.value)
    assert msg.startswith("risk_of_bias.studies.a2109: not a study of this run") and "\n" not in msg


def test_weighted_domain_summary():
    rob = RiskOfBias(
        "RoB 2",
        {
            "a2019": {"D1": "low", "D2": "low", "D3": "low", "D4": "low", "D5": "low"},
            "b2020": {"D1": "low", "D2": "low", "D3": "low", "D4": "low", "D5": "high"},
        },
    )
    s = risk_of_bias_assessment(rob).domain_summary({"a2019": 30.0, "b2020": 70.0})
    d5 = s[s["domain"] == "D5"].set_index("judgement")["share"]
    assert d5["high"] == pytest.approx(70.0) and d5["low"] == pytest.approx(30.0)
    assert set(s[s["domain"] == "D1"]["judgement"]) == {"low"}  # zero shares are not listed
    equal = risk_of_bias_assessment(rob).domain_summary()
    assert equal.set_index(["domain", "judgement"]).loc[("overall", "high"), "share"] == 50.0


# ------------------------------------------------------------------ GRADE
def test_optimal_information_size_by_hand():
    # p0 = 0.2, p1 = 0.15: (1.959964 + 0.841621)² (0.16 + 0.1275) / 0.05² = 902.6 -> 903 per arm
    assert optimal_information_size(0.2) == 1806


def test_absolute_risk_formulas():
    assert absolute_risk("OR", 2.0, 0.25) == pytest.approx(0.5 / 1.25, rel=CLOSED_FORM_RTOL)
    assert absolute_risk("RR", 0.5, 0.3) == pytest.approx(0.15, rel=CLOSED_FORM_RTOL)
    assert absolute_risk("RD", -0.05, 0.3) == pytest.approx(0.25, rel=CLOSED_FORM_RTOL)


def test_summary_of_findings_without_protocol(synth, studies):
    sof = summary_of_findings(synth, studies=studies)
    t = sof.table.set_index("question")
    assert list(sof.table.columns) == SOF_COLUMNS
    falls = t.loc["exercise on falls"]
    prim = synth.pooled[(synth.pooled["role"] == "primary")].set_index("question")
    assert falls["k"] == 4
    assert falls["participants"] == 100 + 100 + 150 + 152 + 60 + 58 + 40 + 41
    assert falls["relative_effect"] == prim.loc["exercise on falls", "estimate"]
    # assumed risk: median of 20/100, 45/152, 11/58, 0/41 = (11/58 + 0.2) / 2
    p0 = (11 / 58 + 0.2) / 2
    rr, lo, hi = prim.loc["exercise on falls", ["estimate", "ci_lower", "ci_upper"]]
    expect = [round(1000 * (v * p0 - p0)) for v in (rr, lo, hi)]
    assert falls["absolute_effect"].startswith(
        f"{-expect[0]} fewer per 1000 (from {-expect[1]} fewer to {expect[2]} more); "
        f"assumed risk {round(1000 * p0)} per 1000 (control arms: 0 to 296)"
    )
    # randomised: starts high; no judgements (-1); the CI includes 1 and 701 < OIS (-1): low
    assert falls["certainty"] == "low"
    assert falls["downgrades"].startswith(
        "risk of bias: 100% of the weight comes from studies without a risk-of-bias judgement "
        "(a2019, b2020, c2021, d2022); "
    )
    assert "imprecision: the 95% CI" in falls["downgrades"]
    assert "inconsistency" not in falls["downgrades"]
    assert f"optimal information size of {optimal_information_size(p0)}" in falls["downgrades"]
    hip = t.loc["exercise on hip fracture"]
    # cohorts start low; the CI (0.10 to 6.4) includes 0.8 and 1.25: two levels down; floor
    assert hip["certainty"] == "very low" and hip["participants"] == 1450
    assert "imprecision (rated down two levels)" in hip["downgrades"]
    assert hip["absolute_effect"] == ""
    assert sof.start["exercise on hip fracture"].startswith("low: observational")


def test_judgements_and_overrides_change_certainty_and_are_marked(synth, studies):
    judged = "\n".join(
        f"    {s}: {{D1: low, D2: low, D3: low, D4: low, D5: low}}" for s, *_ in data.FALLS
    )
    p = _protocol(
        "risk_of_bias:\n  tool: RoB 2\n  studies:\n" + judged + "\n"
        "grade:\n  overrides:\n    exercise on falls:\n"
        "      imprecision: {rating: 0, reason: the trials were powered for falls}\n"
    )
    sof = summary_of_findings(synth, p, studies=studies)
    falls = sof.table.set_index("question").loc["exercise on falls"]
    assert falls["certainty"] == "high" and falls["downgrades"] == ""
    d = sof.details().set_index(["question", "domain"]).loc[("exercise on falls", "imprecision")]
    assert bool(d["override"]) and d["reason"] == "the trials were powered for falls"
    p = _protocol(
        "grade:\n  overrides:\n    exercise on falls:\n"
        "      indirectness: {rating: -1, reason: only community-dwelling adults}\n"
    )
    falls = summary_of_findings(synth, p, studies=studies).table.iloc[0]
    assert (
        "indirectness (reviewer's override): only community-dwelling adults"
        in (falls["downgrades"])
    )
    assert falls["certainty"] == "very low"  # 4 - 1 (not assessed) - 1 (imprecision) - 1


def test_thresholds_from_the_protocol(synth, studies):
    p = _protocol("grade:\n  thresholds:\n    hip fracture: [0.05, 10]\n")
    hip = summary_of_findings(synth, p, studies=studies).table.iloc[1]
    assert "two levels" not in hip["downgrades"]
    assert "includes no effect (1.00)" in hip["downgrades"]


@pytest.mark.parametrize(
    "grade, says",
    [
        (
            "grade:\n  overrides:\n    exercise on pain:\n      imprecision: {rating: 0, reason: x}\n",
            "grade.overrides.exercise on pain: not a question of this run",
        ),
        ("grade:\n  thresholds:\n    pain: [0.8, 1.25]\n", "grade.thresholds.pain: not a question"),
    ],
)
def test_grade_names_checked_against_the_run(synth, studies, grade, says):
    with pytest.raises(ManuscriptError, match=says):
        summary_of_findings(synth, _protocol(grade), studies=studies)


def test_inconsistency_names_i2_and_non_overlapping_intervals(studies):
    ev = data.evidence()
    hip = ev[ev["outcome"] == "hip fracture"].iloc[0]
    rows = [ev]
    for n, (est, lo, hi) in enumerate([(0.30, 0.20, 0.45), (1.5, 1.1, 2.0), (0.9, 0.7, 1.15)]):
        rows.append(
            hip.to_frame().T.assign(
                row_id=f"x{n}",
                study_id=f"x{n}",
                report=f"x{n}.txt",
                estimate=est,
                ci_lower=lo,
                ci_upper=hi,
            )
        )
    ev = pd.concat(rows, ignore_index=True)
    from evsynth.review.synthesis import synthesize

    s = synthesize(ev[ev["study_id"] != "f2020"], studies, data.synthesis().options)
    sof = summary_of_findings(s, studies=studies)
    d = sof.details().set_index(["question", "domain"])
    inc = d.loc[("exercise on hip fracture", "inconsistency")]
    i2 = s.pooled.set_index(["question", "role"]).loc[("exercise on hip fracture", "primary"), "i2"]
    assert i2 > 75 and inc["rating"] == -2
    assert f"I² = {i2:.0f}%" in inc["reason"] and "do not overlap" in inc["reason"]


def test_sof_docx_reads_back_and_is_reproducible(synth, studies, tmp_path):
    import docx

    sof = summary_of_findings(synth, studies=studies)
    a = sof.to_docx(tmp_path / "a.docx")
    b = sof.to_docx(tmp_path / "b.docx")
    assert a.read_bytes() == b.read_bytes()
    table = docx.Document(io.BytesIO(a.read_bytes())).tables[0]
    assert len(table.rows) == 1 + len(sof.table)
    prim = synth.pooled[synth.pooled["role"] == "primary"].iloc[0]
    cells = [c.text for c in table.rows[1].cells]
    assert cells[0] == "exercise on falls" and cells[1] == "4 (701)"
    assert (
        cells[2] == f"RR {prim['estimate']:.2f} ({prim['ci_lower']:.2f} to {prim['ci_upper']:.2f})"
    )
    assert cells[4] == "low"


# ------------------------------------------------------------------ PRISMA
SCREEN = {
    "identified": {"databases": 412, "registers": 18},
    "duplicates_removed": 37,
    "screened": 393,
    "excluded_at_screening": 361,
    "sought": 32,
    "not_retrieved": 2,
    "assessed": 30,
    "excluded": {"no comparison group": 14, "wrong population": 9, "no outcome of interest": 3},
}


def test_prisma_included_counts_from_the_run_must_add_up():
    flow = prisma_flow(SCREEN, run_studies=4, run_reports=5)  # 30 - 26 = 4 studies
    assert (flow.included_studies, flow.included_reports, flow.findings) == (4, 5, ())
    with pytest.raises(ManuscriptError, match=r"^screening\.included_studies: assessed \(30\)"):
        prisma_flow(SCREEN, run_studies=3, run_reports=3)


def test_prisma_mismatch_with_the_run_is_a_finding():
    flow = prisma_flow({**SCREEN, "included_studies": 4, "included_reports": 5}, 4, 6)
    assert flow.included_reports == 5  # the protocol's (adding-up) numbers are drawn
    assert flow.findings == (
        "The protocol's screening counts include 5 reports, but this run found 6; check the "
        "included papers against the screening record.",
    )


def test_prisma_plot_draws_every_count():
    from evsynth.plots.prisma import prisma_plot

    fig = prisma_plot(prisma_flow(SCREEN, 4, 5))
    text = "\n".join(t.get_text() for t in fig.axes[0].texts)
    for n in (
        "databases (n = 412)",
        "(n = 37)",
        "(n = 393)",
        "(n = 361)",
        "(n = 32)",
        "(n = 2)",
        "(n = 30)",
        "wrong population (n = 9)",
        "included in review\n(n = 4)",
        "(n = 5)",
    ):
        assert n in text


# ------------------------------------------------------------------ plots of risk of bias
def test_traffic_light_and_summary_plot_draw_the_judgements():
    from matplotlib.patches import Circle, Rectangle

    from evsynth.plots.risk_of_bias import risk_of_bias_summary_plot, traffic_light_plot

    rob = RiskOfBias(
        "RoB 2",
        {
            "a2019": {"D1": "low", "D2": "low", "D3": "low", "D4": "low", "D5": "low"},
            "b2020": {"D1": "high", "D2": "low", "D3": "some concerns", "D4": "low", "D5": "low"},
        },
    )
    a = risk_of_bias_assessment(rob)
    circles = [p for p in traffic_light_plot(a).axes[0].patches if isinstance(p, Circle)]
    assert len(circles) == 2 * 6
    colours = [tuple(np.round(c.get_facecolor()[:3], 3)) for c in circles]
    red = tuple(np.round([0xBF / 255, 0, 0], 3))
    assert colours.count(red) == 2  # b2020 D1 and its overall
    fig = risk_of_bias_summary_plot(a.domain_summary({"a2019": 25, "b2020": 75}), tool="RoB 2")
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_width() > 5]
    widths = sorted(round(b.get_width() / 80.0 * 100, 6) for b in bars)
    # D1 (high), D3 (some concerns) and overall (high) of b2020 carry 75%, a2019 25%
    assert widths.count(75.0) == 3 and widths.count(25.0) == 3


# ------------------------------------------------------------------ methods.md
def test_methods_text_names_the_choices_used_with_references(synth):
    text = methods_text(synth)
    assert "restricted maximum likelihood" in text and "Hartung-Knapp-Sidik-Jonkman" in text
    assert "log RRs" in text and "half-normal prior on tau (scale 0.5" in text
    assert "REML, z test (metafor default)" in text  # the sensitivity analysis that ran
    assert "univariable" not in text  # ... and none that did not
    body, refs = text.split("## References")
    cited = {int(n) for n in __import__("re").findall(r"\[(\d+)(?:, \d+)*\]", body)}
    listed = [int(line.split(".")[0]) for line in refs.strip().splitlines() if line[:1].isdigit()]
    assert cited <= set(listed) and listed == list(range(1, len(listed) + 1))


# ------------------------------------------------------------------ analysis.R
def run_r_script(script: str, folder: Path) -> pd.DataFrame:
    (folder / "analysis.R").write_text(script, encoding="utf-8")
    done = subprocess.run(
        ["Rscript", str(folder / "analysis.R")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return pd.read_csv(folder / "metafor_check.csv")


def compare_with_pooled(check: pd.DataFrame, pooled: pd.DataFrame) -> int:
    want = pooled[pooled["role"].isin(["primary", "sensitivity"]) & pooled["estimate"].notna()]
    merged = want.merge(check, on=["question", "analysis"], suffixes=("", "_r"), how="left")
    assert len(merged) == len(want) and merged["estimate_r"].notna().all()
    for c in ("estimate", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(merged[f"{c}_r"], merged[c], rtol=METAFOR_RTOL)
    return len(merged)


def test_analysis_script_rebuilds_effect_sizes_in_r(synth):
    script = analysis_script(synth)
    assert "not rebuilt in R" not in script  # counts and ratios: escalc / the CI, in R
    assert script.count("rma(yi, vi") == len(synth.pooled[synth.pooled["role"] != "bayesian"])
    assert 'method = "REML", test = "adhoc"' in script


@pytest.mark.metafor
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (Rscript)")
def test_analysis_script_agrees_with_metafor(synth, tmp_path):
    """R: escalc(measure="RR", ai, n1i, ci, n2i) (0.5 added to d2022's zero cell) and
    log HR with sei from the CI; rma(yi, vi, method="REML", test="adhoc" / "z")."""
    check = run_r_script(analysis_script(synth), tmp_path)
    assert compare_with_pooled(check, synth.pooled) == 4


def test_forest_plot_risk_of_bias_block(synth):
    from evsynth.plots import forest_plot

    res = synth.results[("exercise_falls", "primary")]
    rob = pd.DataFrame(
        {
            "label": ["a2019", "b2020", "c2021", "d2022", "z1999"],
            "D1": ["low", "high", "low", "some concerns", "low"],
            "overall": ["low", "high", "low", "some concerns", "low"],
        }
    )
    plain = forest_plot(res)
    fig = forest_plot(res, risk_of_bias=rob)
    texts = [t.get_text() for a in fig.axes for t in a.texts] + [t.get_text() for t in fig.texts]
    assert "D1" in texts and "All" in texts
    assert texts.count("×") == 2 and texts.count("−") == 2  # b2020 (high), d2022 (some concerns)
    assert any(t.startswith("Risk of bias: + low, − some concerns, × high") for t in texts)
    circled = [t for a in fig.axes for t in a.texts if t.get_bbox_patch() is not None]
    red = [t for t in circled if t.get_bbox_patch().get_facecolor()[:3] == (0xBF / 255, 0, 0)]
    assert len(circled) == 4 * 2 and [t.get_text() for t in red] == ["×", "×"]
    plain_texts = [t.get_text() for a in plain.axes for t in a.texts]
    assert "D1" not in plain_texts


def test_unknown_study_in_the_protocol_designs_is_an_error_before_drawing(synth, studies, tmp_path):
    from evsynth.review.manuscript import manuscript_outputs

    p = _protocol("studies:\n  a2091: {design: randomised}\n")
    with pytest.raises(ManuscriptError, match=r"^studies\.a2091: not a study of this run"):
        manuscript_outputs(tmp_path, synth, data.evidence(), studies, p)
    assert not list(tmp_path.iterdir())


def test_manuscript_outputs_without_rob_or_screening(synth, studies, tmp_path):
    from evsynth.review.manuscript import manuscript_outputs

    ms = manuscript_outputs(tmp_path, synth, data.evidence(), studies, _protocol())
    names = sorted(str(p.relative_to(tmp_path)) for p in ms.files)
    assert names == ["analysis.R", "methods.md", "sof.csv", "sof.docx"]
    assert ms.risk_of_bias is None and ms.prisma is None
    assert list(pd.read_csv(tmp_path / "sof.csv").columns) == SOF_COLUMNS


@pytest.mark.metafor
def test_made_up_review_matches_hand_written_metafor_reference(synth):
    """validation/metafor/manuscript.R: escalc(measure="RR") of the four trials (0.5 added to the
    zero cell of d2022), log HR with the SE from the CI, rma(method="REML", test="adhoc"/"z")
    with threshold 1e-12 (metafor's default 1e-5 stops early at a tau² above the optimum 0)."""
    import json

    ref = json.loads(
        (Path(__file__).parents[1] / "validation" / "metafor" / "manuscript.json").read_text()
    )
    pooled = synth.pooled.set_index(["question", "analysis"])
    names = [k for k in ref if not k.startswith("_")]
    assert len(names) == 4
    for key in names:
        row = pooled.loc[tuple(key.split("|"))]
        for c in ("estimate", "ci_lower", "ci_upper"):
            assert row[c] == pytest.approx(ref[key][c], rel=METAFOR_RTOL), (key, c)


def test_nos_stars_are_coloured_by_share_of_stars():
    from matplotlib.patches import Circle

    from evsynth.plots.risk_of_bias import risk_of_bias_summary_plot, traffic_light_plot

    p = _protocol(
        "risk_of_bias:\n  tool: NOS\n  studies:\n"
        "    e2018: {selection: 4, comparability: 1, outcome: '***'}\n"
        "    f2020: {selection: 1, comparability: 2, exposure: 3}\n"
    )
    a = risk_of_bias_assessment(p.risk_of_bias, ["e2018", "f2020"])
    assert list(a.judgements["overall"]) == ["good", "poor"]  # f2020: selection 1 star
    assert list(a.judgements["outcome"]) == ["3", "3"]
    fig = traffic_light_plot(a, stars=TOOLS["NOS"].stars)
    colours = [c.get_facecolor()[:3] for c in fig.axes[0].patches if isinstance(c, Circle)]
    hexes = ["#" + "".join(f"{round(255 * v):02X}" for v in c) for c in colours]
    # e2018: 4/4 green, 1/2 yellow, 3/3 green, good; f2020: 1/4 red, 2/2 green, 3/3, poor (red)
    assert hexes == ["#02C100", "#E2DF07", "#02C100", "#02C100",
                     "#BF0000", "#02C100", "#02C100", "#BF0000"]  # fmt: skip
    risk_of_bias_summary_plot(a.domain_summary(), tool="NOS", stars=TOOLS["NOS"].stars)


def test_a_different_comparator_is_indirect(studies):
    from evsynth.review.synthesis import synthesize

    ev = data.evidence()
    ev.loc[ev["study_id"] == "d2022", "comparator"] = "placebo"  # pooled as an untreated arm
    s = synthesize(ev, studies, data.synthesis().options)
    assert s.pooled.iloc[0]["k"] == 4
    d = summary_of_findings(s, studies=studies).details().set_index(["question", "domain"])
    ind = d.loc[("exercise on falls", "indirectness")]
    assert ind["rating"] == -1
    assert ind["reason"] == "the comparator differs from the protocol's control (placebo in d2022)"


def test_nothing_pooled_says_so(tmp_path):
    from evsynth.review.synthesis import synthesize

    empty = synthesize(data.evidence(), data.studies())  # no questions asked
    text = methods_text(empty)
    assert "nothing was pooled" in text and "Hartung" not in text
    script = analysis_script(empty)
    assert "fit <- rma(" not in script and "character()" in script
    if shutil.which("Rscript"):
        assert list(run_r_script(script, tmp_path).columns) == [
            "question", "analysis", "estimate", "ci_lower", "ci_upper"
        ]  # fmt: skip


def test_publication_bias_is_assessed_from_ten_studies(studies):
    """Ten cohorts where the small studies show the large effects (funnel asymmetry): Egger's
    test (metafor regtest, validated in tests/test_bias.py) p < 0.10 rates down one level."""
    from evsynth.review.synthesis import synthesize

    ev = data.evidence()
    hip = ev[ev["outcome"] == "hip fracture"].iloc[0]
    rows = [ev[ev["outcome"] == "falls"]]
    for n in range(10):
        se = 0.08 + 0.06 * n  # larger studies first
        est = float(np.exp(-0.05 - 1.6 * se))
        lo, hi = est * np.exp(-1.959964 * se), est * np.exp(1.959964 * se)
        rows.append(
            hip.to_frame().T.assign(
                row_id=f"p{n}",
                study_id=f"p{n}",
                report=f"p{n}.txt",
                estimate=est,
                ci_lower=lo,
                ci_upper=hi,
            )
        )
    s = synthesize(pd.concat(rows, ignore_index=True), studies, data.synthesis().options)
    res = s.results[("exercise_hip-fracture", "primary")]
    assert res.k == 10
    p = res.egger().pvalue
    assert p < 0.10
    d = summary_of_findings(s, studies=studies).details().set_index(["question", "domain"])
    pub = d.loc[("exercise on hip fracture", "publication bias")]
    assert pub["rating"] == -1 and pub["reason"] == f"Egger's test p = {p:.3f} (funnel asymmetry)"
    few = summary_of_findings(data.synthesis(), studies=studies).details()
    assert few.iloc[4]["reason"] == "not assessed: 4 studies, a funnel test needs 10 or more"
