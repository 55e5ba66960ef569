"""Transforms of proportions and their inverses (metafor ``transf.*``).

"PLO" logit, "PAS" arcsine square root, "PFT" Freeman-Tukey double arcsine (Freeman & Tukey
1950). Back-transforms: ``transf_ilogit``, ``transf_iarcsin``, ``transf_ipft`` (Miller 1978,
Am Stat 32:138) and ``transf_ipft_hm`` (Miller's inverse at the harmonic mean of the sample
sizes: metafor's choice for a pooled PFT).
"""

from __future__ import annotations

import math

import numpy as np

from evsynth.errors import EffectSizeError


def transf_ilogit(x: np.ndarray | float) -> np.ndarray:
    """Inverse logit ``1 / (1 + exp(-x))`` (metafor ``transf.ilogit``)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def transf_iarcsin(x: np.ndarray | float) -> np.ndarray:
    """Inverse arcsine-square-root ``sin(x)^2``, truncated to 0 below 0 and 1 above pi/2
    (metafor ``transf.iarcsin``)."""
    x = np.asarray(x, dtype=float)
    out = np.sin(x) ** 2
    out = np.where(x < 0, 0.0, out)
    return np.where(x > math.asin(1.0), 1.0, out)


def transf_pft(p: np.ndarray | float, ni: np.ndarray | float) -> np.ndarray:
    """Freeman-Tukey double arcsine of a proportion ``p`` with sample size ``ni``
    (metafor ``transf.pft``): ``(asin(sqrt(x/(n+1))) + asin(sqrt((x+1)/(n+1)))) / 2``, x = p n."""
    ni = np.asarray(ni, dtype=float)
    x = np.asarray(p, dtype=float) * ni
    return 0.5 * (np.arcsin(np.sqrt(x / (ni + 1))) + np.arcsin(np.sqrt((x + 1) / (ni + 1))))


def transf_ipft(x: np.ndarray | float, ni: np.ndarray | float) -> np.ndarray:
    """Inverse of the Freeman-Tukey double arcsine (Miller 1978; metafor ``transf.ipft``).

    ``p = 1/2 * (1 - sgn(cos 2x) * sqrt(1 - (sin 2x + (sin 2x - 1/sin 2x) / n)^2))``, set to 0 below
    ``transf_pft(0, n)`` and to 1 above ``transf_pft(1, n)``.
    """
    x = np.asarray(x, dtype=float)
    ni = np.asarray(ni, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sin(2 * x)
        out = 0.5 * (1 - np.sign(np.cos(2 * x)) * np.sqrt(1 - (s + (s - 1 / s) / ni) ** 2))
    out = np.where(x > transf_pft(1.0, ni), 1.0, out)
    out = np.where(x < transf_pft(0.0, ni), 0.0, out)
    return out


def transf_ipft_hm(x: np.ndarray | float, ni: np.ndarray | list[float]) -> np.ndarray:
    """Back-transform a (pooled) Freeman-Tukey value with the harmonic mean of the sample sizes.

    ``n_hm = 1 / mean(1 / ni)`` then :func:`transf_ipft` with ``n_hm`` (Miller 1978; metafor
    ``transf.ipft.hm``, its default for pooled PFT estimates).
    """
    n = np.asarray(ni, dtype=float)
    n = n[~np.isnan(n)]
    if n.size == 0 or np.any(n <= 0):
        raise EffectSizeError("transf_ipft_hm needs the positive sample sizes ni of the studies.")
    nhm = 1.0 / np.mean(1.0 / n)
    return transf_ipft(x, nhm)
