"""Events per arm from sentences, in the forms papers use ("In the X group (n = 55), the rate was
96.36% (53/55)", "41/455 (9.0%) in the exercise group versus 62/451 (13.7%) in the control
group", "412 (88%) of 468 drug-A-treated participants and 199 (85%) of 234 placebo recipients",
"41 (9%)" with the arm's n stated elsewhere), and the group sizes that denominators come from.

Arms are found by :func:`evsynth.extraction.arms.arm_mentions` (protocol terms or the generic
ways papers name groups); a treated arm is paired with a comparator arm of the same outcome in
the same paragraph."""

from __future__ import annotations

import re
from dataclasses import dataclass

from evsynth.extraction.arms import ArmMention, arm_mentions, subgroup_before
from evsynth.extraction.context import Context, clean_phrase
from evsynth.extraction.labels import find_interventions, find_outcomes
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.segments import Sentence

__all__ = ["count_rows", "ArmRate", "arm_size_mentions", "pct_matches"]

_FRACTION = re.compile(r"(?<![\d/.])(\d{1,5})\s{0,2}/\s{0,2}(\d{1,5})(?![\d/])")
_PCT = r"(?P<pct>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%"
_P = r"\d{1,3}(?:\.\d{1,3})?"
# "96.36% (53/55)", "94.12% (n=16)", "53/55 (96.4%)", "412 (88%) of 468", "41 of 455 (9%)",
# "41 (9%)" (the total from the arm's n)
_RATE = re.compile(
    _PCT
    + r"\s{0,2}\(\s{0,2}(?:(?P<e1>\d{1,5})\s{0,2}/\s{0,2}(?P<t1>\d{1,5})|[nN]\s{0,2}=\s{0,2}(?P<e2>\d{1,5}))\s{0,2}\)"
    r"|(?<![\d/.])(?P<e3>\d{1,5})\s{0,2}/\s{0,2}(?P<t3>\d{1,5})\s{0,2}\(\s{0,2}(?P<pct3>"
    + _P
    + r")\s{0,2}%\s{0,2}\)"
    r"|(?<![\d/.,])(?P<e4>\d{1,5})\s{0,2}\(\s{0,2}(?P<pct4>"
    + _P
    + r")\s{0,2}%\s{0,2}\)\s{1,2}of\s{1,2}(?:the\s{1,2})?(?P<t4>\d{1,5})(?![\d.])"
    r"|(?<![\d/.,])(?P<e5>\d{1,5})\s{1,2}of\s{1,2}(?:the\s{1,2})?(?P<t5>\d{1,5})\s{0,2}\(\s{0,2}(?P<pct5>"
    + _P
    + r")\s{0,2}%\s{0,2}\)"
    r"|(?<![\d/.,])(?P<e6>\d{1,5})\s{0,2}\(\s{0,2}(?P<pct6>" + _P + r")\s{0,2}%\s{0,2}\)"
)


@dataclass(frozen=True)
class ArmRate:
    """Events (and total) of one arm: ``intervention`` is the arm's protocol label (for an
    untreated arm "no X" -> "X" with ``negated``), ``role`` intervention or comparator."""

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
    role: str = ""
    label: str = ""
    arm_n: int | None = None
    subgroup: str = ""


def pct_matches(events: int, total: int, pct: float, pct_text: str | None = None) -> bool:
    """True when events/total rounds to the percentage as written (its decimals)."""
    if total <= 0 or events > total:
        return False
    decimals = (len(pct_text.split(".")[1]) if "." in pct_text else 0) if pct_text else 1
    tol = 0.5 * 10 ** (-decimals) + 1e-9
    return abs(100 * events / total - pct) <= max(tol, 0.051)


