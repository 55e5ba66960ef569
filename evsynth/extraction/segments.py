"""Cut a document's normalized text into paragraphs and sentences, skipping what is not results.

Skipped: the reference list (section "references"), lines that look like citations
("Davila ML, ... Sci Transl Med. (2014) 6:224ra25. doi: ..."), funding statements, and the
spans of tables (the table extractor reads those from ``Document.tables``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from evsynth.reading.document import Document

__all__ = ["Sentence", "sentences_of"]

_ABBREV = re.compile(
    r"(?:\bvs|\bet al|\be\.g|\bi\.e|\bFig|\bFigs|\bNo|\bapprox|\bca|\bref|\bRefs?|\bDr|\bcf|\bSupp|\bSuppl|\bno)\.$",
    re.IGNORECASE,
)
_SENT_END = re.compile(r"[.!?](?=\s{1,5}[\[\(\"'‘“]?[A-Z0-9])")

_CITATION = re.compile(
    r"^\s{0,3}(?:\[?\d{1,3}[.\])]\s{1,3})?[A-Z][A-Za-z'\-]{1,30}\s{1,2}[A-Z]{1,3}[,.]"
    r".{0,400}?(?:\(\d{4}\)\s{0,2}\d|\d{4}\s{0,2};\s{0,2}\d|doi\s{0,2}:|et al\.)",
    re.DOTALL,
)
_FUNDING = re.compile(r"grant|funded by|financial support|supported by", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    """A sentence: normalized ``[start, end)``, its paragraph index and section name."""

    start: int
    end: int
    paragraph: int
    section: str
    heading: str
    text: str


def parsed_table_spans(doc: Document) -> list[tuple[int, int]]:
    """Normalized spans of the tables the reader cut into usable cells."""
    return _table_mask(doc, only_with_cells=True)


def table_is_garbled(table) -> bool:  # late import: tables imports this module's users
    from evsynth.extraction.tables import table_is_garbled as f

    return f(table)


def _table_mask(doc: Document, only_with_cells: bool = False) -> list[tuple[int, int]]:
    spans = []
    offs = np.asarray(doc.offsets)
    for t in doc.tables:
        if only_with_cells and (not t.cells or table_is_garbled(t)):
            continue
        s = int(np.searchsorted(offs, t.start, side="left"))
        e = int(np.searchsorted(offs, t.end, side="left"))
        if e > s:
            spans.append((s, e))
    return sorted(spans)


def _section(doc: Document, pos: int) -> tuple[str, str]:
    sec = doc.section_at(pos)
    if sec is None:
        return "", ""
    return sec.name, sec.heading


def looks_like_citation(text: str) -> bool:
    """True for a reference-list entry or a funding statement (never results)."""
    head = text[:600]
    if _CITATION.match(head) and re.search(r"\(\d{4}\)|\d{4};|doi|et al\.", head):
        return True
    return bool(_FUNDING.search(head) and re.search(r"\b(?:No\.|[A-Z]{2,}\d{4,})", head))


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: blank lines separate paragraphs; a line with a tab (a table row)
    stands alone; other line breaks join lines of one paragraph."""
    spans: list[tuple[int, int]] = []
    start = None
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        if nl < 0:
            nl = n
        line = text[pos:nl]
        stripped = line.strip()
        if not stripped:
            if start is not None:
                spans.append((start, pos))
                start = None
        elif "\t" in line:
            if start is not None:
                spans.append((start, pos))
                start = None
            spans.append((pos, nl))
        else:
            if start is None:
                start = pos
        pos = nl + 1
    if start is not None:
        spans.append((start, n))
    # a page break inside a sentence: "... yield similar CR\n\nand MRD-negative CR rates (p = ...)"
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if (
            merged
            and text[a : a + 1].islower()
            and "\t" not in text[a:b]
            and "\t" not in text[merged[-1][0] : merged[-1][1]]
            and not re.search(r"[.!?:]\s*$", text[merged[-1][0] : merged[-1][1]])
        ):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def sentences_of(doc: Document) -> list[Sentence]:
    """The sentences of the document outside tables and the reference list, in order."""
    text = doc.text
    masks = _table_mask(doc)
    bounds = _paragraphs(text)
    out: list[Sentence] = []
    para = 0
    for ps, pe in bounds:
        # trim
        while ps < pe and text[ps].isspace():
            ps += 1
        while pe > ps and text[pe - 1].isspace():
            pe -= 1
        if pe <= ps:
            continue
        para += 1
        if any(s <= ps < e or s < pe <= e for s, e in masks):
            # overlaps a table: keep only the parts outside it
            pieces = [(ps, pe)]
            for s, e in masks:
                nxt = []
                for a, b in pieces:
                    if e <= a or s >= b:
                        nxt.append((a, b))
                        continue
                    if a < s:
                        nxt.append((a, s))
                    if e < b:
                        nxt.append((e, b))
                pieces = nxt
        else:
            pieces = [(ps, pe)]
        for a, b in pieces:
            name, heading = _section(doc, a)
            if name == "references":
                continue
            chunk = text[a:b]
            if looks_like_citation(chunk):
                continue
            s0 = a
            for m in _SENT_END.finditer(chunk):
                cut = a + m.end()
                if _ABBREV.search(text[max(a, cut - 8) : cut]):
                    continue
                # a decimal like "p = 0. 05" never happens after normalization; keep simple
                if cut - s0 >= 3:
                    out.append(Sentence(s0, cut, para, name, heading, text[s0:cut]))
                s0 = cut
                while s0 < b and text[s0].isspace():
                    s0 += 1
            if b - s0 >= 3:
                out.append(Sentence(s0, b, para, name, heading, text[s0:b]))
    return out
