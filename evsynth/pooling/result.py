"""Result objects of a meta-analysis (:class:`MetaAnalysis`) and meta-regression (:class:`MetaRegression`).

Field names follow metafor, Python-cased (``tau2``, ``i2`` in percent 0-100, ``h2``, ``q``,
``ci`` = (lower, upper), ``pi`` = prediction interval). Both are frozen dataclasses with
``to_frame()``, an HTML repr for Jupyter and a text repr modelled on metafor's ``print.rma``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth.errors import PoolingError

RATIO_MEASURES = ("HR", "OR", "RR", "IRR", "ROM")

NOT_CONVERGED = (
    "WARNING: the tau² estimator did NOT converge; every number below is unreliable "
    "(try method='PM' or 'DL')."
)

TEST_LABELS = {
    "z": "z-test (normal quantiles)",
    "knha": "Hartung-Knapp-Sidik-Jonkman t-test",
    "adhoc": "Hartung-Knapp-Sidik-Jonkman t-test, scale factor floored at 1 (ad hoc)",
}


#: inspection functions by verb, registered by the modules that define them (influence, bias,
#: gosh, permutation, subgroup) with :func:`inspection`; the methods of a fit call them. They
#: refit the model, so they import this module: the registry keeps this module from importing
#: them back (no import circle).
_VERBS: dict[str, Any] = {}


def inspection(verb: str):
    """Register a function that inspects a fitted :class:`MetaAnalysis` as ``res.<verb>()``."""

    def register(func):
        _VERBS[verb] = func
        return func

    return register


def _verb(verb: str):
    if verb not in _VERBS:  # the package __init__ imports every registering module
        raise PoolingError(f"{verb} is not available: import evsynth.pooling first.")
    return _VERBS[verb]


def level_tag(level: float) -> str:
    """Column suffix for a confidence level: 0.95 -> '95', 0.975 -> '97_5'."""
    return f"{level * 100:.10g}".replace(".", "_")


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    return f"{x:.{digits}f}"


def _fmt_p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NaN"
    return "p < .0001" if p < 1e-4 else f"p = {p:.4f}"


@dataclass(frozen=True)
class MetaAnalysis(FrameDisplay):
    """A fitted (intercept-only) meta-analysis, as metafor's ``rma(yi, vi, method=, test=)``.

    Attributes
    ----------
    measure : effect measure code ("HR", "OR", "RR", "RD", ..., "GEN"); ``yi`` are on the
        analysis scale (log for ratio measures)
    method : tau² estimator ("REML", "DL", ...), or "FE"/"EE" for a common-effect model
    test : "z", "knha" or "adhoc"
    level : confidence level of ``ci``, ``pi``, ``tau2_ci``, ``i2_ci``
    k : number of studies
    estimate, se, ci : pooled estimate, its standard error (scaled under knha/adhoc) and CI
    statistic, df, pvalue : z or t statistic, its degrees of freedom (None for z), two-sided p
    tau2, tau : between-study variance and SD (nan with a note when k = 1)
    i2, h2 : I² (percent) and H² as metafor
    q, q_df, q_pvalue : Cochran's Q test of heterogeneity
    pi, pi_method : prediction interval and how it was computed ("metafor" or "hts")
    tau2_ci, i2_ci, h2_ci : Q-profile confidence intervals (Viechtbauer 2007)
    weights : per-study weights in percent (sum 100), as metafor ``weights()``
    yi, vi, labels : the input
    notes : every choice made and every warning, in plain words
    converged : False when the tau² solver found no optimum (then every number is unreliable)
    """

    measure: str
    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    ci: tuple[float, float]
    statistic: float
    df: int | None
    pvalue: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    pi: tuple[float, float]
    pi_method: str
    tau2_ci: tuple[float, float]
    i2_ci: tuple[float, float]
    h2_ci: tuple[float, float]
    weights: tuple[float, ...]
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    labels: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    converged: bool = True

    _display_title = "Meta-analysis"

    # ----------------------------------------------------------------- frames
    @property
    def ci_lower(self) -> float:
        return self.ci[0]

    @property
    def ci_upper(self) -> float:
        return self.ci[1]

    @property
    def pi_lower(self) -> float:
        return self.pi[0]

    @property
    def pi_upper(self) -> float:
        return self.pi[1]

    @property
    def sei(self) -> tuple[float, ...]:
        return tuple(math.sqrt(v) for v in self.vi)

    def to_frame(self) -> pd.DataFrame:
        """One summary row; interval columns carry the level, e.g. ``ci_lower_95``."""
        t = level_tag(self.level)
        row: dict[str, Any] = {
            "measure": self.measure,
            "method": self.method,
            "test": self.test,
            "k": self.k,
            "estimate": self.estimate,
            "se": self.se,
            f"ci_lower_{t}": self.ci[0],
            f"ci_upper_{t}": self.ci[1],
            "statistic": self.statistic,
            "df": self.df,
            "pvalue": self.pvalue,
            "tau2": self.tau2,
            "tau": self.tau,
            "i2": self.i2,
            "h2": self.h2,
            "q": self.q,
            "q_df": self.q_df,
            "q_pvalue": self.q_pvalue,
            f"pi_lower_{t}": self.pi[0],
            f"pi_upper_{t}": self.pi[1],
            "pi_method": self.pi_method,
            f"tau2_ci_lower_{t}": self.tau2_ci[0],
            f"tau2_ci_upper_{t}": self.tau2_ci[1],
            f"i2_ci_lower_{t}": self.i2_ci[0],
            f"i2_ci_upper_{t}": self.i2_ci[1],
            "converged": self.converged,
        }
        return pd.DataFrame([row])

    def study_frame(self) -> pd.DataFrame:
        """Per study: label, yi, vi, sei, normal-theory CI at ``level`` and weight (percent)."""
        from scipy import stats

        t = level_tag(self.level)
        z = float(stats.norm.isf((1 - self.level) / 2))
        yi = np.asarray(self.yi)
        sei = np.sqrt(np.asarray(self.vi))
        return pd.DataFrame(
            {
                "label": list(self.labels),
                "yi": yi,
                "vi": np.asarray(self.vi),
                "sei": sei,
                f"ci_lower_{t}": yi - z * sei,
                f"ci_upper_{t}": yi + z * sei,
                "weight": np.asarray(self.weights),
            }
        )

    def transformed(self) -> pd.DataFrame:
        """Estimate, CI and PI back-transformed to the ratio scale (exp) for HR/OR/RR.

        Raises
        ------
        PoolingError
            if ``measure`` is not a ratio measure (the analysis scale is then the natural one).
        """
        if self.measure not in RATIO_MEASURES:
            raise PoolingError(
                f"transformed() applies to ratio measures {RATIO_MEASURES}; this analysis has "
                f"measure={self.measure!r}, whose estimate is already on its natural scale. "
                "Pass measure='HR' (or OR/RR) to meta_analysis if yi are log ratios."
            )
        t = level_tag(self.level)
        return pd.DataFrame(
            [
                {
                    "measure": self.measure,
                    "estimate": math.exp(self.estimate),
                    f"ci_lower_{t}": math.exp(self.ci[0]),
                    f"ci_upper_{t}": math.exp(self.ci[1]),
                    f"pi_lower_{t}": math.exp(self.pi[0]),
                    f"pi_upper_{t}": math.exp(self.pi[1]),
                    "pvalue": self.pvalue,
                }
            ]
        )

    def forest_plot(self, **kw: Any) -> Any:
        """Draw a forest plot with :func:`evsynth.plots.forest_plot` (imported lazily)."""
        from evsynth.plots import forest_plot

        return forest_plot(self, **kw)

    def funnel_plot(self, **kw: Any) -> Any:
        """Draw a funnel plot with :func:`evsynth.plots.funnel_plot` (imported lazily)."""
        from evsynth.plots import funnel_plot

        return funnel_plot(self, **kw)

    # ----------------------------------------------------------------- inspecting the fit
    # Each uses this fit's data, labels, measure, method, test and level (metafor's idiom:
    # leave1out(res), cumul(res), regtest(res), trimfill(res), gosh(res), permutest(res)).
    def leave_one_out(self) -> pd.DataFrame:
        """The fit refitted without each study in turn (:func:`evsynth.leave_one_out`)."""
        return _verb("leave_one_out")(self)

    def cumulative(self, order: Any = None, decreasing: bool = False) -> pd.DataFrame:
        """Cumulative meta-analysis, studies added in ``order`` (:func:`evsynth.cumulative`)."""
        return _verb("cumulative")(self, order=order, decreasing=decreasing)

    def gosh(self, **kw: Any) -> pd.DataFrame:
        """Fits of every subset of the studies (:func:`evsynth.gosh`; ``max_k``)."""
        return _verb("gosh")(self, **kw)

    def egger(self, model: str = "rma", force: bool = False) -> Any:
        """Egger's regression test on this fit's studies (:func:`evsynth.egger_test`)."""
        return _verb("egger")(self, model=model, force=force)

    def trim_and_fill(
        self, estimator: str = "L0", side: str | None = None, force: bool = False
    ) -> Any:
        """Duval & Tweedie's trim-and-fill (:func:`evsynth.trim_and_fill`)."""
        return _verb("trim_and_fill")(self, estimator=estimator, side=side, force=force)

    def permutation_test(self, **kw: Any) -> Any:
        """Exact or Monte Carlo permutation test of the pooled effect
        (:func:`evsynth.permutation_test`; ``max_k``)."""
        return _verb("permutation_test")(self, **kw)

    def subgroups(self, groups: Any, between: str = "separate") -> Any:
        """Subgroup analysis of this fit's studies by ``groups`` (one per study;
        :func:`evsynth.subgroup_analysis`)."""
        return _verb("subgroups")(self, groups=groups, between=between)

    # ----------------------------------------------------------------- display
    def _repr_html_(self) -> str:
        """The fit as an HTML table; for ratio measures the ratio-scale estimate, CI and PI
        come first (as ``print`` shows them), the log-scale columns after."""
        from evsynth._shared.display import frame_html

        frame = self.to_frame()
        if self.measure in RATIO_MEASURES:
            t = level_tag(self.level)
            ratio = self.transformed().drop(columns=["measure", "pvalue"])
            ratio.columns = [self.measure] + [f"{self.measure}_{c}" for c in ratio.columns[1:]]
            on_log = ["estimate", "se", f"ci_lower_{t}", f"ci_upper_{t}", f"pi_lower_{t}",
                      f"pi_upper_{t}"]  # fmt: skip
            head = frame[["measure", "method", "test", "k"]]
            rest = frame.drop(columns=[*head.columns]).rename(
                columns={c: f"log_{c}" for c in on_log}
            )
            frame = pd.concat([head, ratio, rest], axis=1)
        return frame_html(frame, self._display_title, self._display_notes())

    def _display_notes(self) -> list[str]:
        return ([] if self.converged else [NOT_CONVERGED]) + list(self.notes)

    def __str__(self) -> str:
        pct = f"{self.level * 100:g}%"
        common = self.method in ("FE", "EE")
        head = "Common-effect model" if common else "Random-effects model"
        lines = [
            f"{head} (k = {self.k}; "
            + (f"tau² estimator: {self.method})" if not common else "tau² = 0 assumed)"),
            "",
        ]
        if not self.converged:
            lines[1:1] = [NOT_CONVERGED]
        if not common:
            lines.append(
                f"tau² (estimated amount of total heterogeneity): {_fmt(self.tau2)} ({pct} CI {_fmt(self.tau2_ci[0])}, {_fmt(self.tau2_ci[1])})"
            )
            lines.append(f"tau (square root of estimated tau² value):      {_fmt(self.tau)}")
        lines.append(
            f"I² (total heterogeneity / total variability):   {_fmt(self.i2, 2)}%"
            + ("" if common else f" ({pct} CI {_fmt(self.i2_ci[0], 2)}, {_fmt(self.i2_ci[1], 2)})")
        )
        lines.append(f"H² (total variability / sampling variability):  {_fmt(self.h2, 2)}")
        lines.append("")
        if self.k > 1:
            lines.append(
                f"Test for heterogeneity: Q(df = {self.q_df}) = {_fmt(self.q)}, {_fmt_p(self.q_pvalue)}"
            )
            lines.append("")
        stat = "z" if self.df is None else f"t(df = {self.df})"
        lines.append(
            f"Model results ({TEST_LABELS.get(self.test, self.test)}; measure {self.measure}):"
        )
        lines.append(
            f"  estimate {_fmt(self.estimate)}  se {_fmt(self.se)}  {stat} {_fmt(self.statistic)}  {_fmt_p(self.pvalue)}"
        )
        lines.append(
            f"  {pct} CI [{_fmt(self.ci[0])}, {_fmt(self.ci[1])}]   {pct} PI [{_fmt(self.pi[0])}, {_fmt(self.pi[1])}] ({self.pi_method})"
        )
        if self.measure in RATIO_MEASURES:
            e = math.exp
            lines.append(
                f"  {self.measure} {e(self.estimate):.4g} [{e(self.ci[0]):.4g}, {e(self.ci[1]):.4g}]"
                + (
                    ""
                    if math.isnan(self.pi[0])
                    else f"   PI [{e(self.pi[0]):.4g}, {e(self.pi[1]):.4g}]"
                )
            )
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"  - {n}" for n in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()


