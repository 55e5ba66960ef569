"""Log ratios (HR, OR, RR) from a reported estimate with a CI or a p-value, and log HRs from a
log-rank p-value with event counts (Parmar et al. 1998; Tierney et al. 2007).

The CI and p-value conversions are those of metafor's ``conv.wald`` (metafor >= 4.0): on the log
scale a Wald interval is ``yi +/- z * sei``, so ``sei = (log(ub) - log(lb)) / (2 z)``, and a two-sided
Wald p-value gives ``|z| = |yi| / sei`` (Borenstein et al. 2009, ch. 5).
"""

from __future__ import annotations

import math
from typing import Literal

from evsynth._shared.lazy import lazy_module
from evsynth.effects import _validate as v
from evsynth.effects._result import (
    RATIO_MEASURES,
    EffectSize,
    NotEstimable,
    normal_quantile,
    normalize_level,
    warn,
)
from evsynth.errors import EffectSizeError

stats = lazy_module("scipy.stats")

# Relative asymmetry of a CI around the estimate on the log scale above which a note is added.
ASYMMETRY_NOTE_THRESHOLD = 0.10


def _check_measure(measure: str) -> str:
    if measure not in RATIO_MEASURES:
        raise EffectSizeError(
            f"measure={measure!r} is not a ratio measure; use 'HR', 'OR' or 'RR'."
        )
    return measure


def log_ratio_from_ci(
    estimate: float | None,
    ci_lower: float,
    ci_upper: float,
    *,
    level: float = 0.95,
    measure: str = "HR",
) -> EffectSize:
    """Log ratio and its SE from a ratio reported with a confidence interval.

    ``yi = log(estimate)``; ``sei = (log(ci_upper) - log(ci_lower)) / (2 z)`` with
    ``z = Phi^-1(1 - (1 - level)/2)`` (1.959964 for 95%), as metafor ``conv.wald`` and
    Borenstein et al. (2009, Introduction to Meta-Analysis, section 5) / Tierney et al. (2007,
    Trials 8:16, method 1). When ``estimate`` is missing, ``yi`` is the midpoint of the log limits.

    Parameters
    ----------
    estimate : reported ratio (> 0), or None to use the CI midpoint on the log scale
    ci_lower, ci_upper : reported confidence limits on the ratio scale (> 0, lower < upper)
    level : confidence level of the interval (0.95 or 95)
    measure : "HR", "OR" or "RR"

    Returns
    -------
    EffectSize
        ``measure`` as given; ``yi``/``vi`` on the log scale.

    Raises
    ------
    EffectSizeError
        If a value is not a positive ratio, the lower limit exceeds the upper limit, or the
        interval has zero width. An estimate outside its CI only warns (the checker flags it).
    """
    measure = _check_measure(measure)
    lvl = normalize_level(level)
    lb = v.ratio(ci_lower, "ci_lower")
    ub = v.ratio(ci_upper, "ci_upper")
    if lb > ub:
        raise EffectSizeError(
            f"ci_lower={lb:g} is larger than ci_upper={ub:g}; the limits may be swapped."
        )
    if lb == ub:
        raise EffectSizeError(
            f"ci_lower = ci_upper = {lb:g}: a zero-width CI gives no standard error "
            "(check for rounding to too few digits)."
        )
    z = normal_quantile(lvl)
    sei = (math.log(ub) - math.log(lb)) / (2.0 * z)
    pct = f"{100 * lvl:g}%"
    notes: list[str] = []
    if v.is_missing(estimate):
        yi = (math.log(lb) + math.log(ub)) / 2.0
        notes.append("no point estimate reported: yi is the midpoint of the log CI limits")
    else:
        est = v.ratio(estimate, "estimate")
        yi = math.log(est)
        if not lb <= est <= ub:
            message = (
                f"estimate={est:g} lies outside its {pct} CI [{lb:g}, {ub:g}]; "
                "check the extraction (the statistics checker flags this row)"
            )
            warn(message)
            notes.append(message)
        else:
            width = math.log(ub) - math.log(lb)
            asym = abs((math.log(ub) - yi) - (yi - math.log(lb))) / width
            if asym > ASYMMETRY_NOTE_THRESHOLD:
                notes.append(
                    f"CI is asymmetric around the estimate on the log scale ({100 * asym:.0f}% of "
                    "its width): rounding, or not a Wald interval; SE taken from the CI width"
                )
    return EffectSize(
        yi=yi,
        vi=sei**2,
        measure=measure,
        method=f"log ratio; SE from the {pct} CI: (log(ub) - log(lb)) / (2 * {z:.6f})",
        notes=tuple(notes),
        level=0.95,
    )


