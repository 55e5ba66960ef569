"""Forest plots in the layout reviewers know from RevMan and metafor's ``forest()``.

Layout is computed in points from the measured extents of every text (with matplotlib's Agg
renderer), so long labels and wide columns never overlap: labels wrap when the figure width is
fixed, the figure grows in height with the number of rows, and the plotting panel keeps at least
``min_panel_width_mm``. Plotting computes no statistic: rows come from
:mod:`evsynth.plots._rows`, which only formats what the result objects hold.

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3)
    (``forest.rma``/``forest.default`` layout: labels left, estimates [CI] right, diamond).
Cochrane Handbook for Systematic Reviews of Interventions, version 6.4, section 10.11 (RevMan
    forest plots: weights, heterogeneity and test for overall effect printed under the plot).
IntHout J, Ioannidis JPA, Rovers MM, Goeman JJ (2016). Plea for routinely presenting prediction
    intervals in meta-analysis. BMJ Open 6:e010247 (prediction interval shown under the diamond).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import matplotlib as mpl
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

from evsynth.plots._rows import (
    Column,
    ForestData,
    ForestRow,
    build_forest_data,
    display_value,
)
from evsynth.plots.style import (
    MM_PER_INCH,
    EvsynthFigure,
    ForestStyle,
    PlotError,
    plotting_context,
    resolve_style,
)

PT_PER_INCH = 72.0


class PlotWidthWarning(UserWarning):
    """The requested figure width is too small for the text columns; the figure is wider."""


PT_PER_MM = PT_PER_INCH / MM_PER_INCH

# ---------------------------------------------------------------------------------------------
# text measurement


@lru_cache(maxsize=1)
def _renderer():
    fig = Figure(dpi=72)  # at 72 dpi one pixel is one point
    return FigureCanvasAgg(fig).get_renderer()


@lru_cache(maxsize=8192)
def text_width(
    text: str, size: float, weight: str = "normal", family: str = "DejaVu Sans"
) -> float:
    """Width in points of ``text`` (the widest line) as matplotlib's Agg renderer draws it."""
    if not text:
        return 0.0
    prop = FontProperties(family=[family, "DejaVu Sans"], size=size, weight=weight)
    r = _renderer()
    with mpl.rc_context({"text.hinting": "none"}):
        w = max(
            r.get_text_width_height_descent(line, prop, ismath=False)[0]
            for line in text.split("\n")
        )
    # hinted rendering outside evsynth's plotting context (e.g. Jupyter's inline backend at
    # 100 dpi) draws text up to ~5% wider than unhinted; leave room for it
    return w * TEXT_SAFETY


#: factor on measured text widths (hinted Agg text at screen dpi is up to 4.6% wider)
TEXT_SAFETY = 1.05


_GLUE = ("=", "<", ">", "\u2264", "\u2265")


def _tokens(text: str) -> list[str]:
    """Words for wrapping; 'p = 0.03' and 'df = 4' stay on one line."""
    words = text.split(" ")
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _GLUE and out and i + 1 < len(words):
            out[-1] = f"{out[-1]} {w} {words[i + 1]}"
            i += 2
            continue
        if w.startswith("(") and not w.endswith(")"):
            # keep a short parenthesis together: '(ad hoc)'
            j = i
            while j + 1 < len(words) and not words[j].endswith(")"):
                j += 1
            group = " ".join(words[i : j + 1])
            if words[j].endswith(")") and len(group) <= 24:
                out.append(group)
                i = j + 1
                continue
        out.append(w)
        i += 1
    return out


def wrap_text(
    text: str, max_width: float, size: float, weight: str = "normal", family: str = "DejaVu Sans"
) -> str:
    """Greedy word wrap to ``max_width`` points (words longer than a line are broken)."""
    if max_width <= 0 or text_width(text, size, weight, family) <= max_width:
        return text
    out_lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in _tokens(para):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, weight, family) <= max_width:
                line = candidate
                continue
            if line:
                out_lines.append(line)
            # break a word that alone is too long: after its own hyphens first, then anywhere
            while "-" in word[:-1] and text_width(word, size, weight, family) > max_width:
                head, rest = word.split("-", 1)
                if text_width(head + "-", size, weight, family) > max_width:
                    break
                while "-" in rest[:-1]:
                    more, tail = rest.split("-", 1)
                    if text_width(f"{head}-{more}-", size, weight, family) > max_width:
                        break
                    head, rest = f"{head}-{more}", tail
                out_lines.append(head + "-")
                word = rest
            while text_width(word, size, weight, family) > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and text_width(word[:cut] + "-", size, weight, family) > max_width:
                    cut -= 1
                out_lines.append(word[:cut] + "-")
                word = word[cut:]
            line = word
        out_lines.append(line)
    return "\n".join(out_lines)


# ---------------------------------------------------------------------------------------------
# axis scale and ticks

_RATIO_TICKS = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
    10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0,
)  # fmt: skip
_FINE_RATIO_TICKS = (0.25, 0.33, 0.5, 0.67, 0.75, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)


def ratio_ticks(lo: float, hi: float) -> list[float]:
    """Readable ticks on a log axis (0.1, 0.2, 0.5, 1, 2, 5, 10 style) between log limits."""
    eps = 1e-9
    ticks = [t for t in _RATIO_TICKS if lo - eps <= math.log(t) <= hi + eps]
    if len(ticks) > 7:  # every 2nd or 3rd tick counted from 1, and both ends always labelled
        one = min(range(len(ticks)), key=lambda i: abs(math.log(ticks[i])))
        last = len(ticks) - 1
        steps = (3, 2, 6) if one % 3 == 0 and (last - one) % 3 == 0 else (2, 3, 6)
        for step in steps:
            sub = [t for i, t in enumerate(ticks) if (i - one) % step == 0 or i in (0, last)]
            if len(sub) <= 7:
                break
        ticks = sub
    if len(ticks) < 3:
        fine = [t for t in _FINE_RATIO_TICKS if lo - eps <= math.log(t) <= hi + eps]
        if len(fine) > len(ticks):
            ticks = fine
    return ticks


