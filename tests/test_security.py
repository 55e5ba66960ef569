"""No code path evaluates or unpickles input; YAML is only ever loaded with the safe loader.

Curation files and papers come from other people (co-reviewers, publishers, downloads): reading
them must never run code. The scan below parses every module of the package with :mod:`ast`
and refuses ``eval``/``exec``/``compile``, ``pickle``/``marshal``/``shelve``/``dill`` loading,
``yaml.load`` without a safe loader, ``yaml.unsafe_load``/``full_load`` and ``os.system``/shell=True.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import evsynth
from evsynth.errors import CurationError

PACKAGE = Path(evsynth.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

BANNED_CALLS = {"eval", "exec", "compile", "__import__"}
BANNED_ATTRS = {
    ("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"),
    ("cPickle", "load"), ("cPickle", "loads"), ("dill", "load"), ("dill", "loads"),
    ("marshal", "load"), ("marshal", "loads"), ("shelve", "open"),
    ("yaml", "unsafe_load"), ("yaml", "full_load"), ("yaml", "unsafe_load_all"),
    ("yaml", "load_all"), ("os", "system"), ("os", "popen"),
    ("pd", "read_pickle"), ("pandas", "read_pickle"), ("np", "load"), ("numpy", "load"),
}  # fmt: skip
BANNED_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle"}
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader"}


def _dotted(node: ast.AST) -> tuple[str, ...]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def problems_in(source: str, name: str = "<src>") -> list[str]:
    """Every dangerous construct in ``source``, as 'name:line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for mod in mods:
                if mod.split(".")[0] in BANNED_MODULES:
                    found.append(f"{name}:{node.lineno}: imports {mod}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "yaml":
                for a in node.names:
                    if a.name in {
                        "load",
                        "unsafe_load",
                        "full_load",
                        "load_all",
                        "Loader",
                        "UnsafeLoader",
                        "FullLoader",
                    }:
                        found.append(f"{name}:{node.lineno}: from yaml import {a.name}")
        if not isinstance(node, ast.Call):
            continue
        target = _dotted(node.func)
        if len(target) == 1 and target[0] in BANNED_CALLS:
            found.append(f"{name}:{node.lineno}: calls {target[0]}()")
        if len(target) >= 2 and target[-2:] in BANNED_ATTRS:
            found.append(f"{name}:{node.lineno}: calls {'.'.join(target)}()")
        if target[-2:] == ("yaml", "load"):
            loader = [k.value for k in node.keywords if k.arg == "Loader"] + node.args[1:2]
            names = {_dotted(x)[-1] for x in loader if _dotted(x)}
            if not names or not names <= SAFE_LOADERS:
                found.append(f"{name}:{node.lineno}: yaml.load without SafeLoader")
        for kw in node.keywords:
            if kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value:
                found.append(f"{name}:{node.lineno}: subprocess with shell=True")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "eval(text)",
        "exec(code)",
        "import pickle\npickle.loads(b)",
        "from pickle import loads",
        "import marshal",
        "import yaml\nyaml.load(s)",
        "import yaml\nyaml.load(s, Loader=yaml.Loader)",
        "import yaml\nyaml.unsafe_load(s)",
        "import yaml\nyaml.full_load(s)",
        "pd.read_pickle(p)",
        "subprocess.run(cmd, shell=True)",
    ],
)
def test_the_scan_catches_each_dangerous_construct(snippet):
    assert problems_in(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "import yaml\nyaml.safe_load(s)",
        "import yaml\nyaml.load(s, Loader=yaml.SafeLoader)",
        "re.compile(p)",
    ],
)
def test_the_scan_accepts_safe_constructs(snippet):
    assert problems_in(snippet) == []


def test_package_source_never_evaluates_or_unpickles_input():
    assert len(SOURCES) > 30  # the whole package was scanned
    found = [
        p
        for path in SOURCES
        for p in problems_in(path.read_text("utf-8"), str(path.relative_to(PACKAGE)))
    ]
    # re.compile is fine; the builtin compile() (code objects) is not; batch.py's process pipes
    # pickle only objects our own forked workers produced, never file content
    assert found == []


CURATION_EXPLOITS = [
    "!!python/object/apply:os.system ['touch {marker}']\n",
    "version: 1\nentries: !!python/object/apply:os.system ['touch {marker}']\n",
    "version: 1\nentries:\n  - row_id: !!python/object/new:os.system ['touch {marker}']\n",
    "version: 1\nentries: !!python/name:os.system\n",
]


@pytest.mark.parametrize("template", CURATION_EXPLOITS)
def test_python_tags_in_a_curation_file_are_refused(tmp_path, template):
    marker = tmp_path / "pwned"
    path = tmp_path / "curation.yaml"
    path.write_text(template.format(marker=marker), encoding="utf-8")
    with pytest.raises(CurationError) as info:
        evsynth.load_curation(path)
    assert str(path) in str(info.value)
    assert not marker.exists()  # the payload never ran
