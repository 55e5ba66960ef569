"""Bayesian random-effects meta-analysis for few studies, by numerical integration (no MCMC).

Model (normal-normal hierarchical model, NNHM)::

    y_i | theta_i ~ N(theta_i, v_i),   theta_i | mu, tau ~ N(mu, tau²),
    tau ~ half-normal(scale) [or half-Cauchy(scale)],   mu ~ flat [or N(m0, s0²)].

With ``mu`` integrated out analytically the marginal posterior of ``tau`` is one-dimensional
(Röver 2020, J Stat Softw 93(6), section 2; Gelman et al. 2013, BDA3 section 5.4)::

    p(tau | y) ∝ p(tau) * V(tau)^(1/2) * prod_i (v_i + tau²)^(-1/2)
                 * exp(-1/2 * [sum_i (y_i - mu(tau))² / (v_i + tau²) + (m0 - mu(tau))² / s0²])

with ``w_i = 1/(v_i + tau²)``, ``V(tau) = 1 / (sum w_i + 1/s0²)`` and
``mu(tau) = V(tau) (sum w_i y_i + m0/s0²)`` (drop the ``s0`` terms for the flat prior). Given
``tau``, ``mu`` is normal, ``N(mu(tau), V(tau))``, so the marginal posterior of ``mu`` is a
continuous normal mixture over ``p(tau | y)``, and a new study's true effect ``theta_new`` is the
mixture of ``N(mu(tau), V(tau) + tau²)``. ``tau`` is integrated on a fine grid (20,001 points
in ``u = tau/(tau + scale)``, trapezoid rule); quantiles of the mixtures are found by Brent's
method on the mixture CDF. Intervals are central (equal-tailed).

Default prior: half-normal with scale 0.5 on ``tau`` for log odds/risk/hazard ratios
(Röver C, Bender R, Dias S, Schmid CH, Schmidli H, Sturtz S, Weber S, Friede T (2021). On
weakly informative prior distributions for the heterogeneity parameter in Bayesian
random-effects meta-analysis. Res Synth Methods 12:448-474: half-normal(0.5) a reasonable
default for log-OR/log-HR, half-normal(1.0) more conservative; Friede T, Röver C, Wandel S,
Neuenschwander B (2017). Meta-analysis of few small studies in orphan diseases. Res Synth
Methods 8:79-91, and Meta-analysis of two studies in the presence of heterogeneity with
applications in rare diseases. Biom J 59:658-671).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.lazy import lazy_module
from evsynth.errors import PoolingError

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

TAU_PRIORS = ("halfnormal", "halfcauchy")
RATIO_MEASURES = ("HR", "OR", "RR", "IRR", "ROM")
GRID_POINTS = 20001

PRIOR_NOTE = (
    "Prior on tau: half-{dist}(scale {scale:g}). Half-normal(0.5) is a reasonable default for "
    "log odds/risk/hazard ratios and half-normal(1.0) a more conservative one (Röver et al. "
    "2021, Res Synth Methods 12:448; Friede et al. 2017, Res Synth Methods 8:79). Report a "
    "sensitivity analysis with the other scale."
)


@dataclass(frozen=True)
class BayesianMetaAnalysis(FrameDisplay):
    """Posterior summaries of a Bayesian random-effects meta-analysis.

    Attributes
    ----------
    measure, k, level : effect measure code, number of studies, credible level
    tau_prior, tau_scale : prior on the heterogeneity SD tau
    mu_prior_mean, mu_prior_sd : normal prior on mu (``None`` sd: flat, improper uniform)
    mu_median, mu_mean, mu_sd, mu_ci : posterior of the mean effect (analysis scale)
    tau_median, tau_mean, tau_ci : posterior of tau
    theta_new_median, pi : posterior predictive median and central interval for a new
        study's true effect ``theta_new ~ N(mu, tau²)``
    prob_mu_below_zero : posterior probability that mu < 0 (benefit, for a ratio < 1 where
        lower is better)
    yi, vi, labels, notes : input and every choice made
    tau_grid, tau_density : the posterior density of tau on its integration grid (for plots)
    """

    measure: str
    k: int
    level: float
    tau_prior: str
    tau_scale: float
    mu_prior_mean: float
    mu_prior_sd: float | None
    mu_median: float
    mu_mean: float
    mu_sd: float
    mu_ci: tuple[float, float]
    tau_median: float
    tau_mean: float
    tau_ci: tuple[float, float]
    theta_new_median: float
    pi: tuple[float, float]
    prob_mu_below_zero: float
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    labels: tuple[str, ...]
    notes: tuple[str, ...] = ()
    tau_grid: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    tau_density: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _mix_mean: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _mix_var: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _mix_weight: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    _display_title = "Bayesian random-effects meta-analysis"

    @property
    def ratio_scale(self) -> bool:
        """True when ``yi`` are log ratios (HR, OR, RR, IRR, ROM)."""
        return self.measure in RATIO_MEASURES

    def prob_mu_below(self, x: float) -> float:
        """Posterior probability that mu < x (analysis scale; e.g. ``log(0.8)`` for HR < 0.8)."""
        return float(_mixture_cdf(x, self._mix_mean, self._mix_var, self._mix_weight))

    def to_frame(self) -> pd.DataFrame:
        """Rows mu, (exp(mu) for ratio measures), tau, theta_new; posterior median, mean, sd, interval."""
        lo, hi = f"ci_lower_{_tag(self.level)}", f"ci_upper_{_tag(self.level)}"
        rows = [
            {"parameter": "mu", "median": self.mu_median, "mean": self.mu_mean, "sd": self.mu_sd,
             lo: self.mu_ci[0], hi: self.mu_ci[1]},
        ]  # fmt: skip
        if self.ratio_scale:
            rows.append(
                {"parameter": f"exp(mu) ({self.measure})", "median": math.exp(self.mu_median),
                 "mean": math.nan, "sd": math.nan, lo: math.exp(self.mu_ci[0]), hi: math.exp(self.mu_ci[1])}
            )  # fmt: skip
        rows.append(
            {"parameter": "tau", "median": self.tau_median, "mean": self.tau_mean, "sd": math.nan,
             lo: self.tau_ci[0], hi: self.tau_ci[1]}
        )  # fmt: skip
        rows.append(
            {"parameter": "theta_new", "median": self.theta_new_median, "mean": self.mu_mean,
             "sd": math.nan, lo: self.pi[0], hi: self.pi[1]}
        )  # fmt: skip
        if self.ratio_scale:
            rows.append(
                {"parameter": f"exp(theta_new) ({self.measure})", "median": math.exp(self.theta_new_median),
                 "mean": math.nan, "sd": math.nan, lo: math.exp(self.pi[0]), hi: math.exp(self.pi[1])}
            )  # fmt: skip
        frame = pd.DataFrame(rows).set_index("parameter")
        frame.attrs["prob_mu_below_zero"] = self.prob_mu_below_zero
        return frame

    def _display_notes(self) -> list[str]:
        return [f"P(mu < 0 | data) = {self.prob_mu_below_zero:.4f}"] + list(self.notes)

    def __repr__(self) -> str:
        pct = f"{self.level * 100:g}%"
        prior_mu = (
            "flat"
            if self.mu_prior_sd is None
            else f"N({self.mu_prior_mean:g}, {self.mu_prior_sd:g}²)"
        )
        lines = [
            f"Bayesian random-effects meta-analysis (k = {self.k}; tau ~ half-"
            f"{self.tau_prior[4:]}({self.tau_scale:g}); mu ~ {prior_mu})",
            f"  mu:        median {self.mu_median:.4f}, mean {self.mu_mean:.4f}, {pct} CrI "
            f"[{self.mu_ci[0]:.4f}, {self.mu_ci[1]:.4f}]",
        ]
        if self.ratio_scale:
            e = math.exp
            lines.append(
                f"  {self.measure}:        {e(self.mu_median):.4g} [{e(self.mu_ci[0]):.4g}, {e(self.mu_ci[1]):.4g}]"
            )
        lines += [
            f"  tau:       median {self.tau_median:.4f}, {pct} CrI [{self.tau_ci[0]:.4f}, {self.tau_ci[1]:.4f}]",
            f"  theta_new: {pct} predictive interval [{self.pi[0]:.4f}, {self.pi[1]:.4f}]",
            f"  P(mu < 0) = {self.prob_mu_below_zero:.4f}",
        ]
        return "\n".join(lines)


def _tag(level: float) -> str:
    return f"{level * 100:.10g}".replace(".", "_")


def _log_tau_prior(tau: np.ndarray, prior: str, scale: float) -> np.ndarray:
    if prior == "halfnormal":
        return math.log(2.0) + stats.norm.logpdf(tau, scale=scale)
    return math.log(2.0 / (math.pi * scale)) - np.log1p((tau / scale) ** 2)


def _mixture_cdf(x: float, mean: np.ndarray, var: np.ndarray, weight: np.ndarray) -> float:
    return float(np.sum(weight * special.ndtr((x - mean) / np.sqrt(var))))


def _mixture_quantile(p: float, mean: np.ndarray, var: np.ndarray, weight: np.ndarray) -> float:
    sd = np.sqrt(var)
    lo = float(np.min(mean - 40 * sd))
    hi = float(np.max(mean + 40 * sd))
    return float(
        optimize.brentq(
            lambda x: _mixture_cdf(x, mean, var, weight) - p, lo, hi, xtol=1e-12, rtol=1e-12
        )
    )


def tau_posterior(
    yi: np.ndarray,
    vi: np.ndarray,
    *,
    tau_prior: str = "halfnormal",
    tau_scale: float = 0.5,
    mu_prior_mean: float = 0.0,
    mu_prior_sd: float | None = None,
    n: int = GRID_POINTS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Marginal posterior of tau on a grid, with the conditional posterior of mu at each point.

    Returns ``(tau, weight, mu_mean, mu_var, density)``: grid points, normalized quadrature
    weights (trapezoid in ``u = tau/(tau + scale)``, summing to 1), ``E[mu | tau, y]``,
    ``Var[mu | tau, y]`` and the normalized density ``p(tau | y)``. Formula: module docstring
    (Röver 2020, J Stat Softw 93(6), section 2).
    """
    y = np.asarray(yi, float)
    v = np.asarray(vi, float)
    u = np.linspace(0.0, 1.0, n)[:-1]  # u = 1 is tau = infinity, where the density is 0
    tau = tau_scale * u / (1.0 - u)
    jac = tau_scale / (1.0 - u) ** 2
    s = v[None, :] + tau[:, None] ** 2
    w = 1.0 / s
    w0 = 0.0 if mu_prior_sd is None else 1.0 / mu_prior_sd**2
    sw = w.sum(axis=1) + w0
    mu = ((w * y[None, :]).sum(axis=1) + w0 * mu_prior_mean) / sw
    rss = (w * (y[None, :] - mu[:, None]) ** 2).sum(axis=1) + w0 * (mu_prior_mean - mu) ** 2
    loglik = -0.5 * np.log(s).sum(axis=1) - 0.5 * np.log(sw) - 0.5 * rss
    logpost = _log_tau_prior(tau, tau_prior, tau_scale) + loglik
    dens_u = np.exp(logpost - logpost.max()) * jac
    trap = np.full(len(u), 1.0 / (n - 1))
    trap[0] /= 2
    weight = dens_u * trap
    total = weight.sum()
    weight = weight / total
    density = dens_u / jac / total  # p(tau | y), integrates to 1 over tau
    return tau, weight, mu, 1.0 / sw, density


