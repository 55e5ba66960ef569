"""The arms of a comparison as the paper names them, with or without a protocol.

A paper names its groups in a few ways that hold for any topic:

* "the X group", "the X arm", "X cohort" ("in the exercise group", "usual care arm");
* "X-treated participants", "X-allocated patients" ("drug-A-treated participants");
* "X recipients" ("placebo recipients");
* "allocated to X", "assigned to X", "randomised to X";
* a term of the protocol (an intervention, its negated form "non-X"/"without X", or a
  comparator).

:func:`arm_mentions` finds them in a text; each carries the words as written, the protocol label
when a protocol term is inside it, its role (intervention or comparator), and the group size when
the paper writes it next to the arm ("(n = 455)"). The role of a generic arm comes from design
words that hold for any topic (placebo, control, usual or standard care, sham, wait-list, no
treatment, "no X"/"non-X"); any other arm is an intervention arm.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from evsynth.extraction.labels import (
    active_vocabulary,
    comparator_for,
    find_comparators,
    find_interventions,
)

__all__ = ["ArmMention", "arm_mentions", "arm_role", "subgroup_before", "CONTROL_WORDS"]

#: design words that make an arm the comparator, whatever the topic
CONTROL_WORDS = re.compile(
    r"(?i)(?<![A-Za-z])(?:placebo|controls?|usual[\s-]+care|standard[\s-]+(?:of[\s-]+)?care|"
    r"standard[\s-]+treatment|sham|wait[\s-]*list(?:ed)?|waiting[\s-]+list|no[\s-]+(?:treatment|"
    r"intervention|exercise|therapy)|untreated|non[\s-]?(?:treated|exposed|users?)|unexposed|"
    r"reference|comparator|conventional[\s-]+(?:care|treatment|therapy))(?![A-Za-z])"
)

_WORD = r"[A-Za-z0-9][\w\-+/·.']{0,30}"
_PHRASE = rf"{_WORD}(?:\s{{1,2}}{_WORD}){{0,3}}?"
_STOP = {
    "the", "a", "an", "each", "both", "either", "this", "that", "these", "those", "in", "of",
    "and", "or", "participants", "patients", "subjects", "people", "among", "between", "who",
    "were", "was", "received", "receiving", "had", "by", "at", "on", "as", "into", "within", "vs", "versus", "with", "to", "for", "from", "than", "per", "all", "two",
    "three", "study", "treatment", "intervention", "same", "other", "one", "every", "age",
    "whole", "total", "overall", "respective", "compared",
}  # fmt: skip

_GENERIC = [
    # "the exercise group", "usual care arm", "control cohort", "Group A"
    re.compile(rf"(?P<arm>{_PHRASE})\s{{1,2}}(?:group|arm|cohort)s?(?![A-Za-z])", re.IGNORECASE),
    re.compile(r"(?P<arm>(?i:group|arm)\s{1,2}[A-Z0-9]{1,2})(?![A-Za-z0-9])"),
    # "drug-A-treated participants", "exercise-allocated patients"
    re.compile(
        rf"(?P<arm>{_PHRASE})[\s-](?:treated|allocated|assigned|exposed)\s{{1,2}}"
        r"(?:participants|patients|subjects|people|persons|individuals|children|adults|women|men|"
        r"cases|infants)(?![A-Za-z])",
        re.IGNORECASE,
    ),
    # "control participants", "placebo patients"
    re.compile(
        r"(?P<arm>(?i:placebo|controls?|usual[\s-]+care|sham|wait[\s-]*list))\s{1,2}"
        r"(?i:participants|patients|subjects|children|adults|women|men|infants)(?![A-Za-z])"
    ),
    # "placebo recipients", "vaccine recipients"
    re.compile(rf"(?P<arm>{_PHRASE})\s{{1,2}}(?:recipients|users)(?![A-Za-z])", re.IGNORECASE),
    # "allocated to exercise", "randomised to usual care"
    re.compile(
        rf"(?:allocated|assigned|randomi[sz]ed)\s{{1,2}}to\s{{1,2}}(?:receive\s{{1,2}})?"
        rf"(?:the\s{{1,2}})?(?P<arm>{_PHRASE})(?=\s{{0,2}}(?:[,;.)(]|and\b|or\b|$))",
        re.IGNORECASE,
    ),
]
_N_AFTER = re.compile(
    r"\s{0,2}[(\[]\s{0,2}(?:[nN]|total)\s{0,2}[=:]\s{0,2}(?P<n>\d{1,3}(?:[,\s]\d{3})*|\d{1,6})\s{0,2}[)\],;]"
)


@dataclass(frozen=True)
class ArmMention:
    """One group named in a text.

    Attributes
    ----------
    start, end : ``text[start:end] == as_written``.
    as_written : the arm as the paper writes it ("exercise group", "non-X group").
    label : the protocol's label ("exercise", "no exercise", "control") or "".
    role : "intervention" or "comparator".
    n : the group size written right after it ("(n = 455)"), or None.
    """

    start: int
    end: int
    as_written: str
    label: str
    role: str
    n: int | None = None


def arm_role(text: str) -> str:
    """'comparator' for an arm whose words mean no active treatment (placebo, control, usual
    care, sham, wait-list, non-X), else 'intervention'."""
    if CONTROL_WORDS.search(text) or re.match(r"(?i)\s*(?:non|no|without)[\s-]", text):
        return "comparator"
    found = find_interventions(text)
    if found and all(f[2] for f in found):
        return "comparator"
    if find_comparators(text):
        return "comparator"
    return "intervention"


def _clean_generic(arm: str) -> tuple[int, str]:
    """Keep the words after the last function word or number ("participants in the exercise"
    -> "exercise", "468 drug-A-treated" -> "drug-A-treated"); return (offset, text)."""
    words = list(re.finditer(r"\S+", arm))
    keep = 0
    for k, w in enumerate(words):
        raw = w.group(0).strip(",;:()")
        token = raw.lower()
        if (token in _STOP and not (len(raw) == 1 and raw.isupper())) or re.fullmatch(
            r"[\d.,·%()]+", token
        ):
            keep = k + 1
    if keep >= len(words):
        return len(arm), ""
    off = words[keep].start()
    return off, arm[off:]


@functools.lru_cache(maxsize=2048)
def _generic(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, role) of generic arm phrases; the role is judged on the whole phrase
    ("standard of care group" is a comparator even though the arm kept is "care group")."""
    spans = []
    for k, rx in enumerate(_GENERIC):
        for m in rx.finditer(text):
            a0 = m.start("arm")
            # "Group A" is a name as it stands; other phrases lose their leading function words
            off, arm = (0, m.group("arm")) if k == 1 else _clean_generic(m.group("arm"))
            if not arm or not re.search(r"[A-Za-z]", arm):
                continue
            role = "comparator" if CONTROL_WORDS.search(m.group(0)) else ""
            spans.append((a0 + off, m.end(), role))
    return tuple(spans)


