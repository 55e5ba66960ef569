"""evsynth.meta_analysis against R metafor 3.8 (validation/metafor/rma.R -> rma.json).

Each parametrized case is one R call, stored in the JSON under ``call`` and shown in the test id:
``rma(yi, vi, data=<set>, method=<method>, test=<test>, control=list(threshold=1e-12, tol=1e-12,
maxiter=1000))`` followed by ``weights(res)``, ``predict(res)``, ``predict(res, pi.type="riley")``
and ``confint(res, control=list(tol=1e-12))``. Data sets: ``bcg`` = ``escalc(measure="RR",
ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)``; ``toci_k2`` = two tocilizumab PFS HRs
1.18 [0.49, 2.85] and 1.207 [0.561, 2.598] (conv.wald formula); ``k3`` synthetic k = 3;
``qsmall`` synthetic with Q < k-1.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evsynth.pooling import meta_analysis
from tests.tolerances import (
    CLOSED_FORM_RTOL,
    METAFOR_RTOL,
    TAU2_BOUNDARY_ATOL,
)

REF = json.loads((Path(__file__).parent.parent / "validation/metafor/rma.json").read_text())
FITS = REF["fits"]
CLOSED_FORM = {"DL", "HE", "HS", "SJ", "FE"}

pytestmark = pytest.mark.metafor


def _rtol(method: str) -> float:
    # Closed-form estimators: same formula, rounding only. Iterative ones (REML, ML, EB, PM and
    # every Q-profile limit): both sides converged to ~1e-12, compared at METAFOR_RTOL.
    return CLOSED_FORM_RTOL if method in CLOSED_FORM else METAFOR_RTOL


def _check(ours, ref, rtol, what, atol=0.0):
    assert ref is not None, what
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("key", sorted(FITS), ids=lambda k: k.replace("|", "-"))
def test_rma_matches_metafor(key):
    """R: the call in ``FITS[key]["call"]`` (estimate, se, CI, p, tau², I², H², QE, weights, PI)."""
    ref = FITS[key]
    dataset, method, test = key.split("|")
    data = REF["data"][dataset]
    res = meta_analysis(data["yi"], data["vi"], method=method, test=test)
    rtol = _rtol(method)
    call = ref["call"]
    # tau² at a boundary of 0 reached by step halving: compare absolutely (see tolerances.py)
    tau_atol = TAU2_BOUNDARY_ATOL if method in ("ML", "REML", "EB") else 0.0
    _check(res.estimate, ref["beta"], rtol, f"estimate {call}")
    _check(res.se, ref["se"], rtol, f"se {call}")
    _check(res.statistic, ref["zval"], rtol, f"statistic {call}")
    _check(res.pvalue, ref["pval"], rtol, f"pvalue {call}")
    _check(res.ci, [ref["ci_lb"], ref["ci_ub"]], rtol, f"ci {call}")
    _check(res.tau2, ref["tau2"], rtol, f"tau2 {call}", atol=tau_atol)
    _check(res.i2, ref["I2"], rtol, f"I2 {call}", atol=100 * tau_atol)
    _check(res.h2, ref["H2"], rtol, f"H2 {call}", atol=tau_atol)
    _check(res.q, ref["QE"], CLOSED_FORM_RTOL, f"QE {call}")
    _check(res.q_pvalue, ref["QEp"], CLOSED_FORM_RTOL, f"QEp {call}")
    _check(res.weights, ref["weights"], rtol, f"weights {call}")
    assert res.df == (None if test == "z" else ref["ddf"])
    if method != "FE":
        _check(res.pi, [ref["pi_lb"], ref["pi_ub"]], rtol, f"PI {call}")


@pytest.mark.parametrize(
    "key", sorted(k for k in FITS if not k.split("|")[1] == "FE"), ids=lambda k: k.replace("|", "-")
)
def test_q_profile_ci_matches_metafor(key):
    """R: ``confint(rma(...), control=list(tol=1e-12))`` for the call in ``FITS[key]["call"]``."""
    ref = FITS[key]
    dataset, method, test = key.split("|")
    data = REF["data"][dataset]
    res = meta_analysis(data["yi"], data["vi"], method=method, test=test)
    tau_atol = TAU2_BOUNDARY_ATOL if method in ("ML", "REML", "EB") else 1e-12
    _check(res.tau2_ci, ref["tau2_ci"], METAFOR_RTOL, f"tau2 CI {ref['call']}", atol=1e-12)
    _check(res.i2_ci, ref["I2_ci"], METAFOR_RTOL, f"I2 CI {ref['call']}", atol=100 * tau_atol)
    _check(res.h2_ci, ref["H2_ci"], METAFOR_RTOL, f"H2 CI {ref['call']}", atol=tau_atol)
    if ref["ci_null"]:
        assert any("null/empty set" in n for n in res.notes)


@pytest.mark.parametrize(
    "key", sorted(k for k in FITS if "pi_hts_lb" in FITS[k]), ids=lambda k: k.replace("|", "-")
)
def test_hts_prediction_interval_matches_metafor_riley(key):
    """R: ``predict(rma(...), pi.type="riley")``: t(k-2) with the model's se (HTS 2009 for k >= 3)."""
    ref = FITS[key]
    dataset, method, test = key.split("|")
    data = REF["data"][dataset]
    res = meta_analysis(data["yi"], data["vi"], method=method, test=test, pi="hts")
    _check(res.pi, [ref["pi_hts_lb"], ref["pi_hts_ub"]], _rtol(method), f"HTS PI {ref['call']}")


def test_versions_recorded():
    """The reference JSON records the R and metafor versions that produced it."""
    assert REF["versions"]["metafor"].startswith("3.8")
    assert REF["versions"]["R"].startswith("R version")
