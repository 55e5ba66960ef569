"""Ratio tables the reader could not cut into cells: rows of text under a ratio header.

A PDF table often arrives as lines of text ("Total 12 9986/40134 1.15（1.04-1.29）0.000 0.008
..."). When a header line names a ratio with its interval ("OR(95%CI) Ph P", "HR (95% CI) P"),
each following line holding "estimate (lower-upper)" groups is read as a table row: one result
per group, the row label is the text before the first number, the p-value is taken from the
position of a stand-alone "P" column after the ratio in the header.
"""

from __future__ import annotations

import re

from evsynth.extractors.labels import analysis_of, find_interventions, find_outcomes
from evsynth.extractors.patterns import (
    CI_LABEL,
    NUMBER,
    RANGE_SEP,
    RATIO_LABEL_RE,
    measure_of_label,
)
from evsynth.extractors.rows import RowMaker

__all__ = ["text_table_rows", "table_is_garbled"]

_OPEN = r"[\(\[（]"
_CLOSE = r"[\)\]）]"
_GROUP = re.compile(
    rf"(?P<est>{NUMBER})\s{{0,2}}{_OPEN}\s{{0,2}}(?P<lo>{NUMBER}){RANGE_SEP}(?P<hi>{NUMBER})\s{{0,2}}{_CLOSE}"
)
_HEADER = re.compile(
    rf"(?P<label>(?<![\w-])(?:HR|OR|RR|IRR|aHR|aOR|(?i:hazard\s{{1,2}}ratio|odds\s{{1,2}}ratio|risk\s{{1,2}}ratio|relative\s{{1,2}}risk)))"
    rf"\s{{0,2}}{_OPEN}?\s{{0,2}}(?:{CI_LABEL}|CI){_CLOSE}?"
)
_PROSE_WORD = re.compile(r"(?<![\w-])[a-z]{4,}(?![\w-])")
_CAPTION = re.compile(r"^\s{0,3}(?:Table|TABLE)\s{0,2}(\d{1,2})")
_NUMTOKEN = re.compile(rf"^(?:[<>≤≥=]?{NUMBER}[*†‡]?|{NUMBER}\s{{0,1}}/\s{{0,1}}{NUMBER})$")


def table_is_garbled(table) -> bool:
    """True when the reader's cells cannot be trusted for ratios: a row label or a cell holds
    more than one "estimate (lower-upper)" group (several columns ran together)."""
    for c in table.cells:
        if _GROUP.search(c.row_label) or len(_GROUP.findall(c.text)) > 1:
            return True
    return False


def _p_offsets(header: str, pos: int) -> int | None:
    """How many numbers after a ratio group the "P" column sits (1 for "OR(95%CI) P",
    2 for "OR(95%CI) Ph P"), reading the header tokens after the ratio label."""
    tokens = header[pos:].split()
    k = 0
    for t in tokens[:4]:
        if _HEADER.match(t) or RATIO_LABEL_RE.match(t):
            return None
        k += 1
        if re.fullmatch(r"(?i)p(?:[- ]?value)?\*?", t):
            return k
    return None


def text_table_rows(maker: RowMaker, skip: list[tuple[int, int]]) -> None:
    """Add rows read from ratio tables laid out as text lines (see module docstring)."""
    doc = maker.doc
    text = doc.text
    header = None  # (line text, start, measure, label, analysis)
    caption_analysis = ""
    table_label = ""
    since = 0
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        if nl < 0:
            nl = n
        line = text[pos:nl]
        a, _b = pos, nl
        pos = nl + 1
        if any(s <= a < e for s, e in skip):
            continue
        cap = _CAPTION.match(line)
        if cap:
            table_label = f"Table {cap.group(1)}"
            header = None
            caption_analysis = analysis_of(line)
            since = 0
            continue
        h = _HEADER.search(line)
        groups = list(_GROUP.finditer(line))
        prose = len(_PROSE_WORD.findall(line))
        if h and not groups and prose <= 4:
            # a header row, not a sentence that mentions "the OR (95% CI)"
            m = RATIO_LABEL_RE.search(h.group("label"))
            measure = measure_of_label(m)[0] if m else "OR"
            header = (line, a, measure, h.group("label"), caption_analysis)
            since = 0
            continue
        if header is None:
            continue
        since += 1
        if since > 60 or (not groups and (len(line) > 160 or prose > 6)):
            # a line of prose ends the table
            header = None
            continue
        if not groups or RATIO_LABEL_RE.search(line):
            continue
        first_num = re.search(r"\d", line)
        label = line[: first_num.start()].strip() if first_num else ""
        label = re.sub(r"[\s,;:]+$", "", label)
        # positions of ratio headers in the header line, to find each group's p column
        hline = header[0]
        hpos = [m.end() for m in _HEADER.finditer(hline)]
        for k, g in enumerate(groups):
            est, lo, hi = float(g.group("est")), float(g.group("lo")), float(g.group("hi"))
            if not (0 < est < 1000 and 0 <= lo <= hi):
                continue
            p_value, p_op = float("nan"), ""
            end = g.end()
            if k < len(hpos):
                off = _p_offsets(hline, hpos[k])
                if off:
                    after = line[g.end() :].split()
                    if len(after) >= off and _NUMTOKEN.match(after[off - 1]):
                        tok = after[off - 1]
                        mm = re.match(rf"(?P<op>[<>≤≥=])?(?P<v>{NUMBER})", tok)
                        if mm and float(mm.group("v")) <= 1:
                            p_value = float(mm.group("v"))
                            p_op = mm.group("op") or "="
                            idx = line.find(tok, g.end())
                            end = idx + len(tok) if idx >= 0 else end
            notes = [f"read from a text table under the header '{hline.strip()[:80]}'"]
            if len(groups) > 1:
                notes.append(f"ratio column {k + 1} of {len(groups)}")
            inter = find_interventions(label)
            outs = find_outcomes(label)
            maker.add_norm(
                a,
                a + end,
                intervention=inter[0][0] if inter else "",
                intervention_as_reported=label,
                outcome=outs[0][0] if outs else "",
                outcome_as_reported=outs[0][1] if outs else "",
                measure=header[2],
                analysis=header[4] or "",
                estimate=est,
                ci_lower=lo,
                ci_upper=hi,
                ci_level=0.95,
                p_value=p_value,
                p_operator=p_op,
                section="table",
                table=table_label,
                extractor="text_table_ratio",
                notes="; ".join(
                    notes
                    + [
                        "CI level from the header"
                        if "95" in hline
                        else "CI level not stated; 95% assumed"
                    ]
                ),
            )
