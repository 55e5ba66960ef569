"""A blank figure laid out in millimetres (origin top left), for the diagram-like figures
(risk of bias, PRISMA) that place boxes and text rather than plot data on axes."""

from __future__ import annotations

from evsynth.plots.style import EvsynthFigure


def mm_canvas(width: float, height: float):
    """A figure ``width`` x ``height`` mm and one axes filling it, in mm, y pointing down."""
    fig = EvsynthFigure(figsize=(width / 25.4, height / 25.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    return fig, ax
