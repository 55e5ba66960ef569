"""Figure styles: one frozen dataclass holds every colour, size and text a forest or funnel plot uses.

``style=`` accepts a preset name (``"default"``, ``"revman"``, ``"jama"``) or a :class:`ForestStyle`;
keyword arguments whose names are fields of :class:`ForestStyle` override single fields.

Sizes are in points (1 pt = 1/72 inch) so that a figure laid out for a journal column keeps
legible text: the default body text is 7 pt, the minimum most journals accept for figure text at
print size (e.g. Elsevier and JAMA artwork guidelines ask for 6-8 pt at final size).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evsynth.errors import EvsynthError

MM_PER_INCH = 25.4

#: Journal column widths in millimetres (single column ~85 mm, double column ~175 mm).
SINGLE_COLUMN_MM = 85.0
DOUBLE_COLUMN_MM = 175.0


class PlotError(EvsynthError, ValueError):
    """Inputs to a plot are unusable (unknown style field, table without required columns, ...)."""


@dataclass(frozen=True)
class ForestStyle:
    """Every colour, size and text of a forest or funnel plot.

    Sizes are in points. Colours are any matplotlib colour. Texts may contain ``{level}`` (the
    confidence level in percent, e.g. ``95``) and ``{measure}`` (e.g. ``HR``).
    """

    # fonts: one family (DejaVu Sans ships with matplotlib and embeds as TrueType)
    font_family: str = "DejaVu Sans"
    font_size: float = 7.0
    header_font_size: float = 7.0
    note_font_size: float = 6.5
    title_font_size: float = 8.0
    header_weight: str = "bold"
    heading_weight: str = "bold"
    pooled_weight: str = "bold"
    # geometry
    row_height: float = 12.0
    line_spacing: float = 1.2
    column_gap: float = 9.0
    margin: float = 4.0
    panel_width_mm: float = 55.0
    min_panel_width_mm: float = 25.0
    max_label_width_mm: float = 80.0
    subgroup_indent: float = 6.0
    square_max_side: float = 8.5
    square_min_side: float = 2.5
    diamond_half_height: float = 4.2
    pi_half_height: float = 1.0
    ci_linewidth: float = 0.8
    axis_linewidth: float = 0.6
    arrow_head_length: float = 4.0
    arrow_head_width: float = 3.0
    header_rule: bool = False
    # colours
    text_color: str = "black"
    square_color: str = "#1f1f1f"
    square_edge_color: str = "none"
    ci_color: str = "black"
    diamond_color: str = "black"
    diamond_edge_color: str = "black"
    subgroup_diamond_color: str = "#7f7f7f"
    pi_color: str = "#7f7f7f"
    null_line_color: str = "#4d4d4d"
    null_line_style: str = "-"
    pooled_line_color: str = "none"
    note_color: str = "#4d4d4d"
    # where the text columns go: keys listed here are drawn right of the panel, others left
    right_columns: tuple[str, ...] = ("estimate_ci", "weight")
    # texts
    study_header: str = "Study"
    estimate_header: str = "{measure} [{level}% CI]"
    weight_header: str = "Weight"
    events_header: str = "Events/Total"
    arm_names: tuple[str, str] = ("Treatment", "Control")
    n_header: str = "N"
    pooled_label: str = "Random-effects model"
    fixed_label: str = "Fixed-effect model"
    bayes_label: str = "Bayesian model (posterior median, {level}% CrI)"
    pi_label: str = "Prediction interval"
    overall_label: str = "Overall"
    subgroup_pooled_label: str = "Subtotal"
    unpoolable_heading: str = "Not pooled (reported results)"
    digits: int = 2
    minus: str = "\u2212"
    show_pi: bool = True
    subgroup_pi: bool = False
    show_heterogeneity: bool = True

    def text(self, template: str, *, measure: str = "", level: float = 0.95) -> str:
        """Fill ``{measure}`` and ``{level}`` in one of the style's text templates."""
        return template.format(measure=measure, level=_level_text(level))


def _level_text(level: float) -> str:
    pct = 100.0 * level
    return f"{pct:.0f}" if abs(pct - round(pct)) < 1e-9 else f"{pct:g}"


