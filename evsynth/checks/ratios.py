"""Ratio estimates (HR, OR, RR) with a confidence interval and a p-value: do they agree?

For a ratio reported as ``est (L-U)`` with a ``p``, the Wald test on the log scale gives

    se = (ln U - ln L) / (2 z_{1-a/2}),   z = |ln est| / se,   p = 2 (1 - Phi(z))

(Altman & Bland, BMJ 2011;343:d2090, "How to obtain the P value from a confidence interval").
Every reported number may have been rounded, so the check computes the *range* of p-values that
true values within rounding of est, L and U can give, and flags only when that range misses the
interval the reported p allows (e.g. 0.45 -> [0.445, 0.455]; "p < 0.05" -> [0, 0.05)), as
statcheck does for test statistics (Nuijten et al., 2016).

Severity: "error" when the reported p and the recomputed p fall on different sides of 0.05 (a
decision error in statcheck's terms), "warning" otherwise (the paper may have used another test,
e.g. a likelihood-ratio or log-rank p next to a Wald CI). A CI that excludes its own estimate or
whose lower bound exceeds the upper is an "error".

Asymmetry: on the log scale a Wald CI is symmetric about the estimate. The check computes the
smallest asymmetry ``|ln U + ln L - 2 ln est|`` that true values within rounding can reach; it
warns only when that residual exceeds :data:`ASYMMETRY_SLACK` times the log width of the CI, so
that rounding can never trigger it, and mildly asymmetric profile-likelihood or exact intervals do
not either.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from evsynth._shared.lazy import lazy_module
from evsynth.checks.findings import Finding
from evsynth.checks.numbers import (
    DASH,
    OPS,
    P_VALUE,
    Reported,
    in_references,
    location,
    p_interval,
    p_reported,
    quote_span,
    report_name,
    sentences,
)
from evsynth.reading.document import Document, TableCell

stats = lazy_module("scipy.stats")

# residual log-scale asymmetry (beyond what rounding can produce), as a fraction of ln(U/L)
ASYMMETRY_SLACK = 0.10

_KEYWORD = re.compile(
    r"\b(?:HRs?|ORs?|RRs?|aHRs?|aORs?|hazard ratios?|odds ratios?|risk ratios?|relative risks?)\b",
    re.IGNORECASE,
)
_RATIO_TEXT = re.compile(
    rf"(?P<e>\d{{1,4}}\.\d{{1,4}})(?P<gap>[^0-9A-Za-z]{{0,6}}(?:95|90|99)\s?%\s?)"
    rf"(?:CI|C\.I\.|confidence intervals?)[\s,:=]{{0,4}}(?:was|of|is)?\s{{0,2}}"
    rf"(?P<l>\d{{1,4}}(?:\.\d{{1,4}})?)\s{{0,3}}(?:[{DASH}]|to|,)\s{{0,3}}(?P<u>\d{{1,5}}(?:\.\d{{1,4}})?)"
    rf"(?!\s{{0,2}}(?:months|years|days|weeks|%|mg|kg))"
)
_LEVEL = re.compile(r"(95|90|99)\s?%")
_CELL_RATIO = re.compile(
    rf"^\s*(?P<e>\d{{1,4}}(?:\.\d{{1,4}})?)\s{{0,3}}\(\s{{0,2}}(?P<l>\d{{1,4}}(?:\.\d{{1,4}})?)"
    rf"\s{{0,3}}(?:[{DASH}]|to|,)\s{{0,3}}(?P<u>\d{{1,5}}(?:\.\d{{1,4}})?)\s{{0,2}}\)\s*$"
)
_CELL_CI = re.compile(
    rf"^\s*(?P<l>\d{{1,4}}(?:\.\d{{1,4}})?)\s{{0,3}}(?:[{DASH}]|to|,)\s{{0,3}}(?P<u>\d{{1,5}}(?:\.\d{{1,4}})?)\s*$"
)
_CELL_NUM = re.compile(r"^\s*(?P<n>\d{1,4}(?:\.\d{1,4})?)\s*$")
_CELL_P = re.compile(r"^\s*(?P<op><=|>=|<|>|=|\u2264|\u2265)?\s{0,2}(?P<p>\d{0,3}\.?\d{1,6})\s*$")
_P_LABEL = re.compile(r"^\s*(?:p|p[\s-]{0,2}values?|sig\.?)\s*$", re.IGNORECASE)
_RATIO_LABEL = re.compile(r"\b(?:HRs?|ORs?|RRs?|aHR|aOR|hazard|odds|ratio)", re.IGNORECASE)
# differences (SMD, MD, beta) are on a linear scale: the log-scale check does not apply
_NOT_RATIO = re.compile(r"differen|\bS?MD\b|\bmean\b|\bbeta\b|\u03b2|coefficient", re.IGNORECASE)


@dataclass(frozen=True)
class RatioReport:
    """One ratio with its CI (and p when reported), as read from a sentence or a table row."""

    report: str
    est: Reported
    lower: Reported
    upper: Reported
    level: float
    p: Reported | None
    p_op: str
    start: int  # original offsets
    end: int
    quote: str
    where: str
    label: str


def _clean(text: str) -> str:
    return text.replace("$", "").replace("\u2212", "-").strip()


def ratios_in_text(doc: Document) -> list[RatioReport]:
    """Ratios with a CI (and the p next to them) in the running text of ``doc``."""
    out: list[RatioReport] = []
    name = report_name(doc)
    text = doc.text
    for sent in sentences(text):
        if in_references(doc, sent.start):
            continue
        triples = []
        for m in _RATIO_TEXT.finditer(text, sent.start, sent.end):
            kw = None
            for k in _KEYWORD.finditer(text, sent.start, m.start("e")):
                kw = k
            if kw is None:
                continue
            if re.search(r"[A-Za-z]", m.group("gap")):
                continue
            level = float(_LEVEL.search(m.group("gap")).group(1)) / 100
            triples.append((m, level))
        if not triples:
            continue
        pvals = list(P_VALUE.finditer(text, sent.start, sent.end))
        assigned = _assign_p(triples, pvals, text)
        for i, (m, level) in enumerate(triples):
            pm = assigned.get(i)
            start = m.start("e")
            end = m.end("u")
            if pm is not None:
                start, end = min(start, pm.start()), max(end, pm.end())
            # widen to the opening keyword when it is close (so the quote names the measure)
            if start == m.start("e"):
                floor = max(sent.start, start - 40, text.rfind(")", sent.start, start) + 1)
                kw_pos = [k.start() for k in _KEYWORD.finditer(text, floor, start)]
                if kw_pos:
                    start = kw_pos[-1]
            ostart, oend, quote = quote_span(doc, start, end)
            out.append(
                RatioReport(
                    report=name,
                    est=Reported.parse(m.group("e")),
                    lower=Reported.parse(m.group("l")),
                    upper=Reported.parse(m.group("u")),
                    level=level,
                    p=p_reported(pm) if pm is not None else None,
                    p_op=OPS[pm.group("op")] if pm is not None else "",
                    start=ostart,
                    end=oend,
                    quote=quote,
                    where=location(doc, start),
                    label=text[sent.start : sent.end],
                )
            )
    return out


def _enclosing_paren(text: str, pos: int, floor: int) -> int | None:
    """Index of the unmatched '(' before ``pos`` (not before ``floor``), or None."""
    depth = 0
    for i in range(pos - 1, max(floor, pos - 300) - 1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                return i
            depth -= 1
    return None


def _assign_p(triples, pvals, text: str = "", max_gap: int = 40) -> dict[int, re.Match]:
    """Give each ratio the closest p-value in its sentence (each p used once, gap <= max_gap).

    A ratio written inside parentheses, "P = 0.001 (OR = 1.77, 95% CI 1.26-2.48), P = 0.006",
    takes a p from inside its parentheses or the one just before them, never one after them.
    """
    pairs = []
    for j, pm in enumerate(pvals):
        best = None
        for i, (m, _) in enumerate(triples):
            if text:
                op = _enclosing_paren(text, m.start("e"), max(0, m.start("e") - 300))
                if op is not None:
                    close = text.find(")", m.end("u"), m.end("u") + 80)
                    inside = op < pm.start() and (close == -1 or pm.end() <= close)
                    before = pm.end() <= op and op - pm.end() <= 3
                    if not (inside or before):
                        continue
            if pm.start() >= m.end("u"):
                gap = pm.start() - m.end("u")
            elif pm.end() <= m.start("e"):
                gap = m.start("e") - pm.end()
            else:
                gap = 0
            if best is None or gap < best[0]:
                best = (gap, i)
        if best is not None and best[0] <= max_gap:
            pairs.append((best[0], best[1], j))
    out: dict[int, re.Match] = {}
    used: set[int] = set()
    for _gap, i, j in sorted(pairs):
        if i in out or j in used:
            continue
        out[i] = pvals[j]
        used.add(j)
    return out


def ratios_in_tables(doc: Document) -> list[RatioReport]:
    """Ratios with CIs in tables: 'est (L-U)' cells, or separate estimate and CI columns; the p
    comes from a P column of the same row (same column group when the table has groups)."""
    out: list[RatioReport] = []
    for table in doc.tables:
        caption = f"{table.label} {table.caption}"
        rows: dict[int, list[TableCell]] = {}
        for c in table.cells:
            rows.setdefault(c.row, []).append(c)
        p_cols = sorted({c.col for c in table.cells if _P_LABEL.match(_clean(c.col_label) or "x")})
        for cells in rows.values():
            cells = sorted(cells, key=lambda c: c.col)
            by_col = {c.col: c for c in cells}
            for c in cells:
                text = _clean(c.text)
                m = _CELL_RATIO.match(text)
                ci_cell = None
                if m is None:
                    if not _CELL_NUM.match(text) or not re.search(
                        r"\b(?:HR|OR|RR)\b|ratio", c.col_label, re.IGNORECASE
                    ):
                        continue
                    ci_cell = next(
                        (
                            o
                            for o in cells
                            if o.col > c.col
                            and re.search(r"\bCI\b|confidence", o.col_label, re.IGNORECASE)
                            and _CELL_CI.match(_clean(o.text))
                        ),
                        None,
                    )
                    if ci_cell is None:
                        continue
                    cm = _CELL_CI.match(_clean(ci_cell.text))
                    e, lo, hi = _clean(c.text), cm.group("l"), cm.group("u")
                else:
                    labels = c.col_label + " " + c.col_group
                    if _NOT_RATIO.search(labels) or not (
                        _RATIO_LABEL.search(labels)
                        or re.search(r"hazard|odds|Cox|logistic", caption, re.IGNORECASE)
                    ):
                        continue
                    e, lo, hi = m.group("e"), m.group("l"), m.group("u")
                p_cell = _table_p_cell(c, by_col, p_cols)
                pm = _CELL_P.match(_clean(p_cell.text)) if p_cell is not None else None
                spans = [c] + ([ci_cell] if ci_cell else []) + ([p_cell] if pm else [])
                start = min(s.start for s in spans)
                end = max(s.end for s in spans)
                level_m = _LEVEL.search(c.col_label + " " + (ci_cell.col_label if ci_cell else ""))
                out.append(
                    RatioReport(
                        report=report_name(doc),
                        est=Reported.parse(e),
                        lower=Reported.parse(lo),
                        upper=Reported.parse(hi),
                        level=float(level_m.group(1)) / 100 if level_m else 0.95,
                        p=Reported.parse(pm.group("p")) if pm else None,
                        p_op=OPS.get(pm.group("op") or "=", "=") if pm else "",
                        start=start,
                        end=end,
                        quote=doc.original[start:end],
                        where=table.label or "table",
                        label=" / ".join(x for x in (c.row_group, c.row_label, c.col_group) if x),
                    )
                )
    return out


def _table_p_cell(cell: TableCell, by_col: dict[int, TableCell], p_cols: list[int]):
    if not p_cols:
        return None
    if cell.col_group:
        same = [c for c in p_cols if c in by_col and by_col[c].col_group == cell.col_group]
        if same:
            return by_col[min(same, key=lambda c: abs(c - cell.col))]
    # no groups: P columns all precede or all follow their estimate columns
    left = [c for c in p_cols if c < cell.col]
    right = [c for c in p_cols if c > cell.col]
    first_p_before_first_est = (
        p_cols[0] < cell.col
        if not right
        else p_cols[0] < min(c for c in by_col if c not in p_cols and c > 0)
    )
    chosen = left[-1] if (left and first_p_before_first_est) else (right[0] if right else None)
    return by_col.get(chosen) if chosen is not None else None


def p_range_from_ci(est: Reported, lower: Reported, upper: Reported, level: float = 0.95):
    """Smallest and largest two-sided Wald p that true values within rounding can give.

    Returns ``(p_min, p_max, p_point)`` where ``p_point`` uses the numbers as printed.
    """
    zc = stats.norm.ppf(1 - (1 - level) / 2)
    tiny = 1e-12
    e_lo, e_hi = max(est.lo, tiny), max(est.hi, tiny)
    l_lo, l_hi = max(lower.lo, tiny), max(lower.hi, tiny)
    u_lo, u_hi = max(upper.lo, tiny), max(upper.hi, tiny)
    if e_lo <= 1.0 <= e_hi:
        a_min = 0.0
    else:
        a_min = min(abs(math.log(e_lo)), abs(math.log(e_hi)))
    a_max = max(abs(math.log(e_lo)), abs(math.log(e_hi)))
    se_min = (math.log(u_lo) - math.log(l_hi)) / (2 * zc)
    se_max = (math.log(u_hi) - math.log(l_lo)) / (2 * zc)
    p_min = 0.0 if se_min <= 0 else 2 * stats.norm.sf(a_max / se_min)
    p_max = 2 * stats.norm.sf(a_min / se_max) if se_max > 0 else 1.0
    se = (math.log(upper.value) - math.log(lower.value)) / (2 * zc)
    p_point = 2 * stats.norm.sf(abs(math.log(est.value)) / se) if se > 0 else float("nan")
    return p_min, p_max, p_point


def asymmetry_residual(est: Reported, lower: Reported, upper: Reported) -> float:
    """Smallest ``|ln u + ln l - 2 ln e|`` over true values within rounding (0 if symmetric is
    reachable)."""
    tiny = 1e-12
    d_min = math.log(max(upper.lo, tiny)) + math.log(max(lower.lo, tiny)) - 2 * math.log(est.hi)
    d_max = math.log(upper.hi) + math.log(lower.hi) - 2 * math.log(max(est.lo, tiny))
    if d_min <= 0 <= d_max:
        return 0.0
    return min(abs(d_min), abs(d_max))


def check_ratio(r: RatioReport) -> list[Finding]:
    """Findings for one ratio report (empty when it is consistent)."""
    base = dict(
        report=r.report,
        source_start=r.start,
        source_end=r.end,
        source_quote=r.quote,
        location=r.where,
    )
    values = {
        "estimate": r.est.text,
        "ci_lower": r.lower.text,
        "ci_upper": r.upper.text,
        "ci_level": r.level,
    }
    if r.p is not None:
        values["p"] = f"{r.p_op} {r.p.text}".strip()
    if r.lower.value > r.upper.value:
        return [
            Finding(
                check="impossible",
                severity="error",
                message=f"CI lower bound {r.lower} is above the upper bound {r.upper}.",
                values=values,
                recomputed="compared the bounds",
                **base,
            )
        ]
    if r.lower.value <= 0:
        return [
            Finding(
                check="impossible",
                severity="error",
                message=f"a ratio's CI cannot have a lower bound of {r.lower} (ratios are > 0).",
                values=values,
                recomputed="ratios are positive",
                **base,
            )
        ]
    if r.est.hi < r.lower.lo or r.est.lo > r.upper.hi:
        return [
            Finding(
                check="ratio_ci",
                severity="error",
                message=f"the estimate {r.est} lies outside its own CI {r.lower}-{r.upper}.",
                values=values,
                recomputed="compared estimate with CI, allowing rounding",
                **base,
            )
        ]
    out: list[Finding] = []
    width = math.log(r.upper.value) - math.log(r.lower.value)
    resid = asymmetry_residual(r.est, r.lower, r.upper)
    if width > 0 and resid > ASYMMETRY_SLACK * width:
        left = math.log(r.est.value) - math.log(r.lower.value)
        right = math.log(r.upper.value) - math.log(r.est.value)
        out.append(
            Finding(
                check="ratio_ci",
                severity="warning",
                message=(
                    f"the CI {r.lower}-{r.upper} is not symmetric around {r.est} on the log scale "
                    f"(log distances {left:.3f} below, {right:.3f} above); rounding cannot explain "
                    "it: check for a typo or a non-Wald interval."
                ),
                values=values,
                recomputed=(
                    f"smallest |ln U + ln L - 2 ln est| within rounding = {resid:.4f} > "
                    f"{ASYMMETRY_SLACK} x ln(U/L) = {ASYMMETRY_SLACK * width:.4f}"
                ),
                **base,
            )
        )
    if r.p is None:
        return out
    p_min, p_max, p_point = p_range_from_ci(r.est, r.lower, r.upper, r.level)
    lo, hi = p_interval(r.p_op, r.p)
    eps = 1e-9
    if p_max < lo - eps or p_min > hi + eps or (r.p_op == "<" and p_min >= r.p.value):
        rep_sig = hi < 0.05 or (r.p_op == "<" and r.p.value <= 0.05)
        decision = (rep_sig and p_min >= 0.05) or (lo >= 0.05 and p_max < 0.05)
        sev = "error" if decision else "warning"
        out.append(
            Finding(
                check="ratio_p",
                severity=sev,
                message=(
                    f"p {r.p_op} {r.p} does not match {r.est} ({r.lower}-{r.upper}): a Wald test "
                    f"gives p = {p_point:.3g} (between {p_min:.3g} and {p_max:.3g} for any true values "
                    "within rounding)"
                    + ("; the two disagree about significance at 0.05." if sev == "error" else ".")
                ),
                values=values,
                recomputed=(
                    f"se = (ln U - ln L)/(2*{stats.norm.ppf(1 - (1 - r.level) / 2):.3f}), z = |ln est|/se, "
                    f"p = 2(1 - Phi(z)) = {p_point:.4g}; range over rounding [{p_min:.4g}, {p_max:.4g}]; "
                    f"reported allows [{lo:.4g}, {hi:.4g}]"
                ),
                **base,
            )
        )
    return out


def check_ratios(doc: Document) -> list[Finding]:
    """Ratio/CI/p consistency for every ratio found in the text and tables of ``doc``."""
    out: list[Finding] = []
    for r in ratios_in_text(doc) + ratios_in_tables(doc):
        out.extend(check_ratio(r))
    return out
