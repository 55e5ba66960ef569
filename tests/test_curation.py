"""Curation files: loading and validation, accept/reject/correct/add, belonging to the papers."""

from __future__ import annotations

import re
import sys

import pandas as pd
import pytest

import evsynth
from evsynth.errors import CurationError
from evsynth.evidence import extract
from evsynth.evidence.curation import (
    apply_curation,
    curation_belongs_to,
    curation_template,
    file_sha256,
    load_curation,
)
from tests.test_evidence import OTHER, SUMMARY, _fake_extractor


@pytest.fixture
def setup(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules["evsynth.extraction"], "extract_document", _fake_extractor)
    d = tmp_path / "papers"
    d.mkdir()
    (d / "s.md").write_text(SUMMARY, encoding="utf-8")
    (d / "o.txt").write_text(OTHER, encoding="utf-8")
    table = extract(d, progress=False)
    return d, table


def _write(tmp_path, papers_dir, body: str, name: str = "curation.yaml"):
    header = curation_template(papers_dir)
    header = header.replace("entries: []\nadd: []\n", "")
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _ids(table):
    ev = table.evidence
    return {r: i for r, i in zip(ev["report"], ev["row_id"], strict=True)}


def test_template_names_papers_with_sha256(setup, tmp_path):
    d, _ = setup
    text = curation_template(d)
    assert f'sha256: "{file_sha256(d / "s.md")}"' in text
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    assert curation_belongs_to(path, [d])
    (d / "s.md").write_text(SUMMARY + "\nedited\n", encoding="utf-8")
    assert not curation_belongs_to(path, [d])
    assert load_curation(path).mismatches([d]) == [
        "s.md differs from the version this curation file was written for (sha256)"
    ]


def test_accept_reject_correct(setup, tmp_path):
    d, table = setup
    ids = _ids(table)
    body = f"""entries:
  - row_id: {ids["o.txt"]}
    action: correct
    set: {{estimate: 0.8, outcome: MRD-negative CR}}
    reason: "the paper's Table 2 gives 32/40"
  - row_id: {ids["s.md"]}
    action: reject
    reason: "summary page; the full text is the primary report"
"""
    path = _write(tmp_path, d, body)
    before = path.read_bytes()
    cur = apply_curation(table, path)
    ev = cur.evidence
    assert list(ev["report"]) == ["o.txt"]
    row = ev.iloc[0]
    assert row["curation"] == "corrected"
    assert row["estimate"] == 0.8 and row["outcome"] == "MRD-negative CR"
    # provenance is kept and the old values and the reason are in the notes
    assert row["source_quote"] == "30/40"
    assert (
        row["notes"]
        == "corrected (estimate 0.75 -> 0.8; outcome 'CR' -> 'MRD-negative CR'): the paper's Table 2 gives 32/40"
    )
    assert list(cur.rejected["row_id"]) == [ids["s.md"]]
    assert cur.rejected.iloc[0]["reason"].startswith("summary page")
    # the tool never rewrites the curation file
    assert path.read_bytes() == before
    # applying during extract gives the same table
    again = extract(d, curation=path, progress=False)
    pd.testing.assert_frame_equal(again.evidence, ev)


def test_accept(setup, tmp_path):
    d, table = setup
    ids = _ids(table)
    path = _write(tmp_path, d, f"entries:\n  - row_id: {ids['s.md']}\n    action: accept\n")
    ev = apply_curation(table, path).evidence
    assert list(ev["curation"]) == ["", "accepted"]


