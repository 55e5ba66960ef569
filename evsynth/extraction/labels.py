"""Label vocabularies: interventions, comparators and outcomes from the protocol; analysis type,
dose and negation from generic grammar.

The topic words (which drugs, which outcomes) come from the review protocol
(:class:`evsynth.protocol.terms.Vocabulary`), set for one paper at a time with
:func:`using_vocabulary`; without a protocol no intervention or outcome label is given and rows keep
only the words the paper used (``*_as_reported``). What stays here is grammar that holds for any
topic: negated arms ("non-X", "without X", "did not receive X"), the analysis type
(univariable/multivariable) and dose qualifiers.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterator

from evsynth.protocol.terms import Vocabulary

__all__ = [
    "using_vocabulary",
    "active_vocabulary",
    "find_interventions",
    "find_comparators",
    "find_outcomes",
    "analysis_of",
    "dose_detail",
    "is_negated_arm",
]

_ACTIVE: contextvars.ContextVar[Vocabulary | None] = contextvars.ContextVar(
    "evsynth_vocabulary", default=None
)
_EMPTY = Vocabulary.empty()


@contextlib.contextmanager
def using_vocabulary(vocabulary: Vocabulary | None) -> Iterator[Vocabulary]:
    """Use ``vocabulary`` for the label look-ups inside the block (one paper's extraction)."""
    token = _ACTIVE.set(vocabulary if vocabulary is not None else _EMPTY)
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def active_vocabulary() -> Vocabulary:
    """The vocabulary of the paper being extracted (empty outside :func:`using_vocabulary`)."""
    v = _ACTIVE.get()
    return v if v is not None else _EMPTY


# "nontreatment": "non" glued to a term is masked as "no " (same length) so the term is found
_GLUED_NON = re.compile(r"(?<![A-Za-z])([Nn]on)(?=[a-z])")

# A negated arm: "non-X", "non X", "nonX", "without X", "no X", "not treated with X",
# "did not receive X".
_NEGATION_BEFORE = re.compile(
    r"(?:\bnon\s?-?\s?|\bnon(?=[a-z])|\bwithout\s{1,3}|\bno\s{1,3}|\bnot\s{1,3}(?:receive|given|treated\s{1,3}with|exposed\s{1,3}to)\w{0,2}\s{1,3}"
    r"|\bdid\s{1,3}not\s{1,3}(?:receive|use|get)\s{1,3}(?:any\s{1,3})?)$",
    re.IGNORECASE,
)


_MULTI = re.compile(
    r"multi-?variat\w{0,4}|multi-?variable|adjusted|(?<![A-Za-z])a(?:HR|OR|RR)\b|Cox\s{1,3}regression\s{1,3}model\s{1,3}adjust",
    re.IGNORECASE,
)
_UNI = re.compile(r"uni-?variat\w{0,4}|uni-?variable|unadjusted|crude", re.IGNORECASE)

_DOSE = re.compile(
    r"(?:(?:low|high|moderate|standard|intermediate)\s?-?\s?dose(?:\s{1,3}\w{1,20})?"
    r"(?:\s{0,2}\(\s{0,2}[<>≤≥]=?\s{0,2}\d[\d.]{0,6}\s{0,2}mg[^)]{0,15}\))?"
    r"|[<>≤≥≦≧]=?\s{0,2}\d[\d.]{0,6}\s{0,2}mg\s{0,2}(?:/|·|\s)?\s{0,2}kg(?:-¹|-1)?"
    r"|\d[\d.]{0,6}\s{0,2}mg\s{0,2}/\s{0,2}kg)",
    re.IGNORECASE,
)


def find_interventions(text: str) -> tuple[tuple[str, str, bool, int], ...]:
    """Interventions of the active vocabulary named in ``text``: (label, as written, negated?,
    position), in order. "non-X group" -> ("X", "non-X", True, ...).

    Cached per vocabulary and text (the extractors ask about one sentence once per estimate).
    """
    vocab = active_vocabulary()
    cache = vocab._compiled.setdefault("interventions", {})
    hit = cache.get(text)
    if hit is not None:
        return hit
    out = _interventions(vocab, text)
    if len(cache) > 8192:
        cache.clear()
    cache[text] = out
    return out


def _interventions(vocab: Vocabulary, text: str) -> tuple[tuple[str, str, bool, int], ...]:
    if not vocab.terms.get("intervention"):
        return ()
    masked = _GLUED_NON.sub(lambda m: m.group(1)[:2] + " ", text)
    out = []
    for m in vocab.find("intervention", masked):
        glued = (
            m.start >= 3
            and masked[m.start - 3 : m.start] in ("no ", "No ")
            and (text[m.start - 3 : m.start].lower() == "non")
        )
        if glued:
            out.append((m.label, text[m.start - 3 : m.end], True, m.start - 3))
            continue
        before = text[max(0, m.start - 40) : m.start]
        neg = _NEGATION_BEFORE.search(before)
        start = m.start - (len(before) - neg.start()) if neg else m.start
        out.append((m.label, text[start : m.end], bool(neg), start))
    return tuple(out)


def find_comparators(text: str) -> tuple[tuple[str, str, int], ...]:
    """Comparators of the active vocabulary named in ``text``: (label, as written, position)."""
    return tuple((m.label, m.text, m.start) for m in active_vocabulary().find("comparator", text))


def is_negated_arm(text: str) -> bool:
    """True when ``text`` names an untreated arm ("Non-X", "without X", "No")."""
    t = text.strip()
    if re.fullmatch(r"(?i)no|none|never|0\s?mg\s?/?\s?kg|not\s+received", t):
        return True
    found = find_interventions(t)
    return bool(found) and all(f[2] for f in found)


def find_outcomes(text: str) -> tuple[tuple[str, str, int], ...]:
    """Outcomes of the active vocabulary named in ``text``: (label, as written, position), in
    order of appearance."""
    return tuple((m.label, m.text, m.start) for m in active_vocabulary().find("outcome", text))


@functools.lru_cache(maxsize=4096)
def _analysis_hits(text: str) -> tuple[tuple[int, str], ...]:
    hits = [(m.start(), "multivariable") for m in _MULTI.finditer(text)]
    hits += [(m.start(), "univariable") for m in _UNI.finditer(text)]
    return tuple(sorted(hits))


def analysis_of(text: str, before: int | None = None) -> str:
    """'multivariable', 'univariable' or '' from the words in ``text``.

    When ``before`` is given, the mention nearest before that position wins (a sentence that says
    "In the univariate analysis, ... for the multivariable model" is univariable at its
    estimates); otherwise the first mention after it.
    """
    hits = _analysis_hits(text)
    if not hits:
        return ""
    if before is None:
        kinds = {k for _, k in hits}
        return hits[0][1] if len(kinds) == 1 else ""
    prior = [h for h in hits if h[0] < before]
    if prior:
        return prior[-1][1]
    return hits[0][1]


def dose_detail(text: str) -> str:
    """Dose subgroup as written ("low-dose X (≤ 8 mg kg-¹)", "≤8 mg/kg"), or ''."""
    m = _DOSE.search(text)
    return m.group(0).strip() if m else ""


def comparator_for(intervention: str) -> str:
    """The comparator label of an intervention's untreated arm: "no X" for intervention "X"."""
    return f"no {intervention}" if intervention else ""
