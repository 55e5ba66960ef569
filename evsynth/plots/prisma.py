"""The PRISMA 2020 flow diagram for new reviews that searched databases and registers (Page et
al. 2021, BMJ 372:n71, Figure 1): the main flow down the left, records and reports removed or
excluded to the right, one box per count.

Drawing only: the counts come checked from :func:`evsynth.review.prisma.prisma_flow`.
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from evsynth.plots._canvas import mm_canvas
from evsynth.plots.style import PlotError, plotting_context, resolve_style

__all__ = ["prisma_plot"]


def _lines(label: str, n) -> str:
    if isinstance(n, dict):
        return label + ":\n" + "\n".join(f"  {k} (n = {v})" for k, v in n.items())
    return f"{label}\n(n = {n})"


def prisma_plot(flow, *, style="default"):
    """Draw a :class:`~evsynth.review.prisma.PrismaFlow`.

    Returns
    -------
    Figure (175 mm wide, a double journal column)
    """
    if not hasattr(flow, "boxes"):
        raise PlotError("prisma_plot needs a PrismaFlow (evsynth.review.prisma.prisma_flow)")
    st = resolve_style(style)
    b = {key: (label, n) for key, label, n in flow.boxes()}
    removed = {k: v for k, v in b["removed"][1].items() if v or k.startswith("Duplicate")}
    inc = b["included"][1]
    rows = [
        (_lines(*b["identified"]), _lines(b["removed"][0], removed)),
        (_lines(*b["screened"]), _lines(*b["excluded_at_screening"])),
        (_lines(*b["sought"]), _lines(*b["not_retrieved"])),
        (_lines(*b["assessed"]), _lines(b["excluded"][0], b["excluded"][1])),
        (
            f"Studies included in review\n(n = {inc['studies']})\n"
            f"Reports of included studies\n(n = {inc['reports']})",
            None,
        ),
    ]
    line_mm = st.font_size * 1.25 * 25.4 / 72
    heights = [
        max(len(a.split("\n")), len(c.split("\n")) if c else 0) * line_mm + 5 for a, c in rows
    ]
    heights[0] = max(heights[0], 24.0)  # room for the rotated "Identification"
    width, gap, left_x, box_w, right_x = 175.0, 7.0, 24.0, 62.0, 104.0
    height = 12 + sum(heights) + gap * (len(rows) - 1) + (12 if flow.findings else 4)
    with plotting_context(st):
        fig, ax = mm_canvas(width, height)
        ax.text(
            width / 2,
            5,
            "PRISMA 2020 flow diagram",
            ha="center",
            va="center",
            fontsize=st.title_font_size,
            fontweight="bold",
        )
        y = 12.0
        centres = []
        for (main, side), h in zip(rows, heights, strict=True):
            _box(ax, left_x, y, box_w, h, main)
            if side:
                _box(ax, right_x, y, box_w + 8, h, side)
                ax.add_patch(_arrow((left_x + box_w, y + h / 2), (right_x, y + h / 2)))
            centres.append((y, h))
            y += h + gap
        for (y0, h0), (y1, _h1) in zip(centres, centres[1:], strict=False):
            ax.add_patch(_arrow((left_x + box_w / 2, y0 + h0), (left_x + box_w / 2, y1)))
        stages = [("Identification", 0, 1), ("Screening", 1, 4), ("Included", 4, 5)]
        for name, a, z in stages:
            top = centres[a][0]
            bottom = centres[z - 1][0] + centres[z - 1][1]
            ax.add_patch(
                FancyBboxPatch(
                    (4, top),
                    10,
                    bottom - top,
                    boxstyle="round,pad=0,rounding_size=1.5",
                    facecolor="#cfe2f3",
                    edgecolor="#6f8fb0",
                    linewidth=0.6,
                )
            )
            ax.text(
                9,
                (top + bottom) / 2,
                name,
                rotation=90,
                ha="center",
                va="center",
                fontweight="bold",
            )
        if flow.findings:
            ax.text(
                4,
                height - 6,
                "Note: " + " ".join(flow.findings),
                fontsize=st.note_font_size,
                va="center",
                color="#9b1c1c",
                wrap=True,
            )
    return fig


def _box(ax, x, y, w, h, text):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="square,pad=0",
            facecolor="white",
            edgecolor="black",
            linewidth=0.6,
        )
    )
    ax.text(x + 2.5, y + h / 2, text, ha="left", va="center", linespacing=1.25)


def _arrow(a, b):
    return FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=7, linewidth=0.6, color="black")
