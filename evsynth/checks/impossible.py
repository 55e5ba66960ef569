"""Values that cannot be true whatever the rounding: p-values above 1 (or exactly 0), breakdowns
whose parts add up to more than the whole.

(Percentages above 100, negative counts and CIs whose lower bound exceeds the upper are found
where those numbers are read, in :mod:`evsynth.checks.percents` and :mod:`evsynth.checks.ratios`.)

Breakdowns are checked in two ways that do not depend on guessing whether categories overlap:

* across columns: when the group columns' sizes ("PHT group (n = 86)", "Non-PHT group
  (n = 23)") add up to the total column's size ("Total (n = 109)"), the groups partition the
  patients, so in every row the groups' counts must add up to the total's count. More than the
  total is an error; fewer is a warning (missing data in a group would explain it);
* within a column: rows that are mutually exclusive by their labels (male/female, yes/no) must
  not add up to more than the column's n (error).
"""

from __future__ import annotations

import re

from evsynth.checks.findings import Finding
from evsynth.checks.numbers import (
    P_VALUE,
    in_references,
    location,
    p_reported,
    quote_span,
    report_name,
)
from evsynth.reading.document import Document, TableCell

_HEADER_N = re.compile(r"(?<![A-Za-z])[Nn]\s{0,2}=\s{0,2}(?P<n>\d{1,6})")
_P_LABEL = re.compile(
    r"^\s*(?:adj(?:usted)?\.?\s{0,2})?p(?:[\s-]{0,2}values?)?\s{0,2}(?:\[?#\]?|\*|adj\.?)?\s*$",
    re.IGNORECASE,
)
_CELL_NUM = re.compile(r"^\s*(?P<op><=|>=|<|>|=)?\s{0,2}(?P<v>\d{1,4}(?:\.\d{1,6})?)\s*$")
_COUNT = re.compile(
    r"^\s*(?P<k>\d{1,6})(?:\s{0,2}\(\s{0,2}\d{1,3}(?:\.\d{1,4})?\s?%?\s{0,2}\))?\s*$"
)
_EXCLUSIVE = (
    (
        re.compile(r"^\s*(?:male|men|boys?)\b", re.I),
        re.compile(r"^\s*(?:female|women|girls?)\b", re.I),
    ),
    (re.compile(r"^\s*yes\b", re.I), re.compile(r"^\s*no\b", re.I)),
)


def check_impossible(doc: Document) -> list[Finding]:
    """p-values out of range in text and tables, and breakdowns that exceed their whole."""
    return _text_p(doc) + _table_p(doc) + _column_partitions(doc) + _exclusive_rows(doc)


def _text_p(doc: Document) -> list[Finding]:
    out = []
    name = report_name(doc)
    for m in P_VALUE.finditer(doc.text):
        if in_references(doc, m.start()):
            continue
        p = p_reported(m)
        op = m.group("op")
        ostart, oend, quote = quote_span(doc, m.start(), m.end())
        base = dict(
            report=name,
            source_start=ostart,
            source_end=oend,
            source_quote=quote,
            location=location(doc, m.start()),
            values={"p": f"{op} {p.text}"},
        )
        if p.value > 1:
            out.append(
                Finding(
                    check="impossible",
                    severity="error",
                    message=f"p {op} {p} is above 1; a p-value is a probability.",
                    recomputed="p-values lie in [0, 1]",
                    **base,
                )
            )
        elif p.value == 0 and op == "=":
            out.append(
                Finding(
                    check="impossible",
                    severity="warning",
                    message=f"p = {p} cannot be exactly 0; it should be reported as "
                    f"p < {10 ** -max(p.decimals, 3):.{max(p.decimals, 3)}f}.",
                    recomputed="a p-value from a finite sample is > 0",
                    **base,
                )
            )
    return out


def _table_p(doc: Document) -> list[Finding]:
    out = []
    name = report_name(doc)
    for table in doc.tables:
        for c in table.cells:
            if not _P_LABEL.match(c.col_label or "x") and not _P_LABEL.match(c.row_label or "x"):
                continue
            m = _CELL_NUM.match(c.text.replace("$", ""))
            if m is None:
                continue
            v = float(m.group("v"))
            base = dict(
                report=name,
                source_start=c.start,
                source_end=c.end,
                source_quote=doc.original[c.start : c.end],
                location=table.label or "table",
                values={"p": m.group("v"), "column": c.col_label, "row": c.row_label},
            )
            if v > 1:
                extra = ""
                if "#" in c.col_label or "adj" in c.col_label.lower():
                    extra = (
                        " An adjusted p (e.g. Bonferroni) must be capped at 1: report "
                        "min(1, m x p)."
                    )
                out.append(
                    Finding(
                        check="impossible",
                        severity="error",
                        message=f"p-value {m.group('v')} in column '{c.col_label}' "
                        f"(row '{c.row_label}') is above 1.{extra}",
                        recomputed="p-values lie in [0, 1]",
                        **base,
                    )
                )
            elif v == 0 and (m.group("op") or "=") == "=":
                out.append(
                    Finding(
                        check="impossible",
                        severity="warning",
                        message=f"p-value {m.group('v')} (row '{c.row_label}') cannot "
                        "be exactly 0; it should be reported as p < 0.001.",
                        recomputed="a p-value from a finite sample is > 0",
                        **base,
                    )
                )
    return out


