"""Effect sizes from counts: 2x2 tables (OR, RR, RD) and single-arm proportions (PR, PLO, PAS,
PFT), following metafor's ``escalc`` (its defaults, continuity corrections and ``drop00``).

Formulas (Borenstein et al. 2009, ch. 5; metafor ``escalc`` documentation), for a table with
``ai`` events / ``bi`` non-events in group 1 (intervention) and ``ci`` / ``di`` in group 2:

- OR: ``yi = log(ai di / (bi ci))``, ``vi = 1/ai + 1/bi + 1/ci + 1/di``
- RR: ``yi = log(ai/n1i) - log(ci/n2i)``, ``vi = 1/ai - 1/n1i + 1/ci - 1/n2i``
- RD: ``yi = ai/n1i - ci/n2i``, ``vi = p1 (1-p1)/n1i + p2 (1-p2)/n2i`` (metafor vtype "LS")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth.effects import _validate as v
from evsynth.effects._result import EffectSize, NotEstimable
from evsynth.errors import EffectSizeError

TWO_BY_TWO = ("OR", "RR", "RD")
PROPORTIONS = ("PR", "PLO", "PAS", "PFT")
TO_OPTIONS = ("only0", "all", "if0all", "none")


@dataclass(frozen=True, repr=False)
class EffectSizes(FrameDisplay):
    """Effect sizes of several studies (the result of :func:`escalc`).

    ``results`` holds one :class:`EffectSize` or :class:`NotEstimable` per input study, in input
    order; ``slab`` the study labels; ``messages`` what was done to the set as a whole (studies
    excluded, corrections applied).
    """

    measure: str
    results: tuple[EffectSize | NotEstimable, ...]
    slab: tuple[str, ...]
    messages: tuple[str, ...] = field(default_factory=tuple)

    _display_title = "Effect sizes"

    @property
    def yi(self) -> np.ndarray:
        """yi per study; NaN where not estimable (see ``to_frame()['not_estimable_reason']``)."""
        return np.array([r.yi if r.estimable else np.nan for r in self.results])

    @property
    def vi(self) -> np.ndarray:
        """vi per study; NaN where not estimable."""
        return np.array([r.vi if r.estimable else np.nan for r in self.results])

    @property
    def sei(self) -> np.ndarray:
        """sqrt(vi) per study; NaN where not estimable."""
        return np.sqrt(self.vi)

    def to_frame(self) -> pd.DataFrame:
        """One row per study: slab, yi, vi, sei, measure, method, not_estimable_reason, notes."""
        rows = []
        for label, r in zip(self.slab, self.results, strict=True):
            est = r.estimable
            rows.append(
                {
                    "slab": label,
                    "yi": r.yi if est else np.nan,
                    "vi": r.vi if est else np.nan,
                    "sei": r.sei if est else np.nan,
                    "measure": self.measure,
                    "method": r.method,
                    "not_estimable_reason": "" if est else r.reason,
                    "notes": "; ".join(r.notes),
                }
            )
        return pd.DataFrame(rows)

    def _display_notes(self) -> list[str]:
        return list(self.messages)

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        n_ok = sum(r.estimable for r in self.results)
        text = f"EffectSizes({self.measure}: {n_ok} of {len(self.results)} estimable)"
        if self.messages:
            text += "\n  " + "\n  ".join(self.messages)
        return text


def _vector(
    values: Sequence[float] | np.ndarray | float | None, k: int | None
) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if k is not None and arr.size != k:
        raise EffectSizeError(f"inputs have different lengths ({arr.size} vs {k}).")
    return arr


def _two_by_two_cells(ai, bi, ci, di, n1i, n2i):
    k = np.atleast_1d(np.asarray(ai, dtype=float)).size
    a = _vector(ai, k)
    c = _vector(ci, None if ci is None else k)
    if c is None:
        raise EffectSizeError("give ci (events in group 2) for a 2x2 table.")
    b = _vector(bi, k)
    d = _vector(di, k)
    n1 = _vector(n1i, k)
    n2 = _vector(n2i, k)
    if b is None and n1 is None:
        raise EffectSizeError("give bi (non-events in group 1) or n1i (size of group 1).")
    if d is None and n2 is None:
        raise EffectSizeError("give di (non-events in group 2) or n2i (size of group 2).")
    for i in range(k):
        for name, arr in (("ai", a), ("ci", c), ("bi", b), ("di", d), ("n1i", n1), ("n2i", n2)):
            if arr is not None and not np.isnan(arr[i]):
                v.count(arr[i], f"{name}[{i}]")
        if n1 is not None and not np.isnan(n1[i]) and not np.isnan(a[i]):
            if a[i] > n1[i]:
                raise EffectSizeError(
                    f"ai[{i}]={a[i]:g} events is larger than n1i[{i}]={n1[i]:g} patients."
                )
            if b is not None and not np.isnan(b[i]) and a[i] + b[i] != n1[i]:
                raise EffectSizeError(f"n1i[{i}]={n1[i]:g} is not ai + bi = {a[i] + b[i]:g}.")
        if n2 is not None and not np.isnan(n2[i]) and not np.isnan(c[i]):
            if c[i] > n2[i]:
                raise EffectSizeError(
                    f"ci[{i}]={c[i]:g} events is larger than n2i[{i}]={n2[i]:g} patients."
                )
            if d is not None and not np.isnan(d[i]) and c[i] + d[i] != n2[i]:
                raise EffectSizeError(f"n2i[{i}]={n2[i]:g} is not ci + di = {c[i] + d[i]:g}.")
    if b is None:
        b = n1 - a
    elif n1 is not None:
        b = np.where(np.isnan(b), n1 - a, b)
    if d is None:
        d = n2 - c
    elif n2 is not None:
        d = np.where(np.isnan(d), n2 - c, d)
    return a, b, c, d


def escalc(
    measure: str,
    *,
    ai: Sequence[float] | np.ndarray | None = None,
    bi: Sequence[float] | np.ndarray | None = None,
    ci: Sequence[float] | np.ndarray | None = None,
    di: Sequence[float] | np.ndarray | None = None,
    n1i: Sequence[float] | np.ndarray | None = None,
    n2i: Sequence[float] | np.ndarray | None = None,
    xi: Sequence[float] | np.ndarray | None = None,
    ni: Sequence[float] | np.ndarray | None = None,
    add: float | None = None,
    to: Literal["only0", "all", "if0all", "none"] = "only0",
    drop00: bool | None = None,
    correction: Literal["constant", "treatment_arm"] = "constant",
    slab: Sequence[str] | None = None,
) -> EffectSizes:
    """Effect sizes from counts, as metafor ``escalc`` for "OR", "RR", "RD", "PR", "PLO", "PAS",
    "PFT".

    Parameters
    ----------
    measure : "OR", "RR", "RD" (2x2: give ai, ci and bi/di or n1i/n2i) or "PR", "PLO", "PAS",
        "PFT" (single arm: give xi and ni)
    add : continuity correction; default 1/2, except 0 for "PAS" and "PFT" (as metafor)
    to : which studies get it: "only0" (default; studies with a zero cell, metafor's default),
        "all", "if0all" (all studies if any has a zero cell), "none"
    drop00 : exclude studies with no events in both arms (or only events in both arms). Default
        True for OR and RR (their yi is undefined without a correction and uninformative with
        it), False for RD (a 0 - 0 difference is informative). metafor's ``escalc`` default is
        False for all; ``rma.mh``/``rma.peto`` use True.
    correction : "constant" adds ``add`` to every cell (metafor); "treatment_arm" is the
        treatment-arm correction of Sweeting et al. (2004, Stat Med 23:1351): group 1 cells get
        ``2 add n1 / (n1 + n2)`` and group 2 cells ``2 add n2 / (n1 + n2)`` (the two sum to
        ``2 add``, 1 by default), reducing bias when arms are unbalanced.
    slab : study labels

    Returns
    -------
    EffectSizes
        One result per study, never a silent NaN: a study without a finite effect is
        :class:`NotEstimable` with its reason.
    """
    if measure in TWO_BY_TWO:
        return _escalc_2x2(measure, ai, bi, ci, di, n1i, n2i, add, to, drop00, correction, slab)
    if measure in PROPORTIONS:
        return _escalc_proportion(measure, xi, ni, add, to, slab)
    raise EffectSizeError(
        f"measure={measure!r} is not supported by escalc; use one of {TWO_BY_TWO + PROPORTIONS}."
    )


def _labels(slab: Sequence[str] | None, k: int) -> tuple[str, ...]:
    if slab is None:
        return tuple(str(i + 1) for i in range(k))
    labels = tuple(str(s) for s in slab)
    if len(labels) != k:
        raise EffectSizeError(f"slab has {len(labels)} labels for {k} studies.")
    return labels


def _check_to(to: str, add: float) -> None:
    if to not in TO_OPTIONS:
        raise EffectSizeError(f"to={to!r} must be one of {TO_OPTIONS}.")
    if add < 0 or not np.isfinite(add):
        raise EffectSizeError(f"add={add!r} must be a non-negative number (default 0.5).")


def _escalc_2x2(measure, ai, bi, ci, di, n1i, n2i, add, to, drop00, correction, slab):
    if ai is None:
        raise EffectSizeError("give ai (events in group 1) for a 2x2 table.")
    add = 0.5 if add is None else float(add)
    _check_to(to, add)
    if correction not in ("constant", "treatment_arm"):
        raise EffectSizeError(f"correction={correction!r} must be 'constant' or 'treatment_arm'.")
    drop00 = (measure in ("OR", "RR")) if drop00 is None else bool(drop00)
    a, b, c, d = _two_by_two_cells(ai, bi, ci, di, n1i, n2i)
    k = a.size
    labels = _labels(slab, k)
    missing = np.isnan(a) | np.isnan(b) | np.isnan(c) | np.isnan(d)
    id00 = ~missing & (((a == 0) & (c == 0)) | ((b == 0) & (d == 0)))
    dropped = id00 & drop00
    active = ~missing & ~dropped
    id0 = active & ((a == 0) | (b == 0) | (c == 0) | (d == 0))
    if to == "all":
        corrected = active.copy()
    elif to == "only0":
        corrected = id0
    elif to == "if0all":
        corrected = active if id0.any() else np.zeros(k, dtype=bool)
    else:
        corrected = np.zeros(k, dtype=bool)
    if add == 0:
        corrected = np.zeros(k, dtype=bool)
    n1, n2 = a + b, c + d
    if correction == "treatment_arm":
        k1 = 2 * add * n1 / (n1 + n2)
        k2 = 2 * add * n2 / (n1 + n2)
    else:
        k1 = np.full(k, add)
        k2 = np.full(k, add)
    k1 = np.where(corrected, k1, 0.0)
    k2 = np.where(corrected, k2, 0.0)
    a2, b2, c2, d2 = a + k1, b + k1, c + k2, d + k2
    m1, m2 = a2 + b2, c2 + d2
    p1, p2 = a2 / m1, c2 / m2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a2 + 1 / b2 + 1 / c2 + 1 / d2
            method = "log odds ratio from 2x2 counts (escalc OR)"
        elif measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a2 - 1 / m1 + 1 / c2 - 1 / m2
            method = "log risk ratio from 2x2 counts (escalc RR)"
        else:
            yi = p1 - p2
            vi = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
            method = "risk difference from 2x2 counts (escalc RD, vtype LS)"
    results: list[EffectSize | NotEstimable] = []
    for i in range(k):
        if missing[i]:
            results.append(NotEstimable("2x2 counts are incomplete", measure, method))
            continue
        if dropped[i]:
            what = "no events" if a[i] == 0 and c[i] == 0 else "only events"
            results.append(
                NotEstimable(
                    f"double-zero study ({what} in both arms): excluded for {measure} "
                    "(drop00=True); it carries no information on a ratio",
                    measure,
                    method,
                )
            )
            continue
        if not (np.isfinite(yi[i]) and np.isfinite(vi[i]) and vi[i] > 0):
            results.append(
                NotEstimable(
                    f"zero cell without continuity correction (to={to!r}, add={add:g}): "
                    f"{measure} or its variance is not finite",
                    measure,
                    method,
                )
            )
            continue
        notes = []
        if corrected[i]:
            if correction == "treatment_arm":
                notes.append(
                    f"treatment-arm continuity correction (Sweeting 2004): +{k1[i]:.4g} to group 1 "
                    f"cells, +{k2[i]:.4g} to group 2 cells"
                )
            else:
                why = "zero cell" if id0[i] else f"to={to!r}"
                notes.append(f"continuity correction +{add:g} added to every cell ({why})")
        if id00[i] and not drop00:
            notes.append("double-zero study kept (drop00=False)")
        results.append(EffectSize(float(yi[i]), float(vi[i]), measure, method, tuple(notes)))
    messages = []
    if dropped.any():
        names = ", ".join(labels[i] for i in np.flatnonzero(dropped))
        messages.append(
            f"{int(dropped.sum())} double-zero stud{'y' if dropped.sum() == 1 else 'ies'} "
            f"excluded for {measure} (drop00): {names}"
        )
    if corrected.any():
        messages.append(
            f"continuity correction ({correction}, add={add:g}, to={to!r}) applied to "
            f"{int(corrected.sum())} of {k} studies"
        )
    return EffectSizes(measure, tuple(results), labels, tuple(messages))


def _escalc_proportion(measure, xi, ni, add, to, slab):
    if xi is None or ni is None:
        raise EffectSizeError(f"measure={measure!r} needs xi (events) and ni (patients).")
    x = _vector(xi, None)
    n = _vector(ni, x.size)
    k = x.size
    labels = _labels(slab, k)
    for i in range(k):
        if not (np.isnan(x[i]) or np.isnan(n[i])):
            v.events_and_total(x[i], n[i], f"xi[{i}]", f"ni[{i}]")
    if add is None:
        add = 0.0 if measure in ("PAS", "PFT") else 0.5
    add = float(add)
    _check_to(to, add)
    missing = np.isnan(x) | np.isnan(n)
    id0 = ~missing & ((x == 0) | (x == n))
    if to == "all":
        corrected = ~missing
    elif to == "only0":
        corrected = id0
    elif to == "if0all":
        corrected = ~missing if id0.any() else np.zeros(k, dtype=bool)
    else:
        corrected = np.zeros(k, dtype=bool)
    if add == 0:
        corrected = np.zeros(k, dtype=bool)
    x2 = np.where(corrected, x + add, x)
    m2 = np.where(corrected, n - x + add, n - x)
    n2 = x2 + m2
    p = x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PR":
            yi, vi = p, p * (1 - p) / n2
            method = "raw proportion (escalc PR, vtype LS)"
        elif measure == "PLO":
            yi, vi = np.log(p / (1 - p)), 1 / x2 + 1 / m2
            method = "logit proportion (escalc PLO)"
        elif measure == "PAS":
            yi, vi = np.arcsin(np.sqrt(p)), 1 / (4 * n2)
            method = "arcsine square-root proportion (escalc PAS)"
        else:
            yi = 0.5 * (np.arcsin(np.sqrt(x2 / (n2 + 1))) + np.arcsin(np.sqrt((x2 + 1) / (n2 + 1))))
            vi = 1 / (4 * n2 + 2)
            method = "Freeman-Tukey double arcsine proportion (escalc PFT)"
    results: list[EffectSize | NotEstimable] = []
    for i in range(k):
        if missing[i]:
            results.append(NotEstimable("events or total missing", measure, method))
            continue
        if not (np.isfinite(yi[i]) and np.isfinite(vi[i]) and vi[i] > 0):
            results.append(
                NotEstimable(
                    f"proportion of {x[i]:g}/{n[i]:g} without continuity correction "
                    f"(to={to!r}, add={add:g}): {measure} or its variance is not finite",
                    measure,
                    method,
                )
            )
            continue
        notes = []
        if corrected[i]:
            why = f"{x[i]:g}/{n[i]:g}" if id0[i] else f"to={to!r}"
            notes.append(f"continuity correction +{add:g} to events and non-events ({why})")
        results.append(
            EffectSize(float(yi[i]), float(vi[i]), measure, method, tuple(notes), ni=float(n[i]))
        )
    messages = []
    if corrected.any():
        messages.append(
            f"continuity correction add={add:g} (to={to!r}) applied to "
            f"{int(corrected.sum())} of {k} proportions"
        )
    return EffectSizes(measure, tuple(results), labels, tuple(messages))


def count_effect(
    ai: float,
    n1i: float,
    ci: float,
    n2i: float,
    *,
    measure: Literal["OR", "RR", "RD"] = "OR",
    add: float = 0.5,
    to: Literal["only0", "all", "none"] = "only0",
    drop00: bool | None = None,
    correction: Literal["constant", "treatment_arm"] = "constant",
) -> EffectSize | NotEstimable:
    """Effect size of one 2x2 table given as events/total per arm (see :func:`escalc`).

    ``ai`` of ``n1i`` patients in group 1 (intervention) and ``ci`` of ``n2i`` in group 2 had the
    event. Returns an :class:`EffectSize` (log OR / log RR / RD) or :class:`NotEstimable`.
    """
    res = escalc(
        measure,
        ai=[ai],
        n1i=[n1i],
        ci=[ci],
        n2i=[n2i],
        add=add,
        to=to,
        drop00=drop00,
        correction=correction,
    )
    return res.results[0]
