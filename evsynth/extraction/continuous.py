"""Continuous outcomes: arm means with their SDs, and reported mean differences.

Three rules, each producing rows with the source span of every number:

- **Tables** whose columns are arms (headers "Exercise (n=40) | Usual care (n=38)", read as
  count tables are, :func:`evsynth.extraction.count_tables.table_arms`) and whose cells are
  "mean (SD)" or "mean ± SD": one ``means`` row per body row. A "m (s)" cell is read as a mean
  and SD only when the row label, the column header or the caption says so ("mean", "SD"); a
  "m ± s" cell always is. The arms' sizes come from the headers.
- **Sentences** naming two arms, each after its "mean 5.2 (SD 1.1)" or "5.2 ± 1.1":
  "mean 5.2 (SD 1.1) in the exercise group versus 6.0 (SD 1.3) in the control group". The arms'
  sizes come from the sentence ("group (n = 52)") or from where the paper states them.
- **Reported differences** with a CI: "MD -0.8, 95% CI -1.2 to -0.4", "WMD", "SMD", "mean
  difference", "standardised mean difference", "Hedges' g": rows of measure ``MD`` or ``SMD``.

Minus signs are read in every form the reader normalizes (U+2212, en dash) to "-".
"""

from __future__ import annotations

import math
import re

from evsynth.extraction.arms import arm_mentions
from evsynth.extraction.count_tables import _SKIP_TABLE, _p, table_arms
from evsynth.extraction.labels import find_outcomes
from evsynth.extraction.patterns import CI_LABEL, NUMBER, find_p_values
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.segments import Sentence
from evsynth.reading.document import Table

__all__ = ["continuous_rows", "mean_table_rows", "p_only_rows_superseded"]

_SIGNED = rf"-?\s{{0,1}}{NUMBER}"
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00b7": "."})
#: a table cell "5.2 (1.1)", "5.2 (SD 1.1)", "5.2 ± 1.1"
_MEAN_CELL = re.compile(
    rf"^\s{{0,3}}(?P<m>{_SIGNED})\s{{0,3}}(?:\(\s{{0,2}}(?:SD\s{{0,2}}[=:]?\s{{0,2}})?(?P<s>{NUMBER})"
    rf"\s{{0,2}}\)|(?P<pm>±|\+/-)\s{{0,3}}(?P<s2>{NUMBER}))\s{{0,3}}[*†‡]?\s{{0,3}}$"
)
_CHANGE = re.compile(r"(?i)(?:change|difference)s?\s{1,3}(?:from|since|over)\s{1,3}baseline")
_SAYS_MEAN = re.compile(r"(?i)\bmean\b|\bSD\b|±|standard\s+deviation")
_SAYS_OTHER = re.compile(r"(?i)median|IQR|interquartile|range|n\s*\(%\)|%|SE\b|SEM\b|95\s*%")
#: one arm's value in a sentence: "mean 5.2 (SD 1.1)", "5.2 ± 1.1", "5.2 (SD = 1.1)"
_ARM_VALUE = re.compile(
    rf"(?:(?i:mean)\s{{1,3}}(?:(?:of|was|=)\s{{1,3}})?)?(?P<m>{_SIGNED})\s{{0,2}}(?:\w{{1,10}}\s{{0,2}})?"
    rf"(?:\(\s{{0,2}}SD\s{{0,2}}[=:]?\s{{0,2}}(?P<s>{NUMBER})\s{{0,2}}\)|(?:±|\+/-)\s{{0,2}}(?P<s2>{NUMBER}))"
)
#: "m (s)" in a sentence that says its values are means and SDs ("mean (SD)", "mean [SD]")
_PLAIN_VALUE = re.compile(
    rf"(?P<m>{_SIGNED})\s{{0,2}}[(\[]\s{{0,2}}(?P<s>{NUMBER})\s{{0,2}}[)\]](?P<s2>)"
)
_SAYS_MEAN_SD = re.compile(
    r"(?i)\bmean\s{0,2}(?:[(\[]\s{0,2}SD\s{0,2}[)\]]|±\s{0,2}SD)|\bmeans?\s{1,3}and\s{1,3}"
    r"(?:SDs?|standard\s{1,3}deviations?)"
)
#: a reported difference: label, estimate, CI
_DIFF = re.compile(
    r"(?<![\w-])(?P<label>W?MD|SMD|(?i:(?:weighted\s{1,3})?mean\s{1,3}difference"
    r"|standardi[sz]ed\s{1,3}mean\s{1,3}difference)|Hedges['’]?\s{0,1}g)"
    r"(?![\w])[^\d;]{0,40}?(?P<est>" + _SIGNED + r")(?:\s{1,2}[a-zA-Z/]{1,12}(?=[\s,;(\[]))?"
    r"\s{0,3}[,;:]?\s{0,3}[(\[]?\s{0,2}"
    rf"(?:{CI_LABEL}\s{{0,3}}[:=,]?\s{{0,3}})?[(\[]?\s{{0,2}}(?P<lo>{_SIGNED})"
    rf"(?:\s{{1,3}}to\s{{1,3}}|\s{{0,2}},\s{{0,2}}|\s{{0,2}}-\s{{0,2}})(?P<hi>{_SIGNED})"
)


