"""The evidence table: row ids, conflicts between reports, extract(), filter, write, read back."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pandas as pd
import pytest

import evsynth
from evsynth.evidence import (
    EvidenceTable,
    conform_evidence,
    extract,
    find_conflicts,
    read_evidence,
    row_ids,
)
from evsynth.extraction.schema import EVIDENCE_COLUMNS, STUDY_COLUMNS

SUMMARY = """# Steroids and PFS after CAR-T

**Authors:** Mei Chen, Rui Wang

PMC · DOI: 10.1000/abc.2022.77 · Journal · 2022-03-01

## Abstract

Low-dose GC was protective for PFS (hazard ratio, 0.45; 95% confidence interval, 0.21–0.96).
"""

OTHER = """CITATION

Kim S, Park J (2020) Tocilizumab and CR. Front. Immunol. doi: 10.1000/other.1

Methods

We enrolled 40 patients.

Results

CR was 30/40 with tocilizumab.
"""


def _row(**kw) -> dict:
    base = {c: "" for c in EVIDENCE_COLUMNS}
    base.update(
        {
            "report": "a.txt",
            "intervention": "glucocorticoid",
            "outcome": "PFS",
            "measure": "HR",
            "analysis": "multivariable",
            "estimate": 0.45,
            "ci_lower": 0.21,
            "ci_upper": 0.96,
            "ci_level": 0.95,
            "p_value": None,
            "events_int": None,
            "total_int": None,
            "events_ctl": None,
            "total_ctl": None,
            "rate_se": None,
            "source_start": 10,
            "source_end": 40,
        }
    )
    base.update(kw)
    return base


def _frame(*rows) -> pd.DataFrame:
    return conform_evidence(pd.DataFrame(list(rows)))


# --------------------------------------------------------------------------- row ids


def test_row_id_is_the_documented_hash():
    frame = _frame(_row(intervention_detail="low-dose", section="abstract"))
    # recipe (evsynth.evidence.table docstring): fields then numbers as format(x, ".6g"), joined by \x1f
    key = "\x1f".join(
        [
            "a.txt",
            "HR",
            "PFS",
            "glucocorticoid",
            "low-dose",
            "multivariable",
            "",
            "abstract",
            "",
            "",
            "",
        ]
        + ["0.45", "0.21", "0.96", "", "", "", "", ""]
    )
    assert row_ids(frame) == ["r" + hashlib.sha1(key.encode()).hexdigest()[:10]]


def test_row_id_survives_offset_and_quote_changes_but_not_number_changes():
    a = _frame(_row(source_start=10, source_end=40, source_quote="HR 0.45 (0.21-0.96)"))
    moved = _frame(
        _row(source_start=510, source_end=545, source_quote="hazard ratio 0.45, 0.21–0.96")
    )
    other = _frame(_row(estimate=0.37))
    assert row_ids(a) == row_ids(moved)
    assert row_ids(a) != row_ids(other)


def test_identical_rows_get_suffixes_in_source_order():
    frame = _frame(_row(source_start=300, source_end=320), _row(source_start=100, source_end=120))
    ids = row_ids(frame)
    # the row earlier in the text keeps the bare id; the later one gets "-2"
    assert ids[1] + "-2" == ids[0]
    assert len(set(ids)) == 2


# --------------------------------------------------------------------------- conflicts


def test_conflict_between_reports_of_one_study():
    ev = _frame(
        _row(report="000.txt", study_id="s2025", intervention_detail="low-dose GC (≤ 8 mg kg-¹)"),
        _row(
            report="001.txt",
            study_id="s2025",
            intervention_detail="≤8 mg/kg",
            estimate=0.37,
            ci_lower=0.16,
            ci_upper=0.84,
        ),
        # a different dose group of the same study: not the same result
        _row(
            report="001.txt",
            study_id="s2025",
            intervention_detail=">8 mg/kg",
            estimate=1.9,
            ci_lower=0.8,
            ci_upper=4.4,
        ),
        # the same numbers written with more digits: no conflict
        _row(
            report="001.txt",
            study_id="s2025",
            intervention_detail="low-dose",
            estimate=0.450,
            ci_lower=0.210,
            ci_upper=0.960,
        ),
    )
    ev["row_id"] = row_ids(ev)
    conflicts, noted = find_conflicts(ev)
    assert len(conflicts) == 1
    c = conflicts.iloc[0]
    assert c["reports"] == "000.txt;001.txt"
    assert c["values"] == "HR 0.45 (0.21-0.96) | HR 0.37 (0.16-0.84)"
    assert "differs in estimate, ci_lower, ci_upper" in c["description"]
    assert noted.loc[0, "notes"].startswith("conflict: 001.txt (row ")
    assert "HR 0.37 (0.16-0.84)" in noted.loc[0, "notes"]
    assert "HR 0.45 (0.21-0.96)" in noted.loc[1, "notes"]
    assert noted.loc[2, "notes"] == "" and noted.loc[3, "notes"] == ""


def test_no_conflict_within_one_report_or_across_studies():
    ev = _frame(
        _row(report="a.txt", study_id="x"),
        _row(report="a.txt", study_id="x", estimate=0.37),
        _row(report="b.txt", study_id="y", estimate=0.5),
    )
    ev["row_id"] = row_ids(ev)
    conflicts, _ = find_conflicts(ev)
    assert conflicts.empty


# --------------------------------------------------------------------------- extract()


def _fake_extractor(doc, protocol=None):
    """Rows for every 'hazard ratio, X; 95% confidence interval, L–U' and 'a/b' in the text."""
    import re

    rows = []
    for m in re.finditer(
        r"hazard ratio, ([\d.]+); 95% confidence interval, ([\d.]+)–([\d.]+)", doc.original
    ):
        rows.append(
            _row(
                report="",
                estimate=float(m.group(1)),
                ci_lower=float(m.group(2)),
                ci_upper=float(m.group(3)),
                source_start=m.start(),
                source_end=m.end(),
                source_quote=m.group(0),
                extractor="fake",
            )
        )
    for m in re.finditer(r"(\d+)/(\d+)", doc.original):
        rows.append(
            _row(
                report="",
                intervention="tocilizumab",
                outcome="CR",
                measure="proportion",
                analysis="",
                estimate=int(m.group(1)) / int(m.group(2)),
                ci_lower=None,
                ci_upper=None,
                events_int=int(m.group(1)),
                total_int=int(m.group(2)),
                source_start=m.start(),
                source_end=m.end(),
                source_quote=m.group(0),
                extractor="fake",
            )
        )
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


@pytest.fixture
def fake_extractor(monkeypatch):
    monkeypatch.setattr(sys.modules["evsynth.extraction"], "extract_document", _fake_extractor)


@pytest.fixture
def papers(tmp_path):
    d = tmp_path / "papers"
    d.mkdir()
    (d / "s.md").write_text(SUMMARY, encoding="utf-8")
    (d / "o.txt").write_text(OTHER, encoding="utf-8")
    return d


def test_extract_assigns_studies_ids_and_keeps_failures(fake_extractor, papers, tmp_path):
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    table = extract([papers, tmp_path / "missing.txt", tmp_path / "empty.txt"], progress=False)
    ev = table.evidence
    assert list(ev.columns) == list(EVIDENCE_COLUMNS)
    assert list(table.studies.columns) == list(STUDY_COLUMNS)
    assert list(ev["report"]) == ["o.txt", "s.md"]
    assert list(ev["study_id"]) == ["kim2020", "chen2022"]
    assert ev["row_id"].str.fullmatch(r"r[0-9a-f]{10}").all()
    # 30/40 as a proportion: 0.75
    assert ev.loc[0, "estimate"] == 0.75
    # the missing and the empty file are recorded, not dropped
    assert sorted(table.failures["file"]) == ["empty.txt", "missing.txt"]
    assert set(table.failures["error"]) == {"MissingFileError", "EmptyFileError"}
    assert "2 failures" in repr(table)


def test_extract_is_reproducible(fake_extractor, papers):
    a = extract(papers, progress=False).evidence
    b = extract(papers, progress=False).evidence
    pd.testing.assert_frame_equal(a, b)


def test_filter_write_and_read_back(fake_extractor, papers, tmp_path):
    table = extract(papers, progress=False)
    only = table.filter(measure="HR", intervention=["glucocorticoid"])
    assert list(only.evidence["report"]) == ["s.md"]
    assert list(only.studies["study_id"]) == ["chen2022"]

    out = tmp_path / "out"
    (out).mkdir()
    (out / "failures.csv").write_text("stale", encoding="utf-8")
    written = table.write(out)
    assert sorted(p.name for p in written) == ["evidence.csv", "studies.csv"]
    # a stale optional file from an earlier run is removed; no temporary files are left
    assert sorted(p.name for p in out.iterdir()) == ["evidence.csv", "studies.csv"]
    back = read_evidence(out / "evidence.csv")
    pd.testing.assert_frame_equal(back, table.evidence)
    again = EvidenceTable.read(out)
    pd.testing.assert_frame_equal(again.evidence, table.evidence)
    assert list(again.studies["study_id"]) == ["chen2022", "kim2020"]
    assert list(again.studies["n_total"]) == [pd.NA, 40]


def test_repr_html_has_summary_and_rows(fake_extractor, papers):
    table = extract(papers, progress=False)
    html = table._repr_html_()
    assert "2 rows from 2 report(s), 2 studies" in html
    assert table.evidence.loc[0, "row_id"] in html
    assert table.to_frame().equals(table.evidence)


def test_top_level_exports():
    assert evsynth.extract is extract
    assert evsynth.EvidenceTable is EvidenceTable
    assert (
        callable(evsynth.verify)
        and callable(evsynth.load_curation)
        and callable(evsynth.apply_curation)
    )


def test_conform_rejects_unknown_columns():
    with pytest.raises(evsynth.errors.ExtractionError, match="not in evsynth.extraction.schema"):
        conform_evidence(pd.DataFrame({"hr": [1.0]}))


def test_conform_types():
    ev = conform_evidence(pd.DataFrame([{"estimate": 1, "events_int": 3.0, "notes": np.nan}]))
    assert ev["estimate"].dtype == np.float64
    assert str(ev["events_int"].dtype) == "Int64"
    assert ev.loc[0, "notes"] == "" and ev.loc[0, "row_id"] == ""


# --------------------------------------------------------------------------- bundled papers


def test_bundled_conflict_000_vs_001():
    """000's abstract: multivariable PFS HR for low-dose GC 0.45 (0.21-0.96); 001's text and
    Table 5: 0.37 (0.16-0.84) (p = 0.017). Same study (zhang2025), so a recorded conflict."""
    table = extract(progress=False)
    c = table.conflicts
    hit = c[(c["outcome"] == "PFS") & (c["measure"] == "HR") & (c["analysis"] == "multivariable")]
    assert len(hit) >= 1
    assert set(hit["study_id"]) == {"zhang2025"}
    assert all(v.startswith("HR 0.45 (0.21-0.96) | HR 0.37 (0.16-0.84)") for v in hit["values"])
    row000 = table.evidence[
        table.evidence["report"].str.startswith("000") & (table.evidence["measure"] == "HR")
    ]
    assert row000["notes"].str.contains("conflict: 001_71deb3a1bf788464.txt").all()


def test_extractor_crash_is_a_recorded_failure(monkeypatch, papers):
    def crash(doc, protocol=None):
        if doc.path.endswith("o.txt"):
            raise ZeroDivisionError("division by zero")
        return _fake_extractor(doc)

    monkeypatch.setattr(sys.modules["evsynth.extraction"], "extract_document", crash)
    table = extract(papers, progress=False)
    assert list(table.evidence["report"]) == ["s.md"]
    f = table.failures.iloc[0]
    assert (f["file"], f["stage"], f["error"]) == ("o.txt", "extract", "ZeroDivisionError")
    assert "internal error in the extractors" in f["message"]
