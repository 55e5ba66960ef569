"""Percentages and the counts they were computed from: "12 (15.3%)", "71.43% (5/8)", "N = 120".

For a count k, a denominator n and a printed percentage P, the check accepts the triple when
``100 k / n`` prints as P under round-half-up or round-half-even (the closed rounding interval of
P, see :mod:`evsynth.checks.numbers`). Truncation is not rounding: when only cutting the digits
off reproduces P (e.g. 45/93 = 48.39% printed as 48.3%), the finding is a warning "consistent only
with truncation".

The denominator comes, in order of certainty, from:

1. the same parenthesis, ``P% (k/n)`` or ``k/n (P%)`` -- a mismatch is an error;
2. the same sentence, "Among the 93 patients, 51 (54.8%) ..." -- a mismatch is an error; or the
   one group size the sentence names before the count, "In the drug A group (n = 80), 12 (15.0%)
   relapsed" -- a mismatch is a warning (the sentence may compare several groups);
3. a table's column header ("N = 120", "(n = 55)"), or the sum of the rows of the block when all
   of the block's percentages use that sum -- a mismatch is a warning (tables often use the
   patients with data);
4. earlier in the same paragraph, or the study's sample size ("we enrolled 93 patients") -- only
   flagged when no subset of those patients can give the percentage (the implied denominator
   ``k / P`` exceeds them), which is an error; otherwise nothing is flagged.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

from evsynth.checks.findings import Finding
from evsynth.checks.numbers import (
    NUMBER_WORD,
    Reported,
    in_references,
    location,
    paragraphs,
    quote_span,
    report_name,
    sentences,
    word_to_int,
)
from evsynth.reading.document import Document, Table, TableCell

PCT = r"\d{1,3}(?:\.\d{1,4})?"
_PCT_FRACTION = re.compile(
    rf"(?P<pct>{PCT})\s?%\s{{0,2}}\(\s{{0,2}}(?P<k>\d{{1,6}})\s{{0,2}}/\s{{0,2}}(?P<n>\d{{1,6}})\s{{0,2}}\)"
)
_FRACTION_PCT = re.compile(
    rf"(?<![\d./])(?P<k>\d{{1,6}})\s{{0,2}}/\s{{0,2}}(?P<n>\d{{1,6}})\s{{0,2}}\(\s{{0,2}}(?P<pct>{PCT})\s?%\s{{0,2}}\)"
)
_SUBJECT = r"(?:patients?|children|cases?|participants?|subjects?|individuals?|males?|females?|men|women|boys|girls|adults)"
_COUNT_PCT = re.compile(
    rf"(?<![\w.\-+/])(?P<k>\d{{1,6}}|{NUMBER_WORD})(?:\s{{1,2}}{_SUBJECT})?\s{{0,2}}\(\s{{0,2}}(?P<pct>{PCT})\s?%\s{{0,2}}\)",
    re.IGNORECASE,
)
_PCT_COUNT = re.compile(
    rf"(?P<pct>{PCT})\s?%\s{{0,2}}\(\s{{0,2}}[nN]\s{{0,2}}=\s{{0,2}}(?P<k>\d{{1,6}})\s{{0,2}}\)"
)
_NOT_A_COUNT_BEFORE = re.compile(
    r"(?:grade|day|days|stage|version|table|figure|fig\.|CD|IL|type|phase|cycle|step|≥|≤|>|<|=|±)\s{0,2}$",
    re.IGNORECASE,
)
_DENOM_SENTENCE = re.compile(
    rf"\b(?:among|of\s{{1,2}}the|of\s{{1,2}}all|out\s{{1,2}}of|in\s{{1,2}}the)\s{{1,2}}(?:the\s{{1,2}})?"
    rf"(?:total\s{{1,2}}(?:of\s{{1,2}})?)?(?P<n>\d{{1,6}}|{NUMBER_WORD})\s{{1,2}}"
    rf"(?:evaluable\s{{1,2}}|enrolled\s{{1,2}}|included\s{{1,2}})?"
    rf"(?:patients|children|cases|participants|subjects|individuals)\b",
    re.IGNORECASE,
)
_DENOM_PARAGRAPH = re.compile(
    rf"(?<![\w.])(?P<n>\d{{1,6}}|{NUMBER_WORD})\s{{1,2}}(?:evaluable\s{{1,2}}|eligible\s{{1,2}})?"
    rf"(?:patients|children|cases|participants|subjects)\b",
    re.IGNORECASE,
)
_SAMPLE_SIZE = re.compile(
    rf"(?:(?:enrolled|included|comprised|consisted of|cohort of|a total of|total of)\s{{1,2}}"
    rf"(?P<a>\d{{1,6}}|{NUMBER_WORD})\s{{1,2}}(?:{_SUBJECT}|consecutive)"
    rf"|(?P<b>\d{{1,6}}|{NUMBER_WORD})\s{{1,2}}{_SUBJECT}\s{{1,2}}were\s{{1,2}}(?:enrolled|included|analy[sz]ed|treated))",
    re.IGNORECASE,
)
_GROUP_N_IN_SENTENCE = re.compile(r"\(\s{0,2}[nN]\s{0,2}=\s{0,2}(?P<n>\d{1,6})\s{0,2}[,;)]")
_HEADER_N = re.compile(r"(?<![A-Za-z])[Nn]\s{0,2}=\s{0,2}(?P<n>\d{1,6})")
_CELL_COUNT_PCT = re.compile(
    rf"^\s*(?P<k>-?\d{{1,6}})\s{{0,2}}\(\s{{0,2}}(?P<pct>{PCT})\s?%?\s{{0,2}}\)\s*$"
)


@dataclass(frozen=True)
class PercentReport:
    """A count with its percentage (and the denominator, when one could be found)."""

    report: str
    k: int
    pct: Reported
    n: int | None
    # "parenthesis", "sentence", "group size in the sentence", "table header", "block total",
    # "paragraph", "study"
    source: str
    start: int  # original offsets
    end: int
    quote: str
    where: str
    context: str  # sentence or row label, for matching duplicates
    column_n: int | None = None  # table column header n, when the cell is in a table


def rounds_to(k: float, n: float, pct: Reported) -> bool:
    return n > 0 and pct.contains(100.0 * k / n)


def truncates_to(k: float, n: float, pct: Reported) -> bool:
    return n > 0 and pct.truncates(100.0 * k / n)


def implied_denominators(k: int, pct: Reported, limit: int = 100000) -> tuple[int, int] | None:
    """Smallest and largest integer n with 100 k / n printing as ``pct`` (None if there is none
    below ``limit``)."""
    if k <= 0:
        return None
    lo_p, hi_p = max(pct.lo, 1e-9), pct.hi
    n_min = max(k, math.ceil(100.0 * k / hi_p - 1e-9))
    n_max = min(limit, math.floor(100.0 * k / lo_p + 1e-9))
    ns = [n for n in range(n_min, min(n_max, n_min + 5000) + 1) if rounds_to(k, n, pct)]
    return (ns[0], ns[-1]) if ns else None


def sample_size(doc: Document) -> int | None:
    """The study's sample size as stated in the text ("we enrolled 93 patients"), or None.

    When several are stated (e.g. "159 treated", "17 analysed") the largest is returned: the
    checks use it only as an upper bound on any denominator."""
    counts: dict[int, int] = {}
    order: list[int] = []
    for m in _SAMPLE_SIZE.finditer(doc.text):
        if in_references(doc, m.start()):
            continue
        n = word_to_int(m.group("a") or m.group("b") or "")
        if n is None or n < 2:
            continue
        if n not in counts:
            order.append(n)
        counts[n] = counts.get(n, 0) + 1
    if not counts:
        return None
    return max(order)


_CACHE: dict[tuple[str, int], tuple[Document, list]] = {}


def _cached(kind: str, doc: Document, fn):
    """Percent reports are read by two checks; read them once per document."""
    key = (kind, id(doc))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is doc:
        return list(hit[1])
    value = fn(doc)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = (doc, value)
    return list(value)


def percents_in_text(doc: Document) -> list[PercentReport]:
    """Count/percentage pairs in the running text, each with the best denominator found."""
    return _cached("text", doc, _percents_in_text)


def _percents_in_text(doc: Document) -> list[PercentReport]:
    text = doc.text
    name = report_name(doc)
    study_n = sample_size(doc)
    out: list[PercentReport] = []
    for para in paragraphs(text):
        if in_references(doc, para.start):
            continue
        para_denoms = [
            (d.start(), word_to_int(d.group("n")))
            for d in _DENOM_PARAGRAPH.finditer(text, para.start, para.end)
        ]
        para_starts = [pos for pos, _ in para_denoms]
        for sent in sentences(text, para.start, para.end):
            taken: list[tuple[int, int]] = []

            def add(m, k, n, source, sent=sent, taken=taken):
                ostart, oend, quote = quote_span(doc, m.start(), m.end())
                out.append(
                    PercentReport(
                        name,
                        k,
                        Reported.parse(m.group("pct")),
                        n,
                        source,
                        ostart,
                        oend,
                        quote,
                        location(doc, m.start()),
                        text[sent.start : sent.end],
                    )
                )
                taken.append((m.start(), m.end()))

            for rx in (_PCT_FRACTION, _FRACTION_PCT):
                for m in rx.finditer(text, sent.start, sent.end):
                    add(m, int(m.group("k")), int(m.group("n")), "parenthesis")
            i = bisect.bisect_left(para_starts, sent.start)
            para_n = para_denoms[i - 1][1] if i > 0 else None
            for m in _COUNT_PCT.finditer(text, sent.start, sent.end):
                if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
                    continue
                if _NOT_A_COUNT_BEFORE.search(text, max(sent.start, m.start() - 10), m.start()):
                    continue
                k = word_to_int(m.group("k"))
                if k is None:
                    continue
                n, source = _denominator(text, sent.start, m.start(), para_n, study_n, k, sent.end)
                add(m, k, n, source)
    return out


def _denominator(
    text: str,
    sent_start: int,
    pos: int,
    para_n: int | None,
    study_n: int | None,
    k: int,
    sent_end: int | None = None,
):
    """The denominator for a count at ``pos``: "among the N patients" earlier in the sentence
    (looked for within 300 characters), else the group size "(n = N)" when the sentence names
    exactly one and it comes before the count, else the last "N patients" of an earlier sentence
    of the paragraph, else the study's sample size."""
    sent_end = pos if sent_end is None else sent_end
    found = None
    for d in _DENOM_SENTENCE.finditer(text, max(sent_start, pos - 300), pos):
        found = d
    if found is not None:
        n = word_to_int(found.group("n"))
        if n and n >= k:
            return n, "sentence"
    groups = list(_GROUP_N_IN_SENTENCE.finditer(text, sent_start, sent_end))
    if len(groups) == 1 and groups[0].end() <= pos:
        n = int(groups[0].group("n"))
        if n >= k:
            return n, "group size in the sentence"
    if para_n and para_n >= k:
        return para_n, "paragraph"
    if study_n and study_n >= k:
        return study_n, "study"
    return None, "none"


