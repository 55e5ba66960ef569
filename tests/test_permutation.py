"""Exact sign-flip permutation test against R metafor 3.8 (validation/metafor/inference.json).

Reference calls (``dat`` = log risk ratios of dat.bcg, six trials c(7, 8, 9, 10, 12, 13)):
``permutest(rma(yi, vi, data=dat, subset=c(7,8,9,10,12,13), method=<m>, test=<t>), exact=TRUE)``
and metafor's own unit-test example ``permutest(rma(yi, vi, data=escalc("RD", dat.hine1989)))``
whose p-value 0.0625 is asserted in metafor's tests/testthat/test_misc_permutest.r.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.errors import PoolingError
from evsynth.pooling import meta_analysis
from evsynth.pooling.permutation import permutation_test, sign_matrix
from tests.tolerances import CLOSED_FORM_RTOL, METAFOR_RTOL

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/inference.json").read_text())
P = REF["permutest"]
IDX = np.array(P["subset"]) - 1
YI = np.array(REF["data"]["yi"])[IDX]
VI = np.array(REF["data"]["vi"])[IDX]


@pytest.mark.metafor
@pytest.mark.parametrize(
    ("key", "method", "test"),
    [
        ("reml_z", "REML", "z"),
        ("reml_knha", "REML", "knha"),
        ("reml_adhoc", "REML", "adhoc"),
        ("dl_z", "DL", "z"),
    ],
)
def test_exact_pvalue_and_permutation_distribution_match_metafor(key, method, test):
    ref = P[key]
    res = permutation_test(YI, VI, method=method, test=test)
    assert res.pvalue == ref["pval"]  # a count over 64 patterns: exact
    assert res.n_permutations == ref["n_perm"] == 64
    assert res.statistic == pytest.approx(ref["zval"], rel=METAFOR_RTOL)
    np.testing.assert_allclose(res.statistics, ref["zval_perm"], rtol=METAFOR_RTOL, atol=1e-12)


@pytest.mark.metafor
def test_hine1989_example_from_metafor_tests():
    ref = P["hine1989"]
    res = permutation_test(ref["yi"], ref["vi"], test="z")
    assert res.pvalue == 0.0625 == ref["pval"]
    assert res.pvalue_model == pytest.approx(ref["pval_model"], rel=1e-5)


def test_hand_calculation_two_studies_fixed_effect():
    # FE, y = (1, 2), v = (1, 1): z = sum(s*y)/sqrt(2) over s in {++, -+, +-, --}:
    # |z| = 3/sqrt2, 1/sqrt2, 1/sqrt2, 3/sqrt2 -> two of four as extreme as observed: p = 0.5
    res = permutation_test([1.0, 2.0], [1.0, 1.0], method="FE", test="z")
    assert res.statistic == pytest.approx(3 / np.sqrt(2), rel=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(
        np.abs(res.statistics), np.array([3, 1, 1, 3]) / np.sqrt(2), rtol=CLOSED_FORM_RTOL
    )
    assert res.pvalue == 0.5
    assert res.min_pvalue == 0.5


def test_sign_matrix_in_metafor_order():
    # expand.grid(c(1,-1), c(1,-1)): (1,1), (-1,1), (1,-1), (-1,-1)
    np.testing.assert_array_equal(sign_matrix(2), [[1, 1], [-1, 1], [1, -1], [-1, -1]])


def test_uses_the_fitted_model_options():
    fit = meta_analysis(YI, VI, method="REML", test="knha")
    res = permutation_test(fit)
    assert (res.method, res.test) == ("REML", "knha")
    assert res.pvalue == P["reml_knha"]["pval"]


def test_non_vectorized_estimator_falls_back_to_meta_analysis():
    # PM is refitted pattern by pattern; with all signs flipped |z| is unchanged, so the observed
    # and the fully flipped pattern always count: p >= 2/2^k
    res = permutation_test(YI[:4], VI[:4], method="PM", test="z")
    assert res.n_permutations == 16
    assert res.pvalue >= 2 / 16
    np.testing.assert_allclose(res.statistics[0], -res.statistics[-1], rtol=1e-8)
    assert any("pattern by pattern" in n for n in res.notes)


def test_refuses_large_k_unless_asked():
    y = np.linspace(-1, 1, 21)
    with pytest.raises(PoolingError, match="max_k"):
        permutation_test(y, np.full(21, 0.1))
    with pytest.raises(PoolingError, match="at least 2"):
        permutation_test([0.1], [0.1])