def arm_size_mentions(text: str) -> list[tuple[str, bool, int, int, int]]:
    """Group sizes the paper states anywhere: (intervention, negated, n, start, end).

    "Drug A (N = 17)", "non-A group (n = 46)", "17 patients received drug A",
    "Drug A was applied to 17 patients", "51 (54.8%) received drug A".
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


def _rate_groups(m: re.Match) -> tuple[int, int | None, str]:
    for e, t, p in (("e3", "t3", "pct3"), ("e4", "t4", "pct4"), ("e5", "t5", "pct5")):
        if m.group(e):
            return int(m.group(e)), int(m.group(t)), m.group(p)
    if m.group("e1"):
        return int(m.group("e1")), int(m.group("t1")), m.group("pct")
    if m.group("e2"):
        return int(m.group("e2")), None, m.group("pct")
    return int(m.group("e6")), None, m.group("pct6")


def _arm_of(
    arms: tuple[ArmMention, ...], text: str, m: re.Match, prev_end: int
) -> ArmMention | None:
    """The arm a count belongs to: named right after it ("41 (9%) of 455 participants in the
    exercise group") or, failing that, the nearest one before it since the previous count
    ("In the X group (n = 55), the rate was 96.36% (53/55)")."""
    nxt = _RATE.search(text, m.end())
    limit = min(m.end() + 45, nxt.start() if nxt else len(text))
    after = [a for a in arms if m.end() <= a.start < limit]
    if after and re.fullmatch(
        r"[\s,]*(?:(?:of|in|among|for|with|were|was|had|[A-Za-z]{0,12}\s?(?:the|all))\s+|participants\s+|patients\s+|\d+\s+)*",
        text[m.end() : after[0].start],
    ):
        return after[0]
    before = [a for a in arms if a.end <= m.start() and a.start >= prev_end - 80]
    return before[-1] if before else None


def _arm_rates(text: str, s: Sentence, idx: int, sizes: dict[str, int]) -> list[ArmRate]:
    arms = arm_mentions(s.text)
    if not arms:
        return []
    outs = find_outcomes(s.text)
    rates = []
    prev_end = 0
    for m in _RATE.finditer(s.text):
        events, total, pct_s = _rate_groups(m)
        arm = _arm_of(arms, s.text, m, prev_end)
        prev_end = m.end()
        if arm is None:
            continue
        if total is None and m.group("e6"):
            total = arm.n or sizes.get(_arm_key(arm))
            if total is None or not pct_matches(events, total, float(pct_s), pct_s):
                continue  # "41 (9)" with no arm size: could be anything but a count
        # the outcome: after the rate ("obtained MRD-CR") or before it ("the CRR was")
        o_after = [o for o in outs if o[2] >= m.end()]
        o_before = [o for o in outs if o[2] < m.start() and o[2] > arm.start]
        if outs:
            o = o_before[-1] if o_before else (o_after[0] if o_after else outs[-1])
        else:  # no protocol outcome: the row stays, unlabelled, with the paper's words
            o = ("", _outcome_words(s.text), -1)
        negated = arm.role == "comparator"
        name = arm.label[3:] if arm.label.startswith("no ") else arm.label
        rates.append(
            ArmRate(
                name,
                negated,
                arm.as_written,
                o[0],
                o[1],
                events,
                total,
                float(pct_s),
                s.start + min(m.start(), arm.start),
                s.start + max(m.end(), arm.end),
                idx,
                role=arm.role,
                label=arm.label,
                arm_n=arm.n,
                subgroup=subgroup_before(s.text, m.start()),
            )
        )
    return rates


_TAIL = re.compile(
    r"(?i)(?:\s+(?:occurred|happened|was|were|in|among|for|of|the|at|rates?|numbers?|"
    r"reported|recorded|noted|seen|found|counted|observed|developed|experienced|by))+\s*$"
)


def _outcome_words(text: str) -> str:
    """Without a protocol: the words a sentence uses for what it counts, i.e. the words before its
    first count ("Falls occurred in 41 (9%) ..." -> "Falls", "Fallers: 41/455" -> "Fallers"), or
    after its last ("... and 199 (85%) of 234 placebo recipients completed follow-up" ->
    "completed follow-up")."""
    first = _RATE.search(text)
    if first is None:
        return ""
    head = re.split(r"[.;]\s|\n", text[: first.start()])[-1]
    parts = [x for x in head.split(": ") if x.strip(" :;,")]
    head = parts[-1] if parts else ""
    head = _TAIL.sub("", clean_phrase(head.strip(" :;,"), 60)).strip(" :;,")
    if head.lower() in ("there", "these", "this", "it", "we"):
        head = ""
    if (
        head
        and not arm_mentions(head)
        and not re.match(r"(?i)(?:at|after|by|during|over|within|in)\s", head)
    ):
        return head
    tail = text[max(m.end() for m in _RATE.finditer(text)) :]
    arms = arm_mentions(tail)
    if arms:
        tail = tail[arms[-1].end :]
    tail = re.split(r"[(;.]", tail)[0]
    tail = re.sub(
        r"(?i)^\s*(?:had|have|has|were|was|with|experienced|reported|developed)\s+", "", tail
    )
    return re.sub(r"\s+", " ", tail).strip(" ,:")[:60]


def _arm_key(arm: ArmMention) -> str:
    return (arm.label or arm.as_written).lower()


def _stated_sizes(sentences: list[Sentence]) -> dict[str, int]:
    """Group sizes written next to an arm anywhere in the paper ("Exercise group (n = 455)"),
    by arm; an arm stated with two different sizes has none (ambiguous)."""
    seen: dict[str, set[int]] = {}
    for s in sentences:
        for a in arm_mentions(s.text):
            if a.n is not None:
                seen.setdefault(_arm_key(a), set()).add(a.n)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


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


def _pairable(a: ArmRate, b: ArmRate) -> bool:
    """A treated arm and a comparator arm of the same intervention: "X" with "no X", "X" with a
    protocol comparator or a generic control arm, or two arms named without protocol terms."""
    if a.role == b.role or a.arm_text.lower() == b.arm_text.lower():
        return False
    treated, control = (a, b) if a.role == "intervention" else (b, a)
    if control.label.startswith("no "):
        return control.intervention == treated.intervention
    return True


def count_rows(maker: RowMaker, sentences: list[Sentence], ctx: Context) -> None:
    """Pair treated and untreated arms reported in the same paragraph into one counts row."""
    text = maker.doc.text
    sizes = arm_size_mentions(text)
    stated = _stated_sizes(sentences)
    all_rates: list[ArmRate] = []
    for i, s in enumerate(sentences):
        if s.section in ("methods", "references"):
            continue
        all_rates.extend(_arm_rates(text, s, i, stated))
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
                _pairable(a, b)
                and b.outcome == a.outcome
                and b.subgroup == a.subgroup
                and (b.outcome or b.sentence == a.sentence)
                and sentences[b.sentence].paragraph == sentences[a.sentence].paragraph
                and abs(b.sentence - a.sentence) <= 2
            ):
                partner = b_i
                break
        used.add(a_i)
        if partner is None and not a.outcome:
            continue  # one arm's count of no named outcome: who received what, not a result
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
        name = treated.intervention if treated else a.intervention
        if control is None:
            comparator = ""
        elif control.label.startswith("no ") or not control.label:
            comparator = f"no {name}" if name else ""
        else:
            comparator = control.label
        maker.add_norm(
            s_first.start,
            s_last.end,
            intervention=name,
            intervention_detail="",
            intervention_as_reported=treated.arm_text if treated else "",
            comparator=comparator,
            comparator_as_reported=control.arm_text if control else "",
            subgroup=a.subgroup,
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