def _column_n(cells: list[TableCell]) -> dict[int, int]:
    out = {}
    for c in cells:
        m = _HEADER_N.search(c.col_label) or _HEADER_N.search(c.col_group)
        if m:
            out[c.col] = int(m.group("n"))
    return out


def _column_partitions(doc: Document) -> list[Finding]:
    out = []
    name = report_name(doc)
    for table in doc.tables:
        col_n = _column_n(list(table.cells))
        if len(col_n) < 3:
            continue
        total = None
        for col, n in col_n.items():
            others = [o for o in col_n if o != col]
            if sum(col_n[o] for o in others) == n:
                total, groups = col, others
                break
        if total is None:
            continue
        rows: dict[int, dict[int, TableCell]] = {}
        for c in table.cells:
            rows.setdefault(c.row, {})[c.col] = c
        for cells in rows.values():
            if total not in cells or not all(g in cells for g in groups):
                continue
            mt = _COUNT.match(cells[total].text)
            mg = [_COUNT.match(cells[g].text) for g in groups]
            if mt is None or any(m is None for m in mg) or "(" not in cells[total].text:
                continue
            kt = int(mt.group("k"))
            ks = [int(m.group("k")) for m in mg]
            if sum(ks) == kt:
                continue
            tc = cells[total]
            span = [tc] + [cells[g] for g in groups]
            start, end = min(c.start for c in span), max(c.end for c in span)
            labels = [cells[g].col_label for g in groups]
            parts = " + ".join(f"{k} ({lab})" for k, lab in zip(ks, labels, strict=True))
            more = sum(ks) > kt
            out.append(
                Finding(
                    report=name,
                    check="breakdown",
                    severity="error" if more else "warning",
                    message=(
                        f"row '{tc.row_label}': the groups add up to {parts} = {sum(ks)}, "
                        + (
                            f"more than the total {kt} ({tc.col_label}); the group sizes "
                            f"({' + '.join(str(col_n[g]) for g in groups)} = {col_n[total]}) show the "
                            "groups partition the total, so this cannot be true."
                            if more
                            else f"fewer than the total {kt} ({tc.col_label}) although the groups "
                            "partition the total: missing data in a group, or a wrong count."
                        )
                    ),
                    source_start=start,
                    source_end=end,
                    source_quote=doc.original[start:end],
                    location=table.label or "table",
                    values={
                        "row": tc.row_label,
                        "total": kt,
                        "groups": dict(zip(labels, ks, strict=True)),
                    },
                    recomputed=f"sum of group counts = {sum(ks)} vs total = {kt}",
                )
            )
    return out


def _exclusive_rows(doc: Document) -> list[Finding]:
    out = []
    name = report_name(doc)
    for table in doc.tables:
        col_n = _column_n(list(table.cells))
        by_col_group: dict[tuple, list[TableCell]] = {}
        for c in table.cells:
            by_col_group.setdefault((c.col, c.row_group), []).append(c)
        for (col, _), cells in by_col_group.items():
            n = col_n.get(col)
            if n is None:
                continue
            for a_rx, b_rx in _EXCLUSIVE:
                a = [c for c in cells if a_rx.match(c.row_label) and _COUNT.match(c.text)]
                b = [c for c in cells if b_rx.match(c.row_label) and _COUNT.match(c.text)]
                if len(a) != 1 or len(b) != 1:
                    continue
                ka, kb = (
                    int(_COUNT.match(a[0].text).group("k")),
                    int(_COUNT.match(b[0].text).group("k")),
                )
                if ka + kb <= n:
                    continue
                start, end = min(a[0].start, b[0].start), max(a[0].end, b[0].end)
                out.append(
                    Finding(
                        report=name,
                        check="breakdown",
                        severity="error",
                        message=(
                            f"'{a[0].row_label}' {ka} + '{b[0].row_label}' {kb} = {ka + kb} is more "
                            f"than the column's n = {n}."
                        ),
                        source_start=start,
                        source_end=end,
                        source_quote=doc.original[start:end],
                        location=table.label or "table",
                        values={a[0].row_label: ka, b[0].row_label: kb, "n": n},
                        recomputed=f"{ka} + {kb} = {ka + kb} > {n}",
                    )
                )
    return out
