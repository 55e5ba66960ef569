"""The synthesis report: Markdown and a self-contained HTML page (figures embedded, opens offline).

The report only formats what earlier stages computed; it computes no statistics.
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd

REPORT_SECTIONS = (
    "Question",
    "Pooled results",
    "Figures",
    "Studies",
    "Consistency findings",
    "Evidence table",
    "Analysis choices",
    "Reproduce",
)


def plain_language(row: pd.Series) -> str:
    """Read a pooled row's uncertainty in plain words.

    Says what the interval is compatible with rather than whether "p < 0.05", names the number of
    studies and, for k <= 3, that heterogeneity cannot be estimated reliably.
    """
    q = f"{row['intervention']} on {row['outcome']}"
    status = row.get("status")
    if status == "not pooled":
        return f"{q}: no study reports a poolable estimate; {row.get('reason') or ''}".strip()
    est, lo, hi = row.get("estimate"), row.get("ci_lower"), row.get("ci_upper")
    measure = row.get("measure") or "ratio"
    if est is None or pd.isna(est):
        return f"{q}: {row.get('reason') or 'no estimate'}"
    kind = "credible" if row.get("role") == "bayesian" else "confidence"
    text = (
        f"{q} ({row['analysis']}): {measure} {_fmt(float(est))} (95% {kind} interval "
        f"{_fmt(float(lo))} to {_fmt(float(hi))})"
    )
    if status == "single study":
        return (
            text
            + f", from a single study ({row['studies']}); this is that study's own estimate, not a pooled one."
        )
    if measure in ("HR", "OR", "RR"):
        events = {
            "OS": "death",
            "PFS": "progression or death",
            "LFS": "relapse or death",
            "EFS": "an event",
        }
        if measure == "HR":
            thing = f"hazard of {events.get(row['outcome'], row['outcome'])}"
        else:
            thing = f"{'odds' if measure == 'OR' else 'risk'} of {row['outcome']}"
        if lo < 1 < hi:
            if hi / lo > 50:
                text += (
                    ". The interval is too wide to be informative: the data are compatible with a "
                    "large benefit and a large harm alike"
                )
            else:
                upper = f"{(hi - 1) * 100:.0f}% higher" if hi < 2 else f"{hi:.1f}-fold"
                text += (
                    f". The data are compatible with anything from a {(1 - lo) * 100:.0f}% lower to a "
                    f"{upper} {thing}: they neither show nor rule out an effect"
                )
        elif hi < 1:
            text += f". The whole interval lies below 1: a lower {thing} with treatment"
        else:
            text += f". The whole interval lies above 1: a higher {thing} with treatment"
    prob = row.get("prob_below_1")
    if prob is not None and not pd.isna(prob):
        text += f"; posterior probability that the {measure} is below 1: {prob:.2f}"
    k = row.get("k")
    if k is not None and not pd.isna(k):
        k = int(k)
        text += f"; {k} studies"
        if k <= 3:
            text += ", too few to estimate between-study heterogeneity reliably"
    pi_lo, pi_hi = row.get("pi_lower"), row.get("pi_upper")
    if pi_lo is not None and not pd.isna(pi_lo) and not pd.isna(pi_hi):
        if math.isinf(pi_hi) or pi_hi > 1e6:
            text += "; the prediction interval for a new study is unbounded"
        else:
            text += (
                f"; a new study's effect could lie between {_fmt(float(pi_lo))} and "
                f"{_fmt(float(pi_hi))}"
            )
    return text + "."


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows, already computed."""

    title: str
    question: str
    studies: pd.DataFrame
    evidence: pd.DataFrame
    pooled: pd.DataFrame
    findings: pd.DataFrame
    choices: list[str]
    figures: dict[str, Path] = field(default_factory=dict)  # caption -> PNG path
    failures: pd.DataFrame | None = None
    reproduce: list[str] = field(default_factory=list)
    inputs: pd.DataFrame | None = None  # file, sha256
    versions: dict[str, str] = field(default_factory=dict)  # software -> version
    sof: pd.DataFrame | None = None  # question, certainty (a summary of findings, e.g. GRADE)
    protocol: list[str] | None = None  # the protocol in sentences; None: no protocol was given
    # section name -> blocks, shown after "Pooled results" (see manuscript_sections)
    manuscript: dict[str, list[tuple[str, object]]] = field(default_factory=dict)


