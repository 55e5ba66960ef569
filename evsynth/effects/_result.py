"""Result objects of the effect-size computations: :class:`EffectSize` and :class:`NotEstimable`.

Both are frozen dataclasses with ``to_frame()``, an HTML repr for Jupyter and a short text repr.
An effect size is either estimable (``EffectSize``: ``yi``, ``vi``, ``sei`` on the analysis scale)
or not (``NotEstimable`` with the reason); evsynth never returns a silent NaN.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.lazy import lazy_module
from evsynth.effects.transforms import transf_iarcsin, transf_ilogit, transf_ipft
from evsynth.errors import EffectSizeError

stats = lazy_module("scipy.stats")

# metafor measure code -> the name of the analysis scale used in the evidence pipeline
ANALYSIS_NAMES: dict[str, str] = {
    "HR": "logHR",
    "OR": "logOR",
    "RR": "logRR",
    "RD": "RD",
    "PR": "PR",
    "PLO": "PLO",
    "PAS": "PAS",
    "PFT": "PFT",
    "CLL": "CLL",
    "MD": "MD",
    "SMD": "SMD",
    "ROM": "logROM",
}
RATIO_MEASURES = ("HR", "OR", "RR")


class EffectSizeWarning(UserWarning):
    """A reported number is possible but suspicious (e.g. the estimate lies outside its CI)."""


def normal_quantile(level: float) -> float:
    """Two-sided standard-normal critical value for a confidence level (0.95 -> 1.959964)."""
    return float(stats.norm.isf((1.0 - level) / 2.0))


def normalize_level(level: float, name: str = "level") -> float:
    """Return a confidence level on the 0-1 scale; accepts 0.95 or 95 (as metafor's ``level``)."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise EffectSizeError(f"{name}={level!r} is not a number; give e.g. 0.95 or 95.") from None
    if math.isnan(value):
        raise EffectSizeError(f"{name} is NaN; give the confidence level, e.g. 0.95.")
    if 1.0 < value < 100.0:
        value /= 100.0
    if not 0.0 < value < 1.0:
        raise EffectSizeError(
            f"{name}={level!r} is not a confidence level; give a value in (0, 1) such as 0.95."
        )
    return value


def back_transform(
    measure: str, values: np.ndarray | float, ni: float | np.ndarray | None = None
) -> np.ndarray:
    """Back-transform values on the analysis scale of ``measure`` to its natural scale.

    Ratios (HR, OR, RR) -> ``exp``; PLO -> inverse logit (metafor ``transf.ilogit``);
    PAS -> ``sin(x)^2`` truncated to [0, 1] (``transf.iarcsin``); PFT -> Miller's (1978) inverse
    with sample size ``ni`` (``transf.ipft``); CLL (log(-log S)) -> ``exp(-exp(x))``;
    RD and PR -> identity.
    """
    x = np.asarray(values, dtype=float)
    if measure in RATIO_MEASURES or measure == "ROM":
        return np.exp(x)
    if measure == "PLO":
        return transf_ilogit(x)
    if measure == "PAS":
        return transf_iarcsin(x)
    if measure == "PFT":
        if ni is None:
            raise EffectSizeError(
                "the Freeman-Tukey back-transform needs the sample size ni; pass ni=..."
            )
        return transf_ipft(x, ni)
    if measure == "CLL":
        return np.exp(-np.exp(x))
    return x


@dataclass(frozen=True, repr=False)
class EffectSize(FrameDisplay):
    """An effect size on its analysis scale, with how it was computed.

    Parameters
    ----------
    yi : effect on the analysis scale (log ratio for HR/OR/RR; transformed proportion for
        PLO/PAS/PFT; difference for RD; proportion for PR)
    vi : sampling variance of ``yi`` (> 0)
    measure : metafor measure code: "HR", "OR", "RR", "RD", "PR", "PLO", "PAS", "PFT", or "CLL"
        (log(-log) of a survival rate, an evsynth addition)
    method : how ``yi``/``vi`` were obtained, in words (e.g. "log ratio and SE from the 95% CI")
    notes : assumptions and caveats a reviewer must know (approximations, bounds, corrections)
    level : confidence level of :attr:`ci`
    ni : sample size (needed to back-transform PFT)
    """

    yi: float
    vi: float
    measure: str
    method: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    level: float = 0.95
    ni: float | None = None

    _display_title = "Effect size"

    def __post_init__(self) -> None:
        if not math.isfinite(self.yi):
            raise EffectSizeError(f"yi={self.yi!r} is not a finite number ({self.method}).")
        if not math.isfinite(self.vi) or self.vi <= 0:
            raise EffectSizeError(
                f"variance vi={self.vi!r} is not a positive finite number ({self.method}); "
                "check the reported SE or CI."
            )
        if self.measure not in ANALYSIS_NAMES:
            raise EffectSizeError(
                f"measure={self.measure!r} is unknown; use one of {sorted(ANALYSIS_NAMES)}."
            )
        object.__setattr__(self, "notes", tuple(self.notes))

    estimable = True

    @property
    def sei(self) -> float:
        """Standard error of ``yi`` (``sqrt(vi)``)."""
        return math.sqrt(self.vi)

    @property
    def measure_analysis(self) -> str:
        """Name of the analysis scale: "logHR", "logOR", "logRR", "RD", "PLO", ..."""
        return ANALYSIS_NAMES[self.measure]

    @property
    def ci_lower(self) -> float:
        """Lower Wald limit on the analysis scale: ``yi - z * sei``."""
        return self.yi - normal_quantile(self.level) * self.sei

    @property
    def ci_upper(self) -> float:
        """Upper Wald limit on the analysis scale: ``yi + z * sei``."""
        return self.yi + normal_quantile(self.level) * self.sei

    @property
    def estimate(self) -> float:
        """The effect back-transformed to its natural scale (ratio, proportion, survival rate)."""
        return float(back_transform(self.measure, self.yi, self.ni))

    @property
    def ci(self) -> tuple[float, float]:
        """Wald CI back-transformed to the natural scale (ratio scale for HR/OR/RR)."""
        lo, hi = back_transform(self.measure, np.array([self.ci_lower, self.ci_upper]), self.ni)
        return float(lo), float(hi)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame: yi, vi, sei, measure_analysis, estimate and CI, method, notes."""
        lo, hi = self.ci
        pct = f"{100 * self.level:g}"
        return pd.DataFrame(
            [
                {
                    "yi": self.yi,
                    "vi": self.vi,
                    "sei": self.sei,
                    "measure": self.measure,
                    "measure_analysis": self.measure_analysis,
                    "estimate": self.estimate,
                    f"ci_lower_{pct}": lo,
                    f"ci_upper_{pct}": hi,
                    "method": self.method,
                    "notes": "; ".join(self.notes),
                }
            ]
        )

    def _display_notes(self) -> list[str]:
        return list(self.notes)

    def __repr__(self) -> str:
        lo, hi = self.ci
        head = f"{self.measure} {self.estimate:.4g} [{lo:.4g}, {hi:.4g}]"
        text = (
            f"EffectSize({head}; {self.measure_analysis} yi={self.yi:.6g}, sei={self.sei:.6g}; "
            f"{self.method})"
        )
        if self.notes:
            text += "\n  notes: " + "\n         ".join(self.notes)
        return text


@dataclass(frozen=True, repr=False)
class NotEstimable(FrameDisplay):
    """An effect size that cannot be computed from what the paper reports, and why.

    Parameters
    ----------
    reason : one sentence saying what is missing or why the numbers do not determine the effect
    measure : the measure that was attempted (metafor code), or ""
    method : the method that was attempted, or ""
    notes : further context
    """

    reason: str
    measure: str = ""
    method: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    _display_title = "Effect size not estimable"

    estimable = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with the measure, the attempted method and the reason."""
        return pd.DataFrame(
            [
                {
                    "measure": self.measure,
                    "method": self.method,
                    "not_estimable_reason": self.reason,
                    "notes": "; ".join(self.notes),
                }
            ]
        )

    def __repr__(self) -> str:
        what = f" {self.measure}" if self.measure else ""
        return f"NotEstimable({what.strip() or 'effect'}: {self.reason})"


def warn(message: str) -> None:
    """Issue an :class:`EffectSizeWarning` pointing at the caller of the public function."""
    warnings.warn(message, EffectSizeWarning, stacklevel=3)
