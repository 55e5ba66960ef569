"""Comparisons reported only as p-values (log-rank, chi-square): one row per outcome."""

from __future__ import annotations

import bisect
import re

from evsynth.extraction.arms import comparison_in
from evsynth.extraction.context import Context, clean_phrase, comparison_phrase
from evsynth.extraction.labels import find_interventions, find_outcomes
from evsynth.extraction.patterns import find_p_values
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.segments import Sentence

__all__ = ["p_only_rows", "arm_sizes_in"]

_THRESHOLD = re.compile(
    r"considered|heterogeneity|\bI\s?2\b|I²|Egger|Begg|significance\s+level|criteri|threshold|cut-?off|were\s+included|was\s+set|"
    r"defined\s+as|two-sided|two-tailed|\*\s{0,2}p\b|\bns,",
    re.IGNORECASE,
)
_N_EQ = re.compile(r"\(\s{0,2}[nN]\s{0,2}=\s{0,2}(\d{1,5})")
_SIMILAR = re.compile(r"(?i)^(?:similar(?:ly)?|likewise|the same)\b|similar results")
_FOR_OUTCOME = re.compile(r"\s{0,2}for\s{1,3}(?:the\s{1,3})?([A-Za-z][\w\- ]{0,40})")


def arm_sizes_in(text: str) -> tuple[int | None, int | None, str]:
    """Group sizes "(n = 45)" written next to the treated and the untreated arm in ``text``."""
    n_int = n_ctl = None
    arms = find_interventions(text)
    for m in _N_EQ.finditer(text):
        before = [a for a in arms if a[3] < m.start() and m.start() - a[3] < 80]
        if not before:
            continue
        arm = before[-1]
        if arm[2] and n_ctl is None:
            n_ctl = int(m.group(1))
        elif not arm[2] and n_int is None:
            n_int = int(m.group(1))
    note = "group sizes from '(n = ...)' in the sentence" if (n_int or n_ctl) else ""
    return n_int, n_ctl, note


def _outcome_for(text: str, sent_start: int, p_start: int, p_end: int, prev_p_end: int):
    """The outcome a p-value reports on: "for OS" after it, else "OS (p = ...)" before it, else
    the nearest outcome before it in the clause since the previous p-value."""
    after = _FOR_OUTCOME.match(text, p_end)
    if after:
        o = find_outcomes(after.group(1))
        if o:
            return o[0][0], o[0][1]
    window = text[max(prev_p_end, sent_start) : p_start]
    o = find_outcomes(window)
    if o:
        return o[-1][0], o[-1][1]
    return None


def _doc_sizes(text: str, sizes, name: str) -> tuple[int | None, int | None, str]:
    """Arm sizes stated once elsewhere in the paper ("Drug A (N = 17)", "Non-A (N = 28)");
    ambiguous when the paper states different sizes for the same arm."""
    treated = {sz[2] for sz in sizes if sz[0] == name and not sz[1]}
    control = {sz[2] for sz in sizes if sz[0] == name and sz[1]}
    n_int = treated.pop() if len(treated) == 1 else None
    n_ctl = control.pop() if len(control) == 1 else None
    where = []
    for negated, n in ((False, n_int), (True, n_ctl)):
        first = next((sz for sz in sizes if sz[0] == name and sz[1] == negated and n), None)
        if first is not None:
            where.append(text[first[3] : first[4]].replace("\n", " "))
    note = (
        "group sizes from elsewhere in the paper: " + "; ".join(f"'{w}'" for w in where)
        if where
        else ""
    )
    return n_int, n_ctl, note


