"""The evidence table: every result the papers report, one row each, with its source span.

:func:`extract` reads papers, runs the extractors (:func:`evsynth.extractors.extract_document`),
groups reports into studies (:mod:`evsynth.studies`), gives every row a stable ``row_id``,
records disagreements between reports of one study, and applies a reviewer's curation file
(:mod:`evsynth.curation`). :func:`verify` re-reads the reports and checks that every number of
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

import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth._display import FrameDisplay, frame_html
from evsynth._io import atomic_write_csv
from evsynth.document import Document
from evsynth.errors import EvsynthError, ExtractionError
from evsynth.schema import EVIDENCE_COLUMNS, STUDY_COLUMNS

__all__ = [
    "EvidenceTable",
    "extract",
    "extract_documents",
    "read_evidence",
    "verify",
    "row_ids",
    "numbers_in",
    "number_in_quote",
]

FLOAT_COLUMNS = ("estimate", "ci_lower", "ci_upper", "ci_level", "p_value", "rate_se")
INT_COLUMNS = ("events_int", "total_int", "events_ctl", "total_ctl", "source_start", "source_end")
STRING_COLUMNS = tuple(c for c in EVIDENCE_COLUMNS if c not in FLOAT_COLUMNS + INT_COLUMNS)

#: the numbers of a row that must appear in its quote (ci_level may be implied by "95% CI")
CHECKED_NUMBERS = (
    "estimate", "ci_lower", "ci_upper", "p_value",
    "events_int", "total_int", "events_ctl", "total_ctl", "rate_se",
)  # fmt: skip
_ID_FIELDS = (
    "report", "measure", "outcome", "intervention", "intervention_detail", "analysis", "table",
    "section", "intervention_as_reported", "outcome_as_reported", "timepoint",
)  # fmt: skip
_ID_NUMBERS = (
    "estimate", "ci_lower", "ci_upper", "p_value", "events_int", "total_int", "events_ctl", "total_ctl",
)  # fmt: skip
_RATIO_MEASURES = {"HR", "OR", "RR"}

FAILURE_COLUMNS = ("file", "stage", "error", "message")
CONFLICT_COLUMNS = (
    "study_id", "intervention", "intervention_detail", "outcome", "measure", "analysis",
    "timepoint", "row_ids", "reports", "values", "description",
)  # fmt: skip
REJECTED_COLUMNS = ("row_id", "report", "reason")
PROBLEM_COLUMNS = ("row_id", "report", "field", "value", "level", "problem")
_SHOWN = (
    "row_id", "study_id", "report", "intervention", "intervention_detail", "outcome", "measure",
    "analysis", "estimate", "ci_lower", "ci_upper", "p_value", "events_int", "total_int",
    "events_ctl", "total_ctl", "timepoint", "section", "table", "curation", "notes",
)  # fmt: skip


# --------------------------------------------------------------------------- frames


def empty_evidence() -> pd.DataFrame:
    """An evidence frame with no rows and the right columns and dtypes."""
    return conform_evidence(pd.DataFrame(columns=list(EVIDENCE_COLUMNS)))


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def conform_evidence(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of :data:`EVIDENCE_COLUMNS` in order, numbers numeric, text '' when missing.

    Raises
    ------
    ExtractionError : when the frame has columns the schema does not know.
    """
    extra = [c for c in frame.columns if c not in EVIDENCE_COLUMNS]
    if extra:
        raise ExtractionError(
            f"evidence rows have columns that are not in evsynth.schema.EVIDENCE_COLUMNS: {extra}"
        )
    out = pd.DataFrame(index=range(len(frame)))
    frame = frame.reset_index(drop=True)
    for col in EVIDENCE_COLUMNS:
        if col in frame:
            s = frame[col]
        else:
            s = pd.Series([None] * len(frame))
        if col in FLOAT_COLUMNS:
            out[col] = pd.to_numeric(s, errors="raise").astype("float64")
        elif col in INT_COLUMNS:
            out[col] = pd.to_numeric(s, errors="raise").astype("Int64")
        else:
            out[col] = s.map(
                lambda v: (
                    ""
                    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                    else str(v)
                )
            ).astype(object)
    return out