def _label_of(span_text: str) -> tuple[str, str]:
    """(label, role) from the protocol terms inside an arm's words ('' when none)."""
    found = find_interventions(span_text)
    pos = [f for f in found if not f[2]]
    neg = [f for f in found if f[2]]
    if pos and not neg and not CONTROL_WORDS.search(span_text):
        return pos[0][0], "intervention"
    if neg:
        return comparator_for(neg[0][0]), "comparator"
    cmp = find_comparators(span_text)
    if cmp:
        return cmp[0][0], "comparator"
    return "", ""


def arm_mentions(text: str) -> tuple[ArmMention, ...]:
    """Every group named in ``text``, in order, not overlapping (a longer mention wins).

    Cached per vocabulary and text.
    """
    vocab = active_vocabulary()
    cache = vocab._compiled.setdefault("arms", {})
    hit = cache.get(text)
    if hit is not None:
        return hit
    spans: list[tuple[int, int, str]] = list(_generic(text))
    for _, written, _neg, pos in find_interventions(text):
        spans.append((pos, pos + len(written), ""))
    for _, written, pos in find_comparators(text):
        spans.append((pos, pos + len(written), ""))
    # longest first, then keep the ones that do not overlap a kept one
    kept: list[tuple[int, int, str]] = []
    for s, e, r in sorted(spans, key=lambda se: (-(se[1] - se[0]), se[0])):
        if all(e <= ks or s >= ke for ks, ke, _ in kept):
            kept.append((s, e, r))
    out = []
    for s, e, generic_role in sorted(kept):
        written = text[s:e]
        label, role = _label_of(written)
        if not role:
            role = generic_role or arm_role(written)
        n_m = _N_AFTER.match(text, e)
        n = int(re.sub(r"[,\s]", "", n_m.group("n"))) if n_m else None
        out.append(ArmMention(s, e, re.sub(r"\s+", " ", written).strip(), label, role, n))
    result = tuple(out)
    if len(cache) > 8192:
        cache.clear()
    cache[text] = result
    return result


