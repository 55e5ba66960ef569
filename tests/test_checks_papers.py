"""The checks on the five bundled papers: every expected finding was verified by reading the
paper (docs/checks.md lists why each cannot be true), and nothing else is flagged."""

from __future__ import annotations

import json

import pytest

import evsynth
from evsynth.checks import FINDING_COLUMNS, check_documents
from evsynth.cli import main
from evsynth.reading.reader import read

# (report prefix, check, severity, quote) -- within-report findings, no evidence table needed
EXPECTED = {
    ("001", "percent", "info", "93 (80.87)"),  # relapse locations use the 115 relapsed patients
    ("001", "percent", "warning", "8 (6.95)"),  # 8/115 = 6.957 -> 6.96
    ("001", "percent", "warning", "17 (14.16)"),  # 17/120 = 14.167 -> 14.17
    ("001", "duplicate", "warning", "93.45% for CRS"),  # Table 2: CRS resolution rate 95.45%
    ("001", "group_size", "info", "non-GC group (n = 46)"),  # day-30 evaluable set vs n = 49
    ("001", "group_size", "info", "GC group (n = 55)"),  # day-30 evaluable set vs n = 61
    ("001", "group_size", "warning", "low-dose GC group (n = 45)"),  # vs (n = 46), same comparison
    ("002", "percent", "error", "16 (5.3%)"),  # 16/93 = 17.2%
    ("002", "percent", "error", "8 (2.65%)"),  # 8/93 = 8.6%
    ("002", "percent", "warning", "Forty-five (48.3%)"),  # 45/93 = 48.39 -> 48.4
    ("003", "impossible", "error", "5.11"),  # Bonferroni-adjusted P above 1
    ("003", "impossible", "error", "10"),
    ("003", "impossible", "error", "3.95"),
    ("003", "impossible", "error", "1.06"),
    ("003", "impossible", "error", "2.67"),
    ("003", "percent", "error", "84.8% (38/45)"),  # 38/45 = 84.44
    ("003", "duplicate", "warning", "84.8% (38/45)"),  # Table 2: 38 (84.4)
    ("003", "duplicate", "warning", "two patients (4.5%)"),  # Table 2: 2 (4.4)
    ("004", "percent", "error", "96.12% (16/17)"),  # 16/17 = 94.12
    ("004", "percent", "warning", "57 (53.27)"),  # sex rows sum to 107, header n = 109
    ("004", "percent", "warning", "60 (56.07)"),  # 60/109 = 55.05; 60/107 = 56.07
    ("004", "breakdown", "error", "50 (46.73)\t40 (46.51)\t12 (52.17)"),  # 40 + 12 = 52 > 50
}
EXPECTED_SWAPS = {  # 001: the text swaps Table 3's TCZ and RUX p-values
    "Furthermore, the CRR did not significantly differ for patients administered RUX and those "
    "not treated with RUX (p s= 0.14).",
    "Similar results were observed for the TCZ and non-TCZ groups (p = 0.189) (Table\u00a03).",
}


@pytest.fixture(scope="module")
def docs():
    return [read(p) for p in evsynth.bundled_papers()]


@pytest.fixture(scope="module")
def findings(docs):
    return check_documents(docs)


def test_bundled_findings_are_exactly_the_verified_ones(findings):
    swaps = findings[findings["check"] == "p_swap"]
    assert set(swaps["source_quote"]) == EXPECTED_SWAPS
    assert set(swaps["severity"]) == {"error"}
    rest = findings[findings["check"] != "p_swap"]
    got = {
        (r[:3], c, s, q)
        for r, c, s, q in zip(
            rest["report"], rest["check"], rest["severity"], rest["source_quote"], strict=True
        )
    }
    assert got == EXPECTED
    # '10' occurs twice (two rows of the adjusted-P column), '16 (5.3%)' twice (abstract, results)
    assert len(rest) == len(EXPECTED) + 2


def test_every_quote_is_the_original_text(docs, findings):
    originals = {d.path.rsplit("/", 1)[-1]: d.original for d in docs}
    assert list(findings.columns) == list(FINDING_COLUMNS)
    for row in findings.to_dict("records"):
        text = originals[row["report"]]
        assert text[row["source_start"] : row["source_end"]] == row["source_quote"]
        json.loads(row["values"])


def test_check_with_evidence_adds_cross_report_findings():
    f = evsynth.check()
    dup = f[
        (f["check"] == "duplicate")
        & f["message"].str.contains("0.45")
        & f["message"].str.contains("0.37")
    ]
    assert {"000_71446caf5eda71fc.txt", "001_71deb3a1bf788464.txt"} <= set(dup["report"])
    assert set(f[f["check"] == "overlap"]["report"].str[:3]) == {"003", "004"}
    assert set(f[f["check"] == "same_study"]["report"].str[:3]) == {"000"}
    originals = {p.name: p.read_text(encoding="utf-8") for p in evsynth.bundled_papers()}
    for row in f.to_dict("records"):
        assert (
            originals[row["report"]][row["source_start"] : row["source_end"]] == row["source_quote"]
        )
    assert "(hazard ratio, 0.45; 95% confidence interval, 0.21–0.96" in set(dup["source_quote"])


def test_cli_check_writes_csv_and_json(tmp_path, capsys):
    paper = evsynth.bundled_papers()[4]
    assert main(["check", str(paper), "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== 004_2d842d32f5259133.txt" in out and "ERROR" in out
    assert "96.12% (16/17)" in out
    records = json.loads((tmp_path / "findings.json").read_text())
    assert any(r["source_quote"] == "96.12% (16/17)" for r in records)
    assert (
        (tmp_path / "findings.csv")
        .read_text(encoding="utf-8-sig")
        .startswith("report,check,severity")
    )


def test_cli_check_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.txt"), "--quiet"]) == 2
    assert "nope.txt" in capsys.readouterr().err


def test_cli_check_empty_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path), "--quiet"]) == 2
    assert "no papers found" in capsys.readouterr().err
