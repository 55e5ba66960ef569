"""Image tests of forest and funnel plots against committed baselines, and PDF text read-back.

Baselines live in tests/baseline/. Regenerate them after an intended visual change with

    python tests/test_plots.py --regenerate      (or EVSYNTH_REGENERATE_BASELINES=1 pytest ...)

and look at every PNG before committing it. Figures are drawn inside evsynth's plotting context
(bundled DejaVu Sans, fixed rcParams, no hinting), so baselines are stable across machines with
the same matplotlib; ``IMAGE_RMS_TOL`` (tests/tolerances.py) allows anti-aliasing noise only.

Data: a 15-study, three-subgroup data set of 2x2 counts simulated once with
``numpy.random.default_rng(20261121)`` and typed in below (so it cannot drift with numpy), and
small hand-made hazard-ratio sets. Log risk ratios and their variances are computed here by hand
(Rothman & Greenland: var(log RR) = 1/a - 1/n1 + 1/c - 1/n2).
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images

from evsynth.plots import forest_plot, funnel_plot, save_figure, sensitivity_plot
from evsynth.pooling import meta_analysis

try:
    from tests.tolerances import IMAGE_RMS_TOL
except ModuleNotFoundError:  # run as a script: python tests/test_plots.py --regenerate
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.tolerances import IMAGE_RMS_TOL

BASELINE = Path(__file__).parent / "baseline"
IMAGE_DPI = 100
REGENERATE = os.environ.get("EVSYNTH_REGENERATE_BASELINES") == "1"

# label, subgroup, events_int, total_int, events_ctl, total_ctl
COUNTS_15 = [
    ("Adams 2019", "High dose", 32, 197, 55, 215),
    ("Baker 2020", "High dose", 12, 283, 24, 283),
    ("Chen 2020", "High dose", 15, 300, 40, 295),
    ("Diaz 2021", "High dose", 6, 112, 27, 113),
    ("Evans 2021", "High dose", 15, 92, 24, 98),
    ("Fischer 2018", "Low dose", 23, 310, 34, 325),
    ("Garcia 2019", "Low dose", 45, 405, 70, 406),
    ("Huang 2020", "Low dose", 88, 366, 86, 348),
    ("Ito 2021", "Low dose", 72, 434, 96, 430),
    ("Jones 2022", "Low dose", 90, 780, 106, 852),
    ("Kim 2019", "Prophylactic", 8, 196, 18, 192),
    ("Lopez 2020", "Prophylactic", 10, 161, 38, 166),
    ("Müller 2021", "Prophylactic", 10, 177, 51, 190),
    ("Nakamura 2022", "Prophylactic", 9, 123, 20, 119),
    ("Olsen 2023", "Prophylactic", 3, 54, 5, 55),
]

LONG_LABEL = "Zhang, Wang, Li et al. 2024 (CD19 CAR-T, tocilizumab cohort)"
assert len(LONG_LABEL) == 60


def counts_frame() -> pd.DataFrame:
    df = pd.DataFrame(
        COUNTS_15, columns=["label", "group", "events_int", "total_int", "events_ctl", "total_ctl"]
    )
    a, n1, c, n2 = (
        df[k].astype(float) for k in ("events_int", "total_int", "events_ctl", "total_ctl")
    )
    df["yi"] = np.log(a / n1) - np.log(c / n2)
    df["vi"] = 1 / a - 1 / n1 + 1 / c - 1 / n2
    return df


def rr_analysis(df: pd.DataFrame, **kw):
    return meta_analysis(
        df["yi"].to_numpy(), df["vi"].to_numpy(), labels=list(df["label"]), measure="RR", **kw
    )


def subgroup_result(df: pd.DataFrame):
    from evsynth.pooling.subgroup import subgroup_analysis

    return subgroup_analysis(
        df["yi"].to_numpy(),
        df["vi"].to_numpy(),
        groups=list(df["group"]),
        labels=list(df["label"]),
        measure="RR",
    )


def two_studies():
    df = counts_frame().iloc[[0, 5]]
    return rr_analysis(df), df


def three_studies_hr():
    """Three hazard ratios; the third (HR 0.61, 95% CI 0.04-8.41) runs off both ends of the axis."""
    labels = ["Alpha 2020", "Beta 2021", "Gamma 2022"]
    yi = np.log([0.74, 1.11, 0.61])
    vi = np.array([0.04, 0.09, 1.8])
    return meta_analysis(yi, vi, labels=labels, measure="HR")


def long_label_analysis():
    labels = [LONG_LABEL, "Kim 2023", "Ortega 2022", "Patel 2021"]
    yi = np.log([0.62, 0.81, 0.55, 0.97])
    vi = np.array([0.06, 0.03, 0.11, 0.05])
    return meta_analysis(yi, vi, labels=labels, measure="HR")


def single_study():
    return meta_analysis([math.log(0.67)], [0.05], labels=["Zhang 2024"], measure="HR")


UNPOOLABLE = pd.DataFrame(
    {
        "label": ["Lee 2022 (OS)", "Roy 2023 (PFS)"],
        "reported": ["p = 0.03 (log-rank)", "HR 0.71 (no CI)"],
        "reason": ["p-value only: no effect size", "no CI or SE reported"],
    }
)


# ---------------------------------------------------------------------------------------------
# image comparison


def check_image(fig, name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.png"
    save_figure(fig, out, dpi=IMAGE_DPI)
    base = BASELINE / f"{name}.png"
    if REGENERATE:
        BASELINE.mkdir(exist_ok=True)
        shutil.copy(out, base)
        return
    if not base.exists():
        pytest.fail(
            f"no baseline {base}; run `python tests/test_plots.py --regenerate` and look at it"
        )
    err = compare_images(str(base), str(out), tol=IMAGE_RMS_TOL)
    assert err is None, err


def case_two_studies():
    res, df = two_studies()
    return forest_plot(res, counts=df)


def case_three_ci_off_axis():
    return forest_plot(three_studies_hr(), xlim=(0.25, 4))


def case_subgroups_15():
    df = counts_frame()
    return forest_plot(subgroup_result(df), counts=df, title="Complete response by dose group")


def case_favours_higher_is_better():
    """A beneficial outcome (response, OR > 1 good): "Favours treatment" must be on the right."""
    res, df = two_studies()
    return forest_plot(res, counts=df, higher_is="better")


def case_axis_from_studies_wide_pooled():
    """k = 2 with a pooled CI of ~0.001-1e4: limits from the studies, arrows on the diamond,
    symmetric around 1 with both ends labelled."""
    import numpy as np

    from evsynth.pooling import meta_analysis

    y = np.log([3.89, 2.67])
    se = (np.log([17.02, 26.09]) - np.log([0.89, 0.27])) / (2 * 1.959964)
    res = meta_analysis(y, se**2, labels=["Study A", "Study B"], measure="OR", test="adhoc")
    return forest_plot(res, higher_is="better")


def case_long_label():
    return forest_plot(long_label_analysis())


def case_long_label_85mm():
    return forest_plot(long_label_analysis(), columns=("estimate_ci",), width_mm=85)


def case_k1():
    return forest_plot(single_study())


def case_unpoolable_revman():
    df = counts_frame().iloc[:6]
    return forest_plot(rr_analysis(df), counts=df, unpoolable=UNPOOLABLE, style="revman")


def case_jama_table():
    table = pd.DataFrame(
        {
            "label": ["Univariable", "Multivariable", "Propensity-matched"],
            "estimate": [0.52, 0.61, 0.70],
            "ci_lower": [0.33, 0.37, 0.41],
            "ci_upper": [0.82, 1.01, 1.19],
            "p": ["0.005", "0.055", "0.19"],
        }
    )
    return forest_plot(
        table,
        measure="HR",
        columns=("estimate_ci", "p"),
        style="jama",
        favours=("Favours steroids", "Favours none"),
    )


def case_sensitivity():
    from evsynth.pooling.bayes import bayesian_meta_analysis

    df = counts_frame()
    results = {
        "REML + Hartung-Knapp (ad hoc)": rr_analysis(df),
        "DerSimonian-Laird, Wald z": rr_analysis(df, method="DL", test="z"),
        "Bayesian, half-normal(0.5) on \u03c4": bayesian_meta_analysis(
            df["yi"].to_numpy(), df["vi"].to_numpy(), labels=list(df["label"]), measure="RR"
        ),
    }
    return sensitivity_plot(results)


def case_funnel_contours():
    return funnel_plot(rr_analysis(counts_frame()), contours=True)


def case_funnel_trimfill():
    from evsynth.pooling.bias import trim_and_fill

    res = rr_analysis(counts_frame())
    return funnel_plot(res, trimfill=trim_and_fill(res))


#: baseline name -> figure factory (the brief's cases: 2 studies, 3 with a CI off the axis,
#: 15 studies in subgroups, a 60-character label, k = 1; plus styles, tables, funnels)
CASES = {
    "forest_two_studies": case_two_studies,
    "forest_three_ci_off_axis": case_three_ci_off_axis,
    "forest_subgroups_15": case_subgroups_15,
    "forest_long_label": case_long_label,
    "forest_long_label_85mm": case_long_label_85mm,
    "forest_k1": case_k1,
    "forest_unpoolable_revman": case_unpoolable_revman,
    "forest_jama_table": case_jama_table,
    "forest_sensitivity": case_sensitivity,
    "forest_favours_higher_better": case_favours_higher_is_better,
    "forest_axis_wide_pooled": case_axis_from_studies_wide_pooled,
    "funnel_contours": case_funnel_contours,
    "funnel_trimfill": case_funnel_trimfill,
}


@pytest.mark.parametrize("name", list(CASES))
def test_image(name, tmp_path):
    check_image(CASES[name](), name, tmp_path)


def test_axis_rules_and_favours_labels():
    """The rules the two image cases show, asserted on the axis itself."""
    import math

    fig = case_axis_from_studies_wide_pooled()
    ax = fig.axes[0]
    lo, hi = (math.exp(v) for v in ax.get_xlim())
    assert lo == pytest.approx(1 / hi)  # symmetric around 1 in log space
    assert (
        0.27 > lo and 26.09 < hi and hi <= 100 * (1 + 1e-9)
    )  # the studies' CIs fit, the pooled CI does not
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels[0] == f"{lo:g}" and labels[-1] == f"{hi:g}"  # both ends labelled
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "3.48 [0.0011, 1.1e4]" in " ".join(texts)  # significant digits, not "0.00"/"10682.54"
    assert not any(t.startswith("Prediction interval:") for t in texts)  # no PI recipe footnote
    left = [t for t in texts if t.startswith("Favours")]
    assert left == ["Favours control", "Favours treatment"]  # higher is better: treatment right
    harmful = forest_plot(three_studies_hr())  # HR: lower is better by default
    assert [t.get_text() for t in harmful.findobj(matplotlib.text.Text)
            if t.get_text().startswith("Favours")] == ["Favours treatment", "Favours control"]  # fmt: skip
    unknown = forest_plot(two_studies()[0])  # RR with no direction: no guess
    assert not any(
        t.get_text().startswith("Favours") for t in unknown.findobj(matplotlib.text.Text)
    )


def test_pooled_row_totals_events_and_n():
    """RevMan's total row, by hand: 32/197 + 23/310 = 55/507; 55/215 + 34/325 = 89/540."""
    res, df = two_studies()
    texts = [t.get_text() for t in forest_plot(res, counts=df).findobj(matplotlib.text.Text)]
    assert "55/507" in texts and "89/540" in texts