def _snap_ratio_limits(lo: float, hi: float) -> tuple[float, float]:
    """Widen log limits outwards to the nearest 1-2-5 tick."""
    cands = [math.log(t) for t in _RATIO_TICKS]
    below = [c for c in cands if c <= lo + 1e-9]
    above = [c for c in cands if c >= hi - 1e-9]
    new_lo = max(below) if below else lo
    new_hi = min(above) if above else hi
    if hi - lo < math.log(4):  # narrow ranges: snap to the finer grid instead
        fine = [math.log(t) for t in _FINE_RATIO_TICKS]
        fb = [c for c in fine if c <= lo + 1e-9]
        fa = [c for c in fine if c >= hi - 1e-9]
        if fb and fa:
            new_lo, new_hi = max(fb), min(fa)
    return new_lo, new_hi


def auto_xlim(rows: Sequence[ForestRow], log_scale: bool) -> tuple[float, float]:
    """Axis limits (analysis scale) chosen from the studies.

    Every point estimate (studies and pooled) is shown; the studies' CIs set the range unless
    one is far wider than the rest (it then ends in an arrow), and so do the pooled interval and
    the prediction interval: a pooled CI from k = 2 that spans 0.001 to 10 000 ends in arrows
    instead of squeezing the studies into a sliver of the panel. On a ratio axis the limits are
    1-2-5 ticks, symmetric around 1 when that keeps the axis within four decades (as RevMan
    draws it), so that equal effects either way look equally large.
    """
    core: list[float] = []
    whiskers: list[float] = []
    pooled: list[float] = []
    for r in rows:
        if r.kind == "study":
            core.append(r.estimate)
            whiskers += [r.ci_lower, r.ci_upper]
        elif r.kind in ("pooled", "pi"):
            core.append(r.estimate)
            pooled += [r.ci_lower, r.ci_upper, r.pi_lower, r.pi_upper]
    core = [v for v in core if np.isfinite(v)] + [0.0]
    whiskers = [v for v in whiskers if np.isfinite(v)]
    pooled = [v for v in pooled if np.isfinite(v)]
    if not whiskers:  # a table of pooled results only: their intervals are the data
        whiskers, pooled = pooled, []
    lo, hi = min(core), max(core)
    span = max(hi - lo, math.log(2) if log_scale else 1e-9)
    if whiskers:
        lo = max(min([*whiskers, lo]), lo - 1.5 * span)
        hi = min(max([*whiskers, hi]), hi + 1.5 * span)
    if pooled:  # the pooled intervals widen the axis only as far as the studies' spread
        span = hi - lo
        lo = max(min([*pooled, lo]), lo - 0.25 * span)
        hi = min(max([*pooled, hi]), hi + 0.25 * span)
    if hi - lo <= 0:
        lo, hi = lo - 1.0, hi + 1.0
    if log_scale:
        lo, hi = _snap_ratio_limits(lo, hi)
        half = max(-lo, hi)
        if lo < 0 < hi and 2 * half <= math.log(1e4) + 1e-9:
            wide = _snap_ratio_limits(-half, half)
            if abs(wide[0] + wide[1]) < 1e-9:  # the 1-2-5 grid is symmetric around 1
                return wide
        return lo, hi
    pad = 0.02 * (hi - lo)
    return lo - pad, hi + pad


def _tick_positions(
    xlim: tuple[float, float], log_scale: bool, with_ends: bool = False
) -> tuple[list[float], list[str]]:
    if log_scale:
        ticks = ratio_ticks(*xlim)
        if with_ends:
            for end in (round(math.exp(xlim[0]), 3), round(math.exp(xlim[1]), 3)):
                if all(abs(math.log(end) - math.log(t)) > 1e-6 for t in ticks):
                    ticks.append(end)
            ticks.sort()
        return [math.log(t) for t in ticks], [f"{t:g}" for t in ticks]
    from matplotlib.ticker import MaxNLocator

    locs = [v for v in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(*xlim)]
    locs = [v for v in locs if xlim[0] - 1e-9 <= v <= xlim[1] + 1e-9]
    return locs, [f"{v:g}".replace("-", "\u2212") for v in locs]


def _tick_priority(label: str) -> int:
    digits = label.replace("\u2212", "").replace("-", "").replace(".", "").strip("0")
    if label in ("1", "0"):
        return 0
    if digits == "1":
        return 1
    if digits == "5":
        return 2
    return 3


def _thin_ticks(
    locs: list[float], labels: list[str], pt_per_unit: float, size: float, family: str
) -> tuple[list[float], list[str]]:
    """Drop tick labels that would overlap, keeping the line of no effect and decades first."""
    order = sorted(range(len(locs)), key=lambda i: (_tick_priority(labels[i]), i))
    kept: list[int] = []
    for i in order:
        wi = text_width(labels[i], size, family=family)
        ok = True
        for j in kept:
            wj = text_width(labels[j], size, family=family)
            if abs(locs[i] - locs[j]) * pt_per_unit < (wi + wj) / 2 + 0.6 * size:
                ok = False
                break
        if ok:
            kept.append(i)
    kept.sort()
    return [locs[i] for i in kept], [labels[i] for i in kept]


# ---------------------------------------------------------------------------------------------
# layout


