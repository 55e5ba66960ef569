"""Results from tables: ratio rows ("≤8 mg/kg | 0.032 | 0.44 (0.20-0.93)") and 2x2 responder
tables (rows CR/NR by arm columns "A | Non-A", with a p-value row), and ratio tables the
reader could not cut into cells, read line by line under their ratio header (see the section
"Tables read as text lines" below)."""

from __future__ import annotations

import math
import re
from collections import defaultdict

from evsynth.extraction.labels import (
    analysis_of,
    comparator_for,
    dose_detail,
    find_interventions,
    find_outcomes,
    is_negated_arm,
)
from evsynth.extraction.patterns import (
    CI_LABEL,
    NUMBER,
    RANGE_SEP,
    RATIO_LABEL_RE,
    measure_of_label,
    parse_estimate_cell,
    parse_interval,
)
from evsynth.extraction.rows import RowMaker
from evsynth.reading.document import Table, TableCell

__all__ = ["table_rows", "text_table_rows", "table_is_garbled"]

_P_LABEL = re.compile(r"(?i)^\s*p(?:[\s-]?values?)?\s*(?:\(.*\))?\s*[*#]?\s*$")
_CI_COL = re.compile(rf"(?:{CI_LABEL}|^\s*CI\s*$|confidence)", re.IGNORECASE)
_REFERENCE = re.compile(r"(?i)\bref(?:erence)?\.?\b|^\s*1(?:\.0{1,3})?\s*$")
_NUM_CELL = re.compile(rf"^\s*[<>≤≥=]?\s*(?P<v>{NUMBER})\s*[*†‡a-z]?\s*$")
_P_CELL = re.compile(rf"^\s*(?P<op>[<>≤≥=]|<=|>=)?\s*(?P<v>{NUMBER})\s*[*†‡]?\s*$")
_COUNT_CELL = re.compile(r"^\s*(?P<n>\d{1,6})(?:\s*\(\s*\d{1,3}(?:\.\d{1,3})?\s*%?\s*\))?\s*$")
_YES = re.compile(
    r"(?i)^\s*(?:CR|CRi|complete\s+(?:response|remission)|MRD-?\s?(?:negative)?\s?CR|responders?|response|remission|yes|achieved\s+CR)\s*(?:,?\s*n)?\s*$"
)
_NO = re.compile(
    r"(?i)^\s*(?:NR|no\s+response|non-?\s?respon\w*|no\s+remission|not\s+achieved|PR|PD|SD|MRD\+\s?CR|no)\s*(?:,?\s*n)?\s*$"
)

#: row labels that only say the exposure was present (no dose or timing detail)
_EXPOSED = re.compile(r"(?i)(?:yes|received|used|treated|exposed|present|given)")


def _ratio_measure(*texts: str) -> str:
    for t in texts:
        m = RATIO_LABEL_RE.search(t or "")
        if m:
            return measure_of_label(m)[0]
    joined = " ".join(t or "" for t in texts)
    if re.search(r"\bCox\b|proportional\s+hazards", joined):
        return "HR"
    if re.search(r"(?i)logistic", joined):
        return "OR"
    return ""


def _p(cell: TableCell | None) -> tuple[float, str]:
    if cell is None:
        return math.nan, ""
    m = _P_CELL.match(cell.text)
    if not m:
        return math.nan, ""
    v = float(m.group("v"))
    if v > 1:
        return math.nan, ""
    op = {"≤": "<=", "≥": ">=", None: "="}.get(m.group("op"), m.group("op"))
    return v, op


def _row_label_start(maker: RowMaker, label: str, first: int) -> int:
    """Original offset of the row label before the row's first cell (or the line start)."""
    orig = maker.doc.original
    lo = max(0, first - 300)
    if label:
        k = orig.rfind(label.strip()[:40], lo, first)
        if k >= 0:
            return k
    k = orig.rfind("\n", lo, first)
    return k + 1 if k >= 0 else first


#: A forest plot's weight column ("Weight (%)", "% Weight") and its cells ("18.2", "18.2%").
_WEIGHT_COL = re.compile(r"(?i)\bweight")
_WEIGHT_CELL = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)\s?%?\s*$")
#: Rows of a forest plot that pool the studies above them.
_POOLED_ROW = re.compile(r"(?i)^(?:overall|subtotal|sub-total|total\b|pooled|random|fixed)")


