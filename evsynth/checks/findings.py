"""The result of a consistency check: one :class:`Finding` per problem, and the findings frame."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SEVERITIES = ("error", "warning", "info")

# column -> description (the order is the order of findings.csv)
FINDING_COLUMNS: dict[str, str] = {
    "report": "file name of the report the finding is about",
    "check": "which check produced it (ratio_p, ratio_ci, percent, two_by_two, p_swap, duplicate, "
    "group_size, impossible, breakdown, same_study, overlap)",
    "severity": "'error' (cannot be true), 'warning' (probably wrong; needs a look), 'info'",
    "message": "what is wrong, in one or two sentences a reviewer can act on",
    "source_start": "start offset of the quote in the report's original text",
    "source_end": "end offset (exclusive)",
    "source_quote": "original[source_start:source_end]",
    "values": "the numbers as read (JSON)",
    "recomputed": "what was recomputed, how, and the result",
    "location": "section or table the quote sits in",
    "related": "the other report/quote involved (for duplicates and swaps), or ''",
}


@dataclass(frozen=True)
class Finding:
    """One inconsistency (or note) found in a report.

    ``source_start:source_end`` index ``Document.original`` and
    ``original[source_start:source_end] == source_quote``.
    """

    report: str
    check: str
    severity: str
    message: str
    source_start: int
    source_end: int
    source_quote: str
    values: dict[str, Any] = field(default_factory=dict)
    recomputed: str = ""
    location: str = ""
    related: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def to_row(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in FINDING_COLUMNS}
        row["values"] = json.dumps(self.values, ensure_ascii=False, default=_json_default)
        return row

    def __str__(self) -> str:
        return f"[{self.severity}] {self.report} {self.check}: {self.message}"


def _json_default(obj: Any) -> Any:
    try:
        return obj.item()  # numpy scalars
    except AttributeError:
        return str(obj)


_SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame with :data:`FINDING_COLUMNS`, sorted by report, then position."""
    rows = [f.to_row() for f in _dedupe(findings)]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    if frame.empty:
        return frame.astype({"source_start": "int64", "source_end": "int64"})
    frame["_sev"] = frame["severity"].map(_SEVERITY_ORDER)
    frame = frame.sort_values(["report", "source_start", "_sev", "check"], kind="stable")
    return frame.drop(columns="_sev").reset_index(drop=True)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for f in findings:
        key = (f.report, f.check, f.source_start, f.source_end, f.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out
