"""Small-study effects: Egger's regression test and Duval & Tweedie's trim-and-fill.

Both look for funnel-plot asymmetry, which publication bias can cause (but so can true
heterogeneity, chance, or a relation between study size and quality). With fewer than 10 studies
they have too little power to tell asymmetry from chance (Sterne et al. 2011, BMJ 343:d4002;
Cochrane Handbook 10.4.3.1), so both refuse to run below 10 studies unless ``force=True``.

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
    simple, graphical test. BMJ 315:629-634.
Sterne JAC, Egger M (2005). Regression methods to detect publication and other bias in
    meta-analysis. In: Rothstein, Sutton, Borenstein (eds), Publication Bias in Meta-Analysis.
Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
    adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
Duval S, Tweedie R (2000). A nonparametric "trim and fill" method of accounting for
    publication bias in meta-analysis. J Am Stat Assoc 95:89-98 (L0, R0 estimators).
Viechtbauer W (2010). metafor: ``regtest``, ``trimfill``.
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
from evsynth.pooling.influence import resolve_model
from evsynth.pooling.result import inspection

stats = lazy_module("scipy.stats")

MIN_STUDIES = 10

LOW_POWER_NOTE = (
    "Only k = {k} studies (< 10): funnel-plot asymmetry methods have low power and can mislead; "
    "run on request (force=True). Do not read a non-significant result as absence of bias "
    "(Sterne et al. 2011, BMJ 343:d4002)."
)


def _check_k(k: int, force: bool, what: str) -> list[str]:
    if k < 3:
        raise PoolingError(f"{what} needs at least 3 studies; got k = {k}.")
    if k < MIN_STUDIES:
        if not force:
            raise PoolingError(
                f"{what} with k = {k} studies: below {MIN_STUDIES} studies the test has too little "
                "power to distinguish asymmetry from chance (Sterne et al. 2011; Cochrane "
                f"Handbook 10.4.3.1). Pass force=True to run it anyway; the result will carry a note."
            )
        return [LOW_POWER_NOTE.format(k=k)]
    return []


# --------------------------------------------------------------------------- Egger
@dataclass(frozen=True)
class EggerTest(FrameDisplay):
    """Regression test for funnel-plot asymmetry (metafor ``regtest``, predictor = sei).

    Attributes
    ----------
    model : "rma" (mixed-effects meta-regression on sei, metafor's default) or "lm"
        (weighted least squares, Egger et al. 1997)
    k, method, test, level : studies, tau² estimator (rma), test of the coefficient, CI level
    slope, slope_se : coefficient of the standard error (the asymmetry)
    statistic, df, pvalue : its z or t test (df None for z)
    limit_estimate, limit_ci : intercept = estimated effect of an infinitely large study
    tau2 : residual heterogeneity (rma; NaN for lm)
    notes : what was done
    """

    model: str
    k: int
    method: str
    test: str
    level: float
    slope: float
    slope_se: float
    statistic: float
    df: int | None
    pvalue: float
    limit_estimate: float
    limit_ci: tuple[float, float]
    tau2: float
    notes: tuple[str, ...] = ()

    _display_title = "Egger's regression test for funnel-plot asymmetry"

    def to_frame(self) -> pd.DataFrame:
        """One row with the test and the limit estimate."""
        t = f"{self.level * 100:.10g}".replace(".", "_")
        return pd.DataFrame(
            [
                {"model": self.model, "k": self.k, "method": self.method, "test": self.test,
                 "slope": self.slope, "slope_se": self.slope_se, "statistic": self.statistic,
                 "df": self.df, "pvalue": self.pvalue, "limit_estimate": self.limit_estimate,
                 f"limit_ci_lower_{t}": self.limit_ci[0], f"limit_ci_upper_{t}": self.limit_ci[1],
                 "tau2": self.tau2}
            ]
        )  # fmt: skip

    def _display_notes(self) -> list[str]:
        return list(self.notes)

    def __repr__(self) -> str:
        stat = "z" if self.df is None else f"t({self.df})"
        return (
            f"Egger regression test ({self.model}, predictor sei; k = {self.k}): "
            f"{stat} = {self.statistic:.4f}, p = {self.pvalue:.4g}; limit estimate "
            f"{self.limit_estimate:.4f} [{self.limit_ci[0]:.4f}, {self.limit_ci[1]:.4f}]"
        )


@inspection("egger")
def egger_test(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    model: str = "rma",
    method: str | None = None,
    test: str | None = None,
    level: float | None = None,
    force: bool = False,
) -> EggerTest:
    """Egger's regression test: does the effect size depend on its standard error?

    Parameters
    ----------
    yi : effect sizes, or a fitted :class:`~evsynth.pooling.result.MetaAnalysis` (its data,
        method and test are reused, as metafor's ``regtest(model)``)
    vi, sei, labels : as :func:`~evsynth.pooling.meta_analysis`
    model : "rma" (default; metafor ``regtest(model="rma", predictor="sei")``: mixed-effects
        meta-regression ``y_i = b0 + b1 sei_i + u_i + e_i``) or "lm" (the classic test:
        weighted least squares with weights 1/v_i and a multiplicative residual variance,
        t(k-2); algebraically Egger et al.'s regression of y/se on 1/se, whose intercept is b1)
    method, test : tau² estimator and test of b1 for ``model="rma"`` (default z, as metafor's
        ``regtest`` on a default ``rma`` fit)
    level : level of the limit-estimate CI
    force : run with fewer than 10 studies (then a low-power note is added)

    Returns
    -------
    EggerTest
        ``pvalue`` tests H0: b1 = 0 (no asymmetry); ``limit_estimate`` = b0, the effect
        predicted for a study with se = 0 (Stanley & Doucouliagos' PET estimate).
    """
    y, v, lab, opts = resolve_model(
        yi, vi, sei, labels, method, test, level, None, default_test="z"
    )
    model = model.lower()
    if model not in ("rma", "lm"):
        raise PoolingError(f"model must be 'rma' or 'lm'; got {model!r}.")
    k = len(y)
    notes = _check_k(k, force, "Egger's regression test")
    se = np.sqrt(v)
    lv = opts["level"]
    if np.ptp(se) <= 1e-10 * se.max():
        raise PoolingError(
            f"Egger's regression test: all {k} studies have the same standard error "
            f"({se[0]:.4g}), so the predictor sei is collinear with the intercept and the test "
            "is undefined (metafor: 'Model matrix no longer of full rank'). Small-study effects "
            "cannot be assessed from these studies; check that the vi/sei are the studies' own."
        )
    if model == "rma":
        from evsynth.pooling.rma import meta_regression

        fit = meta_regression(
            y, v, mods=pd.DataFrame({"sei": se}), method=opts["method"], test=opts["test"], level=lv
        )
        out = EggerTest(
            model="rma", k=k, method=opts["method"], test=opts["test"], level=lv,
            slope=float(fit.beta[1]), slope_se=float(fit.se[1]), statistic=float(fit.statistic[1]),
            df=fit.df, pvalue=float(fit.pvalue[1]), limit_estimate=float(fit.beta[0]),
            limit_ci=(float(fit.ci_lower[0]), float(fit.ci_upper[0])), tau2=float(fit.tau2),
            notes=tuple(notes + [
                f"Mixed-effects meta-regression of yi on sei ({opts['method']}, test={opts['test']}); "
                "metafor regtest(model='rma', predictor='sei')."
            ]),
        )  # fmt: skip
        return out
    X = np.column_stack([np.ones(k), se])
    w = 1.0 / v
    xtwx = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(xtwx, X.T @ (w * y))
    resid = y - X @ beta
    df = k - 2
    s2 = float(np.sum(w * resid**2) / df)
    cov = s2 * np.linalg.inv(xtwx)
    ses = np.sqrt(np.diag(cov))
    tstat = beta[1] / ses[1]
    crit = stats.t.isf((1 - lv) / 2, df)
    return EggerTest(
        model="lm", k=k, method="WLS", test="t", level=lv,
        slope=float(beta[1]), slope_se=float(ses[1]), statistic=float(tstat), df=df,
        pvalue=float(2 * stats.t.sf(abs(tstat), df)), limit_estimate=float(beta[0]),
        limit_ci=(float(beta[0] - crit * ses[0]), float(beta[0] + crit * ses[0])), tau2=math.nan,
        notes=tuple(notes + [
            "Classic Egger test: weighted least squares of yi on sei with weights 1/vi and the "
            "residual variance estimated (multiplicative dispersion), t(k-2) (Egger et al. 1997; "
            "metafor regtest(model='lm'))."
        ]),
    )  # fmt: skip


# --------------------------------------------------------------------------- trim and fill
@dataclass(frozen=True)
class TrimAndFill(FrameDisplay):
    """Result of :func:`trim_and_fill`.

    Attributes
    ----------
    k0, se_k0 : estimated number of missing studies and its standard error
    side : side on which studies were imputed ("left" or "right")
    estimator : "L0" or "R0"
    p_k0 : for R0, the p-value of H0: k0 = 0 (0.5^(k0+1)); NaN for L0
    model : the meta-analysis of the observed plus filled studies
    original : the meta-analysis of the observed studies (same method and test)
    filled : DataFrame of the imputed studies (label, yi, vi) for the funnel plot
    notes : what was done
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    p_k0: float
    model: Any
    original: Any
    filled: pd.DataFrame = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()

    _display_title = "Trim-and-fill"

    @property
    def estimate(self) -> float:
        """Pooled estimate after filling."""
        return self.model.estimate

    @property
    def ci(self) -> tuple[float, float]:
        """CI of the pooled estimate after filling."""
        return self.model.ci

    def funnel_frame(self) -> pd.DataFrame:
        """All points for a funnel plot: label, yi, vi, sei, filled (bool)."""
        obs = pd.DataFrame(
            {"label": list(self.original.labels), "yi": self.original.yi, "vi": self.original.vi}
        )
        obs["filled"] = False
        fil = self.filled.assign(filled=True)
        out = pd.concat([obs, fil], ignore_index=True)
        out.insert(3, "sei", np.sqrt(out["vi"].to_numpy(float)))
        return out

    def to_frame(self) -> pd.DataFrame:
        """Two rows: the observed studies and observed + filled (estimate, CI, p, tau², I²)."""
        t = f"{self.model.level * 100:.10g}".replace(".", "_")
        rows = []
        for name, m in (("observed", self.original), ("filled", self.model)):
            rows.append(
                {"analysis": name, "k": m.k, "estimate": m.estimate, "se": m.se,
                 f"ci_lower_{t}": m.ci[0], f"ci_upper_{t}": m.ci[1], "pvalue": m.pvalue,
                 "tau2": m.tau2, "i2": m.i2, "k0": self.k0 if name == "filled" else 0,
                 "side": self.side}
            )  # fmt: skip
        return pd.DataFrame(rows).set_index("analysis")

    def _display_notes(self) -> list[str]:
        return list(self.notes)

    def __repr__(self) -> str:
        m = self.model
        return (
            f"Trim-and-fill ({self.estimator}): estimated {self.k0} missing studies on the "
            f"{self.side} side (SE {self.se_k0:.4f}); filled estimate {m.estimate:.4f} "
            f"[{m.ci[0]:.4f}, {m.ci[1]:.4f}] vs observed {self.original.estimate:.4f}"
        )


@inspection("trim_and_fill")
def trim_and_fill(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    method: str | None = None,
    test: str | None = None,
    level: float | None = None,
    measure: str | None = None,
    estimator: str = "L0",
    side: str | None = None,
    maxiter: int = 100,
    force: bool = False,
) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill, as metafor's ``trimfill``.

    Parameters
    ----------
    yi : effect sizes, or a fitted :class:`~evsynth.pooling.result.MetaAnalysis` (its data and
        method are reused)
    vi, sei, labels, method, level, measure : as :func:`~evsynth.pooling.meta_analysis`
    test : test of the final (filled) model; default "z", as metafor's ``trimfill`` refits
    estimator : "L0" (default) or "R0"
    side : side of the funnel where studies are missing; default as metafor: "right" if the
        slope of yi on sei (same tau² method) is negative, else "left"
    maxiter : maximum trim iterations
    force : run with fewer than 10 studies (then a low-power note is added)

    Returns
    -------
    TrimAndFill

    Notes
    -----
    Iteration (Duval & Tweedie 2000; metafor ``trimfill``): sort yi (mirrored when
    side = "right"); repeat: pool the k - k0 smallest, rank |yi - mu| over all k studies,
    ``L0 = (4 S_r - k(k+1)) / (2k - 1)`` with ``S_r`` the sum of the ranks of positive
    deviations, or ``R0 = k - r* - 1`` with r* the largest rank of a negative deviation;
    ``k0 = max(0, round(.))`` until k0 repeats. The k0 most extreme studies are mirrored about
    the last pooled estimate (``2 mu - yi``, same vi) and the model refitted to all k + k0.
    """
    from evsynth.pooling.rma import meta_analysis

    y, v, lab, opts = resolve_model(
        yi, vi, sei, labels, method, test, level, measure, default_test="z"
    )
    meth = opts["method"]
    test = opts["test"].lower()
    lv = opts["level"]
    k = len(y)
    estimator = estimator.upper()
    if estimator not in ("L0", "R0"):
        raise PoolingError(f"estimator must be 'L0' or 'R0'; got {estimator!r}.")
    notes = _check_k(k, force, "Trim-and-fill")
    if side is None:
        from evsynth.pooling.rma import meta_regression

        reg = meta_regression(y, v, mods=pd.DataFrame({"sei": np.sqrt(v)}), method=meth, test="z")
        side = "right" if reg.beta[1] < 0 else "left"
        notes.append(
            f"Side chosen as metafor does: the slope of yi on sei is {reg.beta[1]:.4g} "
            f"({'negative' if reg.beta[1] < 0 else 'non-negative'}), so missing studies are "
            f"sought on the {side}."
        )
    else:
        side = side.lower()
        if side not in ("left", "right"):
            raise PoolingError(f"side must be 'left', 'right' or None; got {side!r}.")
    ys = -y if side == "right" else y.copy()
    order = np.argsort(ys, kind="stable")
    ys, vs = ys[order], v[order]
    k0, k0_prev, it = 0, -1, 0
    beta = float("nan")
    se_k0 = float("nan")
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise PoolingError("Trim-and-fill did not converge (k0 kept changing); check the data.")
        fit = meta_analysis(ys[: k - k0], vs[: k - k0], method=meth, test="z")
        beta = fit.estimate
        dev = ys - beta
        ranks = stats.rankdata(np.abs(dev), method="ordinal")
        signed = np.sign(dev) * ranks
        if estimator == "R0":
            negs = -signed[signed < 0]
            raw = (k - (negs.max() if negs.size else 0)) - 1
            se_raw = math.sqrt(2 * max(0.0, raw) + 2)
        else:
            sr = float(signed[signed > 0].sum())
            raw = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * raw**3 + 27 * raw**2 + 17 * raw
                      - 18 * k * raw**2 - 18 * k * raw + 6 * k**2 * raw) / 24  # fmt: skip
            se_raw = 4 * math.sqrt(var_sr) / (2 * k - 1) if var_sr > 0 else 0.0
        k0 = max(0, int(_round_half_even(raw)))
        se_k0 = max(0.0, se_raw)
    original = meta_analysis(
        y, v, labels=lab, method=meth, test=test, level=lv, measure=opts["measure"]
    )
    if k0 > 0:
        src = ys[k - k0 :]
        fill_flipped = 2 * beta - src
        fill_y = -fill_flipped if side == "right" else fill_flipped
        fill_v = vs[k - k0 :]
        fill_lab = [f"Filled {i + 1}" for i in range(k0)]
        model = meta_analysis(
            np.concatenate([y, fill_y]), np.concatenate([v, fill_v]), labels=list(lab) + fill_lab,
            method=meth, test=test, level=lv, measure=opts["measure"],
        )  # fmt: skip
        filled = pd.DataFrame({"label": fill_lab, "yi": fill_y, "vi": fill_v})
    else:
        model = original
        filled = pd.DataFrame(
            {
                "label": pd.Series([], dtype=object),
                "yi": pd.Series([], dtype=float),
                "vi": pd.Series([], dtype=float),
            }
        )
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else float("nan")
    notes.append(
        f"Trim-and-fill ({estimator}, {meth}): {k0} missing studies estimated on the {side} side "
        f"after {it} iterations; filled studies mirror the most extreme ones about the trimmed "
        f"estimate. Final model refitted with test={test}. Funnel asymmetry has causes other "
        "than publication bias; treat the filled estimate as a sensitivity analysis, not a correction."
    )
    return TrimAndFill(k0, se_k0, side, estimator, p_k0, model, original, filled, tuple(notes))


def _round_half_even(x: float) -> float:
    """R's ``round()`` (IEC 60559: halves to even), as Python's built-in ``round``."""
    return float(round(x))
