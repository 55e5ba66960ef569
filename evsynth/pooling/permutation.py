"""Exact permutation (sign-flip) test of the pooled effect, as metafor's ``permutest(exact=TRUE)``.

Under H0: mu = 0 with effects symmetric about 0, flipping the sign of any study's ``yi`` gives an
equally likely data set (Follmann & Proschan 1999). The model is refitted to all 2^k sign
patterns and the p-value is the share of patterns whose test statistic is at least as extreme
as the observed one. The test keeps its level with few studies, where the z-test does not;
its smallest attainable p-value is 2/2^k (0.0625 for k = 5).

References
----------
Follmann DA, Proschan MA (1999). Valid inference in random effects meta-analysis.
    Biometrics 55:732-737.
Viechtbauer W (2010). metafor, ``permutest.rma.uni``: for models without moderators the signs
    of the observed outcomes are permuted; two-sided p-value
    ``mean(|z_perm| >= |z_obs| - comptol)`` with ``comptol = sqrt(machine epsilon)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth.errors import PoolingError
from evsynth.pooling.gosh import GOSH_METHODS, _clean_input, _t_or_z_pvalue, fit_many
from evsynth.pooling.result import inspection

PERMUTATION_MAX_K = 20
COMPTOL = math.sqrt(np.finfo(float).eps)  # metafor control comptol = .Machine$double.eps^0.5
_CHUNK = 1 << 15


@dataclass(frozen=True)
class PermutationTest(FrameDisplay):
    """Result of :func:`permutation_test`.

    Attributes
    ----------
    k, method, test : the model refitted under every sign pattern
    estimate, statistic : pooled estimate and its z/t statistic for the observed data
    pvalue_model : the model's own (asymptotic z or t) p-value, for comparison
    pvalue : exact permutation p-value (two-sided)
    n_permutations : 2^k
    min_pvalue : the smallest p-value the test can give, 2 / 2^k
    statistics : the statistic under every sign pattern (metafor's ``zval.perm``; NaN where the
        refit failed or its tau² solver did not converge)
    n_not_converged : refits whose tau² solver did not converge (left out of the p-value)
    converged : whether the fit to the observed data converged
    notes : how it was computed
    """

    k: int
    method: str
    test: str
    estimate: float
    statistic: float
    pvalue_model: float
    pvalue: float
    n_permutations: int
    min_pvalue: float
    statistics: np.ndarray = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()
    n_not_converged: int = 0
    converged: bool = True

    _display_title = "Exact permutation test (sign flips)"

    def to_frame(self) -> pd.DataFrame:
        """One row: k, method, test, estimate, statistic, pvalue_model, pvalue, n_permutations."""
        return pd.DataFrame(
            [
                {
                    "k": self.k,
                    "method": self.method,
                    "test": self.test,
                    "estimate": self.estimate,
                    "statistic": self.statistic,
                    "pvalue_model": self.pvalue_model,
                    "pvalue": self.pvalue,
                    "n_permutations": self.n_permutations,
                    "min_pvalue": self.min_pvalue,
                    "n_not_converged": self.n_not_converged,
                    "converged": self.converged,
                }
            ]
        )

    def _display_notes(self) -> list[str]:
        return list(self.notes)

    def __repr__(self) -> str:
        return (
            f"Exact permutation test (k = {self.k}, {self.method}, test={self.test}): "
            f"statistic = {self.statistic:.4f}, model p = {self.pvalue_model:.4g}, "
            f"permutation p = {self.pvalue:.4g} ({self.n_permutations:,} sign patterns; "
            f"smallest possible p = {self.min_pvalue:.4g})"
            + (
                ""
                if self.converged
                else "\nWARNING: the fit to the observed data did not converge."
            )
            + (
                f"\nWARNING: {self.n_not_converged} refit(s) did not converge (left out)."
                if self.n_not_converged
                else ""
            )
        )


def sign_matrix(k: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rows ``start:stop`` of the 2^k sign patterns in metafor's order (study 1 flips fastest)."""
    stop = 2**k if stop is None else stop
    idx = np.arange(start, stop, dtype=np.int64)
    bits = (idx[:, None] >> np.arange(k)) & 1
    return 1.0 - 2.0 * bits


