"""evsynth: evidence tables with provenance and honest random-effects meta-analysis.

This module only re-exports the public API; each stage lives in its own module.
"""

from __future__ import annotations

__version__ = "0.1.0"

from evsynth.corpus import bundled_papers
from evsynth.document import Document, Section, Table, TableCell
from evsynth.errors import EvsynthError

__all__ = [
    "__version__",
    "bundled_papers",
    "Document",
    "Section",
    "Table",
    "TableCell",
    "EvsynthError",
]

# Each stage adds its exports below, one block per module (keep blocks in pipeline order).
# --- reader ---
# --- extract ---
# --- effects ---
# --- pooling ---
# --- plots ---
# --- checks ---
# --- workflow ---