def _is_percent_cell(c: TableCell, table: Table) -> bool:
    labels = " ".join((c.row_label, c.row_group, c.col_label, c.col_group, c.text))
    return "%" in labels


def _column_n(c: TableCell, table: Table) -> int | None:
    for s in (c.col_label, c.col_group):
        m = _HEADER_N.search(s)
        if m:
            return int(m.group("n"))
    return None


def percents_in_tables(doc: Document) -> list[PercentReport]:
    """'k (P)' cells of tables, with the denominator from the column header or the block."""
    return _cached("tables", doc, _percents_in_tables)


def _percents_in_tables(doc: Document) -> list[PercentReport]:
    out: list[PercentReport] = []
    name = report_name(doc)
    study_n = sample_size(doc)
    for table in doc.tables:
        caption_n = _HEADER_N.search(table.caption or "")
        blocks: dict[tuple, list[tuple[TableCell, int, Reported]]] = {}
        for c in table.cells:
            m = _CELL_COUNT_PCT.match(c.text.replace("$", ""))
            if m is None or not _is_percent_cell(c, table):
                continue
            blocks.setdefault((c.col, c.row_group), []).append(
                (c, int(m.group("k")), Reported.parse(m.group("pct")))
            )
        for cells in blocks.values():
            block_sum = sum(k for _, k, _ in cells)
            block_ok = len(cells) >= 2 and all(
                rounds_to(k, block_sum, p) or truncates_to(k, block_sum, p) for _, k, p in cells
            )
            for c, k, p in cells:
                col_n = _column_n(c, table) or (int(caption_n.group("n")) if caption_n else None)
                if col_n and (rounds_to(k, col_n, p) or not block_ok):
                    n, source = col_n, "table header"
                elif block_ok:
                    n, source = block_sum, "block total"
                elif study_n:
                    n, source = study_n, "study"
                else:
                    n, source = None, "none"
                out.append(
                    PercentReport(
                        name,
                        k,
                        p,
                        n,
                        source,
                        c.start,
                        c.end,
                        doc.original[c.start : c.end],
                        table.label or "table",
                        " / ".join(x for x in (c.row_group, c.row_label) if x),
                        column_n=col_n,
                    )
                )
    return out


