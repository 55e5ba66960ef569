"""The package layout shows the pipeline: stages in order, no import circles, a small public API.

Every ``import`` of an evsynth module anywhere in a module (module level or inside a function)
is an edge of the graph checked here; a late import is still a dependency. Imports under
``if TYPE_CHECKING:`` are not (they never run).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import evsynth

ROOT = Path(evsynth.__file__).parent

#: pipeline order: a stage may import only from stages before it (and from the shared helpers)
STAGES = [
    "_shared",
    "errors",
    "protocol",
    "reading",
    "extraction",
    "evidence",
    "effects",
    "pooling",
    "checks",
    "plots",
    "review",
    "cli",
]

#: documented exceptions: a fitted result's drawing methods hand off to the plots stage (the
#: metafor idiom ``forest(res)``); plots never import pooling, so this adds no circle.
LATE_FORWARD = {("pooling", "plots"), ("effects", "plots")}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _edges() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        skip = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for n in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")
                    up = up[: len(up) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                subs = [f"{base}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in modules]
                if len(targets) < len(subs):
                    targets.append(base)
            for t in targets:
                if t.startswith("evsynth"):
                    r = _resolve(t, modules)
                    if r and r != mod:
                        edges[mod].add(r)
    return edges


def _stage(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_circles():
    edges = _edges()
    # the package's own __init__ only re-exports: leave it out, every module may be re-exported
    edges = {m: {t for t in ts if t != "evsynth"} for m, ts in edges.items() if m != "evsynth"}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges.get(m, ())):
            if (_stage(m), _stage(t)) in LATE_FORWARD:
                continue
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t) :] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert cycles == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_stages_import_only_earlier_stages():
    edges = _edges()
    wrong = []
    for mod, targets in edges.items():
        s = _stage(mod)
        if s not in STAGES:
            continue
        for t in targets:
            ts = _stage(t)
            if ts not in STAGES or ts == s:
                continue
            if STAGES.index(ts) > STAGES.index(s) and (s, ts) not in LATE_FORWARD:
                wrong.append(f"{mod} imports {t}")
    assert wrong == [], "\n".join(sorted(wrong))


def test_tree_has_one_entry_per_stage():
    present = sorted(p.stem if p.is_file() else p.name for p in ROOT.iterdir())
    allowed = set(STAGES) | {"__init__", "__main__", "data", "py", "__pycache__"}
    extra = [p for p in present if p not in allowed and not p.startswith(".")]
    assert extra == [], f"package root holds modules that are not a stage: {extra}"


def test_every_public_name_works():
    for name in evsynth.__all__:
        assert getattr(evsynth, name) is not None, name
    # lazily imported names are listed for tab completion
    assert set(evsynth.__all__) <= set(dir(evsynth))


def test_each_stage_says_what_it_takes_and_gives():
    for stage in STAGES:
        if stage in ("errors", "protocol"):
            continue
        mod = importlib.import_module(f"evsynth.{stage}")
        assert mod.__doc__ and len(mod.__doc__.split()) > 10, stage
