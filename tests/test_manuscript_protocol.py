"""Bad risk-of-bias, screening and GRADE input in a protocol: one line naming the file, the line
and the key, for each mistake (issue 14)."""

from __future__ import annotations

import textwrap

import pytest

from evsynth.errors import ProtocolError
from evsynth.protocol import protocol_from_text

HEAD = """\
evsynth-protocol: 1
title: Exercise and falls
interventions:
  exercise: {terms: [exercise]}
outcomes:
  falls: {terms: [falls], kind: binary}
"""

ROB = """\
risk_of_bias:
  tool: {tool}
  studies:
    a2019: {{{domains}}}
"""
ROB2_OK = "D1: low, D2: some concerns, D3: low, D4: low, D5: high"

SCREENING = {
    "identified": "{databases: 412, registers: 18}",
    "duplicates_removed": "37",
    "screened": "393",
    "excluded_at_screening": "361",
    "sought": "32",
    "not_retrieved": "2",
    "assessed": "30",
    "excluded": "{no comparison group: 14, wrong population: 9, no outcome of interest: 3}",
    "included_studies": "4",
    "included_reports": "5",
}


def _screening(**change) -> str:
    values = {**SCREENING, **change}
    return "screening:\n" + "".join(f"  {k}: {v}\n" for k, v in values.items() if v is not None)


def _error(text: str) -> str:
    with pytest.raises(ProtocolError) as info:
        protocol_from_text(HEAD + text, path="p.yaml")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("p.yaml, line ")
    return msg


def test_valid_blocks_load():
    p = protocol_from_text(HEAD + ROB.format(tool="RoB 2", domains=ROB2_OK) + _screening())
    assert p.risk_of_bias.studies["a2019"]["D5"] == "high"
    assert p.screening["screened"] == 393


@pytest.mark.parametrize(
    "tool, domains, key, says",
    [
        ("RoB 3", ROB2_OK, "risk_of_bias.tool", "not a known tool"),
        ("RoB 2", ROB2_OK.replace("D5", "D6"), "risk_of_bias.studies.a2019.D6", "not a domain"),
        (
            "RoB 2",
            ROB2_OK.replace("some concerns", "moderate"),
            "a2019.D2",
            "not a RoB 2 judgement",
        ),
        ("RoB 2", "D1: low, D2: low, D3: low, D4: low", "risk_of_bias.studies.a2019", "D5"),
        (
            "ROBINS-I",
            "D1: low, D2: low, D3: low, D4: low, D5: low, D6: low, D7: high",
            "a2019.D7",
            "not a ROBINS-I judgement",
        ),
        ("NOS", "selection: 5, comparability: 1, outcome: 2", "a2019.selection", "0 to 4"),
        ("NOS", "selection: many, comparability: 1, outcome: 2", "a2019.selection", "whole number"),
        ("RoB 2", ROB2_OK + ", overall: unclear", "a2019.overall", "not a RoB 2 judgement"),
    ],
)
def test_risk_of_bias_mistakes(tool, domains, key, says):
    msg = _error(ROB.format(tool=tool, domains=domains))
    assert key in msg and says in msg


def test_support_for_a_study_without_judgements():
    text = ROB.format(tool="RoB 2", domains=ROB2_OK) + "  support:\n    b2020: {D1: quote}\n"
    msg = _error(text)
    assert "risk_of_bias.support.b2020" in msg and "no judgements" in msg


@pytest.mark.parametrize(
    "change, key, says",
    [
        # 412 + 18 - 37 = 393, so 390 does not add up
        ({"screened": "390"}, "screening.screened", "is 390 but identified (430) minus removed"),
        ({"sought": "31"}, "screening.sought", "screened (393) minus excluded at screening (361)"),
        ({"assessed": "29"}, "screening.assessed", "sought (32) minus not retrieved (2) is 30"),
        (
            {"included_studies": "3", "included_reports": "3"},
            "screening.included_studies",
            "assessed (30) minus excluded (26) is 4",
        ),
        ({"included_studies": "6"}, "screening.included_studies", "6 studies cannot come from 5"),
        ({"duplicates_removed": "-1"}, "screening.duplicates_removed", "whole number"),
        ({"excluded": "{wrong population: 40}"}, "screening.excluded", "excludes 40 of 30"),
        ({"assessed": None}, "screening", "'assessed' is missing"),
        ({"records_found": "3"}, "screening.records_found", "unknown screening key"),
    ],
)
def test_screening_mistakes_name_the_box(change, key, says):
    msg = _error(_screening(**change))
    assert key in msg and says in msg


@pytest.mark.parametrize(
    "grade, key, says",
    [
        ("grade: {threshold: {falls: [0.8, 1.25]}}", "grade.threshold", "unknown GRADE key"),
        ("grade: {thresholds: {falls: [1.25, 0.8]}}", "grade.thresholds.falls", "below"),
        ("grade: {thresholds: {falls: 0.8}}", "grade.thresholds.falls", "[lower, upper]"),
        ("grade: {optimal_information_size: 0}", "grade.optimal_information_size", "participants"),
        (
            "grade: {overrides: {exercise on falls: {bias: {rating: -1, reason: x}}}}",
            "grade.overrides.exercise on falls.bias",
            "not a GRADE domain",
        ),
        (
            "grade: {overrides: {exercise on falls: {imprecision: {rating: -3, reason: x}}}}",
            "imprecision.rating",
            "0, -1 or -2",
        ),
        (
            "grade: {overrides: {exercise on falls: {imprecision: {rating: -1, reason: ''}}}}",
            "imprecision.reason",
            "say why",
        ),
    ],
)
def test_grade_mistakes(grade, key, says):
    msg = _error(textwrap.dedent(grade) + "\n")
    assert key in msg and says in msg
