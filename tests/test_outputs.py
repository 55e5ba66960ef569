"""The output folder and the CSVs: spreadsheet-safe, utf-8-sig, staged and swapped as one set.

Every file here is built by the test: a paper whose title is a spreadsheet formula, a file
named like a formula, an earlier run's folder with stale and foreign files, a run killed midway.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from evsynth._shared.files import (
    atomic_write_bytes,
    atomic_write_csv,
    raw_cell,
    read_csv_raw,
    safe_cell,
    stale_temporary_files,
)
from evsynth._shared.outputs import RUN_RECORD, OutputProblem, OutputSet
from evsynth.errors import EvsynthError

ROOT = Path(__file__).resolve().parents[1]

PAPER = """\
# {title}

Smith J. 2021. doi:10.1000/xyz123

## Methods

This single-center retrospective cohort study included 120 adults; 60 received exercise.

## Results

Exercise was associated with lower mortality (HR 0.62, 95% CI 0.41-0.94; p = 0.024).
In a second cohort, exercise was associated with lower mortality (HR 0.70, 95% CI 0.50–0.98).
"""

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", "\tTAB", "\rCR", "'quoted"]


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_are_neutralized_and_recoverable(value, tmp_path):
    """OWASP CSV injection: a leading = + - @ tab CR is prefixed with "'"; raw value comes back."""
    assert safe_cell(value) == "'" + value and raw_cell(safe_cell(value)) == value
    frame = pd.DataFrame({"title": [value, "plain"], "estimate": [-0.5, 2.0]})
    path = atomic_write_csv(frame, tmp_path / "t.csv")
    shown = pd.read_csv(path, dtype=str, keep_default_na=False)  # what a spreadsheet is given
    assert shown["title"][0] == "'" + value
    assert shown["estimate"].tolist() == ["-0.5", "2.0"]  # numbers are never changed
    back = read_csv_raw(path)
    assert back["title"].tolist() == [value, "plain"]


def test_csvs_are_utf8_with_bom_and_read_by_pandas(tmp_path):
    frame = pd.DataFrame({"quote": ["HR ≤ 0·63 – 95% CI"], "n": [3]})
    path = atomic_write_csv(frame, tmp_path / "u.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    assert pd.read_csv(path).columns.tolist() == ["quote", "n"]  # pandas drops the BOM
    assert pd.read_csv(path, encoding="utf-8-sig")["quote"][0] == "HR ≤ 0·63 – 95% CI"


def test_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        mode = atomic_write_bytes(tmp_path / "a.txt", b"x").stat().st_mode & 0o777
    finally:
        os.umask(old)
    assert mode == 0o644  # mkstemp alone gives 0600


def test_a_killed_writers_temporary_file_is_cleaned(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    left = tmp_path / f".evidence.csv.{dead.stdout.strip()}.abc123.tmp"
    left.write_bytes(b"half a file")
    live = tmp_path / f".other.csv.{os.getpid()}.zzz.tmp"  # our own: never touched
    live.write_bytes(b"")
    assert stale_temporary_files(tmp_path) == [left]
    atomic_write_bytes(tmp_path / "evidence.csv", b"whole")
    assert not left.exists() and live.exists()


def test_unreadable_csv_is_a_clear_error(tmp_path):
    from evsynth.evidence import read_evidence

    bad = tmp_path / "evidence.csv"
    bad.write_bytes("row_id,quote\nr1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(EvsynthError, match="not UTF-8"):
        read_evidence(bad)


# --------------------------------------------------------------------------- the folder


def test_unusable_out_is_refused_before_any_work(tmp_path):
    file = tmp_path / "a-file"
    file.write_text("x")
    with pytest.raises(OutputProblem, match="is a file"):
        OutputSet(file)
    with pytest.raises(OutputProblem, match="empty"):
        OutputSet("")
    with pytest.raises(OutputProblem, match="is a file"):
        OutputSet(file / "sub")
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        with pytest.raises(OutputProblem, match="permission"):
            OutputSet(ro / "out")


def test_run_checks_out_before_reading(tmp_path, monkeypatch):
    import evsynth.evidence.batch as batch
    from evsynth.review.workflow import run

    def never(*a, **k):  # pragma: no cover - reaching it is the failure
        raise AssertionError("papers were read before --out was checked")

    monkeypatch.setattr(batch, "extract_many", never)
    (tmp_path / "f").write_text("x")
    with pytest.raises(EvsynthError, match="is a file"):
        run(out=tmp_path / "f", progress=False)


def test_second_concurrent_run_is_refused(tmp_path):
    first = OutputSet(tmp_path / "out")
    try:
        with pytest.raises(OutputProblem, match="another evsynth run"):
            OutputSet(tmp_path / "out")
    finally:
        first.abort()
    OutputSet(tmp_path / "out").abort()  # the lock is released


def test_commit_swaps_the_set_and_removes_only_recorded_stale_files(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out)
    first.text("report.md", "first")
    first.text("figures/old.png", "old figure")
    first.commit({"run": 1})
    (out / "notes.txt").write_text("mine")  # the reviewer's own files
    (out / "figures" / "mine.png").write_text("mine too")
    second = OutputSet(out)
    second.text("report.md", "second")
    second.text("figures/new.png", "new")
    written = second.commit({"run": 2})
    assert (out / "report.md").read_text() == "second"
    assert not (out / "figures" / "old.png").exists()  # recorded by run 1, not written again
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "figures" / "mine.png").read_text() == "mine too"
    record = json.loads((out / RUN_RECORD).read_text())
    assert record["run"] == 2
    assert {f["path"] for f in record["files"]} == {"report.md", "figures/new.png"}
    assert out / RUN_RECORD in written
    assert sorted(p.name for p in tmp_path.iterdir() if "staging" in p.name) == []


def test_a_run_killed_midway_leaves_the_previous_set(tmp_path):
    out = tmp_path / "out"
    first = OutputSet(out)
    first.text("report.md", "complete run")
    first.csv("pooled.csv", pd.DataFrame({"a": [1]}))
    first.commit()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from evsynth._shared.outputs import OutputSet
        s = OutputSet({str(out)!r})
        s.text("report.md", "half a run")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    again = OutputSet(out)  # the killed run's staging folder is cleaned, its lock is free
    again.abort()
    assert not any("staging" in p.name for p in tmp_path.iterdir())


# --------------------------------------------------------------------------- a real run


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory):
    from evsynth.review.workflow import run

    papers = tmp_path_factory.mktemp("papers with spaces")
    (papers / "=cmd$(touch pwned).md").write_text(
        PAPER.format(title="=cmd|' /C calc'!A0 <img src=x onerror=alert(1)> exercise"),
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("runs") / "out dir"
    out.mkdir()
    (out / "figures").mkdir()
    (out / "figures" / "stale.png").write_text("from an old run")
    (out / RUN_RECORD).write_text(json.dumps({"files": [{"path": "figures/stale.png"}]}))
    (out / "keep.txt").write_text("the reviewer's")
    result = run([papers], out, curation=False, progress=False)
    return papers, out, result


def test_every_csv_of_a_run_is_formula_safe(paper_run):
    _, out, _ = paper_run
    csvs = sorted(out.glob("*.csv"))
    assert {"evidence.csv", "studies.csv", "findings.csv", "pooled.csv"} <= {p.name for p in csvs}
    for path in csvs:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
        shown = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in shown.columns:
            for cell in shown[col]:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, col, cell)
                if cell.startswith("-"):
                    float(cell)  # only numbers may start with a minus
    studies = read_csv_raw(out / "studies.csv")
    assert studies["title"][0].startswith("=cmd|")  # the raw title is recoverable
    assert studies["reports"][0] == "=cmd$(touch pwned).md"


def test_verify_passes_on_the_written_evidence(paper_run):
    from evsynth.cli import main

    papers, out, _ = paper_run
    assert main(["verify", str(out / "evidence.csv"), "--papers", str(papers)]) == 0


def test_rerun_removes_only_what_an_earlier_run_recorded(paper_run):
    _, out, result = paper_run
    assert not (out / "figures" / "stale.png").exists()
    assert (out / "keep.txt").read_text() == "the reviewer's"
    record = json.loads((out / RUN_RECORD).read_text())
    assert {f["path"] for f in record["files"]} == {
        str(p.relative_to(out)) for p in result.files if p.name != RUN_RECORD
    }


def test_run_json_records_versions_inputs_and_a_quoted_command(paper_run):
    import hashlib
    import shlex

    import numpy
    import scipy

    papers, out, _ = paper_run
    record = json.loads((out / RUN_RECORD).read_text())
    assert record["software"]["numpy"] == numpy.__version__
    assert record["software"]["scipy"] == scipy.__version__
    assert record["software"]["pandas"] == pd.__version__
    paper = next(papers.iterdir())
    assert record["inputs"] == [
        {"file": paper.name, "path": str(paper.resolve()),
         "sha256": hashlib.sha256(paper.read_bytes()).hexdigest()}
    ]  # fmt: skip
    command = record["reproduce"][-1]
    argv = shlex.split(command)  # what a shell would run: no $(...) executed, spaces kept
    assert argv[:4] == ["python3", "-m", "evsynth", "run"]
    assert argv[4] == str(papers.resolve())
    assert argv[argv.index("--out") + 1] == str(out.resolve())
    assert "--no-curation" in argv
    report = (out / "report.md").read_text(encoding="utf-8")
    assert command in report and record["software"]["scipy"] in report


# --------------------------------------------------------------------------- the CLI


def test_no_command_prints_help_and_exits_2(capsys):
    from evsynth.cli import main

    assert main([]) == 2
    assert "usage: evsynth" in capsys.readouterr().err


def test_cli_pool_pools_a_reviewers_csv(tmp_path, capsys):
    """evsynth pool agrees with the API on yi, vi computed by hand from the reported CIs."""
    import numpy as np

    from evsynth.cli import main
    from evsynth.pooling import meta_analysis

    table = tmp_path / "mine.csv"
    table.write_text("study,estimate,ci_lower,ci_upper\nA,0.5,0.3,0.9\nB,0·8,0·5,1·3\n")
    assert main(["pool", str(table), "--measure", "HR", "--plot", str(tmp_path / "f.png")]) == 0
    printed = capsys.readouterr().out
    z = 1.959963984540054
    yi = np.log([0.5, 0.8])
    vi = ((np.log([0.9, 1.3]) - np.log([0.3, 0.5])) / (2 * z)) ** 2
    res = meta_analysis(yi, vi, method="REML", test="adhoc", measure="HR")
    assert f"HR {math.exp(res.estimate):.4g}" in printed
    assert (tmp_path / "f.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "content, message",
    [
        ("name,estimate\nA,0.5\n", "no 'study' column"),
        ("study,hr\nA,0.5\n", "hold no estimates"),
        ("study,yi,vi\nA,0.5,x\n", "line 2: vi = 'x' is not a number"),
        ("study,estimate,ci_lower,ci_upper\nA,1,0.5,2\n", "estimate/ci_lower/ci_upper are read"),
    ],
)
def test_cli_pool_names_what_is_missing(tmp_path, capsys, content, message):
    from evsynth.cli import main

    table = tmp_path / "t.csv"
    table.write_text(content)
    measure = "RD" if "estimate/ci" in message else "HR"
    assert main(["pool", str(table), "--measure", measure]) == 2
    assert message in capsys.readouterr().err


def test_cli_run_refuses_unknown_choices(tmp_path, capsys):
    from evsynth.cli import main

    assert main(["run", "--out", str(tmp_path / "o"), "--method", "XX"]) == 2
    assert "--method 'XX' is not known" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
