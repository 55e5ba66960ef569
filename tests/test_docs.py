"""The documentation site builds with warnings as errors (mkdocs --strict), API pages included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("meta_analysis", "forest_plot", "extract_document", "bayesian_meta_analysis"):
        assert name in api, name
    results = (tmp_path / "site" / "results" / "index.html").read_text(encoding="utf-8")
    assert "forest_tocilizumab_pfs.png" in results


def test_tutorial_mirrors_the_notebook():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_tutorial", ROOT / "docs" / "make_tutorial.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    assert module.tutorial_markdown() == committed, "run: python docs/make_tutorial.py"
