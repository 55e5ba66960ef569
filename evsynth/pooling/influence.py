"""Leave-one-out and cumulative meta-analysis (metafor ``leave1out`` and ``cumul``).

Both refit :func:`~evsynth.pooling.meta_analysis` with the same estimator, test and level:
``leave_one_out`` once without each study, ``cumulative`` on the first 1, 2, ..., k studies in a
chosen order (e.g. publication year). They show whether one study drives the pooled result and
how the evidence accumulated.

References
----------
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3)
    (``leave1out.rma.uni``, ``cumul.rma.uni``).
Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992). Cumulative
    meta-analysis of therapeutic trials for myocardial infarction. N Engl J Med 327:248-254.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evsynth.errors import PoolingError
from evsynth.pooling.result import inspection

_COLUMNS = ("estimate", "se", "statistic", "df", "pvalue", "tau2", "i2", "h2", "q", "q_pvalue")


def resolve_model(
    yi: Any,
    vi: Any,
    sei: Any,
    labels: Any,
    method: str | None,
    test: str | None,
    level: float | None,
    measure: str | None,
    *,
    default_test: str = "adhoc",
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], dict[str, Any]]:
    """Arrays and fitting options from either a fitted ``MetaAnalysis`` or raw ``yi``/``vi``.

    A ``MetaAnalysis`` passed as ``yi`` supplies its data, labels, method, test, level and
    measure; passing a different ``method``, ``test``, ``level`` or ``measure`` with it is an
    error (the inspection would silently describe another model). With arrays, ``None`` means
    the default (REML, ``default_test``, 0.95, GEN).
    """
    from evsynth.pooling.data import prepare_input
    from evsynth.pooling.result import MetaAnalysis

    if isinstance(yi, MetaAnalysis):
        m = yi
        opts = dict(method=m.method, test=m.test, level=m.level, measure=m.measure)
        given = dict(method=method, test=test, level=level, measure=measure)
        clash = [
            f"{k}={v!r} (the fit has {opts[k]!r})"
            for k, v in given.items()
            if v is not None
            and (str(v).upper() if k in ("method", "measure") else v)
            != (str(opts[k]).upper() if k in ("method", "measure") else opts[k])
        ]
        if clash:
            raise PoolingError(
                "a fitted model was passed with other options: "
                + "; ".join(clash)
                + ". Inspect the fit as it is (res.leave_one_out(), ...), or fit again with "
                "the options you want."
            )
        return np.asarray(m.yi, float), np.asarray(m.vi, float), tuple(m.labels), opts
    inp = prepare_input(yi, vi, sei=sei, labels=labels, measure=measure or "GEN")
    opts = dict(
        method=method or "REML",
        test=test or default_test,
        level=0.95 if level is None else level,
        measure=inp.measure,
    )
    return inp.yi, inp.vi, inp.labels, opts


def _row(fit: Any) -> dict[str, Any]:
    from evsynth.pooling.result import level_tag

    t = level_tag(fit.level)
    row = {"k": fit.k}
    for c in _COLUMNS:
        row[c] = getattr(fit, c)
    row[f"ci_lower_{t}"] = fit.ci[0]
    row[f"ci_upper_{t}"] = fit.ci[1]
    row["converged"] = fit.converged
    return row


def _frame(
    rows: list[dict[str, Any]], first: dict[str, list[Any]], opts: dict[str, Any]
) -> pd.DataFrame:
    from evsynth.pooling.result import level_tag

    t = level_tag(opts["level"])
    order = ["k", "estimate", "se", f"ci_lower_{t}", f"ci_upper_{t}", "statistic", "df", "pvalue",
             "tau2", "i2", "h2", "q", "q_pvalue", "converged"]  # fmt: skip
    body = pd.DataFrame(rows)[order]
    head = pd.DataFrame(first)
    return pd.concat([head, body], axis=1)


@inspection("leave_one_out")
def leave_one_out(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    method: str | None = None,
    test: str | None = None,
    level: float | None = None,
    measure: str | None = None,
) -> pd.DataFrame:
    """Refit the meta-analysis k times, each time without one study (metafor ``leave1out``).

    Parameters
    ----------
    yi : effect sizes, or a fitted :class:`~evsynth.pooling.result.MetaAnalysis` (its data and
        options are reused)
    vi, sei, labels, method, test, level, measure : as :func:`~evsynth.pooling.meta_analysis`

    Returns
    -------
    pandas.DataFrame
        One row per omitted study (``omitted`` = its label): ``k`` (studies left), estimate,
        se, CI (level in the column names), statistic, df, pvalue, tau2, i2 (percent), h2, q,
        q_pvalue, ``converged`` (False where the tau² solver found no optimum: do not use that
        row). ``attrs`` holds ``method``, ``test``, ``level``, ``measure`` and ``notes``.

    Raises
    ------
    PoolingError
        with fewer than 2 studies.
    """
    from evsynth.pooling.rma import meta_analysis

    y, v, lab, opts = resolve_model(yi, vi, sei, labels, method, test, level, measure)
    k = len(y)
    if k < 2:
        raise PoolingError("Leave-one-out needs at least 2 studies (k = 1 leaves nothing to pool).")
    rows = []
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        keep[:] = True
        keep[i] = False
        fit = meta_analysis(y[keep], v[keep], labels=[lab[j] for j in np.flatnonzero(keep)], **opts)
        rows.append(_row(fit))
    out = _frame(rows, {"omitted": list(lab)}, opts)
    notes = [
        f"Each row refits the model ({opts['method']}, test={opts['test']}) without the study named "
        "in 'omitted' (metafor leave1out)."
    ]
    if k == 2:
        notes.append("k = 2: each row is a single study, so tau², I² and Q are undefined (NaN).")
    notes.extend(_convergence_notes(out))
    out.attrs.update(opts, notes=tuple(notes))
    return out


@inspection("cumulative")
def cumulative(
    yi: Any,
    vi: Any = None,
    *,
    sei: Any = None,
    labels: Any = None,
    order: Sequence[Any] | None = None,
    decreasing: bool = False,
    method: str | None = None,
    test: str | None = None,
    level: float | None = None,
    measure: str | None = None,
) -> pd.DataFrame:
    """Cumulative meta-analysis: add one study at a time (metafor ``cumul``).

    Parameters
    ----------
    yi : effect sizes, or a fitted :class:`~evsynth.pooling.result.MetaAnalysis`
    vi, sei, labels, method, test, level, measure : as :func:`~evsynth.pooling.meta_analysis`
    order : one sort key per study (e.g. publication years); studies are added in increasing
        order of the key, ties keeping their input order (R's ``order()``). Default: input order.
    decreasing : add studies in decreasing order of ``order``

    Returns
    -------
    pandas.DataFrame
        Row i is the meta-analysis of the first i studies: ``added`` (the study added),
        ``order`` (its key, when given), k, estimate, se, CI, statistic, df, pvalue, tau2, i2,
        h2, q, q_pvalue, ``converged`` (as in :func:`leave_one_out`). The first row is one study: its own estimate with a z interval and NaN
        heterogeneity (metafor reports tau² = 0 and I² = 0 there).
    """
    from evsynth.pooling.rma import meta_analysis

    y, v, lab, opts = resolve_model(yi, vi, sei, labels, method, test, level, measure)
    k = len(y)
    if order is None:
        idx = np.arange(k)
        keys = None
    else:
        keys = list(order)
        if len(keys) != k:
            raise PoolingError(
                f"order has {len(keys)} values but there are {k} studies; give one sort key per study."
            )
        if any(pd.isna(x) for x in keys):
            missing = [lab[i] for i, x in enumerate(keys) if pd.isna(x)]
            raise PoolingError(
                f"order is missing for {missing}; give every study a sort key (e.g. its year)."
            )
        ranks = pd.Series(keys).rank(method="first", ascending=not decreasing).to_numpy()
        idx = np.argsort(ranks, kind="stable")
    rows = []
    for i in range(1, k + 1):
        sel = idx[:i]
        fit = meta_analysis(y[sel], v[sel], labels=[lab[j] for j in sel], **opts)
        rows.append(_row(fit))
    first: dict[str, list[Any]] = {"added": [lab[j] for j in idx]}
    if keys is not None:
        first["order"] = [keys[j] for j in idx]
    out = _frame(rows, first, opts)
    notes = [
        f"Row i pools the first i studies ({opts['method']}, test={opts['test']}), in "
        + (
            "input order."
            if keys is None
            else f"{'decreasing' if decreasing else 'increasing'} order of the sort key (ties in input order)."
        )
    ]
    notes.extend(_convergence_notes(out))
    out.attrs.update(opts, notes=tuple(notes))
    return out


def _convergence_notes(frame: pd.DataFrame) -> list[str]:
    """A warning naming the rows whose tau² solver did not converge (none: no note)."""
    bad = frame.index[~frame["converged"].astype(bool)]
    if len(bad) == 0:
        return []
    return [
        f"WARNING: the tau² estimator did not converge in row(s) {list(map(int, bad))} "
        "(column 'converged' is False); their numbers are unreliable."
    ]