@dataclass(frozen=True)
class MetaRegression(FrameDisplay):
    """A fitted mixed-effects meta-regression, as metafor's ``rma(yi, vi, mods=..., method=, test=)``.

    Attributes
    ----------
    coef_names : names of the coefficients ("intrcpt" first)
    beta, se, statistic, pvalue, ci_lower, ci_upper : per coefficient (tuples, ``coef_names`` order)
    df : t degrees of freedom (k - p) under knha/adhoc, None for z
    qm, qm_df, qm_pvalue, qm_test : omnibus test of the moderators (all but the intercept):
        chi²(m) under z; F(m, k-p) under knha/adhoc (``qm`` is then the F statistic, ``qm_df``
        the pair (m, k-p))
    q, q_df, q_pvalue : test for residual heterogeneity (QE)
    tau2, tau, i2, h2 : residual heterogeneity
    r2 : pseudo-R² in percent (metafor: max(0, 100 (tau²_RE - tau²)/tau²_RE)); nan (undefined)
        when tau²_RE is negligible (<= 1e-8 x median vi), where metafor prints 0
    tau2_ci, i2_ci, h2_ci : Q-profile CIs of residual tau², I², H²
    X : design matrix rows (with the intercept column)
    converged : False when the tau² solver found no optimum (then every number is unreliable)
    """

    measure: str
    method: str
    test: str
    level: float
    k: int
    p: int
    coef_names: tuple[str, ...]
    beta: tuple[float, ...]
    se: tuple[float, ...]
    statistic: tuple[float, ...]
    pvalue: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    df: int | None
    qm: float
    qm_df: tuple[int, ...]
    qm_pvalue: float
    qm_test: str
    q: float
    q_df: int
    q_pvalue: float
    tau2: float
    tau: float
    i2: float
    h2: float
    r2: float
    tau2_ci: tuple[float, float]
    i2_ci: tuple[float, float]
    h2_ci: tuple[float, float]
    vb: tuple[tuple[float, ...], ...]
    X: tuple[tuple[float, ...], ...]
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    labels: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    converged: bool = True

    _display_title = "Meta-regression"

    @property
    def coefficients(self) -> pd.DataFrame:
        """The coefficient table (same as :meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: estimate, se, statistic, df, pvalue, CI (level in column names)."""
        t = level_tag(self.level)
        return pd.DataFrame(
            {
                "estimate": self.beta,
                "se": self.se,
                "statistic": self.statistic,
                "df": [self.df] * self.p,
                "pvalue": self.pvalue,
                f"ci_lower_{t}": self.ci_lower,
                f"ci_upper_{t}": self.ci_upper,
            },
            index=pd.Index(self.coef_names, name="coefficient"),
        )

    def summary_frame(self) -> pd.DataFrame:
        """One row of model-level statistics (QM, QE, tau², I², H², R²)."""
        t = level_tag(self.level)
        return pd.DataFrame(
            [
                {
                    "method": self.method,
                    "test": self.test,
                    "k": self.k,
                    "p": self.p,
                    "qm": self.qm,
                    "qm_df": self.qm_df,
                    "qm_pvalue": self.qm_pvalue,
                    "qm_test": self.qm_test,
                    "q": self.q,
                    "q_df": self.q_df,
                    "q_pvalue": self.q_pvalue,
                    "tau2": self.tau2,
                    f"tau2_ci_lower_{t}": self.tau2_ci[0],
                    f"tau2_ci_upper_{t}": self.tau2_ci[1],
                    "i2": self.i2,
                    "h2": self.h2,
                    "r2": self.r2,
                    "converged": self.converged,
                }
            ]
        )

    def _display_notes(self) -> list[str]:
        return (
            ([] if self.converged else [NOT_CONVERGED])
            + [
                f"QE({self.q_df}) = {self.q:.4f}, {_fmt_p(self.q_pvalue)}; "
                + (
                    f"QM = chi²({self.qm_df[0]}) {self.qm:.4f}"
                    if self.qm_test == "chi2"
                    else f"F({self.qm_df[0]}, {self.qm_df[1]}) = {self.qm:.4f}"
                )
                + f", {_fmt_p(self.qm_pvalue)}; tau² = {self.tau2:.4g}; I² = {self.i2:.2f}%; R² = "
                + ("undefined" if math.isnan(self.r2) else f"{self.r2:.2f}%")
            ]
            + list(self.notes)
        )

    def __str__(self) -> str:
        common = self.method in ("FE", "EE")
        head = "Common-effect meta-regression" if common else "Mixed-effects meta-regression"
        lines = [
            f"{head} (k = {self.k}; "
            + ("tau² = 0 assumed)" if common else f"tau² estimator: {self.method})"),
            "",
        ]
        if not self.converged:
            lines[1:1] = [NOT_CONVERGED]
        if not common:
            lines.append(
                f"tau² (estimated amount of residual heterogeneity):     {_fmt(self.tau2)}"
            )
            lines.append(
                f"I² (residual heterogeneity / unaccounted variability): {_fmt(self.i2, 2)}%"
            )
            lines.append(
                f"H² (unaccounted variability / sampling variability):   {_fmt(self.h2, 2)}"
            )
            lines.append(
                "R² (amount of heterogeneity accounted for):            "
                + ("undefined" if math.isnan(self.r2) else f"{_fmt(self.r2, 2)}%")
            )
            lines.append("")
        lines.append(
            f"Test for residual heterogeneity: QE(df = {self.q_df}) = {_fmt(self.q)}, {_fmt_p(self.q_pvalue)}"
        )
        if self.qm_test == "F":
            lines.append(
                f"Test of moderators: F(df1 = {self.qm_df[0]}, df2 = {self.qm_df[1]}) = {_fmt(self.qm)}, {_fmt_p(self.qm_pvalue)}"
            )
        else:
            lines.append(
                f"Test of moderators: QM(df = {self.qm_df[0]}) = {_fmt(self.qm)}, {_fmt_p(self.qm_pvalue)}"
            )
        lines.append("")
        lines.append(f"Model results ({TEST_LABELS.get(self.test, self.test)}):")
        lines.append(self.to_frame().to_string(float_format=lambda v: f"{v:.4f}"))
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"  - {n}" for n in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()
