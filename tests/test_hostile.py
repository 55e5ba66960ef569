"""Hostile input: a folder of broken files gives typed failures, and the good paper still comes out.

The folder holds a truncated (corrupt) PDF, a password-protected PDF, an empty file, binary data
renamed to .txt, and one valid paper. Every entry point (``extract_many``, ``evsynth.extract`` and
the ``evsynth extract`` command) must list the four bad files with their error type and reason,
and give the valid paper's complete results.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import evsynth
from evsynth.extraction import extract_document

FIXTURE_PDF = Path(__file__).parent / "fixtures" / "pdfs" / "PMC5911624.pdf"

EXPECTED = {  # file -> (error type, words its reason must contain)
    "binary.txt": ("DecodeError", "binary"),
    "corrupt.pdf": ("CorruptPDFError", "damaged"),
    "empty.txt": ("EmptyFileError", "empty"),
    "encrypted.pdf": ("EncryptedPDFError", "password"),
}


def _encrypted_pdf(path: Path) -> None:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    enc = pdfencrypt.StandardEncryption("secret", ownerPassword="owner")
    c = canvas.Canvas(str(path), encrypt=enc)
    c.drawString(72, 720, "The hazard ratio for death was 0.52 (95% CI 0.31-0.88; p = 0.01).")
    c.save()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    data = FIXTURE_PDF.read_bytes()
    (folder / "corrupt.pdf").write_bytes(data[: len(data) // 3])  # a download cut short
    _encrypted_pdf(folder / "encrypted.pdf")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)  # e.g. a .docx renamed
    shutil.copy(evsynth.bundled_papers()[1], folder / "valid.txt")
    return folder


@pytest.fixture(scope="module")
def valid_rows(hostile) -> pd.DataFrame:
    return extract_document(evsynth.read(hostile / "valid.txt"))


def test_extract_many_lists_four_typed_failures(hostile, valid_rows):
    from evsynth.evidence.batch import extract_many

    docs, rows, failures = extract_many(hostile, workers=2, progress=False)
    assert [Path(d.path).name for d in docs] == ["valid.txt"]
    pd.testing.assert_frame_equal(rows[0], valid_rows)
    assert len(valid_rows) > 10
    got = {Path(f.path).name: f for f in failures}
    assert set(got) == set(EXPECTED)
    for name, (error, word) in EXPECTED.items():
        assert got[name].error == error and got[name].stage == "read"
        assert word in got[name].message.lower(), got[name].message
        assert "Traceback" not in got[name].message


def test_evsynth_extract_lists_four_typed_failures(hostile, valid_rows):
    table = evsynth.extract(hostile, progress=False)
    assert set(table.evidence["report"]) == {"valid.txt"}
    assert len(table.evidence) == len(valid_rows)
    fails = table.failures.set_index("file")
    assert set(fails.index) == set(EXPECTED)
    for name, (error, word) in EXPECTED.items():
        assert fails.loc[name, "error"] == error
        assert word in fails.loc[name, "message"].lower()


def test_cli_extract_prints_failures_without_traceback(hostile, valid_rows, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "evsynth", "extract", str(hostile), "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both
    assert proc.returncode == 0, both  # a partial result is written; the failures are listed
    for name, (error, _) in EXPECTED.items():
        assert any(name in line and error in line for line in both.splitlines()), name
    written = pd.read_csv(out / "failures.csv")
    assert sorted(written["file"]) == sorted(EXPECTED)
    assert len(pd.read_csv(out / "evidence.csv")) == len(valid_rows)


# --------------------------------------------------------------------------- odd text


ODD_TEXTS = {
    "only unicode controls": "\u200b\u200e\u202e\ufeff" * 500,
    "combining marks": "HR 0\u0301.5\u0308 (95% CI 0\u0327.3-0.8)" * 50,
    "surrogate-free astral": "\U0001d7ce\U0001d7cf HR \U0001f600 0.5 (0.3\u20130.8)" * 50,
    "one huge line": "The patients (n = 5) were treated with steroids and " * 4000,
    "one huge sentence of estimates": "The hazard ratio was 0.5 (95% CI 0.3-0.8) and " * 1000,
    "no spaces": "HR0.5(95%CI0.3-0.8)p=0.01" * 500,
    "nested brackets": "(" * 3000 + "HR 0.5" + ")" * 3000,
    "many numbers": " ".join(str(i / 7) for i in range(20000)),
    "crlf and form feeds": "Results\r\n\x0cHR 0.5 (95% CI 0.3–0.8), p = 0.01\r\n" * 30,
    "fullwidth digits": "ＨＲ ０.５（９５％ ＣＩ ０.３－０.８）" * 100,
    "tabs table": "Table 1\n\n" + "\n".join("\t".join(["x"] * 50) for _ in range(200)),
}


@pytest.mark.parametrize("name", sorted(ODD_TEXTS))
def test_odd_text_reads_and_extracts_with_valid_spans(name):
    text = ODD_TEXTS[name]
    doc = evsynth.read_string(text, name=f"{name}.txt")
    assert len(doc.offsets) == len(doc.text) + 1 and doc.offsets[-1] == len(text)
    rows = extract_document(doc)
    for _, r in rows.iterrows():
        assert 0 <= r["source_start"] < r["source_end"] <= len(text)
        assert r["source_quote"] == text[r["source_start"] : r["source_end"]]


# --------------------------------------------------------------------------- atomic writes


def _table_with(n: int):
    from evsynth.evidence import EvidenceTable, empty_evidence

    ev = empty_evidence()
    studies = pd.DataFrame({"study_id": [f"s{i}" for i in range(n)]})
    return EvidenceTable(evidence=ev, studies=studies)


def test_failed_replace_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    """If the final rename fails (disk full, Ctrl-C at that instant), the old output stays."""
    _table_with(3).write(tmp_path)
    before = (tmp_path / "studies.csv").read_bytes()
    assert before.count(b"\n") == 4  # header + 3 studies

    def broken_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        _table_with(7).write(tmp_path)
    assert (tmp_path / "studies.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.csv", "studies.csv"]


_INTERRUPTED_CHILD = r"""
import os, sys, time
import pandas as pd
import evsynth._shared.files as io
real_fsync = os.fsync
def slow_fsync(fd):  # the data is in the temp file, not yet renamed: say so and wait for SIGINT
    print("writing", flush=True)
    time.sleep(30)
io.os.fsync = slow_fsync
frame = pd.DataFrame({"x": range(20_000), "y": ["long text value"] * 20_000})
io.atomic_write_csv(frame, sys.argv[1])
"""


def test_sigint_during_a_large_write_leaves_the_old_file_intact(tmp_path):
    import signal

    target = tmp_path / "evidence.csv"
    target.write_text("row_id\nold\n")
    proc = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_CHILD, str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout.readline().strip() == "writing"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "evidence.csv"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # the write was in progress
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr.read()
    assert target.read_text() == "row_id\nold\n"
    assert [p.name for p in tmp_path.iterdir()] == ["evidence.csv"]


def test_saving_a_figure_is_atomic(tmp_path, monkeypatch):
    """save_figure renders in memory and renames: a failed write keeps the old figure."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from evsynth.plots import save_figure

    path = tmp_path / "forest.png"
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [0, 1])
    save_figure(fig, path)
    before = path.read_bytes()
    assert before[:8] == b"\x89PNG\r\n\x1a\n"

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    fig.add_subplot().plot([0, 1], [1, 0])
    with pytest.raises(OSError):
        save_figure(fig, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["forest.png"]
