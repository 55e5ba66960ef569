"""A reviewer's decisions on extracted rows, kept in a YAML file next to the evidence table.

The curation file (schema in ``docs/curation.md``) names the papers it belongs to (file name and
sha256 of the bytes) and lists decisions on rows by their stable ``row_id``:

* ``accept``: the row is right as extracted (``curation = "accepted"``);
* ``reject``: the row is wrong and is removed (listed in ``EvidenceTable.rejected``);
* ``correct``: fields are set to the reviewer's values (``curation = "corrected"``; the old
  values and the reason go into ``notes``; the source span is kept);
* ``add``: a row the extractors missed, located by ``source_start``/``source_end`` or by a
  ``source_quote`` found exactly once in the report (``curation = "added"``).

The file is read with the project's safe YAML reader (:mod:`evsynth._shared.yamlfile`: no aliases, no duplicate keys, size-capped) only, validated completely before anything is applied,
and never rewritten by evsynth. Any problem raises :class:`~evsynth.errors.CurationError`
naming the entry.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evsynth._shared.yamlfile import YamlProblem, load_yaml
from evsynth.errors import CurationError
from evsynth.evidence.frame import (
    REJECTED_COLUMNS,
    _join_notes,
    _sorted,
    conform_evidence,
    find_conflicts,
    row_ids,
)
from evsynth.evidence.provenance import row_problems
from evsynth.extraction.schema import (
    ANALYSES,
    EVIDENCE_COLUMNS,
    FLOAT_COLUMNS,
    INT_COLUMNS,
    MEASURES,
)
from evsynth.reading.document import Document

__all__ = [
    "Curation",
    "CurationEntry",
    "CurationAddition",
    "load_curation",
    "apply_curation",
    "curation_belongs_to",
    "curation_template",
    "file_sha256",
]

FORMAT_VERSION = 1
ACTIONS = ("accept", "reject", "correct")
#: fields a correction may not change (they tie the row to its source)
PROTECTED = (
    "row_id",
    "study_id",
    "report",
    "source_start",
    "source_end",
    "source_quote",
    "extractor",
    "curation",
)
_TOP_KEYS = {"evsynth_curation", "papers", "entries", "add"}
_ENTRY_KEYS = {"row_id", "action", "set", "reason", "report"}
_ADD_KEYS = {"report", "source_start", "source_end", "source_quote", "fields", "reason"}
_FLOATS = set(FLOAT_COLUMNS)
_INTS = set(INT_COLUMNS)
_P_OPERATORS = ("=", "<", ">", "<=", "")


@dataclass(frozen=True)
class CurationEntry:
    """A decision on one extracted row (``index`` is its position under ``entries:``)."""

    index: int
    row_id: str
    action: str
    set: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    report: str = ""

    @property
    def label(self) -> str:
        return f"entries[{self.index}] (row_id {self.row_id!r})"


@dataclass(frozen=True)
class CurationAddition:
    """A row the extractors missed (``index`` is its position under ``add:``)."""

    index: int
    report: str
    fields: dict[str, Any]
    reason: str
    source_start: int | None = None
    source_end: int | None = None
    source_quote: str | None = None

    @property
    def label(self) -> str:
        return f"add[{self.index}] (report {self.report!r})"


@dataclass(frozen=True)
class Curation:
    """A parsed and validated curation file."""

    path: str
    papers: tuple[tuple[str, str], ...]
    entries: tuple[CurationEntry, ...] = ()
    additions: tuple[CurationAddition, ...] = ()

    def mismatches(self, paths) -> list[str]:
        """Why this file does not belong to the given papers (empty list: it belongs).

        It belongs when every paper it names is among ``paths`` (files or folders) with the
        same sha256; papers it does not name are allowed.
        """
        have: dict[str, str] = {}
        for p in _files(paths):
            have[p.name] = str(p)
        problems = []
        for name, digest in self.papers:
            if name not in have:
                problems.append(f"{name} is not among the papers being read")
            elif file_sha256(have[name]) != digest:
                problems.append(
                    f"{name} differs from the version this curation file was written for (sha256)"
                )
        return problems

    def to_frame(self) -> pd.DataFrame:
        """The decisions, one row each (kind, row_id/report, action, fields set, reason)."""
        rows = [
            {
                "kind": "entry",
                "row_id": e.row_id,
                "report": e.report,
                "action": e.action,
                "set": _fmt_set(e.set),
                "reason": e.reason,
            }
            for e in self.entries
        ] + [
            {
                "kind": "add",
                "row_id": "",
                "report": a.report,
                "action": "add",
                "set": _fmt_set(a.fields),
                "reason": a.reason,
            }
            for a in self.additions
        ]
        return pd.DataFrame(rows, columns=["kind", "row_id", "report", "action", "set", "reason"])

    def __repr__(self) -> str:
        return f"Curation({Path(self.path).name!r}, {len(self.papers)} papers, {len(self.entries)} entries, {len(self.additions)} additions)"


def _fmt_set(d: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _files(paths) -> list[Path]:
    if paths is None:
        from evsynth.reading.corpus import bundled_papers

        return bundled_papers()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(
                sorted(
                    q
                    for q in p.rglob("*")
                    if q.is_file() and q.suffix.lower() in (".txt", ".md", ".pdf")
                )
            )
        else:
            out.append(p)
    return out


# --------------------------------------------------------------------------- loading


def _err(where: str, path: str, msg: str) -> CurationError:
    return CurationError(f"{path}: {where}: {msg}")


def _check_value(name: str, value: Any, where: str, path: str) -> Any:
    """Validate one field value of a correction or addition; return it normalized."""
    if name not in EVIDENCE_COLUMNS:
        raise _err(
            where,
            path,
            f"unknown field {name!r}; fields are the columns of evidence.csv (docs/evidence-table.md)",
        )
    if value is None:
        return None
    if name in _FLOATS:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise _err(where, path, f"{name} must be a number, not {value!r}")
        return float(value)
    if name in _INTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _err(where, path, f"{name} must be a whole number >= 0, not {value!r}")
        return int(value)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _err(where, path, f"{name} must be text, not {value!r}")
    value = str(value)
    if name == "measure" and value not in MEASURES:
        raise _err(where, path, f"measure must be one of {list(MEASURES)}, not {value!r}")
    if name == "analysis" and value not in ANALYSES:
        raise _err(where, path, f"analysis must be one of {list(ANALYSES)}, not {value!r}")
    if name == "p_operator" and value not in _P_OPERATORS:
        raise _err(where, path, f"p_operator must be one of {list(_P_OPERATORS)}, not {value!r}")
    return value


def load_curation(path: str | Path) -> Curation:
    """Read and validate a curation file (safe reader, see the module doc; never written).

    Raises
    ------
    CurationError : the file is missing, is not valid YAML, or an entry is malformed (the
        message names the entry, e.g. ``entries[3] (row_id 'r1a2b3c4d5e')``).
    """
    p = Path(path)
    spath = str(p)
    if not p.is_file():
        raise CurationError(f"{spath}: no such curation file")
    try:  # the project's safe reader: no aliases (billion laughs), no duplicate keys (a second
        # "entries:" or "action:" would silently win), size cap, encodings decoded or refused
        data, _lines = load_yaml(p)
    except YamlProblem as exc:
        where = f", line {exc.line}" if exc.line else ""
        raise CurationError(f"{spath}{where}: {exc.message}") from None
    if not isinstance(data, dict):
        raise CurationError(
            f"{spath}: expected a mapping with 'papers:' and 'entries:' (see docs/curation.md)"
        )
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise CurationError(
            f"{spath}: unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
        )
    version = data.get("evsynth_curation", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise CurationError(
            f"{spath}: evsynth_curation: {version!r} is not a format this evsynth reads ({FORMAT_VERSION})"
        )

    papers = []
    raw_papers = data.get("papers")
    if not isinstance(raw_papers, list) or not raw_papers:
        raise CurationError(
            f"{spath}: 'papers:' must list the papers (file, sha256) this curation belongs to"
        )
    for i, item in enumerate(raw_papers):
        where = f"papers[{i}]"
        if not isinstance(item, dict) or set(item) != {"file", "sha256"}:
            raise _err(where, spath, "each paper needs exactly 'file' and 'sha256'")
        digest = str(item["sha256"]).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise _err(where, spath, f"sha256 must be 64 hex digits, not {item['sha256']!r}")
        papers.append((str(item["file"]), digest))

    entries = []
    seen: dict[str, int] = {}
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        raise CurationError(f"{spath}: 'entries:' must be a list")
    for i, item in enumerate(raw_entries):
        rid = str(item.get("row_id", "")) if isinstance(item, dict) else ""
        where = f"entries[{i}] (row_id {rid!r})" if rid else f"entries[{i}]"
        if not isinstance(item, dict):
            raise _err(where, spath, "each entry must be a mapping with row_id, action, reason")
        unknown = set(item) - _ENTRY_KEYS
        if unknown:
            raise _err(
                where, spath, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}"
            )
        if not rid:
            raise _err(where, spath, "row_id is missing")
        if rid in seen:
            raise _err(
                where, spath, f"row_id {rid!r} already has a decision at entries[{seen[rid]}]"
            )
        seen[rid] = i
        action = item.get("action")
        if action not in ACTIONS:
            raise _err(where, spath, f"action must be one of {list(ACTIONS)}, not {action!r}")
        reason = item.get("reason") or ""
        if not isinstance(reason, str):
            raise _err(where, spath, "reason must be text")
        if action in ("reject", "correct") and not reason.strip():
            raise _err(where, spath, f"a '{action}' needs a reason a peer reviewer can read")
        sets = item.get("set")
        if action == "correct":
            if not isinstance(sets, dict) or not sets:
                raise _err(where, spath, "a 'correct' needs 'set:' with the fields to change")
            bad = [k for k in sets if k in PROTECTED]
            if bad:
                raise _err(
                    where,
                    spath,
                    f"cannot correct {bad}: they tie the row to its source; reject the row and add a new one instead",
                )
            sets = {k: _check_value(k, v, where, spath) for k, v in sets.items()}
        elif sets is not None:
            raise _err(
                where, spath, f"'set:' is only allowed with action 'correct', not {action!r}"
            )
        entries.append(
            CurationEntry(
                i, rid, action, dict(sets or {}), reason.strip(), str(item.get("report") or "")
            )
        )

    additions = []
    raw_add = data.get("add") or []
    if not isinstance(raw_add, list):
        raise CurationError(f"{spath}: 'add:' must be a list")
    for i, item in enumerate(raw_add):
        where = f"add[{i}]"
        if not isinstance(item, dict):
            raise _err(
                where,
                spath,
                "each addition must be a mapping (report, source_quote or source_start/source_end, fields, reason)",
            )
        unknown = set(item) - _ADD_KEYS
        if unknown:
            raise _err(
                where, spath, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ADD_KEYS)}"
            )
        report = item.get("report")
        if not report:
            raise _err(where, spath, "report (the file name) is missing")
        where = f"add[{i}] (report {report!r})"
        start, end, quote = (
            item.get("source_start"),
            item.get("source_end"),
            item.get("source_quote"),
        )
        if (start is None) != (end is None):
            raise _err(where, spath, "give both source_start and source_end, or neither")
        if start is None and not quote:
            raise _err(
                where,
                spath,
                "give source_start and source_end, or a source_quote found once in the report",
            )
        if start is not None:
            _check_value("source_start", start, where, spath)
            _check_value("source_end", end, where, spath)
            if end <= start:
                raise _err(where, spath, "source_end must be after source_start")
        if quote is not None and not isinstance(quote, str):
            raise _err(where, spath, "source_quote must be text")
        fields = item.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise _err(
                where,
                spath,
                "'fields:' with the row's values (measure, outcome, numbers, ...) is missing",
            )
        for required in ("measure", "outcome"):
            if not fields.get(required):
                raise _err(where, spath, f"fields needs {required!r}")
        bad = [k for k in fields if k in PROTECTED]
        if bad:
            raise _err(where, spath, f"fields may not set {bad}; they are filled in by evsynth")
        fields = {k: _check_value(k, v, where, spath) for k, v in fields.items()}
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise _err(where, spath, "an addition needs a reason")
        additions.append(
            CurationAddition(i, str(report), fields, reason.strip(), start, end, quote)
        )
    return Curation(spath, tuple(papers), tuple(entries), tuple(additions))


def curation_belongs_to(path: str | Path, paths) -> bool:
    """Whether the curation file at ``path`` was written for these papers (see
    :meth:`Curation.mismatches`)."""
    return not load_curation(path).mismatches(paths)


def curation_template(paths=None) -> str:
    """The text of a new, empty curation file for these papers (evsynth never writes it for you)."""
    lines = [
        "# evsynth curation file (docs/curation.md). Edit by hand; evsynth never rewrites it.",
        f"evsynth_curation: {FORMAT_VERSION}",
        "papers:",
    ]
    for p in _files(paths):
        lines += [f"  - file: {p.name}", f'    sha256: "{file_sha256(p)}"']
    lines += ["entries: []", "add: []", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- applying


def _fmt(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return "(empty)"
    if isinstance(v, float):
        return format(v, "g")
    return repr(v) if isinstance(v, str) else str(v)


def apply_curation(
    table, curation: Curation | str | Path, *, documents: list[Document] | None = None
):
    """Apply a curation file to an evidence table; return the curated table (a new object).

    Parameters
    ----------
    table : an :class:`~evsynth.evidence.EvidenceTable`.
    curation : a :class:`Curation` or the path of a curation file.
    documents : the Documents of the reports (needed only for ``add:`` entries; default: the
        table's ``sources`` are read again).

    Raises
    ------
    CurationError : the file belongs to other papers (sha256), names a row id the table does
        not have, or an addition's source cannot be found.
    """

    cur = curation if isinstance(curation, Curation) else load_curation(curation)
    if table.sources:
        problems = cur.mismatches(table.sources)
        if problems:
            raise CurationError(
                f"{cur.path}: this curation file belongs to other papers: " + "; ".join(problems)
            )
    _check_labels(cur, getattr(table, "protocol", None))
    ev = table.evidence.copy()
    ev["notes"] = ev["notes"].map(_strip_conflict_notes)
    index_of = {rid: i for i, rid in enumerate(ev["row_id"])}
    for e in cur.entries:
        if e.row_id not in index_of:
            raise CurationError(
                f"{cur.path}: {e.label}: no row with this id in the evidence table; the extractor "
                "output changed since the curation was written; review the row again and update the entry"
            )
        i = index_of[e.row_id]
        if e.report and e.report != ev.at[i, "report"]:
            raise CurationError(
                f"{cur.path}: {e.label}: the row comes from {ev.at[i, 'report']}, not {e.report}"
            )

    rejected = []
    drop = []
    for e in cur.entries:
        i = index_of[e.row_id]
        if e.action == "reject":
            rejected.append({"row_id": e.row_id, "report": ev.at[i, "report"], "reason": e.reason})
            drop.append(i)
        elif e.action == "accept":
            ev.at[i, "curation"] = "accepted"
            if e.reason:
                ev.at[i, "notes"] = _join_notes(ev.at[i, "notes"], f"accepted: {e.reason}")
        else:
            changes = []
            for k, v in e.set.items():
                old = ev.at[i, k]
                changes.append(f"{k} {_fmt(old)} -> {_fmt(v)}")
                ev.at[i, k] = (
                    np.nan
                    if v is None and k in _FLOATS
                    else (pd.NA if v is None and k in _INTS else ("" if v is None else v))
                )
            ev.at[i, "curation"] = "corrected"
            ev.at[i, "notes"] = _join_notes(
                ev.at[i, "notes"], f"corrected ({'; '.join(changes)}): {e.reason}"
            )
    ev = ev.drop(index=drop)

    if cur.additions:
        docs = {
            Path(d.path).name: d
            for d in (documents if documents is not None else _read(table.sources))
        }
        study_of = dict(zip(table.evidence["report"], table.evidence["study_id"], strict=True))
        for _, s in table.studies.iterrows():
            for r in str(s["reports"]).split(";"):
                study_of.setdefault(r, s["study_id"])
        new_rows = [_added_row(a, docs, study_of, cur.path) for a in cur.additions]
        added = conform_evidence(pd.DataFrame(new_rows))
        ids = set(ev["row_id"])
        added_ids = []
        for rid in row_ids(added):
            base, k = rid, 1
            while rid in ids:
                k += 1
                rid = f"{base}-{k}"
            ids.add(rid)
            added_ids.append(rid)
        added["row_id"] = added_ids
        ev = pd.concat([conform_evidence(ev), added], ignore_index=True)
    ev = _sorted(conform_evidence(ev))
    conflicts, ev = find_conflicts(ev)

    rej = (
        pd.concat(
            [table.rejected, pd.DataFrame(rejected, columns=list(REJECTED_COLUMNS))],
            ignore_index=True,
        )
        if rejected
        else table.rejected
    )
    return replace(
        table, evidence=conform_evidence(ev), conflicts=conflicts, rejected=rej, curation=cur.path
    )


def _check_labels(cur: Curation, protocol) -> None:
    """Labels set by the curation must be the protocol's (a typo would silently drop a row from
    its question)."""
    if protocol is None:
        return
    allowed = {
        "intervention": set(protocol.interventions),
        "outcome": set(protocol.outcomes),
    }
    for label, fields in [(e.label, e.set) for e in cur.entries] + [
        (a.label, a.fields) for a in cur.additions
    ]:
        for key, ok in allowed.items():
            v = fields.get(key)
            if v not in (None, "") and v not in ok:
                raise CurationError(
                    f"{cur.path}: {label}: {key} {v!r} is not a label of the protocol "
                    f"({', '.join(sorted(ok))})"
                )


def _strip_conflict_notes(notes: str) -> str:
    parts = [p for p in str(notes).split("; ") if p and not p.startswith("conflict: ")]
    return "; ".join(parts)


def _read(sources) -> list[Document]:
    from evsynth.reading.reader import read_many

    docs, _ = read_many([Path(s) for s in sources])
    return docs


def _added_row(
    a: CurationAddition, docs: dict[str, Document], study_of: dict[str, str], path: str
) -> dict:

    if a.report not in docs:
        raise CurationError(f"{path}: {a.label}: the report is not among the papers read")
    doc = docs[a.report]
    original = doc.original
    if a.source_start is not None:
        start, end = int(a.source_start), int(a.source_end)
        if end > len(original):
            raise CurationError(
                f"{path}: {a.label}: source_end {end} is past the end of the report ({len(original)})"
            )
        quote = original[start:end]
        if a.source_quote is not None and a.source_quote != quote:
            raise CurationError(
                f"{path}: {a.label}: source_quote is not the text at {start}:{end} ({quote[:80]!r})"
            )
    else:
        hits = [m.start() for m in re.finditer(re.escape(a.source_quote), original)]
        if len(hits) != 1:
            raise CurationError(
                f"{path}: {a.label}: source_quote is found {len(hits)} times in the report; "
                "give a longer quote or source_start/source_end"
            )
        start = hits[0]
        end = start + len(a.source_quote)
        quote = a.source_quote
    row = {c: None for c in EVIDENCE_COLUMNS}
    row.update(a.fields)
    check = pd.Series(
        {
            **row,
            "row_id": "(added)",
            "report": a.report,
            "source_start": start,
            "source_end": end,
            "source_quote": quote,
        }
    )
    for c in ("events_int", "total_int", "events_ctl", "total_ctl"):
        check[c] = np.nan if check[c] is None else check[c]
    for problem in row_problems(check, original):
        if problem["level"] == "error":
            raise CurationError(f"{path}: {a.label}: {problem['problem']}")
    norm = int(np.searchsorted(np.asarray(doc.offsets), start, side="left"))
    sec = doc.section_at(min(norm, max(len(doc.text) - 1, 0)))
    row.update(
        {
            "report": a.report,
            "study_id": study_of.get(a.report, ""),
            "source_start": start,
            "source_end": end,
            "source_quote": quote,
            "extractor": "curation",
            "curation": "added",
            "section": row.get("section") or (sec.name if sec else ""),
            "notes": _join(row.get("notes"), f"added: {a.reason}"),
        }
    )
    if row.get("ci_lower") is not None and row.get("ci_level") is None:
        row["ci_level"] = 0.95 if re.search(r"95\s*%", quote) else None
    return row


def _join(a, b):
    return "; ".join(x for x in (a, b) if x)
