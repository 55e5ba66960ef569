"""Extractors: from a :class:`~evsynth.reading.document.Document` to evidence rows with provenance.

``extract_document(doc, protocol)`` runs every rule on one document and returns a DataFrame with the columns
of :data:`evsynth.extraction.schema.EVIDENCE_COLUMNS` (``row_id``, ``study_id`` and ``curation`` are left
empty for the evidence-table stage). The rules are documented in ``docs/extraction.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from evsynth.errors import ExtractionError
from evsynth.extraction.context import Context
from evsynth.extraction.continuous import (
    continuous_rows,
    mean_table_rows,
    p_only_rows_superseded,
)
from evsynth.extraction.count_tables import arm_count_table_rows
from evsynth.extraction.counts import arm_size_mentions, count_rows
from evsynth.extraction.estimates import estimate_rows
from evsynth.extraction.labels import using_vocabulary
from evsynth.extraction.pvalues import p_only_rows
from evsynth.extraction.rates import rate_rows, single_arm_intervention
from evsynth.extraction.rows import RowMaker
from evsynth.extraction.schema import EVIDENCE_COLUMNS
from evsynth.extraction.segments import parsed_table_spans, sentences_of
from evsynth.extraction.tables import table_rows, text_table_rows
from evsynth.protocol.terms import Vocabulary
from evsynth.reading.document import Document

if TYPE_CHECKING:
    from evsynth.protocol.loading import Protocol

__all__ = ["extract_document"]


def extract_document(doc: Document, protocol: Protocol | None = None) -> pd.DataFrame:
    """Extract every reported result of one paper, each with its source span.

    Parameters
    ----------
    doc : Document
        A paper read by :func:`evsynth.read` (or :func:`evsynth.reading.reader.read_string`).
    protocol : Protocol, optional
        The review protocol whose terms label the rows' ``intervention``, ``comparator`` and
        ``outcome`` (abbreviations the paper defines for them are learned for this paper). Without
        one, rows keep only the arms and outcomes as the paper writes them.

    Returns
    -------
    pandas.DataFrame
        One row per result, columns :data:`evsynth.extraction.schema.EVIDENCE_COLUMNS` in order.
        ``source_quote == doc.original[source_start:source_end]`` and contains every number of
        the row (except a denominator recovered from elsewhere in the paper, which ``notes``
        locates). Rows are ordered by their position in the paper.

    Raises
    ------
    ExtractionError
        If ``doc`` is not a :class:`~evsynth.reading.document.Document`.
    """
    if not isinstance(doc, Document):
        raise ExtractionError(
            f"extract_document needs a Document (from evsynth.read(path)), got {type(doc).__name__}"
        )
    vocabulary = protocol.vocabulary() if protocol is not None else Vocabulary.empty()
    with using_vocabulary(vocabulary.learn(doc.text)):
        return _with_boxes(doc, _extract(doc))


def _with_boxes(doc: Document, rows: pd.DataFrame) -> pd.DataFrame:
    """For a PDF, each row's ``page`` and ``source_boxes`` (where its quote is printed)."""
    if not doc.line_boxes or rows.empty:
        return rows
    pages, boxes = [], []
    for start, end in zip(rows["source_start"], rows["source_end"], strict=True):
        found = doc.boxes(int(start), int(end))
        pages.append(found[0][0] if found else doc.page_at(int(start)))
        boxes.append(
            ";".join(
                f"{p}:{x0:.1f},{top:.1f},{x1:.1f},{bottom:.1f}" for p, x0, top, x1, bottom in found
            )
        )
    rows = rows.copy()
    rows["page"] = pages
    rows["source_boxes"] = boxes
    return rows


def _extract(doc: Document) -> pd.DataFrame:
    maker = RowMaker(doc)
    sentences = sentences_of(doc)
    ctx = Context(sentences)
    used = estimate_rows(maker, sentences, ctx)
    p_only_rows(maker, sentences, ctx, used, arm_size_mentions(doc.text))
    count_rows(maker, sentences, ctx)
    rate_rows(maker, sentences, ctx, single_arm_intervention(doc.text, doc.title))
    table_rows(maker)
    arm_count_table_rows(maker)
    mean_table_rows(maker)
    continuous_rows(maker, sentences)
    p_only_rows_superseded(maker)
    text_table_rows(maker, parsed_table_spans(doc))
    frame = pd.DataFrame(maker.rows, columns=list(EVIDENCE_COLUMNS))
    if not frame.empty:
        frame = frame.sort_values(["source_start", "source_end"], kind="stable").reset_index(
            drop=True
        )
    for c in ("events_int", "total_int", "events_ctl", "total_ctl"):
        frame[c] = frame[c].astype("Float64") if not frame.empty else frame[c]
    return frame
