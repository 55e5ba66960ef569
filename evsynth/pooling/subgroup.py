"""Subgroup analysis: a meta-analysis per subgroup and a test for subgroup differences.

Two tests of "do the subgroup effects differ?" are computed:

- **separate** (default; RevMan, Borenstein et al. 2009 ch. 19 "separate estimates of tau²"):
  each subgroup is pooled on its own (its own tau²) and the subgroup estimates are compared with
  ``Q_between = sum_g w_g (mu_g - mu_bar)²``, ``w_g = 1/Var(mu_g)``, ``mu_bar = sum w_g mu_g /
  sum w_g``, referred to chi²(G - 1). ``Var(mu_g) = 1 / sum_i 1/(v_i + tau²_g)`` (unscaled by
  Knapp-Hartung, as RevMan and metafor's ``rma(est, sei, method="FE")`` on the subgroup fits).
- **common** (metafor): the mixed-effects meta-regression ``rma(yi, vi, mods = ~ factor(group))``
  with one tau² shared by all subgroups; the omnibus test QM of the G - 1 group contrasts
  (chi²(G - 1) under test "z", F(G - 1, k - G) under "knha"/"adhoc").

References
----------
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to Meta-Analysis.
    Wiley, chapter 19 (subgroup analyses; Q between, separate vs pooled tau²).
Viechtbauer W (2010). metafor: ``rma(..., mods = ~ factor(g))``, ``anova``.
Deeks JJ, Higgins JPT, Altman DG (2022). Cochrane Handbook ch. 10.11.3.1 (test for subgroup
    differences).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.lazy import lazy_module
from evsynth.errors import PoolingError
from evsynth.pooling.influence import resolve_model
from evsynth.pooling.result import inspection

stats = lazy_module("scipy.stats")


@dataclass(frozen=True)
class SubgroupAnalysis(FrameDisplay):
    """Per-subgroup meta-analyses, the overall one, and tests for subgroup differences.

    Attributes
    ----------
    groups : subgroup names, in order of first appearance
    fits : one MetaAnalysis per subgroup (same order)
    overall : the MetaAnalysis of all studies
    between : which test is the headline: "separate" or "common"
    q_between, q_between_df, q_between_pvalue : separate-tau² test (chi²(G-1))
    qm, qm_df, qm_pvalue, qm_test : common-tau² moderator test (chi² or F; NaN when the
        mixed model cannot be fitted, e.g. k <= G)
    tau2_common : the common (residual) tau² of the mixed model
    notes : what was done
    common_converged : whether the tau² solver of the common-tau² model converged (each fit in
        ``fits`` and ``overall`` carries its own ``converged``)
    """

    groups: tuple[str, ...]
    fits: tuple[Any, ...]
    overall: Any
    between: str
    q_between: float
    q_between_df: int
    q_between_pvalue: float
    qm: float
    qm_df: tuple[int, ...]
    qm_pvalue: float
    qm_test: str
    tau2_common: float
    notes: tuple[str, ...] = ()
    common_converged: bool = True

    _display_title = "Subgroup analysis"

    @property
    def pvalue(self) -> float:
        """p-value of the headline test for subgroup differences (``between``)."""
        return self.q_between_pvalue if self.between == "separate" else self.qm_pvalue

    def to_frame(self) -> pd.DataFrame:
        """One row per subgroup and one for all studies: k, estimate, se, CI, p, tau², I², Q."""
        t = f"{self.overall.level * 100:.10g}".replace(".", "_")
        rows = []
        for name, m in [*zip(self.groups, self.fits, strict=True), ("Overall", self.overall)]:
            rows.append(
                {"subgroup": name, "k": m.k, "estimate": m.estimate, "se": m.se,
                 f"ci_lower_{t}": m.ci[0], f"ci_upper_{t}": m.ci[1], "pvalue": m.pvalue,
                 "tau2": m.tau2, "i2": m.i2, "q": m.q, "q_pvalue": m.q_pvalue,
                 "converged": m.converged}
            )  # fmt: skip
        frame = pd.DataFrame(rows).set_index("subgroup")
        frame.attrs.update(
            q_between=self.q_between, q_between_df=self.q_between_df,
            q_between_pvalue=self.q_between_pvalue, qm=self.qm, qm_df=self.qm_df,
            qm_pvalue=self.qm_pvalue, common_converged=self.common_converged,
        )  # fmt: skip
        return frame

    def test_frame(self) -> pd.DataFrame:
        """Both tests for subgroup differences, one row each."""
        return pd.DataFrame(
            [
                {"test": "separate tau² (Q between)", "statistic": self.q_between,
                 "df": str(self.q_between_df), "distribution": "chi2", "pvalue": self.q_between_pvalue},
                {"test": "common tau² (QM, mixed-effects model)", "statistic": self.qm,
                 "df": ", ".join(map(str, self.qm_df)), "distribution": self.qm_test, "pvalue": self.qm_pvalue},
            ]
        ).set_index("test")  # fmt: skip

    def _display_notes(self) -> list[str]:
        return [self._headline()] + list(self.notes)

    def _headline(self) -> str:
        sep = f"Q between = {self.q_between:.4f} (df = {self.q_between_df}), p = {self.q_between_pvalue:.4g}"
        if self.qm_test == "F":
            com = f"F({self.qm_df[0]}, {self.qm_df[1]}) = {self.qm:.4f}, p = {self.qm_pvalue:.4g}"
        else:
            com = f"QM = {self.qm:.4f} (df = {self.qm_df[0] if self.qm_df else 'NA'}), p = {self.qm_pvalue:.4g}"
        first, second = (sep, com) if self.between == "separate" else (com, sep)
        return (
            f"Test for subgroup differences ({self.between} tau²): {first}. Other test: {second}."
        )

    def __repr__(self) -> str:
        lines = [f"Subgroup analysis ({len(self.groups)} subgroups, k = {self.overall.k})"]
        lines.append(self.to_frame().to_string(float_format=lambda x: f"{x:.4f}"))
        lines.append(self._headline())
        return "\n".join(lines)


@inspection("subgroups")
def subgroup_analysis(
    yi: Any,
    vi: Any = None,
    groups: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    method: str | None = None,
    test: str | None = None,
    level: float | None = None,
    measure: str | None = None,
    between: str = "separate",
) -> SubgroupAnalysis:
    """Meta-analysis within subgroups and a test for subgroup differences.

    Parameters
    ----------
    yi : effect sizes, or a fitted :class:`~evsynth.pooling.result.MetaAnalysis` (its data and
        options are reused)
    vi, sei, labels, method, test, level, measure : as :func:`~evsynth.pooling.meta_analysis`
    groups : subgroup of each study (one value per study; no missing values)
    between : headline test: "separate" (default; separate tau² per subgroup, Q between with
        G - 1 df, as RevMan / Borenstein et al. 2009 ch. 19) or "common" (one tau²;
        metafor's mixed-effects moderator test QM). Both are always computed.

    Returns
    -------
    SubgroupAnalysis

    Raises
    ------
    PoolingError
        if ``groups`` has the wrong length or missing values, or there is only one subgroup.
    """
    from evsynth.pooling.rma import meta_analysis, meta_regression

    y, v, lab, opts = resolve_model(yi, vi, sei, labels, method, test, level, measure)
    k = len(y)
    if groups is None:
        raise PoolingError(
            "groups is required: give the subgroup of each study (one value per study)."
        )
    g = pd.Series(
        list(groups) if not isinstance(groups, pd.Series) else groups.to_list(), dtype=object
    )
    if len(g) != k:
        raise PoolingError(f"groups has {len(g)} values but there are {k} studies.")
    if g.isna().any():
        missing = [lab[i] for i in np.flatnonzero(g.isna().to_numpy())]
        raise PoolingError(
            f"groups is missing for {missing}; assign every study a subgroup (evsynth never drops studies silently)."
        )
    g = g.astype(str)
    names = tuple(pd.unique(g))
    if len(names) < 2:
        raise PoolingError(
            f"Only one subgroup ({names[0]!r}); a subgroup analysis needs at least two."
        )
    between = between.lower()
    if between not in ("separate", "common"):
        raise PoolingError(f"between must be 'separate' or 'common'; got {between!r}.")
    notes: list[str] = []
    fits = []
    est, var = [], []
    for name in names:
        sel = np.flatnonzero((g == name).to_numpy())
        fit = meta_analysis(y[sel], v[sel], labels=[lab[i] for i in sel], **opts)
        fits.append(fit)
        tau2 = 0.0 if (fit.k == 1 or math.isnan(fit.tau2)) else fit.tau2
        est.append(fit.estimate)
        var.append(1.0 / np.sum(1.0 / (v[sel] + tau2)))
        if fit.k == 1:
            notes.append(
                f"Subgroup {name!r} has one study: its estimate is that study's (tau² = 0 in Q between)."
            )
    overall = meta_analysis(y, v, labels=lab, **opts)
    est_a, w = np.asarray(est), 1.0 / np.asarray(var)
    mu_bar = np.sum(w * est_a) / np.sum(w)
    qb = float(np.sum(w * (est_a - mu_bar) ** 2))
    qb_df = len(names) - 1
    qb_p = float(stats.chi2.sf(qb, qb_df))
    # common tau²: mixed-effects model with G - 1 dummies (first subgroup in sorted order = reference, as R's factor)
    levels = sorted(names)
    dummies = pd.DataFrame(
        {f"group[{lv}]": (g == lv).astype(float).to_numpy() for lv in levels[1:]}
    )
    qm, qm_df, qm_p, qm_test, tau2c = math.nan, (), math.nan, "chi2", math.nan
    common_converged = True
    try:
        reg = meta_regression(y, v, mods=dummies, **opts)
        common_converged = reg.converged
        qm, qm_df, qm_p, qm_test, tau2c = (
            reg.qm,
            tuple(reg.qm_df),
            reg.qm_pvalue,
            reg.qm_test,
            reg.tau2,
        )
    except PoolingError as exc:
        notes.append(f"The common-tau² mixed-effects model could not be fitted ({exc}); QM is NaN.")
    notes.insert(
        0,
        "Headline test: "
        + (
            "separate tau² per subgroup; Q between the subgroup estimates, chi²(G-1) (RevMan; "
            "Borenstein et al. 2009 ch. 19)."
            if between == "separate"
            else "common tau²; QM of the mixed-effects model yi ~ factor(subgroup) (metafor)."
        ),
    )
    bad = [n for n, f in [*zip(names, fits, strict=True), ("Overall", overall)] if not f.converged]
    if bad:
        notes.append(
            f"WARNING: the tau² estimator did not converge for {bad} (column 'converged' is "
            "False); those rows and the Q-between test are unreliable."
        )
    if not common_converged:
        notes.append(
            "WARNING: the tau² estimator of the common-tau² mixed-effects model did not "
            "converge; QM is unreliable."
        )
    notes.append(
        "Subgroup comparisons are observational (across studies), with low power when subgroups "
        "have few studies; a non-significant test does not show the effects are equal."
    )
    return SubgroupAnalysis(
        groups=names, fits=tuple(fits), overall=overall, between=between, q_between=qb,
        q_between_df=qb_df, q_between_pvalue=qb_p, qm=float(qm), qm_df=qm_df,
        qm_pvalue=float(qm_p), qm_test=qm_test, tau2_common=float(tau2c), notes=tuple(notes),
        common_converged=common_converged,
    )  # fmt: skip
