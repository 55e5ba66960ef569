"""Bayesian random-effects meta-analysis against independent computations written here.

No R reference: bayesmeta is not installed with the validation R, and no published worked example
with numbers was available to us. Instead:

1. a brute-force 2-D grid over (mu, tau) of the *unmarginalized* joint posterior
   p(mu, tau | y) ∝ p(tau) prod_i N(y_i | mu, v_i + tau²) (no closed-form step in common with the
   implementation, which integrates mu out analytically and uses a 1-D grid in tau);
2. limits with closed forms: a tiny prior scale on tau gives the common-effect posterior
   N(mu_FE, 1/sum w); a normal prior on mu with k = 1 and tau -> 0 gives the conjugate posterior.

Data: the first four BCG trials (log risk ratios, ``escalc("RR", dat.bcg)``, stored in
validation/metafor/inference.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evsynth.errors import PoolingError
from evsynth.pooling.bayes import bayesian_meta_analysis
from tests.tolerances import BAYES_RTOL

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/inference.json").read_text())
YI = np.array(REF["data"]["yi"])[:4]
VI = np.array(REF["data"]["vi"])[:4]


def _quantiles(x, dens, probs):
    """Quantiles from a density on a grid (trapezoid CDF, linear interpolation)."""
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(x))])
    return np.interp(probs, cdf / cdf[-1], x)


def _joint_grid(y, v, log_tau_prior, log_mu_prior=None, scale=0.5, n=601):
    """Unnormalized joint posterior on a (mu, tau) grid.

    mu: even grid on [-4.5, 2] (the posterior lies well inside); tau: ``scale * tan(theta)`` for
    an even grid of theta in [0, pi/2), so heavy half-Cauchy tails are covered too.
    """
    mu = np.linspace(-4.5, 2.0, n)
    tau = scale * np.tan(np.linspace(0.0, np.pi / 2, n + 1)[:-1])
    M, T = np.meshgrid(mu, tau, indexing="ij")
    S = v[:, None, None] + T[None] ** 2
    lp = log_tau_prior(T) + (0.0 if log_mu_prior is None else log_mu_prior(M))
    lp = lp - 0.5 * np.sum(np.log(S) + (y[:, None, None] - M[None]) ** 2 / S, axis=0)
    return mu, tau, M, T, np.exp(lp - lp.max())


@pytest.mark.parametrize(
    ("prior", "scale", "mu_sd"),
    [("halfnormal", 0.5, None), ("halfnormal", 1.0, None), ("halfcauchy", 0.5, 2.0)],
)
def test_posterior_matches_brute_force_joint_grid(prior, scale, mu_sd):
    """Medians, 95% intervals, mean and P(mu < 0) within BAYES_RTOL of a 601 x 601 joint grid
    (grid error measured at ~1e-4 by refining to 1201 x 1201)."""
    res = bayesian_meta_analysis(
        YI, VI, measure="RR", tau_prior=prior, tau_scale=scale, mu_prior_sd=mu_sd
    )
    dist = stats.halfnorm if prior == "halfnormal" else stats.halfcauchy
    lmp = None if mu_sd is None else (lambda m: stats.norm.logpdf(m, 0.0, mu_sd))
    mu, tau, _, _, p = _joint_grid(YI, VI, lambda t: dist.logpdf(t, scale=scale), lmp, scale=scale)
    pm = np.trapezoid(p, tau, axis=1)
    pt = np.trapezoid(p, mu, axis=0)
    q_mu = _quantiles(mu, pm, [0.025, 0.5, 0.975])
    q_tau = _quantiles(tau, pt, [0.025, 0.5, 0.975])
    np.testing.assert_allclose([res.mu_ci[0], res.mu_median, res.mu_ci[1]], q_mu, rtol=BAYES_RTOL)
    np.testing.assert_allclose(
        [res.tau_ci[0], res.tau_median, res.tau_ci[1]], q_tau, rtol=BAYES_RTOL
    )
    assert res.mu_mean == pytest.approx(
        np.trapezoid(pm * mu, mu) / np.trapezoid(pm, mu), rel=BAYES_RTOL
    )
    below = mu < 0
    assert res.prob_mu_below_zero == pytest.approx(
        np.trapezoid(pm[below], mu[below]) / np.trapezoid(pm, mu), rel=BAYES_RTOL
    )


def test_predictive_interval_matches_monte_carlo_from_brute_force_posterior():
    """theta_new = mu + tau * e: sample (mu, tau) cells of the joint grid, add N(0, tau²) noise.

    Monte Carlo with 400,000 draws (seed 1) from a 401 x 401 grid (cell probabilities include the
    tau spacing): the 2.5% quantile has MC standard error ~0.003, so the check uses 0.02 absolute
    on the log scale (the interval is ~1.7 wide).
    """
    res = bayesian_meta_analysis(YI, VI)
    mu, tau, M, T, p = _joint_grid(YI, VI, lambda t: stats.halfnorm.logpdf(t, scale=0.5), n=401)
    dtau = np.gradient(tau)
    cell = (p * dtau[None, :]).ravel()
    rng = np.random.default_rng(1)
    idx = rng.choice(cell.size, size=400_000, p=cell / cell.sum())
    theta = M.ravel()[idx] + T.ravel()[idx] * rng.standard_normal(idx.size)
    lo, hi = np.quantile(theta, [0.025, 0.975])
    assert res.pi[0] == pytest.approx(lo, abs=0.02)
    assert res.pi[1] == pytest.approx(hi, abs=0.02)


def test_tiny_tau_prior_gives_common_effect_posterior():
    # tau ~ half-normal(1e-8): tau is effectively 0, so mu | y ~ N(mu_FE, 1/sum(1/v))
    res = bayesian_meta_analysis(YI, VI, tau_scale=1e-8)
    w = 1 / VI
    mu_fe, se_fe = np.sum(w * YI) / w.sum(), np.sqrt(1 / w.sum())
    z = stats.norm.isf(0.025)
    assert res.mu_median == pytest.approx(mu_fe, rel=1e-6)
    assert res.mu_ci[0] == pytest.approx(mu_fe - z * se_fe, rel=1e-6)
    assert res.mu_ci[1] == pytest.approx(mu_fe + z * se_fe, rel=1e-6)
    assert res.mu_sd == pytest.approx(se_fe, rel=1e-6)


def test_conjugate_normal_prior_single_study():
    # k = 1, tau -> 0, mu ~ N(0, 1), y = 0.5, v = 0.25: posterior precision 1 + 4 = 5,
    # mean = (4 * 0.5) / 5 = 0.4, sd = sqrt(1/5)
    res = bayesian_meta_analysis([0.5], [0.25], tau_scale=1e-8, mu_prior_sd=1.0)
    assert res.mu_mean == pytest.approx(0.4, rel=1e-6)
    assert res.mu_sd == pytest.approx(np.sqrt(0.2), rel=1e-6)
    assert res.prob_mu_below_zero == pytest.approx(stats.norm.cdf(0, 0.4, np.sqrt(0.2)), rel=1e-6)


def test_frame_ratio_scale_and_probabilities():
    res = bayesian_meta_analysis(YI, VI, measure="RR", labels=["a", "b", "c", "d"])
    frame = res.to_frame()
    assert list(frame.index) == ["mu", "exp(mu) (RR)", "tau", "theta_new", "exp(theta_new) (RR)"]
    assert frame.loc["exp(mu) (RR)", "median"] == pytest.approx(np.exp(res.mu_median), rel=1e-12)
    assert res.prob_mu_below(0.0) == pytest.approx(res.prob_mu_below_zero, rel=1e-12)
    assert res.prob_mu_below(np.log(0.5)) < res.prob_mu_below_zero
    assert np.trapezoid(res.tau_density, res.tau_grid) == pytest.approx(1.0, rel=1e-3)
    assert "half-normal" in repr(res) and "<table" in res._repr_html_()


def test_invalid_priors_are_refused():
    with pytest.raises(PoolingError, match="tau_prior"):
        bayesian_meta_analysis(YI, VI, tau_prior="uniform")
    with pytest.raises(PoolingError, match="tau_scale"):
        bayesian_meta_analysis(YI, VI, tau_scale=0)
    with pytest.raises(PoolingError, match="mu_prior_sd"):
        bayesian_meta_analysis(YI, VI, mu_prior_sd=-1)