def _failures_frame(failures) -> pd.DataFrame:
    """Normalize whatever the reader returns as failures into FAILURE_COLUMNS."""
    if failures is None:
        return _empty(FAILURE_COLUMNS)
    if isinstance(failures, pd.DataFrame):
        f = failures.copy()
        rename = {"path": "file", "type": "error", "reason": "message", "error_type": "error"}
        f = f.rename(columns={k: v for k, v in rename.items() if k in f and v not in f})
        if "file" in f:
            f["file"] = f["file"].map(lambda p: Path(str(p)).name)
        if "stage" not in f:
            f["stage"] = "read"
        for c in FAILURE_COLUMNS:
            if c not in f:
                f[c] = ""
        return f[list(FAILURE_COLUMNS)].reset_index(drop=True)
    rows = []
    for item in failures:
        if isinstance(item, tuple) and len(item) == 2:
            path, err = item
            error = type(err).__name__
            message = getattr(err, "reason", None) or str(err)
        else:  # evsynth.reader.ReadFailure (path, error, message) or a ReadError
            path = getattr(item, "path", "")
            error = getattr(item, "error", None) or type(item).__name__
            message = getattr(item, "message", None) or getattr(item, "reason", None) or str(item)
        stage = getattr(item, "stage", "read")
        rows.append(
            {"file": Path(str(path)).name, "stage": stage, "error": error, "message": message}
        )
    return pd.DataFrame(rows, columns=list(FAILURE_COLUMNS)) if rows else _empty(FAILURE_COLUMNS)


# --------------------------------------------------------------------------- row ids


def _fmt_number(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return format(float(v), ".6g")


def row_key(row: pd.Series | dict) -> str:
    """The text whose hash is the row id (see the module docstring for the recipe)."""
    parts = [str(row.get(f, "") or "") for f in _ID_FIELDS]
    parts += [_fmt_number(row.get(f)) for f in _ID_NUMBERS]
    return "\x1f".join(parts)


def row_ids(frame: pd.DataFrame) -> list[str]:
    """Stable row ids of an evidence frame: ``"r" + sha1(row_key)[:10]``, unique in the frame.

    Rows with the same key get ``-2``, ``-3``, ... in order of (report, source_start, source_end).
    """
    keys = [row_key(r) for _, r in frame.iterrows()]
    base = ["r" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:10] for k in keys]
    order = sorted(
        range(len(frame)),
        key=lambda i: (
            str(frame.iloc[i]["report"]),
            _int_or(frame.iloc[i]["source_start"]),
            _int_or(frame.iloc[i]["source_end"]),
            i,
        ),
    )
    seen: dict[str, int] = {}
    out = list(base)
    for i in order:
        b = base[i]
        seen[b] = seen.get(b, 0) + 1
        if seen[b] > 1:
            out[i] = f"{b}-{seen[b]}"
    return out


def _int_or(v, default: int = -1) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------- conflicts


def _detail_signature(detail: str) -> frozenset[str]:
    """Dose/regimen signature of an intervention detail: its numbers with their comparison
    signs and its low/high-type words ('low-dose GC (≤ 8 mg kg-¹)' -> {'≤8', 'low'})."""
    s = detail.lower().replace("≦", "≤").replace("<=", "≤").replace("≧", "≥").replace(">=", "≥")
    nums = [n.replace(" ", "") for n in re.findall(r"[<>≤≥]?\s*\d+(?:\.\d+)?", s)]
    words = re.findall(r"\b(low|high|early|late|short|long)\b", s)
    return frozenset(nums + words)


def _compatible_details(a: str, b: str) -> bool:
    """Same dose group: one signature contains the other (an empty detail matches any)."""
    sa, sb = _detail_signature(a), _detail_signature(b)
    return sa <= sb or sb <= sa


def _decimals(v: float) -> int:
    text = repr(float(v))
    if "e" in text:
        return 10
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _same_number(a, b) -> bool:
    """Equal at the precision of the less precise of the two (0.45 == 0.450)."""
    d = min(_decimals(a), _decimals(b))
    return round(float(a), d) == round(float(b), d) or abs(float(a) - float(b)) < 1e-12


def _values_text(row: pd.Series) -> str:
    parts = []
    if not pd.isna(row["estimate"]):
        s = f"{row['measure']} {row['estimate']:g}"
        if not pd.isna(row["ci_lower"]) and not pd.isna(row["ci_upper"]):
            s += f" ({row['ci_lower']:g}-{row['ci_upper']:g})"
        parts.append(s)
    if not pd.isna(row["events_int"]) or not pd.isna(row["total_int"]):
        parts.append(f"{_fmt_count(row['events_int'])}/{_fmt_count(row['total_int'])}")
    if not pd.isna(row["events_ctl"]) or not pd.isna(row["total_ctl"]):
        parts.append(f"vs {_fmt_count(row['events_ctl'])}/{_fmt_count(row['total_ctl'])}")
    if not pd.isna(row["p_value"]):
        parts.append(f"p{row['p_operator'] or '='}{row['p_value']:g}")
    return " ".join(parts)


