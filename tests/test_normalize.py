"""Normalization rules (evsynth/normalize.py): each rule on text written here, and the offset
properties (every normalized character maps into the original, monotone, digits kept)."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evsynth.reading.normalize import Edit, apply_edits, normalize


def norm(s: str) -> str:
    return normalize(s).text


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        # dashes and minus signs
        ("HR 0.45; 95% CI, 0.21\u20130.96", "HR 0.45; 95% CI, 0.21-0.96"),
        ("range 2.2\u201018.0", "range 2.2-18.0"),
        ("\u22120.56 (\u22123.37 to 2.25)", "-0.56 (-3.37 to 2.25)"),
        ("WMD = \u2212 0.56, 95% CI \u2212 3.37 to 2.25", "WMD = -0.56, 95% CI -3.37 to 2.25"),
        ("0.21\u20140.96 but a \u2014 dash in prose", "0.21-0.96 but a \u2014 dash in prose"),
        # comparison signs: one canonical form
        ("\u22668 mg/kg and \u22675 days", "\u22648 mg/kg and \u22655 days"),
        # LaTeX fragments from PDF-to-Markdown converters
        ("($p = 0.276$ for ICANS)", "(p = 0.276 for ICANS)"),
        ("($p =$ 0.326 for ICANS)", "(p = 0.326 for ICANS)"),
        ("Grade \\geq 3 CRS", "Grade \u2265 3 CRS"),
        ("BM blasts \\leq 20%", "BM blasts \u2264 20%"),
        ("58.8% ($\\pm 11.9\\%$)", "58.8% (\u00b1 11.9%)"),
        ("0.547\t$0.271 - 1.103$\t0.092", "0.547\t0.271-1.103\t0.092"),
        ("Thrombocytopenia ($\\times 10^9/L$)", "Thrombocytopenia (\u00d7 10^9/L)"),
        ("infused ($\\times 10^6/\\text{kg}$)", "infused (\u00d7 10^6/kg)"),
        (
            "Yuhan Ma^{1\u2020}, Hongyuan Zhou^{2,3\u2020}",
            "Yuhan Ma^1\u2020, Hongyuan Zhou^2,3\u2020",
        ),
        ("costs $5 and $10", "costs $5 and $10"),  # currency, not math
        # powers of ten in one form
        ("2.1 \u00d710\u2076 cells", "2.1 \u00d7 10^6 cells"),
        ("dose x 10^6 /kg", "dose \u00d7 10^6 /kg"),
        ("P = 4.5 \u00d7 10\u207b\u2074", "P = 4.5 \u00d7 10^-4"),
        ("platelets 75 \u00d7 10^{9}/L", "platelets 75 \u00d7 10^9/L"),
        ("median 6.5 (range,106/kg)", "median 6.5 (range,106/kg)"),  # a lost superscript stays
        ("mg kg\u207b\u00b9", "mg kg\u207b\u00b9"),  # superscripts not after 10 stay
        # Lancet middle-dot decimals
        ("HR 0\u00b762 (0\u00b745\u20130\u00b781)", "HR 0.62 (0.45-0.81)"),
        ("a \u00b7 b", "a \u00b7 b"),
        # ligatures, spaces, soft hyphens
        ("\ufb01rst e\ufb03cacy \ufb02ow", "first efficacy flow"),
        ("95%\u00a0CI 0.2\u2009-\u20090.9", "95% CI 0.2 - 0.9"),
        ("progres\u00adsion", "progression"),
        ("full-width \uff081.04-1.29\uff09", "full-width (1.04-1.29)"),
        # hyphenated line breaks
        ("disease progres-\nsion was", "disease progression was"),
        ("CD19-\ntargeting cells", "CD19-targeting cells"),
        ("[2]. En-\nhancement in THA", "[2]. Enhancement in THA"),
        ("IL-\nsix", "IL-six"),
        ("Cobalamin-\ndependent enzyme; dependent on", "Cobalamin-dependent enzyme; dependent on"),
        ("treat-\nment of the treatment", "treatment of the treatment"),
        (
            "anti-inflammatory; an anti-\ninflammatory drug",
            "anti-inflammatory; an anti-inflammatory drug",
        ),
        # Markdown links and escapes
        ("summarized in [Table 1](#page-2-0).", "summarized in Table 1."),
        ("The infl[uence of CRS](https://x.org/a/10.1/b(1)/full) on", "The influence of CRS on"),
        ("([Table 2\\)](#page-7-0)", "(Table 2)"),
        ("| **OS** | HR 0.5* |", "| OS | HR 0.5* |"),
        # line endings
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_rules(original: str, expected: str) -> None:
    assert norm(original) == expected


def test_offsets_point_at_source_characters() -> None:
    original = "HR 0\u00b762 (95% CI 0\u00b745\u20130\u00b781); \ufb01rst $p = 0.342$"
    n = normalize(original)
    assert n.text == "HR 0.62 (95% CI 0.45-0.81); first p = 0.342"
    assert len(n.offsets) == len(n.text) + 1 and n.offsets[-1] == len(original)
    # every digit maps to the same digit in the original
    for i, ch in enumerate(n.text):
        if ch.isdigit():
            assert original[n.offsets[i]] == ch
    # the "." of "0.62" maps to the middle dot it replaced; "fi" both map to the ligature
    i = n.text.index("0.62") + 1
    assert original[n.offsets[i]] == "\u00b7"
    j = n.text.index("first")
    assert original[n.offsets[j]] == original[n.offsets[j + 1]] == "\ufb01"


def test_apply_edits_skips_overlaps_and_maps_insertions() -> None:
    text, m = apply_edits("abcdef", [Edit(1, 3, "X"), Edit(2, 4, "Y"), Edit(5, 5, "+")])
    assert text == "aXde+f"
    assert list(m) == [0, 1, 3, 4, 5, 5, 6]


_ALPHABET = st.sampled_from(
    list("ab 0123456789.,;-()%=<>\t\n")
    + [
        "\u2013",
        "\u2014",
        "\u2212",
        "\u00b7",
        "\u00a0",
        "\u00ad",
        "\ufb01",
        "\u2266",
        "\u2267",
        "$",
        "\\",
        "^",
        "{",
        "}",
        "\u00d7",
        "x",
        "\u2076",
        "\u207b",
        "\u00b9",
        "10",
        "\\geq",
        "\\pm",
        "\\%",
        "$p = ",
        "-\n",
        "10^",
        "\r\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_offsets_property(original: str) -> None:
    n = normalize(original)
    off = n.offsets
    assert len(off) == len(n.text) + 1
    assert off[-1] == len(original)
    assert np.all(np.diff(off) >= 0)
    assert np.all((off[:-1] >= 0) & (off[:-1] < max(len(original), 1)))
    # digits keep their values and their order (superscript digits become ASCII digits)
    digits = lambda s: [unicodedata.digit(c) for c in s if c.isdigit()]  # noqa: E731
    assert digits(n.text) == digits(original)
    # and each digit comes from a digit of the same value
    for i, ch in enumerate(n.text):
        if ch.isdigit():
            assert unicodedata.digit(original[off[i]]) == unicodedata.digit(ch)


def test_normalizing_twice_changes_nothing_on_the_bundled_papers() -> None:
    from evsynth import bundled_papers

    for p in bundled_papers():
        once = normalize(p.read_text(encoding="utf-8")).text
        assert normalize(once).text == once, p.name
