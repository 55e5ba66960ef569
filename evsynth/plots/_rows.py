"""Turn result objects and plain tables into display rows for a forest plot.

Nothing here computes a statistic: every number comes from the result object (or the table) and
is only transformed for display (exponentiated for ratio measures) and formatted as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from evsynth.plots.style import ForestStyle, PlotError, _level_text

#: measures analysed on the log scale and displayed as ratios (metafor's measure codes)
RATIO_MEASURES = frozenset({"HR", "OR", "RR", "IRR", "ROM", "PETO", "MPRR", "MPOR", "RATIO"})

#: how each ``test=`` of the pooling engine is named in a figure
TEST_NAMES = {
    "z": "Wald z",
    "wald": "Wald z",
    "normal": "Wald z",
    "t": "t",
    "knha": "Hartung-Knapp-Sidik-Jonkman",
    "hk": "Hartung-Knapp-Sidik-Jonkman",
    "hksj": "Hartung-Knapp-Sidik-Jonkman",
    "adhoc": "Hartung-Knapp-Sidik-Jonkman, ad hoc",
    "knha_adhoc": "Hartung-Knapp-Sidik-Jonkman, ad hoc",
    "hksj_adhoc": "Hartung-Knapp-Sidik-Jonkman, ad hoc",
}

#: the per-study text columns a user can ask for (plus any column of a plain table)
KNOWN_COLUMNS = ("n", "estimate_ci", "weight", "k", "pi", "i2", "tau2")


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot, ready to draw.

    ``estimate``/``ci_lower``/``ci_upper`` are on the analysis scale (log for ratio measures);
    ``cells`` maps a column key to the text shown in that column.
    """

    kind: str  # "heading", "study", "pooled", "pi", "note", "unpoolable", "spacer"
    label: str = ""
    estimate: float = math.nan
    ci_lower: float = math.nan
    ci_upper: float = math.nan
    weight: float = math.nan  # percent; sizes the square (area proportional to weight)
    pi_lower: float = math.nan  # drawn as a thin line through a pooled row (sensitivity panel)
    pi_upper: float = math.nan
    cells: Mapping[str, str] = field(default_factory=dict)
    note: str = ""  # text drawn inside the plotting panel (e.g. why a result was not pooled)
    indent: int = 0
    emphasis: str = ""  # pooled rows: "overall", "subgroup" or "analysis"


@dataclass(frozen=True)
class Column:
    """A text column: its key, header text and side of the panel."""

    key: str
    header: str
    align: str = "right"  # "left", "center", "right"


@dataclass(frozen=True)
class ForestData:
    """Everything a forest plot draws, as display rows and texts."""

    rows: tuple[ForestRow, ...]
    columns: tuple[Column, ...]
    measure: str
    level: float
    footer: tuple[str, ...] = ()
    label_header: str = "Study"

    @property
    def log_scale(self) -> bool:
        return self.measure.upper() in RATIO_MEASURES


# --------------------------------------------------------------------------------------------
# number formatting


def display_value(value: float, measure: str) -> float:
    """Analysis scale -> display scale (exp for ratio measures)."""
    if not np.isfinite(value):
        return value
    return math.exp(value) if measure.upper() in RATIO_MEASURES else value


def fmt_number(value: float, style: ForestStyle, digits: int | None = None) -> str:
    """Fixed decimals with the style's minus sign; '—' for a missing value."""
    if value is None or not np.isfinite(value):
        return (
            "\u2014" if value is None or np.isnan(value) else ("\u221e" if value > 0 else "-\u221e")
        )
    d = style.digits if digits is None else digits
    text = f"{value:.{d}f}"
    if text.startswith("-"):
        text = style.minus + text[1:] if float(text) != 0 else text[1:]
    return text


def fmt_ratio(value: float, style: ForestStyle) -> str:
    """A ratio with digits that stay meaningful at any size.

    0.1 to 100: the style's decimals ("0.49", "20.74"); 100 to 10 000: whole numbers ("254");
    0.001 to 0.1: two significant digits ("0.012", "0.001"); beyond: two significant digits in
    powers of ten ("1.1e4", "3.2e-5"). Fixed decimals would print 0.0004 as "0.00" and 10682.54
    with spurious precision.
    """
    if value is None or not np.isfinite(value) or value <= 0:
        return fmt_number(value, style)
    if value >= 1e4 or value < 1e-3:
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}".replace("-", style.minus)
    if value >= 100:
        return f"{value:.0f}"
    if value < 0.1:
        return f"{value:.2g}"
    return fmt_number(value, style)


