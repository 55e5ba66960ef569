"""Checks of reported numbers before an effect size is computed (raise EffectSizeError)."""

from __future__ import annotations

import math

from evsynth.errors import EffectSizeError


def is_missing(value: object) -> bool:
    """True for None, NaN, pandas NA and empty strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(value != value)  # NaN, pd.NA -> True
    except (TypeError, ValueError):
        return False


def number(value: object, name: str) -> float:
    """Convert to float or raise EffectSizeError naming the value."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EffectSizeError(f"{name}={value!r} is not a number.") from None
    if math.isnan(out):
        raise EffectSizeError(f"{name} is NaN; give the reported value.")
    if math.isinf(out):
        raise EffectSizeError(f"{name}={out} is infinite; check the extracted number.")
    return out


def ratio(value: object, name: str) -> float:
    """A ratio (HR, OR, RR or a CI limit): must be > 0."""
    out = number(value, name)
    if out <= 0:
        raise EffectSizeError(
            f"{name}={out:g} is not a valid ratio (must be > 0); check the extracted number "
            "(a log ratio or a difference may have been extracted as a ratio)."
        )
    return out


def p_value(value: object, name: str = "p") -> float:
    """A p-value in (0, 1]."""
    out = number(value, name)
    if not 0.0 < out <= 1.0:
        raise EffectSizeError(
            f"{name}={out:g} is outside (0, 1]; a p-value reported as a percentage or as 0 "
            "('p = 0.000') must be corrected (use p_operator='<' with the smallest printed bound)."
        )
    return out


def count(value: object, name: str) -> float:
    """A non-negative count (whole number)."""
    out = number(value, name)
    if out < 0:
        raise EffectSizeError(f"{name}={out:g} is a negative count; check the extraction.")
    if abs(out - round(out)) > 1e-9:
        raise EffectSizeError(f"{name}={out:g} is not a whole number of patients or events.")
    return out


def events_and_total(events: object, total: object, ename: str, tname: str) -> tuple[float, float]:
    """Events and group size with 0 <= events <= total and total > 0."""
    e = count(events, ename)
    n = count(total, tname)
    if n <= 0:
        raise EffectSizeError(f"{tname}={n:g}: a group must have at least one patient.")
    if e > n:
        raise EffectSizeError(
            f"{ename}={e:g} is larger than {tname}={n:g}; events cannot exceed the group size."
        )
    return e, n


def p_operator(value: object) -> str:
    """Normalize '=', '<', '<=', '>', '>=' (and '≤', '≥'); missing means '='."""
    if is_missing(value):
        return "="
    op = str(value).strip().replace("≤", "<=").replace("≥", ">=")
    if op in ("=", "<", "<=", ">", ">="):
        return op
    raise EffectSizeError(f"p_operator={value!r} is not one of '=', '<', '<=', '>', '>='.")
