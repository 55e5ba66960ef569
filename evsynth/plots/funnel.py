"""Funnel plots: effect against standard error (inverted axis), with pseudo-confidence lines,
optional significance contours and the studies trim-and-fill imputed.

References
----------
Sterne JAC, Egger M (2001). Funnel plots for detecting bias in meta-analysis. J Clin Epidemiol
    54:1046-1055 (standard error on an inverted vertical axis, pseudo 95% confidence lines).
Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced meta-analysis
    funnel plots help distinguish publication bias from other causes of asymmetry. J Clin
    Epidemiol 61:991-996 (contours at p = 0.10, 0.05, 0.01 around the null).
Duval S, Tweedie R (2000). Trim and fill. Biometrics 56:455-463 (filled studies as open circles).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evsynth.plots._rows import RATIO_MEASURES, _get
from evsynth.plots.forest import PT_PER_MM, _snap_ratio_limits, _tick_positions
from evsynth.plots.style import (
    EvsynthFigure,
    ForestStyle,
    PlotError,
    plotting_context,
    resolve_style,
)

CONTOUR_LEVELS = (0.10, 0.05, 0.01)
CONTOUR_SHADES = ("#ffffff", "#e6e6e6", "#cccccc", "#b3b3b3")  # p>0.10, 0.05-0.10, 0.01-0.05, <0.01


def _z(p_two_sided: float) -> float:
    """Two-sided normal critical value, e.g. 1.96 for p = 0.05 (drawn, not a test)."""
    return NormalDist().inv_cdf(1 - p_two_sided / 2)


def _filled_studies(trimfill: Any) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(yi, sei) of the imputed studies and the adjusted estimate, from a trim-and-fill result."""
    if trimfill is None:
        return np.array([]), np.array([]), None
    yi = _get(trimfill, "filled_yi")
    vi = _get(trimfill, "filled_vi")
    if yi is None:
        frame = _get(trimfill, "filled")
        if frame is not None and hasattr(frame, "columns"):
            yi = frame["yi"].to_numpy(float)
            vi = frame["vi"].to_numpy(float) if "vi" in frame else frame["sei"].to_numpy(float) ** 2
    if yi is None or vi is None:
        raise PlotError(
            f"trimfill={type(trimfill).__name__} has no filled studies (filled_yi/filled_vi or a "
            "'filled' table with yi, vi); pass the result of evsynth's trim-and-fill."
        )
    adjusted = _get(trimfill, "estimate")
    if adjusted is None:
        adjusted = _get(trimfill, "adjusted_estimate")
    return np.asarray(yi, float), np.sqrt(np.asarray(vi, float)), adjusted