def check_percent(r: PercentReport) -> list[Finding]:
    """Findings for one count/percentage pair (empty when consistent)."""
    base = dict(
        report=r.report,
        source_start=r.start,
        source_end=r.end,
        source_quote=r.quote,
        location=r.where,
    )
    values = {"count": r.k, "percent": r.pct.text, "denominator": r.n, "denominator_from": r.source}
    if r.pct.value > 100:
        return [
            Finding(
                check="impossible",
                severity="error",
                message=f"a percentage of {r.pct}% is above 100%.",
                values=values,
                recomputed="percentages of patients lie in 0-100",
                **base,
            )
        ]
    if r.k < 0:
        return [
            Finding(
                check="impossible",
                severity="error",
                message=f"negative count {r.k}.",
                values=values,
                recomputed="counts are >= 0",
                **base,
            )
        ]
    if r.n is None:
        return []
    if r.source == "parenthesis" and r.k > r.n:
        return [
            Finding(
                check="impossible",
                severity="error",
                message=f"count {r.k} is larger than its denominator {r.n}.",
                values=values,
                recomputed="k <= n",
                **base,
            )
        ]
    exact = 100.0 * r.k / r.n
    if rounds_to(r.k, r.n, r.pct):
        return []
    implied = implied_denominators(r.k, r.pct)
    how = f"100 x {r.k}/{r.n} = {exact:.4f}% (denominator from {r.source})"
    imp_txt = (
        f"; {r.pct}% of {r.k} implies n = {implied[0]}"
        + (f"-{implied[1]}" if implied and implied[1] != implied[0] else "")
        if implied
        else f"; no whole-number denominator gives {r.pct}% for {r.k}"
    )
    if truncates_to(r.k, r.n, r.pct):
        return [
            Finding(
                check="percent",
                severity="warning",
                message=(
                    f"{r.k}/{r.n} = {exact:.4f}% rounds to "
                    f"{_fmt(exact, r.pct.decimals)}%, not {r.pct}%: consistent only "
                    "with truncation."
                ),
                values=values,
                recomputed=how + "; matches only when truncated",
                **base,
            )
        ]
    impossible_subset = implied is None or implied[0] > r.n
    if r.source in ("parenthesis", "sentence"):
        sev = "error"
    elif r.source in ("table header", "block total", "group size in the sentence"):
        sev = "error" if impossible_subset else "warning"
    else:  # paragraph or study: only flag what no subset can give
        if not impossible_subset:
            return []
        sev = "error"
    if r.source in ("paragraph", "study") or (impossible_subset and r.source == "table header"):
        whose = {
            "paragraph": f"the {r.n} patients named earlier in the paragraph",
            "study": f"the {r.n} patients of the study (largest sample size stated)",
            "table header": f"the column's n = {r.n}",
        }[r.source]
        msg = (
            f"{r.k} ({r.pct}%) cannot be a percentage of {whose} or of any subset of them: "
            f"{r.k}/{r.n} is already {exact:.2f}%{imp_txt}."
        )
    else:
        msg = f"{r.pct}% does not match {r.k}/{r.n} = {exact:.2f}%{imp_txt}."
    return [
        Finding(
            check="percent",
            severity=sev,
            message=msg,
            values=values,
            recomputed=how + imp_txt.replace("; ", "; ", 1),
            **base,
        )
    ]