def bayesian_meta_analysis(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    measure: str = "GEN",
    tau_prior: str = "halfnormal",
    tau_scale: float = 0.5,
    mu_prior_mean: float = 0.0,
    mu_prior_sd: float | None = None,
    level: float = 0.95,
) -> BayesianMetaAnalysis:
    """Bayesian random-effects meta-analysis (normal-normal hierarchical model) by quadrature.

    Parameters
    ----------
    yi, vi : effect sizes on the analysis scale (log for ratios) and sampling variances
        (or ``sei``)
    labels : study labels
    measure : effect measure code; "HR"/"OR"/"RR" add ratio-scale rows to ``to_frame()``
    tau_prior : "halfnormal" (default) or "halfcauchy"
    tau_scale : prior scale of tau (default 0.5, for log ratios; Röver et al. 2021). On
        another scale (risk differences, mean differences) choose it for that scale.
    mu_prior_mean, mu_prior_sd : normal prior on mu; ``mu_prior_sd=None`` (default) is the flat
        (improper uniform) prior, as bayesmeta's default
    level : credible level (central intervals)

    Returns
    -------
    BayesianMetaAnalysis

    Notes
    -----
    The marginal posterior of tau is computed in closed form up to a constant (module
    docstring; Röver 2020, J Stat Softw 93(6)) on a 20,000-point grid; mu and a new study's
    effect are normal mixtures over it. No Monte Carlo error.

    Raises
    ------
    PoolingError
        for invalid input (as ``meta_analysis``), an unknown prior, or a non-positive scale.
    """
    from evsynth.pooling.data import prepare_input

    inp = prepare_input(yi, vi, sei=sei, labels=labels, measure=measure)
    y, v = inp.yi, inp.vi
    prior = str(tau_prior).lower().replace("-", "").replace("_", "")
    if prior not in TAU_PRIORS:
        raise PoolingError(f"tau_prior must be one of {list(TAU_PRIORS)}; got {tau_prior!r}.")
    if not (np.isfinite(tau_scale) and tau_scale > 0):
        raise PoolingError(
            f"tau_scale must be a positive number (e.g. 0.5 for log ratios); got {tau_scale!r}."
        )
    if mu_prior_sd is not None and not (np.isfinite(mu_prior_sd) and mu_prior_sd > 0):
        raise PoolingError(
            f"mu_prior_sd must be positive or None (flat prior); got {mu_prior_sd!r}."
        )
    lv = float(level)
    if not 0 < lv < 1:
        raise PoolingError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}.")
    tau, wt, m, var, dens = tau_posterior(
        y,
        v,
        tau_prior=prior,
        tau_scale=tau_scale,
        mu_prior_mean=mu_prior_mean,
        mu_prior_sd=mu_prior_sd,
    )
    alpha = (1 - lv) / 2
    # tau: CDF at the grid points by accumulating the trapezoid weights
    cdf = np.cumsum(wt) - wt / 2
    cdf[0] = 0.0

    def tau_q(p: float) -> float:
        return float(np.interp(p, cdf, tau))

    mu_mean = float(np.sum(wt * m))
    mu_sd = float(math.sqrt(max(0.0, np.sum(wt * (var + m**2)) - mu_mean**2)))
    pvar = var + tau**2
    notes = [
        PRIOR_NOTE.format(dist=prior[4:], scale=tau_scale),
        "Prior on mu: "
        + (
            "flat (improper uniform), as bayesmeta's default."
            if mu_prior_sd is None
            else f"N({mu_prior_mean:g}, {mu_prior_sd:g}²)."
        ),
        "Posterior by numerical integration over tau (closed-form marginal likelihood, Röver 2020 "
        "J Stat Softw 93(6)); mu and theta_new are normal mixtures. Intervals are central "
        f"{lv * 100:g}% credible intervals (bayesmeta's default is the shortest interval).",
        "theta_new is the true effect of a new study, N(mu, tau²) (posterior predictive).",
    ]
    if inp.measure not in RATIO_MEASURES and tau_scale == 0.5 and prior == "halfnormal":
        notes.append(
            f"measure={inp.measure!r}: the default tau scale 0.5 was proposed for log odds/hazard "
            "ratios; on another scale choose tau_scale for that scale."
        )
    if len(y) == 1:
        notes.append(
            "One study: the tau posterior is its prior; mu's interval is driven by the prior on tau."
        )
    return BayesianMetaAnalysis(
        measure=inp.measure,
        k=len(y),
        level=lv,
        tau_prior=prior,
        tau_scale=float(tau_scale),
        mu_prior_mean=float(mu_prior_mean),
        mu_prior_sd=None if mu_prior_sd is None else float(mu_prior_sd),
        mu_median=_mixture_quantile(0.5, m, var, wt),
        mu_mean=mu_mean,
        mu_sd=mu_sd,
        mu_ci=(_mixture_quantile(alpha, m, var, wt), _mixture_quantile(1 - alpha, m, var, wt)),
        tau_median=tau_q(0.5),
        tau_mean=float(np.sum(wt * tau)),
        tau_ci=(tau_q(alpha), tau_q(1 - alpha)),
        theta_new_median=_mixture_quantile(0.5, m, pvar, wt),
        pi=(_mixture_quantile(alpha, m, pvar, wt), _mixture_quantile(1 - alpha, m, pvar, wt)),
        prob_mu_below_zero=_mixture_cdf(0.0, m, var, wt),
        yi=tuple(map(float, y)),
        vi=tuple(map(float, v)),
        labels=inp.labels,
        notes=tuple(notes),
        tau_grid=tau,
        tau_density=dens,
        _mix_mean=m,
        _mix_var=var,
        _mix_weight=wt,
    )
