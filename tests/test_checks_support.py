"""Helpers for the consistency-check tests: build Documents from text and tables written here.

No tests in this module; the Documents have identity offsets (``original == text``) so that a
finding's quote can be compared with the text that was written.
"""

from __future__ import annotations

import numpy as np

from evsynth.reading.document import Document, Table, TableCell


def make_doc(text: str, tables: tuple[dict, ...] = (), name: str = "planted.txt") -> Document:
    """A Document of ``text`` followed by ``tables``.

    Each table is a dict with ``label``, ``caption``, ``header`` (column labels; the first is the
    row-label column), optional ``groups`` (a spanning header per column) and ``rows`` (lists of
    cell texts, first the row label). A row label starting with '#' is a group heading: the rows
    below it get it as ``row_group``.
    """
    parts = [text]
    pos = len(text)
    built = []
    for spec in tables:
        head = (
            f"\n\n{spec['label']} | {spec.get('caption', '')}\n" + "\t".join(spec["header"]) + "\n"
        )
        parts.append(head)
        pos += len(head)
        t_start = pos
        cells = []
        group = ""
        groups = spec.get("groups") or [""] * len(spec["header"])
        for r, row in enumerate(spec["rows"], start=1):
            label = row[0]
            is_heading = label.startswith("#")
            label = label.lstrip("#")
            line = label
            cell_pos = pos + len(label)
            for c, val in enumerate(row[1:], start=1):
                line += "\t" + val
                cell_pos += 1
                if val.strip():
                    cells.append(
                        TableCell(
                            r,
                            c,
                            val,
                            label,
                            group,
                            spec["header"][c],
                            groups[c],
                            cell_pos,
                            cell_pos + len(val),
                        )
                    )
                cell_pos += len(val)
            line += "\n"
            parts.append(line)
            pos += len(line)
            if is_heading:
                group = label
        built.append(Table(spec["label"], spec.get("caption", ""), tuple(cells), t_start, pos))
    full = "".join(parts)
    return Document(name, "txt", full, full, np.arange(len(full) + 1), tables=tuple(built))


def findings_of(frame, check: str | None = None, severity: str | None = None):
    sub = frame
    if check is not None:
        sub = sub[sub["check"] == check]
    if severity is not None:
        sub = sub[sub["severity"] == severity]
    return sub