STYLES: dict[str, ForestStyle] = {
    "default": ForestStyle(),
    # RevMan 5: blue study squares, black diamonds, every number in columns left of the plot,
    # a rule under the header, "Total (95% CI)" for the pooled row.
    "revman": ForestStyle(
        square_color="#1f4e9c",
        ci_color="black",
        diamond_color="black",
        subgroup_diamond_color="black",
        null_line_color="black",
        pi_color="#1f4e9c",
        right_columns=(),
        header_rule=True,
        pooled_label="Total ({level}% CI)",
        subgroup_pooled_label="Subtotal ({level}% CI)",
        estimate_header="{measure}\nIV, Random, {level}% CI",
        study_header="Study or Subgroup",
    ),
    # JAMA: muted blue markers, estimates next to the labels, thin header rule, no bold headers.
    "jama": ForestStyle(
        square_color="#2b5c8a",
        ci_color="#2b5c8a",
        diamond_color="#c0504d",
        diamond_edge_color="#c0504d",
        subgroup_diamond_color="#e6a19f",
        pi_color="#c0504d",
        null_line_style="--",
        null_line_color="#7f7f7f",
        right_columns=(),
        header_rule=True,
        header_weight="bold",
        pooled_label="Overall (random effects)",
        study_header="Source",
        estimate_header="{measure} ({level}% CI)",
    ),
}

_FIELD_NAMES = frozenset(f.name for f in fields(ForestStyle))


def style_field_names() -> frozenset[str]:
    """Names accepted as style keyword overrides."""
    return _FIELD_NAMES


def _check_font(family: str) -> None:
    """Refuse a font family matplotlib cannot find (it would silently draw DejaVu Sans)."""
    from matplotlib import font_manager

    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        known = sorted({f.name for f in font_manager.fontManager.ttflist})
        raise PlotError(
            f"font_family={family!r} is not installed; use one of {', '.join(known[:12])}"
            + (", ..." if len(known) > 12 else "")
            + " (install the font, then delete matplotlib's font cache)"
        ) from None


def resolve_style(style: str | ForestStyle = "default", **overrides: object) -> ForestStyle:
    """Return the :class:`ForestStyle` for a preset name or object, with fields overridden.

    Raises
    ------
    PlotError
        When the preset name or an override name is unknown, or ``font_family`` names a font
        that is not installed.
    """
    if isinstance(style, ForestStyle):
        base = style
    elif isinstance(style, str) and style in STYLES:
        base = STYLES[style]
    else:
        raise PlotError(
            f"style={style!r} is not a known style; use one of {sorted(STYLES)} or a ForestStyle."
        )
    unknown = sorted(set(overrides) - _FIELD_NAMES)
    if unknown:
        raise PlotError(
            f"unknown plot option(s) {unknown}; style fields you can override are: "
            f"{', '.join(sorted(_FIELD_NAMES))}."
        )
    if "font_family" in overrides:
        _check_font(str(overrides["font_family"]))
    return replace(base, **overrides) if overrides else base


def rc_params(style: ForestStyle) -> dict[str, object]:
    """rcParams fixed inside :func:`plotting_context` so output is stable and text stays text."""
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [style.font_family, "DejaVu Sans"],
        "font.size": style.font_size,
        "mathtext.fontset": "dejavusans",
        "text.color": style.text_color,
        "axes.unicode_minus": True,
        "axes.linewidth": style.axis_linewidth,
        "axes.edgecolor": "black",
        "axes.labelcolor": style.text_color,
        "xtick.color": style.text_color,
        "ytick.color": style.text_color,
        "xtick.labelsize": style.font_size,
        "ytick.labelsize": style.font_size,
        "xtick.major.width": style.axis_linewidth,
        "ytick.major.width": style.axis_linewidth,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "xtick.direction": "out",
        "ytick.direction": "out",
        "text.hinting": "none",
        "text.antialiased": True,
        "lines.antialiased": True,
        "patch.antialiased": True,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "svg.hashsalt": "evsynth",
        "savefig.facecolor": "white",
        "figure.facecolor": "white",
        "axes.facecolor": "none",
        "path.simplify": False,
    }


@contextlib.contextmanager
def plotting_context(style: ForestStyle | str = "default") -> Iterator[None]:
    """Context with the fonts and rcParams evsynth draws with (stable output, embeddable text)."""
    st = resolve_style(style) if isinstance(style, str) else style
    with mpl.rc_context(rc_params(st)):
        yield


class EvsynthFigure(Figure):
    """A matplotlib Figure made without pyplot (no global state, no figure leaks in loops) that
    shows itself in Jupyter when it is a cell's value (``_repr_png_``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        FigureCanvasAgg(self)

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        with plotting_context(getattr(self, "_evsynth_style", "default")):
            self.savefig(buf, format="png", dpi=150, facecolor="white")
        return buf.getvalue()
