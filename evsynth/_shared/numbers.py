"""Counts written in words ("Ninety-three patients", "Twelve-month"), shared by every stage."""

from __future__ import annotations

import re

DASH = "-\u2010\u2011\u2012\u2013\u2014\u2212"

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip

_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
#: a number from zero to ninety-nine in words ("ninety-three", "twelve"); bounded, linear-time
NUMBER_WORD = rf"(?:(?:{_TENS})(?:[{DASH} ](?:{_UNITS}))?|{_TEENS}|{_UNITS}|zero)"


def number_from_words(text: str) -> int | None:
    """``"Ninety-three"`` -> 93, ``"one hundred and twenty"`` -> 120, ``"1,024"`` -> 1024.

    Returns None when the text is not a whole number written in digits or English words.
    """
    t = text.strip().lower()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", t):
        return int(t.replace(",", ""))
    total, seen = 0, False
    for word in re.split(rf"[{DASH}\s]+", t):
        if word == "and" and seen:
            continue
        if word == "hundred" and seen:
            total *= 100
        elif word in NUMBER_WORDS:
            total += NUMBER_WORDS[word]
            seen = True
        else:
            return None
    return total if seen else None
