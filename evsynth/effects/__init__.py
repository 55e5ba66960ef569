"""Effect sizes on their analysis scale (metafor's ``escalc`` and ``conv.wald`` vocabulary).

Public API::

    log_ratio_from_ci(estimate, ci_lower, ci_upper, *, level=0.95, measure="HR") -> EffectSize
    log_ratio_from_p(estimate, p, *, p_operator="=", measure="HR") -> EffectSize | NotEstimable
    log_hr_from_logrank(p, *, events, n_int=None, n_ctl=None, direction=None, p_operator="=")
        -> EffectSize | NotEstimable
    escalc(measure, *, ai, bi, ci, di, n1i, n2i, xi, ni, add=None, to="only0", drop00=None,
           correction="constant", slab=None) -> EffectSizes
    count_effect(ai, n1i, ci, n2i, *, measure="OR", ...) -> EffectSize | NotEstimable
    proportion_effect(events, total, *, measure="PLO", ...) -> EffectSize | NotEstimable
    survival_rate_effect(rate, se, *, transform="logit") -> EffectSize
    mean_effect(m1i, sd1i, n1i, m2i, sd2i, n2i, *, measure="MD") -> EffectSize  (MD, SMD, ROM)
    difference_from_ci(estimate, ci_lower, ci_upper, *, level=0.95, measure="MD") -> EffectSize
    sd_from_se(se, n), sd_from_ci(lower, upper, n, level=0.95) -> float
    effect_sizes(evidence, ...) -> pandas.DataFrame
    transf_ilogit, transf_iarcsin, transf_pft, transf_ipft, transf_ipft_hm

See docs/methods-effects.md for every formula, its default and its reference.
"""

from evsynth.effects._result import EffectSize, EffectSizeWarning, NotEstimable
from evsynth.effects.continuous import difference_from_ci, mean_effect, sd_from_ci, sd_from_se
from evsynth.effects.counts import EffectSizes, count_effect, escalc
from evsynth.effects.proportions import (
    proportion_effect,
    survival_rate_effect,
    transf_iarcsin,
    transf_ilogit,
    transf_ipft,
    transf_ipft_hm,
    transf_pft,
)
from evsynth.effects.ratios import log_hr_from_logrank, log_ratio_from_ci, log_ratio_from_p
from evsynth.effects.table import effect_sizes

__all__ = [
    "EffectSize",
    "EffectSizes",
    "EffectSizeWarning",
    "NotEstimable",
    "count_effect",
    "difference_from_ci",
    "effect_sizes",
    "escalc",
    "log_hr_from_logrank",
    "log_ratio_from_ci",
    "log_ratio_from_p",
    "mean_effect",
    "proportion_effect",
    "sd_from_ci",
    "sd_from_se",
    "survival_rate_effect",
    "transf_iarcsin",
    "transf_ilogit",
    "transf_ipft",
    "transf_ipft_hm",
    "transf_pft",
]
