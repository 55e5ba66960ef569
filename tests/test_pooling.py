"""Behaviour of evsynth.meta_analysis: few studies, truncation, input errors, result objects.

Numbers come from the metafor reference JSON (validation/metafor/rma.json; R calls named in each
docstring) or from hand calculations written out in the test.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import evsynth
from evsynth.errors import PoolingError
from evsynth.pooling import MetaAnalysis, meta_analysis
from tests.tolerances import CLOSED_FORM_RTOL, METAFOR_RTOL

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/rma.json").read_text())
BCG = REF["data"]["bcg"]
TOCI = REF["data"]["toci_k2"]
K3 = REF["data"]["k3"]
QSMALL = REF["data"]["qsmall"]


def test_top_level_export_and_defaults():
    """``evsynth.meta_analysis`` defaults: REML, test="adhoc", level 0.95, metafor PI; why is in notes.

    R: ``rma(yi, vi, data=bcg, method="REML", test="adhoc")``.
    """
    res = evsynth.meta_analysis(BCG["yi"], BCG["vi"])
    ref = REF["fits"]["bcg|REML|adhoc"]
    assert isinstance(res, MetaAnalysis)
    assert (res.method, res.test, res.level, res.pi_method) == ("REML", "adhoc", 0.95, "metafor")
    assert res.estimate == pytest.approx(ref["beta"], rel=METAFOR_RTOL)
    assert res.df == 12
    assert any("Röver" in n and "adhoc" in n for n in res.notes)


def test_dl_truncates_at_zero_when_q_below_df():
    """DL with Q < k-1 gives tau² = 0, not a negative value, and says so.

    R: ``rma(yi, vi, data=qsmall, method="DL", test="z")`` -> QE = 0.0686 < 4, tau² = 0.
    Hand calculation of the raw DL value: (Q - (k-1)) / (sum w - sum w² / sum w) < 0.
    """
    y, v = np.array(QSMALL["yi"]), np.array(QSMALL["vi"])
    res = meta_analysis(y, v, method="DL", test="z")
    ref = REF["fits"]["qsmall|DL|z"]
    w = 1 / v
    mu = np.sum(w * y) / w.sum()
    q = float(np.sum(w * (y - mu) ** 2))
    raw = (q - 4) / (w.sum() - np.sum(w**2) / w.sum())
    assert q < 4 and raw < 0
    assert (
        res.q
        == pytest.approx(q, rel=CLOSED_FORM_RTOL)
        == pytest.approx(ref["QE"], rel=CLOSED_FORM_RTOL)
    )
    assert res.tau2 == 0.0 == ref["tau2"]
    assert res.i2 == 0.0 and res.h2 == 1.0
    assert res.estimate == pytest.approx(mu, rel=CLOSED_FORM_RTOL)
    assert any("truncated at 0" in n and "Q < k-p" in n for n in res.notes)
    # Q-profile: Q(0) is below the lower chi² quantile -> null set, said plainly (metafor ci.null)
    assert res.tau2_ci == (0.0, 0.0)
    assert REF["fits"]["qsmall|DL|z"]["ci_null"] is True
    assert any("null/empty set" in n for n in res.notes)


def test_one_study_no_pooling():
    """k = 1: the study's own estimate and normal CI; heterogeneity is NaN with a note, never 0."""
    res = meta_analysis([math.log(0.7)], [0.04], measure="HR", labels=["Only 2024"])
    z = stats.norm.isf(0.025)
    assert res.k == 1 and res.estimate == pytest.approx(math.log(0.7), rel=CLOSED_FORM_RTOL)
    assert res.ci == pytest.approx(
        (math.log(0.7) - z * 0.2, math.log(0.7) + z * 0.2), rel=CLOSED_FORM_RTOL
    )
    assert all(math.isnan(x) for x in (res.tau2, res.i2, res.h2, res.q, *res.pi))
    assert res.weights == (100.0,)
    assert any(n.startswith("one study: no pooling, no heterogeneity") for n in res.notes)
    assert "NaN" in str(res)


def test_two_studies_hts_pi_undefined_and_few_studies_note():
    """k = 2: t(k-2) does not exist, so the HTS prediction interval is NaN with a plain note.

    R: ``rma(yi, vi, data=toci, method="REML", test="adhoc")`` and ``predict()`` (t(1) PI).
    """
    res = meta_analysis(TOCI["yi"], TOCI["vi"], pi="hts", measure="HR")
    assert math.isnan(res.pi[0]) and math.isnan(res.pi[1])
    assert any("does not exist with k = 2" in n for n in res.notes)
    assert any("Only k = 2 studies" in n for n in res.notes)
    default = meta_analysis(TOCI["yi"], TOCI["vi"], measure="HR")
    ref = REF["fits"]["toci_k2|REML|adhoc"]
    assert default.pi == pytest.approx((ref["pi_lb"], ref["pi_ub"]), rel=METAFOR_RTOL)


