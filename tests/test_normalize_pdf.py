"""Normalization rules for characters that PDFs produce (issue 12 point 5), with provenance."""

from __future__ import annotations

from evsynth import read_string
from evsynth.extraction import extract_document
from evsynth.reading.normalize import normalize


def _back(original: str, needle: str) -> str:
    """The original characters behind the first occurrence of ``needle`` in the normalized text."""
    n = normalize(original)
    i = n.text.index(needle)
    return original[n.offsets[i] : n.offsets[i + len(needle) - 1] + 1]


def test_math_alphanumerics_become_plain_letters() -> None:
    src = "𝑃 < 0.05 and 𝜒2 = 4.1; 𝐇𝐑 0.63"
    assert normalize(src).text == "P < 0.05 and χ2 = 4.1; HR 0.63"
    assert _back(src, "P < 0.05") == "𝑃 < 0.05"


def test_comma_printed_for_less_than_in_p_values() -> None:
    assert normalize("(P,0.001)").text == "(P<0.001)"
    assert normalize("p,.05 and p,0·01").text == "p<.05 and p<0.01"
    # prose commas stay: a space after the comma, or no number
    assert normalize("groups P, 0.05 level; p,q").text == "groups P, 0.05 level; p,q"
    assert _back("HR 0.5 (P,0.001)", "P<0.001") == "P,0.001"


def test_cid_glyph_before_a_number_is_a_minus() -> None:
    assert normalize("difference (cid:1)0.42 (95% CI (cid:1)0.61 to (cid:1)0.23)").text == (
        "difference -0.42 (95% CI -0.61 to -0.23)"
    )
    assert normalize("word(cid:3)4").text == "word(cid:3)4"  # glued to a word: not a sign


def test_extraction_through_the_character_rules() -> None:
    doc = read_string(
        "Results\n\nMortality was lower with exercise (𝐻𝑅 0·63, 95% CI 0·48–0·83; 𝑃,0·001).\n"
    )
    rows = extract_document(doc)
    hr = rows[rows.measure == "HR"].iloc[0]
    assert (hr.estimate, hr.ci_lower, hr.ci_upper, hr.p_value, hr.p_operator) == (
        0.63,
        0.48,
        0.83,
        0.001,
        "<",
    )
    assert "𝑃,0·001" in hr.source_quote
