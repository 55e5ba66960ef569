"""Estimators of the between-study variance tau² in the general (meta-regression) form.

Every estimator works on a design matrix ``X`` (k x p, first column the intercept); the
intercept-only random-effects model is the special case ``X = ones((k, 1))``. Notation follows
Viechtbauer (2005) and metafor's ``rma.uni``: ``W = diag(w)``, ``P = W - W X (X'WX)^-1 X'W``
(so that ``y'Py`` is the weighted residual sum of squares), and the generalized Q statistic
``Q(tau²) = y' P(tau²) y`` with ``w_i = 1 / (v_i + tau²)``.

References
----------
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials 7:177-188.
Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press (HE estimator).
Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis, 2nd ed. Sage (HS estimator).
Morris CN (1983). Parametric empirical Bayes inference. J Am Stat Assoc 78:47-55 (EB).
Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur Stand 87:377-385.
Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for meta-analysis.
    J R Stat Soc C 54:367-384 (SJ).
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 30:261-293 (ML, REML, Fisher scoring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evsynth._shared.lazy import lazy_module

optimize = lazy_module("scipy.optimize")

# Estimator codes accepted by ``meta_analysis(method=...)`` (metafor's names).
TAU2_METHODS = ("DL", "REML", "ML", "PM", "EB", "SJ", "HE", "HS")
COMMON_EFFECT_METHODS = ("FE", "EE")
ALL_METHODS = TAU2_METHODS + COMMON_EFFECT_METHODS

METHOD_NAMES = {
    "DL": "DerSimonian-Laird (method of moments; DerSimonian & Laird 1986)",
    "REML": "restricted maximum likelihood (Fisher scoring; Viechtbauer 2005)",
    "ML": "maximum likelihood (Fisher scoring; Viechtbauer 2005)",
    "PM": "Paule-Mandel (root of the generalized Q; Paule & Mandel 1982)",
    "EB": "empirical Bayes (Morris 1983; Berkey et al. 1995)",
    "SJ": "Sidik-Jonkman (Sidik & Jonkman 2005)",
    "HE": "Hedges (unweighted method of moments; Hedges & Olkin 1985)",
    "HS": "Hunter-Schmidt (Hunter & Schmidt 2004)",
    "FE": "common (fixed) effect, inverse-variance weights",
    "EE": "equal (common) effect, inverse-variance weights",
}

# Convergence of the iterative estimators (REML, ML; the PM/EB root and the Q-profile use Brent's
# method to 1e-14). One rule everywhere (meta_analysis, meta-regression, the vectorized refits of
# GOSH and the permutation test): stop when the change in tau² is at most
# THRESHOLD * (tau² + min v_i). The bound is relative to the smallest total variance, so every
# weight 1/(v_i + tau²) has converged to a relative 1e-10 whatever the scale of the effects
# (metafor's default is an absolute 1e-5 on tau², control=list(threshold=1e-5)).
THRESHOLD = 1e-10
MAXITER = 1000
MAX_HALVINGS = 60
# After convergence, tau² is set to 0 when the log-likelihood there is higher than at the
# stationary point by more than this (metafor's ll0check uses .Machine$double.eps^0.25).
LL0_TOL = 1e-8
# Points of the profile-likelihood scan for a second maximum (ML, REML; quadratic spacing).
PROFILE_POINTS = 60
# Steps smaller than this fraction of (tau² + min v) are taken undamped.
DAMP_BELOW = 1e-3


def tau2_tolerance(tau2, vmin):
    """The stopping bound on the change of tau²: ``THRESHOLD * (tau² + min v_i)``."""
    return THRESHOLD * (tau2 + vmin)


def remaining_error(change, prev):
    """Distance still to go after a step of size ``change`` that followed one of size ``prev``.

    Fisher scoring converges linearly near a maximum where the observed and expected information
    differ, with rate ``rho = change / prev``; the distance left is then about
    ``change * rho / (1 - rho)`` (a geometric tail), which can be far larger than the last step.
    The stopping rule bounds the larger of the two (infinite while the steps do not shrink).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(prev > 0, change / prev, 0.0)
        tail = np.where(rho < 1, change * rho / (1 - rho), np.inf)
    return np.maximum(change, np.where(change == 0, 0.0, tail))


