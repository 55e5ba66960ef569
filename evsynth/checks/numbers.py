"""Reported numbers with their rounding, and the text units the checks look in.

A reported number such as ``0.45`` stands for any true value that rounds to it: with two decimals
that is ``[0.445, 0.455]`` (closed, so that both round-half-up and round-half-even are allowed).
Every check reasons with these intervals, as statcheck does (Nuijten et al., 2016, Behav Res
Methods 48:1205-1226), and flags a number only when *no* combination of true values within
rounding reproduces what the paper reports.

All regular expressions here use bounded quantifiers only (no nested unbounded groups), so they
run in linear time on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evsynth._shared.numbers import DASH, NUMBER_WORD, number_from_words  # noqa: F401 (re-exported)
from evsynth.reading.document import Document

NUM = r"\d{1,7}(?:\.\d{1,6})?"


def word_to_int(text: str) -> int | None:
    """``"Ninety-three"`` -> 93, ``"12"`` -> 12; None if it is not a count."""
    return number_from_words(text)


@dataclass(frozen=True)
class Reported:
    """A number as printed, with the interval of true values that print the same way."""

    text: str
    value: float
    decimals: int

    @classmethod
    def parse(cls, text: str) -> Reported:
        t = text.strip().replace("\u2212", "-")
        value = float(t)
        decimals = len(t.split(".", 1)[1]) if "." in t else 0
        return cls(t, value, decimals)

    @property
    def half_unit(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def lo(self) -> float:
        return self.value - self.half_unit

    @property
    def hi(self) -> float:
        return self.value + self.half_unit

    def contains(self, x: float, eps: float = 1e-9) -> bool:
        """True if ``x`` prints as this number under round-half-up or round-half-even."""
        return self.lo - eps <= x <= self.hi + eps

    def truncates(self, x: float, eps: float = 1e-9) -> bool:
        """True if ``x`` prints as this number when the extra digits are cut off (truncation)."""
        step = 10.0 ** (-self.decimals)
        return self.value - eps <= x < self.value + step - eps

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Span:
    """A span of the normalized text: ``start``/``end`` index ``Document.text``."""

    start: int
    end: int


_SENT_END = re.compile(r"(?<=[.!?])\s{1,10}(?=[A-Z(\[])|\n")
_ABBREV = re.compile(r"(?:\bvs|\bet al|\be\.g|\bi\.e|\bFig|\bNo|\bapprox|\bref)\.$", re.IGNORECASE)


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split ``text[start:end]`` into sentences (on '. X' and on line breaks)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        if m.group(0) != "\n" and _ABBREV.search(text, max(pos, m.start() - 8), m.start()):
            continue
        if text[pos : m.start()].strip():
            spans.append(_trim(text, pos, m.start()))
        pos = m.end()
    if text[pos:end].strip():
        spans.append(_trim(text, pos, end))
    return spans


def paragraphs(text: str) -> list[Span]:
    """Lines of the normalized text that carry words (the reader keeps one paragraph a line)."""
    spans = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            spans.append(_trim(text, pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def report_name(doc: Document) -> str:
    return str(doc.path).replace("\\", "/").rsplit("/", 1)[-1]


def quote_span(doc: Document, start: int, end: int) -> tuple[int, int, str]:
    """Original offsets and quote of a span of the normalized text."""
    ostart, oend = doc.to_original(start, end)
    return ostart, oend, doc.original[ostart:oend]


def in_references(doc: Document, pos: int) -> bool:
    """True if normalized offset ``pos`` lies in the reference list (or a line that looks like
    a numbered reference entry)."""
    sec = doc.section_at(pos)
    if sec is not None and sec.name == "references":
        return True
    line_start = doc.text.rfind("\n", 0, pos) + 1
    head = doc.text[line_start : line_start + 12]
    return bool(re.match(r"\d{1,3}\.\s{1,3}[A-Z][a-z]{1,20}\s[A-Z]{1,3}[,\s]", head + " " * 12))


def location(doc: Document, pos: int) -> str:
    sec = doc.section_at(pos)
    return sec.name if sec is not None else ""


# p-values as written: "p = 0.03", "P<0.001", "p s= 0.14" (a typo for "ps ="), "$p = 0.678$",
# "p-value = 0.2"; the operator is captured in 'op' and the number in 'p'.
P_VALUE = re.compile(
    r"(?<![A-Za-z])[pP](?:[\s-]{0,2}values?)?\s{0,3}(?:s\s{0,2})?"
    r"(?P<op>=|<=|>=|<|>|\u2264|\u2265)\s{0,3}\$?\s{0,3}(?P<p>\d{0,3}\.?\d{1,6})(?![\d.]*\d)"
    r"(?:\s{0,2}(?:[\u00d7xX*]|\\times)\s{0,2}10\s{0,2}\^?\{?\s{0,2}(?P<exp>[-\u2212\u2013]?\d{1,3})\}?"
    r"|[eE](?P<exp2>[-\u2212\u2013]?\d{1,3}))?"
)


def p_reported(m: re.Match) -> Reported:
    """The p-value of a :data:`P_VALUE` match, with scientific notation ("4.5 x 10^-4",
    "1.8E-6") applied to both the value and its rounding interval."""
    p = Reported.parse(m.group("p"))
    exp = m.groupdict().get("exp") or m.groupdict().get("exp2")
    if not exp:
        return p
    e = int(exp.replace("\u2212", "-").replace("\u2013", "-"))
    return Reported(
        m.group(0)[m.start("p") - m.start() :].strip(), p.value * 10.0**e, p.decimals - e
    )


OPS = {"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "\u2264": "<=", "\u2265": ">="}


def p_interval(op: str, p: Reported) -> tuple[float, float]:
    """The interval of true p-values that a reported ``p op value`` allows."""
    if op == "<":
        return 0.0, p.value
    if op == "<=":
        return 0.0, p.hi
    if op in (">", ">="):
        return p.value if op == ">" else p.lo, 1.0
    return max(0.0, p.lo), min(1.0, p.hi)
