"""Contingency tables and their p-values: which test reproduces the reported p, if any?

For every table of counts with a reported p-value the check recomputes:

* Pearson's chi-square without correction and, for 2x2 tables, with Yates' continuity correction
  (``scipy.stats.chi2_contingency``);
* the likelihood-ratio (G) test (``stats.chi2_contingency(lambda_="log-likelihood")``), which SPSS
  prints next to Pearson's;
* Fisher's exact test: ``scipy.stats.fisher_exact`` for 2x2 tables, and for 2 x c tables the
  Freeman-Halton extension by complete enumeration (tables as or less probable than the observed
  one, Freeman & Halton 1951, Biometrika 38:141-149).

A reported p is reproduced by a test when the test's p prints as the reported number (rounding
interval; "p < x" operators respected). When none reproduces it the finding is a warning (the
paper may have used a test not listed here, or the counts or p may be wrong).

Text p-values are also matched with the table's p-values by group name ("the A and non-A
groups (p = 0.189) (Table 3)"): when the text gives a group the p-value that the table shows
under *another* group, the finding is an error (a swap); any other disagreement is a warning.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import product

import numpy as np

from evsynth._shared.lazy import lazy_module
from evsynth.checks.findings import Finding
from evsynth.checks.numbers import (
    OPS,
    P_VALUE,
    Reported,
    in_references,
    p_interval,
    p_reported,
    paragraphs,
    quote_span,
    report_name,
    sentences,
)
from evsynth.reading.document import Document, Table, TableCell

stats = lazy_module("scipy.stats")

_P_ROW = re.compile(r"^\s*(?:p|p[\s-]{0,2}values?|sig\.?)\s*$", re.IGNORECASE)
_INT = re.compile(r"^\s*(\d{1,6})\s*$")
_CELL_P = re.compile(r"^\s*(?P<op><=|>=|<|>|=|\u2264|\u2265)?\s{0,2}(?P<p>\d{0,3}\.?\d{1,6})\s*$")
_COUNT_PCT = re.compile(
    r"^\s*(?P<k>\d{1,6})\s{0,2}\(\s{0,2}\d{1,3}(?:\.\d{1,4})?\s?%?\s{0,2}\)\s*$"
)
_HEADER_N = re.compile(r"(?<![A-Za-z])[Nn]\s{0,2}=\s{0,2}(?P<n>\d{1,6})")
_FRACTION = re.compile(r"(?<![\d./])(?P<k>\d{1,6})\s{0,2}/\s{0,2}(?P<n>\d{1,6})(?![\d/])")
_NEG = re.compile(r"^\s*(?:non|no|not|without|un)[\s-]{0,2}", re.IGNORECASE)
_STOP = {"of", "use", "the", "and", "or", "group", "groups", "in", "with", "vs", "to"}
MAX_ENUMERATION = 200_000


@dataclass(frozen=True)
class Contingency:
    """A table of counts (rows = outcome categories, columns = groups) with its reported p."""

    report: str
    counts: tuple[tuple[int, ...], ...]
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    p: Reported
    p_op: str
    start: int  # original offsets of the quote
    end: int
    quote: str
    where: str
    key: str  # group name used to match text p-values ("X" of "X and non-X"), or ""
    p_start: int = -1  # original offsets of the p cell itself
    p_end: int = -1


def candidate_pvalues(counts) -> dict[str, float]:
    """p-values of the tests a paper may have used on ``counts`` (rows x columns)."""
    t = np.asarray(counts, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0] if t.size else t
    out: dict[str, float] = {}
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        return out
    out["Pearson chi-square"] = float(stats.chi2_contingency(t, correction=False)[1])
    if t.shape == (2, 2):
        out["chi-square with Yates' correction"] = float(
            stats.chi2_contingency(t, correction=True)[1]
        )
        out["Fisher's exact"] = float(stats.fisher_exact(t.astype(int))[1])
    else:
        ffh = freeman_halton(t.astype(int))
        if ffh is not None:
            out["Fisher-Freeman-Halton exact"] = ffh
    with np.errstate(divide="ignore", invalid="ignore"):
        out["likelihood-ratio (G) test"] = float(
            stats.chi2_contingency(t, correction=False, lambda_="log-likelihood")[1]
        )
    return out


def freeman_halton(table: np.ndarray) -> float | None:
    """Exact Fisher-Freeman-Halton p for an r x c table with r == 2 or c == 2, by enumerating
    all tables with the observed margins (None when there are too many)."""
    t = table if table.shape[0] == 2 else table.T
    if t.shape[0] != 2:
        return None
    cols = t.sum(axis=0)
    r1 = int(t[0].sum())
    n = int(cols.sum())
    if math.prod(int(c) + 1 for c in cols) > MAX_ENUMERATION:
        return None
    logc = lambda a, b: math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)  # noqa: E731
    denom = logc(n, r1)

    def logp(first):
        return sum(logc(int(c), int(a)) for c, a in zip(cols, first, strict=True)) - denom

    obs = logp(t[0])
    total = 0.0
    for first in product(*(range(int(c) + 1) for c in cols[:-1])):
        last = r1 - sum(first)
        if last < 0 or last > cols[-1]:
            continue
        lp = logp((*first, last))
        if lp <= obs + 1e-7:
            total += math.exp(lp)
    return min(1.0, total)


def _reproducing(pvals: dict[str, float], p: Reported, op: str) -> list[str]:
    lo, hi = p_interval(op, p)
    eps = 1e-9
    return [
        name
        for name, v in pvals.items()
        if lo - eps <= v <= hi + eps and not (op == "<" and v >= p.value)
    ]


def contingencies_in_tables(doc: Document) -> list[Contingency]:
    """Count tables with a p-value row (groups in columns) or a P column (groups with 'N = ')."""
    out: list[Contingency] = []
    for table in doc.tables:
        out.extend(_p_row_tables(doc, table))
        out.extend(_p_column_tables(doc, table))
    return out


def _p_row_tables(doc: Document, table: Table) -> list[Contingency]:
    rows: dict[int, list[TableCell]] = {}
    for c in table.cells:
        rows.setdefault(c.row, []).append(c)
    p_rows = [r for r, cells in rows.items() if cells and _P_ROW.match(cells[0].row_label or "")]
    if not p_rows:
        return []
    p_cells = sorted(
        (c for c in rows[p_rows[0]] if _CELL_P.match(c.text) and c.text.strip()),
        key=lambda c: c.col,
    )
    count_rows = {
        r: {c.col: int(_INT.match(c.text).group(1)) for c in cells if _INT.match(c.text)}
        for r, cells in rows.items()
        if r not in p_rows
    }
    count_rows = {r: v for r, v in count_rows.items() if v}
    if len(count_rows) < 2:
        return []
    labels = {c.col: (c.col_label, c.col_group) for c in table.cells}
    out = []
    prev = min(min(v) for v in count_rows.values()) - 1
    groups_by_cg: dict[str, list[int]] = {}
    for col, (_, cg) in labels.items():
        if cg:
            groups_by_cg.setdefault(cg, []).append(col)
    for pc in p_cells:
        if pc.col_group and pc.col_group in groups_by_cg:
            cols = sorted(groups_by_cg[pc.col_group])
        else:
            cols = list(range(prev + 1, pc.col + 1))
        prev = pc.col
        if len(cols) < 2 or not all(all(c in v for c in cols) for v in count_rows.values()):
            continue
        row_ids = sorted(count_rows)
        counts = tuple(tuple(count_rows[r][c] for c in cols) for r in row_ids)
        m = _CELL_P.match(pc.text)
        first = min(
            (c for c in table.cells if c.row in row_ids and c.col in cols), key=lambda c: c.start
        )
        start, end = first.start, pc.end
        if end - start > 600:
            start = pc.start
        col_labels = tuple(labels[c][0] for c in cols)
        key = pc.col_group or _group_key(col_labels)
        out.append(
            Contingency(
                report_name(doc),
                counts,
                tuple(rows[r][0].row_label for r in row_ids),
                col_labels,
                Reported.parse(m.group("p")),
                OPS.get(m.group("op") or "=", "="),
                start,
                end,
                doc.original[start:end],
                table.label or "table",
                key,
                pc.start,
                pc.end,
            )
        )
    return out


def _group_key(col_labels: tuple[str, ...]) -> str:
    stripped = {_NEG.sub("", label).strip() for label in col_labels}
    return stripped.pop() if len(stripped) == 1 else ""


def _p_column_tables(doc: Document, table: Table) -> list[Contingency]:
    """003-style tables: 'k (P)' cells under group columns 'Drug A (N = 17)', a 'P' column."""
    col_n: dict[int, int] = {}
    p_col = None
    for c in table.cells:
        m = _HEADER_N.search(c.col_label)
        if m:
            col_n[c.col] = int(m.group("n"))
        elif _P_ROW.match(c.col_label or "") and p_col is None:
            p_col = c.col
    if p_col is None or len(col_n) < 2:
        return []
    # group columns: drop a total column whose N is the sum of the others
    groups = sorted(col_n)
    for col in list(groups):
        others = [col_n[o] for o in groups if o != col]
        if len(others) >= 2 and sum(others) == col_n[col]:
            groups.remove(col)
            break
    rows: dict[int, dict[int, TableCell]] = {}
    for c in table.cells:
        rows.setdefault(c.row, {})[c.col] = c
    out = []
    for r, cells in rows.items():
        pc = cells.get(p_col)
        if pc is None or not _CELL_P.match(pc.text):
            continue
        label = next(iter(cells.values())).row_label
        if all(g in cells and _COUNT_PCT.match(cells[g].text) for g in groups):
            ks = [int(_COUNT_PCT.match(cells[g].text).group("k")) for g in groups]
            counts = (tuple(ks), tuple(col_n[g] - k for g, k in zip(groups, ks, strict=True)))
            row_labels = (label, f"not {label}")
            span_cells = [cells[g] for g in groups] + [pc]
        else:
            # a block: the p sits on the heading row, the categories are the rows below it
            sub = []
            for o in sorted(rows):
                if o <= r:
                    continue
                s_cells = rows[o]
                own_p = s_cells.get(p_col)
                if own_p is not None and own_p.text.strip():
                    break
                if next(iter(s_cells.values())).row_group != label or not all(
                    g in s_cells and _COUNT_PCT.match(s_cells[g].text) for g in groups
                ):
                    break
                sub.append(s_cells)
            if len(sub) < 2:
                continue
            counts = tuple(
                tuple(int(_COUNT_PCT.match(s[g].text).group("k")) for g in groups) for s in sub
            )
            row_labels = tuple(next(iter(s.values())).row_label for s in sub)
            span_cells = [pc] + [s[g] for s in sub for g in groups]
        if any(sum(col) == 0 for col in zip(*counts, strict=True)):
            continue
        m = _CELL_P.match(pc.text)
        start = min(c.start for c in span_cells)
        end = max(c.end for c in span_cells)
        out.append(
            Contingency(
                report_name(doc),
                counts,
                row_labels,
                tuple(next(c.col_label for c in table.cells if c.col == g) for g in groups),
                Reported.parse(m.group("p")),
                OPS.get(m.group("op") or "=", "="),
                start,
                end,
                doc.original[start:end],
                table.label or "table",
                "",
                pc.start,
                pc.end,
            )
        )
    return out


def contingencies_in_text(doc: Document) -> list[Contingency]:
    """Two 'k/n' fractions and one p-value in a sentence (or the p in the sentence after the
    fractions, within the paragraph): a 2x2 table of responders and non-responders."""
    out: list[Contingency] = []
    text = doc.text
    for para in paragraphs(text):
        if in_references(doc, para.start):
            continue
        sents = sentences(text, para.start, para.end)
        for i, s in enumerate(sents):
            ps = list(P_VALUE.finditer(text, s.start, s.end))
            if len(ps) != 1:
                continue
            fr = list(_FRACTION.finditer(text, s.start, s.end))
            first = s.start
            if not fr:
                back = []
                for j in range(i - 1, max(-1, i - 3), -1):
                    f = list(_FRACTION.finditer(text, sents[j].start, sents[j].end))
                    if any(P_VALUE.finditer(text, sents[j].start, sents[j].end)):
                        break
                    back = f + back
                    first = sents[j].start
                    if len(back) >= 2:
                        break
                fr = back
            if len(fr) != 2:
                continue
            ks = [(int(f.group("k")), int(f.group("n"))) for f in fr]
            if any(k > n or n == 0 for k, n in ks):
                continue
            counts = (tuple(k for k, _ in ks), tuple(n - k for k, n in ks))
            pm = ps[0]
            start = min(fr[0].start(), pm.start())
            ostart, oend, quote = quote_span(doc, start, pm.end())
            if oend - ostart > 600:
                ostart, oend, quote = quote_span(doc, pm.start(), pm.end())
            del first
            out.append(
                Contingency(
                    report_name(doc),
                    counts,
                    ("events", "non-events"),
                    tuple(f.group(0) for f in fr),
                    p_reported(pm),
                    OPS[pm.group("op")],
                    ostart,
                    oend,
                    quote,
                    "text",
                    "",
                )
            )
    return out


def check_contingency(c: Contingency) -> list[Finding]:
    pvals = candidate_pvalues(c.counts)
    if not pvals:
        return []
    ok = _reproducing(pvals, c.p, c.p_op)
    values = {
        "counts": [list(r) for r in c.counts],
        "rows": list(c.row_labels),
        "columns": list(c.col_labels),
        "p": f"{c.p_op} {c.p.text}",
    }
    how = "; ".join(f"{k} p = {v:.4g}" for k, v in pvals.items())
    base = dict(
        report=c.report,
        source_start=c.start,
        source_end=c.end,
        source_quote=c.quote,
        location=c.where,
        values=values,
    )
    if ok:
        return []
    table_txt = " vs ".join("/".join(str(x) for x in col) for col in zip(*c.counts, strict=True))
    return [
        Finding(
            check="two_by_two",
            severity="warning",
            message=(
                f"p {c.p_op} {c.p} for {' vs '.join(c.col_labels)} ({table_txt}) is not "
                "reproduced by Pearson chi-square (with or without Yates' correction), the "
                "likelihood-ratio test or Fisher's exact test."
            ),
            recomputed=how,
            **base,
        )
    ]


def check_contingencies(doc: Document) -> list[Finding]:
    """Recompute every table/text contingency p, and compare text p-values with the table's."""
    out: list[Finding] = []
    tables = contingencies_in_tables(doc)
    for c in tables + contingencies_in_text(doc):
        out.extend(check_contingency(c))
    out.extend(_text_vs_table(doc, tables))
    return out


