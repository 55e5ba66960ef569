"""``meta_analysis``: the random-effects (and common-effect) model, as metafor's ``rma.uni``.

The model is ``y_i = X_i beta + u_i + e_i``, ``u_i ~ N(0, tau²)``, ``e_i ~ N(0, v_i)``; without
moderators ``X`` is a column of ones and ``beta`` is the pooled effect mu. tau² comes from
:mod:`evsynth.pooling.estimators`, tests and intervals from :mod:`evsynth.pooling.inference`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evsynth.pooling.data import _check_options, _Input, prepare_input
from evsynth.pooling.estimators import (
    COMMON_EFFECT_METHODS,
    METHOD_NAMES,
    estimate_tau2,
)
from evsynth.pooling.inference import (
    fit_coefficients,
    heterogeneity,
    prediction_interval,
    q_profile_interval,
)
from evsynth.pooling.metareg import fit_meta_regression
from evsynth.pooling.result import MetaAnalysis, MetaRegression

ADHOC_NOTE = (
    "Test: 'adhoc' (default) — Hartung-Knapp-Sidik-Jonkman t(k-p) test with the variance scale "
    "factor floored at 1 (Knapp & Hartung 2003; metafor test='adhoc'). Chosen because the z-test "
    "understates uncertainty with few studies, and the plain HKSJ interval can be narrower than "
    "the z interval when the studies agree closely, which happens easily with k = 2 or 3 "
    "(Röver, Knapp & Friede 2015, BMC Med Res Methodol 15:99; Jackson et al. 2017)."
)

FEW_STUDIES_NOTE = (
    "Only k = {k} studies: tau² and I² are very imprecise (see their Q-profile CIs), the t "
    "interval has {df} degree(s) of freedom, and the prediction interval is wide or undefined. "
    "Treat the pooled estimate as a summary of these {k} studies, not as a precise effect."
)


def meta_analysis(
    yi: Sequence[float] | np.ndarray | str | None = None,
    vi: Sequence[float] | np.ndarray | str | None = None,
    *,
    sei: Sequence[float] | np.ndarray | str | None = None,
    data: pd.DataFrame | None = None,
    labels: Sequence[str] | str | None = None,
    method: str = "REML",
    test: str = "adhoc",
    level: float = 0.95,
    measure: str = "GEN",
    mods: Any = None,
    pi: str = "metafor",
    allow_mixing: bool = False,
) -> MetaAnalysis | MetaRegression:
    """Fit a random-effects meta-analysis (or, with ``mods``, a meta-regression) like metafor's ``rma``.

    Parameters
    ----------
    yi, vi : effect sizes on the analysis scale (log for HR/OR/RR) and their sampling
        variances; arrays, or column names of ``data``
    sei : standard errors instead of ``vi``
    data : DataFrame with columns ``yi`` and ``vi`` or ``sei`` (e.g. from
        ``evsynth.effects.effect_sizes``); labels from ``slab``/``label``/``study_id``, and the
        measure from a single-valued ``measure`` column
    labels : study labels (sequence or column name)
    method : tau² estimator "REML" (default), "DL", "ML", "PM", "EB", "SJ", "HE", "HS", or
        "FE"/"EE" for a common-effect model
    test : "adhoc" (default; HKSJ with the scale factor floored at 1), "knha" (HKSJ) or "z"
    level : confidence level (0.95)
    measure : effect measure code ("HR", "OR", "RR", "RD", ..., "GEN" for generic)
    mods : moderators (DataFrame, Series, or array, k rows, without intercept); returns a
        :class:`~evsynth.pooling.result.MetaRegression`
    pi : prediction interval "metafor" (``predict.rma``) or "hts" (Higgins et al. 2009, t(k-2))
    allow_mixing : pool rows that look like they should not be pooled together (different
        measures or outcomes in ``data``, a measure that contradicts ``data``, the same study
        twice); refused by default, naming the rows.

    Returns
    -------
    MetaAnalysis, or MetaRegression when ``mods`` is given.

    Notes
    -----
    Inverse-variance weights ``w_i = 1/(v_i + tau²)``; ``mu = sum w y / sum w``;
    ``Var(mu) = 1/sum w`` (z) or ``s² / sum w`` with ``s² = sum w (y - mu)² / (k-1)``
    (knha; floored at 1 for adhoc), t(k-1) quantiles (Hartung & Knapp 2001; Sidik & Jonkman 2002).
    Heterogeneity: Cochran's Q, I² and H² (Higgins & Thompson 2002, metafor's general
    definitions), Q-profile CIs (Viechtbauer 2007). See docs/methods-pooling.md.

    Raises
    ------
    PoolingError
        for impossible input (k = 0, length mismatch, missing/non-finite yi, vi <= 0, unknown
        option) or a model with more coefficients than studies allow.
    """
    method, test, level, pi = _check_options(method, test, level, pi)
    inp = prepare_input(
        yi, vi, sei=sei, data=data, labels=labels, measure=measure, allow_mixing=allow_mixing
    )
    if mods is not None:
        return fit_meta_regression(inp, mods, method=method, test=test, level=level)
    return _fit_intercept_only(inp, method, test, level, pi)


def _fit_intercept_only(inp: _Input, method: str, test: str, level: float, pi: str) -> MetaAnalysis:
    yi, vi, k = inp.yi, inp.vi, len(inp.yi)
    notes = list(inp.notes)
    common = method in COMMON_EFFECT_METHODS
    nan = float("nan")
    if k == 1:
        from scipy import stats

        se = math.sqrt(vi[0])
        z = float(stats.norm.isf((1 - level) / 2))
        notes.append(
            "one study: no pooling, no heterogeneity. The result is that study's own estimate "
            "with its normal-theory CI (z); tau², I², H², Q and the prediction interval are "
            "undefined (NaN), not zero."
        )
        return MetaAnalysis(
            measure=inp.measure, method=method, test="z", level=level, k=1,
            estimate=float(yi[0]), se=se, ci=(yi[0] - z * se, yi[0] + z * se),
            statistic=float(yi[0] / se), df=None, pvalue=float(2 * stats.norm.sf(abs(yi[0] / se))),
            tau2=nan, tau=nan, i2=nan, h2=nan, q=nan, q_df=0, q_pvalue=nan,
            pi=(nan, nan), pi_method=pi, tau2_ci=(nan, nan), i2_ci=(nan, nan), h2_ci=(nan, nan),
            weights=(100.0,), yi=(float(yi[0]),), vi=(float(vi[0]),), labels=inp.labels,
            notes=tuple(notes),
        )  # fmt: skip
    X = np.ones((k, 1))
    est = estimate_tau2(yi, vi, X, method)
    tau2 = est.tau2
    notes.append(f"Estimator: {METHOD_NAMES[method]}.")
    notes.extend(est.notes)
    if not est.converged:
        notes.append("WARNING: the tau² iteration did not converge; results are unreliable.")
    fit = fit_coefficients(yi, vi, X, tau2, test, level)
    if test == "adhoc":
        notes.append(ADHOC_NOTE)
        if fit.s2w_raw < 1 - 1e-9:
            notes.append(
                f"adhoc: the HKSJ scale factor was {fit.s2w_raw:.6g} < 1 and was set to 1, so the "
                "interval is the z-based one widened to t quantiles."
            )
    elif test == "knha":
        notes.append(
            "Test: Hartung-Knapp-Sidik-Jonkman (knha), t(k-1), variance scaled by the weighted residual mean square."
        )
        if fit.s2w_raw < 1 - 1e-9:
            notes.append(
                f"knha: the scale factor is {fit.s2w_raw:.6g} < 1, which makes the CI narrower than the "
                "unscaled one; with few studies consider test='adhoc' (Röver et al. 2015)."
            )
    else:
        notes.append(
            "Test: z (normal quantiles). With few studies this understates uncertainty; test='adhoc' is the default for that reason."
        )
    if common and test != "z":
        notes.append(
            "The Knapp-Hartung adjustment is not meant for common-effect models (metafor warns "
            "the same); here it acts as a multiplicative over-dispersion correction."
        )
    het = heterogeneity(yi, vi, X, tau2, common)
    if common:
        tau2_ci = i2_ci = h2_ci = (nan, nan)
        notes.append(
            "Common-effect model: tau² = 0 by assumption; no CI for tau²/I²/H² and no prediction interval (NaN)."
        )
        pi_iv = (nan, nan)
    else:
        qp = q_profile_interval(yi, vi, X, tau2, het.vt, level)
        tau2_ci, i2_ci, h2_ci = qp.tau2, qp.i2, qp.h2
        notes.extend(qp.notes)
        pi_iv, pi_note = prediction_interval(
            float(fit.beta[0]), float(fit.se[0]), tau2, k, 1, fit.df, level, pi
        )
        notes.append(pi_note)
    if 2 <= k <= 3:
        notes.append(FEW_STUDIES_NOTE.format(k=k, df=k - 1))
    w = 1.0 / (vi + tau2)
    weights = tuple(float(x) for x in 100 * w / w.sum())
    return MetaAnalysis(
        measure=inp.measure, method=method, test=test, level=level, k=k,
        estimate=float(fit.beta[0]), se=float(fit.se[0]),
        ci=(float(fit.ci_lower[0]), float(fit.ci_upper[0])),
        statistic=float(fit.statistic[0]), df=fit.df, pvalue=float(fit.pvalue[0]),
        tau2=float(tau2), tau=math.sqrt(tau2), i2=float(het.i2), h2=float(het.h2),
        q=float(het.q), q_df=int(het.q_df), q_pvalue=float(het.q_pvalue),
        pi=(float(pi_iv[0]), float(pi_iv[1])), pi_method=pi,
        tau2_ci=tuple(map(float, tau2_ci)), i2_ci=tuple(map(float, i2_ci)), h2_ci=tuple(map(float, h2_ci)),
        weights=weights, yi=tuple(map(float, yi)), vi=tuple(map(float, vi)), labels=inp.labels,
        notes=tuple(notes), converged=est.converged,
    )  # fmt: skip


def meta_regression(
    yi: Any = None,
    vi: Any = None,
    *,
    mods: Any,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    method: str = "REML",
    test: str = "adhoc",
    level: float = 0.95,
    measure: str = "GEN",
) -> MetaRegression:
    """Meta-regression; the same as ``meta_analysis(..., mods=mods)`` (see there)."""
    return meta_analysis(  # type: ignore[return-value]
        yi,
        vi,
        sei=sei,
        data=data,
        labels=labels,
        method=method,
        test=test,
        level=level,
        measure=measure,
        mods=mods,
    )
