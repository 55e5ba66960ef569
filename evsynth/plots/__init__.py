"""Manuscript-ready figures: forest plots (RevMan/metafor layout), funnel plots, export helper.

Plotting never computes statistics: it draws what result objects (or plain tables) hold.
"""

from evsynth.plots.export import save_figure
from evsynth.plots.forest import favours_labels, forest_plot, sensitivity_plot
from evsynth.plots.funnel import funnel_plot
from evsynth.plots.style import STYLES, ForestStyle, PlotError, plotting_context

__all__ = [
    "forest_plot",
    "favours_labels",
    "sensitivity_plot",
    "funnel_plot",
    "save_figure",
    "ForestStyle",
    "STYLES",
    "PlotError",
    "plotting_context",
]