# ---------------------------------------------------------------------------------------------
# text stays text: save a PDF and read it back


def _pdf_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_pdf_text_has_every_label_and_the_pooled_estimate(tmp_path):
    df = counts_frame()
    res = rr_analysis(df)
    path = save_figure(forest_plot(res, counts=df), tmp_path / "forest.pdf")
    text = _pdf_text(path)
    for label in df["label"]:
        assert label in text, label
    # the pooled RR as printed: exp of the analysis-scale estimate and CI, two decimals
    lo, hi = res.ci
    printed = f"{math.exp(res.estimate):.2f} [{math.exp(lo):.2f}, {math.exp(hi):.2f}]"
    assert printed in text
    assert "32/197" in text and "55/215" in text  # counts of Adams 2019, as typed above
    assert "Hartung-Knapp-Sidik-Jonkman, ad hoc" in text
    assert f"df = {res.k - 1}" in text


def test_pdf_text_long_label_and_k1(tmp_path):
    text = _pdf_text(save_figure(forest_plot(long_label_analysis()), tmp_path / "long.pdf"))
    assert LONG_LABEL in text.replace("\n", " ")
    text = _pdf_text(save_figure(forest_plot(single_study()), tmp_path / "k1.pdf"))
    assert "Zhang 2024" in text
    # one study: HR 0.67 with normal-theory CI exp(log 0.67 ± 1.959964·sqrt(0.05)) = [0.43, 1.04]
    assert "0.67 [0.43, 1.04]" in text


