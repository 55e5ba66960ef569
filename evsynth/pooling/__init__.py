"""Pooling: random-effects meta-analysis and meta-regression matching R's metafor.

Public API (signatures are stable; other modules build on them)::

    meta_analysis(yi=None, vi=None, *, sei=None, data=None, labels=None, method="REML",
                  test="adhoc", level=0.95, measure="GEN", mods=None, pi="metafor")
        -> MetaAnalysis | MetaRegression
    meta_regression(yi=None, vi=None, *, mods, sei=None, data=None, labels=None,
                    method="REML", test="adhoc", level=0.95, measure="GEN") -> MetaRegression

Lower-level building blocks (general X-matrix form, used by subgroup/influence/bias modules)::

    estimate_tau2(yi, vi, X, method) -> Tau2Estimate
    generalized_q(tau2, yi, vi, X) -> float
    fit_coefficients(yi, vi, X, tau2, test, level) -> CoefficientFit
    heterogeneity(yi, vi, X, tau2, common) -> Heterogeneity
    q_profile_interval(yi, vi, X, tau2, vt, level) -> Tau2Interval
    prediction_interval(estimate, se, tau2, k, p, fit_df, level, pi_method) -> ((lo, hi), note)
"""

# the inspection verbs of a fit (res.leave_one_out(), res.egger(), ...) register on import
from evsynth.pooling import bias, gosh, influence, permutation, subgroup  # noqa: F401, E402
from evsynth.pooling.estimators import (
    ALL_METHODS,
    TAU2_METHODS,
    Tau2Estimate,
    estimate_tau2,
    generalized_q,
)
from evsynth.pooling.inference import (
    PI_METHODS,
    TESTS,
    fit_coefficients,
    heterogeneity,
    prediction_interval,
    q_profile_interval,
)
from evsynth.pooling.result import MetaAnalysis, MetaRegression
from evsynth.pooling.rma import meta_analysis, meta_regression
from evsynth.pooling.sparse import SparsePoolingResult, mantel_haenszel, peto

__all__ = [
    "meta_analysis",
    "meta_regression",
    "MetaAnalysis",
    "MetaRegression",
    "mantel_haenszel",
    "peto",
    "SparsePoolingResult",
    "Tau2Estimate",
    "estimate_tau2",
    "generalized_q",
    "fit_coefficients",
    "heterogeneity",
    "prediction_interval",
    "q_profile_interval",
    "ALL_METHODS",
    "TAU2_METHODS",
    "TESTS",
    "PI_METHODS",
]
