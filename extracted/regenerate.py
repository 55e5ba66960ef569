"""Regenerate the reviewed evidence table of the bundled papers and its PROVENANCE.md.

Run from the repository root:  python extracted/regenerate.py
It is the same as  evsynth extract --out extracted --curation extracted/curation.yaml
plus writing PROVENANCE.md (date, evsynth version, sha256 of every input).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMAND = "evsynth extract --out extracted --curation extracted/curation.yaml"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    import evsynth
    from evsynth.cli import main as cli

    code = cli(
        ["extract", "--out", str(HERE), "--curation", str(HERE / "curation.yaml"), "--quiet"]
    )
    if code:
        return code
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=HERE,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    inputs = [*evsynth.bundled_papers(), HERE / "curation.yaml"]
    outputs = sorted(p for p in HERE.glob("*.csv"))
    lines = [
        "# Provenance of the reviewed evidence table",
        "",
        "Regenerate (from the repository root):",
        "",
        "```",
        COMMAND,
        "```",
        "",
        "or `python extracted/regenerate.py`, which also rewrites this file. "
        "`tests/test_evidence_extracted.py` checks that re-running the extractors plus "
        "`curation.yaml` reproduces `evidence.csv` and `studies.csv` exactly, and that every "
        "row verifies against the papers (`evsynth verify extracted/evidence.csv`).",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- evsynth version: {evsynth.__version__} (git {commit})",
        f"- Python {sys.version.split()[0]}",
        "",
        "## Inputs (sha256)",
        "",
        "| file | sha256 |",
        "| --- | --- |",
        *[f"| {p.name} | `{_sha(p)}` |" for p in inputs],
        "",
        "## Outputs (sha256)",
        "",
        "| file | sha256 |",
        "| --- | --- |",
        *[f"| {p.name} | `{_sha(p)}` |" for p in outputs],
        "",
        "## Review",
        "",
        "Every row was read against its paper. The curation file corrects the regimen of the four "
        "004 rows (prednisone for prolonged hematologic toxicity, not CRS/ICANS) and adds the "
        "ruxolitinib CR p-value of 001 that the paper typesets as 'p s= 0.14'. Problems that "
        "belong to the extractor rules were reported to be fixed there, not curated.",
        "",
    ]
    (HERE / "PROVENANCE.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {HERE / 'PROVENANCE.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