def test_pdf_text_subgroups(tmp_path):
    pytest.importorskip("evsynth.pooling.subgroup")
    df = counts_frame()
    sg = subgroup_result(df)
    text = _pdf_text(save_figure(forest_plot(sg, counts=df), tmp_path / "sub.pdf"))
    for group in ("High dose", "Low dose", "Prophylactic"):
        assert group in text
    # the headline (separate-tau²) test, printed as the SubgroupAnalysis holds it
    assert f"Test for subgroup differences: Q = {sg.q_between:.2f}, df = 2, p < 0.001" in text
    for fit in sg.fits:  # each subtotal diamond's numbers
        lo, hi = fit.ci
        assert f"{math.exp(fit.estimate):.2f} [{math.exp(lo):.2f}, {math.exp(hi):.2f}]" in text


def test_pdf_embeds_truetype_fonts(tmp_path):
    raw = save_figure(forest_plot(three_studies_hr()), tmp_path / "f.pdf").read_bytes()
    assert b"/FontFile2" in raw  # TrueType program embedded (pdf.fonttype 42), not Type 3
    assert b"/Type3" not in raw


def render_docs(folder: Path, dpi: int = 150) -> None:
    """Render every case to ``folder`` (the PNGs shown in docs/plots.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        save_figure(make(), folder / f"{name}.png", dpi=dpi)


if __name__ == "__main__":
    # python tests/test_plots.py --regenerate   rewrite tests/baseline/*.png
    # python tests/test_plots.py --docs         rewrite docs/img/*.png
    if "--docs" in sys.argv:
        render_docs(Path(__file__).resolve().parent.parent / "docs" / "img")
        sys.exit(0)
    if "--regenerate" in sys.argv:
        os.environ["EVSYNTH_REGENERATE_BASELINES"] = "1"
        sys.exit(pytest.main([__file__, "-q", "-k", "test_image"]))
    sys.exit(pytest.main([__file__, "-q"]))
