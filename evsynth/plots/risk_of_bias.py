"""Risk-of-bias figures in the layouts robvis made standard (McGuinness & Higgins 2021, Res Synth
Methods 12:55-61): a traffic-light plot (a coloured circle per study and domain) and a summary
bar plot (per domain, the share of studies, or of the analysis weight, at each judgement).

Drawing only: the overall judgements and shares are computed in
:mod:`evsynth.review.risk_of_bias` and passed in.
"""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.patches import Circle

from evsynth.plots._canvas import mm_canvas
from evsynth.plots.style import PlotError, plotting_context, resolve_style

__all__ = ["traffic_light_plot", "risk_of_bias_summary_plot", "JUDGEMENT_COLORS"]

#: robvis's colours and symbols per judgement word (RoB 2, ROBINS-I, NOS ratings)
JUDGEMENT_COLORS = {
    "low": ("#02C100", "+"),
    "good": ("#02C100", "+"),
    "some concerns": ("#E2DF07", "−"),
    "moderate": ("#E2DF07", "−"),
    "fair": ("#E2DF07", "−"),
    "high": ("#BF0000", "×"),
    "serious": ("#BF0000", "×"),
    "poor": ("#BF0000", "×"),
    "critical": ("#820000", "!"),
    "no information": ("#4EA1F7", "?"),
}
_ORDER = list(JUDGEMENT_COLORS)


def _colour(word: str, max_stars: int | None = None) -> tuple[str, str]:
    if word in JUDGEMENT_COLORS:
        return JUDGEMENT_COLORS[word]
    if word.isdigit() and max_stars:  # NOS stars: all stars green, at least half yellow
        n = int(word)
        colour = "#02C100" if n == max_stars else "#E2DF07" if 2 * n >= max_stars else "#BF0000"
        return colour, word
    raise PlotError(f"no colour for the judgement {word!r}; use the tool's judgement words")


def traffic_light_plot(assessment, *, style="default", stars: dict[str, int] | None = None):
    """A circle per study (rows) and domain (columns), coloured by judgement, with the overall
    judgement in the last column and the domain names below.

    Parameters
    ----------
    assessment : a :class:`~evsynth.review.risk_of_bias.RiskOfBiasAssessment` (``tool``,
        ``domains``, ``judgements``).
    stars : for NOS, domain -> maximum stars (colours by share of stars).

    Returns
    -------
    Figure
    """
    st = resolve_style(style)
    table: pd.DataFrame = assessment.judgements
    cols = [*assessment.domains, "overall"]
    n_rows, n_cols = len(table), len(cols)
    if n_rows == 0:
        raise PlotError("traffic_light_plot: no study has risk-of-bias judgements")
    cell = 7.0  # mm
    label_w = 28.0
    legend_h = 6.0 + 3.2 * (len(assessment.domains) + (2 if stars else 1))
    gap = 5.0  # the overall column stands apart
    width = label_w + cell * n_cols + gap + 6

    def col_x(j: int) -> float:
        return label_w + cell * (j + 0.5) + (gap if cols[j] == "overall" else 0.0)

    height = 10 + cell * n_rows + legend_h
    with plotting_context(st):
        fig, ax = mm_canvas(width, height)
        top = 9.0
        ax.text(
            2,
            3.5,
            f"Risk of bias ({assessment.tool})",
            fontsize=st.title_font_size,
            fontweight="bold",
            va="center",
        )
        for j, c in enumerate(cols):
            x = col_x(j)
            ax.text(
                x,
                top - 1.5,
                "Overall" if c == "overall" else _short(c),
                ha="center",
                va="bottom",
                fontweight="bold",
            )
        for i, (_, r) in enumerate(table.iterrows()):
            y = top + cell * (i + 0.5)
            ax.text(label_w - 2, y, str(r["study_id"]), ha="right", va="center")
            for j, c in enumerate(cols):
                x = col_x(j)
                colour, symbol = _colour(str(r[c]), (stars or {}).get(c))
                ax.add_patch(
                    Circle(
                        (x, y), cell * 0.38, facecolor=colour, edgecolor="#333333", linewidth=0.4
                    )
                )
                ax.text(
                    x,
                    y,
                    symbol,
                    ha="center",
                    va="center",
                    fontsize=st.font_size + 1,
                    color="black" if colour == "#E2DF07" else "white",
                    fontweight="bold",
                )
        ax.plot([label_w, label_w + cell * n_cols + gap], [top, top], color="#999999", lw=0.4)
        y = top + cell * n_rows + 4
        for key, name in assessment.domains.items():
            ax.text(2, y, f"{_short(key)}: {name}", fontsize=st.note_font_size, va="center")
            y += 3.2
        used = sorted(
            {str(v) for c in cols for v in table[c]} & set(JUDGEMENT_COLORS), key=_ORDER.index
        )
        legend = "   ".join(f"{JUDGEMENT_COLORS[w][1]} {w}" for w in used)
        if stars:
            ax.text(
                2,
                y,
                "Stars: green all, yellow at least half, red fewer than half",
                fontsize=st.note_font_size,
                va="center",
            )
            y += 3.2
        ax.text(2, y, legend, fontsize=st.note_font_size, va="center")
    return fig


