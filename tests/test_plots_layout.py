"""Geometry and API tests of the plots: no text overlaps or is clipped, arrows point outwards,
square areas follow the weights, ticks read 0.1/0.2/0.5/1/2/5/10, styles and export behave."""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evsynth.plots import ForestStyle, PlotError, forest_plot, funnel_plot, save_figure
from evsynth.plots._rows import fmt_p
from evsynth.plots.forest import PlotWidthWarning, ratio_ticks
from evsynth.plots.style import resolve_style
from tests.test_plots import (
    LONG_LABEL,
    UNPOOLABLE,
    counts_frame,
    long_label_analysis,
    rr_analysis,
    single_study,
    three_studies_hr,
)


def _texts(fig: Figure):
    r = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        artists = list(ax.texts) + [t for t in ax.get_xticklabels() if t.get_visible()]
        for t in artists:
            if t.get_text().strip():
                out.append((t.get_text(), t.get_window_extent(r)))
    return out


def _overlap(a, b, slack: float = 0.5) -> bool:
    return (
        a.x0 < b.x1 - slack and b.x0 < a.x1 - slack and a.y0 < b.y1 - slack and b.y0 < a.y1 - slack
    )


def assert_clean_layout(fig: Figure) -> None:
    """No two texts overlap, every text lies inside the figure, and study labels end left of the
    plotting panel."""
    fig.canvas.draw()
    boxes = _texts(fig)
    W, H = fig.bbox.width, fig.bbox.height
    for text, b in boxes:
        assert b.x0 >= -0.5 and b.y0 >= -0.5 and b.x1 <= W + 0.5 and b.y1 <= H + 0.5, (
            f"clipped: {text!r}"
        )
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not _overlap(boxes[i][1], boxes[j][1]), (
                f"overlap: {boxes[i][0]!r} / {boxes[j][0]!r}"
            )


@pytest.mark.parametrize("width_mm", [None, 85, 175])
def test_long_label_never_overlaps(width_mm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlotWidthWarning)
        fig = forest_plot(long_label_analysis(), width_mm=width_mm)
    assert_clean_layout(fig)
    panel_x0 = fig.axes[0].get_window_extent().x0
    r = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if t.get_text().replace("\n", " ").replace("- ", "-") in
              (LONG_LABEL, "Kim 2023", "Ortega 2022", "Patel 2021")]  # fmt: skip
    assert len(labels) == 4
    for t in labels:
        assert t.get_window_extent(r).x1 < panel_x0
    if width_mm == 175:
        assert fig.get_figwidth() * 25.4 == pytest.approx(175, abs=0.1)


def test_width_85_fits_with_one_column():
    fig = forest_plot(long_label_analysis(), columns=("estimate_ci",), width_mm=85)
    assert fig.get_figwidth() * 25.4 == pytest.approx(85, abs=0.1)
    assert_clean_layout(fig)


def test_width_too_small_warns_with_advice():
    with pytest.warns(PlotWidthWarning, match="columns="):
        forest_plot(rr_analysis(counts_frame()), counts=counts_frame(), width_mm=60)


def test_subgroup_and_unpoolable_layout_is_clean():
    df = counts_frame()
    assert_clean_layout(
        forest_plot(rr_analysis(df), counts=df, unpoolable=UNPOOLABLE, style="revman")
    )
    assert_clean_layout(forest_plot(single_study()))


def test_height_grows_with_rows():
    df = counts_frame()
    h5 = forest_plot(rr_analysis(df.iloc[:5])).get_figheight()
    h15 = forest_plot(rr_analysis(df)).get_figheight()
    # ten more study rows of style.row_height (12 pt) each
    assert (h15 - h5) * 72 == pytest.approx(10 * ForestStyle().row_height, abs=0.01)


def test_arrows_point_outwards_at_the_axis_edges():
    fig = forest_plot(three_studies_hr(), xlim=(0.25, 4))
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert (lo, hi) == pytest.approx((math.log(0.25), math.log(4)))
    tips = []
    for p in ax.patches:
        if p.get_gid() == "arrow":
            disp = p.get_transform().transform(p.get_xy()[:3])
            tip, base = disp[0], disp[1]
            tips.append((ax.transData.inverted().transform(tip)[0], np.sign(tip[0] - base[0])))
    # Gamma 2022: HR 0.61, CI 0.04-8.41 runs off both ends: a left arrow at 0.25, a right one at 4
    assert sorted((round(math.exp(x), 6), d) for x, d in tips) == [(0.25, -1.0), (4.0, 1.0)]


def test_square_area_proportional_to_weight():
    res = rr_analysis(counts_frame())
    fig = forest_plot(res)
    squares = [p for p in fig.axes[0].patches if p.get_gid() == "square"]
    sides = np.array([p.get_width() for p in squares])
    w = np.asarray(res.weights)
    big = w / w.max() * ForestStyle().square_max_side ** 2 > ForestStyle().square_min_side ** 2
    np.testing.assert_allclose(
        sides[big] ** 2 / sides[big].max() ** 2, w[big] / w.max(), rtol=1e-12
    )


