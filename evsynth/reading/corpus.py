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


def bundled_protocol_name() -> str:
    """The name of the bundled protocol that asks the bundled papers' question (see
    :func:`evsynth.protocol.bundled_protocols`); written in ``evsynth/data/papers/PROTOCOL``."""
    return (
        (resources.files("evsynth") / "data" / "papers" / "PROTOCOL")
        .read_text(encoding="utf-8")
        .strip()
    )


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def is_bundled_corpus(paths: list[Path] | list[str]) -> bool:
    """True when every file given is one of the bundled papers (compared by content, so a copy
    of the bundled folder elsewhere counts too) and at least one file is given."""
    if not paths:
        return False
    bundled = {_digest(p) for p in bundled_papers()}
    try:
        return all(_digest(Path(p)) in bundled for p in paths)
    except OSError:
        return False
