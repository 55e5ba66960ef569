"""Single-arm rates: CR proportions ("86 (92.5%) achieved CR at day 30") and landmark survival
rates with their standard errors ("Twelve-month PFS and OS rates were 58.8% (±11.9%) and
64.7% (±11.6%)")."""

from __future__ import annotations

import re

from evsynth._shared.numbers import NUMBER_WORD, number_from_words
from evsynth.extraction.context import Context
from evsynth.extraction.counts import pct_matches
from evsynth.extraction.labels import find_interventions, find_outcomes
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.segments import Sentence

__all__ = ["rate_rows", "single_arm_intervention"]

_NUMWORD = rf"(?:\d{{1,3}}|{NUMBER_WORD})"
_TIME_ONE = re.compile(rf"(?i)\b({_NUMWORD})[\s-]{{1,2}}(month|year|day|week)s?\b")
_TIME_LIST = re.compile(
    r"(?i)\bat\s{1,2}(\d{1,3}(?:\s{0,2},\s{0,2}\d{1,3}){0,6}(?:\s{0,2},?\s{0,2}and\s{1,2}\d{1,3})?)\s{1,2}(month|year|day|week)s?\b"
)
_DAY = re.compile(r"(?i)\b(?:at|on|by)\s{1,2}(day|D)\s{0,2}(\d{1,3})\b")
_SURV_VALUE = re.compile(
    r"(?<![\d.±])(?P<v>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%"
    r"(?:\s{0,2}(?:\(\s{0,2}±\s{0,2}(?P<se1>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%?\s{0,2}\)|±\s{0,2}(?P<se2>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%?))?"
)
_SURVIVAL = ("OS", "PFS", "EFS", "LFS", "DFS", "RFS")
_RESPONSE = ("CR", "MRD-negative CR", "MRD-positive CR", "ORR")
_ACHIEVE = re.compile(
    r"\s{0,3}(?:\)\s{0,2})?(?:of\s{1,2}(?:the\s{1,2})?)?(?:patients|cases|children|subjects|pts)?\s{0,2}"
    r"(?:had\s{1,2}|have\s{1,2})?(?:achieved|attained|obtained|reached|experienced|were\s{1,2}in|had|showed)\s{1,2}(?:an?\s{1,2}|the\s{1,2})?",
    re.IGNORECASE,
)
# "86 (92.5%)", "88.9% (N=40)", "93 (92.08%) patients", "92.08% of patients"
_PROP = re.compile(
    r"(?<![\d.%/])(?P<e>\d{1,5})\s{0,2}\(\s{0,2}(?P<p>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%\s{0,2}\)"
    r"|(?<![\d.])(?P<p2>\d{1,3}(?:\.\d{1,3})?)\s{0,2}%\s{0,2}(?:\(\s{0,2}(?:[nN]\s{0,2}=\s{0,2}(?P<e2>\d{1,5})|(?P<e3>\d{1,5})\s{0,2}/\s{0,2}(?P<t3>\d{1,5}))\s{0,2}\))?"
)
_COHORT = re.compile(
    r"(?<![\d.])(\d{1,5})\s{1,2}(?:\w{1,20}\s{1,2}){0,2}(?:patients|cases|children|subjects|participants)"
)


def _pct(text: str) -> float:
    """A percentage as written -> proportion, without binary rounding noise ("11.9" -> 0.119)."""
    return float(f"{text}e-2")


def _timepoints(text: str) -> list[str]:
    m = _TIME_LIST.search(text)
    if m:
        nums = re.findall(r"\d{1,3}", m.group(1))
        unit = m.group(2).lower()
        return [f"{n} {unit}{'' if n == '1' else 's'}" for n in nums]
    out = []
    for m in _TIME_ONE.finditer(text):
        n = m.group(1).lower()
        n = str(number_from_words(n) or n)
        unit = m.group(2).lower()
        out.append(f"{n} {unit}{'' if n == '1' else 's'}")
    return list(dict.fromkeys(out))


def single_arm_intervention(doc_text: str, title: str | None) -> str:
    """The intervention every patient received, when the paper has no untreated arm.

    Rule: the title (or, when the reader found none, the first 3,000 characters) names exactly one
    intervention, and the paper never names an untreated arm of any intervention ("non-X",
    "without X", "did not receive X"). Otherwise ''.
    """
    head = title or doc_text[:3000]
    named = {f[0] for f in find_interventions(head) if not f[2]}
    if len(named) != 1:
        return ""
    if any(f[2] for f in find_interventions(doc_text)):
        return ""
    return named.pop()


