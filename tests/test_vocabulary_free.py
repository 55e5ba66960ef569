"""No topic vocabulary in Python: drug and disease names live in protocol files.

Every string literal, identifier and comment of every module under ``evsynth/`` is searched for
the intervention terms of every bundled protocol and for the disease words of the bundled
question; docstrings are exempt (they may quote a paper as an example).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from evsynth.protocol import bundled_protocols, load_protocol

ROOT = Path(__file__).resolve().parents[1] / "evsynth"
#: disease and therapy words of the bundled question (not in its protocol's intervention terms)
DISEASE_WORDS = [
    "CAR-T", "CAR T", "leukemia", "leukaemia", "lymphoma", "myeloma", "CRS", "ICANS",
    "cytokine release", "neurotoxicity",
]  # fmt: skip


def _banned() -> list[str]:
    words = list(DISEASE_WORDS)
    for path in bundled_protocols().values():
        p = load_protocol(path)
        for arm in (*p.interventions.values(), *p.comparators.values()):
            words += [arm.label, *arm.terms]
    return sorted(set(words), key=len, reverse=True)


def _pattern(words: list[str]) -> re.Pattern:
    parts = []
    for w in words:
        body = re.escape(w)
        caps = not any(ch.islower() for ch in w.rstrip("s"))
        parts.append(f"(?-i:{body})" if caps else f"(?i:{body})")
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(parts) + r")(?![A-Za-z0-9])")


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    ids.add(id(body[0].value))
    return ids


def _code_words(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal (not a docstring), identifier and comment."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docs = _docstring_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            out.append((node.lineno, node.name))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out.append((tok.start[0], tok.string))
    return out


def test_the_banned_list_is_not_empty():
    words = _banned()
    assert "tocilizumab" in words and "CRS" in words and len(words) > 20


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_topic_word_in_code(path):
    rx = _pattern(_banned())
    hits = [f"line {line}: {rx.search(text).group(0)!r} in {text[:80]!r}"
            for line, text in _code_words(path) if rx.search(text)]  # fmt: skip
    assert not hits, (
        f"{path.relative_to(ROOT)}: topic words belong in a protocol file: " + "; ".join(hits)
    )


def test_the_check_finds_a_planted_word(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text('"""Docstrings may say tocilizumab."""\nTERMS = ["tocilizumab"]\n')
    rx = _pattern(_banned())
    assert [t for _, t in _code_words(planted) if rx.search(t)] == ["tocilizumab"]