def funnel_plot(
    result: Any,
    *,
    ax: Axes | None = None,
    contours: bool = False,
    trimfill: Any = None,
    style: str | ForestStyle = "default",
    width_mm: float = 85.0,
    height_mm: float = 70.0,
    xlim: tuple[float, float] | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    **style_overrides: Any,
) -> Figure:
    """Funnel plot of a meta-analysis: each study's effect against its standard error.

    Parameters
    ----------
    result : MetaAnalysis (needs ``yi``, ``vi``, ``estimate``, ``level``, ``measure``)
    ax : Axes, optional; without it a new ``width_mm`` x ``height_mm`` figure is made.
    contours : bool
        Contour-enhanced funnel (Peters et al. 2008): shaded regions where a study would be
        significant at p < 0.10, 0.05 and 0.01 (two-sided, around the null).
    trimfill : trim-and-fill result, optional
        Its imputed studies are drawn as open circles and the funnel is centred on its adjusted
        estimate (as metafor's ``funnel.rma`` on a ``trimfill`` object).
    xlim : displayed-scale limits (ratios for ratio measures)

    Returns
    -------
    matplotlib.figure.Figure
    """
    st = resolve_style(style, **style_overrides)
    if not all(hasattr(result, a) for a in ("yi", "vi", "estimate")):
        raise PlotError(
            f"funnel_plot needs a MetaAnalysis (yi, vi, estimate), not {type(result).__name__}."
        )
    yi = np.asarray(result.yi, float)
    sei = np.sqrt(np.asarray(result.vi, float))
    measure = str(_get(result, "measure", "GEN") or "GEN").upper()
    log_scale = measure in RATIO_MEASURES
    level = float(_get(result, "level", 0.95) or 0.95)
    f_yi, f_sei, adjusted = _filled_studies(trimfill)
    centre = float(adjusted) if adjusted is not None else float(result.estimate)

    with plotting_context(st):
        n_legend = 1 + (len(CONTOUR_LEVELS) + 1 if contours else 0) + (1 if len(f_yi) else 0)
        legend_rows = math.ceil(n_legend / 2)
        own = ax is None
        if own:
            fig = EvsynthFigure(figsize=(width_mm / 25.4, height_mm / 25.4))
            bottom_mm = 12.0 + legend_rows * 3.6 + 1.0
            top_mm = 3.0 + (5.0 if title else 0.0)
            left_mm, right_mm = 14.0, 4.0
            ax = fig.add_axes(
                (
                    left_mm / width_mm,
                    bottom_mm / height_mm,
                    (width_mm - left_mm - right_mm) / width_mm,
                    (height_mm - bottom_mm - top_mm) / height_mm,
                )
            )
        else:
            fig = ax.figure
        max_se = float(np.nanmax(np.concatenate([sei, f_sei]))) * 1.05 if len(sei) else 1.0
        se_grid = np.linspace(0.0, max_se, 100)
        z = _z(1 - level)
        all_x = np.concatenate([yi, f_yi, [centre - z * max_se, centre + z * max_se]])
        zc = [_z(p) for p in CONTOUR_LEVELS]
        if xlim is not None:
            lo, hi = (math.log(v) for v in xlim) if log_scale else xlim
        else:
            lo, hi = float(np.nanmin(all_x)), float(np.nanmax(all_x))
            pad = 0.05 * (hi - lo)
            lo, hi = lo - pad, hi + pad
            if log_scale:
                lo, hi = _snap_ratio_limits(lo, hi)
        ax.set_xlim(lo, hi)
        ax.set_ylim(max_se, 0)
        handles = []
        if contours:
            # shade from the outermost (p < 0.01) inwards, around the null (0 on the analysis scale)
            ax.fill_between(
                [lo, hi], [max_se, max_se], [0, 0], color=CONTOUR_SHADES[3], lw=0, zorder=0
            )
            for zc_i, shade in zip(reversed(zc), reversed(CONTOUR_SHADES[:3]), strict=True):
                ax.fill_betweenx(
                    se_grid, -zc_i * se_grid, zc_i * se_grid, color=shade, lw=0, zorder=0
                )
            labels = ("p > 0.10", "0.05 < p \u2264 0.10", "0.01 < p \u2264 0.05", "p \u2264 0.01")
            handles += [Patch(facecolor=c, edgecolor="#7f7f7f", lw=0.4, label=lab)
                        for c, lab in zip(CONTOUR_SHADES, labels, strict=True)]  # fmt: skip
        # pseudo-confidence region around the (adjusted) estimate
        ax.plot(
            centre - z * se_grid,
            se_grid,
            color=st.null_line_color,
            lw=st.ci_linewidth,
            ls="--",
            zorder=2,
        )
        ax.plot(
            centre + z * se_grid,
            se_grid,
            color=st.null_line_color,
            lw=st.ci_linewidth,
            ls="--",
            zorder=2,
        )
        ax.axvline(centre, color=st.diamond_color, lw=st.ci_linewidth, zorder=2)
        ax.scatter(yi, sei, s=14, facecolor=st.square_color, edgecolor=st.square_color, lw=0.6, zorder=4,
                   clip_on=False)  # fmt: skip
        handles.append(
            Line2D([], [], marker="o", ls="", color=st.square_color, markersize=4, label="Studies")
        )
        if len(f_yi):
            ax.scatter(f_yi, f_sei, s=14, facecolor="white", edgecolor=st.square_color, lw=0.8, zorder=4,
                       clip_on=False)  # fmt: skip
            handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec=st.square_color, markersize=4,
                                  label=f"Filled by trim-and-fill ({len(f_yi)})"))  # fmt: skip
        ticks, labels_ = _tick_positions((lo, hi), log_scale)
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels_)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=st.font_size, width=st.axis_linewidth, length=3.0)
        ax.set_ylabel("Standard error", fontsize=st.font_size)
        name = {"HR": "Hazard ratio", "OR": "Odds ratio", "RR": "Risk ratio"}.get(measure, measure)
        ax.set_xlabel(
            xlabel or (f"{name} (log scale)" if log_scale else name), fontsize=st.font_size
        )
        legend_kw = dict(handles=handles, fontsize=st.note_font_size, frameon=False, handlelength=1.2,
                         ncol=2, columnspacing=1.5, borderaxespad=0.0)  # fmt: skip
        if own:
            fig.legend(
                loc="lower left", bbox_to_anchor=(3.0 / width_mm, 1.0 / height_mm), **legend_kw
            )
        else:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), **legend_kw)
        if title:
            ax.set_title(title, fontsize=st.title_font_size, fontweight="bold", loc="left")
        fig.evsynth_layout = {"width_mm": fig.get_figwidth() * 25.4, "pt_per_mm": PT_PER_MM}  # type: ignore[attr-defined]
    return fig
