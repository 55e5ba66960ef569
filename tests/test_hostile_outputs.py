"""Outputs a spreadsheet, a Markdown viewer and a shell can take as they are (issue 20, 1-3)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pandas as pd

import evsynth
from evsynth._shared.files import atomic_write_csv, spreadsheet_raw

HERE = Path(__file__).parent
PAPER = HERE / "fixtures" / "second_topic" / "a_jama_rct.txt"
FALLS = HERE / "fixtures" / "protocols" / "falls.yaml"


def test_formula_cells_are_neutralized_and_recoverable(tmp_path):
    frame = pd.DataFrame(
        {
            "text": ["=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-2", "\tx", "'quoted", "plain"],
            "n": range(7),
        }
    )
    path = atomic_write_csv(frame, tmp_path / "t.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    # every cell a spreadsheet would run starts with ' (OWASP); numbers stay numbers
    assert list(raw["text"]) == [
        "'=cmd|' /C calc'!A0",
        "'@SUM(1)",
        "'+1",
        "'-2",
        "'\tx",
        "''quoted",
        "plain",
    ]
    assert list(raw["n"]) == [str(i) for i in range(7)]
    assert list(spreadsheet_raw(raw)["text"]) == list(frame["text"])


def test_a_hostile_title_and_file_name_reach_no_csv_or_report_as_code(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = folder / "@SUM(1)$(touch pwned).txt"
    text = PAPER.read_text(encoding="utf-8").splitlines()
    text[2] = '=HYPERLINK("http://x") <img src=x onerror=alert(1)> [link](javascript:alert(1))'
    # paper text that reaches the report's evidence table (a quoted result sentence)
    text.append(
        "\nFalls <img src=x onerror=alert(1)> [x](javascript:alert(1)) occurred in 21 (5%) of 455 "
        "exercise participants and 30 (7%) of 451 usual care participants."
    )
    hostile.write_text("\n".join(text), encoding="utf-8")
    out = tmp_path / "out dir"
    evsynth.run([folder], out, protocol=FALLS, progress=False)
    for name in ("evidence.csv", "studies.csv", "findings.csv"):
        frame = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        cells = [c for col in frame.columns for c in frame[col]]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], name
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert re.search(r"(?<!\\)\]\(javascript:", md) is None  # no live Markdown link
    # the evidence written with the safety prefix still verifies against its source
    table = evsynth.EvidenceTable.read(out) if hasattr(evsynth.EvidenceTable, "read") else None
    if table is not None:
        assert (table.evidence["report"] == hostile.name).all()
    # the Reproduce line is one shell command with the real paths, each quoted
    block = md.split("## Reproduce", 1)[1].split("```")[1]
    line = [x for x in block.splitlines() if x.startswith("python3 -m evsynth run")][0]
    args = shlex.split(line)[2:]  # from a checkout: python3 -m evsynth run ...
    assert args[:3] == ["evsynth", "run", str(folder.resolve())]
    assert args[args.index("--out") + 1] == str(out.resolve())
    assert not (tmp_path / "pwned").exists()


def test_verify_passes_on_written_evidence_with_prefixed_cells(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    paper = folder / "=paper.txt"
    shutil.copy(PAPER, paper)
    table = evsynth.extract([paper], protocol=FALLS, progress=False)
    table.write(tmp_path / "out")
    raw = pd.read_csv(tmp_path / "out" / "evidence.csv", dtype=str, keep_default_na=False)
    assert (raw["report"] == "'=paper.txt").all()
    problems = evsynth.verify(tmp_path / "out" / "evidence.csv", papers=[paper])
    assert len(problems) == 0
