"""Number patterns shared by the extractors and the consistency checks.

Every pattern here runs on *normalized* text (``Document.text``: dashes as "-", "≤"/"≥",
LaTeX stripped, middle-dot decimals as "."). All quantifiers are bounded so that matching is
linear in the length of the text (no nested unbounded repetition), which keeps the extractors
safe on megabytes of adversarial input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "NUMBER",
    "NUMBER_RE",
    "RATIO_LABEL_RE",
    "CI_LABEL",
    "P_VALUE_RE",
    "INTERVAL_RE",
    "PAREN_INTERVAL_RE",
    "Interval",
    "PValue",
    "RatioEstimate",
    "measure_of_label",
    "parse_number",
    "find_p_values",
    "find_ratio_estimates",
    "parse_estimate_cell",
    "parse_interval",
]

#: A decimal number as written in a paper: "0.45", "12", ".45" ("1,280" is *not* one number).
#: Read whole or not at all: a number with more digits than allowed never matches a prefix
#: of itself ("0.0499999999999999999" is not read as "0.049999999999999").
NUMBER = r"(?<![\w.])(?:\d{1,7}(?:\.\d{1,15})?|\.\d{1,15})(?!\.?\d)"
NUMBER_RE = re.compile(NUMBER)

#: Dashes the reader normalizes to "-" (kept here for text that was not normalized).
_DASH = r"(?:-|\u2013|\u2014|\u2212|\u2010|\u2011)"
#: Separator between the two limits of an interval: "0.21-0.96", "0.41 to 0.93", "0.70, 0.91".
RANGE_SEP = rf"(?:\s{{0,3}}{_DASH}\s{{0,3}}|\s{{1,3}}to\s{{1,3}}|\s{{0,2}},\s{{0,2}})"

#: "95% CI", "95%CI", "95 % confidence interval", "90% C.I.", "95% Cl" (OCR'd "CI").
CI_LABEL = (
    r"(?P<level>\d{2}(?:\.\d{1,2})?)\s{0,2}%\s{0,2}"
    r"(?:CI|Cl|C\.I\.|(?i:confidence\s{1,3}intervals?|conf\.\s{0,2}int\.?))s?"
)

#: A p-value: "p = 0.032", "P<0.001", "p-value = 0.2", "P value of 0.04", "Pheterogeneity" excluded.
P_VALUE_RE = re.compile(
    r"(?<![\w.])(?P<label>[Pp](?:\s{0,2}-?\s{0,2}(?:values?|trend|log-?rank))?)"
    r"\s{0,3}(?P<op><=|>=|=|<|>|≤|≥|of)\s{0,3}"
    rf"(?P<value>{NUMBER})"
)

#: The label of a ratio: HR, OR, RR, IRR, aHR, adjusted OR, hazard ratio(s), odds ratio(s),
#: risk ratio, relative risk, rate ratio. Abbreviations are case-sensitive ("OR", never "or").
RATIO_LABEL_RE = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<abbr>(?P<aprefix>a|adj\.?\s?|(?i:adjusted)\s{1,3})?(?P<code>HR|OR|RR|IRR|sHR|SHR|csHR|sdHR))"
    r"(?P<plural>s)?(?![\w])"
    r"|(?P<word>(?P<wadj>(?i:adjusted)\s{1,3})?"
    r"(?i:(?P<wkind>hazard|odds|risk|rate|incidence\s{1,3}rate)\s{1,3}ratio(?P<wplural>s)?"
    r"|(?P<rr>relative\s{1,3}risk)(?P<rplural>s)?))"
    r")"
)

_CODE_MEASURE = {
    "HR": "HR",
    "SHR": "HR",
    "SHR_": "HR",
    "CSHR": "HR",
    "SDHR": "HR",
    "OR": "OR",
    "RR": "RR",
    "IRR": "RR",
}
_WORD_MEASURE = {"hazard": "HR", "odds": "OR", "risk": "RR", "rate": "RR", "incidence rate": "RR"}

#: "0.21-0.96", "0.41 to 0.93" (an interval without its own label).
INTERVAL_RE = re.compile(rf"(?P<lo>{NUMBER}){RANGE_SEP}(?P<hi>{NUMBER})")
#: "(0.20-0.93)", "[0.41 to 0.93]", "(0.70, 0.91)".
PAREN_INTERVAL_RE = re.compile(
    rf"[\(\[]\s{{0,2}}(?P<lo>{NUMBER}){RANGE_SEP}(?P<hi>{NUMBER})\s{{0,2}}[\)\]]"
)

# Words allowed between a ratio label and its estimate: "HR = ", "hazard ratio for death, ",
# "HRs of ", "(HR) = ", "odds ratio was ". No digits (the first number is the estimate), except a
# "(95% CI)" header-like token, which is skipped.
_FILLER = re.compile(r"(?:[^\d;]|\(?95\s?%\s?CI\)?){0,60}?(?=(?:\d|\.\d))")

# After the estimate: optional punctuation, an optional opening bracket, an optional CI label,
# then the interval. Two shapes: labelled ("95% CI 0.21-0.96", "95% CI: 0.2, 0.9") or bracketed
# without a label ("(0.20-0.93)", "[0.41 to 0.93]").
_AFTER_ESTIMATE = re.compile(
    r"(?P<pre>\s{0,3}[,;:]?\s{0,3}(?:[\(\[]\s{0,2})?)"
    r"(?:"
    rf"{CI_LABEL}(?:\s{{0,2}}[\(\[]CI[\)\]])?\s{{0,3}}(?:[:=,]|of|was|is|were|from)?\s{{0,3}}[\(\[]?\s{{0,2}}"
    rf"(?P<lo>{NUMBER}){RANGE_SEP}(?P<hi>{NUMBER})"
    r"|"
    rf"(?P<lo2>{NUMBER}){RANGE_SEP}(?P<hi2>{NUMBER})\s{{0,2}}[\)\]]"
    r")"
)
# A few words between the estimate and a *labelled* interval: "hazard ratio 0.63 in the
# intervention group; 95% CI 0.48-0.83" (a phrase a PDF line break may have hyphenated). Only
# with the "95% CI" label: without it the bracket after the words could be anything.
_AFTER_ESTIMATE_WORDS = re.compile(
    r"\s{1,3}(?:[A-Za-z][A-Za-z-]{0,24}\s{1,3}){0,4}[A-Za-z][A-Za-z-]{0,24}"
    r"\s{0,3}[,;:]?\s{0,3}(?:[\(\[]\s{0,2})?"
    rf"{CI_LABEL}\s{{0,3}}(?:[:=,]|of|was|is|were|from)?\s{{0,3}}[\(\[]?\s{{0,2}}"
    rf"(?P<lo>{NUMBER}){RANGE_SEP}(?P<hi>{NUMBER})"
)
# After an estimate with its CI, another estimate of the same plural label: "and 0.785 (95% CI...",
# or the upper end of a range of estimates: "ranged from 0.62 (95% CI ...) to 0.76 (95% CI ...)".
_NEXT_ESTIMATE = re.compile(r"\s{0,3}[\)\]]?\s{0,3}(?:,\s{0,3}and|,|and|;|to)\s{1,3}(?=\d|\.\d)")
# "ranged from", "ranging between": a singular label that still carries two estimates.
_RANGE_OF_ESTIMATES = re.compile(r"(?i)\brang(?:ed|es|ing|e)\s{1,3}(?:from|between)\s{1,3}$")
_ESTIMATE = re.compile(rf"(?P<est>{NUMBER})(?!\s{{0,2}}%)")

#: A cell or a phrase "0.44 (0.20-0.93)", "2.02(0.92-4.41)", "0.547 [0.271 to 1.103]".
ESTIMATE_CELL_RE = re.compile(
    rf"^\s{{0,3}}(?P<est>{NUMBER})\s{{0,3}}[\(\[]\s{{0,2}}(?:{CI_LABEL}\s{{0,2}}[:,]?\s{{0,2}})?"
    rf"(?P<lo>{NUMBER}){RANGE_SEP}(?P<hi>{NUMBER})\s{{0,2}}[\)\]]"
)


@dataclass(frozen=True)
class Interval:
    """Two limits and where they were written (normalized offsets)."""

    lower: float
    upper: float
    start: int
    end: int


@dataclass(frozen=True)
class PValue:
    """A reported p-value: operator ("=", "<", ">", "<=", ">="), value and its span."""

    operator: str
    value: float
    start: int
    end: int


@dataclass(frozen=True)
class RatioEstimate:
    """A ratio estimate found in text, with its interval and span (normalized offsets).

    ``label_start`` is where its ratio label begins (for several estimates that share one
    plural label, e.g. "HRs of 2.0 (...) and 0.8 (...)", all share the label's position).
    """

    measure: str
    label: str
    adjusted: bool
    estimate: float
    ci_lower: float
    ci_upper: float
    ci_level: float | None
    label_start: int
    start: int
    end: int
    est_start: int
    index_in_group: int = 0


_FILLER_WORDS = frozenset(
    "s of was were is are for the a an in at with and to from death mortality relapse progression "
    "adjusted overall pooled ratio ratios hazard odds risk vs versus compared estimated multivariable "
    "univariable multivariate univariate unadjusted crude model analysis hr or rr ranged range "
    "ranging between".split()
)


def _plain_filler(filler: str) -> bool:
    """True when the words between a ratio label and its estimate are connecting words only."""
    words = re.findall(r"[A-Za-z]+", filler)
    return all(w.lower() in _FILLER_WORDS for w in words)


def parse_number(s: str) -> float:
    """Parse a number as matched by :data:`NUMBER` ("0.45", ".45", "12")."""
    return float(s)


def _op(op: str) -> str:
    return {"≤": "<=", "≥": ">=", "of": "="}.get(op, op)


def find_p_values(text: str, start: int = 0, end: int | None = None) -> list[PValue]:
    """All p-values in ``text[start:end]`` with offsets into ``text``.

    A p-value label must stand alone ("p", "P", "p-value", "P value"): "Pheterogeneity = 0.4" and
    "Ph P" headers are not p-values of a comparison. "(p = 0.342 and 0.122, respectively)" gives
    two p-values; the second inherits the operator of the first.
    """
    end = len(text) if end is None else end
    out: list[PValue] = []
    for m in P_VALUE_RE.finditer(text, start, end):
        value = float(m.group("value"))
        if value > 1.0:
            continue
        out.append(PValue(_op(m.group("op")), value, m.start(), m.end()))
        # "p = 0.342 and 0.122, respectively", "P = 0.773 for OS and 0.985 for LFS"
        pos = m.end()
        for _ in range(6):
            nxt = _P_CONTINUATION.match(text, pos, end)
            if not nxt:
                break
            v = float(nxt.group("value"))
            if v > 1.0:
                break
            out.append(PValue(_op(m.group("op")), v, nxt.start("value"), nxt.end("value")))
            pos = nxt.end()
    return out


_P_CONTINUATION = re.compile(
    r"(?:\s{0,2}for\s{1,3}[A-Za-z][\w\- ]{0,30}?)?\s{0,2}(?:,\s{0,2}and|,|and)\s{1,3}"
    rf"(?P<value>{NUMBER})(?!\s{{0,2}}(?:%|months?|years?|days?|patients))"
)


def parse_interval(text: str) -> Interval | None:
    """The first interval "lo-hi" / "lo to hi" in ``text`` (lower <= upper), or None."""
    for m in INTERVAL_RE.finditer(text):
        lo, hi = float(m.group("lo")), float(m.group("hi"))
        if lo <= hi:
            return Interval(lo, hi, m.start(), m.end())
    return None


def parse_estimate_cell(text: str) -> tuple[float, float, float, float | None] | None:
    """Parse "0.44 (0.20-0.93)" -> (estimate, lower, upper, ci_level or None)."""
    m = ESTIMATE_CELL_RE.match(text)
    if not m:
        return None
    level = m.group("level")
    return (
        float(m.group("est")),
        float(m.group("lo")),
        float(m.group("hi")),
        float(level) / 100 if level else None,
    )


def measure_of_label(m: re.Match[str]) -> tuple[str, bool, bool]:
    """(measure, adjusted, plural) of a ratio-label match."""
    if m.group("code"):
        code = m.group("code").upper()
        measure = _CODE_MEASURE.get(code, "HR")
        adjusted = bool(m.group("aprefix"))
        return measure, adjusted, bool(m.group("plural"))
    if m.group("rr"):
        return "RR", bool(m.group("wadj")), bool(m.group("rplural"))
    kind = re.sub(r"\s+", " ", m.group("wkind").lower())
    return _WORD_MEASURE[kind], bool(m.group("wadj")), bool(m.group("wplural"))


def find_ratio_estimates(text: str, start: int = 0, end: int | None = None) -> list[RatioEstimate]:
    """Ratio estimates with their intervals in ``text[start:end]``.

    Anchored on a ratio label (:data:`RATIO_LABEL_RE`); the first number after the label (up to
    60 characters of words, no digits) is the estimate, followed by an interval that is either
    labelled ("95% CI 0.21-0.96", "95% confidence interval, 0.21 to 0.96") or bracketed
    ("(0.20-0.93)", "[0.41 to 0.93]"). A plural label ("HRs of ...") may carry several estimates.
    An estimate without an interval is not returned: without its interval it cannot be pooled.
    """
    end = len(text) if end is None else end
    labels = list(RATIO_LABEL_RE.finditer(text, start, end))
    out: list[RatioEstimate] = []
    for i, lab in enumerate(labels):
        stop = labels[i + 1].start() if i + 1 < len(labels) else end
        stop = min(stop, lab.end() + 400)
        measure, adjusted, plural = measure_of_label(lab)
        f = _FILLER.match(text, lab.end(), stop)
        if not f:
            continue
        pos = f.end()
        several = plural or _RANGE_OF_ESTIMATES.search(text, f.start(), f.end()) is not None
        for k in range(8 if several else 1):
            e = _ESTIMATE.match(text, pos, stop)
            if not e:
                break
            a = _AFTER_ESTIMATE.match(text, e.end(), stop)
            if not a:
                a = _AFTER_ESTIMATE_WORDS.match(text, e.end(), stop)
            if not a:
                break
            if (
                a.re is _AFTER_ESTIMATE
                and a.group("lo2") is not None
                and k == 0
                and not _plain_filler(text[f.start() : f.end()])
            ):
                # a bracketed pair without "CI" needs the label right before it: "RR 0.80 (0.70,
                # 0.91)", "aHR, 1.8 (1.1-2.9)"; not "the OR department treated 12 (8-16)"
                break
            lo = a.group("lo") or (a.group("lo2") if a.re is _AFTER_ESTIMATE else None)
            hi = a.group("hi") or (a.group("hi2") if a.re is _AFTER_ESTIMATE else None)
            level = a.group("level")
            est, lower, upper = float(e.group("est")), float(lo), float(hi)
            if not (0 < est < 1000 and 0 <= lower <= upper < 100000):
                break
            out.append(
                RatioEstimate(
                    measure=measure,
                    label=lab.group(0),
                    adjusted=adjusted,
                    estimate=est,
                    ci_lower=lower,
                    ci_upper=upper,
                    ci_level=float(level) / 100 if level else None,
                    label_start=lab.start(),
                    start=lab.start() if k == 0 else e.start(),
                    end=a.end(),
                    est_start=e.start(),
                    index_in_group=k,
                )
            )
            nxt = _NEXT_ESTIMATE.match(text, a.end(), stop)
            if not nxt:
                # skip a p-value inside the same brackets: "(95% CI: 0.6-6.3, p = 0.222) and 0.8"
                skip = _SKIP_P.match(text, a.end(), stop)
                if skip:
                    nxt = _NEXT_ESTIMATE.match(text, skip.end(), stop)
            if not nxt:
                break
            pos = nxt.end()
    return out


_SKIP_P = re.compile(rf"\s{{0,2}}[,;]\s{{0,2}}[Pp]\s{{0,2}}(?:<=|>=|=|<|>|≤|≥)\s{{0,2}}{NUMBER}")
