"""Contingency tables and their p-values (evsynth.checks.twobytwo).

Reference p-values: validation/metafor/checks_contingency.R (R's chisq.test and fisher.test),
stored in validation/metafor/checks_contingency.json.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evsynth.checks import check_documents
from evsynth.checks.twobytwo import candidate_pvalues, freeman_halton
from tests.test_checks_support import findings_of, make_doc
from tests.tolerances import METAFOR_RTOL

REF = json.loads(
    (
        Path(__file__).parent.parent / "validation" / "metafor" / "checks_contingency.json"
    ).read_text()
)


def _table(entry):
    vals, nrow = entry["by_columns"], entry["nrow"]
    ncol = len(vals) // nrow
    return [[vals[c * nrow + r] for c in range(ncol)] for r in range(nrow)]


@pytest.mark.parametrize("name", [k for k in REF if not k.startswith("_")])
def test_pvalues_match_r(name):
    """R: chisq.test(m, correct = FALSE/TRUE)$p.value, fisher.test(m)$p.value."""
    entry = REF[name]
    got = candidate_pvalues(_table(entry))
    assert math.isclose(got["Pearson chi-square"], entry["pearson"], rel_tol=METAFOR_RTOL)
    if entry["yates"] is not None:
        assert math.isclose(
            got["chi-square with Yates' correction"], entry["yates"], rel_tol=METAFOR_RTOL
        )
        assert math.isclose(got["Fisher's exact"], entry["fisher"], rel_tol=METAFOR_RTOL)
    else:
        assert math.isclose(
            got["Fisher-Freeman-Halton exact"], entry["fisher"], rel_tol=METAFOR_RTOL
        )


def test_freeman_halton_hand_calculation_2x2():
    """[[1, 0], [0, 1]]: two tables have the margins, each with probability 1/2 -> p = 1."""
    import numpy as np

    assert freeman_halton(np.array([[1, 0], [0, 1]])) == pytest.approx(1.0)


TABLE3 = {
    "label": "Table 3",
    "caption": "Analysis between immunosuppressive agents and response at day 30.",
    "header": ["Response", "GC", "Non-GC", "TCZ", "Non-TCZ", "RUX", "Non-RUX"],
    "rows": [
        ["CR", "53", "40", "74", "19", "26", "67"],
        ["NR", "2", "6", "4", "4", "0", "8"],
        ["p-value", "", "0.17", "", "0.14", "", "0.189"],
    ],
}


def test_table_p_values_reproduced_by_yates_are_clean():
    text = (
        "The CRR did not differ between the non-GC and GC groups (p = 0.17). It did not differ "
        "for patients given RUX and those not given RUX (p = 0.189). Similar results were "
        "seen for the TCZ and non-TCZ groups (p = 0.14) (Table 3)."
    )
    assert check_documents([make_doc(text, (TABLE3,))]).empty


def test_text_that_swaps_table_p_values_is_an_error():
    text = (
        "The CRR did not differ between the non-GC and GC groups (p = 0.17). It did not differ "
        "for patients given RUX and those not given RUX (p = 0.14). Similar results were "
        "seen for the TCZ and non-TCZ groups (p = 0.189) (Table 3)."
    )
    f = check_documents([make_doc(text, (TABLE3,))])
    swaps = findings_of(f, "p_swap", "error")
    assert len(swaps) == 2
    assert "RUX and those not given RUX (p = 0.14)" in swaps.iloc[0]["source_quote"]
    assert "Yates" in swaps.iloc[0]["message"]


def test_table_p_no_test_reproduces_is_a_warning():
    table = dict(
        TABLE3,
        rows=[
            TABLE3["rows"][0],
            TABLE3["rows"][1],
            ["p-value", "", "0.017", "", "0.14", "", "0.189"],
        ],
    )
    f = check_documents([make_doc("Results.", (table,))])
    row = findings_of(f, "two_by_two", "warning")
    assert len(row) == 1 and row.iloc[0]["source_quote"].endswith("0.017")


TABLE_PCOL = {
    "label": "Table 2",
    "caption": "Baseline characteristics",
    "header": ["Characteristic", "Total (N = 45)", "Toci (N = 17)", "Non-toci (N = 28)", "P"],
    "rows": [
        ["Male, No. (%)", "24 (53.3)", "8 (47.1)", "16 (57.1)", "0.511"],
        ["ICANS, No. (%)", "2 (4.4)", "2 (11.8)", "0 (0)", "0.267"],
        ["#Bone marrow blasts, No. (%)", "", "", "", "0.042"],
        ["<30", "31 (68.9)", "8 (47.1)", "23 (82.1)", ""],
        ["30-50", "5 (11.1)", "3 (17.6)", "2 (7.1)", ""],
        [">50", "9 (20.0)", "6 (35.3)", "3 (10.7)", ""],
    ],
}


def test_p_column_tables_pearson_yates_and_freeman_halton_are_recognised():
    # Male: Pearson 0.5109; ICANS: Yates 0.2667; blasts 2x3: Fisher-Freeman-Halton 0.0415
    assert check_documents([make_doc("Results.", (TABLE_PCOL,))]).empty


def test_p_column_planted_error():
    rows = [list(r) for r in TABLE_PCOL["rows"]]
    rows[0][4] = "0.051"
    f = check_documents([make_doc("Results.", (dict(TABLE_PCOL, rows=rows),))])
    assert findings_of(f, "two_by_two", "warning")["source_quote"].str.contains("0.051").all()


def test_text_two_by_two():
    clean = (
        "In the non-GC group (n = 46), the CRR was 86.96% (40/46). For the GC group "
        "(n = 55), the CRR was 96.36% (53/55). The difference was not significant (p = 0.17)."
    )
    assert check_documents([make_doc(clean)]).empty
    planted = clean.replace("p = 0.17", "p = 0.02")
    assert len(findings_of(check_documents([make_doc(planted)]), "two_by_two")) == 1