def _fmt_display(value: float, measure: str, style: ForestStyle) -> str:
    shown = display_value(value, measure)
    return (
        fmt_ratio(shown, style) if measure.upper() in RATIO_MEASURES else fmt_number(shown, style)
    )


def fmt_estimate_ci(est: float, lo: float, hi: float, measure: str, style: ForestStyle) -> str:
    """'0.49 [0.34, 0.70]' on the display scale (ratios by :func:`fmt_ratio`)."""
    e, a, b = (_fmt_display(v, measure, style) for v in (est, lo, hi))
    return f"{e} [{a}, {b}]"


def fmt_interval(lo: float, hi: float, measure: str, style: ForestStyle) -> str:
    a, b = (_fmt_display(v, measure, style) for v in (lo, hi))
    return f"[{a}, {b}]"


def fmt_p(p: float, style: ForestStyle) -> str:
    """'p < 0.001', 'p = 0.004', 'p = 0.049', 'p = 0.32' (JAMA-style rounding)."""
    if p is None or not np.isfinite(p):
        return "p = \u2014"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01 or 0.045 <= p < 0.055:
        return f"p = {p:.3f}"
    if p > 0.99:
        return "p > 0.99"
    return f"p = {p:.2f}"


def fmt_weight(w: float) -> str:
    return "" if w is None or not np.isfinite(w) else f"{w:.1f}%"


def fmt_df(df: float) -> str:
    if df is None or not np.isfinite(df):
        return ""
    return f"{df:.0f}" if abs(df - round(df)) < 1e-9 else f"{df:.2f}"


# --------------------------------------------------------------------------------------------
# reading result objects (duck-typed, so the plots do not depend on the pooling engine's import)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default)


def _pair(value: Any) -> tuple[float, float]:
    if value is None:
        return (math.nan, math.nan)
    try:
        a, b = value
    except (TypeError, ValueError):
        return (math.nan, math.nan)
    return (float(a) if a is not None else math.nan, float(b) if b is not None else math.nan)


def is_meta_result(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("yi", "vi")) and (
        hasattr(obj, "estimate") or hasattr(obj, "mu_median")
    )


def pooled_values(result: Any) -> tuple[float, float, float]:
    """(estimate, ci_lower, ci_upper) of a result: the posterior median and credible interval
    for a Bayesian result, the estimate and confidence interval otherwise."""
    if hasattr(result, "mu_median"):
        lo, hi = _pair(result.mu_ci)
        return float(result.mu_median), lo, hi
    lo, hi = _pair(result.ci)
    return float(result.estimate), lo, hi


def is_subgroup_result(obj: Any) -> bool:
    return hasattr(obj, "overall") and (
        hasattr(obj, "subgroups") or (hasattr(obj, "groups") and hasattr(obj, "fits"))
    )


def _subgroup_items(result: Any) -> list[tuple[str, Any]]:
    if hasattr(result, "groups") and hasattr(result, "fits"):
        return list(zip(result.groups, result.fits, strict=True))
    subgroups = result.subgroups
    return list(subgroups.items() if isinstance(subgroups, Mapping) else subgroups)


def subgroup_test_text(result: Any, style: ForestStyle) -> str:
    """'Test for subgroup differences: Q = 7.31, df = 2, p = 0.026' (the result's headline test)."""
    between = str(_get(result, "between", "separate") or "separate")
    if between == "common" and _get(result, "qm") is not None and np.isfinite(result.qm):
        dfs = tuple(_get(result, "qm_df", ()) or ())
        p = fmt_p(_get(result, "qm_pvalue"), style)
        if _get(result, "qm_test") == "F" and len(dfs) == 2:
            stat = f"F({dfs[0]}, {dfs[1]}) = {fmt_number(result.qm, style)}, {p}"
        else:
            stat = f"QM = {fmt_number(result.qm, style)}, df = {dfs[0] if dfs else ''}, {p}"
        return f"Test for subgroup differences (mixed-effects model, common \u03c4\u00b2): {stat}"
    qb = _first(result, ("q_between", "q_b"))
    if qb is None or not np.isfinite(qb):
        return ""
    df = _first(result, ("q_between_df", "df_between", "df"))
    p = _first(result, ("q_between_pvalue", "pvalue_between", "pvalue"))
    return (
        f"Test for subgroup differences: Q = {fmt_number(qb, style)}, df = {fmt_df(df)}, "
        f"{fmt_p(p, style)}"
    )


def is_bayes_result(obj: Any) -> bool:
    return type(obj).__name__.startswith("Bayes") or hasattr(obj, "posterior")


