"""Evidence rows as a DataFrame: the column types, stable row ids, conflicts between reports.

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
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth._shared.files import spreadsheet_raw
from evsynth.errors import EvsynthError, ExtractionError
from evsynth.extraction.schema import (
    EVIDENCE_COLUMNS,
    FLOAT_COLUMNS,
    INT_COLUMNS,
    LATER_COLUMNS,
)

__all__ = ["conform_evidence", "empty_evidence", "row_ids", "find_conflicts", "read_evidence"]

STRING_COLUMNS = tuple(c for c in EVIDENCE_COLUMNS if c not in FLOAT_COLUMNS + INT_COLUMNS)

#: the numbers of a row that must appear in its quote (ci_level may be implied by "95% CI")
CHECKED_NUMBERS = (
    "estimate", "ci_lower", "ci_upper", "p_value",
    "events_int", "total_int", "events_ctl", "total_ctl", "rate_se",
    "mean_int", "sd_int", "mean_ctl", "sd_ctl",
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
            f"evidence rows have columns that are not in evsynth.extraction.schema.EVIDENCE_COLUMNS: {extra}"
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
        else:  # evsynth.reading.reader.ReadFailure (path, error, message) or a ReadError
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
    signs and its low/high-type words ('low-dose drug A (≤ 8 mg kg-¹)' -> {'≤8', 'low'})."""
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


def _sorted(evidence: pd.DataFrame) -> pd.DataFrame:
    return evidence.sort_values(
        ["report", "source_start", "source_end"], kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- csv


def read_evidence(path: str | Path) -> pd.DataFrame:
    """Read an evidence.csv written by evsynth, with the schema's dtypes.

    Text cells that the writer prefixed with an apostrophe to keep spreadsheets from running
    them as formulas (see :mod:`evsynth._shared.files`) are restored to their raw values, so
    ``evsynth verify`` checks the numbers against the quotes as extracted.

    Raises
    ------
    EvsynthError : when the file is missing or its columns are not the schema's.
    """
    path = Path(path)
    if not path.is_file():
        raise EvsynthError(f"{path}: no such evidence table; run 'evsynth extract --out DIR' first")
    try:
        frame = spreadsheet_raw(
            pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        )
    except pd.errors.EmptyDataError:
        raise EvsynthError(f"{path}: the file is empty; not an evidence table") from None
    except UnicodeDecodeError as exc:
        raise EvsynthError(
            f"{path}: not UTF-8 text (byte {exc.start}); evsynth writes evidence.csv as UTF-8: "
            "if a spreadsheet saved it in another encoding, save it again as CSV UTF-8"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise EvsynthError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    for col in LATER_COLUMNS:  # a table written before these columns existed: they are empty
        if col not in frame and "total_ctl" in frame:
            frame[col] = ""
    missing = [c for c in EVIDENCE_COLUMNS if c not in frame]
    if missing:
        shown = missing if len(missing) <= 6 else [*missing[:6], f"... {len(missing) - 6} more"]
        raise EvsynthError(f"{path}: not an evidence table (missing columns {shown})")
    frame = frame[list(EVIDENCE_COLUMNS)]
    for col in FLOAT_COLUMNS + INT_COLUMNS:
        frame[col] = frame[col].replace("", None)
        bad = pd.to_numeric(frame[col], errors="coerce").isna() & frame[col].notna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise EvsynthError(
                f"{path}: row {i + 2} (row_id {frame['row_id'].iloc[i]!r}): {col} is "
                f"{frame[col].iloc[i]!r}, not a number; fix the cell or re-extract"
            )
    return conform_evidence(frame)
