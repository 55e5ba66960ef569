"""verify: quotes match their spans and every number of a row is written in its quote."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evsynth.cli import main
from evsynth.evidence import extract, number_in_quote, numbers_in, read_evidence, verify
from tests.test_evidence import OTHER, SUMMARY, _fake_extractor


@pytest.mark.parametrize(
    "value, quote, percent, expected",
    [
        (0.45, "HR = 0.450 (95% CI 0.21-0.96)", False, True),  # trailing zero
        (0.45, "HR 0.4 (0.2-0.9)", False, False),  # not written at all
        (0.9636, "the CRR was 96.36% (53/55)", True, True),  # rate written as a percentage
        (0.9636, "the CRR was 96.36% (53/55)", False, False),  # ... but an HR is never a percent
        (0.963636, "96.36%", True, True),  # computed rate rounds to what is written
        (0.001, "p < 0.001", False, True),
        (0.001, "P<.001", False, True),
        (0.45, "0·45 (0·21–0·96)", False, True),  # Lancet middle dot
        (1280, "range: 80–1,280 mg", False, True),  # thousands separator
        (0.37, "HR 0.371", False, False),  # a less precise value does not match a longer number
        (14.89, "2.02 (0.28-14.89)", False, True),
    ],
)
def test_number_in_quote(value, quote, percent, expected):
    assert number_in_quote(value, quote, percent=percent) is expected


def test_numbers_in():
    assert numbers_in("HR = 0.45; 95% CI, 0.21–0.96; 1,280 mg") == [
        "0.45",
        "95",
        "0.21",
        "0.96",
        "1280",
        "1",
        "280",
    ]


@pytest.fixture
def table(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules["evsynth.extraction"], "extract_document", _fake_extractor)
    d = tmp_path / "papers"
    d.mkdir()
    (d / "s.md").write_text(SUMMARY, encoding="utf-8")
    (d / "o.txt").write_text(OTHER, encoding="utf-8")
    return d, extract(d, progress=False)


def test_clean_table_verifies(table):
    d, t = table
    assert verify(t).empty
    # 0.75 = 30/40 is not written but derived; listed only on request
    derived = verify(t, derived=True)
    assert list(derived["level"]) == ["derived"]
    assert derived.iloc[0]["problem"] == "estimate 0.75 = 30/40"


def test_wrong_number_and_moved_quote_are_named(table):
    d, t = table
    ev = t.evidence.copy()
    ev.loc[ev["report"] == "s.md", "estimate"] = 0.54
    ev.loc[ev["report"] == "o.txt", "source_start"] += 1
    problems = verify(ev, papers=[d])
    assert set(problems["report"]) == {"s.md", "o.txt"}
    s = problems[problems["report"] == "s.md"].iloc[0]
    assert (s["field"], s["value"]) == ("estimate", "0.54")
    assert "estimate 0.54 is not in the quote" in s["problem"]
    o = problems[problems["field"] == "source_quote"].iloc[0]
    assert o["report"] == "o.txt" and "not the quote" in o["problem"]


def test_missing_report_is_a_problem(table, tmp_path):
    d, t = table
    other = tmp_path / "elsewhere"
    other.mkdir()
    problems = verify(t.evidence, papers=[other])
    assert set(problems["problem"]) == {"report not found among the papers given"}


def test_cli_verify_exit_codes(table, tmp_path, capsys):
    d, t = table
    out = tmp_path / "out"
    t.write(out)
    assert main(["verify", str(out / "evidence.csv"), "--papers", str(d)]) == 0
    assert "every quote matches its span" in capsys.readouterr().out
    ev = read_evidence(out / "evidence.csv")
    ev.loc[0, "ci_upper"] = 9.99
    ev.to_csv(out / "evidence.csv", index=False)
    assert main(["verify", str(out / "evidence.csv"), "--papers", str(d)]) == 1
    text = capsys.readouterr().out
    assert f"{ev.loc[0, 'row_id']} ({ev.loc[0, 'report']})" in text
    assert "1 of 2 rows" in text


def test_cli_verify_missing_file(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "none.csv")]) == 2
    assert "no such evidence table" in capsys.readouterr().err


def test_cli_extract_writes_and_summarizes(table, tmp_path, capsys):
    d, _ = table
    out = tmp_path / "x"
    assert main(["extract", str(d), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "2 rows from 2 report(s), 2 studies" in text
    assert "  o.txt: 1" in text and "rows per measure: HR 1, proportion 1" in text
    assert f"written to {out.resolve()}/: evidence.csv, studies.csv" in text


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary", "not an evidence table"),
        (b"row_id,report\nr1,caf\xe9\n", "not UTF-8 text"),
    ],
)
def test_verify_on_a_broken_csv_is_a_one_line_error(tmp_path, capsys, content, named):
    from evsynth.cli import main

    path = tmp_path / "evidence.csv"
    path.write_bytes(content)
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert named in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_verify_names_a_non_numeric_offset(tmp_path, capsys):
    import pandas as pd

    from evsynth.cli import main

    src = Path(__file__).resolve().parents[1] / "extracted" / "evidence.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    frame.loc[0, "source_start"] = "abc"
    path = tmp_path / "evidence.csv"
    frame.to_csv(path, index=False)
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "source_start is 'abc'" in err