@dataclass
class _Placed:
    row: ForestRow
    label: str  # possibly wrapped
    note: str  # possibly wrapped
    top: float  # points from the top of the axes
    height: float

    @property
    def center(self) -> float:
        return self.top + self.height / 2


@dataclass
class _Layout:
    width: float  # all in points
    height: float
    label_width: float
    left_cols: list[tuple[Column, float]]  # column and its width
    right_cols: list[tuple[Column, float]]
    panel: float
    gap: float
    header_h: float
    rows: list[_Placed]
    rows_h: float
    title_h: float
    below_axis: float  # tick labels + favours + xlabel
    footer: list[str]
    footer_h: float
    pad_left: float = 0.0

    @property
    def left_block(self) -> float:
        return self.label_width + sum(self.gap + w for _, w in self.left_cols)

    @property
    def right_block(self) -> float:
        return sum(self.gap + w for _, w in self.right_cols)


def _line_h(size: float, st: ForestStyle) -> float:
    return _line_step(size, st.font_family, st.line_spacing)


@lru_cache(maxsize=64)
def _line_step(size: float, family: str, spacing: float) -> float:
    """Vertical step per line of text: the full height of 'lp' (ascent + descent, the box of
    one line) times the line spacing, with the text safety margin. matplotlib's own multi-line
    step ((ascent) x spacing, matplotlib.text.Text._get_layout) is smaller, so this is safe."""
    prop = FontProperties(family=[family, "DejaVu Sans"], size=size)
    with mpl.rc_context({"text.hinting": "none"}):
        _, h, _d = _renderer().get_text_width_height_descent("lp", prop, ismath=False)
    return h * spacing * TEXT_SAFETY


def _label_weight(row: ForestRow, st: ForestStyle) -> str:
    if row.kind == "heading":
        return st.heading_weight
    if row.kind == "pooled" and row.emphasis == "overall":
        return st.pooled_weight
    return "normal"