def test_ratio_ticks_are_readable():
    assert ratio_ticks(math.log(0.1), math.log(10)) == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
    assert ratio_ticks(math.log(0.5), math.log(2)) == [0.5, 1.0, 2.0]
    # a narrow range falls back to the finer grid
    assert ratio_ticks(math.log(0.7), math.log(1.4)) == [0.75, 0.8, 1.0, 1.25]
    fig = forest_plot(rr_analysis(counts_frame()))
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["0.05", "0.2", "1", "5", "20"]  # symmetric around 1, both ends labelled
    assert ratio_ticks(math.log(0.01), math.log(100)) == [0.01, 0.1, 1.0, 10.0, 100.0]


def test_footer_names_the_test_and_prints_the_statistics():
    res = rr_analysis(counts_frame())
    fig = forest_plot(res)
    text = "\n".join(t.get_text() for t in fig.axes[0].texts)
    assert (
        f"t = \u2212{abs(res.statistic):.2f}, df = 14, p < 0.001 (Hartung-Knapp-Sidik-Jonkman, ad hoc)"
        in text
    )
    assert (
        f"\u03c4\u00b2 = {res.tau2:.3f} (REML); I\u00b2 = {res.i2:.0f}%; Q = {res.q:.2f}, df = 14"
        in text
    )
    lo, hi = res.pi
    assert f"[{math.exp(lo):.2f}, {math.exp(hi):.2f}]" in text  # prediction interval row


def test_pvalue_formatting():
    st = ForestStyle()
    assert [fmt_p(p, st) for p in (0.0004, 0.0042, 0.049, 0.051, 0.32, 0.999)] == [
        "p < 0.001", "p = 0.004", "p = 0.049", "p = 0.051", "p = 0.32", "p > 0.99",
    ]  # fmt: skip


def test_draws_into_given_axes_without_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = Figure(figsize=(8, 4))
    ax = fig.add_axes((0.45, 0.3, 0.3, 0.6))
    out = forest_plot(three_studies_hr(), ax=ax)
    assert out is fig and len(fig.axes) == 1
    assert plt.get_fignums() == before
    assert any(t.get_text() == "Alpha 2020" for t in ax.texts)


def test_table_input_like_forest_default():
    table = pd.DataFrame(
        {"label": ["A", "B", "Pooled"], "estimate": [0.5, 2.0, 1.0], "ci_lower": [0.25, 1.0, 0.6],
         "ci_upper": [1.0, 4.0, 1.6], "weight": [40.0, 60.0, np.nan], "kind": ["study", "study", "pooled"]}
    )  # fmt: skip
    fig = forest_plot(table, measure="OR")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "0.50 [0.25, 1.00]" in texts and "2.00 [1.00, 4.00]" in texts and "40.0%" in texts
    assert "Odds ratio [95% CI]" in texts
    diamonds = [p for p in fig.axes[0].patches if p.get_gid() == "diamond"]
    assert len(diamonds) == 1
    np.testing.assert_allclose(sorted(diamonds[0].get_xy()[:4, 0]), np.log([0.6, 1.0, 1.0, 1.6]))


def test_table_errors_are_actionable():
    with pytest.raises(PlotError, match="ci_lower"):
        forest_plot(pd.DataFrame({"label": ["A"], "estimate": [1.0]}))
    with pytest.raises(PlotError, match="ratios"):
        forest_plot(
            pd.DataFrame(
                {"label": ["A"], "estimate": [-0.2], "ci_lower": [-0.5], "ci_upper": [0.1]}
            ),
            measure="HR",
        )
    with pytest.raises(PlotError, match="unknown column"):
        forest_plot(three_studies_hr(), columns=("estimate_ci", "nonsense"))
    with pytest.raises(PlotError, match="cannot draw"):
        forest_plot([1, 2, 3])


def test_style_presets_and_overrides():
    st = resolve_style("revman", square_color="red")
    assert st.square_color == "red" and st.header_rule and st.right_columns == ()
    with pytest.raises(PlotError, match="square_colour"):
        resolve_style("default", square_colour="red")
    with pytest.raises(PlotError, match="jama"):
        resolve_style("nejm")
    fig = forest_plot(three_studies_hr(), square_color="#ff0000", pooled_label="Pooled (REML)")
    squares = [p for p in fig.axes[0].patches if p.get_gid() == "square"]
    assert len(squares) == 3
    assert all(matplotlib.colors.to_hex(p.get_facecolor()) == "#ff0000" for p in squares)
    assert "Pooled (REML)" in [t.get_text() for t in fig.axes[0].texts]