def _key_pattern(key: str) -> re.Pattern:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{1,30}", key) if w.lower() not in _STOP]
    if not words:
        return re.compile(r"(?!x)x")
    if len(words) > 1 and all(w.isupper() for w in words):
        return re.compile(r"\b" + r"\W{1,3}".join(map(re.escape, words)) + r"\b")
    # the distinctive word(s) of the key: upper-case abbreviations match case-sensitively
    alts = [re.escape(w) if w.isupper() else "(?i:" + re.escape(w) + ")" for w in words]
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b")


def _distinct_keys(keys: list[str]) -> dict[str, str]:
    """For each group key, the words that no other key of the same table shares."""
    words = {
        k: {w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{1,30}", k) if w.lower() not in _STOP}
        for k in keys
    }
    out = {}
    for k in keys:
        others = set().union(*(words[o] for o in keys if o != k)) if len(keys) > 1 else set()
        own = [w for w in words[k] if w not in others]
        out[k] = " ".join(own)
    return out


def _text_vs_table(doc: Document, tables: list[Contingency]) -> list[Finding]:
    out: list[Finding] = []
    by_table: dict[str, list[Contingency]] = {}
    for c in tables:
        if c.key:
            by_table.setdefault(c.where, []).append(c)
    text = doc.text
    for label, conts in by_table.items():
        if not label.lower().startswith("table"):
            continue
        distinct = _distinct_keys([c.key for c in conts])
        pats = {c.key: _key_pattern(distinct[c.key]) for c in conts if distinct[c.key]}
        cite = re.compile(r"\b" + re.escape(label).replace(r"\ ", r"\s{1,2}") + r"\b", re.I)
        for para in paragraphs(text):
            if not cite.search(text, para.start, para.end) or in_references(doc, para.start):
                continue
            for s in sentences(text, para.start, para.end):
                ps = list(P_VALUE.finditer(text, s.start, s.end))
                if len(ps) != 1:
                    continue
                hits = [
                    c for c in conts if c.key in pats and pats[c.key].search(text, s.start, s.end)
                ]
                if len(hits) != 1:
                    continue
                c = hits[0]
                pm = ps[0]
                tp = p_reported(pm)
                top = OPS[pm.group("op")]
                if _overlap(tp, top, c.p, c.p_op):
                    continue
                swap = [o for o in conts if o is not c and _overlap(tp, top, o.p, o.p_op)]
                ostart, oend, quote = quote_span(doc, s.start, s.end)
                pv = candidate_pvalues(c.counts)
                repro = [k for k in _reproducing(pv, c.p, c.p_op)]
                repro_txt = (
                    f"; the table's counts reproduce the table's p = {c.p} ({repro[0]})"
                    if repro
                    else ""
                )
                values = {
                    "text_p": f"{top} {tp.text}",
                    "table_p": f"{c.p_op} {c.p.text}",
                    "group": c.key,
                    "table": label,
                }
                if swap:
                    o = swap[0]
                    out.append(
                        Finding(
                            report=c.report,
                            check="p_swap",
                            severity="error",
                            message=(
                                f"the text gives {c.key} p {top} {tp}, but {label} shows p = {c.p} "
                                f"for {c.key} and p = {o.p} for {o.key}: the text swaps the "
                                f"p-values of the two comparisons{repro_txt}."
                            ),
                            source_start=ostart,
                            source_end=oend,
                            source_quote=quote,
                            location=label,
                            values=values | {"swapped_with": o.key},
                            recomputed="; ".join(f"{k} p = {v:.4g}" for k, v in pv.items()),
                            related=f"{label}: {c.quote!r}",
                        )
                    )
                else:
                    out.append(
                        Finding(
                            report=c.report,
                            check="p_swap",
                            severity="warning",
                            message=(
                                f"the text gives {c.key} p {top} {tp}, but {label} shows p = {c.p}"
                                f"{repro_txt}."
                            ),
                            source_start=ostart,
                            source_end=oend,
                            source_quote=quote,
                            location=label,
                            values=values,
                            recomputed="; ".join(f"{k} p = {v:.4g}" for k, v in pv.items()),
                            related=f"{label}: {c.quote!r}",
                        )
                    )
    return out


def _overlap(a: Reported, aop: str, b: Reported, bop: str) -> bool:
    alo, ahi = p_interval(aop, a)
    blo, bhi = p_interval(bop, b)
    return alo <= bhi + 1e-9 and blo <= ahi + 1e-9