@inspection("permutation_test")
def permutation_test(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    method: str | None = None,
    test: str | None = None,
    max_k: int = PERMUTATION_MAX_K,
) -> PermutationTest:
    """Exact sign-flip permutation test of H0: mu = 0 (metafor ``permutest(exact=TRUE)``).

    Parameters
    ----------
    yi : effect sizes, or a fitted :class:`~evsynth.pooling.result.MetaAnalysis` (its yi, vi,
        method and test are used)
    vi, sei : sampling variances or standard errors (when ``yi`` is an array)
    labels : study labels
    method : "REML" (default), "DL" or "FE" (vectorized); other tau² estimators are refitted
        one pattern at a time with :func:`~evsynth.pooling.meta_analysis`
    test : statistic to permute: "adhoc" (default, as ``meta_analysis``), "knha", "z" or "t"
    max_k : refuse more studies than this (2^k refits); raise it to run anyway

    Returns
    -------
    PermutationTest

    Notes
    -----
    For each of the 2^k sign vectors ``s``, the model is refitted to ``s * yi`` (same ``vi``,
    same tau² estimator and test) and its statistic ``z_s = mu_s / se_s`` recorded;
    ``p = #{s : |z_s| >= |z_obs| - 1.49e-8} / 2^k`` (Follmann & Proschan 1999; metafor's
    ``permutest``, default ``p2defn="abs"``, ``stat="test"``). Every refit, and the observed
    statistic, use the tau² solver and tolerance of :func:`~evsynth.pooling.meta_analysis`
    (vectorized in :func:`~evsynth.pooling.gosh.fit_many`), so the observed statistic is the
    fit's own.
    """
    from evsynth.pooling.result import MetaAnalysis

    if isinstance(yi, MetaAnalysis):
        model = yi
        clash = [
            f"{name}={given!r} (the fit has {have!r})"
            for name, given, have in (("method", method, model.method), ("test", test, model.test))
            if given is not None and str(given).lower() != str(have).lower()
        ]
        if clash:
            raise PoolingError(
                "a fitted model was passed with other options: "
                + "; ".join(clash)
                + ". Inspect the fit as it is, or fit again with the options you want."
            )
        y, v, lab = np.asarray(model.yi), np.asarray(model.vi), model.labels
        method, test = model.method, model.test
    else:
        y, v, lab = _clean_input(yi, vi, sei, labels, what="permutation_test")
    method = (method or "REML").upper()
    test = (test or "adhoc").lower()
    k = len(y)
    if k < 2:
        raise PoolingError("The permutation test needs at least 2 studies.")
    if k > max_k:
        raise PoolingError(
            f"An exact permutation test with k = {k} studies refits the model 2^{k} = {2**k:,} "
            f"times; refusing above max_k = {max_k}. Pass max_k={k} to run it anyway."
        )
    n = 2**k
    df = None if test == "z" else k - 1
    notes = [
        f"Exact test: all 2^{k} = {n:,} sign patterns of yi, model refitted each time "
        f"({method}, test={test}); p = share with |statistic| >= observed (Follmann & Proschan "
        "1999; metafor permutest(exact=TRUE))."
    ]
    n_bad = 0
    if method in GOSH_METHODS:
        stats_all = np.empty(n)
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            s = sign_matrix(k, start, stop)
            fits = fit_many(s * y, v, method=method, test=test)
            stats_all[start:stop] = fits.statistic
            n_bad += int((~fits.converged).sum())
        obs = fit_many(y, v, method=method, test=test)
        estimate, statistic = float(obs.estimate[0]), float(obs.statistic[0])
        obs_converged = bool(obs.converged[0])
    else:
        from evsynth.pooling.rma import meta_analysis

        stats_all = np.empty(n)
        for i, s in enumerate(sign_matrix(k)):
            try:
                refit = meta_analysis(s * y, v, method=method, test=test)
            except PoolingError:
                stats_all[i] = np.nan
                continue
            stats_all[i] = refit.statistic if refit.converged else np.nan
            n_bad += not refit.converged
        fit = meta_analysis(y, v, method=method, test=test)
        estimate, statistic, obs_converged = fit.estimate, fit.statistic, fit.converged
        notes.append(
            f"{method} is refitted pattern by pattern with meta_analysis() (not vectorized)."
        )
    if not obs_converged:
        notes.append(
            "WARNING: the tau² estimator did not converge on the observed data; the observed "
            "statistic and the p-value are unreliable."
        )
    if n_bad:
        notes.append(f"{n_bad} refit(s) did not converge (tau² solver); they count as failed.")
    nfail = int(np.isnan(stats_all).sum())
    if nfail:
        notes.append(f"{nfail} refit(s) failed and are left out of the p-value (as metafor).")
    ok = stats_all[~np.isnan(stats_all)]
    pvalue = float(min(1.0, np.mean(np.abs(ok) >= abs(statistic) - COMPTOL)))
    pmodel = float(_t_or_z_pvalue(np.array([statistic]), df)[0])
    notes.append(
        f"With k = {k} the smallest attainable p-value is 2/2^{k} = {2 / n:.4g}"
        + ("; the test cannot reach p < 0.05 with so few studies." if 2 / n >= 0.05 else ".")
    )
    return PermutationTest(
        k=k,
        method=method,
        test=test,
        estimate=estimate,
        statistic=statistic,
        pvalue_model=pmodel,
        pvalue=pvalue,
        n_permutations=n,
        min_pvalue=2 / n,
        statistics=stats_all,
        notes=tuple(notes),
        n_not_converged=n_bad,
        converged=obs_converged,
    )
