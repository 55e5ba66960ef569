"""Common-effect pooling of 2x2 tables for sparse data: Mantel-Haenszel and Peto.

Both work on the raw counts, with no continuity correction for the pooled estimate (as metafor
``rma.mh`` and ``rma.peto``); the study-level ``yi``/``vi`` used only for the heterogeneity test
Q are computed as metafor does: ``escalc`` with ``add=1/2, to="only0", drop00=TRUE``.

References
----------
Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from retrospective
    studies of disease. J Natl Cancer Inst 22:719-748.
Robins J, Breslow N, Greenland S (1986). Estimators of the Mantel-Haenszel variance consistent in
    both sparse data and large-strata limiting models. Biometrics 42:311-323 (variance of log OR).
Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse follow-up
    data. Biometrics 41:55-68 (variance of log RR).
Sato T, Greenland S, Robins JM (1989). On the variance estimator for the Mantel-Haenszel risk
    difference. Biometrics 45:1323-1324 (variance of RD, as metafor).
Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and after myocardial
    infarction: an overview of the randomized trials. Prog Cardiovasc Dis 27:335-371 (Peto OR).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.lazy import lazy_module
from evsynth.effects.counts import _labels, _two_by_two_cells, escalc
from evsynth.errors import EffectSizeError, PoolingError

stats = lazy_module("scipy.stats")

_ArrayLike = Sequence[float] | np.ndarray | None


@dataclass(frozen=True, repr=False)
class SparsePoolingResult(FrameDisplay):
    """A common-effect estimate from 2x2 tables (Mantel-Haenszel or Peto).

    Fields use metafor's names, Python-cased. ``beta`` is on the analysis scale (log OR, log RR,
    or RD); ``estimate``/``ci`` give it on the ratio scale for OR and RR. ``q``, ``q_df``,
    ``q_pvalue``, ``i2`` (percent) and ``h2`` are the heterogeneity statistics (metafor ``QE``,
    ``QEp``, ``I2``, ``H2``); ``k`` is the number of tables used for the pooled estimate and
    ``k_q`` the number of studies with a finite ``yi`` in Q. ``cmh``/``cmh_p`` are the
    Cochran-Mantel-Haenszel test (with continuity correction) for the MH odds ratio, else NaN.
    ``messages`` say which studies were excluded from what, and why.
    """

    method: str
    measure: str
    beta: float
    se: float
    z: float
    pvalue: float
    ci_lower: float
    ci_upper: float
    level: float
    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    k: int
    k_q: int
    labels: tuple[str, ...]
    cmh: float = float("nan")
    cmh_p: float = float("nan")
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def _display_title(self) -> str:  # type: ignore[override]
        return f"{self.method} ({self.measure}), k = {self.k}"

    @property
    def is_ratio(self) -> bool:
        """True for OR and RR (``beta`` is a log ratio)."""
        return self.measure in ("OR", "RR")

    @property
    def estimate(self) -> float:
        """Pooled effect on the natural scale (ratio for OR/RR, difference for RD)."""
        return math.exp(self.beta) if self.is_ratio else self.beta

    @property
    def ci(self) -> tuple[float, float]:
        """Confidence interval on the natural scale."""
        if self.is_ratio:
            return math.exp(self.ci_lower), math.exp(self.ci_upper)
        return self.ci_lower, self.ci_upper

    def to_frame(self) -> pd.DataFrame:
        """One-row summary (estimate on both scales, CI, z, p, Q, I2 in percent, k)."""
        pct = f"{100 * self.level:g}"
        lo, hi = self.ci
        row = {
            "method": self.method,
            "measure": self.measure,
            "beta": self.beta,
            "se": self.se,
            "estimate": self.estimate,
            f"ci_lower_{pct}": lo,
            f"ci_upper_{pct}": hi,
            "z": self.z,
            "pvalue": self.pvalue,
            "q": self.q,
            "q_df": self.q_df,
            "q_pvalue": self.q_pvalue,
            "i2": self.i2,
            "h2": self.h2,
            "k": self.k,
            "k_q": self.k_q,
        }
        if not math.isnan(self.cmh):
            row["cmh"] = self.cmh
            row["cmh_p"] = self.cmh_p
        return pd.DataFrame([row])

    def _display_notes(self) -> list[str]:
        return list(self.messages)

    def __repr__(self) -> str:
        lo, hi = self.ci
        pct = f"{100 * self.level:g}%"
        text = (
            f"{self.method} {self.measure}, k = {self.k}: {self.estimate:.4g} "
            f"({pct} CI {lo:.4g} to {hi:.4g}), z = {self.z:.3f}, p = {self.pvalue:.4g}\n"
            f"  heterogeneity: Q({self.q_df}) = {self.q:.4g}, p = {self.q_pvalue:.4g}, "
            f"I2 = {self.i2:.1f}%"
        )
        if self.messages:
            text += "\n  " + "\n  ".join(self.messages)
        return text


def _tables(ai, bi, ci, di, n1i, n2i, slab):
    try:
        a, b, c, d = _two_by_two_cells(ai, bi, ci, di, n1i, n2i)
    except EffectSizeError as err:
        raise PoolingError(str(err)) from None
    labels = _labels(slab, a.size)
    missing = np.isnan(a) | np.isnan(b) | np.isnan(c) | np.isnan(d)
    messages = []
    if missing.any():
        names = ", ".join(labels[i] for i in np.flatnonzero(missing))
        messages.append(f"tables with missing counts omitted: {names}")
    keep = ~missing
    if not keep.any():
        raise PoolingError("no complete 2x2 table: give ai, ci and bi/di or n1i/n2i.")
    kept = tuple(labels[i] for i in np.flatnonzero(keep))  # labels of the tables pooled
    return a[keep], b[keep], c[keep], d[keep], kept, messages


def _heterogeneity(q: float, k_q: int) -> tuple[float, int, float, float, float]:
    """Q, df, p, I2 (percent), H2 as metafor: Q = 0, p = 1, I2 = 0, H2 = 1 when k_q <= 1."""
    if k_q <= 1:
        return 0.0, 0, 1.0, 0.0, 1.0
    df = k_q - 1
    q = max(0.0, q)
    i2 = max(0.0, 100.0 * (q - df) / q) if q > 0 else 0.0
    return q, df, float(stats.chi2.sf(q, df)), i2, q / df


def _q_messages(res, labels, what: str) -> list[str]:
    out = []
    dropped = [
        f"{lab} ({r.reason})" for lab, r in zip(labels, res.results, strict=True) if not r.estimable
    ]
    if dropped:
        out.append(f"excluded from the {what} Q test: " + "; ".join(dropped))
    return out


def _wald(beta: float, se: float, level: float) -> tuple[float, float, float, float]:
    z = beta / se
    p = 2.0 * float(stats.norm.sf(abs(z)))
    crit = float(stats.norm.isf((1.0 - level) / 2.0))
    return z, p, beta - crit * se, beta + crit * se


def _level(level: float) -> float:
    lvl = float(level)
    if 1.0 < lvl < 100.0:
        lvl /= 100.0
    if not 0.0 < lvl < 1.0:
        raise PoolingError(f"level={level!r} must be in (0, 1), e.g. 0.95.")
    return lvl


def mantel_haenszel(
    ai: _ArrayLike = None,
    bi: _ArrayLike = None,
    ci: _ArrayLike = None,
    di: _ArrayLike = None,
    *,
    n1i: _ArrayLike = None,
    n2i: _ArrayLike = None,
    measure: str = "OR",
    level: float = 0.95,
    slab: Sequence[str] | None = None,
    correct: bool = True,
) -> SparsePoolingResult:
    """Mantel-Haenszel common-effect estimate of OR, RR or RD (metafor ``rma.mh``).

    With ``N = n1 + n2`` per table:

    - OR: ``OR_MH = sum(a d / N) / sum(b c / N)``; ``var(log OR_MH)`` of Robins, Breslow &
      Greenland (1986): ``sum(P R)/(2 R+^2) + sum(P S + Q R)/(2 R+ S+) + sum(Q S)/(2 S+^2)``
      with ``P = (a + d)/N``, ``Q = (b + c)/N``, ``R = a d / N``, ``S = b c / N``.
    - RR: ``RR_MH = sum(a n2 / N) / sum(c n1 / N)``; variance of Greenland & Robins (1985):
      ``sum(n1 n2 (a + c)/N^2 - a c / N) / (sum(a n2/N) sum(c n1/N))``.
    - RD: ``RD_MH = sum(a n2/N - c n1/N) / sum(n1 n2 / N)``; variance of Sato, Greenland &
      Robins (1989) as in metafor.

    The pooled estimate uses the raw counts (no continuity correction; double-zero tables add
    nothing to the OR and RR sums and are kept, as in metafor). The Q test uses study-level
    ``yi``/``vi`` from ``escalc`` with ``add=1/2, to="only0", drop00=TRUE`` (metafor defaults),
    so double-zero studies are excluded from Q (a message names them).
    ``cmh`` is the Cochran-Mantel-Haenszel chi-square (``correct=True``: with the 0.5 continuity
    correction), for OR only.

    Parameters
    ----------
    ai, bi, ci, di : events / non-events in group 1 (intervention) and group 2 (comparator);
        or give ``n1i``, ``n2i`` instead of ``bi``, ``di``
    measure : "OR" (default), "RR" or "RD"
    level : confidence level

    Raises
    ------
    PoolingError
        If no table is complete, or the OR/RR is 0 or infinite (no events in one arm of every
        table): use measure="RD", or Peto's method for the OR.
    """
    if measure not in ("OR", "RR", "RD"):
        raise PoolingError(f"measure={measure!r}: Mantel-Haenszel supports 'OR', 'RR', 'RD'.")
    lvl = _level(level)
    a, b, c, d, labels, messages = _tables(ai, bi, ci, di, n1i, n2i, slab)
    n1, n2 = a + b, c + d
    big_n = n1 + n2
    if np.any(big_n <= 0):
        raise PoolingError("a table has no patients; remove it.")
    cmh = cmh_p = float("nan")
    if measure == "OR":
        r = a * d / big_n
        s = b * c / big_n
        rs, ss = r.sum(), s.sum()
        if rs == 0 or ss == 0:
            raise PoolingError(
                "the Mantel-Haenszel OR is 0 or infinite (a*d or b*c is 0 in every table); "
                "use measure='RD' or Peto's method (peto())."
            )
        pp = (a + d) / big_n
        qq = (b + c) / big_n
        beta = math.log(rs / ss)
        var = 0.5 * (
            (pp * r).sum() / rs**2 + (pp * s + qq * r).sum() / (rs * ss) + (qq * s).sum() / ss**2
        )
        xt, yt = a + c, b + d
        if xt.sum() > 0 and yt.sum() > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(big_n > 1, n1 * n2 * xt * yt / (big_n**2 * (big_n - 1)), 0.0)
            num = (abs((a - n1 / big_n * xt).sum()) - (0.5 if correct else 0.0)) ** 2
            cmh = float(num / terms.sum())
            cmh_p = float(stats.chi2.sf(cmh, 1))
    elif measure == "RR":
        rs = (a * n2 / big_n).sum()
        ss = (c * n1 / big_n).sum()
        if a.sum() == 0 or c.sum() == 0:
            raise PoolingError(
                "the Mantel-Haenszel RR is 0 or infinite (no events in one group of every "
                "table); use measure='RD'."
            )
        beta = math.log(rs / ss)
        var = (n1 * n2 * (a + c) / big_n**2 - a * c / big_n).sum() / (rs * ss)
    else:
        denom = (n1 * n2 / big_n).sum()
        beta = float((a * n2 / big_n - c * n1 / big_n).sum() / denom)
        var = (
            beta
            * (
                c * (n1 / big_n) ** 2 - a * (n2 / big_n) ** 2 + n1 * n2 * (n2 - n1) / (2 * big_n**2)
            ).sum()
            + (a * (n2 - c) / big_n + c * (n1 - a) / big_n).sum() / 2
        ) / denom**2
    if not var > 0:
        raise PoolingError(
            f"the Mantel-Haenszel variance is {var:g}: no variation in the tables (all events "
            "or no events in every arm)."
        )
    se = math.sqrt(var)
    z, p, lo, hi = _wald(beta, se, lvl)
    esc = escalc(measure, ai=a, bi=b, ci=c, di=d, add=0.5, to="only0", drop00=True, slab=labels)
    ok = np.array([res.estimable for res in esc.results])
    yi, vi = esc.yi[ok], esc.vi[ok]
    q_raw = float(np.sum((yi - beta) ** 2 / vi))
    q, df, qp, i2, h2 = _heterogeneity(q_raw, int(ok.sum()))
    messages += _q_messages(esc, labels, "heterogeneity")
    return SparsePoolingResult(
        method="Mantel-Haenszel",
        measure=measure,
        beta=float(beta),
        se=se,
        z=z,
        pvalue=p,
        ci_lower=lo,
        ci_upper=hi,
        level=lvl,
        q=q,
        q_df=df,
        q_pvalue=qp,
        i2=i2,
        h2=h2,
        k=int(a.size),
        k_q=int(ok.sum()),
        labels=labels,
        cmh=cmh,
        cmh_p=cmh_p,
        messages=tuple(messages),
    )


def peto(
    ai: _ArrayLike = None,
    bi: _ArrayLike = None,
    ci: _ArrayLike = None,
    di: _ArrayLike = None,
    *,
    n1i: _ArrayLike = None,
    n2i: _ArrayLike = None,
    level: float = 0.95,
    slab: Sequence[str] | None = None,
) -> SparsePoolingResult:
    """Peto's one-step odds ratio (Yusuf et al. 1985; metafor ``rma.peto``).

    Per table ``O = a``, ``E = (a + c) n1 / N``, ``V = (a + c)(b + d) n1 n2 / (N^2 (N - 1))``;
    ``log OR = sum(O - E) / sum(V)``, ``var = 1 / sum(V)``;
    ``Q = sum((O - E)^2 / V) - (sum(O - E))^2 / sum(V)`` over tables with ``V > 0``, with
    ``k_q - 1`` degrees of freedom where ``k_q`` counts studies that are not double-zero. Raw
    counts, no continuity correction. Peto's OR is biased when the true OR is far from 1 or the
    arms are very unbalanced.

    Raises
    ------
    PoolingError
        If one of the outcomes never occurs in any table (sum(V) = 0).
    """
    lvl = _level(level)
    a, b, c, d, labels, messages = _tables(ai, bi, ci, di, n1i, n2i, slab)
    n1, n2 = a + b, c + d
    big_n = n1 + n2
    xt, yt = a + c, b + d
    expected = xt * n1 / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        var_i = np.where(big_n > 1, xt * yt * (n1 / big_n) * (n2 / big_n) / (big_n - 1), 0.0)
    total_v = float(var_i.sum())
    if total_v <= 0:
        raise PoolingError(
            "one of the two outcomes never occurred in any table: Peto's method cannot be used."
        )
    oe = a - expected
    beta = float(oe.sum() / total_v)
    se = math.sqrt(1.0 / total_v)
    z, p, lo, hi = _wald(beta, se, lvl)
    pos = var_i > 0
    id00 = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    k_q = int((~id00 & pos).sum())
    q_raw = float((oe[pos] ** 2 / var_i[pos]).sum() - oe.sum() ** 2 / total_v)
    q, df, qp, i2, h2 = _heterogeneity(q_raw, k_q)
    if id00.any():
        names = ", ".join(labels[i] for i in np.flatnonzero(id00))
        messages.append(
            f"double-zero studies (no information, V = 0) excluded from the heterogeneity Q "
            f"test: {names}"
        )
    return SparsePoolingResult(
        method="Peto",
        measure="OR",
        beta=beta,
        se=se,
        z=z,
        pvalue=p,
        ci_lower=lo,
        ci_upper=hi,
        level=lvl,
        q=q,
        q_df=df,
        q_pvalue=qp,
        i2=i2,
        h2=h2,
        k=int(a.size),
        k_q=k_q,
        labels=labels,
        messages=tuple(messages),
    )