def test_name(result: Any) -> str:
    test = str(_get(result, "test", "") or "")
    return TEST_NAMES.get(test.lower(), test)


def heterogeneity_text(result: Any, style: ForestStyle) -> str:
    """'Heterogeneity: τ² = 0.31 (REML); I² = 92%; Q = 152.23, df = 12, p < 0.001'."""
    parts = []
    tau2 = _get(result, "tau2")
    method = str(_get(result, "method", "") or "")
    if tau2 is not None and np.isfinite(tau2) and method.upper() not in ("FE", "EE"):
        parts.append(
            f"\u03c4\u00b2 = {fmt_number(tau2, style, 3)}" + (f" ({method})" if method else "")
        )
    i2 = _get(result, "i2")
    if i2 is not None and np.isfinite(i2):
        parts.append(f"I\u00b2 = {i2:.0f}%")
    q = _get(result, "q")
    if q is not None and np.isfinite(q):
        qtxt = f"Q = {fmt_number(q, style)}, df = {fmt_df(_get(result, 'q_df'))}"
        qp = _get(result, "q_pvalue")
        if qp is not None and np.isfinite(qp):
            qtxt += f", {fmt_p(qp, style)}"
        parts.append(qtxt)
    if not parts:
        return ""
    return "Heterogeneity: " + "; ".join(parts)


def overall_test_text(result: Any, style: ForestStyle) -> str:
    """'Test for overall effect: t = −4.20, df = 12, p = 0.001 (Hartung-Knapp-Sidik-Jonkman, ad hoc)'."""
    stat = _get(result, "statistic")
    if stat is None or not np.isfinite(stat):
        return ""
    df = _get(result, "df")
    has_df = df is not None and np.isfinite(df)
    sym = "t" if has_df else "z"
    txt = f"Test for overall effect: {sym} = {fmt_number(stat, style)}"
    if has_df:
        txt += f", df = {fmt_df(df)}"
    txt += f", {fmt_p(_get(result, 'pvalue'), style)}"
    name = test_name(result)
    if name and name not in ("t", "Wald z"):
        txt += f" ({name})"
    return txt


def _pooled_label(result: Any, style: ForestStyle, level: float) -> str:
    if is_bayes_result(result):
        return style.text(style.bayes_label, level=level)
    method = str(_get(result, "method", "") or "").upper()
    label = style.fixed_label if method in ("FE", "EE") else style.pooled_label
    return style.text(label, level=level)


def _study_table(result: Any) -> pd.DataFrame:
    """label, yi, ci_lower, ci_upper, weight of each study, from ``study_frame()``."""
    frame = None
    if hasattr(result, "study_frame"):
        frame = result.study_frame()
    if frame is None:
        # results without study_frame() (e.g. Bayesian): each study's normal-theory CI,
        # yi ± z·sqrt(vi), as metafor's forest() draws it; no weights (equal squares)
        z = NormalDist().inv_cdf(0.5 + float(_get(result, "level", 0.95) or 0.95) / 2)
        yi = np.asarray(result.yi, float)
        sei = np.sqrt(np.asarray(result.vi, float))
        labels = _get(result, "labels") or [f"Study {i + 1}" for i in range(len(yi))]
        frame = pd.DataFrame(
            {"label": list(labels), "yi": yi, "ci_lower": yi - z * sei, "ci_upper": yi + z * sei}
        )
    frame = frame.reset_index(drop=frame.index.name is None or "label" in frame.columns)
    out = pd.DataFrame()
    out["label"] = frame["label"].astype(str) if "label" in frame else frame.iloc[:, 0].astype(str)
    out["yi"] = frame["yi"].astype(float).to_numpy()
    lower = next((c for c in frame.columns if str(c).startswith("ci_lower")), None)
    upper = next((c for c in frame.columns if str(c).startswith("ci_upper")), None)
    if lower is not None and upper is not None:
        out["ci_lower"] = frame[lower].astype(float).to_numpy()
        out["ci_upper"] = frame[upper].astype(float).to_numpy()
    elif "ci" in frame:
        pairs = [_pair(v) for v in frame["ci"]]
        out["ci_lower"] = [p[0] for p in pairs]
        out["ci_upper"] = [p[1] for p in pairs]
    else:
        raise PlotError("study_frame() has no ci / ci_lower, ci_upper columns to draw.")
    out["weight"] = frame["weight"].astype(float).to_numpy() if "weight" in frame else math.nan
    return out


# --------------------------------------------------------------------------------------------
# counts (events/total per arm, or N) for the "n" column

