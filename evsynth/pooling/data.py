"""The input of every pooling call: effects, variances, labels and measure, resolved and validated.

``prepare_input`` turns arrays, column names of a ``data`` frame, or ``sei`` into one
:class:`_Input`; ``_check_options`` validates method, test, level and prediction-interval method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evsynth.errors import PoolingError
from evsynth.pooling.estimators import ALL_METHODS
from evsynth.pooling.inference import PI_METHODS, TESTS


@dataclass(frozen=True)
class _Input:
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    measure: str
    notes: tuple[str, ...]
    data: pd.DataFrame | None


def _column(data: pd.DataFrame, name: str, what: str) -> np.ndarray:
    if name not in data.columns:
        raise PoolingError(
            f"data has no column {name!r} for {what}; its columns are {list(data.columns)}. "
            f"Pass {what}= as a column name or an array."
        )
    return data[name].to_numpy()


def _as_float_array(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise PoolingError(f"{what} must be numbers; could not convert: {exc}") from None
    return arr


def prepare_input(
    yi: Any = None,
    vi: Any = None,
    *,
    sei: Any = None,
    data: pd.DataFrame | None = None,
    labels: Any = None,
    measure: str = "GEN",
    allow_mixing: bool = False,
) -> _Input:
    """Resolve ``yi``/``vi``/``sei``/``data``/``labels`` into arrays and validate them.

    Raises :class:`~evsynth.errors.PoolingError` for a length mismatch, k = 0, missing or
    non-finite ``yi``, or sampling variances that are missing, zero or negative. Nothing is
    dropped silently: the offending studies are named in the message.

    Rows that should not be pooled together are refused unless ``allow_mixing`` is true: rows of
    different effect measures (a ``data`` frame's ``measure_analysis`` or ``measure`` column, or
    a ``measure=`` that contradicts it), of different outcomes (an ``outcome`` column), or the
    same study twice (duplicated labels or ``study_id``).
    """
    notes: list[str] = []
    measure = valid_measure(measure)
    if data is not None:
        if not isinstance(data, pd.DataFrame):
            raise PoolingError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
        if yi is None:
            yi = "yi"
        if isinstance(yi, str):
            yi = _column(data, yi, "yi")
        if vi is None and sei is None:
            if "vi" in data.columns:
                vi = "vi"
            elif "sei" in data.columns:
                sei = "sei"
            else:
                raise PoolingError(
                    f"data has neither a 'vi' nor a 'sei' column; its columns are {list(data.columns)}. "
                    "Pass vi= or sei= (column name or array)."
                )
        if isinstance(vi, str):
            vi = _column(data, vi, "vi")
        if isinstance(sei, str):
            sei = _column(data, sei, "sei")
        if labels is None:
            for col in ("slab", "label", "study_id", "row_id"):
                if col in data.columns:
                    labels = col
                    break
        if isinstance(labels, str):
            labels = _column(data, labels, "labels")
        measure = _measure_of_data(data, measure, notes, allow_mixing)
    if yi is None:
        raise PoolingError("No effect sizes: pass yi= (array) or data= with a 'yi' column.")
    y = _as_float_array(yi, "yi")
    if vi is not None and sei is not None:
        raise PoolingError(
            "Pass either vi= (sampling variances) or sei= (standard errors), not both."
        )
    if vi is None and sei is None:
        raise PoolingError(
            "No sampling variances: pass vi= or sei= (or data= with a 'vi'/'sei' column)."
        )
    if vi is not None:
        v = _as_float_array(vi, "vi")
    else:
        s = _as_float_array(sei, "sei")
        if len(s) == len(y) and np.any(s < 0):
            bad = np.flatnonzero(s < 0)
            raise PoolingError(f"sei must be positive; negative at positions {bad.tolist()}.")
        v = s**2
    k = len(y)
    if k == 0:
        raise PoolingError("No studies to pool (k = 0): the input is empty.")
    if len(v) != k:
        raise PoolingError(
            f"yi has {k} values but vi/sei has {len(v)}; they must have one value per study."
        )
    if labels is None:
        lab = tuple(f"Study {i + 1}" for i in range(k))
    else:
        if isinstance(labels, str):
            raise PoolingError(
                "labels is a column name but no data= was given; pass a sequence of labels."
            )
        lab = tuple(str(x) for x in labels)
        if len(lab) != k:
            raise PoolingError(f"labels has {len(lab)} entries but there are {k} studies.")
    bad = np.flatnonzero(~np.isfinite(y))
    if len(bad):
        why = ""
        if data is not None and "not_estimable_reason" in data.columns:
            reasons = [str(data["not_estimable_reason"].iloc[i]) for i in bad]
            why = " Reasons recorded by effect_sizes: " + "; ".join(
                f"{lab[i]}: {r}" for i, r in zip(bad, reasons, strict=True) if r
            )
        raise PoolingError(
            f"yi is missing or not finite for {[lab[i] for i in bad]}. Remove these studies explicitly "
            f"(evsynth never drops studies silently) or supply their effect sizes.{why}"
        )
    bad_v = [lab[i] for i in np.flatnonzero(~np.isfinite(v))]
    if bad_v:
        raise PoolingError(
            f"vi/sei is missing or not finite for {bad_v}. Supply a standard error or CI for "
            "these studies, or remove them explicitly."
        )
    nonpos = [lab[i] for i in np.flatnonzero(v <= 0)]
    if nonpos:
        raise PoolingError(
            f"Sampling variances must be positive; vi <= 0 for {nonpos}. A zero or negative "
            "variance usually means a CI was transcribed wrongly; check the source numbers."
        )
    if k > 1 and v.max() / v.min() >= 1e7:
        notes.append(
            f"WARNING: the largest sampling variance is {v.max() / v.min():.3g} times the smallest; "
            "results may be numerically unstable (metafor warns the same). Check the input scale."
        )
    if not allow_mixing and len(set(lab)) < len(lab):
        dup = sorted({x for x in lab if lab.count(x) > 1})
        raise PoolingError(
            f"the same study appears more than once: {dup}. One study contributes one estimate; "
            "give distinct labels if these are distinct studies, or pass allow_mixing=True to "
            "pool them anyway."
        )
    return _Input(y, v, lab, str(measure), tuple(notes), data)


#: effect measure codes accepted by the pooling functions (metafor ``escalc``/``rma`` codes)
MEASURES = (
    "GEN", "HR", "OR", "RR", "RD", "IRR", "IRD", "ROM", "MD", "SMD", "SMDH", "PR", "PLO",
    "PAS", "PFT", "PLN", "IR", "IRLN", "ZCOR", "COR", "RATIO",
)  # fmt: skip


def valid_measure(measure: Any) -> str:
    """The measure code in canonical case ("hr" -> "HR"); PoolingError listing the valid codes
    for anything else."""
    code = str(measure).strip()
    up = code.upper()
    if up not in MEASURES:
        raise PoolingError(f"measure {measure!r} is not a known code; use one of {list(MEASURES)}.")
    return up


def _rows_by(data: pd.DataFrame, column: str) -> str:
    label = next((c for c in ("slab", "label", "study_id", "row_id") if c in data.columns), None)
    parts = []
    for value, group in data.groupby(data[column].astype(str), sort=True):
        names = list(group[label].astype(str)) if label else [str(i) for i in group.index]
        parts.append(f"{value}: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}")
    return "; ".join(parts)


def _measure_of_data(data: pd.DataFrame, measure: str, notes: list[str], allow: bool) -> str:
    """The measure of a ``data`` frame's rows; refuses mixtures of measures, outcomes and a
    ``measure=`` that contradicts the rows, unless ``allow``."""
    col = (
        "measure_analysis"
        if "measure_analysis" in data.columns
        else ("measure" if "measure" in data.columns else None)
    )
    if col is not None:
        ms = sorted(pd.unique(data[col].dropna().astype(str)))
        codes = sorted(
            {m[3:] if col == "measure_analysis" and m.startswith("log") else m for m in ms}
        )
        if len(codes) > 1 and not allow:
            raise PoolingError(
                f"data mixes effect measures ({col}: {_rows_by(data, col)}); pool one measure "
                "at a time (filter the rows), or pass allow_mixing=True after checking they are "
                "comparable."
            )
        if len(codes) == 1:
            found = codes[0].upper()
            if measure == "GEN":
                measure = found if found in MEASURES else "GEN"
                notes.append(
                    f"measure {measure!r} taken from the data's {col!r} column ({ms[0]!r})."
                )
            elif found != measure and found != "COUNTS" and not allow:
                raise PoolingError(
                    f"measure={measure!r} but the data's {col!r} column says {ms[0]!r}; pass the "
                    "matching measure, or allow_mixing=True if you are sure."
                )
    if "outcome" in data.columns and not allow:
        outs = pd.unique(data["outcome"].dropna().astype(str))
        outs = [o for o in outs if o]
        if len(outs) > 1:
            raise PoolingError(
                f"data mixes outcomes ({_rows_by(data, 'outcome')}); pool one outcome at a time, "
                "or pass allow_mixing=True to pool them together on purpose."
            )
    if "study_id" in data.columns and not allow:
        ids = data["study_id"].dropna().astype(str)
        dup = sorted(set(ids[ids.duplicated() & (ids != "")]))
        if dup:
            raise PoolingError(
                f"the same study appears more than once (study_id {dup}); choose one row per "
                "study (evsynth.review.synthesis.select_one_per_study), or pass "
                "allow_mixing=True."
            )
    return measure


def _check_options(method: str, test: str, level: float, pi: str) -> tuple[str, str, float, str]:
    m = str(method).upper()
    if m not in ALL_METHODS:
        raise PoolingError(f"Unknown method {method!r}; choose one of {list(ALL_METHODS)}.")
    t = str(test).lower()
    if t not in TESTS:
        raise PoolingError(f"Unknown test {test!r}; choose one of {list(TESTS)}.")
    lv = float(level)
    if 50 <= lv < 100:  # percent, as metafor accepts level=95
        lv = lv / 100
    if not 0.5 <= lv < 1:
        raise PoolingError(
            f"level is the confidence level, between 0.5 and 1 (e.g. 0.95, or 95 as percent); got "
            f"{level!r}. (An alpha such as 0.05 is not accepted, to avoid a 5% interval by mistake.)"
        )
    pm = str(pi).lower()
    if pm not in PI_METHODS:
        raise PoolingError(
            f"Unknown prediction-interval method {pi!r}; choose one of {list(PI_METHODS)}."
        )
    return m, t, lv, pm