def test_k3_adhoc_never_narrower_than_knha_or_z():
    """With k = 3 the adhoc CI is at least as wide as both knha and the z interval.

    R: ``rma(yi, vi, data=k3, method="REML", test=<z|knha|adhoc>)``.
    """
    width = {}
    for test in ("z", "knha", "adhoc"):
        res = meta_analysis(K3["yi"], K3["vi"], test=test)
        ref = REF["fits"][f"k3|REML|{test}"]
        assert res.ci == pytest.approx((ref["ci_lb"], ref["ci_ub"]), rel=METAFOR_RTOL)
        width[test] = res.ci[1] - res.ci[0]
    assert width["adhoc"] >= width["knha"] - 1e-12
    assert width["adhoc"] >= width["z"]
    assert any("Only k = 3" in n for n in meta_analysis(K3["yi"], K3["vi"]).notes)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"yi": [], "vi": []}, "k = 0"),
        ({"yi": [0.1, 0.2], "vi": [0.01]}, "one value per study"),
        ({"yi": [0.1, 0.2], "vi": [0.01, -0.02]}, "must be positive"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.0]}, "must be positive"),
        ({"yi": [0.1, 0.2], "vi": [0.01, float("nan")]}, "not finite"),
        ({"yi": [0.1, float("nan")], "vi": [0.01, 0.02]}, "Study 2"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "method": "XX"}, "Unknown method"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "test": "t"}, "Unknown test"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "pi": "x"}, "prediction-interval"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "sei": [0.1, 0.1]}, "not both"),
        ({"yi": [0.1, 0.2]}, "No sampling variances"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "labels": ["a"]}, "labels has 1"),
        ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "level": 1.5}, "level"),
    ],
)
def test_impossible_input_raises_pooling_error(kwargs, match):
    """Impossible input raises PoolingError (a ValueError) with a message naming the problem."""
    yi = kwargs.pop("yi")
    with pytest.raises(PoolingError, match=match):
        meta_analysis(yi, **kwargs)


def test_dataframe_from_effect_sizes():
    """``data=`` takes evsynth.effects.effect_sizes output: yi/vi, labels from row_id, measure from
    measure_analysis. Numbers equal the toci_k2 reference (R: conv.wald formula, see rma.R).
    """
    from evsynth.effects import effect_sizes
    from evsynth.extraction.schema import EVIDENCE_COLUMNS

    rows = []
    for est, lo, hi, sid in [(1.18, 0.49, 2.85, "a2024"), (1.207, 0.561, 2.598, "b2025")]:
        row = dict.fromkeys(EVIDENCE_COLUMNS, "")
        row.update(
            measure="HR",
            estimate=est,
            ci_lower=lo,
            ci_upper=hi,
            ci_level=0.95,
            study_id=sid,
            row_id=sid,
        )
        rows.append(row)
    es = effect_sizes(pd.DataFrame(rows))
    res = meta_analysis(data=es)
    assert res.labels == ("a2024", "b2025")
    assert res.measure == "HR"
    assert res.yi == pytest.approx(TOCI["yi"], rel=CLOSED_FORM_RTOL)
    assert res.vi == pytest.approx(TOCI["vi"], rel=CLOSED_FORM_RTOL)
    by_sei = meta_analysis(
        data=pd.DataFrame({"yi": TOCI["yi"], "sei": np.sqrt(TOCI["vi"]), "slab": ["A", "B"]})
    )
    assert by_sei.labels == ("A", "B")
    assert by_sei.estimate == pytest.approx(res.estimate, rel=CLOSED_FORM_RTOL)


def test_dataframe_missing_effect_is_named_not_dropped():
    """A study without an effect size is named in the error, never silently dropped."""
    df = pd.DataFrame(
        {"yi": [0.1, np.nan, 0.3], "vi": [0.01, 0.02, 0.03], "study_id": ["a", "b", "c"]}
    )
    with pytest.raises(PoolingError, match=r"\['b'\]"):
        meta_analysis(data=df)
    with pytest.raises(PoolingError, match="mixes effect measures"):
        meta_analysis(data=df.assign(yi=[0.1, 0.2, 0.3], measure=["HR", "OR", "HR"]))


