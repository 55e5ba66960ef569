"""The synthesis report: Markdown and a self-contained HTML page (figures embedded, opens offline).

The report only formats what earlier stages computed; it computes no statistics.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

REPORT_SECTIONS = (
    "Question",
    "Studies",
    "Evidence table",
    "Pooled results",
    "Figures",
    "Consistency findings",
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
    text = f"{q} ({row['analysis']}): {measure} {est:.2f} (95% {kind} interval {lo:.2f} to {hi:.2f})"
    if status == "single study":
        return text + f", from a single study ({row['studies']}); this is that study's own estimate, not a pooled one."
    if measure in ("HR", "OR", "RR"):
        low_pct = (1 - lo) * 100
        high = hi
        if lo < 1 < hi:
            text += (
                f". The data are compatible with anything from a {low_pct:.0f}% lower to a "
                f"{(high - 1) * 100:.0f}% higher {'hazard' if measure == 'HR' else 'odds' if measure == 'OR' else 'risk'}"
                ": they neither show nor rule out an effect"
            )
        elif hi < 1:
            text += ". The whole interval lies below 1 (a lower value in the treated group)"
        else:
            text += ". The whole interval lies above 1 (a higher value in the treated group)"
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
            text += f"; a new study's effect could lie between {pi_lo:.2f} and {pi_hi:.2f}"
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


_EVIDENCE_SHOWN = [
    "row_id", "study_id", "report", "intervention", "intervention_detail", "comparator", "outcome",
    "outcome_as_reported", "measure", "analysis", "estimate", "ci_lower", "ci_upper", "p_value",
    "events_int", "total_int", "events_ctl", "total_ctl", "source_quote",
]
_POOLED_SHOWN = [
    "question", "analysis", "status", "measure", "k", "estimate", "ci_lower", "ci_upper",
    "pi_lower", "pi_upper", "pvalue", "tau2", "i2", "studies", "reason",
]
_FINDINGS_SHOWN = ["report", "check", "severity", "message", "source_quote"]


def _cols(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return frame[[c for c in cols if c in frame.columns]]


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _md_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_(none)_\n"
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        out.append("| " + " | ".join(_fmt(r[c]).replace("|", "\\|").replace("\n", " ") for c in cols) + " |")
    return "\n".join(out) + "\n"


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p><em>(none)</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, r in frame.iterrows():
        body.append("<tr>" + "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in frame.columns) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_markdown(inp: ReportInputs, figure_links: dict[str, str] | None = None) -> str:
    """Return the report as Markdown. ``figure_links`` maps caption -> relative path."""
    figure_links = figure_links or {}
    pooled = inp.pooled
    parts = [f"# {inp.title}\n"]
    parts.append("## Question\n\n" + inp.question + "\n")
    parts.append("## Studies\n\n" + _md_table(inp.studies))
    if inp.failures is not None and len(inp.failures):
        parts.append("Files that could not be read:\n\n" + _md_table(inp.failures))
    parts.append(
        "## Evidence table\n\nEvery row points to the characters of its source "
        "(`source_quote`; offsets in `evidence.csv`).\n\n" + _md_table(_cols(inp.evidence, _EVIDENCE_SHOWN))
    )
    readings = "\n".join(f"- {plain_language(r)}" for _, r in pooled[pooled["role"] != "sensitivity"].iterrows())
    parts.append(
        "## Pooled results\n\nRatios on their natural scale; CI = 95% interval; PI = 95% prediction interval.\n\n"
        + readings + "\n\n" + _md_table(_cols(pooled, _POOLED_SHOWN))
    )
    figs = "\n".join(f"![{cap}]({figure_links.get(cap, str(p))})\n\n*{cap}*\n" for cap, p in inp.figures.items())
    parts.append("## Figures\n\n" + (figs or "_(none)_") + "\n")
    parts.append(
        "## Consistency findings\n\nNumbers in the papers that cannot all be true, found before pooling.\n\n"
        + _md_table(_cols(inp.findings, _FINDINGS_SHOWN))
    )
    parts.append("## Analysis choices\n\n" + "\n".join(f"- {c}" for c in inp.choices) + "\n")
    repro = "\n".join(inp.reproduce)
    inputs = _md_table(inp.inputs) if inp.inputs is not None else ""
    parts.append("## Reproduce\n\n```\n" + repro + "\n```\n\n" + inputs)
    return "\n".join(parts)


_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.82em;margin:1em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4;position:sticky;top:0}
tr:nth-child(even) td{background:#fafafa}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-style:italic;font-size:.9em}
pre{background:#f6f8fa;padding:1em;overflow-x:auto}
.reading li{margin:.4em 0}
.sev-error{color:#b00020;font-weight:bold}.sev-warning{color:#a15c00}
"""


def report_html(inp: ReportInputs) -> str:
    """Return the report as one self-contained HTML page (PNG figures embedded as data URIs)."""
    pooled = inp.pooled
    h = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(inp.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(inp.title)}</h1>",
        "<nav>" + " · ".join(f"<a href='#{s.lower().replace(' ', '-')}'>{s}</a>" for s in REPORT_SECTIONS) + "</nav>",
    ]

    def section(name: str, body: str) -> None:
        h.append(f"<h2 id='{name.lower().replace(' ', '-')}'>{name}</h2>{body}")

    section("Question", f"<p>{html.escape(inp.question)}</p>")
    body = _html_table(inp.studies)
    if inp.failures is not None and len(inp.failures):
        body += "<p>Files that could not be read:</p>" + _html_table(inp.failures)
    section("Studies", body)
    section(
        "Evidence table",
        "<p>Every row points to the characters of its source (<code>source_quote</code>; offsets in "
        "<code>evidence.csv</code>).</p>" + _html_table(_cols(inp.evidence, _EVIDENCE_SHOWN)),
    )
    readings = "".join(
        f"<li>{html.escape(plain_language(r))}</li>" for _, r in pooled[pooled["role"] != "sensitivity"].iterrows()
    )
    section(
        "Pooled results",
        "<p>Ratios on their natural scale; CI = 95% interval; PI = 95% prediction interval.</p>"
        f"<ul class='reading'>{readings}</ul>" + _html_table(_cols(pooled, _POOLED_SHOWN)),
    )
    figs = []
    for cap, path in inp.figures.items():
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        figs.append(
            f"<figure><img alt='{html.escape(cap)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(cap)}</figcaption></figure>"
        )
    section("Figures", "".join(figs) or "<p><em>(none)</em></p>")
    section(
        "Consistency findings",
        "<p>Numbers in the papers that cannot all be true, found before pooling.</p>"
        + _html_table(_cols(inp.findings, _FINDINGS_SHOWN)),
    )
    section("Analysis choices", "<ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in inp.choices) + "</ul>")
    repro = html.escape("\n".join(inp.reproduce))
    inputs = _html_table(inp.inputs) if inp.inputs is not None else ""
    section("Reproduce", f"<pre>{repro}</pre>{inputs}")
    h.append("</body></html>")
    return "\n".join(h)
