"""Mixed-effects meta-regression, as metafor's ``rma(yi, vi, mods = ~ x, method=, test=)``.

Uses the same tau² estimators and tests as the intercept-only model (they are written once in
the general X-matrix form). Adds the omnibus test of the moderators (QM; Wald chi² under the
z-test, F(m, k-p) under knha/adhoc, Knapp & Hartung 2003), the test of residual heterogeneity
(QE) and metafor's pseudo-R² ``max(0, 100 (tau²_RE - tau²_ME) / tau²_RE)`` (Raudenbush 2009;
López-López et al. 2014).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evsynth._shared.lazy import lazy_module
from evsynth.errors import PoolingError
from evsynth.pooling.estimators import COMMON_EFFECT_METHODS, METHOD_NAMES, estimate_tau2
from evsynth.pooling.inference import fit_coefficients, heterogeneity, q_profile_interval
from evsynth.pooling.result import MetaRegression

stats = lazy_module("scipy.stats")

if TYPE_CHECKING:
    from evsynth.pooling.data import _Input


def design_matrix(
    mods: Any, k: int, data: pd.DataFrame | None = None
) -> tuple[np.ndarray, tuple[str, ...], list[str]]:
    """Build ``X = [1, mods]`` from moderators.

    ``mods`` may be a DataFrame, a Series, a 1-D/2-D array, or column name(s) of ``data``.
    Non-numeric columns are dummy-coded with the first level (sorted) as reference.

    Returns ``(X, names, notes)``; names start with "intrcpt" as in metafor.
    """
    notes: list[str] = []
    if isinstance(mods, str) or (
        isinstance(mods, list | tuple) and mods and all(isinstance(m, str) for m in mods)
    ):
        cols = [mods] if isinstance(mods, str) else list(mods)
        if data is None:
            raise PoolingError(f"mods={mods!r} names columns, but no data= was given.")
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise PoolingError(
                f"mods columns {missing} are not in data; its columns are {list(data.columns)}."
            )
        mods = data[cols]
    if isinstance(mods, pd.Series):
        mods = mods.to_frame(name=mods.name if mods.name is not None else "mods")
    if not isinstance(mods, pd.DataFrame):
        arr = np.asarray(mods)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise PoolingError(f"mods must be 1-D or 2-D; got an array of shape {arr.shape}.")
        names = ["mods"] if arr.shape[1] == 1 else [f"mods{j + 1}" for j in range(arr.shape[1])]
        mods = pd.DataFrame(arr, columns=names)
    if len(mods) != k:
        raise PoolingError(f"mods has {len(mods)} rows but there are {k} studies.")
    frames = []
    for col in mods.columns:
        s = mods[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            frames.append(pd.DataFrame({str(col): s.to_numpy(dtype=float)}))
        else:
            levels = sorted(pd.unique(s.dropna().astype(str)))
            if s.isna().any():
                raise PoolingError(
                    f"moderator {col!r} has missing values; remove those studies explicitly or fill them."
                )
            dummies = {
                f"{col}{lv}": (s.astype(str) == lv).to_numpy(dtype=float) for lv in levels[1:]
            }
            notes.append(
                f"Moderator {col!r} is categorical: dummy-coded with reference level {levels[0]!r}."
            )
            frames.append(pd.DataFrame(dummies))
    M = pd.concat(frames, axis=1) if frames else pd.DataFrame(index=range(k))
    values = M.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        bad = sorted({M.columns[j] for j in np.argwhere(~np.isfinite(values))[:, 1]})
        raise PoolingError(
            f"moderators {bad} have missing or non-finite values; evsynth does not drop studies silently."
        )
    X = np.column_stack([np.ones(k), values])
    names = ("intrcpt", *map(str, M.columns))
    eig = np.linalg.eigvalsh(X.T @ X)
    if np.any(eig <= 1e-7):
        raise PoolingError(
            "The moderator matrix is not of full rank (a moderator is constant or a linear "
            "combination of others); remove the redundant moderator."
        )
    return X, names, notes


# A tau² at most this multiple of the median sampling variance counts as 0 in the pseudo-R².
R2_ZERO_TAU2 = 1e-8


def fit_meta_regression(
    inp: _Input, mods: Any, *, method: str, test: str, level: float
) -> MetaRegression:
    """Fit the meta-regression for prepared input (called by :func:`evsynth.meta_analysis`)."""
    yi, vi = inp.yi, inp.vi
    k = len(yi)
    X, names, notes = design_matrix(mods, k, inp.data)
    notes = list(inp.notes) + notes
    p = X.shape[1]
    common = method in COMMON_EFFECT_METHODS
    need = p if common else p + 1
    if k < need:
        raise PoolingError(
            f"A meta-regression with {p} coefficients needs at least {need} studies "
            f"({'common-effect' if common else 'random-effects: one more for tau²'}); there are {k}."
        )
    est = estimate_tau2(yi, vi, X, method)
    tau2 = est.tau2
    notes.append(f"Estimator: {METHOD_NAMES[method]}.")
    notes.extend(est.notes)
    converged = est.converged
    if not converged:
        notes.append("WARNING: the tau² iteration did not converge; results are unreliable.")
    fit = fit_coefficients(yi, vi, X, tau2, test, level)
    m = p - 1
    if m > 0:
        b = fit.beta[1:]
        V = fit.vb[1:, 1:]
        qm = float(b @ np.linalg.solve(V, b))
    else:
        qm = float("nan")
    if fit.df is None:
        qm_df: tuple[int, ...] = (m,)
        qm_p = float(stats.chi2.sf(qm, m)) if m > 0 else float("nan")
        qm_test = "chi2"
    else:
        qm = qm / m if m > 0 else qm
        qm_df = (m, k - p)
        qm_p = float(stats.f.sf(qm, m, k - p)) if m > 0 and k > p else float("nan")
        qm_test = "F"
        notes.append(
            f"Test: {test} — coefficients use t({k - p}); the omnibus moderator test is F({m}, {k - p}) "
            f"(Knapp & Hartung 2003){'; scale factor floored at 1' if test == 'adhoc' else ''}."
        )
    het = heterogeneity(yi, vi, X, tau2, common)
    nan = float("nan")
    if common:
        tau2_ci = i2_ci = h2_ci = (nan, nan)
        r2 = _r2_common(yi, vi, X)
        notes.append(
            "Common-effect meta-regression: R² is the adjusted R² of the weighted least squares fit (as metafor)."
        )
    else:
        qp = q_profile_interval(yi, vi, X, tau2, het.vt, level)
        tau2_ci, i2_ci, h2_ci = qp.tau2, qp.i2, qp.h2
        notes.extend(qp.notes)
        est_re = estimate_tau2(yi, vi, np.ones((k, 1)), method)
        tau2_re = est_re.tau2
        if not est_re.converged:
            converged = False
            notes.append(
                "WARNING: the tau² iteration of the intercept-only model (for R²) did not converge."
            )
        # tau² below 1e-8 x median(vi) changes no weight measurably: treat it as 0, so that R²
        # is never a ratio of two rounding-level numbers (issue 19.3)
        negligible = R2_ZERO_TAU2 * float(np.median(vi))
        if tau2_re <= negligible:
            r2 = float("nan")
            notes.append(
                f"R² undefined: tau² of the intercept-only {method} model is {tau2_re:.3g} "
                f"(<= {R2_ZERO_TAU2:g} x median vi), so there is no heterogeneity for the "
                "moderators to explain (metafor prints 0%)."
            )
        else:
            t_me = 0.0 if tau2 <= negligible else tau2
            r2 = max(0.0, 100 * (tau2_re - t_me) / tau2_re)
            notes.append(
                f"R² = max(0, 100 (tau²_RE - tau²)/tau²_RE) with tau²_RE = {tau2_re:.6g} from the intercept-only {method} fit"
                + (" and the residual tau² treated as 0." if t_me == 0.0 and tau2 > 0 else ".")
            )
    if k - p <= 2:
        notes.append(
            f"Only {k - p} residual degree(s) of freedom: coefficient tests and R² are very imprecise."
        )
    return MetaRegression(
        measure=inp.measure, method=method, test=test, level=level, k=k, p=p, coef_names=names,
        beta=tuple(map(float, fit.beta)), se=tuple(map(float, fit.se)),
        statistic=tuple(map(float, fit.statistic)), pvalue=tuple(map(float, fit.pvalue)),
        ci_lower=tuple(map(float, fit.ci_lower)), ci_upper=tuple(map(float, fit.ci_upper)),
        df=fit.df, qm=qm, qm_df=qm_df, qm_pvalue=qm_p, qm_test=qm_test,
        q=het.q, q_df=het.q_df, q_pvalue=het.q_pvalue, tau2=float(tau2), tau=math.sqrt(tau2),
        i2=float(het.i2), h2=float(het.h2), r2=float(r2),
        tau2_ci=tuple(map(float, tau2_ci)), i2_ci=tuple(map(float, i2_ci)), h2_ci=tuple(map(float, h2_ci)),
        vb=tuple(tuple(map(float, r)) for r in fit.vb), X=tuple(tuple(map(float, r)) for r in X),
        yi=tuple(map(float, yi)), vi=tuple(map(float, vi)), labels=inp.labels, notes=tuple(notes),
        converged=converged,
    )  # fmt: skip


def _r2_common(yi: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    """Adjusted R² (percent, floored at 0) of the WLS regression with weights 1/v (R's ``lm``)."""
    k, p = X.shape
    if np.var(yi) == 0:
        return 0.0
    w = 1.0 / vi
    WX = w[:, None] * X
    beta = np.linalg.solve(X.T @ WX, WX.T @ yi)
    rss = float(np.sum(w * (yi - X @ beta) ** 2))
    ybar = float(np.sum(w * yi) / w.sum())
    tss = float(np.sum(w * (yi - ybar) ** 2))
    r2 = 1 - rss / tss
    adj = 1 - (1 - r2) * (k - 1) / (k - p)
    return max(0.0, 100 * adj)