def _fmt(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def check_percents(doc: Document) -> list[Finding]:
    """Percentage/count consistency in the text and tables of ``doc``, plus one note per table
    block whose percentages use a denominator other than the column header's."""
    out: list[Finding] = []
    table_reports = percents_in_tables(doc)
    for r in percents_in_text(doc) + table_reports:
        out.extend(check_percent(r))
    # blocks whose percentages use their own total instead of the header's N
    seen: set[tuple] = set()
    for r in table_reports:
        if r.source != "block total" or r.column_n is None or r.n == r.column_n:
            continue
        key = (r.where, r.context.split(" / ")[0], r.column_n, r.n)
        if key in seen:
            continue
        seen.add(key)
        sev = "warning" if re.search(r"\b(?:male|female|sex|gender)\b", r.context, re.I) else "info"
        out.append(
            Finding(
                report=r.report,
                check="percent",
                severity=sev,
                message=(
                    f"the percentages of '{key[1]}' use n = {r.n} (the sum of its rows), not the "
                    f"column's n = {r.column_n}: {r.column_n - r.n} patients are not accounted for "
                    "in this breakdown."
                    if r.n < r.column_n
                    else f"the rows of '{key[1]}' sum to {r.n}, more than the column's n = {r.column_n}."
                ),
                source_start=r.start,
                source_end=r.end,
                source_quote=r.quote,
                location=r.where,
                values={"block": key[1], "block_total": r.n, "column_n": r.column_n},
                recomputed="every percentage of the block matches count / block total",
            )
        )
    return out