def risk_of_bias_summary_plot(
    summary: pd.DataFrame,
    *,
    tool: str = "",
    weighted: bool = True,
    stars: dict[str, int] | None = None,
    style="default",
):
    """Horizontal stacked bars: per domain, the share at each judgement (robvis ``rob_summary``).

    Parameters
    ----------
    summary : ``domain, name, judgement, share`` (percent per domain), as
        :meth:`~evsynth.review.risk_of_bias.RiskOfBiasAssessment.domain_summary` returns.
    tool : the tool's name, for the title.
    weighted : whether the shares are of the analysis weight (the axis label says so).
    stars : for NOS, domain -> maximum stars (colours by share of stars).

    Returns
    -------
    Figure
    """
    need = {"domain", "name", "judgement", "share"}
    if not need <= set(summary.columns):
        raise PlotError(f"risk_of_bias_summary_plot needs columns {sorted(need)}")
    st = resolve_style(style)
    domains = list(dict.fromkeys(summary["domain"]))
    names = dict(zip(summary["domain"], summary["name"], strict=True))
    bar_h, label_w, bar_w = 6.0, 80.0, 80.0
    width, height = label_w + bar_w + 6, 22 + bar_h * len(domains) + 8
    with plotting_context(st):
        fig, ax = mm_canvas(width, height)
        ax.text(
            2,
            4,
            f"Risk of bias summary ({tool})" if tool else "Risk of bias summary",
            fontsize=st.title_font_size,
            fontweight="bold",
            va="center",
        )
        top = 10.0
        for i, d in enumerate(domains):
            y = top + bar_h * i
            label = "Overall" if d == "overall" else _domain_label(d, names[d])
            ax.text(
                label_w - 2,
                y + bar_h / 2,
                textwrap.shorten(label, 60),
                ha="right",
                va="center",
                fontweight="bold" if d == "overall" else "normal",
            )
            x = label_w
            part = summary[summary["domain"] == d]
            part = part.iloc[
                sorted(range(len(part)), key=lambda n: _order(part.iloc[n]["judgement"]))
            ]
            for _, r in part.iterrows():
                w = bar_w * float(r["share"]) / 100.0
                colour, _ = _colour(str(r["judgement"]), (stars or {}).get(d))
                ax.add_patch(_rect(x, y + 0.6, w, bar_h - 1.2, colour))
                x += w
        y0 = top + bar_h * len(domains) + 1
        for p in (0, 25, 50, 75, 100):
            x = label_w + bar_w * p / 100
            ax.plot([x, x], [y0, y0 + 1], color="black", lw=0.5)
            ax.text(x, y0 + 1.5, f"{p}%", ha="center", va="top", fontsize=st.note_font_size)
        ax.plot([label_w, label_w + bar_w], [y0, y0], color="black", lw=0.5)
        ax.text(
            label_w + bar_w / 2,
            y0 + 6,
            "of the weight in the analysis" if weighted else "of studies",
            ha="center",
            va="center",
            fontsize=st.note_font_size,
        )
        used = sorted(
            set(summary["judgement"].astype(str)) & set(JUDGEMENT_COLORS), key=_ORDER.index
        )
        x = 2
        for w in used:
            ax.add_patch(_rect(x, height - 5.5, 3, 3, JUDGEMENT_COLORS[w][0]))
            ax.text(x + 4, height - 4, w, va="center", fontsize=st.note_font_size)
            x += 7 + 1.3 * len(w)
    return fig


