"""Label vocabularies: interventions, outcomes, analysis type, comparators.

Each vocabulary maps the ways papers write a term to one normalized label. The paper's own words
are always kept next to the normalized label (``*_as_reported``), so normalization never hides
what was written.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "INTERVENTION_TERMS",
    "OUTCOME_TERMS",
    "find_interventions",
    "find_outcomes",
    "analysis_of",
    "dose_detail",
    "is_negated_arm",
]

# normalized intervention -> regex of the ways papers name it (case-insensitive unless noted)
INTERVENTION_TERMS: dict[str, str] = {
    "glucocorticoid": (
        r"(?:gluco|cortico)?-?steroids?|glucocorticoids?|corticosteroids?|"
        r"(?-i:GCs?|GCS)|(?:methyl)?prednis(?:o|olo)ne|dexamethasone|hydrocortisone|"
        r"(?-i:DEX)"
    ),
    "tocilizumab": r"toci\w{0,10}|(?-i:TCZ)",
    "ruxolitinib": r"ruxolitinib|(?-i:RUX)",
}

_INTERVENTION_RE = re.compile(
    r"(?<![A-Za-z])(?P<neg>(?i:non)\s?-?\s?)?(?:"
    + "|".join(f"(?P<{k}>{v})" for k, v in INTERVENTION_TERMS.items())
    + r")(?![A-Za-z])",
    re.IGNORECASE,
)

# A negated arm: "non-GC", "non toci", "nontocilizumab", "without steroids",
# "did not receive tocilizumab", "no corticosteroids", "not treated with RUX".
_NEGATION_BEFORE = re.compile(
    r"(?:\bnon\s?-?\s?|\bnon(?=[a-z])|\bwithout\s{1,3}|\bno\s{1,3}|\bnot\s{1,3}(?:receive|given|treated\s{1,3}with|exposed\s{1,3}to)\w{0,2}\s{1,3}"
    r"|\bdid\s{1,3}not\s{1,3}(?:receive|use|get)\s{1,3}(?:any\s{1,3})?)$",
    re.IGNORECASE,
)

# normalized outcome -> regex (order matters: more specific first)
OUTCOME_TERMS: list[tuple[str, str]] = [
    (
        "MRD-negative CR",
        r"MRD\s?-?\s?negative\s{1,3}(?:CR|complete\s{1,3}(?:response|remission))s?|(?-i:MRD-CR|MRD- CR|MRDneg CR)",
    ),
    ("MRD-positive CR", r"MRD\s?-?\s?positive\s{1,3}CR|(?-i:MRD\+\s?CR)"),
    ("OS", r"overall\s{1,3}survival|(?-i:OS)"),
    ("PFS", r"progression\s?-?\s?free\s{1,3}survival|(?-i:PFS)"),
    ("EFS", r"event\s?-?\s?free\s{1,3}survival|(?-i:EFS)"),
    ("LFS", r"leuka?emia\s?-?\s?free\s{1,3}survival|(?-i:LFS)"),
    ("DFS", r"disease\s?-?\s?free\s{1,3}survival|(?-i:DFS)"),
    ("RFS", r"relapse\s?-?\s?free\s{1,3}survival|(?-i:RFS)"),
    ("ORR", r"overall\s{1,3}response(?:\s{1,3}rates?)?|objective\s{1,3}response|(?-i:ORR)"),
    (
        "CR",
        r"complete[\s-]{1,3}(?:response|remission)s?|(?-i:CRR|CRs|CR)"
        r"|remission\s{1,3}rates?",
    ),
    ("RESPONSE", r"(?:\d{1,3}-day\s{1,3})?response\s{1,3}rates?|(?:\d{1,3}-day\s{1,3})response"),
]
_OUTCOME_RE = re.compile(
    r"(?<![A-Za-z+-])(?:"
    + "|".join(f"(?P<o{i}>{rx})" for i, (_, rx) in enumerate(OUTCOME_TERMS))
    + r")(?![A-Za-z])",
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


@functools.lru_cache(maxsize=4096)
def find_interventions(text: str) -> tuple[tuple[str, str, bool, int], ...]:
    """Interventions named in ``text``: (normalized, as written, negated?, position).

    Cached per text (the extractors ask about the same sentence once per estimate in it, which
    would otherwise cost time proportional to estimates x sentence length).

    "non-GC group" -> ("glucocorticoid", "non-GC", True, ...).
    """
    out = []
    for m in _INTERVENTION_RE.finditer(text):
        name = next(k for k in INTERVENTION_TERMS if m.group(k))
        if m.group("neg"):
            out.append((name, m.group(0), True, m.start()))
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        neg = _NEGATION_BEFORE.search(before)
        start = m.start() - (len(before) - neg.start()) if neg else m.start()
        out.append((name, text[start : m.end()], bool(neg), start))
    return tuple(out)


def is_negated_arm(text: str) -> bool:
    """True when ``text`` names an untreated arm ("Non-GC", "without steroids", "No")."""
    t = text.strip()
    if re.fullmatch(r"(?i)no|none|never|0\s?mg\s?/?\s?kg|not\s+received", t):
        return True
    found = find_interventions(t)
    return bool(found) and all(f[2] for f in found)


@functools.lru_cache(maxsize=4096)
def find_outcomes(text: str) -> tuple[tuple[str, str, int], ...]:
    """Outcomes named in ``text``: (normalized, as written, position), in order of appearance.

    Cached per text, as :func:`find_interventions`."""
    out = []
    for m in _OUTCOME_RE.finditer(text):
        for i, (name, _) in enumerate(OUTCOME_TERMS):
            if m.group(f"o{i}"):
                out.append((name, m.group(0), m.start()))
                break
    return tuple(out)


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
    """Dose subgroup as written ("low-dose GC (≤ 8 mg kg-¹)", "≤8 mg/kg"), or ''."""
    m = _DOSE.search(text)
    return m.group(0).strip() if m else ""


def comparator_for(intervention: str) -> str:
    """The default comparator label of an untreated arm: 'no glucocorticoid'."""
    return f"no {intervention}" if intervention else ""
