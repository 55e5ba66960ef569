"""Events per arm from tables whose columns are the arms: "n (%)" cells under headers that give
the arm's size ("Exercise group (n=455) | Usual care (n=451) | p"), or "a/b (p%)" cells under
any arm header ("Otago | Control").

Each body row whose cells in two arm columns are counts becomes one ``counts`` row: events from
the cells, totals from the cells ("a/b") or the headers ("(n=455)"). A cell "a (p)" is read as a
count only when p is a/n as a percentage (rounded as printed); otherwise it is something else
(a mean and SD, a median) and the row is left to other rules. Which column is the comparator
comes from the header words (the protocol's comparator terms, "non-X", placebo, control, usual
care, ...); with two arm columns and no such word, the second column is taken as the comparator
and the row says so. Tables of baseline characteristics are skipped (their rows are not
outcomes).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from evsynth.extraction.arms import arm_role
from evsynth.extraction.counts import pct_matches
from evsynth.extraction.labels import (
    comparator_for,
    find_comparators,
    find_interventions,
    find_outcomes,
)
from evsynth.extraction.rows import RowMaker
from evsynth.reading.document import Table, TableCell

__all__ = ["ArmColumns", "arm_count_table_rows", "table_arms"]

_HEADER_N = re.compile(r"[(\[,]?\s*[nN]\s*=\s*(?P<n>\d{1,3}(?:,\d{3})+|\d{1,6})\s*[)\]]?")
_NOT_ARM = re.compile(
    r"(?i)^\s*(?:p(?:[\s-]?values?)?|(?:a|adjusted\s+)?(?:HR|OR|RR|IRR|RD)\b.*|.*95\s*%.*|"
    r"(?:risk|mean|absolute)?\s*differen\w*.*|total|all|overall|characteristics?|variables?|"
    r"outcomes?)\s*[*†‡]?\s*$"
)
_SKIP_TABLE = re.compile(r"(?i)baseline|characteristics|demographic")
#: a row label that says its cells are means, SDs or medians
_CONTINUOUS = re.compile(r"(?i)mean|\bSD\b|median|IQR|interquartile|standard\s+deviation")
_PCT = r"(?P<p>\d{1,3}(?:\.\d{1,3})?)\s*%?"
_CELL = re.compile(
    r"^\s*(?P<e>\d{1,6})\s*(?:/\s*(?P<t>\d{1,6})\s*)?(?:\(\s*" + _PCT + r"\s*\))?\s*[*†‡]?\s*$"
)
#: a row that is the whole study population, not a stratum
_WHOLE = re.compile(r"(?i)^\s*(?:all|overall|total|whole|entire|any)\b")
_P_CELL = re.compile(r"^\s*(?P<op>[<>≤≥=])?\s*(?P<v>0?\.\d{1,6}|1(?:\.0+)?)\s*[*†‡]?\s*$")


@dataclass(frozen=True)
class ArmColumns:
    """Arm columns of a table: ``arms`` col -> (header without its n, n or None), ``roles``
    col -> (role, protocol label), the treated and comparator columns, and notes on the choice."""

    arms: dict[int, tuple[str, int | None]]
    roles: dict[int, tuple[str, str]]
    treated: tuple[int, ...]
    controls: tuple[int, ...]
    notes: tuple[str, ...]


def _arm_columns(cells: list[TableCell]) -> dict[int, tuple[str, int | None]]:
    """Columns that are arms: col -> (header without its n, n from the header or None)."""
    out = {}
    for c in cells:
        if c.col in out or c.col == 0:
            continue
        header = c.col_label.strip()
        if not header or _NOT_ARM.match(header):
            continue
        m = _HEADER_N.search(header)
        n = int(m.group("n").replace(",", "")) if m else None
        name = _HEADER_N.sub("", header).strip(" ,;:()[]") if m else header
        out[c.col] = (name or header, n)
    return out


def _count(cell: TableCell | None, n: int | None) -> tuple[int, int, str] | None:
    """(events, total, why) of a count cell, or None when the cell is not a count; ``why``
    names where the total comes from (the header is quoted, so that provenance can find it)."""
    if cell is None:
        return None
    m = _CELL.match(cell.text)
    if not m or (m.group("t") is None and m.group("p") is None):
        return None
    events = int(m.group("e"))
    total = int(m.group("t")) if m.group("t") else n
    if total is None or total <= 0 or events > total:
        return None
    if m.group("p") is not None and not pct_matches(
        events, total, float(m.group("p")), m.group("p")
    ):
        return None  # "41 (9)" that is not 41/n: a mean (SD) or a median (range), not a count
    why = (
        "total from the cell"
        if m.group("t")
        else f"total {total} from the column header '{cell.col_label.strip()}'"
    )
    return events, total, why


def _role(header: str) -> tuple[str, str]:
    """(role, label) of an arm column from its header words."""
    found = find_interventions(header)
    pos = [f for f in found if not f[2]]
    neg = [f for f in found if f[2]]
    if neg:
        return "comparator", comparator_for(neg[0][0])
    cmp = find_comparators(header)
    if cmp:
        return "comparator", cmp[0][0]
    role = arm_role(header)
    if pos and role == "intervention":
        return "intervention", pos[0][0]
    return role, ""


def _p(cell: TableCell | None) -> tuple[float, str]:
    if cell is None:
        return math.nan, ""
    m = _P_CELL.match(cell.text)
    if not m:
        return math.nan, ""
    return float(m.group("v")), m.group("op") or "="


def arm_count_table_rows(maker: RowMaker) -> None:
    """Add a counts row for every outcome row of every arms-as-columns table of the document."""
    for table in maker.doc.tables:
        if table.cells and not _SKIP_TABLE.search(table.caption or ""):
            _table(maker, table)


def table_arms(cells: list[TableCell]) -> ArmColumns | None:
    """The arm columns of a table whose columns are arms, with their roles, or None when the
    table has no treated and comparator column."""
    arms = _arm_columns(cells)
    if len(arms) < 2:
        return None
    roles = {j: _role(name) for j, (name, _) in arms.items()}
    treated = [j for j in arms if roles[j][0] == "intervention"]
    controls = [j for j in arms if roles[j][0] == "comparator"]
    notes = []
    if not controls and len(arms) == 2:
        treated, controls = [min(arms)], [max(arms)]
        notes.append(
            "no header names the comparator: the second arm column is taken as the comparator"
        )
    if not treated or not controls:
        return None
    return ArmColumns(arms, roles, tuple(treated), tuple(controls), tuple(notes))


def _table(maker: RowMaker, table: Table) -> None:
    cells = list(table.cells)
    found = table_arms(cells)
    if found is None:
        return
    arms, roles, treated, controls = found.arms, found.roles, found.treated, found.controls
    notes_table = list(found.notes)
    p_cols = [c.col for c in cells if re.match(r"(?i)^\s*p(?:[\s-]?values?)?\s*$", c.col_label)]
    by_row: dict[int, dict[int, TableCell]] = defaultdict(dict)
    for c in cells:
        by_row[c.row][c.col] = c
    # the caption's outcome applies to rows that name none only when no row names one (a table
    # of one outcome by stratum, not a table of several outcomes)
    caption_outcome = find_outcomes(table.caption or "")
    labels_name_outcomes = any(find_outcomes(c.row_label) for c in cells)
    for _r, row in sorted(by_row.items()):
        first = next(iter(row.values()))
        label = first.row_label.strip()
        if not label or _CONTINUOUS.search(label):
            continue
        for j in treated:
            for k in controls[:1]:
                a, b = _count(row.get(j), arms[j][1]), _count(row.get(k), arms[k][1])
                if a is None or b is None:
                    continue
                own = find_outcomes(label)
                outs = (
                    own
                    or (find_outcomes(first.row_group) if first.row_group else ())
                    or (caption_outcome if not labels_name_outcomes else ())
                )
                outcome, outcome_rep = (outs[0][0], label) if outs else ("", label)
                # a row that is not the outcome itself but a stratum of the caption's outcome
                subgroup = label if outs and not own and not _WHOLE.match(label) else ""
                used = [row[j], row[k]]
                p_value, p_op = math.nan, ""
                if p_cols and len(arms) == 2:
                    p_value, p_op = _p(row.get(p_cols[0]))
                    if p_op:
                        used.append(row[p_cols[0]])
                name_i, name_c = arms[j][0], arms[k][0]
                intervention = roles[j][1]
                comparator = roles[k][1]
                if (
                    comparator.startswith("no ")
                    and intervention
                    and comparator != f"no {intervention}"
                ):
                    continue  # "non-Y" column against an X column: not this contrast
                notes = [*notes_table, f"treated arm: {a[2]}", f"comparator arm: {b[2]}"]
                maker.add_orig(
                    min(c.start for c in used),
                    max(c.end for c in used),
                    intervention=intervention,
                    intervention_as_reported=name_i,
                    comparator=comparator,
                    comparator_as_reported=name_c,
                    outcome=outcome,
                    outcome_as_reported=outcome_rep,
                    subgroup=subgroup,
                    measure="counts",
                    events_int=a[0],
                    total_int=a[1],
                    events_ctl=b[0],
                    total_ctl=b[1],
                    p_value=p_value,
                    p_operator=p_op,
                    section="table",
                    table=table.label,
                    extractor="table_arm_counts",
                    notes="; ".join(notes),
                )