def test_save_figure_formats(tmp_path):
    fig = forest_plot(three_studies_hr())
    svg = save_figure(fig, tmp_path / "f.svg").read_text()
    assert "Alpha 2020" in svg and "<text" in svg  # svg.fonttype='none': text stays text
    png = save_figure(fig, tmp_path / "f.png", dpi=300)
    from PIL import Image

    with Image.open(png) as im:
        assert im.size[0] == round(fig.get_figwidth() * 300)
    funnel = funnel_plot(three_studies_hr())  # not a forest plot: scaled to the width
    png = save_figure(funnel, tmp_path / "funnel.png", width_mm=60, dpi=300)
    with Image.open(png) as im:
        assert abs(im.size[0] - 60 / 25.4 * 300) < 1
    tif = save_figure(fig, tmp_path / "f.tiff", dpi=300)
    with Image.open(tif) as im:
        assert im.format == "TIFF"
    with pytest.raises(PlotError, match="extension|cannot save"):
        save_figure(fig, tmp_path / "f.docx")
    with pytest.raises(PlotError, match="300-600 dpi"):
        save_figure(fig, tmp_path / "f.tif", dpi=100)


def test_raster_figures_are_rgb_without_alpha_and_tiff_is_lzw(tmp_path):
    """Journal checkers (PLOS PACE) reject RGBA; TIFF must be LZW at 300-600 dpi."""
    from PIL import Image

    fig = forest_plot(three_studies_hr())
    with Image.open(save_figure(fig, tmp_path / "f.png", dpi=300)) as im:
        assert im.mode == "RGB" and im.format == "PNG"
        assert tuple(round(d) for d in im.info["dpi"]) == (300, 300)
        assert im.getpixel((0, 0)) == (255, 255, 255)  # white, not transparent
    with Image.open(save_figure(fig, tmp_path / "f.tif", dpi=600)) as im:
        assert im.mode == "RGB" and im.info["compression"] == "tiff_lzw"
        assert tuple(round(d) for d in im.info["dpi"]) == (600, 600)
    eps = save_figure(fig, tmp_path / "f.eps").read_bytes()
    assert eps.startswith(b"%!PS-Adobe") and b"/FontType 42" in eps  # fonts embedded


def test_default_width_fits_a_double_column_and_font_is_chosen(tmp_path):
    fig = forest_plot(long_label_analysis())
    assert fig.get_figwidth() * 25.4 <= 180 + 1e-6
    single = forest_plot(three_studies_hr(), columns=("estimate_ci",), width_mm=85)
    assert single.get_figwidth() * 25.4 == pytest.approx(85, abs=0.1)
    serif = forest_plot(three_studies_hr(), font_family="DejaVu Serif")
    svg = save_figure(serif, tmp_path / "s.svg").read_text()
    assert "DejaVu Serif" in svg
    with pytest.raises(PlotError, match="not installed"):
        forest_plot(three_studies_hr(), font_family="No Such Font 123")


def test_save_figure_relayouts_forest_at_new_width(tmp_path):
    fig = forest_plot(long_label_analysis())
    assert fig.get_figwidth() * 25.4 > 175
    save_figure(fig, tmp_path / "f.pdf", width_mm=175)
    assert fig.get_figwidth() * 25.4 == pytest.approx(175, abs=0.1)
    assert_clean_layout(fig)


def test_funnel_axes_and_trimfill_points():
    res = rr_analysis(counts_frame())
    fig = funnel_plot(res, contours=True)
    ax = fig.axes[0]
    y0, y1 = ax.get_ylim()
    assert y0 > y1 == 0  # standard error axis inverted, 0 at the top
    offsets = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(offsets[:, 1], np.sqrt(res.vi))
    np.testing.assert_allclose(offsets[:, 0], res.yi)

    class Filled:  # the trim-and-fill result's contract: imputed yi, vi and adjusted estimate
        filled_yi = (0.3, 0.5)
        filled_vi = (0.09, 0.16)
        estimate = -0.5

    fig = funnel_plot(res, trimfill=Filled())
    pts = fig.axes[0].collections[-1]
    np.testing.assert_allclose(pts.get_offsets(), [[0.3, 0.3], [0.5, 0.4]])
    assert matplotlib.colors.to_hex(pts.get_facecolor()[0]) == "#ffffff"  # open circles
    with pytest.raises(PlotError, match="filled"):
        funnel_plot(res, trimfill=object())


def test_result_method_and_bayesian_header():
    from evsynth.pooling.bayes import bayesian_meta_analysis

    df = counts_frame()
    fig = rr_analysis(df).forest_plot(columns=("estimate_ci",))
    assert "Risk ratio [95% CI]" in [t.get_text() for t in fig.axes[0].texts]
    b = bayesian_meta_analysis(
        df["yi"].to_numpy(), df["vi"].to_numpy(), labels=list(df["label"]), measure="RR"
    )
    texts = [t.get_text() for t in forest_plot(b).axes[0].texts]
    assert "Risk ratio [95% CrI]" in texts
    lo, hi = b.mu_ci
    assert f"{math.exp(b.mu_median):.2f} [{math.exp(lo):.2f}, {math.exp(hi):.2f}]" in texts


def test_sensitivity_rejects_mixed_measures():
    from evsynth.plots import sensitivity_plot

    with pytest.raises(PlotError, match="measure"):
        sensitivity_plot({"HR": three_studies_hr(), "RR": rr_analysis(counts_frame())})


def test_figure_shows_itself_in_jupyter():
    png = forest_plot(single_study())._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
