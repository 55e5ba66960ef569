"""What an installed evsynth needs travels inside the package."""

from __future__ import annotations

from pathlib import Path

import evsynth
from evsynth.evidence.curation import curation_belongs_to

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_curation_is_the_reviewed_one():
    """`evsynth run` outside a checkout uses the packaged copy of extracted/curation.yaml."""
    packaged = Path(evsynth.__file__).parent / "data" / "curation.yaml"
    assert packaged.read_bytes() == (ROOT / "extracted" / "curation.yaml").read_bytes(), (
        "copy extracted/curation.yaml to evsynth/data/curation.yaml"
    )
    assert curation_belongs_to(packaged, evsynth.bundled_papers())


def test_bundled_papers_and_attribution_ship_with_the_package():
    papers = evsynth.bundled_papers()
    assert [p.name[:3] for p in papers] == ["000", "001", "002", "003", "004"]
    assert all(p.stat().st_size > 1000 for p in papers)
    from evsynth.reading.corpus import bundled_attribution

    assert "CC BY 4.0" in bundled_attribution()


def test_default_curation_outside_a_checkout(tmp_path, monkeypatch):
    from evsynth.review.workflow import default_curation

    monkeypatch.chdir(tmp_path)  # no ./extracted here
    found = default_curation(evsynth.bundled_papers())
    assert found is not None and found.parent.name == "data"
    # a paper set it does not belong to gets no curation
    other = tmp_path / "other.txt"
    other.write_text("A paper. HR 0.5 (95% CI 0.2-0.9).", encoding="utf-8")
    assert default_curation([other]) is None
