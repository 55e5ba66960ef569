"""Consistency checks: find the numbers in a paper that cannot all be true.

Like statcheck (Nuijten et al., 2016) for clinical papers: every check recomputes what it can from
the reported numbers, allows for the rounding of every one of them, and reports only what no
rounding can explain. Each finding names the report, the quoted text with its offsets into the
original text, the values read, what was recomputed and how, and a severity ("error": cannot be
true; "warning": probably wrong, needs a look; "info").

Checks: ratio/CI/p (:mod:`.ratios`), percentages and counts (:mod:`.percents`), contingency tables
and their p-values, including text-table p-value swaps (:mod:`.twobytwo`), impossible values and
breakdowns (:mod:`.impossible`), the same result or group size reported twice, and duplicate or
overlapping studies (:mod:`.duplicates`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evsynth.checks.duplicates import check_duplicates, check_evidence_duplicates, check_studies
from evsynth.checks.findings import FINDING_COLUMNS, SEVERITIES, Finding, findings_frame
from evsynth.checks.impossible import check_impossible
from evsynth.checks.percents import check_percents
from evsynth.checks.ratios import check_ratios
from evsynth.checks.twobytwo import check_contingencies
from evsynth.errors import EvsynthError
from evsynth.reading.document import Document

__all__ = [
    "check",
    "check_document",
    "check_documents",
    "Finding",
    "FINDING_COLUMNS",
    "SEVERITIES",
]

_DOCUMENT_CHECKS = (
    check_ratios,
    check_percents,
    check_contingencies,
    check_impossible,
    check_duplicates,
)


def check_document(doc: Document) -> list[Finding]:
    """Every within-report check on one document (no evidence table needed)."""
    out: list[Finding] = []
    for fn in _DOCUMENT_CHECKS:
        out.extend(fn(doc))
    return out


def check_documents(docs: Sequence[Document], evidence: Any = None) -> pd.DataFrame:
    """Check documents already read, and (optionally) their evidence table.

    Parameters
    ----------
    docs : Documents from :func:`evsynth.read` / :func:`evsynth.reading.reader.read_many`.
    evidence : an :class:`evsynth.EvidenceTable` (its ``evidence`` and ``studies`` add the
        checks across sections and reports of one study, duplicate reports and overlapping
        cohorts), a DataFrame with the evidence columns, or None (within-report checks only).

    Returns
    -------
    pandas.DataFrame with columns :data:`FINDING_COLUMNS`, one row per finding, sorted by report
    and position.
    """
    findings: list[Finding] = []
    for doc in docs:
        findings.extend(check_document(doc))
    ev, studies = _evidence_parts(evidence)
    findings.extend(check_evidence_duplicates(ev))
    findings.extend(_quote_studies(check_studies(studies), docs))
    return findings_frame(findings)


def _quote_studies(findings: list[Finding], docs: Sequence[Document]) -> list[Finding]:
    """Point study-level findings at the report's title (duplicates) or at the first shared
    trial registration (overlaps) so that they too carry a checkable quote."""
    from dataclasses import replace

    by_name = {str(d.path).replace("\\", "/").rsplit("/", 1)[-1]: d for d in docs}
    out = []
    for f in findings:
        doc = by_name.get(f.report)
        span = None
        if doc is not None:
            needles = []
            if f.check == "overlap":
                needles += [r.strip() for r in str(f.values.get("registrations", "")).split(";")]
                needles += list(doc.registrations)
            needles += [doc.title or ""]
            for needle in needles:
                if needle and needle in doc.original:
                    i = doc.original.index(needle)
                    span = (i, i + len(needle))
                    break
        if span is not None:
            f = replace(
                f,
                source_start=span[0],
                source_end=span[1],
                source_quote=doc.original[span[0] : span[1]],
            )
        out.append(f)
    return out


def _evidence_parts(evidence: Any) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    if evidence is None:
        return None, None
    if isinstance(evidence, pd.DataFrame):
        return evidence, None
    return getattr(evidence, "evidence", None), getattr(evidence, "studies", None)


def check(
    paths: str | Path | Iterable[str | Path] | None = None,
    *,
    protocol=None,
    progress: bool = False,
) -> pd.DataFrame:
    """Read papers, extract their evidence table, and return every consistency finding.

    Parameters
    ----------
    paths : files or folders (.txt, .md, .pdf); None for the bundled papers.
    protocol : the review protocol whose terms label the rows (see :func:`evsynth.extract`).
    progress : print progress lines to stderr.

    Returns
    -------
    pandas.DataFrame with columns :data:`FINDING_COLUMNS` (``report``, ``check``, ``severity``,
    ``message``, ``source_start``, ``source_end``, ``source_quote``, ``values``, ``recomputed``,
    ...). Files that cannot be read are reported as one "error" row each with check
    ``read_failure`` (never dropped silently).
    """
    from evsynth.evidence.table import expand_paths, extract_documents
    from evsynth.reading.reader import read_many

    files = expand_paths(paths)
    if progress:
        print(f"[evsynth] reading {len(files)} path(s)", file=sys.stderr, flush=True)
    docs, failures = read_many(files)
    if not docs and not failures:
        raise EvsynthError(
            "no papers found in "
            + ", ".join(str(f) for f in files)
            + ": give .txt, .md or .pdf files, or folders that contain them"
        )
    if not docs and failures:
        raise EvsynthError(
            "none of the papers could be read: "
            + "; ".join(f"{getattr(f, 'path', '')}: {getattr(f, 'reason', f)}" for f in failures)
        )
    try:
        table = extract_documents(docs, failures=failures, progress=progress, protocol=protocol)
    except EvsynthError as exc:  # the checks that need no evidence table still run
        if progress:
            print(f"[evsynth] extraction failed ({exc}); checking text only", file=sys.stderr)
        table = None
    frame = check_documents(docs, evidence=table)
    if failures:
        rows = [
            Finding(
                report=str(getattr(f, "path", "")).rsplit("/", 1)[-1],
                check="read_failure",
                severity="error",
                message=f"could not read the file: {getattr(f, 'reason', f)}",
                source_start=0,
                source_end=0,
                source_quote="",
            ).to_row()
            for f in failures
        ]
        frame = pd.concat(
            [frame, pd.DataFrame(rows, columns=list(FINDING_COLUMNS))], ignore_index=True
        )
    return frame