def _num(text: str) -> float:
    return float(text.replace(" ", ""))


def _mean_cell(text: str) -> tuple[float, float, bool] | None:
    """(mean, SD, written with ±) of a cell, or None."""
    m = _MEAN_CELL.match(text.translate(_MINUS))
    if not m:
        return None
    sd = m.group("s") or m.group("s2")
    return _num(m.group("m")), float(sd), m.group("pm") is not None


def mean_table_rows(maker: RowMaker) -> None:
    """A ``means`` row for each body row of mean (SD) cells of every arms-as-columns table."""
    for table in maker.doc.tables:
        if not table.cells:
            continue
        label, caption = _caption_of(maker, table)
        # "change from baseline" is an outcome, not a table of baseline characteristics
        if not _SKIP_TABLE.search(_CHANGE.sub("", caption)):
            _mean_table(maker, table, label, caption)


_TABLE_LABEL = re.compile(r"(?i)\b(?P<label>table\s{0,2}\d{1,2})\b")


def _caption_of(maker: RowMaker, table: Table) -> tuple[str, str]:
    """(label, caption) of a table; when the reader kept the caption apart from the cells (a
    caption wrapped over lines), the text from the last "Table N" within 300 characters before
    the first cell is taken as the caption."""
    label, caption = table.label, table.caption or ""
    start = min(c.start for c in table.cells)
    before = maker.doc.original[max(0, start - 300) : start]
    found = list(_TABLE_LABEL.finditer(before))
    if found and not label:
        label = " ".join(found[-1].group("label").split()).capitalize()
        caption = " ".join(before[found[-1].end() :].split()) + " " + caption
    return label, caption


