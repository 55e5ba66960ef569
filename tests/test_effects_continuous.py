"""Continuous effect sizes compared with R metafor 3.8.1 escalc
(validation/metafor/continuous.R -> continuous.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evsynth.effects import (
    difference_from_ci,
    effect_sizes,
    mean_effect,
    sd_from_ci,
    sd_from_se,
)
from evsynth.effects.continuous import hedges_correction
from evsynth.errors import EffectSizeError
from tests.tolerances import CLOSED_FORM_RTOL

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "validation" / "metafor" / "continuous.json").read_text()
)


def test_reference_versions():
    assert REF["versions"]["metafor"] == "3.8.1"


@pytest.mark.parametrize("data", ["normand1999", "hand"])
@pytest.mark.parametrize("measure", ["MD", "SMD", "ROM"])
def test_mean_effect_matches_escalc(data, measure):
    rows = REF[data]["data"]
    got = [
        mean_effect(r["m1i"], r["sd1i"], r["n1i"], r["m2i"], r["sd2i"], r["n2i"], measure=measure)
        for r in rows
    ]
    np.testing.assert_allclose([g.yi for g in got], REF[data][measure]["yi"], rtol=1e-10)
    np.testing.assert_allclose([g.vi for g in got], REF[data][measure]["vi"], rtol=1e-10)


def test_hedges_exact_correction_hand_value():
    # m = 5: J = Gamma(2.5) / (sqrt(2.5) Gamma(2)) = 1.329340 / 1.581139 = 0.840749
    assert hedges_correction(5) == pytest.approx(1.3293403881791355 / np.sqrt(2.5), rel=1e-12)
    assert hedges_correction(5) != pytest.approx(1 - 3 / (4 * 5 - 1), rel=1e-4)


def test_sd_from_se_and_ci_match_r():
    for r, sd in zip(REF["sd_from_ci"]["data"], REF["sd_from_ci"]["sd"], strict=True):
        assert sd_from_ci(r["lower"], r["upper"], r["n"]) == pytest.approx(sd, rel=1e-10)
    for r, sd in zip(REF["sd_from_se"]["data"], REF["sd_from_se"]["sd"], strict=True):
        assert sd_from_se(r["se"], r["n"]) == pytest.approx(sd, rel=1e-10)


def test_reported_md_se_from_ci():
    ref = REF["reported_md"]
    for r, yi, vi in zip(ref["data"], ref["yi"], ref["vi"], strict=True):
        es = difference_from_ci(r["est"], r["lo"], r["hi"])
        assert es.yi == yi
        assert es.vi == pytest.approx(vi, rel=CLOSED_FORM_RTOL)


def test_impossible_inputs_are_named():
    with pytest.raises(EffectSizeError, match="sd_int"):
        mean_effect(1, 0, 10, 2, 1, 10)
    with pytest.raises(EffectSizeError, match="ROM needs positive means"):
        mean_effect(-1, 1, 10, 2, 1, 10, measure="ROM")
    with pytest.raises(EffectSizeError, match="outside its CI"):
        difference_from_ci(1.0, -1.2, -0.4)


def test_effect_sizes_means_and_md_rows():
    hand = REF["hand"]["data"][0]
    ev = pd.DataFrame(
        [
            {
                "row_id": "a",
                "measure": "means",
                "mean_int": hand["m1i"],
                "sd_int": hand["sd1i"],
                "total_int": hand["n1i"],
                "mean_ctl": hand["m2i"],
                "sd_ctl": hand["sd2i"],
                "total_ctl": hand["n2i"],
            },
            {"row_id": "b", "measure": "MD", "estimate": -0.8, "ci_lower": -1.2,
             "ci_upper": -0.4, "ci_level": 0.95},
            {"row_id": "c", "measure": "means", "mean_int": 1.0, "total_int": 5},
        ]
    )  # fmt: skip
    es = effect_sizes(ev)
    assert es.loc[0, "yi"] == pytest.approx(REF["hand"]["MD"]["yi"][0], rel=1e-10)
    assert es.loc[0, "vi"] == pytest.approx(REF["hand"]["MD"]["vi"][0], rel=1e-10)
    assert es.loc[1, "vi"] == pytest.approx(REF["reported_md"]["vi"][0], rel=1e-10)
    assert "sd_int" in es.loc[2, "not_estimable_reason"]
    smd = effect_sizes(ev, continuous_measure="SMD")
    assert smd.loc[0, "yi"] == pytest.approx(REF["hand"]["SMD"]["yi"][0], rel=1e-10)
    assert "cannot be converted to SMD" in smd.loc[1, "not_estimable_reason"]