def test_frames_transformed_and_weights():
    """to_frame (level in names), study_frame, transformed (exp), weights sum to 100.

    R: ``rma(yi, vi, data=bcg, method="REML", test="z", level=90)``: CI uses qnorm(0.95);
    ``weights(res)`` as in rma.json; ``predict(res, transf=exp)``.
    """
    res = meta_analysis(
        BCG["yi"], BCG["vi"], test="z", level=0.90, measure="RR", labels=REF["bcg_labels"]
    )
    ref = REF["fits"]["bcg|REML|z"]
    frame = res.to_frame()
    assert {
        "ci_lower_90",
        "ci_upper_90",
        "pi_lower_90",
        "tau2_ci_upper_90",
        "i2",
        "q_pvalue",
    } <= set(frame.columns)
    half = stats.norm.isf(0.05) * ref["se"]
    assert frame.loc[0, "ci_lower_90"] == pytest.approx(ref["beta"] - half, rel=METAFOR_RTOL)
    assert sum(res.weights) == pytest.approx(100, rel=CLOSED_FORM_RTOL)
    assert res.weights == pytest.approx(ref["weights"], rel=METAFOR_RTOL)
    sf = res.study_frame()
    assert list(sf.columns) == ["label", "yi", "vi", "sei", "ci_lower_90", "ci_upper_90", "weight"]
    assert sf.loc[0, "label"] == "Aronson 1948"
    tr = res.transformed().iloc[0]
    assert tr["estimate"] == pytest.approx(math.exp(ref["beta"]), rel=METAFOR_RTOL)
    assert tr["ci_upper_90"] == pytest.approx(math.exp(ref["beta"] + half), rel=METAFOR_RTOL)
    with pytest.raises(PoolingError, match="ratio measures"):
        meta_analysis(BCG["yi"], BCG["vi"]).transformed()


def test_text_and_html_repr():
    """The text repr shows estimate, CI, tau², I², Q with p and the test; HTML is a table + notes."""
    res = meta_analysis(BCG["yi"], BCG["vi"], measure="RR")
    text = str(res)
    for piece in ("Random-effects model (k = 13; tau² estimator: REML)", "I²", "Q(df = 12) = 152.2330",
                  "p < .0001", "ad hoc", "95% CI", "RR 0.4894"):  # fmt: skip
        assert piece in text, piece
    assert repr(res) == text
    html = res._repr_html_()
    assert "<table" in html and "Röver" in html


def test_common_effect_model():
    """FE: tau² = 0, I²/H² from Q (metafor), no PI (NaN with a note).

    R: ``rma(yi, vi, data=bcg, method="FE", test="z")``: I² = 100 (Q - 12)/Q.
    """
    res = meta_analysis(BCG["yi"], BCG["vi"], method="FE", test="z")
    ref = REF["fits"]["bcg|FE|z"]
    assert res.tau2 == 0 and res.i2 == pytest.approx(
        100 * (res.q - 12) / res.q, rel=CLOSED_FORM_RTOL
    )
    assert res.i2 == pytest.approx(ref["I2"], rel=CLOSED_FORM_RTOL)
    assert math.isnan(res.pi[0]) and any("no prediction interval" in n for n in res.notes)
    assert "Common-effect model" in str(res)


def test_forest_plot_is_lazy(monkeypatch):
    """``MetaAnalysis.forest_plot`` hands itself to evsynth.plots.forest_plot; no pooling module
    imports matplotlib at module level."""
    import evsynth.plots as plots

    seen = {}
    monkeypatch.setattr(
        plots, "forest_plot", lambda res, **kw: seen.setdefault("call", (res, kw)), raising=False
    )
    res = meta_analysis(BCG["yi"], BCG["vi"])
    res.forest_plot(xlim=(0.1, 2))
    assert seen["call"][0] is res and seen["call"][1] == {"xlim": (0.1, 2)}
    root = Path(__file__).parent.parent / "evsynth" / "pooling"
    for name in ("__init__", "result", "estimators", "rma", "inference", "metareg"):
        tree = ast.parse((root / f"{name}.py").read_text())
        for node in tree.body:
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])  # fmt: skip
            assert not any(
                m.startswith("matplotlib") or m.startswith("evsynth.plots") for m in mods
            )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-3, 3), st.floats(0.001, 2.0)),
        min_size=2,
        max_size=8,
    ),
    st.sampled_from(["DL", "REML", "ML", "PM", "EB", "SJ", "HE", "HS"]),
)
def test_invariants(studies, method):
    """For any valid input: tau² >= 0, weights sum to 100, CI contains the estimate, the adhoc
    CI is never narrower than the z CI, I² in [0, 100]."""
    y = [s[0] for s in studies]
    v = [s[1] for s in studies]
    res = meta_analysis(y, v, method=method)
    z = meta_analysis(y, v, method=method, test="z")
    assert res.tau2 >= 0
    assert sum(res.weights) == pytest.approx(100)
    assert res.ci[0] <= res.estimate <= res.ci[1]
    assert res.ci[1] - res.ci[0] >= (z.ci[1] - z.ci[0]) * (1 - 1e-9)
    assert 0 <= res.i2 <= 100
    assert res.tau2_ci[0] <= res.tau2_ci[1]
