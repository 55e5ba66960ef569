"""The committed, reviewed evidence table (extracted/) is reproducible and verifies.

If this fails after a change to the extractors or the reader, look at the differences: when the
new rows are right, regenerate with ``python extracted/regenerate.py`` (re-read the changed rows
against the papers and update ``extracted/curation.yaml`` if a curated row id changed).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from evsynth import bundled_papers
from evsynth.evidence import extract, read_evidence, verify
from evsynth.evidence.curation import file_sha256, load_curation

EXTRACTED = Path(__file__).resolve().parents[1] / "extracted"


@pytest.fixture(scope="module")
def table():
    return extract(curation=EXTRACTED / "curation.yaml", progress=False)


def test_reextraction_plus_curation_reproduces_evidence_csv(table):
    committed = read_evidence(EXTRACTED / "evidence.csv")
    pd.testing.assert_frame_equal(table.evidence, committed)


def test_studies_csv_is_reproduced(table):
    committed = pd.read_csv(EXTRACTED / "studies.csv", dtype=str, keep_default_na=False)
    fresh = pd.read_csv(
        io.StringIO(table.studies.to_csv(index=False)), dtype=str, keep_default_na=False
    )
    pd.testing.assert_frame_equal(fresh, committed)


def test_committed_table_verifies_against_the_papers():
    assert verify(EXTRACTED / "evidence.csv").empty


def test_curation_belongs_to_the_bundled_papers():
    cur = load_curation(EXTRACTED / "curation.yaml")
    assert cur.mismatches(bundled_papers()) == []
    assert {name for name, _ in cur.papers} == {p.name for p in bundled_papers()}


def test_provenance_names_the_inputs():
    text = (EXTRACTED / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "evsynth extract --out extracted --curation extracted/curation.yaml" in text
    for p in bundled_papers():
        assert f"| {p.name} | `{file_sha256(p)}` |" in text


def test_curated_rows_are_marked(table):
    ev = table.evidence
    # four 004 rows corrected (prednisone for prolonged cytopenia), two 002 rows relabelled
    # (CRS concomitant ICANS vs others), one 001 row added (p s= 0.14)
    corrected = ev[ev["curation"] == "corrected"]
    assert sorted(corrected["report"].str[:3]) == ["002"] * 2 + ["004"] * 4
    assert set(corrected.loc[corrected["report"].str.startswith("002"), "comparator"]) == {"others"}
    added = ev[ev["curation"] == "added"]
    assert list(added["p_value"]) == [0.14]
    assert list(added["intervention"]) == ["ruxolitinib"]