def log_ratio_from_p(
    estimate: float,
    p: float,
    *,
    p_operator: str = "=",
    measure: str = "HR",
) -> EffectSize | NotEstimable:
    """Log ratio and its SE from a ratio reported with a two-sided p-value only.

    ``yi = log(estimate)``, ``sei = |yi| / z`` with ``z = Phi^-1(1 - p/2)`` (metafor
    ``conv.wald`` with ``pval``; Altman & Bland 2011, BMJ 343:d2090; Tierney et al. 2007). Assumes
    the p-value is two-sided and comes from a Wald (or equivalent) test of the same estimate.

    A bound such as ``p < 0.001`` is used at its limit (p = 0.001): the true |z| is larger, so the
    SE returned is an *upper bound* (the study's weight is understated); a note says so.
    ``p > x`` only bounds the SE from below and is not estimable.

    Parameters
    ----------
    estimate : reported ratio (> 0)
    p : reported p-value in (0, 1]
    p_operator : '=', '<', '<=', '>' or '>=' as written before the p-value
    measure : "HR", "OR" or "RR"

    Returns
    -------
    EffectSize or NotEstimable
        Not estimable when the estimate is exactly 1 (log ratio 0 gives no SE), when p = 1, or
        when the p-value is a lower bound ('>').
    """
    measure = _check_measure(measure)
    est = v.ratio(estimate, "estimate")
    pv = v.p_value(p, "p")
    op = v.p_operator(p_operator)
    method = "log ratio; SE from the two-sided p-value: |log(estimate)| / z(p/2)"
    if op in (">", ">="):
        return NotEstimable(
            f"p {op} {pv:g} only bounds the SE from below; the weight would be overstated",
            measure=measure,
            method=method,
        )
    yi = math.log(est)
    if yi == 0.0:
        return NotEstimable(
            "estimate = 1 (log ratio 0): the p-value cannot give the SE", measure, method
        )
    if pv >= 1.0:
        return NotEstimable("p = 1 gives z = 0: the SE is not determined", measure, method)
    z = float(stats.norm.isf(pv / 2.0))
    notes = ["assumes a two-sided p-value from a Wald test of this estimate"]
    if op in ("<", "<="):
        notes.append(
            f"p {op} {pv:g} is a bound: SE computed at p = {pv:g} is the largest SE consistent "
            "with the report (conservative weight)"
        )
    return EffectSize(
        yi=yi, vi=(abs(yi) / z) ** 2, measure=measure, method=method, notes=tuple(notes)
    )


def log_hr_from_logrank(
    p: float,
    *,
    events: float | None,
    n_int: float | None = None,
    n_ctl: float | None = None,
    direction: Literal["lower", "higher"] | None = None,
    p_operator: str = "=",
) -> EffectSize | NotEstimable:
    """Approximate log HR from a two-sided log-rank p-value and the number of events.

    Parmar et al. (1998, Stat Med 17:2815) / Tierney et al. (2007, Trials 8:16, "indirect"
    methods): the log-rank variance is approximated by ``V = E * R1 * R2 / (R1 + R2)^2`` where
    ``E`` is the total number of events and ``R1``, ``R2`` the numbers of patients in the arms
    (``V = E / 4`` under equal allocation); ``O - E = +/- sqrt(V) * z`` with
    ``z = Phi^-1(1 - p/2)``; then ``log HR = (O - E) / V = +/- z / sqrt(V)`` and
    ``var(log HR) = 1 / V``.

    Assumptions (reported in ``notes``): the p-value is from a two-sided log-rank test; the
    approximation is best for HR near 1 and similar censoring in the arms; without the arm sizes
    equal allocation is assumed. The sign must come from the paper: ``direction="lower"`` when the
    intervention arm had the lower hazard (fewer events than expected, HR < 1), ``"higher"``
    otherwise.

    Parameters
    ----------
    p : two-sided log-rank p-value in (0, 1]
    events : total number of events in both arms (required: without it V is unknown)
    n_int, n_ctl : numbers of patients in the intervention and comparator arms (optional)
    direction : "lower" or "higher" (hazard of the intervention arm relative to the comparator)
    p_operator : '=', '<' or '<='; a bound is used at its limit (conservative |log HR|)

    Returns
    -------
    EffectSize or NotEstimable
        Not estimable when the direction or the event count is unknown, or p is a lower bound.
    """
    pv = v.p_value(p, "p")
    op = v.p_operator(p_operator)
    method = "log-rank p-value with event counts (Parmar 1998 / Tierney 2007 approximation)"
    missing = []
    if direction is None and pv < 1.0:
        missing.append("the sign is unknown: the paper does not say which arm had the lower hazard")
    elif direction not in (None, "lower", "higher"):
        raise EffectSizeError(f"direction={direction!r} must be 'lower', 'higher' or None.")
    if v.is_missing(events):
        missing.append("without event counts the log-rank variance V cannot be obtained")
    if missing:
        return NotEstimable("p-value only: " + "; ".join(missing), measure="HR", method=method)
    if op in (">", ">="):
        return NotEstimable(
            f"p {op} {pv:g} is a lower bound on p: |log HR| is not determined", "HR", method
        )
    e = v.count(events, "events")
    if e <= 0:
        return NotEstimable("no events: the log-rank variance is zero", "HR", method)
    notes = [
        "approximation: O-E = sqrt(V) z and V from the event count (Parmar 1998; Tierney 2007); "
        "best for HR near 1 and similar censoring in the arms",
        "assumes the p-value is from a two-sided log-rank test",
    ]
    if v.is_missing(n_int) or v.is_missing(n_ctl):
        ratio_term = 0.25
        notes.append("arm sizes not reported: equal allocation assumed (V = E / 4)")
    else:
        r1 = v.count(n_int, "n_int")
        r2 = v.count(n_ctl, "n_ctl")
        if r1 <= 0 or r2 <= 0:
            raise EffectSizeError(f"n_int={r1:g}, n_ctl={r2:g}: both arms need patients.")
        if e > r1 + r2:
            raise EffectSizeError(
                f"events={e:g} is larger than the number of patients {r1 + r2:g}."
            )
        ratio_term = r1 * r2 / (r1 + r2) ** 2
    if op in ("<", "<="):
        notes.append(
            f"p {op} {pv:g} is a bound: |log HR| computed at p = {pv:g} is the smallest "
            "consistent with the report (biased toward no effect)"
        )
    variance = e * ratio_term
    z = float(stats.norm.isf(pv / 2.0))
    sign = -1.0 if direction == "lower" else 1.0
    yi = sign * z / math.sqrt(variance)
    return EffectSize(
        yi=yi + 0.0, vi=1.0 / variance, measure="HR", method=method, notes=tuple(notes)
    )
