"""Fit once, inspect the fit: every inspection verb is a method of the fitted result, uses the
fit's data, measure, method, test and level, and cannot be given other options silently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evsynth
from evsynth.errors import PoolingError

# ten log hazard ratios and variances (the cumulative example of issue 19)
Y = [
    -0.151234,
    -0.47209,
    0.001004,
    -0.011233,
    0.083754,
    0.240007,
    -0.53264,
    0.030081,
    -0.126391,
    -0.30431,
]
V = [
    0.097333,
    0.038094,
    0.012036,
    0.006858,
    0.011644,
    0.019729,
    0.141963,
    0.007186,
    0.071712,
    0.037404,
]
LABELS = [f"s{i}" for i in range(10)]  # fmt: skip


@pytest.fixture(scope="module")
def fit():
    return evsynth.meta_analysis(Y, V, labels=LABELS, method="DL", test="knha", measure="HR")


def test_leave_one_out_and_cumulative_use_the_fit(fit):
    pd.testing.assert_frame_equal(
        fit.leave_one_out(),
        evsynth.leave_one_out(Y, V, labels=LABELS, method="DL", test="knha", measure="HR"),
    )
    order = list(range(10, 0, -1))
    pd.testing.assert_frame_equal(
        fit.cumulative(order=order),
        evsynth.cumulative(
            Y, V, labels=LABELS, order=order, method="DL", test="knha", measure="HR"
        ),
    )


def test_bias_verbs_use_the_fit(fit):
    a = fit.egger(force=True)
    b = evsynth.egger_test(Y, V, labels=LABELS, method="DL", test="knha", force=True)
    assert (a.statistic, a.pvalue, a.test) == (b.statistic, b.pvalue, "knha")
    tf = fit.trim_and_fill(force=True)
    ref = evsynth.trim_and_fill(
        Y, V, labels=LABELS, method="DL", test="knha", measure="HR", force=True
    )
    assert (tf.k0, tf.model.estimate, tf.original.test) == (ref.k0, ref.model.estimate, "knha")


def test_gosh_permutation_and_subgroups_use_the_fit(fit):
    small = evsynth.meta_analysis(Y[:6], V[:6], labels=LABELS[:6], method="DL", test="knha")
    pd.testing.assert_frame_equal(
        small.gosh(), evsynth.gosh(Y[:6], V[:6], labels=LABELS[:6], method="DL")
    )
    p = small.permutation_test()
    q = evsynth.permutation_test(Y[:6], V[:6], labels=LABELS[:6], method="DL", test="knha")
    assert p.pvalue == q.pvalue
    groups = ["a"] * 5 + ["b"] * 5
    s = fit.subgroups(groups)
    r = evsynth.subgroup_analysis(
        Y, V, groups, labels=LABELS, method="DL", test="knha", measure="HR"
    )
    assert s.to_frame().equals(r.to_frame())


@pytest.mark.parametrize(
    ("func", "kwargs"),
    [
        (evsynth.leave_one_out, dict(method="REML")),
        (evsynth.cumulative, dict(test="z")),
        (evsynth.egger_test, dict(test="z", force=True)),
        (evsynth.trim_and_fill, dict(method="REML", force=True)),
        (evsynth.subgroup_analysis, dict(groups=["a"] * 5 + ["b"] * 5, level=0.9)),
        (evsynth.permutation_test, dict(method="REML")),
        (evsynth.gosh, dict(method="REML")),
    ],
)
def test_a_fit_with_other_options_is_refused(fit, func, kwargs):
    with pytest.raises(PoolingError, match="the fit has"):
        func(fit, **kwargs)


def test_options_equal_to_the_fit_are_accepted(fit):
    out = evsynth.leave_one_out(fit, method="dl", test="knha")
    assert len(out) == 10 and out.attrs["method"] == "DL"


def test_funnel_plot_method_draws(fit):
    import matplotlib

    matplotlib.use("Agg")
    fig = fit.funnel_plot()
    assert fig.axes and np.isfinite(fig.axes[0].get_xlim()).all()


def test_html_shows_ratio_measures_on_the_ratio_scale(fit):
    html = fit._repr_html_()
    # hand check: exp(estimate) is what the table shows first, the log scale after
    assert html.index(">HR<") < html.index(">log_estimate<")
    assert f"{np.exp(fit.estimate):.4g}" in html
