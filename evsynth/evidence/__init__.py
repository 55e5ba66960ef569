"""Stage 3, the evidence table: extracted rows from many papers, grouped into studies, with
stable row ids, conflicts between reports, a reviewer's curation applied, and provenance checks.

Takes Documents (reading) and rows (extraction); gives an :class:`EvidenceTable`. Files are read
and extracted each in an isolated process (:mod:`evsynth.evidence.batch`).
Imports: reading, extraction, :mod:`evsynth._shared`.
"""

from evsynth.evidence.curation import Curation, apply_curation, load_curation
from evsynth.evidence.frame import (
    conform_evidence,
    empty_evidence,
    find_conflicts,
    read_evidence,
    row_ids,
)
from evsynth.evidence.provenance import number_in_quote, numbers_in, row_problems
from evsynth.evidence.table import EvidenceTable, expand_paths, extract, extract_documents, verify

__all__ = [
    "EvidenceTable",
    "extract",
    "extract_documents",
    "verify",
    "read_evidence",
    "conform_evidence",
    "empty_evidence",
    "find_conflicts",
    "row_ids",
    "numbers_in",
    "number_in_quote",
    "row_problems",
    "expand_paths",
    "Curation",
    "load_curation",
    "apply_curation",
]