def _ratio_rows(maker: RowMaker, table: Table) -> None:
    cells = table.cells
    cols: dict[int, list[TableCell]] = defaultdict(list)
    for c in cells:
        cols[c.col].append(c)
    kinds: dict[int, str] = {}
    meta: dict[int, tuple[str, str]] = {}
    for j, cs in cols.items():
        label, group = cs[0].col_label, cs[0].col_group
        meta[j] = (label, group)
        if _P_LABEL.match(label):
            kinds[j] = "p"
        elif any(parse_estimate_cell(c.text) for c in cs):
            kinds[j] = "estci"
        elif (
            _CI_COL.search(label)
            and not RATIO_LABEL_RE.search(label)
            and any(parse_interval(c.text) for c in cs)
        ):
            kinds[j] = "ci"
        elif RATIO_LABEL_RE.search(label) and any(_NUM_CELL.match(c.text) for c in cs):
            kinds[j] = "est"
    est_cols = [j for j, k in kinds.items() if k in ("estci", "est")]
    if not est_cols:
        return
    caption = f"{table.label} {table.caption}"
    units = []
    for j in sorted(est_cols):
        label, group = meta[j]
        measure = _ratio_measure(label, group, caption, table.footnote)
        if not measure:
            continue  # "36 (8-67)": a median with its range, not a ratio
        ci_col = None
        if kinds[j] == "est":
            later = [k for k in sorted(kinds) if k > j and kinds[k] == "ci" and meta[k][1] == group]
            if not later:
                continue
            ci_col = later[0]
        ps = [k for k in sorted(kinds) if kinds[k] == "p" and meta[k][1] == group]
        p_col = min(ps, key=lambda k: abs(k - j)) if ps else None
        units.append((j, ci_col, p_col, measure, group))
    if not units:
        return
    by_row: dict[int, dict[int, TableCell]] = defaultdict(dict)
    for c in cells:
        by_row[c.row][c.col] = c
    figure = table.kind == "figure"
    weight_cols = [j for j, (label, _g) in meta.items() if _WEIGHT_COL.search(label)]
    cap_outcomes = list(dict.fromkeys(o[0] for o in find_outcomes(table.caption)))
    cap_out_rep = {o[0]: o[1] for o in find_outcomes(table.caption)}
    current_outcome = ("", "")
    references: dict[tuple[str, int], str] = {}
    test = "Cox" if re.search(r"\bCox\b|proportional\s+hazards", caption + table.footnote) else ""
    if not test and re.search(r"(?i)logistic", caption + table.footnote):
        test = "logistic"
    for r in sorted(by_row):
        row = by_row[r]
        any_cell = next(iter(row.values()))
        rlabel, rgroup = any_cell.row_label, any_cell.row_group
        go = find_outcomes(rgroup)
        if go and len(rgroup) < 40:
            current_outcome = (go[0][0], rgroup)
        for j, ci_col, p_col, measure, group in units:
            cell = row.get(j)
            if cell is None:
                continue
            if _REFERENCE.search(cell.text) and not parse_estimate_cell(cell.text):
                references[(rgroup, j)] = rlabel
                continue
            if kinds[j] == "estci":
                parsed = parse_estimate_cell(cell.text)
                if not parsed:
                    continue
                est, lo, hi, level = parsed
                used = [cell]
            else:
                m = _NUM_CELL.match(cell.text)
                ci_cell = row.get(ci_col)
                iv = parse_interval(ci_cell.text) if ci_cell else None
                if not m or not iv:
                    continue
                est, lo, hi, level = float(m.group("v")), iv.lower, iv.upper, None
                used = [cell, ci_cell]
            if not (0 < est and 0 <= lo <= hi):
                continue
            pcell = row.get(p_col) if p_col is not None else None
            p_value, p_op = _p(pcell)
            if pcell is not None and not math.isnan(p_value):
                used.append(pcell)
            notes = []
            # outcome
            if current_outcome[0]:
                outcome, outcome_rep = current_outcome
            elif find_outcomes(group):
                o = find_outcomes(group)[0]
                outcome, outcome_rep = o[0], o[1]
            elif len(cap_outcomes) == 1:
                outcome, outcome_rep = cap_outcomes[0], cap_out_rep[cap_outcomes[0]]
                notes.append("outcome from the table caption")
            else:
                outcome, outcome_rep = "", ""
            # intervention
            inter = find_interventions(rlabel)
            detail = ""
            rg_is_outcome = bool(go) and len(rgroup) < 40
            if inter:
                name = inter[0][0]
                as_rep = rlabel.strip()
                detail = dose_detail(rlabel)
            else:
                inter = find_interventions(rgroup) if not rg_is_outcome else []
                name = inter[0][0] if inter else ""
                as_rep = (
                    f"{rgroup}: {rlabel}".strip(": ") if rgroup and not rg_is_outcome else rlabel
                )
                if name and not _EXPOSED.fullmatch(rlabel.strip()):
                    detail = rlabel.strip()  # a level of the exposure ("≤8 mg/kg"), not just "Yes"
            ref = references.get((rgroup, j)) or references.get((rgroup, units[0][0]))
            if ref:
                comparator = (
                    comparator_for(name)
                    if name and is_negated_arm(ref) and not re.search(r"\d", ref)
                    else f"{ref.strip()} (reference)"
                )
            elif name:
                comparator = comparator_for(name)
                notes.append("comparator implied by the row label (no reference row)")
            else:
                comparator = ""
            analysis = analysis_of(group) or analysis_of(caption) or analysis_of(table.footnote)
            if not (lo <= est <= hi):
                notes.append("estimate lies outside its interval as reported")
            if level is None:
                lvl_m = re.search(
                    r"(\d{2}(?:\.\d)?)\s?%\s?CI",
                    meta[ci_col][0] if ci_col is not None else meta[j][0],
                )
                level = float(lvl_m.group(1)) / 100 if lvl_m else 0.95
                if not lvl_m:
                    notes.append("CI level not stated; 95% assumed")
            weight, cited = math.nan, ""
            if figure:
                # a forest plot: the row is a study as the plot names it (or a pooled row)
                cited = rlabel.strip()
                if _POOLED_ROW.match(cited):
                    notes.append("pooled estimate printed in the figure, not a study")
                wcell = row.get(weight_cols[0]) if weight_cols else None
                wm = _WEIGHT_CELL.match(wcell.text) if wcell is not None else None
                if wm:
                    weight = float(wm.group(1))
                    used.append(wcell)
            first = min(c.start for c in used)
            last = max(c.end for c in used)
            start = _row_label_start(maker, rlabel, first)
            maker.add_orig(
                start,
                last,
                intervention=name,
                intervention_detail=detail,
                intervention_as_reported=as_rep,
                comparator=comparator,
                outcome=outcome,
                outcome_as_reported=outcome_rep,
                measure=measure,
                analysis=analysis,
                estimate=est,
                ci_lower=lo,
                ci_upper=hi,
                ci_level=level,
                p_value=p_value,
                p_operator=p_op,
                test=test if measure in ("HR", "OR") else "",
                section="figure" if figure else "table",
                table=table.label,
                cited_study=cited,
                weight=weight,
                extractor="figure_ratio" if figure else "table_ratio",
                notes="; ".join(notes),
            )