def _fmt_count(v) -> str:
    return "?" if pd.isna(v) else str(int(v))


def find_conflicts(evidence: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Disagreements between reports of one study about the same result.

    Rows of different reports of one study are about the same result when intervention,
    outcome, measure, analysis and timepoint are equal and their intervention details have the
    same dose group (the numbers with their comparison signs and low/high-type words of one
    detail contain those of the other; an empty detail matches any). They disagree when a number both give (estimate, CI bounds, p-value,
    counts) differs at the precision of the less precise one. Both rows are kept; the
    disagreement is listed in the returned conflicts frame and named in both rows' ``notes``.

    Returns
    -------
    (conflicts, evidence) : the conflicts (columns :data:`CONFLICT_COLUMNS`) and the evidence
    with notes added.
    """
    ev = evidence.copy()
    records = []
    notes: dict[int, list[str]] = {}
    if ev.empty:
        return _empty(CONFLICT_COLUMNS), ev
    per_study = ev.groupby("study_id", sort=True)
    for sid, rows in per_study:
        if rows["report"].nunique() < 2:
            continue
        keyed: dict[tuple, list[int]] = {}
        for idx, r in rows.iterrows():
            key = (
                r["intervention"],
                r["outcome"],
                r["measure"],
                r["analysis"],
                " ".join(str(r["timepoint"]).lower().split()),
            )
            keyed.setdefault(key, []).append(idx)
        for key, idxs in keyed.items():
            reports = {ev.at[i, "report"] for i in idxs}
            if len(reports) < 2:
                continue
            for a_pos, a in enumerate(idxs):
                for b in idxs[a_pos + 1 :]:
                    ra, rb = ev.loc[a], ev.loc[b]
                    if ra["report"] == rb["report"]:
                        continue
                    if not _compatible_details(
                        ra["intervention_detail"], rb["intervention_detail"]
                    ):
                        continue
                    differing = [
                        f
                        for f in _ID_NUMBERS
                        if not pd.isna(ra[f])
                        and not pd.isna(rb[f])
                        and not _same_number(ra[f], rb[f])
                    ]
                    if not differing:
                        continue
                    desc = (
                        f"{ra['report']} gives {_values_text(ra)}; {rb['report']} gives "
                        f"{_values_text(rb)} for the same result (differs in {', '.join(differing)})"
                    )
                    records.append(
                        {
                            "study_id": sid,
                            "intervention": key[0],
                            "intervention_detail": ra["intervention_detail"]
                            or rb["intervention_detail"],
                            "outcome": key[1],
                            "measure": key[2],
                            "analysis": key[3],
                            "timepoint": ra["timepoint"],
                            "row_ids": f"{ra['row_id']};{rb['row_id']}",
                            "reports": f"{ra['report']};{rb['report']}",
                            "values": f"{_values_text(ra)} | {_values_text(rb)}",
                            "description": desc,
                        }
                    )
                    notes.setdefault(a, []).append(
                        f"conflict: {rb['report']} (row {rb['row_id']}) gives {_values_text(rb)} for the same result"
                    )
                    notes.setdefault(b, []).append(
                        f"conflict: {ra['report']} (row {ra['row_id']}) gives {_values_text(ra)} for the same result"
                    )
    for idx, extra in notes.items():
        ev.at[idx, "notes"] = _join_notes(ev.at[idx, "notes"], *extra)
    conflicts = (
        pd.DataFrame(records, columns=list(CONFLICT_COLUMNS))
        if records
        else _empty(CONFLICT_COLUMNS)
    )
    return conflicts, ev


def _join_notes(existing: str, *more: str) -> str:
    parts = [p for p in [existing, *more] if p]
    return "; ".join(parts)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, eq=False)
class EvidenceTable(FrameDisplay):
    """The evidence table of a set of papers, with its studies and what went wrong.

    Attributes
    ----------
    evidence : one row per reported result (columns :data:`evsynth.schema.EVIDENCE_COLUMNS`).
    studies : one row per study (columns :data:`evsynth.schema.STUDY_COLUMNS`).
    failures : files that could not be read or extracted (file, stage, error, message).
    conflicts : disagreements between reports of one study (see :func:`find_conflicts`).
    rejected : rows removed by the curation file (row_id, report, reason).
    sources : paths of the reports that were read (used by :func:`verify`).
    curation : path of the curation file applied, or "".
    """

    evidence: pd.DataFrame
    studies: pd.DataFrame
    failures: pd.DataFrame = field(default_factory=lambda: _empty(FAILURE_COLUMNS))
    conflicts: pd.DataFrame = field(default_factory=lambda: _empty(CONFLICT_COLUMNS))
    rejected: pd.DataFrame = field(default_factory=lambda: _empty(REJECTED_COLUMNS))
    sources: tuple[str, ...] = ()
    curation: str = ""

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
            return pd.read_csv(path, dtype=str, keep_default_na=False)

        studies = pd.read_csv(folder / "studies.csv", dtype=str, keep_default_na=False)
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
    :func:`evsynth.reader.read_many` (recursively, .txt/.md/.pdf, README.md skipped)."""
    if paths is None:
        from evsynth.corpus import bundled_papers

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
    curation: str | Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    timeout: float | None = 120.0,
    memory_mb: int | None = 4096,
) -> EvidenceTable:
    """Read papers and extract their evidence table.

    Each file is read and extracted in its own process with a time and a memory limit
    (:func:`evsynth.batch.extract_many`), so one pathological PDF cannot hang or exhaust the
    machine; the others' results are complete either way.

    Parameters
    ----------
    paths : files or folders (.txt, .md, .pdf); None for the bundled papers.
    curation : a curation YAML file to apply (:mod:`evsynth.curation`); None for none.
    progress : show progress on stderr.
    workers : files processed at once (default: the number of CPUs).
    timeout : seconds one file may take before it is stopped and reported (None: no limit).
    memory_mb : memory limit of each file's process in MiB (None: no limit).

    Returns
    -------
    EvidenceTable. Files that cannot be read or extracted are listed in ``failures``; they are
    never dropped silently.
    """
    from evsynth.batch import extract_many

    files = expand_paths(paths)
    _progress(f"reading {len(files)} path(s)", progress)
    docs, rows, failures = extract_many(
        files, workers=workers, timeout=timeout, memory_mb=memory_mb, progress=progress
    )
    return extract_documents(
        docs, rows=rows, failures=failures, curation=curation, progress=progress
    )