def _short(key: str) -> str:
    """A column header: the key ("D1"), or a named domain's initial ("selection" -> "S")."""
    return key if len(key) <= 3 else key[0].upper()


def _domain_label(key: str, name: str) -> str:
    return name if key.lower() == name.lower() else f"{key}: {name}"


def _order(word: str) -> int:
    return _ORDER.index(word) if word in _ORDER else (-int(word) if word.isdigit() else 99)


def _rect(x, y, w, h, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="white", linewidth=0.4)


def symbol_style(symbol: str) -> dict:
    """Text properties that draw a judgement symbol in its robvis colour (a filled circle), for
    the forest plot's risk-of-bias cells; {} for a symbol without one colour (NOS stars)."""
    colours = {sym: colour for colour, sym in JUDGEMENT_COLORS.values()}
    if symbol not in colours:
        return {}
    colour = colours[symbol]
    return {
        "color": "black" if colour == "#E2DF07" else "white",
        "fontweight": "bold",
        "bbox": {
            "boxstyle": "circle,pad=0.2",
            "facecolor": colour,
            "edgecolor": "#333333",
            "linewidth": 0.4,
        },
    }


def with_risk_of_bias(data, table: pd.DataFrame, style):
    """Forest-plot data with a risk-of-bias column block: one column per domain (and overall)
    holding the judgement's robvis symbol for each study row, a legend in the footer.

    Parameters
    ----------
    data : the :class:`~evsynth.plots._rows.ForestData` of a forest plot.
    table : ``label`` (the study labels of the plot) and one column per domain of judgement
        words, e.g. a risk-of-bias assessment's judgements with ``label`` added. Rows whose
        label is not in the plot are ignored; plot rows without a judgement show nothing.
    style : the plot's :class:`~evsynth.plots.style.ForestStyle`.

    Returns
    -------
    (ForestData, ForestStyle) : the data with the columns added, and the style with the block
    placed right of the panel when the style puts any column there.
    """
    from dataclasses import replace

    from evsynth.plots._rows import Column

    if "label" not in table.columns:
        raise PlotError("risk_of_bias= needs a label column matching the plot's study labels")
    domains = [c for c in table.columns if c not in ("label", "study_id", "overall_given")]
    lookup = {str(r["label"]): r for _, r in table.iterrows()}
    used: set[str] = set()
    rows = []
    for row in data.rows:
        rec = lookup.get(row.label) if row.kind == "study" else None
        if rec is None:
            rows.append(row)
            continue
        cells = dict(row.cells)
        for d in domains:
            word = str(rec[d])
            cells[f"rob:{d}"] = _colour(word, 99 if word.isdigit() else None)[1]
            used.add(word)
        rows.append(replace(row, cells=cells))
    keys = tuple(f"rob:{d}" for d in domains)
    cols = data.columns + tuple(
        Column(k, "All" if k == "rob:overall" else k[4:], "center") for k in keys
    )
    legend = ", ".join(
        f"{JUDGEMENT_COLORS[w][1]} {w}"
        for w in sorted(used & set(JUDGEMENT_COLORS), key=_ORDER.index)
    )
    footer = data.footer + (f"Risk of bias: {legend}; All = overall judgement.",)
    if style.right_columns:
        style = replace(style, right_columns=tuple(style.right_columns) + keys)
    return replace(data, rows=tuple(rows), columns=cols, footer=footer), style
