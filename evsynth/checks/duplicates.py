"""The same thing reported twice with different numbers, inside a paper or across its reports.

* Group sizes: "the low-dose A group (n = 45)" in one sentence and "(n = 46)" in another. When
  the two sentences describe the same comparison (the other group has the same n in both, e.g.
  "the non-A group (n = 49)") the finding is a warning; otherwise it is info (different analysis
  sets, e.g. the patients evaluable at day 30, legitimately have other sizes).
* Percentages in the text and in a table: "84.8% (38/45) ... high-risk" against the table row
  "High-risk ..., 38 (84.4)"; "overall response rates were 93.45% for condition B ... (Table 2)" against
  the row "condition B resolution rate 95.45%". Matching is by the row's label appearing in the sentence
  and the same count (or, for a lone percentage, the label after "for"). Warning.
* Results in the evidence table: rows of one study (one report or several reports of it) with
  the same intervention, dose, outcome, analysis and measure but different estimates or CIs, e.g.
  a multivariable HR of 0.45 (0.21-0.96) in the abstract and 0.37 (0.16-0.84) in the results and
  Table 5. Warning, naming every place each version appears.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from evsynth.checks.findings import Finding
from evsynth.checks.numbers import (
    Reported,
    in_references,
    location,
    paragraphs,
    quote_span,
    report_name,
    sentences,
)
from evsynth.checks.percents import PercentReport, percents_in_tables, percents_in_text
from evsynth.reading.document import Document

_GROUP_N = re.compile(r"\bgroups?\s{0,2}\(\s{0,2}[nN]\s{0,2}=\s{0,2}(?P<n>\d{1,6})")
_LEAD_STOP = {
    "the",
    "a",
    "an",
    "in",
    "for",
    "of",
    "to",
    "than",
    "and",
    "compared",
    "with",
    "vs",
    "versus",
    "between",
    "both",
    "did",
    "that",
    "this",
    "those",
    "these",
    "on",
    "from",
    "into",
    "whole",
    "each",
}
_PCT_FOR = re.compile(
    r"(?P<pct>\d{1,3}(?:\.\d{1,4})?)\s?%\s{1,2}for\s{1,2}(?:the\s{1,2})?(?P<label>[A-Za-z][\w-]{1,25})"
)
_LONE_PCT = re.compile(r"^\s*(?P<pct>\d{1,3}(?:\.\d{1,4})?)\s?%\s*$")
_LABEL_TAIL = re.compile(r",?\s*(?:n|no\.?|N)\s*\(%\)\s*$|\s*\(%\)\s*$|,\s*n\s*$", re.IGNORECASE)


def check_duplicates(doc: Document) -> list[Finding]:
    """Within-report duplicates that need no evidence table: group sizes and percentages."""
    return _group_sizes(doc) + _text_vs_table_percents(doc) + _lone_percents(doc)


# ------------------------------------------------------------------------------- group sizes
def _group_mentions(doc: Document):
    text = doc.text
    out = []  # (name, n, norm_start, norm_end, sentence index)
    for si, s in enumerate(sentences(text)):
        if in_references(doc, s.start):
            continue
        for m in _GROUP_N.finditer(text, s.start, s.end):
            before = text[max(s.start, m.start() - 80) : m.start()]
            before = re.sub(r"\([^()]{0,40}\)", " ", before)  # drop "(≤8 mg/kg)"
            words = re.findall(r"[\w≤≥<>+\-/]{1,30}", before)
            name_words: list[str] = []
            for w in reversed(words[-4:]):
                if w.lower() in _LEAD_STOP:
                    break
                name_words.insert(0, w)
            if not name_words:
                continue
            name = " ".join(name_words)
            start = (
                m.start()
                - len(text[max(s.start, m.start() - 80) : m.start()])
                + (text[max(s.start, m.start() - 80) : m.start()].rfind(name_words[0]))
            )
            close = text.find(")", m.end(), min(s.end, m.end() + 30))
            end = close + 1 if close != -1 else m.end()
            out.append((name, int(m.group("n")), max(s.start, start), end, si))
    return out


MAX_SIZES_PER_GROUP = 8  # distinct sizes compared per group name (pathological inputs)


def _group_sizes(doc: Document) -> list[Finding]:
    mentions = _group_mentions(doc)
    by_sentence: dict[int, list] = {}
    for m in mentions:
        by_sentence.setdefault(m[4], []).append(m)

    def partners(m):
        return {(o[0].lower(), o[1]) for o in by_sentence[m[4]] if o[0].lower() != m[0].lower()}

    by_name: dict[str, dict[int, list]] = {}
    for m in mentions:
        by_name.setdefault(m[0].lower(), {}).setdefault(m[1], []).append(m)
    out = []
    name = report_name(doc)
    for sizes in by_name.values():
        ns = list(sizes)[:MAX_SIZES_PER_GROUP]
        for i, na in enumerate(ns):
            for nb in ns[i + 1 :]:
                a, b, shared = sizes[na][0], sizes[nb][0], set()
                for ma in sizes[na]:
                    for mb in sizes[nb]:
                        common = partners(ma) & partners(mb)
                        if common:
                            a, b, shared = ma, mb, common
                            break
                    if shared:
                        break
                out.append(_group_size_finding(doc, name, a, b, shared, by_sentence))
    return out


def _group_size_finding(doc, name, a, b, shared, by_sentence) -> Finding:
    sev = "warning" if shared else "info"
    why = "; possibly different analysis sets"
    if shared:
        key = sorted(shared)[0]
        partner = next(
            ((m[0], m[1]) for m in by_sentence[a[4]] if m[0].lower() == key[0] and m[1] == key[1]),
            key,
        )
        why = (
            f"; both sentences compare it with the {partner[0]} group (n = {partner[1]}), "
            "so they describe the same comparison"
        )
    qa = quote_span(doc, a[2], a[3])
    qb = quote_span(doc, b[2], b[3])
    return Finding(
        report=name,
        check="group_size",
        severity=sev,
        message=(
            f"the {a[0]} group has n = {a[1]} here but n = {b[1]} at offset {qb[0]} "
            f"({qb[2]!r}){why}."
        ),
        source_start=qa[0],
        source_end=qa[1],
        source_quote=qa[2],
        location=location(doc, a[2]),
        values={"group": a[0], "n": a[1], "other_n": b[1]},
        recomputed="compared every '<name> group (n = k)' of the report",
        related=f"{name}@{qb[0]}-{qb[1]}: {qb[2]!r}",
    )


# ------------------------------------------------------------------- text vs table percents
def _clean_label(label: str) -> str:
    label = _LABEL_TAIL.sub("", label).strip()
    return re.sub(r"\s*\((?:%|\d{1,3}%)\)\s*$", "", label).strip()


def _text_vs_table_percents(doc: Document) -> list[Finding]:
    text_reports = [r for r in percents_in_text(doc)]
    table_reports = percents_in_tables(doc)
    out = []
    for t in text_reports:
        sentence = t.context.lower()
        candidates: dict[str, list[PercentReport]] = {}
        for c in table_reports:
            label = _clean_label(c.context.split(" / ")[-1])
            if c.k != t.k or len(label) < 3:
                continue
            if not re.search(r"(?<!\w)" + re.escape(label.lower()) + r"(?!\w)", sentence):
                continue
            candidates.setdefault(label, []).append(c)
        for label, cells in candidates.items():
            if any(_overlap(t.pct, c.pct) for c in cells):
                continue
            same_n = [c for c in cells if t.source == "parenthesis" and c.column_n == t.n]
            c = (same_n or sorted(cells, key=lambda c: -(c.column_n or 0)))[0]
            if t.source == "parenthesis" and c.column_n not in (None, t.n):
                continue
            out.append(
                Finding(
                    report=t.report,
                    check="duplicate",
                    severity="warning",
                    message=(
                        f"the text gives {t.k} as {t.pct}% but {c.where} gives the same count "
                        f"for '{label}' as {c.pct}% ({c.quote!r})."
                    ),
                    source_start=t.start,
                    source_end=t.end,
                    source_quote=t.quote,
                    location=t.where,
                    values={
                        "count": t.k,
                        "text_percent": t.pct.text,
                        "table_percent": c.pct.text,
                        "label": label,
                    },
                    recomputed=(
                        f"100 x {t.k}/{c.column_n} = {100 * t.k / c.column_n:.2f}%"
                        if c.column_n
                        else "compared the two percentages"
                    ),
                    related=f"{c.where}@{c.start}-{c.end}: {c.quote!r}",
                )
            )
    return out


def _overlap(a: Reported, b: Reported) -> bool:
    """True if some true value prints as both numbers (touching interval ends do not count: two
    different numbers printed with the same decimals never overlap)."""
    return a.lo < b.hi - 1e-9 and b.lo < a.hi - 1e-9


def _lone_percents(doc: Document) -> list[Finding]:
    """'93.45% for condition B ... (Table 2)' against the Table 2 row labelled '... condition B ...' with a lone
    percentage; only when the row is the one such row with that label."""
    text = doc.text
    out = []
    name = report_name(doc)
    for table in doc.tables:
        if not table.label:
            continue
        lone = [c for c in table.cells if _LONE_PCT.match(c.text)]
        if not lone:
            continue
        cite = re.compile(r"\b" + re.escape(table.label).replace(r"\ ", r"\s{1,2}") + r"\b", re.I)
        for para in paragraphs(text):
            if not cite.search(text, para.start, para.end):
                continue
            for m in _PCT_FOR.finditer(text, para.start, para.end):
                label = m.group("label")
                rx = re.compile(r"(?<!\w)" + re.escape(label) + r"(?!\w)")
                rows = [c for c in lone if rx.search(c.row_label)]
                if len(rows) != 1:
                    continue
                c = rows[0]
                tp = Reported.parse(m.group("pct"))
                cp = Reported.parse(_LONE_PCT.match(c.text).group("pct"))
                if _overlap(tp, cp):
                    continue
                ostart, oend, quote = quote_span(doc, m.start(), m.end())
                out.append(
                    Finding(
                        report=name,
                        check="duplicate",
                        severity="warning",
                        message=(
                            f"the text gives {tp}% for {label} and cites {table.label}, where the "
                            f"row '{c.row_label}' shows {cp}%: the same rate reported twice with "
                            "different numbers (or a mislabelled rate)."
                        ),
                        source_start=ostart,
                        source_end=oend,
                        source_quote=quote,
                        location=location(doc, m.start()),
                        values={
                            "text_percent": tp.text,
                            "table_percent": cp.text,
                            "table_row": c.row_label,
                        },
                        recomputed=f"|{tp.value} - {cp.value}| = {abs(tp.value - cp.value):.2f} points",
                        related=f"{table.label}@{c.start}-{c.end}: {c.text!r}",
                    )
                )
    return out


# --------------------------------------------------------------- results in the evidence table
_DOSE = re.compile(r"(?P<op>≤|≥|<=|>=|<|>)\s{0,2}(?P<v>\d{1,4}(?:\.\d{1,3})?)")


def _dose_signature(detail: str) -> str:
    m = _DOSE.search(detail or "")
    return f"{m.group('op')}{float(m.group('v')):g}" if m else ""


def _fmt_ratio(row) -> str:
    def f(x):
        return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:g}"

    return f"{row['measure']} {f(row['estimate'])} ({f(row['ci_lower'])}-{f(row['ci_upper'])})"


def _num_rx(x) -> str:
    return re.escape(f"{float(x):g}") + "0{0,3}"


def _narrow_quote(row) -> dict:
    """The evidence row's span, narrowed to the estimate and its CI (and an opening '(' or
    keyword just before) when the extractor quoted a longer passage."""
    start, end, quote = int(row["source_start"]), int(row["source_end"]), str(row["source_quote"])
    try:
        rx = re.compile(
            r"(?<![\d.])"
            + _num_rx(row["estimate"])
            + r".{1,60}?"
            + _num_rx(row["ci_lower"])
            + r"\D{1,6}"
            + _num_rx(row["ci_upper"])
            + r"(?![\d])"
        )
    except (TypeError, ValueError):
        return dict(source_start=start, source_end=end, source_quote=quote)
    m = rx.search(quote)
    if m is None or len(quote) <= 120:
        return dict(source_start=start, source_end=end, source_quote=quote)
    lead = quote.rfind("(", max(0, m.start() - 30), m.start())
    kw = list(
        re.finditer(
            r"\b(?:HR|OR|RR|hazard ratio|odds ratio)\b", quote[max(0, m.start() - 30) : m.start()]
        )
    )
    a = lead if lead != -1 else (max(0, m.start() - 30) + kw[-1].start() if kw else m.start())
    return dict(source_start=start + a, source_end=start + m.end(), source_quote=quote[a : m.end()])


def check_evidence_duplicates(evidence: pd.DataFrame) -> list[Finding]:
    """Same result (study, intervention, dose, outcome, analysis, measure, timepoint) with
    different estimates or CIs, within one report or across reports of one study."""
    need = {
        "study_id",
        "report",
        "intervention",
        "intervention_detail",
        "outcome",
        "measure",
        "analysis",
        "estimate",
        "ci_lower",
        "ci_upper",
        "source_start",
        "source_end",
        "source_quote",
        "section",
        "table",
    }
    if evidence is None or len(evidence) == 0 or not need <= set(evidence.columns):
        return []
    ev = evidence[
        evidence["measure"].isin(["HR", "OR", "RR"])
        & evidence["estimate"].notna()
        & (evidence["intervention"].fillna("") != "")
    ].copy()
    if ev.empty:
        return []
    ev["_dose"] = ev["intervention_detail"].fillna("").map(_dose_signature)
    ev["_tp"] = ev["timepoint"].fillna("") if "timepoint" in ev else ""
    out = []
    keys = ["study_id", "intervention", "outcome", "analysis", "measure", "_tp"]
    for key, grp in ev.groupby(keys, dropna=False, sort=False):
        doses = {d for d in grp["_dose"] if d}
        for dose in doses or {""}:
            sub = grp[(grp["_dose"] == dose) | (grp["_dose"] == "")]
            versions: dict[tuple, list] = {}
            for row in sub.to_dict("records"):
                v = tuple(
                    round(float(row[c]), 6) if pd.notna(row[c]) else None
                    for c in ("estimate", "ci_lower", "ci_upper")
                )
                versions.setdefault(v, []).append(row)
            out.extend(_p_disagreements(key, versions))
            if len(versions) < 2:
                continue
            per_report = [
                (v, [r for r in rows if r["report"] == rep])
                for v, rows in versions.items()
                for rep in dict.fromkeys(r["report"] for r in rows)
            ]
            for v, rows in per_report:
                first = rows[0]
                others = [(ov, orows) for ov, orows in versions.items() if ov != v]
                where = lambda r: f"{r['report']} {r['table'] or r['section']}".strip()  # noqa: E731
                other_txt = "; ".join(
                    f"{_fmt_ratio(orows[0])} in "
                    + ", ".join(dict.fromkeys(where(r) for r in orows))
                    for ov, orows in others
                )
                here = ", ".join(dict.fromkeys(where(r) for r in versions[v]))
                reports = {r["report"] for r in versions[v]} | {
                    r["report"] for _, o in others for r in o
                }
                scope = "across reports of the same study" if len(reports) > 1 else "in one report"
                detail = first.get("intervention_detail") or dose or first["intervention"]
                out.append(
                    Finding(
                        report=first["report"],
                        check="duplicate",
                        severity="warning",
                        message=(
                            f"{key[4]} for {detail} on {key[2]} ({key[3] or 'analysis not stated'}) "
                            f"is {_fmt_ratio(first)} in {here} but {other_txt} ({scope}, "
                            f"study {key[0]}): the same result cannot have both values."
                        ),
                        **_narrow_quote(first),
                        location=str(first["table"] or first["section"]),
                        values={
                            "study_id": key[0],
                            "intervention": key[1],
                            "outcome": key[2],
                            "analysis": key[3],
                            "estimate": v[0],
                            "ci_lower": v[1],
                            "ci_upper": v[2],
                        },
                        recomputed="grouped evidence rows by study, intervention, dose, outcome, "
                        "analysis and measure; compared estimates and CIs",
                        related=other_txt,
                    )
                )
    return out


def _p_disagreements(key, versions) -> list[Finding]:
    """The same estimate and CI reported with two different p-values."""
    out = []
    for v, rows in versions.items():
        with_p = [r for r in rows if "p_value" in r and pd.notna(r["p_value"])]
        ps = {round(float(r["p_value"]), 9) for r in with_p}
        if len(ps) < 2:
            continue
        first = with_p[0]
        others = [
            r for r in with_p if round(float(r["p_value"]), 9) != round(float(first["p_value"]), 9)
        ]
        where = ", ".join(
            f"p = {r['p_value']:g} in {r['report']} {r['table'] or r['section']}".strip()
            for r in others
        )
        out.append(
            Finding(
                report=first["report"],
                check="duplicate",
                severity="warning",
                message=(
                    f"{_fmt_ratio(first)} for {key[1]} on {key[2]} has p = {first['p_value']:g} here "
                    f"but {where}: the same result with two p-values."
                ),
                **_narrow_quote(first),
                location=str(first["table"] or first["section"]),
                values={
                    "estimate": v[0],
                    "ci_lower": v[1],
                    "ci_upper": v[2],
                    "p_values": sorted(ps),
                },
                recomputed="compared the p-values of evidence rows with the same estimate and CI",
                related=where,
            )
        )
    return out


# ------------------------------------------------------------------------------- across studies
def check_studies(studies: pd.DataFrame) -> list[Finding]:
    """Duplicate reports and possibly overlapping cohorts, from the evidence table's studies."""
    out = []
    if studies is None or len(studies) == 0:
        return out
    for row in studies.to_dict("records"):
        dup = str(row.get("duplicate_of") or "").strip()
        ov = str(row.get("overlap_flag") or "").strip()
        reports = [r for r in str(row.get("reports") or "").split(";") if r]
        first = reports[0] if reports else str(row.get("study_id"))
        if dup:
            out.append(
                Finding(
                    report=first,
                    check="same_study",
                    severity="warning",
                    message=(
                        f"study {row['study_id']} arrives as {len(reports)} reports "
                        f"({', '.join(reports)}): {dup}. Count it once when pooling, and "
                        "resolve any numbers the reports disagree on."
                    ),
                    source_start=0,
                    source_end=0,
                    source_quote="",
                    location="study",
                    values={"study_id": row["study_id"], "reports": reports},
                    recomputed="evidence table's duplicate-report detection",
                    related="; ".join(reports[1:]),
                )
            )
        if ov:
            out.append(
                Finding(
                    report=first,
                    check="overlap",
                    severity="warning",
                    message=(
                        f"study {row['study_id']} ({', '.join(reports)}): {ov}. A reviewer must "
                        "decide whether the cohorts overlap before pooling both."
                    ),
                    source_start=0,
                    source_end=0,
                    source_quote="",
                    location="study",
                    values={
                        "study_id": row["study_id"],
                        "registrations": row.get("registrations", ""),
                        "centre": row.get("centre", ""),
                        "enrolment": row.get("enrolment", ""),
                    },
                    recomputed="evidence table's cohort-overlap detection (centre, registrations, "
                    "enrolment, authors)",
                    related=ov,
                )
            )
    return out