def _mean_table(maker: RowMaker, table: Table, label_of_table: str, caption: str) -> None:
    cells = list(table.cells)
    found = table_arms(cells)
    if found is None:
        return
    arms = found.arms
    p_cols = [c.col for c in cells if re.match(r"(?i)^\s*p(?:[\s-]?values?)?\s*$", c.col_label)]
    by_row: dict[int, dict[int, object]] = {}
    for c in cells:
        by_row.setdefault(c.row, {})[c.col] = c
    caption_says = bool(_SAYS_MEAN.search(caption))
    for _r, row in sorted(by_row.items()):
        first = next(iter(row.values()))
        label = first.row_label.strip()
        if not label or _SAYS_OTHER.search(label):
            continue
        j, k = found.treated[0], found.controls[0]
        ci, cc = row.get(j), row.get(k)
        if ci is None or cc is None:
            continue
        a, b = _mean_cell(ci.text), _mean_cell(cc.text)
        if a is None or b is None:
            continue
        says = a[2] or b[2] or caption_says or _SAYS_MEAN.search(label + " " + first.row_group)
        says = says or _SAYS_MEAN.search(ci.col_label + " " + cc.col_label)
        n_i, n_c = arms[j][1], arms[k][1]
        if not says or n_i is None or n_c is None:
            continue
        outs = find_outcomes(label) or (find_outcomes(first.row_group) if first.row_group else ())
        used = [ci, cc]
        p_value, p_op = math.nan, ""
        if p_cols and len(arms) == 2 and row.get(p_cols[0]) is not None:
            p_value, p_op = _p(row.get(p_cols[0]))
            if p_op:
                used.append(row[p_cols[0]])
        maker.add_orig(
            min(c.start for c in used),
            max(c.end for c in used),
            intervention=found.roles[j][1],
            intervention_as_reported=arms[j][0],
            comparator=found.roles[k][1],
            comparator_as_reported=arms[k][0],
            outcome=outs[0][0] if outs else "",
            outcome_as_reported=label,
            measure="means",
            mean_int=a[0],
            sd_int=a[1],
            total_int=n_i,
            mean_ctl=b[0],
            sd_ctl=b[1],
            total_ctl=n_c,
            p_value=p_value,
            p_operator=p_op,
            section="table",
            table=label_of_table,
            extractor="table_arm_means",
            notes="; ".join(
                [
                    *found.notes,
                    f"total {n_i} from the column header '{ci.col_label.strip()}'",
                    f"total {n_c} from the column header '{cc.col_label.strip()}'",
                ]
            ),
        )


_N_AFTER = re.compile(r"[^.;()]{0,20}?\(\s{0,2}[nN]\s{0,2}=\s{0,2}\d{1,6}\s{0,2}\)")


def _size_phrase(maker: RowMaker, start: int, end: int) -> str:
    """The original text of an arm mention with its "(n = 52)" (normalized offsets)."""
    m = _N_AFTER.match(maker.doc.text, end)
    a, b = maker.doc.to_original(start, m.end() if m else end)
    return maker.doc.original[a:b]


