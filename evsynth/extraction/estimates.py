"""Ratio estimates (HR, OR, RR) with their confidence intervals, from sentences."""

from __future__ import annotations

import re

from evsynth.extraction.arms import comparison_in, subgroup_before
from evsynth.extraction.context import Context, clean_phrase
from evsynth.extraction.labels import find_outcomes
from evsynth.extraction.patterns import P_VALUE_RE, find_ratio_estimates
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.segments import Sentence

__all__ = ["estimate_rows"]

_OPEN = re.compile(r"[(\[][^()\[\]]{0,60}$")
_AFTER_CLOSE = re.compile(r"\s{0,2}[)\]]\s{0,2}(?:[,;]\s{0,2}|\(\s{0,2})")


def _p_near(text: str, start: int, end: int, lo: int, hi: int):
    """The p-value that belongs to the estimate text[start:end]: inside its brackets, either
    after the interval (up to the closing bracket) or before the label in the same brackets."""
    tail_end = min(hi, end + 60)
    close = text.find(")", end, tail_end)
    tail = text[end : (close if close >= 0 else tail_end)]
    m = P_VALUE_RE.search(tail)
    if m and float(m.group("value")) <= 1:
        return m.group("op"), float(m.group("value")), end + m.start(), end + m.end()
    # "(99% CI, 1.02-1.68), p = 0.04" or "(95% CI=1.40-2.19) (P < 0.001)": right after the bracket
    after = _AFTER_CLOSE.match(text, end, min(hi, end + 40))
    if after:
        m = P_VALUE_RE.match(text, after.end(), min(hi, after.end() + 30))
        if m and float(m.group("value")) <= 1:
            return m.group("op"), float(m.group("value")), m.start(), m.end()
    head_start = max(lo, start - 60)
    head = text[head_start:start]
    o = _OPEN.search(head)
    if o:
        seg = head[o.start() :]
        ms = list(P_VALUE_RE.finditer(seg))
        if ms and float(ms[-1].group("value")) <= 1:
            m = ms[-1]
            a = head_start + o.start()
            return m.group("op"), float(m.group("value")), a + m.start(), a + m.end()
    return None


def _op(op: str) -> str:
    return {"≤": "<=", "≥": ">=", "of": "="}.get(op, op)


def estimate_rows(
    maker: RowMaker, sentences: list[Sentence], ctx: Context
) -> list[tuple[int, int]]:
    """Add a row per ratio estimate; return the normalized spans used (p-values included)."""
    text = maker.doc.text
    used: list[tuple[int, int]] = []
    for i, s in enumerate(sentences):
        ests = find_ratio_estimates(text, s.start, s.end)
        if not ests:
            continue
        # groups of estimates that share a label (plural "HRs of a (...) and b (...)")
        groups: list[list] = []
        for e in ests:
            if e.index_in_group == 0:
                groups.append([e])
            else:
                groups[-1].append(e)
        prev_end = s.start
        for g in groups:
            subject = text[prev_end : g[0].label_start]
            # drop an unclosed bracket before the label: "sex (p = 0.026, HR = ..." -> "sex"
            k_open = subject.rfind("(")
            if k_open >= 0 and ")" not in subject[k_open:]:
                subject = subject[:k_open]
            subj_rel = g[0].label_start - s.start
            name, phrase, comparator, detail, inote = ctx.intervention(i, subject, lookback=False)
            # outcomes: "... in OS and LFS, with HRs of a (...) and b (...), respectively"
            outs = find_outcomes(subject)
            distinct = list(dict.fromkeys((o[0], o[1]) for o in outs))
            respectively = (
                "respectively" in text[g[-1].end : s.end][:80]
                or "respectively" in text[g[0].start : g[-1].end]
            )
            for k, e in enumerate(g):
                notes = []
                if len(g) > 1 and respectively and len(distinct) == len(g):
                    outcome, outcome_rep = distinct[k]
                    notes.append("outcome mapped by 'respectively'")
                else:
                    outcome, outcome_rep, onote = ctx.outcome(i, subject, subj_rel)
                    if onote:
                        notes.append(onote)
                if inote:
                    notes.append(inote)
                pv = _p_near(text, e.start if k == 0 else e.est_start, e.end, s.start, s.end)
                span_start = prev_end if k == 0 else e.est_start
                span_end = e.end
                p_value, p_op = float("nan"), ""
                if pv:
                    p_op, p_value = _op(pv[0]), pv[1]
                    span_start = min(span_start, pv[2])
                    span_end = max(span_end, pv[3])
                    used.append((pv[2], pv[3]))
                # extend over a closing bracket right after
                while (
                    span_end < s.end
                    and text[span_end] in ")]"
                    and text[span_start:span_end].count("(") + text[span_start:span_end].count("[")
                    > text[span_start:span_end].count(")") + text[span_start:span_end].count("]")
                ):
                    span_end += 1
                # trim leading connectors of the quote
                while span_start < span_end and text[span_start] in " ,;:":
                    span_start += 1
                if not (e.ci_lower <= e.estimate <= e.ci_upper):
                    notes.append("estimate lies outside its interval as reported")
                analysis = "multivariable" if e.adjusted else ctx.analysis(i, e.est_start - s.start)
                as_reported = phrase or clean_phrase(subject)
                versus = comparison_in(s.text)
                cmp_reported = versus.comparator_as_reported
                if not phrase and versus.intervention_as_reported and cmp_reported:
                    as_reported = versus.intervention_as_reported
                    name = name or versus.intervention
                if versus.comparator and not comparator and name:
                    comparator = versus.comparator
                maker.add_norm(
                    span_start,
                    span_end,
                    intervention=name,
                    intervention_detail=detail,
                    intervention_as_reported=as_reported,
                    comparator=comparator,
                    comparator_as_reported=cmp_reported,
                    subgroup=subgroup_before(s.text, e.est_start - s.start),
                    outcome=outcome,
                    outcome_as_reported=outcome_rep,
                    measure=e.measure,
                    analysis=analysis,
                    estimate=e.estimate,
                    ci_lower=e.ci_lower,
                    ci_upper=e.ci_upper,
                    ci_level=e.ci_level if e.ci_level is not None else 0.95,
                    p_value=p_value,
                    p_operator=p_op,
                    test=ctx.test(i, e.measure) if e.measure == "HR" else "",
                    section=s.section,
                    extractor="sentence_ratio",
                    notes="; ".join(
                        notes
                        + ([] if e.ci_level is not None else ["CI level not stated; 95% assumed"])
                    ),
                )
                used.append((e.start, e.end))
            prev_end = g[-1].end
    return used
