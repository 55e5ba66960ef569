"""Inference given tau²: coefficient tests (z, Knapp-Hartung, ad hoc), heterogeneity statistics,
prediction intervals and the Q-profile confidence interval for tau².

References
----------
Hartung J, Knapp G (2001). On tests of the overall treatment effect in meta-analysis with
    normally distributed responses. Stat Med 20:1771-1782.
Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
    covariate. Stat Med 22:2693-2710.
Sidik K, Jonkman JN (2002). A simple confidence interval for meta-analysis. Stat Med 21:3153-3159.
Röver C, Knapp G, Friede T (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification for
    random-effects meta-analysis with few studies. BMC Med Res Methodol 15:99.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med 21:1539.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
    meta-analysis. J R Stat Soc A 172:137-159.
Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
    Stat Med 26:37-52.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evsynth._shared.lazy import lazy_module
from evsynth.errors import PoolingError
from evsynth.pooling.estimators import generalized_q, weighted_residuals

optimize = lazy_module("scipy.optimize")
stats = lazy_module("scipy.stats")

TESTS = ("z", "knha", "adhoc")
PI_METHODS = ("metafor", "hts")


@dataclass(frozen=True)
class CoefficientFit:
    """Weighted least squares fit of the coefficients given tau², with the chosen test."""

    beta: np.ndarray
    vb: np.ndarray  # variance-covariance matrix (scaled by s2w under knha/adhoc)
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    df: int | None
    crit: float
    s2w: float  # Knapp-Hartung scale factor actually applied (1 for z)
    s2w_raw: float  # weighted RSS / (k-p) before flooring (nan for z)


def fit_coefficients(
    yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float, test: str, level: float
) -> CoefficientFit:
    """Estimate ``beta = (X'WX)^-1 X'Wy``, ``w = 1/(v + tau²)``, and test each coefficient.

    - ``test="z"``: ``Var(beta) = (X'WX)^-1``, normal quantiles.
    - ``test="knha"``: ``Var(beta) = s² (X'WX)^-1`` with ``s² = sum w (y - X beta)² / (k-p)``
      and t(k-p) quantiles (Hartung & Knapp 2001; Sidik & Jonkman 2002; Knapp & Hartung 2003).
    - ``test="adhoc"``: as knha with ``s² = max(1, s²)`` (Knapp & Hartung 2003; Röver et al. 2015),
      so the interval is never narrower than the one from the z-test scaled to t(k-p).
    """
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    WX = w[:, None] * X
    vb = np.linalg.inv(X.T @ WX)
    beta = vb @ (WX.T @ yi)
    s2w_raw = float("nan")
    s2w = 1.0
    df: int | None = None
    if test in ("knha", "adhoc"):
        rss = float(np.sum(w * (yi - X @ beta) ** 2))
        # residuals that are rounding noise relative to the data (scale-free bound)
        exact = rss <= 64 * np.finfo(float).eps * float(np.sum(w * yi**2))
        s2w_raw = 0.0 if exact else rss / (k - p)
        if test == "knha" and s2w_raw == 0.0:
            raise PoolingError(
                "test='knha': the weighted residuals are all 0 (the yi are identical, or fit the "
                "moderators exactly), so the Knapp-Hartung scale factor is 0 and every standard "
                "error would be 0. Use test='adhoc' (scale factor floored at 1) or test='z'."
            )
        s2w = max(1.0, s2w_raw) if test == "adhoc" else s2w_raw
        df = k - p
    vb = s2w * vb
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    alpha = 1 - level
    if df is None:
        crit = float(stats.norm.isf(alpha / 2))
        pval = 2 * stats.norm.sf(np.abs(stat))
    else:
        crit = float(stats.t.isf(alpha / 2, df))
        pval = 2 * stats.t.sf(np.abs(stat), df)
    return CoefficientFit(
        beta, vb, se, stat, pval, beta - crit * se, beta + crit * se, df, crit, s2w, s2w_raw
    )


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q (QE), its test, and I², H² as metafor defines them."""

    q: float
    q_df: int
    q_pvalue: float
    i2: float  # percent
    h2: float
    vt: float  # "typical" within-study variance (k-p)/tr(P), Higgins & Thompson 2002


def heterogeneity(
    yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float, common: bool
) -> Heterogeneity:
    """QE with ``w = 1/v``; I² = 100 tau²/(vt + tau²), H² = tau²/vt + 1 with ``vt = (k-p)/tr(P)``.

    For common-effect models (tau² = 0 by assumption) metafor reports I² and H² from Q:
    ``I² = max(0, 100 (Q - (k-p))/Q)``, ``H² = Q/(k-p)`` (Higgins & Thompson 2002).
    """
    k, p = X.shape
    wr = weighted_residuals(X, 1.0 / vi, yi)
    q = max(0.0, wr.q)
    df = k - p
    qp = float(stats.chi2.sf(q, df))
    # tr(P) is 0 in floating point when one v_i is ~1e-16 of the others (that study has all the
    # weight): vt is then infinite, so I² = 0 and H² = 1 at any finite tau² (metafor's output)
    vt = df / wr.tr_p if wr.tr_p > 0 else math.inf
    if common:
        i2 = max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
        h2 = q / df
    else:
        i2 = 100 * tau2 / (vt + tau2)
        h2 = tau2 / vt + 1
    return Heterogeneity(q, df, qp, i2, h2, vt)


@dataclass(frozen=True)
class Tau2Interval:
    """Q-profile confidence interval for tau² (Viechtbauer 2007) and the implied I²/H² limits."""

    tau2: tuple[float, float]
    i2: tuple[float, float]
    h2: tuple[float, float]
    notes: tuple[str, ...]


def q_profile_interval(
    yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float, vt: float, level: float
) -> Tau2Interval:
    """Q-profile CI: the tau² values where the generalized Q equals chi²(k-p) quantiles.

    ``Q(tau²)`` decreases in tau². The lower limit solves ``Q = chi²_{1-a/2}``, the upper limit
    ``Q = chi²_{a/2}``; if ``Q(0)`` is already below a quantile the corresponding limit is 0
    (metafor ``confint.rma.uni``, ``type="QP"``). If ``Q(0) < chi²_{a/2}`` both limits are 0 and
    the interval is the null/empty set; this is reported in the notes.
    I² and H² limits follow from the tau² limits with the same ``vt`` as the point estimate.
    """
    k, p = X.shape
    df = k - p
    alpha = 1 - level
    crit_hi = float(stats.chi2.isf(alpha / 2, df))  # large quantile -> lower tau² limit
    crit_lo = float(stats.chi2.ppf(alpha / 2, df))  # small quantile -> upper tau² limit
    q0 = generalized_q(0.0, yi, vi, X)
    notes: list[str] = [f"tau² CI by the Q-profile method (Viechtbauer 2007), level {level:g}."]
    upper_start = max(100.0, 10 * tau2)

    def root(target: float) -> float:
        f = lambda t: generalized_q(t, yi, vi, X) - target  # noqa: E731
        hi = upper_start
        n = 0
        while f(hi) > 0:
            hi *= 10
            n += 1
            if n > 30:
                return float("inf")
        return float(optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-14, maxiter=1000))

    if q0 < crit_lo:
        lb = ub = 0.0
        notes.append(
            "Both Q-profile limits for tau² fall below 0 (Q is smaller than the lower chi² "
            "quantile even at tau² = 0): the interval is the null/empty set and is shown as [0, 0]."
        )
    else:
        ub = root(crit_lo)
        if q0 < crit_hi:
            lb = 0.0
            notes.append(
                "The lower Q-profile limit for tau² is 0 (Q at tau² = 0 is below the upper chi² quantile)."
            )
        else:
            lb = root(crit_hi)
    i2 = (100 * lb / (vt + lb), 100 * ub / (vt + ub))
    h2 = (lb / vt + 1, ub / vt + 1)
    return Tau2Interval((lb, ub), i2, h2, tuple(notes))


def prediction_interval(
    estimate: float,
    se: float,
    tau2: float,
    k: int,
    p: int,
    fit_df: int | None,
    level: float,
    pi_method: str,
) -> tuple[tuple[float, float], str]:
    """Prediction interval for the effect in a new study.

    - ``"metafor"`` (``predict.rma``): ``mu ± c sqrt(se² + tau²)``, ``c`` the normal quantile under
      the z-test and the t(k-p) quantile under knha/adhoc (``se`` as reported by that test).
    - ``"hts"``: Higgins, Thompson & Spiegelhalter (2009, eq. 12): ``c`` from t(k-2) (k-p-1 with
      moderators). Undefined for k = 2: returns (nan, nan) and says so.

    Returns the interval and a note describing it.
    """
    alpha = 1 - level
    if pi_method == "hts":
        df = k - p - 1
        if df < 1:
            return (float("nan"), float("nan")), (
                f"Prediction interval (Higgins-Thompson-Spiegelhalter 2009) uses t(k-2), which does "
                f"not exist with k = {k}: no prediction interval can be given (reported as NaN)."
            )
        c = float(stats.t.isf(alpha / 2, df))
        desc = f"Prediction interval: Higgins-Thompson-Spiegelhalter (2009), t({df}) quantile, variance se² + tau²."
    else:
        if fit_df is None:
            c = float(stats.norm.isf(alpha / 2))
            desc = "Prediction interval: metafor predict() — normal quantile, variance se² + tau²."
        else:
            c = float(stats.t.isf(alpha / 2, fit_df))
            desc = f"Prediction interval: metafor predict() — t({fit_df}) quantile, variance se² + tau²."
    half = c * np.sqrt(se**2 + tau2)
    return (estimate - half, estimate + half), desc