_EVIDENCE_SHOWN = [
    "row_id",
    "study_id",
    "report",
    "intervention",
    "intervention_detail",
    "comparator",
    "outcome",
    "outcome_as_reported",
    "measure",
    "analysis",
    "estimate",
    "ci_lower",
    "ci_upper",
    "p_value",
    "events_int",
    "total_int",
    "events_ctl",
    "total_ctl",
    "mean_int",
    "sd_int",
    "mean_ctl",
    "sd_ctl",
    "source_quote",
]
#: columns shown only when some row fills them (arm means of continuous outcomes)
_SHOWN_WHEN_FILLED = ("mean_int", "sd_int", "mean_ctl", "sd_ctl")
_POOLED_SHOWN = [
    "question",
    "analysis",
    "status",
    "measure",
    "k",
    "estimate",
    "ci_lower",
    "ci_upper",
    "pi_lower",
    "pi_upper",
    "pvalue",
    "prob_below_1",
    "tau2",
    "i2",
    "studies",
]
_FINDINGS_SHOWN = ["study_id", "check", "severity", "message", "source_quote", "report"]


def _cols(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return frame[
        [
            c
            for c in cols
            if c in frame.columns and (c not in _SHOWN_WHEN_FILLED or frame[c].notna().any())
        ]
    ]


#: column name -> header a reader understands
HEADERS = {
    "row_id": "Row", "study_id": "Study", "report": "Report", "intervention": "Intervention",
    "intervention_detail": "Intervention detail", "comparator": "Comparator",
    "outcome": "Outcome", "outcome_as_reported": "Outcome as reported", "measure": "Measure",
    "estimate": "Estimate", "ci_lower": "CI lower", "ci_upper": "CI upper", "p_value": "p",
    "pvalue": "p", "events_int": "Events (treated)", "total_int": "N (treated)",
    "events_ctl": "Events (control)", "total_ctl": "N (control)", "source_quote": "Quote",
    "question": "Question", "analysis": "Analysis", "status": "Status", "k": "k",
    "pi_lower": "PI lower", "pi_upper": "PI upper", "prob_below_1": "P(ratio < 1)",
    "tau2": "\u03c4\u00b2", "i2": "I\u00b2 (%)", "studies": "Studies", "reason": "Reason",
    "check": "Check", "severity": "Severity", "message": "Finding", "reports": "Reports",
    "design": "Design", "n_total": "N", "centre": "Centre", "registrations": "Registration",
    "enrolment": "Enrolment", "doi": "DOI", "duplicate_of": "Duplicate of",
    "overlap_flag": "Overlap", "file": "File", "sha256": "sha256", "path": "Path",
}  # fmt: skip


def _header(col: object) -> str:
    return HEADERS.get(str(col), str(col).replace("_", " ").capitalize())


def _fmt(v) -> str:
    """A cell for reading: 3 significant digits, no "<NA>"/"nan"."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "\u221e" if v > 0 else "\u2212\u221e"
        if abs(v) >= 1e4 or (v != 0 and abs(v) < 0.001):
            return f"{v:.2g}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
        if abs(v) >= 100:
            return f"{v:.0f}"
        return f"{v:.3g}"
    return str(v)


def md_text(text: object) -> str:
    """Text from a paper made inert in Markdown: HTML special characters as entities (a title
    with ``<img onerror=...>`` must not run in a Markdown viewer), Markdown link, image and
    emphasis syntax backslash-escaped, line breaks as spaces."""
    t = html.escape(str(text), quote=False).replace("\n", " ").replace("\r", " ")
    return re.sub(r"([\\`*_\[\]!|#])", r"\\\1", t)


def _md_prose(text: object) -> str:
    """A paragraph or list item: escaped as :func:`md_text`, except `code spans` the report
    writes itself (commands), which stay code."""
    parts = re.split(r"(`[^`<>]{1,200}`)", str(text))
    return "".join(p if p.startswith("`") and p.endswith("`") else md_text(p) for p in parts)


def _md_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_(none)_\n"
    cols = list(frame.columns)
    out = ["| " + " | ".join(md_text(_header(c)) for c in cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        out.append("| " + " | ".join(md_text(_fmt(r[c])) for c in cols) + " |")
    return "\n".join(out) + "\n"


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p><em>(none)</em></p>"
    cols = list(frame.columns)
    if "source_quote" in cols:  # the quote beside its row, opened on demand
        cols.remove("source_quote")
        cols.insert(1, "source_quote")
    head = "".join(f"<th>{html.escape(_header(c))}</th>" for c in cols)
    body = []
    for _, r in frame.iterrows():
        cells = []
        for c in cols:
            text = html.escape(_fmt(r[c]))
            v = r[c]
            if c == "source_quote" and text:
                cells.append(
                    f"<td class='quote'><details><summary>quote</summary>{text}</details></td>"
                )
            elif c == "severity" and text:
                cells.append(f"<td class='sev-{html.escape(str(v))}'>{text}</td>")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f"<td class='num'>{text}</td>")
            else:
                cells.append(f"<td>{text}</td>")
        sev = str(r.get("severity", "")) if "severity" in cols else ""
        body.append(f"<tr class='row-{html.escape(sev)}'>" if sev else "<tr>")
        body[-1] += "".join(cells) + "</tr>"
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


_STUDY_SHOWN = [
    "study_id", "reports", "design", "n_total", "centre", "registrations", "enrolment", "doi",
    "duplicate_of", "overlap_flag",
]  # fmt: skip


def design_note(studies: pd.DataFrame) -> str:
    """What the studies' designs imply for reading the answers, from their ``design`` column.

    When no study is randomized, treatment was chosen by clinicians, so the treated differ from
    the untreated in ways that also change the outcome (confounding by indication): an
    association is not an effect of the treatment.
    """
    designs = [str(d).lower() for d in studies.get("design", pd.Series(dtype=str)) if str(d)]
    if not designs:
        return "The studies' designs were not found in the reports; judge confounding by hand."
    randomized = sum("random" in d for d in designs)
    observational = [d for d in designs if "random" not in d]
    retro = sum("retrospective" in d for d in observational)
    n = len(designs)
    if randomized == n:
        return f"All {n} studies are randomized: differences between arms are attributable to treatment, within the limits of each trial's conduct."
    if randomized == 0:
        kind = "retrospective" if retro == n else "observational (non-randomized)"
        return (
            f"None of the {n} studies is randomized (all {kind}): treatment was given by "
            "clinical decision, so treated and untreated patients differ in ways that also "
            "affect the outcome (confounding by indication, e.g. treatment given to those who "
            "were sicker). Read every estimate as an association, not as the effect of treatment."
        )
    return (
        f"{randomized} of {n} studies are randomized; the other {n - randomized} are observational, "
        "where confounding by indication can bias the estimates: compare the two kinds."
    )


def bottom_line(row: pd.Series, sof: pd.DataFrame | None = None) -> str:
    """One sentence per question: what the primary analysis allows one to say, with certainty."""
    q = f"{row['intervention']} on {row['outcome']}"
    lo, hi = row.get("ci_lower"), row.get("ci_upper")
    if row.get("status") == "not pooled" or lo is None or pd.isna(lo):
        text = f"{q}: no usable estimate; the question cannot be answered from these studies."
    elif lo < 1 < hi or (row.get("measure") == "RD" and lo < 0 < hi):
        text = f"{q}: the evidence neither shows nor rules out an effect."
    else:
        side = "lower" if hi <= 1 else "higher"
        text = f"{q}: a {side} {row.get('measure') or 'ratio'} with treatment (the whole interval lies on one side)."
    if row.get("status") == "single study":
        text = text[:-1] + f", from one study ({row.get('studies')})."
    if sof is not None and len(sof) and {"question", "certainty"} <= set(sof.columns):
        match = sof[sof["question"].astype(str) == str(row.get("question"))]
        if len(match):
            text += f" Certainty of the evidence: {match['certainty'].iloc[0]}."
    return text


def _findings_by_study(findings: pd.DataFrame, evidence: pd.DataFrame, studies: pd.DataFrame):
    """Findings with the study id of their report (file names are hashes, study ids are not)."""
    if "report" not in findings or "study_id" in findings:
        return findings
    names: dict[str, str] = {}
    if {"report", "study_id"} <= set(evidence.columns):
        names.update(dict(zip(evidence["report"], evidence["study_id"], strict=False)))
    if {"reports", "study_id"} <= set(studies.columns):
        for rep, sid in zip(studies["reports"], studies["study_id"], strict=False):
            for r in str(rep).split("; "):
                names.setdefault(r, sid)
    out = findings.copy()
    out.insert(0, "study_id", [names.get(str(r), str(r)) for r in out["report"]])
    return out


def _sections(inp: ReportInputs) -> dict[str, list[tuple[str, object]]]:
    """Each section's content as a list of (kind, payload): "p" text, "ul" items, "table" frame,
    "figures" dict, "pre" text. Markdown and HTML render the same content."""
    pooled = inp.pooled
    primary = pooled[pooled["role"] == "primary"]
    main = pooled[pooled["role"] != "sensitivity"]
    questions = set(pooled["intervention"]) if "intervention" in pooled else set()
    ev = inp.evidence
    bearing = ev[ev["intervention"].isin(questions)] if "intervention" in ev else ev
    other = ev.drop(index=bearing.index)
    findings = _findings_by_study(inp.findings, inp.evidence, inp.studies)
    if len(findings) and "severity" in findings:
        order = {"error": 0, "warning": 1, "info": 2}
        findings = findings.sort_values(
            ["study_id", "severity"], key=lambda c: c.map(order) if c.name == "severity" else c
        )
    studies = _cols(inp.studies, _STUDY_SHOWN)
    titles = [
        f"{r['study_id']}: {r['title']}"
        for _, r in inp.studies.iterrows()
        if str(r.get("title") or "")
    ]
    out: dict[str, list[tuple[str, object]]] = {
        "Question": [
            ("p", inp.question),
            ("p", design_note(inp.studies)),
            ("p", "Bottom line (primary analyses):"),
            ("ul", [bottom_line(r, inp.sof) for _, r in primary.iterrows()]),
            ("p", "At a glance (primary analyses; details under Pooled results):"),
            ("ul", [plain_language(r) for _, r in primary.iterrows()]),
        ],
        "Pooled results": [
            (
                "p",
                "Ratios on their natural scale; CI = 95% interval; PI = 95% prediction interval for a new study. "
                "Each question has a primary frequentist analysis and, where two studies can be pooled, a Bayesian one; "
                "the sensitivity analyses below show how much each analysis choice moves the answer.",
            ),
            ("ul", [plain_language(r) for _, r in main.iterrows()]),
            ("table", _cols(pooled, _POOLED_SHOWN)),
        ],
        "Figures": [("figures", inp.figures)],
        "Studies": [("table", studies), ("ul", titles)]
        + (
            [("p", "Files that could not be read:"), ("table", inp.failures)]
            if inp.failures is not None and len(inp.failures)
            else []
        ),
        "Consistency findings": [
            (
                "p",
                f"{len(findings)} finding(s): numbers in the papers that cannot all be true, or that a reviewer must resolve before pooling "
                "(duplicate reports, overlapping cohorts). Each quotes its source.",
            ),
            ("table", _cols(findings, _FINDINGS_SHOWN)),
        ],
        "Evidence table": [
            (
                "p",
                f"{len(ev)} extracted result(s). Every row points to the characters of its source "
                "(source_quote here; offsets in evidence.csv). Rows bearing on the questions:",
            ),
            ("table", _cols(bearing, _EVIDENCE_SHOWN)),
            (
                "p",
                "Other results the papers report (covariates, other treatments and outcomes), kept so that nothing is hidden:",
            ),
            ("table", _cols(other, _EVIDENCE_SHOWN)),
        ],
        "Analysis choices": [("ul", list(inp.choices))],
        "Reproduce": [
            ("p", "From a checkout of evsynth, in a shell (every argument is quoted):"),
            ("pre", "\n".join(inp.reproduce)),
        ]
        + (
            [("p", "Software: " + ", ".join(f"{k} {v}" for k, v in inp.versions.items()) + ".")]
            if inp.versions
            else []
        )
        + ([("p", "Inputs (sha256):"), ("table", inp.inputs)] if inp.inputs is not None else []),
    }
    if inp.manuscript:
        out = _after(out, "Pooled results", inp.manuscript)
    if inp.protocol is None:
        out = _without_protocol(out, ev)
    else:
        out = _with_protocol(out, inp.protocol)
    return out


_NO_PROTOCOL = (
    "No review protocol was given, so no question was asked and nothing was pooled. The evidence "
    "below is grouped by the arms as the papers name them. To synthesise it, write a protocol "
    "(interventions, comparators, outcomes and questions) with `evsynth init PAPERS --out "
    "protocol.yaml`, edit it, and run `evsynth run PAPERS --protocol protocol.yaml` "
    "(docs: Your own review)."
)
_ARMS_SHOWN = [
    "intervention_as_reported",
    "comparator_as_reported",
    "outcome_as_reported",
    "measure",
    "estimate",
    "ci_lower",
    "ci_upper",
    "events_int",
    "total_int",
    "events_ctl",
    "total_ctl",
    "p_value",
    "report",
    "row_id",
]


def arms_as_reported(evidence: pd.DataFrame) -> pd.DataFrame:
    """The comparative rows (ratios, two-arm counts, p-only comparisons) sorted by the arms as
    the papers name them: the evidence table of a run without a protocol."""
    if evidence.empty:
        return evidence.reindex(columns=_ARMS_SHOWN)
    comparative = evidence[
        evidence["measure"].isin(["HR", "OR", "RR", "p_only", "MD", "SMD", "ROM"])
        | ((evidence["measure"] == "counts") & evidence["events_ctl"].notna())
    ]
    arms = comparative.assign(
        _i=comparative["intervention_as_reported"].fillna("").str.lower(),
        _c=comparative["comparator_as_reported"].fillna("").str.lower(),
    ).sort_values(["_i", "_c", "report", "source_start"], kind="stable")
    return arms.reindex(columns=_ARMS_SHOWN).reset_index(drop=True)


def _without_protocol(out: dict, ev: pd.DataFrame) -> dict:
    """The report of a run without a protocol: says so, and lists the evidence by arm."""
    new = {"Question": [("p", _NO_PROTOCOL)]}
    new["Evidence by arms as reported"] = [
        (
            "p",
            "Comparative results (ratios, two-arm counts, p-value-only comparisons), sorted by "
            "the intervention and comparator arm as each paper writes them:",
        ),
        ("table", arms_as_reported(ev)),
    ]
    for k, v in out.items():
        if k not in ("Question", "Pooled results", "Figures"):
            new[k] = v
    return new


def _after(out: dict, key: str, extra: dict) -> dict:
    new = {}
    for k, v in out.items():
        new[k] = v
        if k == key:
            new.update(extra)
    return new


# ------------------------------------------------------------------ manuscript sections
def summary_of_findings_section(sof) -> list[tuple[str, object]]:
    """The GRADE summary-of-findings table (a :class:`evsynth.review.grade.SummaryOfFindings`)
    and each question's starting certainty and domain ratings, overrides marked."""
    from evsynth.review.grade import SOF_HEADERS

    shown = pd.DataFrame([sof.display_row(r) for _, r in sof.table.iterrows()], columns=SOF_HEADERS)
    details = sof.details()
    if len(details):
        details["override"] = details["override"].map({True: "reviewer's override", False: ""})
    return [
        (
            "p",
            "GRADE certainty per question (sof.csv; sof.docx to paste into a manuscript). "
            "Certainty starts high for randomised and low for observational evidence and is "
            "rated down per domain; every rating names its reason.",
        ),
        ("table", shown),
        ("ul", [f"{q}: certainty started {why}." for q, why in sof.start.items()]),
        ("p", "Every domain of every question:"),
        ("table", details),
    ]


def risk_of_bias_section(assessment, figures: dict[str, Path]) -> list[tuple[str, object]]:
    """The judgements per study and domain (overall by the tool's rule unless given) and the
    risk-of-bias figures."""
    j = assessment.judgements.copy()
    j["overall_given"] = j["overall_given"].map({True: "given", False: "tool's rule"})
    support = [
        f"{sid} {dom}: {quote}"
        for sid, doms in assessment.support.items()
        for dom, quote in doms.items()
        if quote
    ]
    blocks: list[tuple[str, object]] = [
        (
            "p",
            f"{assessment.tool} judgements from the protocol; the overall judgement follows the "
            "tool's rule unless the protocol gives it.",
        ),
        ("table", j),
    ]
    if support:
        blocks += [("p", "Support for the judgements:"), ("ul", support)]
    return [*blocks, ("figures", figures)]


def prisma_section(flow, figures: dict[str, Path]) -> list[tuple[str, object]]:
    """The PRISMA 2020 flow (counts and figure) and any disagreement with the run."""
    blocks: list[tuple[str, object]] = [("table", flow.to_frame()), ("figures", figures)]
    if flow.findings:
        blocks.insert(0, ("ul", [f"Finding: {f}" for f in flow.findings]))
    return blocks


def methods_section(text: str) -> list[tuple[str, object]]:
    """The Methods text of methods.md, paragraph by paragraph."""
    paras = [p.strip() for p in text.split("\n\n") if p.strip() and not p.startswith("# ")]
    return [("p", p.replace("**", "")) for p in paras if not p.startswith("## ")]


def _with_protocol(out: dict, protocol: list[str]) -> dict:
    """The report of a run with a protocol: the protocol follows the question."""
    new = {}
    for k, v in out.items():
        new[k] = v
        if k == "Question":
            new["Protocol"] = [("ul", list(protocol))]
    return new


def report_markdown(inp: ReportInputs, figure_links: dict[str, str] | None = None) -> str:
    """Return the report as Markdown. ``figure_links`` maps caption -> relative path."""
    figure_links = figure_links or {}
    parts = [f"# {md_text(inp.title)}\n"]
    for name, blocks in _sections(inp).items():
        parts.append(f"## {name}\n")
        for kind, payload in blocks:
            if kind == "p":
                parts.append(f"{_md_prose(payload)}\n")
            elif kind == "ul":
                parts.append("\n".join(f"- {_md_prose(item)}" for item in payload) + "\n")
            elif kind == "table":
                parts.append(_md_table(payload))
            elif kind == "figures":
                figs = [
                    f"![{md_text(cap)}]({quote(figure_links.get(cap, str(p)))})\n\n*{md_text(cap)}*\n"
                    for cap, p in payload.items()
                ]
                parts.append("\n".join(figs) or "_(none)_\n")
            elif kind == "pre":
                # a fence longer than any run of backticks inside, so nothing can close it early
                runs = [len(m) for m in re.findall(r"`+", str(payload))]
                fence = "`" * max(3, max(runs, default=0) + 1)
                parts.append(f"{fence}\n{payload}\n{fence}\n")
    return "\n".join(parts)


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.scroll{overflow-x:auto;margin:1em 0}
table{border-collapse:collapse;font-size:.8em;width:100%}
th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}
td,th{overflow-wrap:normal;word-break:normal;hyphens:none}
td.num{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
td.quote{min-width:6em;max-width:36em}td.quote summary{cursor:pointer;color:#0550ae}
tr.row-error td{background:#fdecee}
th{background:#f4f4f4;position:sticky;top:0}
tr:nth-child(even) td{background:#fafafa}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-style:italic;font-size:.9em}
pre{background:#f6f8fa;padding:1em;overflow-x:auto}
.reading li{margin:.4em 0}
.sev-error{color:#b00020;font-weight:bold}.sev-warning{color:#a15c00}
.bottom-line{font-weight:bold}.certainty{font-weight:normal;color:#555}
"""


def _nav(inp: ReportInputs) -> list[str]:
    """The section links: REPORT_SECTIONS with the manuscript sections after "Pooled results"."""
    names = list(REPORT_SECTIONS)
    at = names.index("Pooled results") + 1
    return names[:at] + list(inp.manuscript) + names[at:]


def report_html(inp: ReportInputs) -> str:
    """Return the report as one self-contained HTML page (PNG figures embedded as data URIs)."""
    h = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(inp.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(inp.title)}</h1>",
        "<nav>"
        + " · ".join(f"<a href='#{s.lower().replace(' ', '-')}'>{s}</a>" for s in _nav(inp))
        + "</nav>",
    ]
    for name, blocks in _sections(inp).items():
        h.append(f"<h2 id='{name.lower().replace(' ', '-')}'>{name}</h2>")
        for kind, payload in blocks:
            if kind == "p":
                h.append(f"<p>{html.escape(str(payload))}</p>")
            elif kind == "ul":
                h.append(
                    "<ul class='reading'>"
                    + "".join(f"<li>{html.escape(str(i))}</li>" for i in payload)
                    + "</ul>"
                )
            elif kind == "table":
                h.append(_html_table(payload))
            elif kind == "figures":
                figs = []
                for cap, path in payload.items():
                    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
                    figs.append(
                        f"<figure><img alt='{html.escape(cap)}' src='data:image/png;base64,{data}'>"
                        f"<figcaption>{html.escape(cap)}</figcaption></figure>"
                    )
                h.append("".join(figs) or "<p><em>(none)</em></p>")
            elif kind == "pre":
                h.append(f"<pre>{html.escape(str(payload))}</pre>")
    h.append("</body></html>")
    return "\n".join(h)
