"""Labels for a result from its surroundings: the clause, the sentence, the paragraph, the section."""

from __future__ import annotations

import functools
import re

from evsynth.extraction.labels import (
    analysis_of,
    comparator_for,
    dose_detail,
    find_interventions,
    find_outcomes,
)
from evsynth.extraction.segments import Sentence

__all__ = ["Context", "clean_phrase", "comparison_phrase", "intervention_phrase"]

_LEAD = re.compile(
    r"^(?:[\s,;:()\[\]]|and\b|or\b|whereas\b|while\b|but\b|in\s+the\s+\w+\s+analysis\b|"
    r"however\b|furthermore\b|moreover\b|additionally\b|similarly\b|that\b)+",
    re.IGNORECASE,
)
_NUM = re.compile(r"\d")


def clean_phrase(text: str, limit: int = 90) -> str:
    """A short label from a clause: connectors and brackets trimmed, at most ``limit`` chars."""
    t = re.sub(r"\s+", " ", text).strip()
    t = _LEAD.sub("", t)
    t = re.sub(r"[\s,;:(\[]+$", "", t)
    if len(t) > 40:
        # "Multivariate analysis revealed that the development of X was not associated ..." -> X
        m = re.search(
            r"(?i)\b(?:that|revealed|showed|confirmed)\s+(?!.*\b(?:that|revealed|showed|confirmed)\s)",
            t,
        )
        if m and len(t) - m.end() > 3:
            t = t[m.end() :]
        v = re.search(
            r"\s(?:was|were|is|are|remained|had|has|have|showed|exhibited|did|yielded)\s", t
        )
        if v and v.start() > 3:
            t = t[: v.start()]
    if len(t) > limit:
        cut = t[-limit:]
        sp = cut.find(" ")
        t = cut[sp + 1 :] if 0 <= sp < 20 else cut
    return t.strip()


_COMPARISONS = [
    re.compile(
        r"(?i)(?:patients\s+)?(?:with\s+(?:and|or)\s+without|who\s+did\s+or\s+did\s+not\s+\w+)"
        r"\s+[^,;()]{1,40}?(?=\s*(?:[,;()]|\bhad\b|\bwere\b|\bwas\b|\bin\b|$))"
    ),
    re.compile(
        r"(?i)patients\s+with\s+[^,;()]{1,60}?(?=\s+(?:did|had|were|was|exhibited|showed)\b)"
    ),
    re.compile(r"(?i)between\s+[^,;()]{3,60}?(?=\s*(?:[,;()]|$))"),
    re.compile(r"(?i)(?:patients\s+)?with\s+[^,;()]{1,60}?\s+(?:and|vs\.?|versus)\s+others?\b"),
]


def comparison_phrase(text: str) -> str:
    """The groups a p-value compares, as written ("patients with and without condition B"), or ''."""
    for rx in _COMPARISONS:
        m = rx.search(text)
        if m:
            return re.sub(r"\s+", " ", m.group(0)).strip()
    return ""


def intervention_phrase(text: str, pos: int, as_written: str) -> str:
    """The intervention as written with a dose qualifier next to it ("low-dose drug A (≤ 8 mg kg-¹)")."""
    start = pos
    before = text[max(0, pos - 25) : pos]
    m = re.search(r"(?:(?:low|high|moderate|standard)\s?-?\s?dose\s{1,2})$", before, re.IGNORECASE)
    if m:
        start = pos - (len(before) - m.start())
    end = pos + len(as_written)
    after = re.match(r"\s{0,2}\(\s{0,2}[<>≤≥≦]=?\s{0,2}\d[^)]{0,20}\)", text[end : end + 40])
    if after:
        end += after.end()
    return text[start:end].strip()


class Context:
    """Look-ups over the sentences of one document."""

    def __init__(self, sentences: list[Sentence]) -> None:
        self.sentences = sentences

    def previous(self, i: int, n: int = 2) -> list[Sentence]:
        """Up to ``n`` sentences before sentence ``i`` in the same paragraph, nearest first."""
        out = []
        j = i - 1
        while (
            j >= 0 and len(out) < n and self.sentences[j].paragraph == self.sentences[i].paragraph
        ):
            out.append(self.sentences[j])
            j -= 1
        return out

    def outcome(self, i: int, clause: str, clause_pos_in_sentence: int | None = None):
        """(normalized, as written, note) of the outcome for a result in ``clause``."""
        found = find_outcomes(clause)
        if found:
            return found[-1][0], found[-1][1], ""
        s = self.sentences[i]
        found = find_outcomes(s.text)
        if found:
            if clause_pos_in_sentence is not None:
                before = [f for f in found if f[2] <= clause_pos_in_sentence]
                if before:
                    return before[-1][0], before[-1][1], ""
            return found[0][0], found[0][1], ""
        for p in self.previous(i):
            found = find_outcomes(p.text)
            if found:
                return found[-1][0], found[-1][1], "outcome taken from the preceding sentence"
        found = find_outcomes(s.heading)
        if found:
            return found[0][0], found[0][1], "outcome taken from the section heading"
        return "", "", ""

    def intervention(self, i: int, clause: str, lookback: bool = True):
        """(normalized, phrase as written, comparator, detail, note) for a result in ``clause``."""
        s = self.sentences[i]
        found = find_interventions(clause)
        note = ""
        src = clause
        if not found and lookback:
            for p in self.previous(i):
                found = find_interventions(p.text)
                if found:
                    src = p.text
                    note = "intervention taken from the preceding sentence"
                    break
        if not found:
            return "", "", "", "", ""
        pos_terms = [f for f in found if not f[2]]
        chosen = pos_terms[0] if pos_terms else found[0]
        name = chosen[0]
        phrase = intervention_phrase(src, chosen[3], chosen[1]) if pos_terms else chosen[1]
        negs = [
            f for f in find_interventions(s.text) + find_interventions(src) if f[0] == name and f[2]
        ]
        comparator = comparator_for(name) if negs else ""
        if not pos_terms:
            # only the untreated arm is named ("non-X group had ...")
            note = (note + "; " if note else "") + f"only the untreated arm '{chosen[1]}' is named"
        detail = dose_detail(phrase) or dose_detail(src[max(0, chosen[3] - 30) : chosen[3] + 40])
        return name, phrase, comparator, detail, note

    def analysis(self, i: int, pos_in_sentence: int) -> str:
        s = self.sentences[i]
        a = analysis_of(s.text, before=pos_in_sentence)
        if a:
            return a
        for p in self.previous(i):
            a = analysis_of(p.text, before=len(p.text))
            if a:
                return a
        return analysis_of(s.heading)

    def test(self, i: int, measure: str) -> str:
        return _test_named(tuple([self.sentences[i].text] + [p.text for p in self.previous(i)]))


@functools.lru_cache(maxsize=1024)
def _test_named(texts: tuple[str, ...]) -> str:
    """The statistical test named in a sentence or the two before it ('' if none)."""
    joined = " ".join(texts)
    if re.search(r"\bCox\b", joined):
        return "Cox"
    if re.search(r"logistic", joined, re.IGNORECASE):
        return "logistic"
    if re.search(r"log-?\s?rank", joined, re.IGNORECASE):
        return "log-rank"
    if re.search(r"chi-?\s?squared?|χ2|χ²", joined, re.IGNORECASE):
        return "chi-square"
    if re.search(r"Fisher", joined):
        return "Fisher"
    return ""


def has_number(text: str) -> bool:
    return bool(_NUM.search(text))
