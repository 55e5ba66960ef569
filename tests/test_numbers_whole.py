"""A number is read whole or not at all, and verification reads numbers as the reader does
(issue 20, points 5 and 6)."""

from __future__ import annotations

import random

import pytest

import evsynth
from evsynth.extraction import extract_document
from evsynth.extraction.patterns import NUMBER_RE
from evsynth.reading.reader import read_string
from tests.bundled_protocol import BUNDLED


@pytest.mark.parametrize(
    ("written", "value"),
    [("0.000000006", 6e-9), ("0.0499999999", 0.0499999999), ("1.000000001", 1.000000001)],
)
def test_long_decimals_are_read_whole(written, value):
    text = f"Results\n\nOS was longer (HR 0.5, 95% CI 0.3-{'0.8' if written[0] == '0' else written}; p = {written if written[0] == '0' else '0.01'})."
    row = extract_document(read_string(text), BUNDLED).iloc[0]
    got = row["p_value"] if written[0] == "0" else row["ci_upper"]
    assert got == value


def test_random_digit_strings_are_never_cut():
    """Seeded property test: every match of the number pattern is a whole token of the text
    (never a prefix of a longer run of digits and points), or there is no match."""
    rng = random.Random(20261202)
    for _ in range(3000):
        int_part = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 20)))
        token = int_part + ("." + frac if frac else "")
        text = f"p = {token}, n"
        found = [m.group(0) for m in NUMBER_RE.finditer(text)]
        assert found in ([token], []), (token, found)
        if found:
            assert float(found[0]) == float(token)


def test_zero_width_characters_inside_a_number_read_and_verify_alike(tmp_path):
    paper = tmp_path / "z.txt"
    paper.write_text(
        "Results\n\nOverall survival was longer (HR 0.4\u200b5, 95% CI 0.3-0.8; p = 0.01).",
        encoding="utf-8",
    )
    table = evsynth.extract([paper], protocol=BUNDLED, progress=False)
    assert table.evidence.iloc[0]["estimate"] == 0.45
    assert len(evsynth.verify(table)) == 0