def _compute_layout(
    data: ForestData,
    st: ForestStyle,
    width_mm: float | None,
    title: str | None,
    favours: Sequence[str] | None,
    xlabel: str | None,
    lim: tuple[float, float] = (-1.0, 1.0),
) -> _Layout:
    fam = st.font_family
    fs = st.font_size
    gap = st.column_gap
    indent = st.subgroup_indent

    def cell_w(col: Column) -> float:
        w = text_width(col.header, st.header_font_size, st.header_weight, fam)
        for r in data.rows:
            txt = r.cells.get(col.key, "")
            if txt:
                w = max(
                    w,
                    text_width(
                        txt, fs, _label_weight(r, st) if r.kind == "pooled" else "normal", fam
                    ),
                )
        return w

    def body_w(col: Column) -> float:
        return max(
            [0.0]
            + [
                text_width(
                    r.cells[col.key],
                    fs,
                    _label_weight(r, st) if r.kind == "pooled" else "normal",
                    fam,
                )
                for r in data.rows
                if r.cells.get(col.key)
            ]
        )

    def narrow_header(col: Column) -> Column:
        """Break a header wider than its column before its bracket ('Hazard ratio\n[95% CI]')."""
        if "\n" in col.header:
            return col
        for sep in (" [", " ("):
            if sep in col.header:
                head, tail = col.header.split(sep, 1)
                return Column(col.key, f"{head}\n{sep.strip()}{tail}", col.align)
        return Column(
            col.key,
            wrap_text(col.header, body_w(col), st.header_font_size, st.header_weight, fam),
            col.align,
        )

    label_rows = [r for r in data.rows if r.kind not in ("note", "spacer")]
    natural_label = max(
        [text_width(data.label_header, st.header_font_size, st.header_weight, fam)]
        + [
            r.indent * indent + text_width(r.label, fs, _label_weight(r, st), fam)
            for r in label_rows
        ]
    )
    columns = list(data.columns)
    left_cols = [(c, cell_w(c)) for c in columns if c.key not in st.right_columns]
    right_cols = [(c, cell_w(c)) for c in columns if c.key in st.right_columns]
    cols_w = sum(gap + w for _, w in left_cols) + sum(gap + w for _, w in right_cols)
    if width_mm is not None:
        # too wide for the requested width: break headers that are wider than their column
        label_pref = min(natural_label, 16 * fs)  # keep labels readable before shrinking them
        need = 2 * st.margin + gap + label_pref + st.min_panel_width_mm * PT_PER_MM + cols_w
        if need > width_mm * PT_PER_MM:
            columns = [
                narrow_header(c)
                if text_width(c.header, st.header_font_size, st.header_weight, fam) > body_w(c) + 1
                else c
                for c in columns
            ]
            left_cols = [(c, cell_w(c)) for c in columns if c.key not in st.right_columns]
            right_cols = [(c, cell_w(c)) for c in columns if c.key in st.right_columns]
            cols_w = sum(gap + w for _, w in left_cols) + sum(gap + w for _, w in right_cols)

    max_label = st.max_label_width_mm * PT_PER_MM
    min_panel = st.min_panel_width_mm * PT_PER_MM
    margins = 2 * st.margin + gap  # gap between the left block and the panel
    if width_mm is not None:
        total = width_mm * PT_PER_MM
        room = total - margins - cols_w - min_panel
        label_w = min(natural_label, max(room, 8 * fs))
        panel = max(min_panel, total - margins - cols_w - label_w)
    else:
        label_w = min(natural_label, max_label)
        panel = st.panel_width_mm * PT_PER_MM
    # wrap labels that do not fit, then measure the label column again
    wrapped: dict[int, str] = {}
    for i, r in enumerate(data.rows):
        if r.kind in ("note", "spacer"):
            continue
        avail = label_w - r.indent * indent
        wrapped[i] = wrap_text(r.label, avail, fs, _label_weight(r, st), fam)
    label_w = max(
        [text_width(data.label_header, st.header_font_size, st.header_weight, fam)]
        + [
            data.rows[i].indent * indent + text_width(t, fs, _label_weight(data.rows[i], st), fam)
            for i, t in wrapped.items()
        ]
    )
    if width_mm is not None:
        panel = max(min_panel, width_mm * PT_PER_MM - margins - cols_w - label_w)
    # room for the favours labels and the outermost tick labels beyond the panel
    lo, hi = lim
    f = (0.0 - lo) / (hi - lo) if lo <= 0.0 <= hi else 0.5
    right_block = sum(gap + w for _, w in right_cols)
    left_block0 = label_w + sum(gap + w for _, w in left_cols) + gap
    fav = list(favours or ()) + ["", ""]
    fav_l = text_width(fav[0], fs, family=fam) + 5 if fav[0] else 0.0
    fav_r = text_width(fav[1], fs, family=fam) + 5 if fav[1] else 0.0
    tick_half = text_width("0.05", fs, family=fam) / 2

    def pads(panel_w: float) -> tuple[float, float]:
        pl = max(0.0, fav_l - f * panel_w - left_block0, tick_half - left_block0)
        pr = max(0.0, fav_r - (1 - f) * panel_w - right_block, tick_half - right_block)
        return pl, pr

    pad_l, pad_r = pads(panel)
    if width_mm is not None and pad_l + pad_r > 0:
        panel = max(min_panel, panel - pad_l - pad_r)
        pad_l, pad_r = pads(panel)
    width = margins + label_w + cols_w + panel + pad_l + pad_r
    if width_mm is not None and width > width_mm * PT_PER_MM + 0.5:
        warnings.warn(
            f"the forest plot needs {width / PT_PER_MM:.0f} mm, more than width_mm={width_mm:g}: "
            f"its text columns take {cols_w / PT_PER_MM:.0f} mm. Show fewer columns (e.g. "
            "columns=('estimate_ci',)), a smaller font_size, or a wider figure.",
            PlotWidthWarning,
            stacklevel=4,
        )

    left_block = label_w + sum(gap + w for _, w in left_cols)
    note_w = left_block + gap + panel
    header_lines = max([1] + [c.header.count("\n") + 1 for c in columns])
    header_h = header_lines * _line_h(st.header_font_size, st) + 0.6 * st.row_height

    placed: list[_Placed] = []
    y = header_h
    for i, r in enumerate(data.rows):
        label = wrapped.get(i, r.label)
        note = ""
        if r.kind == "spacer":
            h = 0.5 * st.row_height
        elif r.kind == "note":
            label = wrap_text(r.label, note_w - r.indent * indent, st.note_font_size, "normal", fam)
            n = label.count("\n") + 1
            h = n * _line_h(st.note_font_size, st) + 0.35 * st.row_height
        else:
            n = label.count("\n") + 1
            if r.note:
                note = wrap_text(r.note, panel - 4, st.note_font_size, "normal", fam)
            n_note = (note.count("\n") + 1) if note else 1
            h = st.row_height + (max(n, n_note) - 1) * _line_h(fs, st)
        placed.append(_Placed(r, label, note, y, h))
        y += h
    rows_h = y + 0.3 * st.row_height

    title_h = 0.0
    if title:
        title = wrap_text(title, width - 2 * st.margin - pad_l, st.title_font_size, "bold", fam)
        title_h = (title.count("\n") + 1) * _line_h(st.title_font_size, st) + 4
    below = 3.0 + 2.0 + _line_h(fs, st)  # tick length + pad + tick labels
    if favours and any(favours):
        below += _line_h(fs, st) + 1
    if xlabel:
        below += _line_h(fs, st) + 1
    footer = [
        wrap_text(line, width - 2 * st.margin - pad_l, st.note_font_size, "normal", fam)
        for line in data.footer
    ]
    footer_h = sum((f.count("\n") + 1) * _line_h(st.note_font_size, st) for f in footer)
    footer_h += 4 if footer else 0
    height = st.margin + title_h + rows_h + below + footer_h + st.margin
    return _Layout(
        width, height, label_w, left_cols, right_cols, panel, gap, header_h, placed, rows_h,
        title_h, below, footer, footer_h, pad_l,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# drawing


def _points_transform(fig: Figure, ax: Axes, x: float, y: float) -> mtransforms.Transform:
    """Transform for vertices given in points around the data point (x, y)."""
    return (
        mtransforms.Affine2D().scale(1 / PT_PER_INCH)
        + fig.dpi_scale_trans
        + mtransforms.ScaledTranslation(x, y, ax.transData)
    )


def _col_transform(
    fig: Figure, ax: Axes, dx_pt: float, side: str
) -> tuple[mtransforms.Transform, float]:
    """x: points from the axes' left (side='left') or right edge; y: data (points from the top)."""
    base = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
    trans = base + mtransforms.ScaledTranslation(dx_pt / PT_PER_INCH, 0, fig.dpi_scale_trans)
    return trans, (0.0 if side == "left" else 1.0)


def _x_points_transform(fig: Figure, ax: Axes) -> mtransforms.Transform:
    """x in points from the axes' left edge, y in data coordinates."""
    xt = (
        mtransforms.Affine2D().scale(1 / PT_PER_INCH)
        + fig.dpi_scale_trans
        + mtransforms.ScaledTranslation(0, 0, ax.transAxes)
    )
    return mtransforms.blended_transform_factory(xt, ax.transData)


def _arrow(
    fig: Figure, ax: Axes, x_edge: float, y: float, direction: int, st: ForestStyle, color: str
) -> None:
    """A filled arrow head whose tip is on the axis edge, pointing outwards (direction ±1)."""
    hl, hw = st.arrow_head_length, st.arrow_head_width / 2
    verts = [(0, 0), (-direction * hl, hw), (-direction * hl, -hw)]
    ax.add_patch(
        Polygon(verts, closed=True, transform=_points_transform(fig, ax, x_edge, y), facecolor=color,
                edgecolor="none", clip_on=False, zorder=4, gid="arrow")
    )  # fmt: skip


def _whisker(fig, ax, lo, hi, y, xlim, st, color, lw) -> None:
    a, b = max(lo, xlim[0]), min(hi, xlim[1])
    if b < xlim[0] or a > xlim[1]:
        # the whole interval is off the axis: arrow at the edge it lies beyond
        edge, d = (xlim[0], -1) if hi < xlim[0] else (xlim[1], 1)
        _arrow(fig, ax, edge, y, d, st, color)
        return
    ax.add_line(Line2D([a, b], [y, y], color=color, lw=lw, solid_capstyle="butt", zorder=3))
    if lo < xlim[0]:
        _arrow(fig, ax, xlim[0], y, -1, st, color)
    if hi > xlim[1]:
        _arrow(fig, ax, xlim[1], y, 1, st, color)


def _draw(
    fig: Figure,
    ax: Axes,
    data: ForestData,
    lay: _Layout,
    st: ForestStyle,
    xlim: tuple[float, float],
    favours: Sequence[str] | None,
    title: str | None,
    xlabel: str | None,
    user_xlim: bool = False,
) -> None:
    fs, nfs = st.font_size, st.note_font_size
    gap = lay.gap
    ax.set_xlim(*xlim)
    ax.set_ylim(lay.rows_h, 0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", left=False, labelleft=False)
    ticks, labels = _tick_positions(xlim, data.log_scale, with_ends=user_xlim)
    panel_pt = ax.get_position().width * fig.get_figwidth() * PT_PER_INCH
    ticks, labels = _thin_ticks(ticks, labels, panel_pt / (xlim[1] - xlim[0]), fs, st.font_family)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels)
    ax.tick_params(
        axis="x", pad=2.0, labelsize=fs, length=3.0, width=st.axis_linewidth,
        color=st.text_color, labelcolor=st.text_color, direction="out",
    )  # fmt: skip
    ax.spines["bottom"].set_linewidth(st.axis_linewidth)
    ax.spines["bottom"].set_bounds(*xlim)
    ax.patch.set_visible(False)

    def text_at(dx: float, side: str, y: float, s: str, **kw: Any) -> None:
        trans, origin = _col_transform(fig, ax, dx, side)
        ax.text(origin, y, s, transform=trans, clip_on=False, linespacing=st.line_spacing, **kw)

    # x offsets (points) of each text column's anchor, measured from the axes' left/right edges
    label_x = -(gap + lay.left_block)
    col_x: dict[str, tuple[float, str, Column]] = {}
    x = label_x + lay.label_width
    for col, w in lay.left_cols:
        x += gap + w
        col_x[col.key] = (x, "left", col)
    xr = 0.0
    for col, w in lay.right_cols:
        xr += gap + w
        col_x[col.key] = (xr, "right", col)

    def anchor(key: str) -> tuple[float, str, str]:
        x_end, side, col = col_x[key]
        width = dict(lay.left_cols + lay.right_cols)[col]
        if col.align == "center":
            return x_end - width / 2, side, "center"
        if col.align == "left":
            return x_end - width, side, "left"
        return x_end, side, "right"

    # header
    hy = lay.header_h - 0.45 * st.row_height
    hkw = dict(fontsize=st.header_font_size, fontweight=st.header_weight, va="baseline")
    text_at(label_x, "left", hy, data.label_header, ha="left", **hkw)
    for key in col_x:
        xx, side, ha = anchor(key)
        text_at(xx, side, hy, col_x[key][2].header, ha=ha, multialignment=ha, **hkw)
    if st.header_rule:
        panel_pt = ax.get_position().width * fig.get_figwidth() * PT_PER_INCH
        rule_y = lay.header_h - 0.2 * st.row_height
        ax.add_line(Line2D([label_x, panel_pt + xr], [rule_y, rule_y], transform=_x_points_transform(fig, ax),
                           lw=st.axis_linewidth, color="black", clip_on=False))  # fmt: skip

    # null line spans (not through notes and the list of unpooled results)
    spans: list[list[float]] = []
    in_unpooled = False
    for p in lay.rows:
        r = p.row
        if r.emphasis == "unpoolable":
            in_unpooled = True
        skip = in_unpooled or r.kind == "note"
        if skip:
            continue
        if spans and abs(spans[-1][1] - p.top) < 1e-6:
            spans[-1][1] = p.top + p.height
        elif r.kind != "spacer":  # a spacer only continues a line, never starts a stub of one
            spans.append([p.top, p.top + p.height])
    if spans and abs(spans[-1][1] - (lay.rows[-1].top + lay.rows[-1].height)) < 1e-6:
        spans[-1][1] = lay.rows_h  # down to the axis
    null_x = 0.0
    if xlim[0] <= null_x <= xlim[1]:
        for a, b in spans:
            ax.add_line(Line2D([null_x, null_x], [a, b], color=st.null_line_color, ls=st.null_line_style,
                               lw=st.axis_linewidth, zorder=1))  # fmt: skip
    overall = [p.row for p in lay.rows if p.row.kind == "pooled" and p.row.emphasis == "overall"]
    if overall and st.pooled_line_color != "none" and spans:
        ax.add_line(Line2D([overall[-1].estimate] * 2, [spans[0][0], spans[-1][1]], color=st.pooled_line_color,
                           ls=":", lw=st.axis_linewidth, zorder=1))  # fmt: skip

    max_w = max(
        [p.row.weight for p in lay.rows if p.row.kind == "study" and np.isfinite(p.row.weight)]
        or [1.0]
    )
    for p in lay.rows:
        r, y = p.row, p.center
        if r.kind == "spacer":
            continue
        weight = _label_weight(r, st)
        if r.kind == "note":
            text_at(label_x + r.indent * st.subgroup_indent, "left", y, p.label, ha="left", va="center",
                    fontsize=nfs, color=st.note_color)  # fmt: skip
            continue
        text_at(label_x + r.indent * st.subgroup_indent, "left", y, p.label, ha="left", va="center",
                fontsize=fs, fontweight=weight, style="italic" if r.kind == "pi" else "normal")  # fmt: skip
        for key in col_x:
            txt = r.cells.get(key, "")
            if txt:
                xx, side, ha = anchor(key)
                text_at(xx, side, y, txt, ha=ha, va="center", fontsize=fs, **{
                        "fontweight": weight if r.kind == "pooled" else "normal",
                        **_cell_style(key, txt)})  # fmt: skip
        if r.kind == "study":
            if np.isfinite(r.ci_lower) and np.isfinite(r.ci_upper):
                _whisker(fig, ax, r.ci_lower, r.ci_upper, y, xlim, st, st.ci_color, st.ci_linewidth)
            if np.isfinite(r.estimate) and xlim[0] <= r.estimate <= xlim[1]:
                if np.isfinite(r.weight) and r.weight > 0:
                    side = max(st.square_max_side * math.sqrt(r.weight / max_w), st.square_min_side)
                else:
                    side = 0.6 * st.square_max_side
                ax.add_patch(Rectangle((-side / 2, -side / 2), side, side,
                                       transform=_points_transform(fig, ax, r.estimate, y),
                                       facecolor=st.square_color, edgecolor=st.square_edge_color,
                                       lw=0.5, zorder=5, clip_on=False, gid="square"))  # fmt: skip
        elif r.kind == "pooled":
            if np.isfinite(r.pi_lower) and np.isfinite(r.pi_upper):
                _whisker(fig, ax, r.pi_lower, r.pi_upper, y, xlim, st, st.pi_color, st.ci_linewidth)
            color = st.subgroup_diamond_color if r.emphasis == "subgroup" else st.diamond_color
            h = st.diamond_half_height * (0.8 if r.emphasis == "subgroup" else 1.0)
            lo, hi = max(r.ci_lower, xlim[0]), min(r.ci_upper, xlim[1])
            est = min(max(r.estimate, xlim[0]), xlim[1])
            ax.add_patch(Polygon([(lo, y), (est, y - h), (hi, y), (est, y + h)], closed=True,
                                 facecolor=color, edgecolor=st.diamond_edge_color if r.emphasis != "subgroup" else color,
                                 lw=0.5, zorder=5, clip_on=False, gid="diamond"))  # fmt: skip
            if r.ci_lower < xlim[0]:
                _arrow(fig, ax, xlim[0], y, -1, st, color)
            if r.ci_upper > xlim[1]:
                _arrow(fig, ax, xlim[1], y, 1, st, color)
        elif r.kind == "pi":
            lo, hi = max(r.ci_lower, xlim[0]), min(r.ci_upper, xlim[1])
            hh = st.pi_half_height
            ax.add_patch(Rectangle((lo, y - hh), hi - lo, 2 * hh, facecolor=st.pi_color, edgecolor="none",
                                   zorder=4, clip_on=False, gid="prediction_interval"))  # fmt: skip
            if r.ci_lower < xlim[0]:
                _arrow(fig, ax, xlim[0], y, -1, st, st.pi_color)
            if r.ci_upper > xlim[1]:
                _arrow(fig, ax, xlim[1], y, 1, st, st.pi_color)
        if p.note:
            text_at(2.0, "left", y, p.note, ha="left", va="center", fontsize=nfs, color=st.note_color,
                    style="italic")  # fmt: skip

    # under the axis: favours labels, x label, footer
    below_ticks = 3.0 + 2.0 + _line_h(fs, st) + 1.0
    y_pt = below_ticks
    if favours and any(favours):
        fx = null_x if xlim[0] <= null_x <= xlim[1] else sum(xlim) / 2
        t = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
        pos = ax.get_position()
        fig_w = fig.get_figwidth() * PT_PER_INCH
        null_abs = (pos.x0 + (fx - xlim[0]) / (xlim[1] - xlim[0]) * pos.width) * fig_w
        room = (null_abs - st.margin - 3, fig_w - null_abs - st.margin - 3)
        for text, d, ha, space in (
            (favours[0], -1, "right", room[0]),
            (favours[1] if len(favours) > 1 else "", 1, "left", room[1]),
        ):
            if text:
                text = wrap_text(text, space, fs, family=st.font_family)
                ax.text(fx, 0, text, ha=ha, va="top", fontsize=fs, clip_on=False,
                        transform=t + mtransforms.ScaledTranslation(d * 3 / PT_PER_INCH, -y_pt / PT_PER_INCH,
                                                                    fig.dpi_scale_trans))  # fmt: skip
        y_pt += _line_h(fs, st) + 1
    if xlabel:
        ax.text(0.5, 0, xlabel, ha="center", va="top", fontsize=fs, transform=ax.transAxes
                + mtransforms.ScaledTranslation(0, -y_pt / PT_PER_INCH, fig.dpi_scale_trans), clip_on=False)  # fmt: skip
        y_pt += _line_h(fs, st) + 1
    y_pt = lay.below_axis + 4
    for line in lay.footer:
        ax.text(0, 0, line, ha="left", va="top", fontsize=nfs, color=st.note_color, clip_on=False, linespacing=st.line_spacing,
                transform=ax.transAxes + mtransforms.ScaledTranslation(label_x / PT_PER_INCH, -y_pt / PT_PER_INCH,
                                                                       fig.dpi_scale_trans))  # fmt: skip
        y_pt += (line.count("\n") + 1) * _line_h(nfs, st)
    if title:
        ax.text(0, 1, title, ha="left", va="bottom", fontsize=st.title_font_size, fontweight="bold", clip_on=False,
                transform=ax.transAxes + mtransforms.ScaledTranslation(label_x / PT_PER_INCH, 4 / PT_PER_INCH,
                                                                       fig.dpi_scale_trans))  # fmt: skip


def _xlim_on_axis(xlim: Sequence[float] | None, data: ForestData) -> tuple[float, float] | None:
    if xlim is None:
        return None
    a, b = (float(v) for v in xlim)
    if not a < b:
        raise PlotError(f"xlim={tuple(xlim)} must be (lower, upper) with lower < upper.")
    if data.log_scale:
        if a <= 0:
            raise PlotError(f"xlim={tuple(xlim)}: give ratios (> 0) for measure {data.measure!r}.")
        return math.log(a), math.log(b)
    return a, b


#: widest default figure: a journal's double column (single column: 85-90 mm via width_mm)
MAX_WIDTH_MM = 180.0


def _new_figure() -> Figure:
    return EvsynthFigure()


def _render(
    data: ForestData,
    st: ForestStyle,
    *,
    ax: Axes | None,
    width_mm: float | None,
    title: str | None,
    favours: Sequence[str] | None,
    xlim: Sequence[float] | None,
    xlabel: str | None,
) -> Figure:
    with plotting_context(st):
        lim = _xlim_on_axis(xlim, data) or auto_xlim(data.rows, data.log_scale)
        lay = _compute_layout(data, st, width_mm, title, favours, xlabel, lim)
        if ax is None and width_mm is None and lay.width / PT_PER_MM > MAX_WIDTH_MM:
            width_mm = MAX_WIDTH_MM  # a journal's double column: wrap the labels to fit
            lay = _compute_layout(data, st, width_mm, title, favours, xlabel, lim)
        if ax is None:
            fig = _new_figure()

            def redraw(new_width_mm: float | None) -> None:
                with plotting_context(st):
                    fig.clear()
                    new = _compute_layout(data, st, new_width_mm, title, favours, xlabel, lim)
                    _place(fig, new, st, data, lim, favours, title, xlabel, xlim is not None)

            _place(fig, lay, st, data, lim, favours, title, xlabel, xlim is not None)
            fig._evsynth_redraw = redraw  # type: ignore[attr-defined]  # used by save_figure(width_mm=)
            fig._evsynth_style = st  # type: ignore[attr-defined]  # fonts used again when saving
        else:
            fig = ax.figure
            _draw(fig, ax, data, lay, st, lim, favours, title, xlabel, xlim is not None)
    return fig


def _place(fig, lay: _Layout, st, data, lim, favours, title, xlabel, user_xlim=False) -> None:
    W, H = lay.width, lay.height
    fig.set_size_inches(W / PT_PER_INCH, H / PT_PER_INCH)
    left = st.margin + lay.pad_left + lay.left_block + lay.gap
    bottom = st.margin + lay.footer_h + lay.below_axis
    ax = fig.add_axes((left / W, bottom / H, lay.panel / W, lay.rows_h / H))
    _draw(fig, ax, data, lay, st, lim, favours, title, xlabel, user_xlim)
    fig.evsynth_layout = {  # type: ignore[attr-defined]
        "width_mm": W / PT_PER_MM,
        "height_mm": H / PT_PER_MM,
        "panel_mm": lay.panel / PT_PER_MM,
        "label_mm": lay.label_width / PT_PER_MM,
    }


def favours_labels(
    higher_is: str | None, measure: str, names: tuple[str, str] = ("treatment", "control")
) -> tuple[str, str] | None:
    """("Favours <left>", "Favours <right>") for an outcome's direction, or None if unknown.

    Left of the line of no effect the treated arm has the lower value: that favours the
    treatment when lower is better (death, progression: ``higher_is="worse"``), the control
    when higher is better (response, survival). Hazard ratios default to lower is better.

    >>> favours_labels("better", "OR")
    ('Favours control', 'Favours treatment')
    """
    if higher_is is None and str(measure).upper() == "HR":
        higher_is = "worse"
    if higher_is not in ("better", "worse", None):
        raise PlotError(f'higher_is={higher_is!r}: use "better", "worse" or None.')
    if higher_is is None:
        return None
    treat, ctl = (f"Favours {n}" for n in names)
    return (treat, ctl) if higher_is == "worse" else (ctl, treat)


def _cell_style(key: str, text: str) -> dict[str, Any]:
    """Extra text properties of a cell: risk-of-bias symbols sit in robvis-coloured circles."""
    if not key.startswith("rob:"):
        return {}
    from evsynth.plots.risk_of_bias import symbol_style

    return symbol_style(text)


def forest_plot(
    result_or_table: Any,
    *,
    ax: Axes | None = None,
    columns: Sequence[str] = ("n", "estimate_ci", "weight"),
    style: str | ForestStyle = "default",
    favours: Sequence[str] | str | None = "auto",
    higher_is: str | None = None,
    unpoolable: pd.DataFrame | None = None,
    title: str | None = None,
    xlim: Sequence[float] | None = None,
    xlabel: str | None = None,
    width_mm: float | None = None,
    counts: pd.DataFrame | None = None,
    measure: str | None = None,
    level: float | None = None,
    subgroup: str | None = None,
    risk_of_bias: pd.DataFrame | None = None,
    **style_overrides: Any,
) -> Figure:
    """Draw a forest plot of a meta-analysis, subgroup analysis or plain table of estimates.

    Parameters
    ----------
    result_or_table : MetaAnalysis, SubgroupAnalysis, BayesianMetaAnalysis, dict or DataFrame
        A fitted result (studies, pooled diamond, prediction interval and heterogeneity are taken
        from it), a ``dict`` of results (one diamond per analysis, see :func:`sensitivity_plot`),
        or a table with ``label, estimate, ci_lower, ci_upper[, weight, kind]`` on the displayed
        scale (ratios for ratio measures), as metafor's ``forest.default``.
    ax : matplotlib Axes, optional
        Draw the panel into this axes; text columns are placed left and right of it (leave room).
        Without ``ax`` a new figure sized to its content is made (``plt.gca()`` is never used).
    columns : sequence of str
        Text columns: ``"n"`` (events/total per arm when counts are known, else N), ``"estimate_ci"``,
        ``"weight"``, ``"k"``, ``"pi"``, ``"i2"``, ``"tau2"`` or a column of the table. Columns with no
        values are left out.
    style : str or ForestStyle
        ``"default"``, ``"revman"``, ``"jama"`` or a :class:`ForestStyle`; other keyword arguments
        that name a ForestStyle field override it (e.g. ``square_color="navy"``).
    favours : (str, str), "auto" or None
        Labels under the axis, left and right of the line of no effect. "auto" (default) puts
        "Favours treatment" on the side where the effect is good for the treated, from
        ``higher_is``; None draws none.
    higher_is : "better", "worse" or None
        Whether a higher value of the outcome is good (response, survival) or bad (death,
        progression) for the treated; protocol outcomes say it (``higher_is``). When None:
        hazard ratios are taken as hazards of a harmful event (lower is better); for other
        measures the direction is unknown and "auto" draws no favours labels rather than
        guess.
    unpoolable : DataFrame, optional
        Results that could not be pooled (``label, reported, reason``), listed under the plot so
        the figure never hides evidence.
    title, xlabel : str, optional
    xlim : (float, float), optional
        Axis limits on the displayed scale (ratios for ratio measures). By default all estimates and
        pooled intervals are shown; a study CI much wider than the rest ends in an arrow.
    width_mm : float, optional
        Figure width (e.g. 85 or 175 for journal columns); labels wrap to fit. Default: the
        natural width of the content, at most 180 mm (a double column).
    counts : DataFrame, optional
        ``label, events_int, total_int, events_ctl, total_ctl`` (or ``n``) for the "n" columns.
    measure, level : only for tables (default "GEN" and 0.95); results carry their own.
    subgroup : str, optional
        For tables: a column whose values group rows under headings.
    risk_of_bias : DataFrame, optional
        ``label`` and one column of judgement words per domain (and ``overall``): a column block
        of robvis symbols per study (see :func:`evsynth.plots.risk_of_bias.with_risk_of_bias`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    st = resolve_style(style, **style_overrides)
    data = build_forest_data(
        result_or_table, st, columns=columns, unpoolable=unpoolable, counts=counts,
        measure=measure, level=level, subgroup=subgroup,
    )  # fmt: skip
    if not any(r.kind in ("study", "pooled", "unpoolable") for r in data.rows):
        raise PlotError("nothing to draw: the input has no rows.")
    if risk_of_bias is not None and len(risk_of_bias):
        from evsynth.plots.risk_of_bias import with_risk_of_bias

        data, st = with_risk_of_bias(data, risk_of_bias, st)
    if isinstance(favours, str):
        if favours != "auto":
            raise PlotError(f'favours={favours!r}: give two labels, "auto" or None.')
        favours = favours_labels(higher_is, data.measure)
    return _render(
        data, st, ax=ax, width_mm=width_mm, title=title, favours=favours, xlim=xlim, xlabel=xlabel
    )


def sensitivity_plot(
    results: Mapping[str, Any],
    *,
    ax: Axes | None = None,
    columns: Sequence[str] = ("k", "estimate_ci", "pi", "i2"),
    style: str | ForestStyle = "default",
    favours: Sequence[str] | str | None = "auto",
    higher_is: str | None = None,
    title: str | None = None,
    xlim: Sequence[float] | None = None,
    xlabel: str | None = None,
    width_mm: float | None = None,
    **style_overrides: Any,
) -> Figure:
    """Several analyses of one question side by side: one diamond per analysis.

    Use it for sensitivity analyses (REML + Hartung-Knapp vs Bayesian; univariable vs
    multivariable hazard ratios). Each diamond is the analysis' pooled estimate and interval; a
    thin line through it is its prediction interval. Parameters as :func:`forest_plot`.
    """
    if not isinstance(results, Mapping):
        raise PlotError("sensitivity_plot takes a dict {name: result}.")
    st = resolve_style(
        style, **{"right_columns": ("estimate_ci", "pi", "i2", "tau2"), **style_overrides}
    )
    data = build_forest_data(dict(results), st, columns=columns)
    return _render(
        data,
        st,
        ax=ax,
        width_mm=width_mm,
        title=title,
        xlim=xlim,
        xlabel=xlabel,
        favours=favours_labels(higher_is, data.measure) if favours == "auto" else favours,
    )


ForestRenderer = Callable[..., Figure]
__all__ = [
    "forest_plot",
    "sensitivity_plot",
    "ratio_ticks",
    "text_width",
    "wrap_text",
    "display_value",
]