def extract_documents(
    docs: Sequence[Document],
    *,
    rows: Sequence[pd.DataFrame] | None = None,
    failures=None,
    curation: str | Path | None = None,
    progress: bool = False,
) -> EvidenceTable:
    """The evidence table of documents already read (see :func:`extract`).

    Parameters
    ----------
    docs : Documents from :func:`evsynth.reader.read_many`.
    rows : ``extract_document(doc)`` of each document, when already computed (e.g. by
        :func:`evsynth.batch.extract_many`); None to run the extractors here.
    failures : the reader's failures (kept in the table's ``failures``).
    curation : a curation file to apply, or None.
    progress : print one line per document to stderr.
    """
    from evsynth.extractors import extract_document
    from evsynth.studies import build_studies

    fail = _failures_frame(failures)
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
            rows = given[id(doc)] if id(doc) in given else extract_document(doc)
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
    )
    if curation is not None:
        from evsynth.curation import apply_curation, load_curation

        cur = load_curation(curation)
        table = apply_curation(table, cur, documents=ok_docs)
    return table


def _sorted(evidence: pd.DataFrame) -> pd.DataFrame:
    return evidence.sort_values(
        ["report", "source_start", "source_end"], kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- csv


def read_evidence(path: str | Path) -> pd.DataFrame:
    """Read an evidence.csv written by evsynth, with the schema's dtypes.

    Raises
    ------
    EvsynthError : when the file is missing or its columns are not the schema's.
    """
    path = Path(path)
    if not path.is_file():
        raise EvsynthError(f"{path}: no such evidence table; run 'evsynth extract --out DIR' first")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in EVIDENCE_COLUMNS if c not in frame]
    if missing:
        raise EvsynthError(f"{path}: not an evidence table (missing columns {missing})")
    frame = frame[list(EVIDENCE_COLUMNS)]
    for col in FLOAT_COLUMNS + INT_COLUMNS:
        frame[col] = frame[col].replace("", None)
    return conform_evidence(frame)


# --------------------------------------------------------------------------- verify

_QUOTE_NUMBER = re.compile(r"(?<![\d.·])(?:\d{1,3}(?:,\d{3})+(?![\d])|\d+(?:[.·]\d+)?|[.·]\d+)")


def numbers_in(text: str) -> list[str]:
    """Numbers written in a text, as written ('0.45', '96.36', '1,280', '.001'), unsigned.

    A thousands-separated number is listed both whole ('1280') and as its parts.
    """
    out = []
    for m in _QUOTE_NUMBER.finditer(text):
        tok = m.group(0).replace("·", ".")
        if "," in tok:
            out.append(tok.replace(",", ""))
            out.extend(tok.split(","))
        else:
            out.append(tok)
    return out