def _sizes(maker: RowMaker) -> dict[tuple[str, str], tuple[int, str]]:
    """Arm sizes the paper states ("exercise group (n = 52)"): (role, label or words) ->
    (n, the phrase as written)."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for arm in arm_mentions(maker.doc.text):
        if arm.n is not None:
            key = (arm.role, arm.label or arm.as_written.lower())
            if key not in out:
                out[key] = (arm.n, _size_phrase(maker, arm.start, arm.end))
    return out


def continuous_rows(maker: RowMaker, sentences: list[Sentence]) -> None:
    """``means`` rows from sentences with two arms' means and SDs, and ``MD``/``SMD`` rows from
    reported differences with their CI."""
    sizes: dict[tuple[str, str], tuple[int, str]] | None = None
    for s in sentences:
        st = s.text
        for m in _DIFF.finditer(st):
            _difference_row(maker, s, m)
        values = list(_ARM_VALUE.finditer(st))
        said = _SAYS_MEAN_SD.search(st)
        if len(values) < 2 and said:
            values = list(_PLAIN_VALUE.finditer(st, said.end()))
        if len(values) < 2:
            continue
        arms = [a for a in arm_mentions(st)]
        picked = []
        for val in values:
            after = [a for a in arms if 0 <= a.start - val.end() <= 25]
            if after:
                picked.append((val, after[0]))
        treated = [p for p in picked if p[1].role == "intervention"]
        controls = [p for p in picked if p[1].role == "comparator"]
        if not treated or not controls:
            continue
        (vi, ai), (vc, ac) = treated[0], controls[0]
        if sizes is None:
            sizes = _sizes(maker)
        ns = []
        notes = []
        for arm, total in ((ai, "total_int"), (ac, "total_ctl")):
            if arm.n is not None:
                ns.append(arm.n)
                phrase = _size_phrase(maker, s.start + arm.start, s.start + arm.end)
                notes.append(f"{total} {arm.n} from '{phrase}'")
                continue
            n, phrase = sizes.get((arm.role, arm.label or arm.as_written.lower()), (None, ""))
            ns.append(n)
            if n is not None:
                notes.append(f"{total} {n} stated elsewhere in the paper: '{phrase}'")
        outs = find_outcomes(st)
        lo = min(vi.start(), vc.start(), ai.start, ac.start)
        hi = max(vi.end(), vc.end(), ai.end, ac.end)
        if None in ns:
            notes.append("arm size not found: the row cannot be pooled until it is added")
        p_value, p_op, hi = _p_after(st, hi)
        maker.add_norm(
            s.start + lo,
            s.start + hi,
            intervention=ai.label if ai.role == "intervention" else "",
            intervention_as_reported=ai.as_written,
            comparator=ac.label,
            comparator_as_reported=ac.as_written,
            outcome=outs[0][0] if outs else "",
            outcome_as_reported=outs[0][1] if outs else "",
            measure="means",
            mean_int=_num(vi.group("m")),
            sd_int=float(vi.group("s") or vi.group("s2")),
            total_int=ns[0],
            mean_ctl=_num(vc.group("m")),
            sd_ctl=float(vc.group("s") or vc.group("s2")),
            total_ctl=ns[1],
            p_value=p_value,
            p_operator=p_op,
            section=s.section,
            extractor="sentence_arm_means",
            notes="; ".join(notes),
        )


def _p_after(text: str, end: int) -> tuple[float, str, int]:
    """(p, operator, new end) of a p-value written within 30 characters after ``end``."""
    for p in find_p_values(text, end, min(len(text), end + 30)):
        return p.value, p.operator, p.end
    return math.nan, "", end


def p_only_rows_superseded(maker: RowMaker) -> None:
    """Remove p-value-only rows whose quote holds a means or MD/SMD row of the same sentence
    (that row carries the p-value, and the means or the CI besides)."""
    spans = [
        (r["source_start"], r["source_end"], r["p_value"])
        for r in maker.rows
        if r["measure"] in ("means", "MD", "SMD") and r["extractor"] != "table_arm_means"
    ]
    keep = []
    for r in maker.rows:
        if r["measure"] == "p_only" and any(
            r["source_start"] <= a and b <= r["source_end"] and r["p_value"] == p
            for a, b, p in spans
        ):
            continue
        keep.append(r)
    maker.rows[:] = keep


def _difference_row(maker: RowMaker, s: Sentence, m: re.Match[str]) -> None:
    label = m.group("label")
    measure = "SMD" if re.match(r"(?i)s|hedges", label) else "MD"
    est, lo, hi = _num(m.group("est")), _num(m.group("lo")), _num(m.group("hi"))
    if not lo <= est <= hi:
        return
    st = s.text
    level = float(m.group("level")) / 100 if m.group("level") else 0.95
    p_value, p_op, end = _p_after(st, m.end())
    arms = [a for a in arm_mentions(st)]
    ai = next((a for a in arms if a.role == "intervention" and a.label), None)
    ac = next((a for a in arms if a.role == "comparator"), None)
    outs = find_outcomes(st)
    maker.add_norm(
        s.start + m.start(),
        s.start + end,
        intervention=ai.label if ai else "",
        intervention_as_reported=ai.as_written if ai else "",
        comparator=ac.label if ac else "",
        comparator_as_reported=ac.as_written if ac else "",
        outcome=outs[0][0] if outs else "",
        outcome_as_reported=outs[0][1] if outs else "",
        measure=measure,
        estimate=est,
        ci_lower=lo,
        ci_upper=hi,
        ci_level=level,
        p_value=p_value,
        p_operator=p_op,
        section=s.section,
        extractor="reported_difference",
        notes="" if m.group("level") else "CI level not written: 95% assumed",
    )