COUNT_COLUMNS = ("events_int", "total_int", "events_ctl", "total_ctl")


def _counts_lookup(counts: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    if counts is None:
        return {}
    if not isinstance(counts, pd.DataFrame):
        raise PlotError("counts= must be a DataFrame with a label column and events/total columns.")
    label_col = _label_column(counts)
    lookup = {}
    for _, row in counts.iterrows():
        lookup[str(row[label_col])] = {
            c: row[c] for c in (*COUNT_COLUMNS, "n") if c in counts.columns and pd.notna(row[c])
        }
    return lookup


def _count_text(events: Any, total: Any) -> str:
    if events is None or total is None:
        return ""
    return f"{int(round(float(events)))}/{int(round(float(total)))}"


def _count_cells(info: Mapping[str, Any]) -> dict[str, str]:
    cells = {}
    if "events_int" in info and "total_int" in info:
        cells["ev_int"] = _count_text(info["events_int"], info["total_int"])
    if "events_ctl" in info and "total_ctl" in info:
        cells["ev_ctl"] = _count_text(info["events_ctl"], info["total_ctl"])
    if "n" in info:
        cells["n"] = f"{int(round(float(info['n'])))}"
    return cells


def _label_column(table: pd.DataFrame) -> str:
    for name in ("label", "slab", "study", "study_id", "labels"):
        if name in table.columns:
            return name
    raise PlotError(
        f"the table has no label column (one of label, slab, study, study_id); it has "
        f"{list(table.columns)}."
    )


# --------------------------------------------------------------------------------------------
# columns


def resolve_columns(
    requested: Sequence[str],
    rows: Sequence[ForestRow],
    measure: str,
    level: float,
    style: ForestStyle,
    extra_headers: Mapping[str, str] | None = None,
) -> tuple[Column, ...]:
    """Columns to draw: 'n' expands to events/total per arm when counts exist, or N; columns
    with no text in any row are dropped (so a default 'n' disappears when there are no counts)."""
    extra_headers = dict(extra_headers or {})
    cols: list[Column] = []
    present = {k for r in rows for k, v in r.cells.items() if v}
    for key in requested:
        if key == "n":
            t, c = style.arm_names
            if "ev_int" in present:
                cols.append(Column("ev_int", f"{t}\n{style.events_header}"))
            if "ev_ctl" in present:
                cols.append(Column("ev_ctl", f"{c}\n{style.events_header}"))
            if "n" in present and "ev_int" not in present:
                cols.append(Column("n", style.n_header))
            continue
        if key not in present:
            continue
        if key == "estimate_ci":
            header = style.text(style.estimate_header, measure=_measure_name(measure), level=level)
            cols.append(Column(key, header))
        elif key == "weight":
            cols.append(Column(key, style.weight_header))
        elif key == "k":
            cols.append(Column(key, "k"))
        elif key == "pi":
            cols.append(Column(key, f"{_level_text(level)}% PI"))
        elif key == "i2":
            cols.append(Column(key, "I\u00b2"))
        elif key == "tau2":
            cols.append(Column(key, "\u03c4\u00b2"))
        else:
            cols.append(Column(key, extra_headers.get(key, str(key))))
    return tuple(cols)


def _measure_name(measure: str) -> str:
    names = {
        "HR": "Hazard ratio",
        "OR": "Odds ratio",
        "RR": "Risk ratio",
        "RD": "Risk difference",
        "IRR": "Rate ratio",
        "MD": "Mean difference",
        "SMD": "SMD",
        "GEN": "Estimate",
        "RATIO": "Ratio",
    }
    return names.get(measure.upper(), measure)


def _check_columns(columns: Sequence[str], table_columns: Sequence[str] = ()) -> None:
    bad = [c for c in columns if c not in KNOWN_COLUMNS and c not in table_columns]
    if bad:
        raise PlotError(
            f"unknown column(s) {bad}: use {list(KNOWN_COLUMNS)} or a column of your table."
        )


# --------------------------------------------------------------------------------------------
# builders


def _study_rows(
    result: Any,
    style: ForestStyle,
    measure: str,
    counts: Mapping[str, Mapping[str, Any]],
    indent: int = 0,
    weights: Mapping[str, float] | None = None,
) -> list[ForestRow]:
    table = _study_table(result)
    rows = []
    for rec in table.itertuples(index=False):
        weight = rec.weight
        if weights is not None and rec.label in weights:
            weight = weights[rec.label]
        cells = {
            "estimate_ci": fmt_estimate_ci(rec.yi, rec.ci_lower, rec.ci_upper, measure, style),
            "weight": fmt_weight(weight),
        }
        cells.update(_count_cells(counts.get(rec.label, {})))
        rows.append(
            ForestRow(
                "study",
                rec.label,
                rec.yi,
                rec.ci_lower,
                rec.ci_upper,
                weight,
                cells=cells,
                indent=indent,
            )
        )
    return rows


def _pooled_rows(
    result: Any,
    style: ForestStyle,
    measure: str,
    level: float,
    label: str,
    emphasis: str,
    weight_text: str = "100.0%",
    indent: int = 0,
) -> list[ForestRow]:
    est, lo, hi = pooled_values(result)
    k = _get(result, "k")
    cells = {"estimate_ci": fmt_estimate_ci(est, lo, hi, measure, style), "weight": weight_text}
    if k is not None:
        cells["k"] = str(k)
    rows = [ForestRow("pooled", label, est, lo, hi, cells=cells, emphasis=emphasis, indent=indent)]
    pi_lo, pi_hi = _pair(_get(result, "pi"))
    show = style.show_pi and (emphasis != "subgroup" or style.subgroup_pi)
    same = np.isfinite(pi_lo) and np.allclose([pi_lo, pi_hi], [lo, hi], rtol=1e-9, atol=0)
    if show and not same and np.isfinite(pi_lo) and np.isfinite(pi_hi) and (k is None or k > 1):
        rows.append(
            ForestRow(
                "pi",
                style.pi_label,
                est,
                pi_lo,
                pi_hi,
                cells={"estimate_ci": fmt_interval(pi_lo, pi_hi, measure, style)},
                emphasis=emphasis,
                indent=indent,
            )
        )
    return rows


def _footer_for(result: Any, style: ForestStyle) -> list[str]:
    lines = []
    if is_bayes_result(result):
        lines.append(_bayes_description(result, style))
        return lines
    k = _get(result, "k")
    single = k is not None and k < 2
    if style.show_heterogeneity and not single:
        het = heterogeneity_text(result, style)
        if het:
            lines.append(het)
    test = overall_test_text(result, style)
    if test:
        if single:
            test = test.replace("Test for overall effect", "Test of the single study's effect")
        lines.append(test)
    return lines  # how the prediction interval was computed belongs in the methods, not here


def _bayes_description(result: Any, style: ForestStyle) -> str:
    """'Bayesian random effects: posterior median [95% CrI]; τ ~ half-normal(0.5), μ flat; ...'."""
    txt = "Bayesian random effects: posterior median and credible interval"
    prior = _get(result, "tau_prior")
    if prior:
        scale = _get(result, "tau_scale")
        fam = str(prior).replace("half", "half-")
        txt += (
            f"; prior \u03c4 ~ {fam}({scale:g})" if scale is not None else f"; prior \u03c4 ~ {fam}"
        )
        sd = _get(result, "mu_prior_sd")
        txt += (
            ", \u03bc flat"
            if sd is None
            else f", \u03bc ~ N({_get(result, 'mu_prior_mean', 0):g}, {sd:g}\u00b2)"
        )
    tau = _first(result, ("tau_median", "tau"))
    if tau is not None and np.isfinite(tau):
        txt += f"; \u03c4 = {fmt_number(tau, style)}"
        tci = _pair(_get(result, "tau_ci"))
        if np.isfinite(tci[0]):
            txt += f" [{fmt_number(tci[0], style)}, {fmt_number(tci[1], style)}]"
    p0 = _get(result, "prob_mu_below_zero")
    if p0 is not None and np.isfinite(p0):
        txt += f"; P(\u03bc < 0) = {p0:.3f}" if p0 < 0.9995 else "; P(\u03bc < 0) > 0.999"
    return txt


def rows_from_meta(
    result: Any,
    style: ForestStyle,
    *,
    counts: pd.DataFrame | None = None,
) -> tuple[list[ForestRow], list[str], str, float]:
    """Study rows, the pooled diamond and its prediction interval for one MetaAnalysis."""
    measure = str(_get(result, "measure", "GEN") or "GEN")
    level = float(_get(result, "level", 0.95) or 0.95)
    lookup = _counts_lookup(counts if counts is not None else _data_counts(result))
    rows = _study_rows(result, style, measure, lookup)
    rows.append(ForestRow("spacer"))
    k = _get(result, "k")
    if k is not None and k < 2:
        rows.append(
            ForestRow(
                "note",
                "One study: nothing to pool; heterogeneity and the prediction interval are undefined.",
            )
        )
        return rows, _footer_for(result, style), measure, level
    studies = [r for r in rows if r.kind == "study"]
    pooled = _pooled_rows(
        result,
        style,
        measure,
        level,
        _pooled_label(result, style, level),
        "overall",
        weight_text="" if all(not r.cells.get("weight") for r in rows) else "100.0%",
    )
    pooled[0].cells.update(_total_cells([lookup.get(r.label, {}) for r in studies]))
    rows += pooled
    return rows, _footer_for(result, style), measure, level


def _total_cells(infos: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Total events/total per arm (and total N) over the studies, when every study has them."""
    total: dict[str, float] = {}
    for key in (*COUNT_COLUMNS, "n"):
        if infos and all(key in info for info in infos):
            total[key] = sum(float(info[key]) for info in infos)
    return _count_cells(total)


def _data_counts(result: Any) -> pd.DataFrame | None:
    data = _get(result, "data")
    if isinstance(data, pd.DataFrame) and {"events_int", "total_int"} <= set(data.columns):
        try:
            _label_column(data)
        except PlotError:
            return None
        return data
    return None


def rows_from_subgroups(
    result: Any, style: ForestStyle, *, counts: pd.DataFrame | None = None
) -> tuple[list[ForestRow], list[str], str, float]:
    """Headings, study rows and a diamond per subgroup, then the overall diamond."""
    overall = result.overall
    measure = str(_get(overall, "measure", "GEN") or "GEN")
    level = float(_get(overall, "level", 0.95) or 0.95)
    lookup = _counts_lookup(counts if counts is not None else _data_counts(overall))
    overall_table = _study_table(overall)
    overall_weights = dict(zip(overall_table["label"], overall_table["weight"], strict=True))
    rows: list[ForestRow] = []
    for name, sub in _subgroup_items(result):
        rows.append(ForestRow("heading", str(name)))
        srows = _study_rows(sub, style, measure, lookup, indent=1, weights=overall_weights)
        rows += srows
        sub_weight = sum(r.weight for r in srows if np.isfinite(r.weight))
        k = _get(sub, "k")
        if k is not None and k < 2:
            rows.append(ForestRow("note", "Subtotal not estimable (k = 1)", indent=1))
        else:
            rows += _pooled_rows(
                sub,
                style,
                measure,
                level,
                style.text(style.subgroup_pooled_label, level=level),
                "subgroup",
                fmt_weight(sub_weight),
                indent=1,
            )
            lines = [heterogeneity_text(sub, style)] if style.show_heterogeneity else []
            lines.append(overall_test_text(sub, style))
            text = "\n".join(line for line in lines if line)
            if text:
                rows.append(ForestRow("note", text, indent=1))
        rows.append(ForestRow("spacer"))
    rows += _pooled_rows(
        overall, style, measure, level, _pooled_label(overall, style, level), "overall"
    )
    footer = _footer_for(overall, style)
    test = subgroup_test_text(result, style)
    if test:
        footer.append(test)
    return rows, footer, measure, level


def _first(obj: Any, names: Sequence[str]) -> Any:
    for n in names:
        v = _get(obj, n)
        if v is not None:
            return v
    return None


def rows_from_analyses(
    results: Mapping[str, Any], style: ForestStyle
) -> tuple[list[ForestRow], list[str], str, float]:
    """One diamond per analysis (a sensitivity panel), with its prediction interval as a line."""
    if not results:
        raise PlotError("sensitivity_plot needs at least one analysis in the dict.")
    first = next(iter(results.values()))
    measure = str(_get(first, "measure", "GEN") or "GEN")
    level = float(_get(first, "level", 0.95) or 0.95)
    rows = []
    footer = []
    for name, res in results.items():
        if str(_get(res, "measure", measure) or measure) != measure:
            raise PlotError(
                f"analysis {name!r} has measure {_get(res, 'measure')!r}, the others {measure!r}; "
                "a sensitivity panel compares one measure."
            )
        est, lo, hi = pooled_values(res)
        pi_lo, pi_hi = _pair(_get(res, "pi"))
        cells = {"estimate_ci": fmt_estimate_ci(est, lo, hi, measure, style)}
        if _get(res, "k") is not None:
            cells["k"] = str(res.k)
        if np.isfinite(pi_lo):
            cells["pi"] = fmt_interval(pi_lo, pi_hi, measure, style)
        i2 = _get(res, "i2")
        if i2 is not None and np.isfinite(i2):
            cells["i2"] = f"{i2:.0f}%"
        tau2 = _get(res, "tau2")
        if tau2 is None and _get(res, "tau_median") is not None:
            tau2 = float(res.tau_median) ** 2  # display τ² for a posterior median τ (same scale)
        if tau2 is not None and np.isfinite(tau2):
            cells["tau2"] = fmt_number(tau2, style, 3)
        rows.append(
            ForestRow(
                "pooled",
                str(name),
                est,
                lo,
                hi,
                pi_lower=pi_lo if style.show_pi else math.nan,
                pi_upper=pi_hi if style.show_pi else math.nan,
                cells=cells,
                emphasis="analysis",
            )
        )
        desc = _analysis_description(res, level)
        if desc:
            footer.append(f"{name}: {desc}")
    if style.show_pi and any(np.isfinite(r.pi_lower) for r in rows):
        footer.append("Thin lines: prediction intervals.")
    return rows, footer, measure, level


def _analysis_description(res: Any, level: float) -> str:
    if is_bayes_result(res):
        return _bayes_description(res, ForestStyle()).replace("Bayesian random effects: ", "")
    method = str(_get(res, "method", "") or "")
    parts = []
    if method:
        parts.append(f"\u03c4\u00b2 by {method}" if method.upper() not in ("FE", "EE") else method)
    name = test_name(res)
    if name:
        parts.append(f"{name} test and CI")
    return ", ".join(parts)


def rows_from_table(
    table: pd.DataFrame,
    style: ForestStyle,
    *,
    measure: str,
    level: float,
    subgroup: str | None = None,
    counts: pd.DataFrame | None = None,
) -> tuple[list[ForestRow], list[str], str, float]:
    """Rows from a plain table of estimates on the display scale (ratios for ratio measures).

    Required columns: a label (``label``/``slab``/``study``), ``estimate``, ``ci_lower``,
    ``ci_upper``. Optional: ``weight`` (percent), ``kind`` (``"study"`` or ``"pooled"``: a
    pooled row is drawn as a diamond), ``events_int``/``total_int``/``events_ctl``/``total_ctl``
    or ``n``, and any other column you name in ``columns=``.
    """
    if not isinstance(table, pd.DataFrame):
        raise PlotError(f"cannot draw a forest plot from a {type(table).__name__}.")
    label_col = _label_column(table)
    missing = [c for c in ("estimate", "ci_lower", "ci_upper") if c not in table.columns]
    if missing:
        raise PlotError(
            f"the table lacks column(s) {missing}; a forest plot from a table needs "
            "label, estimate, ci_lower, ci_upper (on the displayed scale, e.g. hazard ratios)."
        )
    if subgroup is not None and subgroup not in table.columns:
        raise PlotError(f"subgroup={subgroup!r} is not a column of the table.")
    ratio = measure.upper() in RATIO_MEASURES
    values = table[["estimate", "ci_lower", "ci_upper"]].astype(float)
    if ratio and (values <= 0).any().any():
        bad = table.loc[(values <= 0).any(axis=1), label_col].tolist()
        raise PlotError(
            f"measure={measure!r} is a ratio but rows {bad} have estimates or limits <= 0; give "
            "ratios (not log ratios) or set measure='GEN'."
        )
    if (
        (values["ci_lower"] > values["estimate"]) | (values["estimate"] > values["ci_upper"])
    ).any():
        bad = table.loc[
            (values["ci_lower"] > values["estimate"]) | (values["estimate"] > values["ci_upper"]),
            label_col,
        ].tolist()
        raise PlotError(f"rows {bad} have ci_lower > estimate or estimate > ci_upper.")
    to_axis = np.log if ratio else (lambda x: x)
    lookup = _counts_lookup(counts) if counts is not None else {}
    has_counts = any(c in table.columns for c in (*COUNT_COLUMNS, "n"))
    rows: list[ForestRow] = []
    current = object()
    for i, rec in table.reset_index(drop=True).iterrows():
        if subgroup is not None and rec[subgroup] != current:
            if rows:
                rows.append(ForestRow("spacer"))
            current = rec[subgroup]
            rows.append(ForestRow("heading", str(current)))
        est, lo, hi = (
            float(to_axis(values.iloc[i][c])) for c in ("estimate", "ci_lower", "ci_upper")
        )
        weight = (
            float(rec["weight"])
            if "weight" in table.columns and pd.notna(rec["weight"])
            else math.nan
        )
        label = str(rec[label_col])
        cells = {
            "estimate_ci": fmt_estimate_ci(est, lo, hi, measure, style),
            "weight": fmt_weight(weight),
        }
        info = {
            c: rec[c]
            for c in (*COUNT_COLUMNS, "n")
            if has_counts and c in table.columns and pd.notna(rec[c])
        }
        info.update(lookup.get(label, {}))
        cells.update(_count_cells(info))
        for col in table.columns:
            if col not in cells and col not in (label_col, "kind"):
                v = rec[col]
                cells[str(col)] = (
                    ""
                    if pd.isna(v)
                    else (f"{v:.{style.digits}f}" if isinstance(v, float) else str(v))
                )
        kind = str(rec["kind"]) if "kind" in table.columns and pd.notna(rec["kind"]) else "study"
        if kind not in ("study", "pooled"):
            raise PlotError(f"row {label!r}: kind must be 'study' or 'pooled', not {kind!r}.")
        rows.append(
            ForestRow(
                kind,
                label,
                est,
                lo,
                hi,
                weight,
                cells=cells,
                indent=1 if subgroup is not None and kind == "study" else 0,
                emphasis="overall" if kind == "pooled" else "",
            )
        )
    return rows, [], measure, level


def rows_from_unpoolable(unpoolable: pd.DataFrame, style: ForestStyle) -> list[ForestRow]:
    """Rows listing results that could not be pooled, with what was reported and why."""
    if not isinstance(unpoolable, pd.DataFrame):
        raise PlotError("unpoolable= must be a DataFrame with columns label, reported, reason.")
    label_col = _label_column(unpoolable)
    rep_col = next((c for c in ("reported", "text", "reported_text") if c in unpoolable), None)
    why_col = next((c for c in ("reason", "note", "notes") if c in unpoolable), None)
    if rep_col is None or why_col is None:
        raise PlotError(
            "unpoolable= needs columns label, reported (the numbers as reported, e.g. "
            f"'p = 0.03, log-rank') and reason; it has {list(unpoolable.columns)}."
        )
    rows = [
        ForestRow("spacer"),
        ForestRow("heading", style.unpoolable_heading, emphasis="unpoolable"),
    ]
    for _, rec in unpoolable.iterrows():
        rows.append(
            ForestRow(
                "unpoolable",
                str(rec[label_col]),
                cells={"estimate_ci": "" if pd.isna(rec[rep_col]) else str(rec[rep_col])},
                note="" if pd.isna(rec[why_col]) else str(rec[why_col]),
                indent=1,
            )
        )
    return rows


def build_forest_data(
    obj: Any,
    style: ForestStyle,
    *,
    columns: Sequence[str],
    unpoolable: pd.DataFrame | None = None,
    counts: pd.DataFrame | None = None,
    measure: str | None = None,
    level: float | None = None,
    subgroup: str | None = None,
) -> ForestData:
    """Dispatch on the kind of input and return the rows, columns and footer to draw."""
    if isinstance(obj, pd.DataFrame):
        _check_columns(columns, [str(c) for c in obj.columns])
        rows, footer, m, lv = rows_from_table(
            obj,
            style,
            measure=measure or "GEN",
            level=level or 0.95,
            subgroup=subgroup,
            counts=counts,
        )
    elif isinstance(obj, Mapping):
        _check_columns(columns)
        rows, footer, m, lv = rows_from_analyses(obj, style)
    elif is_subgroup_result(obj):
        _check_columns(columns)
        rows, footer, m, lv = rows_from_subgroups(obj, style, counts=counts)
    elif is_meta_result(obj):
        _check_columns(columns)
        rows, footer, m, lv = rows_from_meta(obj, style, counts=counts)
    else:
        raise PlotError(
            f"cannot draw a forest plot from a {type(obj).__name__}: pass a MetaAnalysis, "
            "SubgroupAnalysis, BayesianMetaAnalysis, a dict of them, or a DataFrame with "
            "label, estimate, ci_lower, ci_upper."
        )
    if unpoolable is not None and len(unpoolable):
        rows += rows_from_unpoolable(unpoolable, style)
    if rows and rows[-1].kind == "spacer":
        rows = rows[:-1]
    cols = resolve_columns(columns, rows, m, lv, style)
    bayes = [is_bayes_result(v) for v in (obj.values() if isinstance(obj, Mapping) else [obj])]
    if any(bayes):
        word = "CrI" if all(bayes) else "CI or CrI"
        cols = tuple(
            Column(c.key, c.header.replace("% CI", f"% {word}"), c.align)
            if c.key == "estimate_ci"
            else c
            for c in cols
        )
    label_header = style.study_header if not isinstance(obj, Mapping) else "Analysis"
    return ForestData(tuple(rows), cols, m, lv, tuple(footer), label_header)
