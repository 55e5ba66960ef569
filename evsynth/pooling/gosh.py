"""GOSH: the model refitted to every subset of the studies (Olkin, Dahabreh & Trikalinos 2012).

Also holds :func:`fit_many`, the vectorized intercept-only fitter (FE, DL, REML) that GOSH and
the exact permutation test (:mod:`evsynth.pooling.permutation`) share: one NumPy pass fits
thousands of meta-analyses at once, row by row of a masked ``(n_fits, k)`` array.

References
----------
Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH - a graphical display of study heterogeneity.
    Res Synth Methods 3:214-223.
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 30:261-293 (REML Fisher scoring).
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3)
    (``rma.uni`` algorithm, whose starting value, step halving, stopping rule and
    likelihood-at-zero check :func:`fit_many` reproduces; ``gosh.rma``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evsynth._shared.lazy import lazy_module
from evsynth.errors import PoolingError
from evsynth.pooling.estimators import (
    DAMP_BELOW,
    LL0_TOL,
    MAX_HALVINGS,
    MAXITER,
    _fisher_scoring,
    remaining_error,
    tau2_tolerance,
)
from evsynth.pooling.result import inspection

stats = lazy_module("scipy.stats")

GOSH_METHODS = ("REML", "DL", "FE")

# Default size limit for GOSH (2^k - 1 fits).
GOSH_MAX_K = 20


@dataclass(frozen=True)
class ManyFits:
    """Results of :func:`fit_many`, one entry per row (NaN where a fit did not converge)."""

    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    tau2: np.ndarray
    q: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray


def _sums(w: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sw = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw
    return sw, mu, y - mu[:, None]


def fit_many(
    yi: np.ndarray,
    vi: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    method: str = "REML",
    test: str = "z",
) -> ManyFits:
    """Fit many intercept-only models at once (vectorized over rows).

    Parameters
    ----------
    yi : (n, k) effect sizes, or (k,) broadcast to every row
    vi : (k,) or (n, k) sampling variances
    mask : (n, k) boolean, True where a study is in the row's model (default: all)
    method : "REML", "DL" or "FE"
    test : "z", "t", "knha" or "adhoc" (the statistic returned is ``estimate / se``)

    Returns
    -------
    ManyFits
        Per row: k, estimate, se, statistic, tau2, Q, I² (percent), H², convergence flag.

    Notes
    -----
    REML is the solver of :func:`~evsynth.pooling.meta_analysis`, vectorized (same start, steps,
    damping, boundary rule, stopping rule and likelihood-at-zero check; see
    ``evsynth.pooling.estimators._fisher_scoring``): start at the Hedges (HE) estimate truncated
    at 0, ``tau² <- tau² + (y'PPy - tr P) / tr(PP)`` halved while it lowers the restricted
    likelihood, exactly 0 when a step leaves [0, inf) and the score at 0 is <= 0, stop when the
    change is <= ``1e-10 (tau² + min v)``; rows still unconverged after the iteration limit get
    the scalar solver's bracketed root. For one study: tau² = 0, Q = 0, I² = 0,
    H² = 1 (metafor's k = 1 convention). I² = 100 tau²/(tau² + vt), vt = (k-1)/tr(P_FE), and
    H² = tau²/vt + 1 (FE: from Q), as ``rma.uni``.
    """
    method = method.upper()
    if method not in GOSH_METHODS:
        raise PoolingError(f"method must be one of {list(GOSH_METHODS)} here; got {method!r}.")
    y = np.atleast_2d(np.asarray(yi, dtype=float))
    v = np.broadcast_to(np.asarray(vi, dtype=float), y.shape)
    m = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    y = np.broadcast_to(y, m.shape)
    v = np.broadcast_to(v, m.shape)
    n = m.shape[0]
    kk = m.sum(axis=1)
    if np.any(kk < 1):
        raise PoolingError("every fit needs at least one study (a row of the mask is empty).")
    mf = m.astype(float)
    ys = np.where(m, y, 0.0)
    vs = np.where(m, v, 1.0)

    # Fixed-effect quantities (Q, vt) for every row.
    w0 = mf / vs
    sw0, mu0, r0 = _sums(w0, ys)
    q = np.maximum(0.0, (w0 * r0**2).sum(axis=1))
    trp0 = sw0 - (w0**2).sum(axis=1) / sw0
    km1 = kk - 1.0

    tau2 = np.zeros(n)
    iters = np.zeros(n, dtype=int)
    converged = np.ones(n, dtype=bool)
    multi = kk > 1
    if method == "DL":
        with np.errstate(divide="ignore", invalid="ignore"):
            tau2 = np.where(multi, np.maximum(0.0, (q - km1) / trp0), 0.0)
    elif method == "REML":
        tau2, iters, converged = _reml_many(ys, vs, mf, kk)

    w = mf / (vs + tau2[:, None])
    sw, mu, r = _sums(w, ys)
    se = np.sqrt(1.0 / sw)
    if test in ("knha", "adhoc"):
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = np.where(multi, (w * r**2).sum(axis=1) / km1, 1.0)
        if test == "adhoc":
            s2 = np.maximum(1.0, s2)
        se = np.sqrt(s2 / sw)
    elif test not in ("z", "t"):
        raise PoolingError(f"test must be 'z', 't', 'knha' or 'adhoc'; got {test!r}.")

    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            i2 = np.where(multi, np.maximum(0.0, 100 * (q - km1) / q), 0.0)
            h2 = np.where(multi, q / km1, 1.0)
        else:
            vt = km1 / trp0
            i2 = np.where(multi, 100 * tau2 / (vt + tau2), 0.0)
            h2 = np.where(multi, tau2 / vt + 1.0, 1.0)
    q = np.where(multi, q, 0.0)
    bad = ~converged
    out = [mu, se, mu / se, tau2, q, i2, h2]
    for a in out:
        a[bad] = np.nan
    return ManyFits(kk, mu, se, mu / se, tau2, q, i2, h2, converged, iters)


def _reml_score(ys, vs, mf, tau2):
    """Twice the REML score and twice the expected information, per row (intercept only)."""
    w = mf / (vs + tau2[:, None])
    sw = w.sum(axis=1)
    mu = (w * ys).sum(axis=1) / sw
    r = ys - mu[:, None]
    sw2 = (w**2).sum(axis=1)
    sw3 = (w**3).sum(axis=1)
    yppy = (w**2 * r**2).sum(axis=1)
    trp = sw - sw2 / sw
    trpp = sw2 - 2 * sw3 / sw + sw2**2 / sw**2
    return yppy - trp, trpp


def _reml_many(ys, vs, mf, kk):
    """Vectorized REML (see :func:`fit_many`); rows with one study get tau² = 0."""
    n = ys.shape[0]
    multi = kk > 1
    km1 = np.maximum(kk - 1.0, 1.0)
    vmin = np.where(mf > 0, vs, np.inf).min(axis=1)
    # Hedges (HE) starting value: (sum (y - ybar)^2 - sum(v) (k-1)/k) / (k-1)
    ybar = ys.sum(axis=1) / kk
    rss = (mf * (ys - ybar[:, None]) ** 2).sum(axis=1)
    trpv = (mf * vs).sum(axis=1) * (kk - 1.0) / kk
    tau2 = np.where(multi, np.maximum(0.0, (rss - trpv) / km1), 0.0)
    u0 = _reml_score(ys, vs, mf, np.zeros(n))[0]
    iters = np.zeros(n, dtype=int)
    active = multi.copy()
    converged = ~multi
    prev = np.full(n, np.inf)
    it = 0
    while active.any() and it < MAXITER:
        it += 1
        idx = np.flatnonzero(active)
        t = tau2[idx]
        y_, v_, m_, k_ = ys[idx], vs[idx], mf[idx], kk[idx]
        u, info = _reml_score(y_, v_, m_, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            adj = np.where((info > 0) & np.isfinite(u), u / info, 0.0)
        edge = (u0[idx] <= 0) & ((t == 0) | (t + adj <= 0))
        l_old = _reml_loglik(y_, v_, m_, k_, t)
        new = t + adj
        small = np.abs(adj) <= DAMP_BELOW * (t + vmin[idx])
        bad = ~edge & (
            (new < 0) | (~small & (_reml_loglik(y_, v_, m_, k_, np.maximum(new, 0)) < l_old))
        )
        for _ in range(MAX_HALVINGS):
            if not bad.any():
                break
            adj[bad] /= 2
            new = t + adj
            small = np.abs(adj) <= DAMP_BELOW * (t + vmin[idx])
            bad = ~edge & (
                (new < 0) | (~small & (_reml_loglik(y_, v_, m_, k_, np.maximum(new, 0)) < l_old))
            )
        new = np.where(bad, t, new)
        new[edge] = 0.0
        change = np.abs(new - t)
        done = edge | (remaining_error(change, prev[idx]) <= tau2_tolerance(new, vmin[idx]))
        prev[idx] = change
        tau2[idx] = new
        iters[idx] = it
        converged[idx[done]] = True
        active[idx[done]] = False
    for i in np.flatnonzero(active):  # rare: the scalar solver's bracketed-root fallback
        sel = mf[i] > 0
        est = _fisher_scoring(ys[i, sel], vs[i, sel], np.ones((int(kk[i]), 1)), "REML", tau2[i])
        tau2[i], converged[i] = est.tau2, est.converged
    # likelihood at zero check (as metafor's ll0check)
    chk = multi & converged & (tau2 > 0)
    if chk.any():
        idx = np.flatnonzero(chk)
        ll0 = _reml_loglik(ys[idx], vs[idx], mf[idx], kk[idx], np.zeros(len(idx)))
        ll = _reml_loglik(ys[idx], vs[idx], mf[idx], kk[idx], tau2[idx])
        reset = ll0 - ll > LL0_TOL
        tau2[idx[reset]] = 0.0
    return tau2, iters, converged


def _reml_loglik(ys, vs, mf, kk, tau2):
    """Restricted log-likelihood of the intercept-only model (Viechtbauer 2005, eq. 6)."""
    w = mf / (vs + tau2[:, None])
    sw = w.sum(axis=1)
    mu = (w * ys).sum(axis=1) / sw
    rss = (w * (ys - mu[:, None]) ** 2).sum(axis=1)
    logv = (mf * np.log(vs + tau2[:, None])).sum(axis=1)
    return -0.5 * (kk - 1) * np.log(2 * np.pi) - 0.5 * logv - 0.5 * np.log(sw) - 0.5 * rss


def subset_masks(k: int) -> np.ndarray:
    """All 2^k - 1 non-empty subsets of k studies, in metafor ``gosh`` order.

    metafor builds ``expand.grid(rep(list(c(FALSE, TRUE)), k))`` (study 1 toggles fastest), drops
    the empty row and sorts stably by subset size; row ``i`` of the grid has study ``j``
    included when bit ``j`` of ``i`` is set.
    """
    idx = np.arange(1, 2**k, dtype=np.int64)
    masks = ((idx[:, None] >> np.arange(k)) & 1).astype(bool)
    order = np.argsort(masks.sum(axis=1), kind="stable")
    return masks[order]


@inspection("gosh")
def gosh(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    method: str | None = None,
    max_k: int = GOSH_MAX_K,
) -> pd.DataFrame:
    """Fit the meta-analysis to all 2^k - 1 subsets of the studies (GOSH plot data).

    Parameters
    ----------
    yi, vi : effect sizes and sampling variances (or ``sei``), or a fitted
        :class:`~evsynth.pooling.result.MetaAnalysis` as ``yi`` (its data and method)
    labels : study labels
    method : "REML" (default), "DL" or "FE"
    max_k : refuse more studies than this (2^k fits; default 20, about a million fits)

    Returns
    -------
    pandas.DataFrame
        One row per subset in metafor's order (by subset size, then the ``expand.grid``
        order) with ``k``, ``estimate``, ``tau2``, ``i2`` (percent), ``h2``, ``q``,
        ``converged`` (False where the tau² solver found no optimum; those rows are NaN), then one
        boolean column per study (named by its label) saying whether it is in the subset
        (metafor's ``$incl``). ``frame.attrs`` holds ``method``, ``labels`` and ``notes``.

    Notes
    -----
    Olkin, Dahabreh & Trikalinos (2012); matches metafor's ``gosh(rma(yi, vi, method=))``
    subset by subset (same REML iteration, see :func:`fit_many`). Subsets of one study have
    tau² = 0, I² = 0, H² = 1, as metafor.
    """
    from evsynth.pooling.result import MetaAnalysis

    if isinstance(yi, MetaAnalysis):  # a fit: its data and estimator
        if method not in (None, yi.method):
            raise PoolingError(
                f"a fitted model was passed with method={method!r} (the fit has "
                f"{yi.method!r}); inspect the fit as it is, or fit again."
            )
        yi, vi, labels, method = list(yi.yi), list(yi.vi), list(yi.labels), yi.method
    method = method or "REML"
    y, v, lab = _clean_input(yi, vi, sei, labels, what="gosh")
    k = len(y)
    if k < 2:
        raise PoolingError("GOSH needs at least 2 studies (it refits the model to every subset).")
    if k > max_k:
        raise PoolingError(
            f"GOSH with k = {k} studies means 2^{k} - 1 = {2**k - 1:,} fits; refusing above "
            f"max_k = {max_k}. Pass max_k={k} if you really want all of them."
        )
    method = method.upper()
    masks = subset_masks(k)
    fits = fit_many(y, v, masks, method=method, test="z")
    h2 = fits.h2
    if method == "DL":
        # metafor's gosh() fits DL in closed form with H² = Q/(k-1) (not tau²/vt + 1, which
        # differs when Q < k-1 and tau² is truncated at 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h2 = np.where(fits.k > 1, fits.q / (fits.k - 1.0), 1.0)
    frame = pd.DataFrame(
        {
            "k": fits.k,
            "estimate": fits.estimate,
            "tau2": fits.tau2,
            "i2": fits.i2,
            "h2": h2,
            "q": fits.q,
            "converged": fits.converged,
        }
    )
    incl = pd.DataFrame(masks, columns=_unique_labels(lab))
    frame = pd.concat([frame, incl], axis=1)
    notes = [
        f"{len(frame):,} subset fits ({method}), metafor gosh() order; REML by meta_analysis()'s solver "
        "(HE start, damped Fisher scoring to |change| <= 1e-10 (tau² + min vi), exactly 0 at the "
        "boundary)."
    ]
    nfail = int((~fits.converged).sum())
    if nfail:
        notes.append(f"{nfail} subset fit(s) did not converge; their rows are NaN (as metafor).")
    frame.attrs.update(method=method, labels=lab, notes=tuple(notes))
    return frame


def _unique_labels(labels: tuple[str, ...]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0)
        seen[lab] = n + 1
        out.append(lab if n == 0 else f"{lab} ({n + 1})")
    return out


def _clean_input(yi, vi, sei, labels, what: str):
    """Validate yi/vi(sei)/labels for the modules here (same rules as meta_analysis)."""
    from evsynth.pooling.data import prepare_input

    inp = prepare_input(yi, vi, sei=sei, labels=labels)
    return inp.yi, inp.vi, inp.labels


def _t_or_z_pvalue(stat: np.ndarray, df: float | None) -> np.ndarray:
    if df is None:
        return 2 * stats.norm.sf(np.abs(stat))
    return 2 * stats.t.sf(np.abs(stat), df)
