"""The evidence table: every result the papers report, one row each, with its source span.

:func:`extract` reads papers, runs the extractors (:func:`evsynth.extraction.extract_document`),
groups reports into studies (:mod:`evsynth.evidence.studies`), gives every row a stable ``row_id``,
records disagreements between reports of one study, and applies a reviewer's curation file
(:mod:`evsynth.evidence.curation`). :func:`verify` re-reads the reports and checks that every number of
every row is in its quoted source span.

Row ids
-------
``row_id`` is ``"r"`` + the first 10 hex digits of the SHA-1 of these fields, joined by the
unit separator (``\\x1f``): report file name, measure, outcome, intervention,
intervention_detail, analysis, table label, section, intervention_as_reported,
outcome_as_reported, timepoint, and the numbers estimate, ci_lower, ci_upper, p_value,
events_int, total_int, events_ctl, total_ctl (each as ``format(x, ".6g")``, empty when missing).
Offsets and quotes are *not* part of it, so an id survives re-extraction and edits elsewhere in
the text. Rows with identical fields get ``-2``, ``-3``, ... in order of their source offset.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from evsynth._shared.display import FrameDisplay, frame_html
from evsynth._shared.files import atomic_write_csv, spreadsheet_raw
from evsynth.errors import EvsynthError, ExtractionError
from evsynth.evidence.frame import (
    _SHOWN,
    CONFLICT_COLUMNS,
    FAILURE_COLUMNS,
    PROBLEM_COLUMNS,
    REJECTED_COLUMNS,
    _empty,
    _failures_frame,
    _sorted,
    conform_evidence,
    empty_evidence,
    find_conflicts,
    read_evidence,
    row_ids,
)
from evsynth.evidence.provenance import row_problems
from evsynth.extraction.schema import STUDY_COLUMNS
from evsynth.protocol.loading import Protocol, load_protocol
from evsynth.reading.document import Document

__all__ = ["EvidenceTable", "extract", "extract_documents", "verify", "protocol_for"]


def protocol_for(
    protocol: Protocol | str | Path | None, files: Sequence[str | Path] = ()
) -> Protocol | None:
    """The protocol of a run: the one given (a :class:`Protocol`, a file or a bundled name), else
    the bundled protocol when the papers are the bundled papers, else None.

    The bundled question is never asked of other papers: without ``protocol`` they are
    extracted with their arms and outcomes as reported.
    """
    from evsynth.reading.corpus import bundled_protocol_name, is_bundled_corpus

    if isinstance(protocol, Protocol):
        return protocol
    if protocol is not None:
        return load_protocol(protocol)
    if is_bundled_corpus(list(files)):
        return load_protocol(bundled_protocol_name())
    return None


@dataclass(frozen=True, eq=False)
class EvidenceTable(FrameDisplay):
    """The evidence table of a set of papers, with its studies and what went wrong.

    Attributes
    ----------
    evidence : one row per reported result (columns :data:`evsynth.extraction.schema.EVIDENCE_COLUMNS`).
    studies : one row per study (columns :data:`evsynth.extraction.schema.STUDY_COLUMNS`).
    failures : files that could not be read or extracted (file, stage, error, message).
    conflicts : disagreements between reports of one study (see :func:`find_conflicts`).
    rejected : rows removed by the curation file (row_id, report, reason).
    sources : paths of the reports that were read (used by :func:`verify`).
    curation : path of the curation file applied, or "".
    protocol : the review protocol whose terms labelled the rows, or None (arms as reported).
    """

    evidence: pd.DataFrame
    studies: pd.DataFrame
    failures: pd.DataFrame = field(default_factory=lambda: _empty(FAILURE_COLUMNS))
    conflicts: pd.DataFrame = field(default_factory=lambda: _empty(CONFLICT_COLUMNS))
    rejected: pd.DataFrame = field(default_factory=lambda: _empty(REJECTED_COLUMNS))
    sources: tuple[str, ...] = ()
    curation: str = ""
    protocol: Protocol | None = None

    def to_frame(self) -> pd.DataFrame:
        """The evidence rows (a copy)."""
        return self.evidence.copy()

    def __len__(self) -> int:
        return len(self.evidence)

    def summary(self) -> list[str]:
        """A few lines: rows per report and measure, studies, duplicates, overlaps, failures."""
        ev = self.evidence
        lines = [
            f"{len(ev)} rows from {ev['report'].nunique() if len(ev) else 0} report(s), "
            f"{len(self.studies)} stud{'y' if len(self.studies) == 1 else 'ies'}"
        ]
        if len(ev):
            per_measure = ev["measure"].value_counts().sort_index()
            lines.append(
                "rows per measure: " + ", ".join(f"{k} {v}" for k, v in per_measure.items())
            )
        dups = (
            self.studies[self.studies["duplicate_of"].astype(str) != ""]
            if len(self.studies)
            else self.studies
        )
        for _, s in dups.iterrows():
            lines.append(f"same study: {s['study_id']}: {s['duplicate_of']}")
        flagged = (
            self.studies[self.studies["overlap_flag"].astype(str) != ""]
            if len(self.studies)
            else self.studies
        )
        for _, s in flagged.iterrows():
            lines.append(f"overlap: {s['study_id']}: {s['overlap_flag']}")
        if len(self.conflicts):
            lines.append(
                f"{len(self.conflicts)} conflict(s) between reports of one study (see .conflicts)"
            )
        if self.curation:
            counts = ev["curation"].value_counts()
            lines.append(
                f"curation {Path(self.curation).name}: "
                + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("accepted", "corrected", "added"))
                + f", rejected {len(self.rejected)}"
            )
        for _, f in self.failures.iterrows():
            lines.append(f"FAILED {f['file']} ({f['stage']}): {f['error']}: {f['message']}")
        return lines

    def __repr__(self) -> str:
        return (
            f"EvidenceTable({len(self.evidence)} rows, {len(self.studies)} studies, "
            f"{len(self.conflicts)} conflicts, {len(self.failures)} failures)"
        )

    def _repr_html_(self) -> str:
        shown = self.evidence[[c for c in _SHOWN if c in self.evidence]]
        lines = self.summary()
        return frame_html(shown, "Evidence table: " + lines[0], lines[1:])

    def filter(
        self,
        *,
        intervention: str | Iterable[str] | None = None,
        outcome: str | Iterable[str] | None = None,
        measure: str | Iterable[str] | None = None,
        analysis: str | Iterable[str] | None = None,
        study_id: str | Iterable[str] | None = None,
        report: str | Iterable[str] | None = None,
    ) -> EvidenceTable:
        """Rows matching every given criterion (a value or a list of values; exact matches).

        Studies and conflicts are narrowed to those of the remaining rows.
        """
        ev = self.evidence
        mask = pd.Series(True, index=ev.index)
        for col, want in (
            ("intervention", intervention),
            ("outcome", outcome),
            ("measure", measure),
            ("analysis", analysis),
            ("study_id", study_id),
            ("report", report),
        ):
            if want is None:
                continue
            values = {want} if isinstance(want, str) else set(want)
            mask &= ev[col].isin(values)
        kept = ev[mask].reset_index(drop=True)
        ids = set(kept["row_id"])
        studies = self.studies[self.studies["study_id"].isin(set(kept["study_id"]))].reset_index(
            drop=True
        )
        conflicts = (
            self.conflicts[
                self.conflicts["row_ids"].map(lambda s: bool(ids & set(str(s).split(";"))))
            ].reset_index(drop=True)
            if len(self.conflicts)
            else self.conflicts
        )
        return replace(self, evidence=kept, studies=studies, conflicts=conflicts)

    @classmethod
    def read(cls, folder: str | Path) -> EvidenceTable:
        """Read a table written by :meth:`write` (evidence.csv, studies.csv and the optional
        failures.csv, conflicts.csv, rejected.csv)."""
        folder = Path(folder)
        evidence = read_evidence(folder / "evidence.csv")
        if not (folder / "studies.csv").is_file():
            raise EvsynthError(
                f"{folder}: no studies.csv next to evidence.csv; run 'evsynth extract --out {folder}'"
            )

        def optional(name: str, columns: Sequence[str]) -> pd.DataFrame:
            path = folder / name
            if not path.is_file():
                return _empty(columns)
            return spreadsheet_raw(pd.read_csv(path, dtype=str, keep_default_na=False))

        studies = spreadsheet_raw(
            pd.read_csv(folder / "studies.csv", dtype=str, keep_default_na=False)
        )
        studies["n_total"] = pd.to_numeric(studies["n_total"].replace("", None)).astype("Int64")
        return cls(
            evidence=evidence,
            studies=studies,
            failures=optional("failures.csv", FAILURE_COLUMNS),
            conflicts=optional("conflicts.csv", CONFLICT_COLUMNS),
            rejected=optional("rejected.csv", REJECTED_COLUMNS),
        )

    def write(self, outdir: str | Path) -> list[Path]:
        """Write evidence.csv and studies.csv (and failures.csv, conflicts.csv, rejected.csv
        when not empty) into ``outdir``, each atomically; return the paths written.

        Optional files left from an earlier run that no longer apply are removed, so the
        folder always describes this table.
        """
        out = Path(outdir)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            atomic_write_csv(self.evidence, out / "evidence.csv"),
            atomic_write_csv(self.studies, out / "studies.csv"),
        ]
        for name, frame in (
            ("failures.csv", self.failures),
            ("conflicts.csv", self.conflicts),
            ("rejected.csv", self.rejected),
        ):
            if len(frame):
                written.append(atomic_write_csv(frame, out / name))
            else:
                (out / name).unlink(missing_ok=True)
        return written


# --------------------------------------------------------------------------- extract


def expand_paths(paths: str | Path | Iterable[str | Path] | None) -> list[Path]:
    """Paths to read: None means the bundled papers; folders are expanded by
    :func:`evsynth.reading.reader.read_many` (recursively, .txt/.md/.pdf, README.md skipped)."""
    if paths is None:
        from evsynth.reading.corpus import bundled_papers

        return bundled_papers()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return [Path(p) for p in paths]


def _progress(msg: str, enabled: bool) -> None:
    if enabled:
        print(f"[evsynth] {msg}", file=sys.stderr, flush=True)


def extract(
    paths: str | Path | Iterable[str | Path] | None = None,
    *,
    protocol: Protocol | str | Path | None = None,
    curation: str | Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    timeout: float | None = 120.0,
    memory_mb: int | None = 4096,
) -> EvidenceTable:
    """Read papers and extract their evidence table.

    Each file is read and extracted in its own process with a time and a memory limit
    (:func:`evsynth.evidence.batch.extract_many`), so one pathological PDF cannot hang or exhaust the
    machine; the others' results are complete either way.

    Parameters
    ----------
    paths : files or folders (.txt, .md, .pdf); None for the bundled papers.
    protocol : the review protocol (a :class:`~evsynth.protocol.Protocol`, a YAML file, or the
        name of a bundled protocol) whose terms label interventions, comparators and outcomes;
        None: the bundled protocol for the bundled papers, no labels (arms and outcomes as
        reported) for other papers. See :func:`protocol_for`.
    curation : a curation YAML file to apply (:mod:`evsynth.evidence.curation`); None for none.
    progress : show progress on stderr.
    workers : files processed at once (default: the number of CPUs).
    timeout : seconds one file may take before it is stopped and reported (None: no limit).
    memory_mb : memory limit of each file's process in MiB (None: no limit).

    Returns
    -------
    EvidenceTable. Files that cannot be read or extracted are listed in ``failures``; they are
    never dropped silently.
    """
    from evsynth.evidence.batch import expand, extract_many

    if curation is not None:  # a malformed curation file is refused before any paper is read
        from evsynth.evidence.curation import load_curation

        curation = load_curation(curation)
    files = expand_paths(paths)
    proto = protocol_for(protocol, expand(paths))
    _progress(f"reading {len(files)} path(s)", progress)
    docs, rows, failures = extract_many(
        files,
        workers=workers,
        timeout=timeout,
        memory_mb=memory_mb,
        progress=progress,
        protocol=proto,
    )
    return extract_documents(
        docs, rows=rows, failures=failures, curation=curation, progress=progress, protocol=proto
    )


def extract_documents(
    docs: Sequence[Document],
    *,
    rows: Sequence[pd.DataFrame] | None = None,
    failures=None,
    curation: str | Path | None = None,
    progress: bool = False,
    protocol: Protocol | str | Path | None = None,
) -> EvidenceTable:
    """The evidence table of documents already read (see :func:`extract`).

    Parameters
    ----------
    docs : Documents from :func:`evsynth.reading.reader.read_many`.
    rows : ``extract_document(doc)`` of each document, when already computed (e.g. by
        :func:`evsynth.evidence.batch.extract_many`); None to run the extractors here.
    failures : the reader's failures (kept in the table's ``failures``).
    curation : a curation file to apply, or None.
    progress : print one line per document to stderr.
    protocol : as in :func:`extract` (when ``rows`` are given they must come from the same
        protocol).
    """
    from evsynth.evidence.studies import build_studies
    from evsynth.extraction import extract_document

    fail = _failures_frame(failures)
    protocol = protocol_for(protocol, [d.path for d in docs if d.path])
    if rows is not None and len(rows) != len(docs):
        raise ExtractionError(f"{len(docs)} documents but {len(rows)} row tables were given")
    given = {id(d): r for d, r in zip(docs, rows, strict=True)} if rows is not None else {}
    docs = sorted(docs, key=lambda d: Path(d.path).name)
    names = [Path(d.path).name for d in docs]
    dup_names = sorted({n for n in names if names.count(n) > 1})
    if dup_names:
        raise ExtractionError(
            f"two files have the same name ({', '.join(dup_names)}); rows name their report by "
            "file name, so rename one of them"
        )
    frames = []
    ok_docs = []
    extra_failures = []
    for doc in docs:
        name = Path(doc.path).name
        try:
            rows = given[id(doc)] if id(doc) in given else extract_document(doc, protocol)
        except EvsynthError as exc:
            extra_failures.append(
                {"file": name, "stage": "extract", "error": type(exc).__name__, "message": str(exc)}
            )
            _progress(f"{name}: extraction failed: {exc}", progress)
            continue
        except Exception as exc:  # a bug in a rule must not lose the other papers' rows
            extra_failures.append(
                {
                    "file": name,
                    "stage": "extract",
                    "error": type(exc).__name__,
                    "message": f"internal error in the extractors ({exc}); please report it with this file",
                }
            )
            _progress(f"{name}: extraction failed with an internal error: {exc!r}", progress)
            continue
        rows = rows.copy()
        rows["report"] = name
        frames.append(rows)
        ok_docs.append(doc)
        _progress(f"{name}: {len(rows)} row(s)", progress)
    if extra_failures:
        fail = pd.concat([fail, pd.DataFrame(extra_failures)], ignore_index=True)
    nonempty = [f for f in frames if len(f)]
    evidence = (
        conform_evidence(pd.concat(nonempty, ignore_index=True)) if nonempty else empty_evidence()
    )
    studies, study_of = build_studies(ok_docs) if ok_docs else (_empty(STUDY_COLUMNS), {})
    evidence["study_id"] = evidence["report"].map(study_of).fillna("").astype(object)
    evidence = _sorted(evidence)
    evidence["row_id"] = row_ids(evidence)
    conflicts, evidence = find_conflicts(evidence)
    table = EvidenceTable(
        evidence=conform_evidence(evidence),
        studies=studies,
        failures=fail,
        conflicts=conflicts,
        sources=tuple(str(d.path) for d in docs),
        protocol=protocol,
    )
    if curation is not None:
        from evsynth.evidence.curation import apply_curation

        table = apply_curation(table, curation, documents=ok_docs)
    return table


def verify(
    table: EvidenceTable | pd.DataFrame | str | Path,
    *,
    papers: str | Path | Iterable[str | Path] | None = None,
    derived: bool = False,
) -> pd.DataFrame:
    """Check every row of an evidence table against the reports it came from.

    For each row: the report is re-read, ``original[source_start:source_end] == source_quote``
    is checked, and every number of the row (estimate, CI bounds, p-value, counts, totals, rate
    SE) must be written in the quote, to the precision written ('0.45' matches 0.450; a rate
    0.9636 matches '96.36%'; a p-value 0.001 matches '<0.001').

    Parameters
    ----------
    table : an EvidenceTable, an evidence DataFrame, or the path of an evidence.csv.
    papers : files or folders holding the reports; default: the table's ``sources`` when it
        has them, else the bundled papers.
    derived : also list numbers that are not in the quote but that the row's notes account
        for (level "derived": a total = events + non-events written in the quote, or a number
        inside a phrase quoted in the notes and found in the report).

    Returns
    -------
    DataFrame of problems (row_id, report, field, value, level, problem); empty when all is
    well. Without ``derived`` every listed problem has level "error".
    """
    from evsynth.reading.reader import read_many

    sources: tuple[str, ...] = ()
    if isinstance(table, EvidenceTable):
        evidence, sources = table.evidence, table.sources
    elif isinstance(table, pd.DataFrame):
        evidence = conform_evidence(table)
    else:
        evidence = read_evidence(table)
    if papers is None:
        files = [Path(s) for s in sources] if sources else expand_paths(None)
    else:
        files = expand_paths(papers)
    wanted = set(evidence["report"])
    files = [f for f in files if f.is_dir() or f.name in wanted]
    docs, _failures = read_many(files)
    originals = {Path(d.path).name: d.original for d in docs if Path(d.path).name in wanted}
    problems: list[dict] = []
    for _, row in evidence.iterrows():
        problems.extend(row_problems(row, originals.get(row["report"])))
    if not derived:
        problems = [p for p in problems if p["level"] == "error"]
    if not problems:
        return _empty(PROBLEM_COLUMNS)
    return pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
