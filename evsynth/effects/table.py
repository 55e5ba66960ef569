"""``effect_sizes``: one effect size (or the reason there is none) per evidence-table row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from evsynth.effects import _validate as v
from evsynth.effects._result import EffectSize, NotEstimable, normalize_level
from evsynth.effects.continuous import CONTINUOUS_MEASURES, difference_from_ci, mean_effect
from evsynth.effects.counts import escalc
from evsynth.effects.proportions import survival_rate_effect
from evsynth.effects.ratios import log_hr_from_logrank, log_ratio_from_ci, log_ratio_from_p
from evsynth.errors import EffectSizeError

OUTPUT_COLUMNS = (
    "row_id",
    "yi",
    "vi",
    "sei",
    "measure_analysis",
    "method",
    "not_estimable_reason",
    "notes",
)
TIME_TO_EVENT = ("OS", "PFS", "EFS", "LFS", "DFS", "RFS", "TTP", "DOR")
P_ONLY_REASON = (
    "p-value only: the log-rank p gives |z| but not the direction and not the variance without "
    "event counts"
)


def _get(row: Mapping, col: str) -> object:
    value = row.get(col)
    return None if v.is_missing(value) else value


def _has(row: Mapping, *cols: str) -> bool:
    return all(_get(row, c) is not None for c in cols)


def _level(row: Mapping) -> tuple[float, list[str]]:
    raw = _get(row, "ci_level")
    if raw is None:
        return 0.95, ["ci_level missing: 95% assumed"]
    return normalize_level(raw, "ci_level"), []


def _with_notes(res: EffectSize | NotEstimable, extra: list[str]) -> EffectSize | NotEstimable:
    if not extra:
        return res
    if isinstance(res, EffectSize):
        return EffectSize(
            res.yi, res.vi, res.measure, res.method, res.notes + tuple(extra), res.level, res.ni
        )
    return NotEstimable(res.reason, res.measure, res.method, res.notes + tuple(extra))


def _from_ci(row: Mapping, compute, measure: str) -> EffectSize | NotEstimable:
    """``compute(estimate, ci_lower, ci_upper, level=, measure=)`` on a row, noting an assumed
    level."""
    level, notes = _level(row)
    res = compute(
        _get(row, "estimate"),
        _get(row, "ci_lower"),
        _get(row, "ci_upper"),
        level=level,
        measure=measure,
    )
    return _with_notes(res, notes)


def _ratio_row(row: Mapping, measure: str) -> EffectSize | NotEstimable:
    if _has(row, "ci_lower", "ci_upper"):
        return _from_ci(row, log_ratio_from_ci, measure)
    if _has(row, "estimate", "p_value"):
        return log_ratio_from_p(
            _get(row, "estimate"),
            _get(row, "p_value"),
            p_operator=_get(row, "p_operator") or "=",
            measure=measure,
        )
    if measure == "HR" and not _has(row, "estimate") and _has(row, "p_value"):
        return None  # handled as a p-value-only row
    if _has(row, "estimate"):
        return NotEstimable(
            f"{measure} reported without a CI or p-value: its variance is unknown", measure
        )
    return NotEstimable(f"{measure} row without an estimate, CI or p-value", measure)


def _p_only_row(row: Mapping, direction: str | None) -> EffectSize | NotEstimable:
    test = str(_get(row, "test") or "").lower().replace(" ", "").replace("-", "")
    outcome = str(_get(row, "outcome") or "").upper()
    notes: list[str] = []
    if test and "logrank" not in test:
        return NotEstimable(
            f"p-value only, from a {_get(row, 'test')} test: the log-rank approximation "
            "(Parmar 1998) does not apply",
            "HR",
        )
    if not test:
        if outcome not in TIME_TO_EVENT:
            return NotEstimable(
                "p-value only, test not reported and the outcome is not time-to-event: no "
                "effect size can be derived",
                "HR",
            )
        notes.append("test not reported: log-rank assumed for a time-to-event outcome")
    if _get(row, "p_value") is None:
        return NotEstimable("no p-value, estimate or CI reported", "HR")
    if not _has(row, "events_int", "events_ctl"):
        return NotEstimable(P_ONLY_REASON, "HR")
    ei = v.count(_get(row, "events_int"), "events_int")
    ec = v.count(_get(row, "events_ctl"), "events_ctl")
    n_int, n_ctl = _get(row, "total_int"), _get(row, "total_ctl")
    if n_int is not None:
        v.events_and_total(ei, n_int, "events_int", "total_int")
    if n_ctl is not None:
        v.events_and_total(ec, n_ctl, "events_ctl", "total_ctl")
    res = log_hr_from_logrank(
        _get(row, "p_value"),
        events=ei + ec,
        n_int=n_int,
        n_ctl=n_ctl,
        direction=direction,
        p_operator=_get(row, "p_operator") or "=",
    )
    return _with_notes(res, notes)


def _proportion_row(
    row: Mapping, measure: str, add: float | None, to: str
) -> EffectSize | NotEstimable:
    if _has(row, "events_int", "total_int"):
        x, n = v.events_and_total(
            _get(row, "events_int"), _get(row, "total_int"), "events_int", "total_int"
        )
        return escalc(measure, xi=[x], ni=[n], add=add, to=to).results[0]
    if _has(row, "estimate", "total_int"):
        p = v.number(_get(row, "estimate"), "estimate")
        if not 0 <= p <= 1:
            raise EffectSizeError(
                f"proportion estimate={p:g} is not on the 0-1 scale (58.8% -> 0.588)."
            )
        n = v.count(_get(row, "total_int"), "total_int")
        x = float(round(p * n))
        res = escalc(measure, xi=[x], ni=[n], add=add, to=to).results[0]
        return _with_notes(
            res, [f"events derived as round(estimate x total) = round({p:g} x {n:g}) = {x:g}"]
        )
    if _has(row, "estimate", "rate_se"):
        return survival_rate_effect(_get(row, "estimate"), _get(row, "rate_se"))
    return NotEstimable("proportion without events/total or a standard error", measure)


def _survival_row(row: Mapping, transform: str) -> EffectSize | NotEstimable:
    if _has(row, "estimate", "rate_se"):
        return survival_rate_effect(
            _get(row, "estimate"), _get(row, "rate_se"), transform=transform
        )
    if _has(row, "estimate"):
        return NotEstimable(
            "survival rate without its standard error: the variance is unknown",
            "PLO" if transform == "logit" else "CLL",
        )
    return NotEstimable("survival-rate row without an estimate", "PLO")


def _continuous_row(row: Mapping, measure: str, wanted: str) -> EffectSize | NotEstimable:
    """A "means" row to the ``wanted`` measure; a reported MD/SMD row with its CI as it is."""
    if measure == "means":
        cols = ("mean_int", "sd_int", "total_int", "mean_ctl", "sd_ctl", "total_ctl")
        if not _has(row, *cols):
            missing = [c for c in cols if not _has(row, c)]
            return NotEstimable(f"arm means row without {', '.join(missing)}", wanted)
        return mean_effect(*(_get(row, c) for c in cols), measure=wanted)
    if measure != wanted:
        return NotEstimable(
            f"a reported {measure} cannot be converted to {wanted} without the arm means and SDs",
            wanted,
        )
    if _has(row, "estimate", "ci_lower", "ci_upper"):
        return _from_ci(row, difference_from_ci, measure)
    return NotEstimable(f"{measure} reported without a CI: its variance is unknown", measure)


def effect_sizes(
    evidence: pd.DataFrame,
    *,
    counts_measure: Literal["OR", "RR", "RD"] = "OR",
    proportion_measure: Literal["PR", "PLO", "PAS", "PFT"] = "PLO",
    survival_transform: Literal["logit", "cloglog"] = "logit",
    add: float | None = None,
    to: Literal["only0", "all", "if0all", "none"] = "only0",
    correction: Literal["constant", "treatment_arm"] = "constant",
    continuous_measure: Literal["MD", "SMD", "ROM"] = "MD",
    directions: Mapping[str, Literal["lower", "higher"]] | None = None,
    errors: Literal["raise", "not_estimable"] = "raise",
) -> pd.DataFrame:
    """Effect sizes for a slice of the evidence table, one output row per input row.

    Rules by ``measure`` (columns of :data:`evsynth.extraction.schema.EVIDENCE_COLUMNS`):

    - "HR", "OR", "RR" with estimate and CI: log ratio, SE from the CI
      (:func:`log_ratio_from_ci`); with estimate and p-value only: SE from the p-value
      (:func:`log_ratio_from_p`).
    - "counts": 2x2 table ``events_int/total_int`` vs ``events_ctl/total_ctl`` ->
      ``counts_measure`` (log OR by default) via :func:`escalc` with ``add``/``to``/``correction``
      (applied across the count rows of the slice, so ``to="if0all"`` works as in metafor).
    - "p_only": log-rank p-value -> log HR by the Parmar/Tierney approximation only when event
      counts of both arms are present and the direction is known (``directions[row_id]``, or a
      ``direction`` column: "lower" when the intervention arm had the lower hazard); otherwise not
      estimable, with the reason.
    - "proportion": single-arm ``events_int/total_int`` -> ``proportion_measure`` (PLO default).
    - "survival_rate": estimate with ``rate_se`` -> logit (default) or log(-log)
      (:func:`survival_rate_effect`).
    - "means": arm means, SDs and sizes (``mean_int, sd_int, total_int`` vs ``mean_ctl, sd_ctl,
      total_ctl``) -> ``continuous_measure`` (MD default, SMD as Hedges' g, ROM) via
      :func:`evsynth.effects.continuous.mean_effect`.
    - "MD", "SMD": a reported difference with its CI, SE from the CI width
      (:func:`evsynth.effects.continuous.difference_from_ci`); it is used only when it is the
      ``continuous_measure`` (an MD cannot become an SMD without the SDs).

    Parameters
    ----------
    evidence : rows of the evidence table (needs ``measure``; ``row_id`` is carried through)
    errors : "raise" (default) raises :class:`~evsynth.errors.EffectSizeError` naming the row on
        impossible input; "not_estimable" records the message as the row's
        ``not_estimable_reason`` instead.

    Returns
    -------
    pandas.DataFrame
        Same index as ``evidence``; columns ``row_id, yi, vi, sei, measure_analysis, method,
        not_estimable_reason, notes`` (``not_estimable_reason`` is "" when estimable; yi/vi/sei
        are NaN only where a reason is given).
    """
    if not isinstance(evidence, pd.DataFrame):
        raise EffectSizeError(
            "effect_sizes needs a pandas DataFrame (a slice of the evidence table)."
        )
    if "measure" not in evidence.columns:
        raise EffectSizeError(
            "the evidence table has no 'measure' column; see evsynth.extraction.schema."
        )
    if errors not in ("raise", "not_estimable"):
        raise EffectSizeError(f"errors={errors!r} must be 'raise' or 'not_estimable'.")
    if counts_measure not in ("OR", "RR", "RD"):
        raise EffectSizeError(f"counts_measure={counts_measure!r} must be 'OR', 'RR' or 'RD'.")
    if proportion_measure not in ("PR", "PLO", "PAS", "PFT"):
        raise EffectSizeError(
            f"proportion_measure={proportion_measure!r} must be 'PR', 'PLO', 'PAS' or 'PFT'."
        )
    if continuous_measure not in CONTINUOUS_MEASURES:
        raise EffectSizeError(
            f"continuous_measure={continuous_measure!r} must be one of {CONTINUOUS_MEASURES}."
        )
    directions = dict(directions or {})
    results: dict[object, EffectSize | NotEstimable] = {}
    count_rows: list[tuple[object, float, float, float, float]] = []
    records = dict(enumerate(evidence.to_dict(orient="records")))  # by position
    labels = list(evidence.index)

    def fail(idx: object, row: Mapping, err: EffectSizeError) -> None:
        rid = row.get("row_id", labels[idx])
        if errors == "raise":
            raise EffectSizeError(f"row {rid!r}: {err}") from None
        results[idx] = NotEstimable(f"impossible input: {err}", str(row.get("measure", "")))

    for idx, row in records.items():
        measure = str(_get(row, "measure") or "")
        try:
            if measure in ("HR", "OR", "RR"):
                res = _ratio_row(row, measure)
                if res is None:
                    measure = "p_only"
                else:
                    results[idx] = res
                    continue
            if measure == "p_only":
                rid = row.get("row_id")
                direction = directions.get(rid) if rid is not None else None
                if direction is None:
                    direction = _get(row, "direction")
                results[idx] = _p_only_row(row, direction)
            elif measure == "counts":
                if not _has(row, "events_int", "total_int", "events_ctl", "total_ctl"):
                    results[idx] = NotEstimable(
                        "counts row without events and totals of both arms", counts_measure
                    )
                    continue
                ai, n1 = v.events_and_total(
                    _get(row, "events_int"), _get(row, "total_int"), "events_int", "total_int"
                )
                ci, n2 = v.events_and_total(
                    _get(row, "events_ctl"), _get(row, "total_ctl"), "events_ctl", "total_ctl"
                )
                count_rows.append((idx, ai, n1, ci, n2))
            elif measure == "proportion":
                results[idx] = _proportion_row(row, proportion_measure, add, to)
            elif measure == "survival_rate":
                results[idx] = _survival_row(row, survival_transform)
            elif measure in ("means", "MD", "SMD"):
                results[idx] = _continuous_row(row, measure, continuous_measure)
            else:
                results[idx] = NotEstimable(
                    f"unknown measure {measure!r} (see evsynth.extraction.schema)"
                )
        except EffectSizeError as err:
            fail(idx, row, err)

    if count_rows:
        idxs = [r[0] for r in count_rows]
        esc = escalc(
            counts_measure,
            ai=[r[1] for r in count_rows],
            n1i=[r[2] for r in count_rows],
            ci=[r[3] for r in count_rows],
            n2i=[r[4] for r in count_rows],
            add=add,
            to=to,
            correction=correction,
        )
        results.update(zip(idxs, esc.results, strict=True))

    rows = []
    for idx, row in records.items():
        res = results[idx]
        est = isinstance(res, EffectSize)
        rows.append(
            {
                "row_id": row.get("row_id", labels[idx]),
                "yi": res.yi if est else np.nan,
                "vi": res.vi if est else np.nan,
                "sei": res.sei if est else np.nan,
                "measure_analysis": res.measure_analysis if est else "",
                "method": res.method,
                "not_estimable_reason": "" if est else res.reason,
                "notes": "; ".join(res.notes),
            }
        )
    return pd.DataFrame(rows, index=evidence.index, columns=list(OUTPUT_COLUMNS))