def p_only_rows(
    maker: RowMaker,
    sentences: list[Sentence],
    ctx: Context,
    used: list[tuple[int, int]],
    sizes: list | None = None,
) -> None:
    """Add one ``p_only`` row per (outcome, p-value) for comparisons with no estimate."""
    text = maker.doc.text
    used_sorted = sorted(used)
    used_starts = [u[0] for u in used_sorted]

    def is_used(a: int, b: int) -> bool:
        # spans are short and rarely overlap: look at the neighbours of a in start order
        k = bisect.bisect_right(used_starts, a)
        return any(u0 <= a < u1 or a <= u0 < b for u0, u1 in used_sorted[max(0, k - 3) : k + 3])

    for i, s in enumerate(sentences):
        if s.section == "methods":
            continue
        ps = [p for p in find_p_values(text, s.start, s.end) if not is_used(p.start, p.end)]
        if not ps:
            continue
        if _THRESHOLD.search(s.text):
            continue
        # "(p = 0.342 and 0.122, respectively)": map to the outcomes listed before, in order
        outs_all = find_outcomes(s.text)
        inherited = ""
        if not outs_all and _SIMILAR.search(s.text):
            # "Similar results were obtained in patients with condition B (p = 0.21 and 0.06,
            # respectively)": the outcomes are those of the preceding sentence
            for prev in ctx.previous(i, 1):
                outs_all = [(o[0], o[1], -1) for o in find_outcomes(prev.text)]
                inherited = "outcome taken from the preceding sentence ('similar results')"
        distinct = list(
            dict.fromkeys((o[0], o[1]) for o in outs_all if o[2] < ps[0].start - s.start)
        )
        resp = "respectively" in s.text
        assigned: list[tuple[str, str, str]] = []
        if (
            resp
            and len(ps) > 1
            and distinct
            and len(ps) % len(distinct) == 0
            and not any(_FOR_OUTCOME.match(text, p.end) for p in ps)
        ):
            # "(p = a and b, respectively) and ... (p = c and d, respectively)": cycle the list
            note = "; ".join(x for x in (inherited, "outcome mapped by 'respectively'") if x)
            assigned = [
                (distinct[k % len(distinct)][0], distinct[k % len(distinct)][1], note)
                for k in range(len(ps))
            ]
        elif inherited:
            if len(distinct) == 1:
                assigned = [(distinct[0][0], distinct[0][1], inherited)] * len(ps)
        else:
            prev_end = s.start
            for p in ps:
                o = _outcome_for(text, s.start, p.start, p.end, prev_end)
                if (
                    o is None
                    and assigned
                    and assigned[-1][0]
                    and ")" not in text[prev_end : p.start]
                ):
                    # "(p = 0.869 for condition A and p = 0.276 for condition B)": same outcome, other subgroup
                    o = assigned[-1][:2]
                assigned.append((o[0], o[1], "") if o else ("", "", ""))
                prev_end = p.end
        name, phrase, comparator, detail, inote = ctx.intervention(i, s.text)
        versus = comparison_in(s.text)
        if (
            not phrase
            and not comparison_phrase(s.text)
            and versus.intervention_as_reported
            and versus.comparator_as_reported
        ):
            phrase = versus.intervention_as_reported
            name = name or versus.intervention
        if versus.comparator and not comparator and name:
            comparator = versus.comparator
        n_int, n_ctl, nnote = arm_sizes_in(s.text)
        if name and n_int is None and n_ctl is None and sizes is not None:
            n_int, n_ctl, nnote = _doc_sizes(text, sizes, name)
        for p, (outcome, outcome_rep, onote) in zip(ps, assigned, strict=False):
            if not outcome:
                continue
            notes = [n for n in (onote, inote, nnote) if n]
            maker.add_norm(
                s.start,
                s.end,
                intervention=name,
                intervention_detail=detail,
                intervention_as_reported=phrase
                or comparison_phrase(s.text)
                or clean_phrase(re.sub(r"\(.*", "", s.text)),
                comparator=comparator,
                comparator_as_reported=versus.comparator_as_reported,
                outcome=outcome,
                outcome_as_reported=outcome_rep,
                measure="p_only",
                analysis=ctx.analysis(i, p.start - s.start)
                if re.search(r"variat|variable|adjust", s.text, re.IGNORECASE)
                else "",
                p_value=p.value,
                p_operator=p.operator,
                test=ctx.test(i, "p_only"),
                total_int=n_int if n_int is not None else float("nan"),
                total_ctl=n_ctl if n_ctl is not None else float("nan"),
                section=s.section,
                extractor="sentence_p_only",
                notes="; ".join(notes),
            )
