"""Effect sizes of continuous outcomes from arm-level means (metafor ``escalc`` MD, SMD, ROM), and
the standard deviation of an arm recovered from a reported SE or 95% CI of its mean.

Group 1 is the intervention arm (``m1i, sd1i, n1i``), group 2 the comparator (``m2i, sd2i, n2i``).
Formulas are metafor 3.8.1's ``escalc`` defaults (Viechtbauer 2010; documentation of
``escalc``, section "Measures for Quantitative Variables"), which follow Borenstein et al. (2009,
ch. 4) and Hedges (1981).
"""

from __future__ import annotations

import math
from typing import Literal

from scipy import special, stats

from evsynth.effects import _validate as v
from evsynth.effects._result import EffectSize
from evsynth.errors import EffectSizeError

__all__ = [
    "CONTINUOUS_MEASURES",
    "difference_from_ci",
    "hedges_correction",
    "mean_effect",
    "sd_from_ci",
    "sd_from_se",
]

#: metafor ``escalc`` codes for two-group comparisons of means
CONTINUOUS_MEASURES = ("MD", "SMD", "ROM")


def hedges_correction(df: float) -> float:
    """Exact small-sample correction factor of Hedges' g.

    ``J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`` with ``m = n1 + n2 - 2`` (Hedges 1981,
    eq. 6e; metafor's ``.cmicalc``), computed on the log scale; it is close to the usual
    approximation ``1 - 3 / (4m - 1)``.
    """
    if df <= 1:
        raise EffectSizeError(
            f"n1 + n2 - 2 = {df:g}: the Hedges correction needs at least 4 participants in all."
        )
    return math.exp(
        special.gammaln(df / 2) - 0.5 * math.log(df / 2) - special.gammaln((df - 1) / 2)
    )


def _arm(mean: object, sd: object, n: object, which: str) -> tuple[float, float, float]:
    m = v.number(mean, f"mean_{which}")
    s = v.number(sd, f"sd_{which}")
    size = v.count(n, f"n_{which}")
    if s <= 0:
        raise EffectSizeError(
            f"sd_{which}={s:g} must be positive; an SD of 0 or below is an extraction error "
            "(a SE or a range may have been read as the SD)."
        )
    if size < 2:
        raise EffectSizeError(f"n_{which}={size:g}: a standard deviation needs at least 2.")
    return m, s, size


def mean_effect(
    m1i: float,
    sd1i: float,
    n1i: float,
    m2i: float,
    sd2i: float,
    n2i: float,
    *,
    measure: Literal["MD", "SMD", "ROM"] = "MD",
) -> EffectSize:
    """MD, SMD (Hedges' g) or ROM of two arms from their means, SDs and sizes.

    Formulas of metafor ``escalc`` (defaults, ``vtype="LS"``):

    - MD: ``yi = m1 - m2``, ``vi = sd1^2/n1 + sd2^2/n2`` (variances not assumed equal).
    - SMD: ``yi = J(m) (m1 - m2) / sdp`` with the pooled SD
      ``sdp = sqrt(((n1-1) sd1^2 + (n2-1) sd2^2) / (n1+n2-2))`` and the exact correction
      ``J`` of :func:`hedges_correction` (Hedges 1981); ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1+n2))``
      (the large-sample variance of Hedges & Olkin 1985, eq. 5.15, as metafor computes it).
    - ROM: ``yi = log(m1 / m2)``, ``vi = sd1^2/(n1 m1^2) + sd2^2/(n2 m2^2)``
      (Hedges, Gurevitch & Curtis 1999); both means must be positive.

    Returns
    -------
    EffectSize
        ``yi``/``vi`` on the analysis scale (log scale for ROM).
    """
    if measure not in CONTINUOUS_MEASURES:
        raise EffectSizeError(f"measure={measure!r} must be one of {CONTINUOUS_MEASURES}.")
    m1, s1, n1 = _arm(m1i, sd1i, n1i, "int")
    m2, s2, n2 = _arm(m2i, sd2i, n2i, "ctl")
    if measure == "MD":
        return EffectSize(
            m1 - m2, s1**2 / n1 + s2**2 / n2, "MD", "mean difference from arm means and SDs"
        )
    if measure == "SMD":
        sdp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
        yi = hedges_correction(n1 + n2 - 2) * (m1 - m2) / sdp
        vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
        return EffectSize(yi, vi, "SMD", "Hedges' g (exact correction) from arm means and SDs")
    if m1 <= 0 or m2 <= 0:
        raise EffectSizeError(
            f"ROM needs positive means (got {m1:g} and {m2:g}): use MD or SMD for this outcome."
        )
    yi = math.log(m1 / m2)
    vi = s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2)
    return EffectSize(yi, vi, "ROM", "log ratio of means from arm means and SDs")


def sd_from_se(se: float, n: float) -> float:
    """SD of one arm from the standard error of its mean: ``sd = se sqrt(n)``
    (Cochrane Handbook, section 6.5.2.2)."""
    s = v.number(se, "se")
    size = v.count(n, "n")
    if s <= 0 or size < 1:
        raise EffectSizeError(f"se={s:g}, n={size:g}: give a positive SE and the arm's size.")
    return s * math.sqrt(size)


def sd_from_ci(lower: float, upper: float, n: float, level: float = 0.95) -> float:
    """SD of one arm from the confidence interval of its mean.

    ``sd = sqrt(n) (upper - lower) / (2 t)`` with ``t`` the two-sided quantile of Student's t on
    ``n - 1`` degrees of freedom (Cochrane Handbook, section 6.5.2.2, which uses t for small
    samples; for large n it tends to the normal 3.92 / 2).
    """
    lo, hi = v.number(lower, "lower"), v.number(upper, "upper")
    size = v.count(n, "n")
    if hi <= lo or size < 2:
        raise EffectSizeError(
            f"CI {lo:g} to {hi:g} with n={size:g}: need lower < upper and n >= 2 to recover an SD."
        )
    t = stats.t.isf((1 - level) / 2, size - 1)
    return math.sqrt(size) * (hi - lo) / (2 * t)


def difference_from_ci(
    estimate: float,
    ci_lower: float,
    ci_upper: float,
    *,
    level: float = 0.95,
    measure: Literal["MD", "SMD"] = "MD",
) -> EffectSize:
    """A reported MD or SMD with its CI, taken as it is: ``yi = estimate``,
    ``sei = (upper - lower) / (2 z)`` with ``z`` the normal quantile of ``level`` (the Wald
    interval; metafor >= 4.0 ``conv.wald`` without a transformation; Cochrane Handbook 6.5.2.3).
    """
    if measure not in ("MD", "SMD"):
        raise EffectSizeError(f"measure={measure!r}: a reported difference is 'MD' or 'SMD'.")
    est = v.number(estimate, "estimate")
    lo, hi = v.number(ci_lower, "ci_lower"), v.number(ci_upper, "ci_upper")
    if not lo < hi:
        raise EffectSizeError(f"CI {lo:g} to {hi:g}: the lower limit must be below the upper.")
    if not lo <= est <= hi:
        raise EffectSizeError(
            f"{measure} {est:g} lies outside its CI {lo:g} to {hi:g}; check the extracted numbers."
        )
    z = float(stats.norm.isf((1 - level) / 2))
    sei = (hi - lo) / (2 * z)
    return EffectSize(
        est, sei**2, measure, f"reported {measure}, SE from the CI width", level=level
    )
