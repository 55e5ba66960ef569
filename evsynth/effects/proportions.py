"""Single-arm proportions and landmark survival rates, with metafor's back-transforms.

Transforms (metafor ``escalc``): "PR" raw proportion, "PLO" logit, "PAS" arcsine square root,
"PFT" Freeman-Tukey double arcsine (Freeman & Tukey 1950). Back-transforms: ``transf_ilogit``,
``transf_iarcsin``, ``transf_ipft`` (Miller 1978, Am Stat 32:138) and ``transf_ipft_hm`` (Miller's
inverse evaluated at the harmonic mean of the sample sizes: metafor's choice for a pooled PFT).
"""

from __future__ import annotations

import math
from typing import Literal

from evsynth.effects import _validate as v
from evsynth.effects._result import EffectSize, NotEstimable
from evsynth.effects.transforms import (  # noqa: F401  (re-exported)
    transf_iarcsin,
    transf_ilogit,
    transf_ipft,
    transf_ipft_hm,
    transf_pft,
)
from evsynth.errors import EffectSizeError


def proportion_effect(
    events: float,
    total: float,
    *,
    measure: Literal["PR", "PLO", "PAS", "PFT"] = "PLO",
    add: float | None = None,
    to: Literal["only0", "all", "none"] = "only0",
) -> EffectSize | NotEstimable:
    """Effect size of a single-arm proportion ``events / total`` (metafor ``escalc`` PR/PLO/PAS/PFT).

    - PR: ``yi = p``, ``vi = p (1 - p) / n``
    - PLO: ``yi = log(x / (n - x))``, ``vi = 1/x + 1/(n - x)``
    - PAS: ``yi = asin(sqrt(p))``, ``vi = 1 / (4 n)``
    - PFT: ``yi = (asin(sqrt(x/(n+1))) + asin(sqrt((x+1)/(n+1)))) / 2``, ``vi = 1 / (4 n + 2)``
      (Freeman & Tukey 1950)

    As metafor, ``add`` (default 1/2 for PR and PLO, 0 for PAS and PFT) is added to x and n - x
    when ``x = 0`` or ``x = n`` (``to="only0"``), to every proportion (``"all"``) or never
    (``"none"``).
    """
    from evsynth.effects.counts import escalc

    res = escalc(measure, xi=[events], ni=[total], add=add, to=to)
    return res.results[0]


def survival_rate_effect(
    rate: float,
    se: float,
    *,
    transform: Literal["logit", "cloglog"] = "logit",
) -> EffectSize:
    """Effect size of a landmark survival rate reported with its SE (e.g. "58.8% (±11.9%)").

    Delta method on the chosen scale:

    - ``"logit"`` (default, measure "PLO"): ``yi = log(S / (1 - S))``,
      ``vi = se^2 / (S (1 - S))^2``. Chosen as default because it puts survival rates on the same
      scale as single-arm proportions (metafor "PLO", back-transformed with ``transf.ilogit``) and
      its back-transformed CI stays within (0, 1).
    - ``"cloglog"`` (measure "CLL"): ``yi = log(-log S)``, ``vi = se^2 / (S log S)^2``; the scale
      of the Kalbfleisch-Prentice "log-log" Kaplan-Meier interval (R ``survival`` conf.type
      "log-log"), better behaved close to S = 1. Back-transform ``S = exp(-exp(yi))``.

    Parameters
    ----------
    rate : survival rate on the 0-1 scale (0 < rate < 1)
    se : its reported standard error on the 0-1 scale (> 0), e.g. 0.119 for "±11.9%"

    Raises
    ------
    EffectSizeError
        If the rate is outside (0, 1) (a percentage not divided by 100?) or the SE is not positive.
    """
    s = v.number(rate, "rate")
    if not 0.0 < s < 1.0:
        raise EffectSizeError(
            f"survival rate={s:g} is not in (0, 1); give it on the 0-1 scale (58.8% -> 0.588); "
            "a rate of exactly 0 or 1 has no delta-method variance on the logit scale."
        )
    sd = v.number(se, "rate_se")
    if sd <= 0:
        raise EffectSizeError(f"rate_se={sd:g} must be > 0 (a standard error on the 0-1 scale).")
    notes = [
        "reported '±' taken as the standard error of the Kaplan-Meier estimate (Greenwood), "
        "not a CI half-width",
        "delta-method variance: accurate when the SE is small relative to S(1 - S)",
    ]
    if sd >= 0.5:
        notes.append(f"rate_se={sd:g} is very large: was a percentage given on the 0-1 scale?")
    if transform == "logit":
        yi = math.log(s / (1.0 - s))
        vi = sd**2 / (s * (1.0 - s)) ** 2
        return EffectSize(
            yi=yi,
            vi=vi,
            measure="PLO",
            method="survival rate with SE; logit, delta-method variance se^2 / (S(1-S))^2",
            notes=tuple(notes),
        )
    if transform == "cloglog":
        yi = math.log(-math.log(s))
        vi = sd**2 / (s * math.log(s)) ** 2
        return EffectSize(
            yi=yi,
            vi=vi,
            measure="CLL",
            method="survival rate with SE; log(-log S), delta-method variance se^2 / (S log S)^2",
            notes=tuple(notes),
        )
    raise EffectSizeError(f"transform={transform!r} must be 'logit' or 'cloglog'.")
