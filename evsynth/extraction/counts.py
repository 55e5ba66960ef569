"""Responders per arm from sentences ("In the GC group (n = 55), the CRR was 96.36% (53/55)")
and the group sizes that denominators come from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from evsynth.extraction.context import Context
from evsynth.extraction.labels import find_interventions, find_outcomes
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.segments import Sentence

__all__ = ["count_rows", "ArmRate", "arm_size_mentions", "pct_matches"]

_FRACTION = re.compile(r"(?<![\d/.])(\d{1,5})\s{0,2}/\s{0,2}(\d{1,5})(?![\d/])")
_PCT = r"(?P<pct>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%"
# "96.36% (53/55)", "94.12% (n=16)", "53/55 (96.4%)", "53 (96.4%)"
_RATE = re.compile(
    _PCT
    + r"\s{0,2}\(\s{0,2}(?:(?P<e1>\d{1,5})\s{0,2}/\s{0,2}(?P<t1>\d{1,5})|[nN]\s{0,2}=\s{0,2}(?P<e2>\d{1,5}))\s{0,2}\)"
    r"|(?<![\d/.])(?P<e3>\d{1,5})\s{0,2}/\s{0,2}(?P<t3>\d{1,5})\s{0,2}\(\s{0,2}(?P<pct3>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%\s{0,2}\)"
)


@dataclass(frozen=True)
class ArmRate:
    intervention: str
    negated: bool
    arm_text: str
    outcome: str
    outcome_rep: str
    events: int
    total: int | None
    pct: float | None
    start: int
    end: int
    sentence: int


def pct_matches(events: int, total: int, pct: float, pct_text: str | None = None) -> bool:
    """True when events/total rounds to the percentage as written (its decimals)."""
    if total <= 0 or events > total:
        return False
    decimals = len(pct_text.split(".")[1]) if pct_text and "." in pct_text else 1
    tol = 0.5 * 10 ** (-decimals) + 1e-9
    return abs(100 * events / total - pct) <= max(tol, 0.051)


def arm_size_mentions(text: str) -> list[tuple[str, bool, int, int, int]]:
    """Group sizes the paper states anywhere: (intervention, negated, n, start, end).

    "Toci (N = 17)", "non-GC group (n = 46)", "17 patients received tocilizumab",
    "Tocilizumab was applied to 17 patients", "51 (54.8%) received corticosteroids".
    """
    out = []
    for name, neg_text, neg, pos in find_interventions(text):
        tail = text[pos + len(neg_text) : pos + len(neg_text) + 40]
        m = re.match(r"[\w\s-]{0,15}?\(\s{0,2}[nN]\s{0,2}=\s{0,2}(\d{1,5})\s{0,2}\)", tail)
        if m:
            out.append((name, neg, int(m.group(1)), pos, pos + len(neg_text) + m.end()))
            continue
        m = re.match(
            r"\s{1,2}(?:was|were)\s{1,2}(?:applied|given|administered)\s{1,2}to\s{1,2}(\d{1,5})\s{1,2}patients",
            tail,
        )
        if m:
            out.append((name, neg, int(m.group(1)), pos, pos + len(neg_text) + m.end()))
            continue
        head = text[max(0, pos - 60) : pos]
        m = re.search(
            r"(?<![\d.])(\d{1,5})\s{1,2}(?:\(\s{0,2}\d{1,3}(?:\.\d{1,3})?\s{0,2}%\s{0,2}\)\s{1,2})?"
            r"(?:patients?\s{1,2}|cases?\s{1,2}|children\s{1,2})?(?:of\s{1,2}which\s{1,2})?"
            r"(?:were\s{1,2}treated\s{1,2}with|received|receiving|were\s{1,2}given)\s{1,2}(?:\w{1,12}\s{1,2})?$",
            head,
        )
        if m and not neg:
            out.append(
                (name, neg, int(m.group(1)), pos - (len(head) - m.start()), pos + len(neg_text))
            )
    return out


def _arm_rates(text: str, s: Sentence, idx: int) -> list[ArmRate]:
    arms = find_interventions(s.text)
    if not arms:
        return []
    outs = find_outcomes(s.text)
    if not outs:
        return []
    rates = []
    for m in _RATE.finditer(s.text):
        if m.group("e3"):
            events, total, pct_s = int(m.group("e3")), int(m.group("t3")), m.group("pct3")
        elif m.group("e1"):
            events, total, pct_s = int(m.group("e1")), int(m.group("t1")), m.group("pct")
        else:
            events, total, pct_s = int(m.group("e2")), None, m.group("pct")
        # the arm this rate belongs to: "In the GC group (n = 55), the CRR was x% (a/b)" (before),
        # "x% (n=16) of the toci group" (right after)
        after = [a for a in arms if 0 <= a[3] - m.end() <= 25]
        before = [a for a in arms if a[3] < m.start()]
        arm = after[0] if after else (before[-1] if before else None)
        if arm is None:
            continue
        # the outcome: after the rate ("obtained MRD-CR") or before it ("the CRR was")
        o_after = [o for o in outs if o[2] >= m.end()]
        o_before = [o for o in outs if o[2] < m.start() and o[2] > arm[3]]
        o = o_before[-1] if o_before else (o_after[0] if o_after else outs[-1])
        rates.append(
            ArmRate(
                arm[0],
                arm[2],
                arm[1],
                o[0],
                o[1],
                events,
                total,
                float(pct_s),
                s.start + min(m.start(), arm[3]),
                s.start + max(m.end(), arm[3] + len(arm[1])),
                idx,
            )
        )
    return rates


def _denominator(
    doc_text: str, rate: ArmRate, sizes: list[tuple[str, bool, int, int, int]], pct_text: str | None
) -> tuple[int | None, str]:
    first: dict[int, tuple] = {}  # first mention of each stated size
    for sz in sizes:
        if sz[0] == rate.intervention and sz[1] == rate.negated:
            first.setdefault(sz[2], sz)
    cands = list(first.values())[:50]
    for sz in cands:
        if rate.pct is not None and pct_matches(rate.events, sz[2], rate.pct, pct_text):
            where = doc_text[sz[3] : sz[4]].replace("\n", " ")
            return sz[2], f"total {sz[2]} from '{where}' (checked against {rate.pct}%)"
    if rate.pct:
        t = round(100 * rate.events / rate.pct)
        if t > 0 and pct_matches(rate.events, t, rate.pct, pct_text):
            return (
                t,
                f"total {t} derived from {rate.events} and {rate.pct}% (not stated with the count)",
            )
    return None, "arm size not found in the paper"


def count_rows(maker: RowMaker, sentences: list[Sentence], ctx: Context) -> None:
    """Pair treated and untreated arms reported in the same paragraph into one counts row."""
    text = maker.doc.text
    sizes = arm_size_mentions(text)
    all_rates: list[ArmRate] = []
    for i, s in enumerate(sentences):
        if s.section in ("methods", "references"):
            continue
        all_rates.extend(_arm_rates(text, s, i))
    used = set()
    for a_i, a in enumerate(all_rates):
        if a_i in used:
            continue
        partner = None
        # candidates: the rates of the two sentences before and after (all_rates is in order)
        lo_i = max(0, a_i - 12)
        for b_i in range(lo_i, min(len(all_rates), a_i + 12)):
            b = all_rates[b_i]
            if b_i == a_i or b_i in used:
                continue
            if (
                b.intervention == a.intervention
                and b.negated != a.negated
                and b.outcome == a.outcome
                and sentences[b.sentence].paragraph == sentences[a.sentence].paragraph
                and abs(b.sentence - a.sentence) <= 2
            ):
                partner = b_i
                break
        used.add(a_i)
        notes = []
        arms = [a]
        if partner is not None:
            used.add(partner)
            arms.append(all_rates[partner])
        else:
            notes.append("the other arm was not found next to this one")
        treated = next((r for r in arms if not r.negated), None)
        control = next((r for r in arms if r.negated), None)
        fields = {}
        for side, r in (("int", treated), ("ctl", control)):
            if r is None:
                continue
            total = r.total
            if total is None:
                total, note = _denominator(text, r, sizes, f"{r.pct}")
                notes.append(f"{'treated' if side == 'int' else 'untreated'} arm: {note}")
            fields[f"events_{side}"] = r.events
            fields[f"total_{side}"] = total if total is not None else float("nan")
        s_first = sentences[min(r.sentence for r in arms)]
        s_last = sentences[max(r.sentence for r in arms)]
        i_first = min(r.sentence for r in arms)
        name = a.intervention
        maker.add_norm(
            s_first.start,
            s_last.end,
            intervention=name,
            intervention_detail="",
            intervention_as_reported=treated.arm_text if treated else "",
            comparator=f"no {name}" if control else "",
            outcome=a.outcome,
            outcome_as_reported=a.outcome_rep,
            measure="counts",
            analysis="",
            test=ctx.test(i_first, "counts"),
            section=s_first.section,
            extractor="sentence_counts",
            notes="; ".join(notes),
            **fields,
        )
