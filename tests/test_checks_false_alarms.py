"""False alarms: statements written to be correct must never be flagged.

tests/fixtures/checks/clean_statements.txt holds 59 statements (20 ratio/CI/p, 25 count and
percentage, 6 two-group comparisons with a continuity-corrected chi-square p, 3 group sizes,
5 plain p-values), each computed exactly and rounded half-up; each is checked as its own document.
docs/checks.md reports the measured false-alarm rate (0 of 59 here; see also the bundled papers).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evsynth.checks import check_documents
from evsynth.checks.percents import percents_in_text
from evsynth.checks.ratios import ratios_in_text
from evsynth.checks.twobytwo import contingencies_in_text
from tests.test_checks_support import make_doc

CLEAN = [
    line
    for line in (Path(__file__).parent / "fixtures" / "checks" / "clean_statements.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
]


def test_fixture_has_enough_statements_of_each_type():
    docs = [make_doc(s) for s in CLEAN]
    n_ratio = sum(len(ratios_in_text(d)) for d in docs)
    n_pct = sum(len(percents_in_text(d)) for d in docs)
    n_2x2 = sum(len(contingencies_in_text(d)) for d in docs)
    assert len(CLEAN) >= 50
    assert n_ratio == 20  # every ratio statement is recognised (with its p)
    assert n_pct == 25 + 12  # 25 percentage statements + the 2x2 sentences' 12 fractions
    assert n_2x2 == 6


@pytest.mark.parametrize("statement", CLEAN)
def test_clean_statement_is_not_flagged(statement):
    found = check_documents([make_doc(statement)])
    assert found.empty, found[["check", "message"]].to_string()