_VERSUS = re.compile(
    rf"(?P<a>{_PHRASE})\s{{1,2}}(?:versus|vs\.?|compared\s{{1,2}}(?:with|to)|relative\s{{1,2}}to|"
    rf"over|against)\s{{1,2}}(?:the\s{{1,2}})?(?P<b>{_PHRASE})(?=\s{{0,2}}(?:[,;.:)(\[]|"
    r"groups?\b|arms?\b|participants\b|patients\b|was\b|were\b|in\b|for\b|on\b|with\b|and\b|$))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Comparison:
    """The two arms a result compares, as written and with the protocol's labels."""

    intervention_as_reported: str = ""
    comparator_as_reported: str = ""
    intervention: str = ""
    comparator: str = ""


_COMPARED_FIRST = re.compile(
    rf"(?:^|[.;:]\s{{1,2}})(?i:compared\s{{1,2}}(?:with|to)|relative\s{{1,2}}to)\s{{1,2}}(?:the\s{{1,2}})?"
    rf"(?P<b>{_PHRASE})\s{{0,2}},\s{{1,2}}(?:the\s{{1,2}})?(?P<a>{_PHRASE})(?=\s)"
)
_VERB = re.compile(
    r"(?i)^(?:(?!treated$|allocated$|assigned$|exposed$|based$|controlled$|matched$)\w{3,}ed|"
    r"was|were|is|are|had|has|did|does|showed|shows|led|reduces|increases|lowers|raises|"
    r"improves|had|significantly|resulted|resulting)$"
)


def _trim_phrase(text: str) -> str:
    """Cut a phrase at its first verb ("placebo reduced mortality" -> "placebo")."""
    out = []
    for w in text.split():
        if _VERB.match(w.strip(",;:")):
            break
        out.append(w)
    return " ".join(out).strip(" ,;:")


def comparison_in(text: str) -> Comparison:
    """The arms compared in a sentence or clause: "X versus Y" ("compared with", "vs"), else the
    first intervention arm and the first comparator arm it names (see :func:`arm_mentions`).
    Empty when the text names no arm. Cached per vocabulary and text."""
    cache = active_vocabulary()._compiled.setdefault("comparisons", {})
    hit = cache.get(text)
    if hit is None:
        if len(cache) > 4096:
            cache.clear()
        hit = cache[text] = _comparison(text)
    return hit


def _comparison(text: str) -> Comparison:
    for rx in (_COMPARED_FIRST, _VERSUS):
        m = rx.search(text)
        if not m:
            continue
        _, a = _clean_generic(_trim_phrase(m.group("a")))
        b = _trim_phrase(m.group("b"))
        if a and b and re.search(r"[A-Za-z]", a) and re.search(r"[A-Za-z]", b):
            la, _ra = _label_of(a)
            lb, _rb = _label_of(b)
            return Comparison(a.strip(), b, la if not la.startswith("no ") else "", lb)
    arms = arm_mentions(text)
    treated = next((a for a in arms if a.role == "intervention"), None)
    control = next((a for a in arms if a.role == "comparator"), None)
    if treated is None and control is None:
        return Comparison()
    return Comparison(
        treated.as_written if treated else "",
        control.as_written if control else "",
        treated.label if treated else "",
        control.label if control else "",
    )


_SUBGROUP = re.compile(
    r"(?i)(?<![A-Za-z])(?:in|among|for)\s{1,2}(?:the\s{1,2})?(?:participants|patients|those|"
    r"people|persons|women|men|children|adults|subjects|individuals|the\s{1,2}subgroup\s{1,2}of)"
    r"\s{1,2}(?P<g>(?:with|without|who|aged|older|younger|under|over|above|below|having)\b[^,;:()]{1,60})"
)


def subgroup_before(text: str, pos: int) -> str:
    """The stratum a result in ``text`` at ``pos`` belongs to, when its clause opens with one
    ("In participants with a previous fall, 70/171 ..." -> "participants with a previous fall";
    "in those without X, 55/241 ..." -> "those without X"), else ''. The clause is the text
    since the previous ';' or sentence start."""
    start = max(text.rfind(";", 0, pos), text.rfind(". ", 0, pos)) + 1
    found = list(_SUBGROUP.finditer(text, start, pos))
    if not found:
        return ""
    m = found[-1]
    head = re.match(r"(?i)(?:in|among|for)\s{1,2}(?:the\s{1,2})?", m.group(0))
    return re.sub(r"\s+", " ", m.group(0)[head.end() :]).strip()