def _matches(value: float, token: str) -> bool:
    """True if ``value`` is the number written as ``token`` (to the token's precision)."""
    try:
        t = Decimal(token if not token.startswith(".") else "0" + token)
    except InvalidOperation:
        return False
    v = Decimal(repr(abs(float(value))))
    if v == t:
        return True
    exp = t.as_tuple().exponent
    if not isinstance(exp, int):
        return False
    # the value is given more precisely than written: it must round to the token
    if v.as_tuple().exponent < exp:
        return v.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_UP) == t
    return False


def number_in_quote(value: float, quote: str, *, percent: bool = False) -> bool:
    """Whether a number is written in a quote (0.45 ~ '0.450'; with ``percent``, 0.9636 ~ '96.36%')."""
    tokens = numbers_in(quote)
    candidates = [float(value)]
    if percent:
        candidates.append(float(Decimal(repr(float(value))) * 100))
    return any(_matches(c, t) for c in candidates for t in tokens)


def _percent_ok(field: str, measure: str) -> bool:
    if field == "rate_se":
        return True
    if field == "p_value" or field.startswith(("events", "total")):
        return False
    return measure not in _RATIO_MEASURES


def _accounted(fieldname: str, value: float, row: pd.Series, original: str) -> str:
    """How a number that is not in the quote is accounted for by the row's notes, or ''.

    Three derivations are accepted: a proportion that is events/total, a total that is the
    row's events plus a number written in the quote when the notes explain the total (a table's
    responders + non-responders), and
    a number inside a phrase the notes quote ('17 patients received tocilizumab') that is
    found verbatim in the report.
    """
    notes = str(row["notes"] or "")
    quote = str(row["source_quote"])
    if fieldname == "estimate" and row["measure"] in ("proportion", "counts"):
        events, total = row["events_int"], row["total_int"]
        if not pd.isna(events) and not pd.isna(total) and float(total) > 0:
            if abs(float(value) - float(events) / float(total)) < 1e-9:
                return f"estimate {_fmt_number(value)} = {_fmt_count(events)}/{_fmt_count(total)}"
    if fieldname in ("total_int", "total_ctl") and re.search(r"\b(?:sums?|totals?)\b", notes):
        events = row["events_int" if fieldname == "total_int" else "events_ctl"]
        if not pd.isna(events):
            rest = float(value) - float(events)
            if rest >= 0 and number_in_quote(rest, quote):
                return f"{fieldname} {_fmt_number(value)} = {_fmt_number(events)} + {_fmt_number(rest)} (both in the quote)"
    for phrase in re.findall(r"'([^']{4,200})'", notes):
        if phrase in original and number_in_quote(float(value), phrase):
            return f"{fieldname} {_fmt_number(value)} from {phrase!r} (found in the report, named in notes)"
    return ""


def row_problems(row: pd.Series, original: str | None) -> list[dict]:
    """Problems of one evidence row against the original text of its report.

    Each problem has a ``level``: "error" (the quote is not the text at the offsets, or a number
    is neither in the quote nor accounted for by the notes) or "derived" (a number not in the
    quote that the notes account for, see :func:`_accounted`).
    """
    problems = []

    def add(fieldname, value, problem, level="error"):
        problems.append(
            {
                "row_id": row["row_id"],
                "report": row["report"],
                "field": fieldname,
                "value": value,
                "level": level,
                "problem": problem,
            }
        )

    if original is None:
        add("report", row["report"], "report not found among the papers given")
        return problems
    start, end = row["source_start"], row["source_end"]
    quote = row["source_quote"]
    if pd.isna(start) or pd.isna(end) or not 0 <= int(start) <= int(end) <= len(original):
        add("source_start", f"{start}:{end}", f"span outside the report (0:{len(original)})")
    elif original[int(start) : int(end)] != quote:
        found = original[int(start) : int(end)]
        add(
            "source_quote",
            quote[:80],
            f"original[{int(start)}:{int(end)}] is {found[:80]!r}, not the quote",
        )
    for f in CHECKED_NUMBERS:
        v = row[f]
        if pd.isna(v):
            continue
        if not number_in_quote(float(v), quote, percent=_percent_ok(f, row["measure"])):
            how = _accounted(f, float(v), row, original)
            if how:
                add(f, _fmt_number(v), how, level="derived")
            else:
                add(f, _fmt_number(v), f"{f} {_fmt_number(v)} is not in the quote {quote[:120]!r}")
    return problems


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
    from evsynth.reader import read_many

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