@dataclass(frozen=True)
class Tau2Estimate:
    """tau² and how it was obtained."""

    tau2: float
    method: str
    iterations: int = 0
    converged: bool = True
    truncated: bool = False  # raw estimate was negative and was set to 0
    raw: float = float("nan")  # the untruncated value, where the estimator has one
    notes: tuple[str, ...] = ()


def residual_projection(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Return ``P = W - W X (X'WX)^-1 X'W`` for weights ``w`` (Viechtbauer 2005, eq. 9).

    Forms a k x k matrix; the estimators use :func:`weighted_residuals` instead (O(k p²)).
    """
    W = np.diag(w)
    WX = w[:, None] * X
    XtWX = X.T @ WX
    return W - WX @ np.linalg.solve(XtWX, WX.T)


@dataclass(frozen=True)
class WeightedResiduals:
    """The pieces of ``P = W - W X (X'WX)^-1 X'W`` the estimators need, without forming P.

    ``Py = w * r`` with ``r = y - X beta_w``; ``y'Py = sum w r²``;
    ``tr P = sum w - tr(A^-1 X'W²X)``; ``tr PP = sum w² - 2 tr(A^-1 X'W³X) + tr((A^-1 X'W²X)²)``
    with ``A = X'WX``.
    """

    q: float
    py: np.ndarray
    tr_p: float
    tr_pp: float


def weighted_residuals(
    X: np.ndarray, w: np.ndarray, y: np.ndarray, need_tr_pp: bool = False
) -> WeightedResiduals:
    """Weighted least-squares residual quantities for weights ``w`` (see :class:`WeightedResiduals`).

    For the intercept-only model the pieces are formed from pairwise differences, without the
    cancellation of ``sum w - sum w²/sum w`` when one weight dwarfs the others (a study with
    v 1e-16 of the rest): ``(Py)_i = w_i sum_j w_j (y_i - y_j) / S``,
    ``P_ii = w_i (S - w_i) / S``, ``P_ij = -w_i w_j / S`` with ``S - w_i = sum_{j != i} w_j``.
    """
    if X.shape[1] == 1 and np.all(X == 1.0) and len(y) <= _PAIRWISE_MAX_K:
        return _weighted_residuals_intercept(w, y, need_tr_pp)
    WX = w[:, None] * X
    A = X.T @ WX
    beta = np.linalg.solve(A, WX.T @ y)
    r = y - X @ beta
    py = w * r
    B = np.linalg.solve(A, X.T @ (w[:, None] * WX))  # A^-1 X'W²X
    tr_p = float(w.sum() - np.trace(B))
    tr_pp = float("nan")
    if need_tr_pp:
        C = np.linalg.solve(A, X.T @ ((w**2)[:, None] * WX))  # A^-1 X'W³X
        tr_pp = float(np.sum(w**2) - 2 * np.trace(C) + np.trace(B @ B))
    return WeightedResiduals(float(np.sum(w * r * r)), py, tr_p, tr_pp)


_PAIRWISE_MAX_K = 2000  # k x k pairwise arrays up to this k (32 MB); the general formula above


def _weighted_residuals_intercept(
    w: np.ndarray, y: np.ndarray, need_tr_pp: bool
) -> WeightedResiduals:
    S = float(w.sum())
    d = y[:, None] - y[None, :]
    py = w * (d @ w) / S
    others = S - w  # sum of the other weights; exact except for a weight above S/2 ...
    i = int(np.argmax(w))
    others[i] = float(np.delete(w, i).sum())  # ... which only the largest can be
    pii = w * others / S
    tr_p = float(pii.sum())
    q = float(np.sum(py * py / w))
    tr_pp = float("nan")
    if need_tr_pp:
        off = (w[:, None] * w[None, :] / S) ** 2
        np.fill_diagonal(off, 0.0)
        tr_pp = float(np.sum(pii**2) + off.sum())
    return WeightedResiduals(q, py, tr_p, tr_pp)


def generalized_q(tau2: float, yi: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    """Generalized Q statistic ``y' P(tau²) y`` with weights ``1/(v_i + tau²)``.

    At ``tau2 = 0`` this is Cochran's Q (the QE test of residual heterogeneity).
    """
    w = 1.0 / (vi + tau2)
    WX = w[:, None] * X
    beta = np.linalg.solve(X.T @ WX, WX.T @ yi)
    r = yi - X @ beta
    return float(np.sum(w * r * r))


def _log_likelihood(tau2: float, yi, vi, X, reml: bool) -> float:
    w = 1.0 / (vi + tau2)
    WX = w[:, None] * X
    XtWX = X.T @ WX
    beta = np.linalg.solve(XtWX, WX.T @ yi)
    rss = float(np.sum(w * (yi - X @ beta) ** 2))
    k, p = X.shape
    if reml:
        logdet = np.linalg.slogdet(XtWX)[1]
        return (
            -0.5 * (k - p) * np.log(2 * np.pi)
            - 0.5 * np.sum(np.log(vi + tau2))
            - 0.5 * logdet
            - 0.5 * rss
        )
    return -0.5 * k * np.log(2 * np.pi) - 0.5 * np.sum(np.log(vi + tau2)) - 0.5 * rss


def _score_info(tau2: float, yi, vi, X, reml: bool) -> tuple[float, float]:
    """Twice the score of the (restricted) log-likelihood in tau² and twice its expected information.

    ML: ``U = y'PPy - sum w``, ``I = sum w²``; REML: ``U = y'PPy - tr P``, ``I = tr(PP)``
    (Viechtbauer 2005, eqs. 10-12). At ML the projection ``P`` uses the ML estimate of beta,
    so ``y'PPy`` is the same expression.
    """
    w = 1.0 / (vi + tau2)
    wr = weighted_residuals(X, w, yi, need_tr_pp=reml)
    yppy = float(wr.py @ wr.py)
    if reml:
        return yppy - wr.tr_p, wr.tr_pp
    return yppy - float(w.sum()), float(np.sum(w**2))


def _log_likelihood_grid(ts: np.ndarray, yi, vi, X, reml: bool) -> np.ndarray:
    """:func:`_log_likelihood` at every tau² in ``ts`` at once (batched linear algebra)."""
    k, p = X.shape
    tot = vi[None, :] + ts[:, None]
    W = 1.0 / tot
    A = np.einsum("gk,ki,kj->gij", W, X, X)
    b = np.einsum("gk,ki,k->gi", W, X, yi)
    beta = np.linalg.solve(A, b[..., None])[..., 0]
    r = yi[None, :] - beta @ X.T
    ll = -0.5 * np.log(tot).sum(axis=1) - 0.5 * (W * r * r).sum(axis=1)
    if reml:
        return ll - 0.5 * (k - p) * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(A)[1]
    return ll - 0.5 * k * np.log(2 * np.pi)


def _fisher_scoring_from(yi, vi, X, method: str, start: float) -> float:
    """tau² from Fisher scoring started at ``start``, without the profile scan."""
    return _fisher_scoring(yi, vi, X, method, start, scan=False).tau2


def _fisher_scoring(yi, vi, X, method: str, start: float, scan: bool = True) -> Tau2Estimate:
    """ML / REML: damped Fisher scoring, exact boundary at 0, bracketed root as fallback.

    From ``start`` (the HE estimate truncated at 0), ``tau² <- tau² + U/I`` (Viechtbauer 2005,
    eqs. 10-12), with the step halved while it lowers the likelihood (damping). When a step
    would leave [0, inf), the score at tau² = 0 decides: if ``U(0) <= 0`` the maximum is on
    the boundary and tau² is exactly 0; otherwise the step is halved. Stops when the change is
    at most ``THRESHOLD * (tau² + min v)`` (see :func:`tau2_tolerance`), counting the
    geometric tail of a slowly converging iteration (:func:`remaining_error`). If that has not
    happened after ``MAXITER`` steps, tau² is the root of the score equation bracketed on
    [0, hi] (Brent's method); ``converged`` is False only when no optimum is found at all.
    Then, as metafor, tau² is set to 0 if the likelihood there is higher.
    """
    reml = method == "REML"
    ll = lambda t: _log_likelihood(t, yi, vi, X, reml=reml)  # noqa: E731
    vmin = float(np.min(vi))
    tau2 = max(0.0, float(start)) if np.isfinite(start) else 0.0
    u0 = _score_info(0.0, yi, vi, X, reml)[0]
    converged = False
    how = "Fisher scoring"
    it = 0
    prev = float("inf")
    while it < MAXITER:
        it += 1
        if tau2 == 0.0 and u0 <= 0:
            converged = True
            break
        u, info = _score_info(tau2, yi, vi, X, reml)
        adj = u / info if info > 0 and np.isfinite(u) else 0.0
        if tau2 + adj <= 0 and u0 <= 0:
            tau2, converged = 0.0, True  # the maximum is on the boundary
            break
        l_old = ll(tau2)
        for _ in range(MAX_HALVINGS):
            new = tau2 + adj
            # damping only for steps large enough that the likelihood can tell (near the
            # optimum its rounding noise would halve good steps at random)
            if new >= 0 and (abs(adj) <= DAMP_BELOW * (tau2 + vmin) or ll(new) >= l_old):
                break
            adj /= 2
        else:
            new = tau2
        change = abs(new - tau2)
        tau2 = new
        if remaining_error(change, prev) <= tau2_tolerance(tau2, vmin):
            converged = True
            break
        prev = change
    if not converged:
        root = _score_root(yi, vi, X, reml, u0)
        if root is not None:
            tau2, converged, how = root, True, "bracketed root of the score (Brent)"
    notes = [
        f"tau² by {method}: {how}, "
        + (
            f"converged after {it} iterations"
            if converged
            else f"did NOT converge ({it} iterations)"
        )
        + " (stop when |change| <= 1e-10 x (tau² + min vi); exactly 0 when the score at 0 is <= 0)."
    ]
    if converged and tau2 > 0:
        # metafor's check that the fit at tau²=0 is not better (a local maximum elsewhere).
        if ll(0.0) - ll(tau2) > LL0_TOL:
            notes.append(
                "The likelihood at tau² = 0 is higher than at the stationary point found, so "
                "tau² was set to 0 (as metafor does). Check the profile likelihood."
            )
            tau2 = 0.0
    if converged and scan:
        tau2, more = _global_maximum(yi, vi, X, method, tau2)
        notes.extend(more)
    return Tau2Estimate(max(0.0, tau2), method, it, converged, notes=tuple(notes))


def _profile_grid(yi, vi, tau2: float) -> np.ndarray:
    """tau² values for the profile scan: 0 and PROFILE_POINTS points up to a generous bound."""
    hi = max(4 * tau2, 4 * float(np.var(yi)) + 10 * float(np.max(vi)))
    return hi * np.linspace(0.0, 1.0, PROFILE_POINTS + 1) ** 2


def _global_maximum(yi, vi, X, method: str, tau2: float) -> tuple[float, list[str]]:
    """Scan the profile (restricted) likelihood for other maxima; move to a higher one.

    The likelihood of the random-effects model can have two maxima (e.g. one at 0 and one
    inside; Viechtbauer's profile() advice, metafor's warning). If the scan finds more than one
    local maximum, a WARNING names them; if one is higher than the solution, Fisher scoring is
    restarted there and the higher maximum is returned.
    """
    reml = method == "REML"
    grid = _profile_grid(yi, vi, tau2)
    ll = _log_likelihood_grid(grid, yi, vi, X, reml)
    n = len(grid)
    at_zero = ll[0] > ll[1] or _score_info(0.0, yi, vi, X, reml)[0] <= 0  # 0 is a local maximum
    peaks = [0] if at_zero else []
    peaks += [i for i in range(1, n - 1) if ll[i] > ll[i - 1] and ll[i] >= ll[i + 1]]
    # grid peaks other than the solution's own (its bracket of grid cells does not hold tau²)
    other = [i for i in peaks if not grid[max(i - 1, 0)] <= tau2 <= grid[min(i + 1, n - 1)]]
    notes: list[str] = []
    if not other:
        return tau2, notes
    l_sol = _log_likelihood(tau2, yi, vi, X, reml=reml)
    best = max(other, key=lambda i: ll[i])
    found = {(float(grid[i]), float(ll[i])) for i in other} | {(tau2, l_sol)}
    where = ", ".join(f"{t:.3g} (log-likelihood {lv:.4f})" for t, lv in sorted(found))
    moved = ""
    if ll[best] - l_sol > LL0_TOL:
        again = _fisher_scoring_from(yi, vi, X, method, float(grid[best]))
        if _log_likelihood(again, yi, vi, X, reml=reml) > l_sol:
            moved = (
                f" The solver had stopped at a lower one (tau² = {tau2:.4g}); the estimate is "
                f"the higher, tau² = {again:.4g}."
            )
            tau2 = again
    notes.append(
        f"WARNING: the {method} likelihood has more than one local maximum in tau² (near {where})."
        + moved
        + " Report the profile likelihood; the estimate is sensitive to the data."
    )
    return tau2, notes
    l_sol = _log_likelihood(tau2, yi, vi, X, reml=reml)
    best = max(peaks, key=lambda i: ll[i])
    moved = ""
    if ll[best] - l_sol > LL0_TOL:
        again = _fisher_scoring_from(yi, vi, X, method, float(grid[best]))
        if _log_likelihood(again, yi, vi, X, reml=reml) > l_sol:
            moved = (
                f" The solver had stopped at the lower one (tau² = {tau2:.4g}); tau² is the higher."
            )
            tau2 = again
    where = ", ".join(f"{grid[i]:.3g} (log-likelihood {ll[i]:.4f})" for i in peaks)
    notes.append(
        f"WARNING: the {method} likelihood has {len(peaks)} local maxima in tau² (near {where})."
        + moved
        + " Report the profile likelihood; the estimate is sensitive to the data."
    )
    return tau2, notes


def _score_root(yi, vi, X, reml: bool, u0: float) -> float | None:
    """A root of the score equation bracketed on [0, hi]; 0 when the score at 0 is <= 0."""
    if u0 <= 0:
        return 0.0
    f = lambda t: _score_info(t, yi, vi, X, reml)[0]  # noqa: E731
    hi = max(1.0, 10 * float(np.var(yi)), 10 * float(np.max(vi)))
    for _ in range(60):
        if f(hi) < 0:
            return float(optimize.brentq(f, 0.0, hi, xtol=1e-15, rtol=1e-14, maxiter=1000))
        hi *= 4
    return None


def _q_root(yi, vi, X, target: float, upper: float | None = None) -> tuple[float, bool]:
    """Smallest tau² >= 0 with ``generalized_q(tau²) = target`` (Q decreases in tau²).

    Returns ``(root, at_zero)``; ``at_zero`` is True when ``Q(0) <= target`` (no positive root).
    """
    f = lambda t: generalized_q(t, yi, vi, X) - target  # noqa: E731
    if f(0.0) <= 0:
        return 0.0, True
    hi = upper if upper is not None else max(100.0, 10 * _mad(yi) ** 2)
    n = 0
    while f(hi) > 0:
        hi *= 10
        n += 1
        if n > 30:
            raise FloatingPointError("generalized Q does not reach its target for any tau²")
    root = optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-14, maxiter=1000)
    return float(root), False


def _mad(y: np.ndarray) -> float:
    """Median absolute deviation with the normal consistency constant 1.4826 (R's mad)."""
    return float(1.4826 * np.median(np.abs(y - np.median(y))))


def estimate_tau2(yi: np.ndarray, vi: np.ndarray, X: np.ndarray, method: str) -> Tau2Estimate:
    """Estimate tau² by ``method`` for the model ``y = X beta + u + e``.

    Parameters
    ----------
    yi, vi : effect sizes and sampling variances (length k)
    X : design matrix, k x p, full column rank
    method : one of ``TAU2_METHODS``, or "FE"/"EE" (returns 0)

    Returns
    -------
    Tau2Estimate
        Negative moment estimates are truncated at 0 (``truncated=True`` and ``raw`` keep the
        untruncated value). Formulas (Viechtbauer 2005; metafor ``rma.uni``):

        - DL: ``(Q - (k-p)) / tr(P)`` with ``w = 1/v``
        - HE: ``(y'(I-H)y - tr((I-H)V)) / (k-p)``, ``H = X(X'X)^-1 X'``
        - HS: ``(Q - k) / sum(w)`` with ``w = 1/v``
        - SJ: ``tau0² y'P(tau0²)y / (k-p)`` with ``tau0² = var(y)(k-1)/k``
        - PM: root of ``Q(tau²) = k-p``; EB: root of ``Q(tau²) k/(k-p) = k``, the same equation
        - ML, REML: Fisher scoring on the (restricted) likelihood
    """
    k, p = X.shape
    yi = np.asarray(yi, float)
    vi = np.asarray(vi, float)
    if method in COMMON_EFFECT_METHODS:
        return Tau2Estimate(
            0.0, method, notes=("common-effect model: tau² fixed at 0 by assumption.",)
        )
    if method in ("DL", "HS"):
        w = 1.0 / vi
        wr = weighted_residuals(X, w, yi)
        q = wr.q
        if method == "DL":
            raw = (q - (k - p)) / wr.tr_p
        else:
            raw = (q - k) / w.sum()
        return _truncated(raw, method)
    if method in ("HE", "ML", "REML"):
        # (I - H) y are the OLS residuals; tr((I - H) V) = sum v - tr((X'X)^-1 X'VX)
        XtX = X.T @ X
        r = yi - X @ np.linalg.solve(XtX, X.T @ yi)
        tr_rv = float(vi.sum() - np.trace(np.linalg.solve(XtX, X.T @ (vi[:, None] * X))))
        raw = (float(r @ r) - tr_rv) / (k - p)
        if method == "HE":
            return _truncated(raw, method)
        return _fisher_scoring(yi, vi, X, method, start=raw)
    if method == "SJ":
        tau0 = float(np.var(yi))  # var(y) * (k-1)/k
        tau2 = tau0 * generalized_q(tau0, yi, vi, X) / (k - p)
        return Tau2Estimate(
            max(0.0, tau2),
            method,
            raw=tau2,
            notes=(f"SJ starting value tau0² = var(yi)(k-1)/k = {tau0:.6g}.",),
        )
    if method in ("PM", "EB"):
        # EB (Morris 1983) solves Q(tau²) k/(k-p) = k, i.e. the same equation as PM; metafor
        # iterates to that root, evsynth finds it directly.
        root, at_zero = _q_root(yi, vi, X, k - p)
        note = (
            f"{method}: generalized Q at tau² = 0 is below its expectation k-p, so tau² = 0."
            if at_zero
            else f"{method}: tau² is the root of the generalized Q(tau²) = k-p (Brent's method, tol 1e-14)."
        )
        return Tau2Estimate(root, method, truncated=at_zero, notes=(note,))
    raise ValueError(f"unknown tau² method {method!r}")


def _truncated(raw: float, method: str) -> Tau2Estimate:
    raw = float(raw)
    if raw < 0:
        note = (
            f"{method}: the moment estimate of tau² was negative ({raw:.4g}) and is truncated at 0."
        )
        if method == "DL":
            note = (
                f"DL: Q < k-p, so the moment estimate of tau² is negative ({raw:.4g}); "
                "it is truncated at 0 (DerSimonian & Laird 1986)."
            )
        return Tau2Estimate(0.0, method, truncated=True, raw=raw, notes=(note,))
    return Tau2Estimate(raw, method, raw=raw)
