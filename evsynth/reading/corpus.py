"""The bundled corpus: the five open-access papers the project started from (CC BY 4.0)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SUFFIXES = (".txt", ".md", ".pdf")


def bundled_papers() -> list[Path]:
    """Return the paths of the bundled papers, sorted by file name.

    The papers are Frontiers in Immunology articles published under CC BY 4.0; their attribution
    is in ``evsynth/data/papers/README.md``.
    """
    root = resources.files("evsynth") / "data" / "papers"
    return sorted(
        Path(str(p)) for p in root.iterdir() if p.name.endswith(_SUFFIXES) and p.name != "README.md"
    )


def bundled_attribution() -> str:
    """Return the attribution README shipped with the bundled papers."""
    return (resources.files("evsynth") / "data" / "papers" / "README.md").read_text(
        encoding="utf-8"
    )