def _count_rows(maker: RowMaker, table: Table) -> None:
    cells = table.cells
    by_row: dict[int, dict[int, TableCell]] = defaultdict(dict)
    for c in cells:
        by_row[c.row][c.col] = c
    yes_rows, no_rows, p_rows = [], [], []
    for r, row in by_row.items():
        label = next(iter(row.values())).row_label
        if _YES.match(label):
            yes_rows.append(r)
        elif _NO.match(label):
            no_rows.append(r)
        elif _P_LABEL.match(label):
            p_rows.append(r)
    if not yes_rows or not no_rows:
        return
    yes = yes_rows[0]
    outcome_label = next(iter(by_row[yes].values())).row_label
    o = find_outcomes(outcome_label) or find_outcomes(table.caption)
    outcome, outcome_rep = (o[0][0], o[0][1]) if o else ("CR", outcome_label)
    count_rows_ = yes_rows + no_rows
    columns: dict[int, tuple[str, str]] = {}
    for c in cells:
        columns.setdefault(c.col, (c.col_label, c.col_group))

    def count(r: int, j: int) -> int | None:
        c = by_row[r].get(j)
        m = _COUNT_CELL.match(c.text) if c else None
        return int(m.group("n")) if m else None

    groups: dict[str, list[int]] = defaultdict(list)
    for j, (_, g) in sorted(columns.items()):
        groups[g].append(j)
    pairs = []  # (treated col, control col, group)
    for g, js in groups.items():
        labelled = {j: find_interventions(columns[j][0]) for j in js}
        if all(labelled[j] for j in js):
            for j in js:
                if labelled[j][0][2]:
                    continue
                ctl = [
                    k for k in js if labelled[k][0][0] == labelled[j][0][0] and labelled[k][0][2]
                ]
                if ctl:
                    pairs.append((j, ctl[0], g, labelled[j][0][0], ""))
        else:
            gi = find_interventions(g) or find_interventions(table.caption)
            name = gi[0][0] if gi else ""
            refs = [j for j in js if is_negated_arm(columns[j][0])]
            if refs:
                pairs += [(j, refs[0], g, name, "") for j in js if j != refs[0]]
            elif len(js) == 2:
                pairs.append((js[1], js[0], g, name, "the first column is taken as the comparator"))
    for j, k, g, name, note in pairs:
        ev_i, ev_c = count(yes, j), count(yes, k)
        tot_i = [count(r, j) for r in count_rows_]
        tot_c = [count(r, k) for r in count_rows_]
        if ev_i is None or ev_c is None or None in tot_i or None in tot_c:
            continue
        used = [by_row[r][x] for r in count_rows_ for x in (j, k)]
        p_value, p_op = math.nan, ""
        for pr in p_rows:
            for x in groups[g] if g else (j, k):
                if x in (j, k) or g:
                    pv, op = _p(by_row[pr].get(x))
                    if not math.isnan(pv):
                        p_value, p_op = pv, op
                        used.append(by_row[pr][x])
        notes = [note] if note else []
        if g and len(groups[g]) > 2 and not math.isnan(p_value):
            notes.append(f"p-value compares all {len(groups[g])} columns of '{g}'")
        test = ""
        foot = table.footnote + " " + table.caption
        if re.search(r"(?i)chi-?\s?squared?|χ2", foot):
            test = "chi-square"
        elif re.search(r"Fisher", foot):
            test = "Fisher"
        label_i, label_c = columns[j][0], columns[k][0]
        maker.add_orig(
            min(c.start for c in used),
            max(c.end for c in used),
            intervention=name,
            intervention_detail=label_i
            if not find_interventions(label_i)
            else dose_detail(label_i),
            intervention_as_reported=f"{g}: {label_i}".strip(": ") if g else label_i,
            comparator=(
                comparator_for(name)
                if find_interventions(label_c)
                or re.fullmatch(r"(?i)\s*0\s?mg\s?/?\s?kg\s*", label_c) is None
                and is_negated_arm(label_c)
                else label_c
            ),
            outcome=outcome,
            outcome_as_reported=outcome_rep,
            measure="counts",
            p_value=p_value,
            p_operator=p_op,
            test=test,
            events_int=ev_i,
            total_int=sum(tot_i),
            events_ctl=ev_c,
            total_ctl=sum(tot_c),
            section="table",
            table=table.label,
            extractor="table_counts",
            notes="; ".join(notes + ["totals = sum of the response rows"]),
        )


def table_rows(maker: RowMaker) -> None:
    """Add rows for every ratio and 2x2 responder table of the document."""
    for t in maker.doc.tables:
        if not t.cells or table_is_garbled(t):
            continue  # read as text lines by text_table_rows
        _ratio_rows(maker, t)
        _count_rows(maker, t)


# --------------------------------------------------------------------------- Tables read as text lines
#
# Ratio tables the reader could not cut into cells: rows of text under a ratio header.
#
# A PDF table often arrives as lines of text ("Total 12 9986/40134 1.15（1.04-1.29）0.000 0.008
# ..."). When a header line names a ratio with its interval ("OR(95%CI) Ph P", "HR (95% CI) P"),
# each following line holding "estimate (lower-upper)" groups is read as a table row: one result
# per group, the row label is the text before the first number, the p-value is taken from the
# position of a stand-alone "P" column after the ratio in the header.


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