def test_add_by_quote_and_by_offsets(setup, tmp_path):
    d, table = setup
    text = (d / "o.txt").read_text(encoding="utf-8")
    start = text.index("We enrolled 40 patients.")
    body = f"""add:
  - report: o.txt
    source_quote: "CR was 30/40 with tocilizumab"
    fields: {{intervention: tocilizumab, outcome: CR, measure: proportion, estimate: 0.75, events_int: 30, total_int: 40}}
    reason: "missed by the extractor"
  - report: o.txt
    source_start: {start}
    source_end: {start + 24}
    fields: {{outcome: N, measure: p_only, notes: "sample size only"}}
    reason: "sample size"
"""
    cur = apply_curation(table, _write(tmp_path, d, body))
    added = cur.evidence[cur.evidence["curation"] == "added"]
    assert len(added) == 2
    first = added[added["measure"] == "proportion"].iloc[0]
    assert first["source_start"] == text.index("CR was 30/40")
    assert first["source_quote"] == "CR was 30/40 with tocilizumab"
    assert first["study_id"] == "kim2020" and first["extractor"] == "curation"
    assert first["notes"] == "added: missed by the extractor"
    second = added[added["measure"] == "p_only"].iloc[0]
    assert second["source_quote"] == "We enrolled 40 patients."
    assert second["notes"] == "sample size only; added: sample size"
    assert cur.evidence["row_id"].is_unique


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "entries:\n  - row_id: rdoesnotexist\n    action: accept\n",
            r"entries\[0\] \(row_id 'rdoesnotexist'\): no row with this id",
        ),
        (
            "entries:\n  - row_id: r1\n    action: delete\n",
            r"entries\[0\] \(row_id 'r1'\): action must be one of",
        ),
        (
            "entries:\n  - row_id: r1\n    action: reject\n",
            r"entries\[0\] \(row_id 'r1'\): a 'reject' needs a reason",
        ),
        ("entries:\n  - row_id: r1\n    action: correct\n    reason: x\n", r"needs 'set:'"),
        (
            "entries:\n  - row_id: r1\n    action: correct\n    set: {estimate: high}\n    reason: x\n",
            r"estimate must be a number",
        ),
        (
            "entries:\n  - row_id: r1\n    action: correct\n    set: {source_start: 3}\n    reason: x\n",
            r"cannot correct \['source_start'\]",
        ),
        (
            "entries:\n  - row_id: r1\n    action: correct\n    set: {measure: XYZ}\n    reason: x\n",
            r"measure must be one of",
        ),
        (
            "entries:\n  - row_id: r1\n    action: correct\n    set: {hazard: 1}\n    reason: x\n",
            r"unknown field 'hazard'",
        ),
        (
            "entries:\n  - row_id: r1\n    action: accept\n  - row_id: r1\n    action: accept\n",
            r"entries\[1\].*already has a decision at entries\[0\]",
        ),
        (
            "entries:\n  - row_id: r1\n    action: accept\n    sett: {}\n",
            r"unknown key\(s\) \['sett'\]",
        ),
        (
            "add:\n  - report: o.txt\n    fields: {measure: HR, outcome: OS}\n    reason: x\n",
            r"add\[0\] \(report 'o.txt'\): give source_start",
        ),
        (
            "add:\n  - report: o.txt\n    source_quote: 'CR'\n    fields: {measure: HR, outcome: OS}\n    reason: x\n",
            r"found 2 times",
        ),
        (
            "add:\n  - report: o.txt\n    source_quote: 'CR was 30/40'\n    fields: {measure: counts, outcome: CR, events_int: 31}\n    reason: x\n",
            r"events_int 31 is not in the quote",
        ),
        (
            "add:\n  - report: nope.txt\n    source_quote: 'x'\n    fields: {measure: HR, outcome: OS}\n    reason: x\n",
            r"add\[0\] \(report 'nope.txt'\): the report is not among",
        ),
        ("bogus: 1\n", r"unknown top-level key"),
    ],
)
def test_malformed_entries_name_the_entry(setup, tmp_path, body, message):
    d, table = setup
    path = _write(tmp_path, d, body)
    with pytest.raises(CurationError, match=message):
        apply_curation(table, path)


def test_not_yaml_and_missing_papers(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries: [\n", encoding="utf-8")
    with pytest.raises(CurationError, match="not valid YAML"):
        load_curation(bad)
    nopapers = tmp_path / "np.yaml"
    nopapers.write_text("entries: []\n", encoding="utf-8")
    with pytest.raises(CurationError, match="'papers:' must list the papers"):
        load_curation(nopapers)
    with pytest.raises(CurationError, match="no such curation file"):
        load_curation(tmp_path / "absent.yaml")


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("papers: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(
        CurationError, match="line 1: the tag !!python/object/apply:os.system is not allowed"
    ):
        load_curation(evil)


def test_curation_for_other_papers_is_refused(setup, tmp_path):
    d, table = setup
    path = tmp_path / "c.yaml"
    path.write_text(
        "papers:\n  - file: s.md\n    sha256: " + "a" * 64 + "\nentries: []\n", encoding="utf-8"
    )
    with pytest.raises(CurationError, match="belongs to other papers: s.md differs"):
        apply_curation(table, path)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # a reject then an accept of one entry: the second key must not silently win
        ("papers: []\nentries:\n  - {row_id: r1, action: reject, action: accept, reason: x}\n", "appears twice (lines 3 and 3)"),
        # a second entries: key would drop every earlier decision
        ("papers: []\nentries: []\nentries: []\n", "'entries' appears twice (lines 2 and 3)"),
        # billion laughs
        ("a: &a [x, x]\nb: &b [*a, *a]\npapers: [*b]\n", "anchors"),
    ],
)  # fmt: skip
def test_hostile_curation_yaml_is_refused_with_the_line(tmp_path, text, named):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CurationError, match=re.escape(named)):
        load_curation(path)


def test_curation_in_latin1_or_utf16_is_a_clear_error(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("papers: []\nreason: caf\u00e9\n".encode("utf-16"))
    with pytest.raises(CurationError) as info:
        load_curation(path)
    assert "Traceback" not in str(info.value) and str(path) in str(info.value)


def test_a_malformed_curation_is_refused_before_any_paper_is_read(tmp_path, monkeypatch):
    import evsynth.evidence.batch as batch

    bad = tmp_path / "c.yaml"
    bad.write_text("papers: []\npapers: []\n", encoding="utf-8")
    monkeypatch.setattr(batch, "extract_many", lambda *a, **k: pytest.fail("papers were read"))
    with pytest.raises(CurationError, match="appears twice"):
        evsynth.extract(tmp_path, curation=bad, progress=False)
