"""Stage 1, reading: files (.txt, .md, .pdf) in, :class:`Document` out.

A Document keeps the original characters, a normalized text with an offset map back to them,
the title, DOI, registrations, sections and tables (as labelled cells). Nothing here knows what
a hazard ratio is. Imports: :mod:`evsynth._shared`, :mod:`evsynth.errors`.
"""

from evsynth.reading.corpus import bundled_papers
from evsynth.reading.document import Document, Section, Table, TableCell
from evsynth.reading.reader import ReadFailure, read, read_many, read_string

__all__ = [
    "read",
    "read_string",
    "read_many",
    "ReadFailure",
    "Document",
    "Section",
    "Table",
    "TableCell",
    "bundled_papers",
]