def rate_rows(maker: RowMaker, sentences: list[Sentence], ctx: Context, single_arm: str) -> None:
    """Add proportion rows (single-arm response) and survival_rate rows (landmark survival)."""
    note_arm = (
        f"single-arm cohort: every patient received {single_arm} (no untreated arm in the paper)"
        if single_arm
        else ""
    )
    for i, s in enumerate(sentences):
        if s.section in ("methods", "references", "introduction", "discussion"):
            continue
        outs = find_outcomes(s.text)
        if not outs:
            continue
        arms_here = [a for a in find_interventions(s.text)]
        if any(a[2] for a in arms_here):
            continue  # a two-arm comparison: counts.py
        # --- landmark survival rates
        surv = [o for o in outs if o[0] in _SURVIVAL]
        if surv and re.search(r"(?i)\brates?\b|survival\s{1,2}(?:was|were)", s.text):
            tps = _timepoints(s.text)
            vals = list(_SURV_VALUE.finditer(s.text))
            vals = [
                v
                for v in vals
                if not re.match(r"\s{0,2}(?:CI|confidence)", s.text[v.end() : v.end() + 12])
            ]
            outs_d = list(dict.fromkeys((o[0], o[1]) for o in surv))
            pairs = []
            if vals and tps:
                if len(outs_d) == 1 and len(vals) == len(tps):
                    pairs = [(outs_d[0], tps[k], vals[k]) for k in range(len(vals))]
                elif len(tps) == 1 and len(vals) == len(outs_d):
                    pairs = [(outs_d[k], tps[0], vals[k]) for k in range(len(vals))]
                elif len(vals) == len(outs_d) * len(tps):
                    pairs = [
                        (outs_d[k // len(tps)], tps[k % len(tps)], vals[k])
                        for k in range(len(vals))
                    ]
            for (oname, orep), tp, v in pairs:
                se = v.group("se1") or v.group("se2")
                name = arms_here[0][0] if arms_here else single_arm
                maker.add_norm(
                    s.start,
                    s.end,
                    intervention=name,
                    intervention_as_reported=arms_here[0][1] if arms_here else "",
                    outcome=oname,
                    outcome_as_reported=orep,
                    measure="survival_rate",
                    estimate=_pct(v.group("v")),
                    rate_se=_pct(se) if se else float("nan"),
                    timepoint=tp,
                    section=s.section,
                    extractor="sentence_survival_rate",
                    notes="; ".join(
                        n
                        for n in (
                            note_arm if not arms_here else "",
                            "values mapped to outcomes/timepoints in order"
                            if len(pairs) > 1
                            else "",
                        )
                        if n
                    ),
                )
            if pairs:
                continue
        # --- single-arm response proportions
        resp = [o for o in outs if o[0] in _RESPONSE]
        if not resp:
            continue
        for m in _PROP.finditer(s.text):
            ach = _ACHIEVE.match(s.text, m.end())
            if not ach:
                continue
            o_after = [o for o in resp if 0 <= o[2] - ach.end() <= 5]
            if not o_after:
                continue
            oname, orep = o_after[0][0], o_after[0][1]
            pct_s = m.group("p") or m.group("p2")
            pct = float(pct_s)
            events = m.group("e") or m.group("e2") or m.group("e3")
            total = int(m.group("t3")) if m.group("t3") else None
            notes = []
            if events is not None and total is None:
                events = int(events)
                cands = []
                for txt in [s.text] + [p.text for p in ctx.previous(i)]:
                    cands += [int(c.group(1)) for c in _COHORT.finditer(txt)]
                ok = [c for c in cands if c != events and pct_matches(events, c, pct, pct_s)]
                if ok:
                    total = ok[0]
                    notes.append(
                        f"total {total} from the patients counted in this or the preceding sentence"
                    )
                else:
                    notes.append("denominator not stated next to the count")
            elif events is None:
                notes.append("only a percentage is reported")
            tp = _DAY.search(s.text)
            timepoint = f"day {tp.group(2)}" if tp else (_timepoints(s.text)[:1] or [""])[0]
            name = arms_here[0][0] if arms_here else single_arm
            if note_arm and not arms_here:
                notes.append(note_arm)
            est = int(events) / total if (events is not None and total) else _pct(pct_s)
            maker.add_norm(
                s.start,
                s.end,
                intervention=name,
                intervention_as_reported=arms_here[0][1] if arms_here else "",
                outcome=oname,
                outcome_as_reported=orep,
                measure="proportion",
                estimate=est,
                events_int=int(events) if events is not None else float("nan"),
                total_int=total if total else float("nan"),
                timepoint=timepoint,
                section=s.section,
                extractor="sentence_proportion",
                notes="; ".join(notes),
            )
