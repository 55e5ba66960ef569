"""Study identity, same-study detection and cohort-overlap flags (evsynth.evidence.studies).

Hand-written texts in the style of the bundled papers test each rule; the last tests check the
rules on the bundled papers themselves (facts verified by reading the papers).
"""

from __future__ import annotations

import pytest

from evsynth import bundled_papers
from evsynth.evidence.studies import (
    SAME_STUDY_CONTAINMENT,
    build_studies,
    report_metadata,
    shingle_containment,
    shingles,
)
from evsynth.reading.reader import read_many, read_string

CITATION_PAPER = """OPEN ACCESS

EDITED BY Anna Berg, Karolinska Institutet, Sweden

REVIEWED BY Paul Stone, Great Ormond Street Hospital for Children NHS Foundation Trust, United Kingdom

*CORRESPONDENCE Ola Nordmann

RECEIVED 02 May 2021 ACCEPTED 01 June 2021 PUBLISHED 14 July 2021

CITATION

Østergaard K, Li Y, Brown T and Nordmann O (2021) Steroids after CAR-T in adults. Front. Immunol. 12:1234567. doi: 10.3389/fimmu.2021.1234567

Steroids after CAR-T in adults

Kari Østergaard^{1}, Yan Li^{2}, Tom Brown^{2} and Ola Nordmann^{1*}

1 Department of Hematology, Oslo North Hospital, Oslo, Norway, 2 Department of Medicine, The Second Affiliated Hospital, Bergen University, Bergen, Norway

Background: Steroids are given for CRS.

Methods: In this multicenter retrospective study, we enrolled 64 adults with B-ALL at two centers.

Results: Nothing changed.

Introduction

Other authors (Smith J, Lee K, 2019) used a single-arm randomized design at Elsewhere General Hospital.

Methods

Patients

We retrospectively reviewed adults treated between 1 February 2018, and 30 June 2020 (NCT01234567).

Results

The CR rate was 80%.

References

1. Smith J, Lee K. A randomized trial. Blood. (2019) 1:1-2. doi: 10.1000/xyz
"""

AUTHORS_LINE_PAPER = """# Tocilizumab for CRS in children

**Authors:** Mei Chen, Rui Wang, Jun Zhao

PMC · DOI: 10.1000/abc.2022.77 · Some Journal · 2022-03-01

## Abstract

We studied a retrospective cohort of 88 patients treated at a single institution from June 2015 to May 2019.
"""


def _doc(text: str, name: str):
    return read_string(text, name=name)


def test_citation_block_gives_first_author_year_doi_and_title():
    m = report_metadata(_doc(CITATION_PAPER, "a.txt"))
    # "Østergaard K" is the first author in the CITATION block; ASCII folding happens in the id
    assert m.first_author == "Østergaard"
    assert m.year == "2021"
    assert m.doi == "10.3389/fimmu.2021.1234567"
    assert m.authors[:2] == ("Østergaard K", "Li Y")


def test_citation_paper_design_size_enrolment_registration_centres():
    m = report_metadata(_doc(CITATION_PAPER, "a.txt"))
    # abstract says "multicenter retrospective study"; the introduction's "single-arm randomized"
    # describes another study and must not leak in
    assert m.design == "multicenter retrospective"
    assert m.n_total == 64
    assert m.enrolment == "between 1 February 2018, and 30 June 2020"
    assert m.registrations == ("NCT01234567",)
    # affiliations give the centres; the reviewer's hospital and the introduction's are not ours
    assert "Oslo North Hospital" in m.centres
    assert any(c.startswith("Second Affiliated Hospital, Bergen University") for c in m.centres)
    assert not any("Ormond" in c or "Elsewhere" in c for c in m.centres)


def test_authors_line_and_iso_date():
    m = report_metadata(_doc(AUTHORS_LINE_PAPER, "b.md"))
    # "Mei Chen" is given name first: surname is the last word
    assert (m.first_author, m.year) == ("Chen", "2022")
    assert m.design == "single-center retrospective cohort"
    assert m.n_total == 88
    assert m.enrolment == "from June 2015 to May 2019"


def test_spelled_out_sample_size():
    text = "Methods\n\nNinety-three patients were enrolled in this study.\n\nResults\n\nok\n"
    assert report_metadata(_doc(text, "c.txt")).n_total == 93


def test_study_ids_with_collision_suffixes_and_ascii():
    other = CITATION_PAPER.replace(
        "10.3389/fimmu.2021.1234567", "10.3389/fimmu.2021.7654321"
    ).replace("Steroids after CAR-T in adults", "A different study of tocilizumab")
    # different text too, so the two are not the same study by overlap either
    other = other.replace("Nothing changed.", "CR was 70%. " * 3).replace(
        "We retrospectively", "We prospectively"
    )
    docs = [
        _doc(CITATION_PAPER, "p1.txt"),
        _doc(other, "p2.txt"),
        _doc(AUTHORS_LINE_PAPER, "p3.md"),
    ]
    studies, study_of = build_studies(docs)
    # same first author + year in two different studies -> a/b in file-name order
    assert study_of == {
        "p1.txt": "ostergaard2021a",
        "p2.txt": "ostergaard2021b",
        "p3.md": "chen2022",
    }
    assert list(studies["study_id"]) == sorted(study_of.values())


def test_same_doi_is_one_study():
    summary = AUTHORS_LINE_PAPER
    full = "# Full text\n\nDOI: 10.1000/abc.2022.77\n\nIntroduction\n\nDifferent words entirely here.\n"
    studies, study_of = build_studies([_doc(summary, "s.md"), _doc(full, "f.txt")])
    assert study_of["s.md"] == study_of["f.txt"] == "chen2022"
    assert len(studies) == 1
    assert studies.loc[0, "reports"] == "f.txt;s.md"
    assert "same DOI 10.1000/abc.2022.77" in studies.loc[0, "duplicate_of"]


def test_body_text_without_metadata_joins_its_summary_page():
    abstract = (
        "We investigated the effects of steroids on outcomes in a retrospective cohort of 88 "
        "patients treated with CAR T cells at a single institution; complete response rates did "
        "not differ between groups and progression free survival was better with low doses of "
        "steroids in multivariable analysis of the whole cohort of children."
    )
    summary = AUTHORS_LINE_PAPER + "\n" + abstract + "\n"
    body = "Background\n\n" + abstract + "\n\nMethods\n\n" + ("Other text about methods. " * 30)
    studies, study_of = build_studies([_doc(summary, "s.md"), _doc(body, "body.txt")])
    assert study_of == {"s.md": "chen2022", "body.txt": "chen2022"}
    dup = studies.loc[0, "duplicate_of"]
    # the shorter report duplicates the longer one (convention read by evsynth.review.synthesis)
    assert dup.startswith("s.md duplicates body.txt: ")


def test_containment_measure_hand_computed():
    a = shingles("one two three four five six seven eight nine", k=8)
    b = shingles("zero one two three four five six seven eight", k=8)
    # a = {1..8, 2..9}, b = {0..7, 1..8}: one shared shingle of two each -> 1/2
    assert shingle_containment(a, b) == (0.5, 1)


def test_overlap_flag_shared_registration_centre_dates_and_authors():
    base = """CITATION

{authors} ({year}) Title {n}. Front. Immunol. doi: 10.1/x.{n}

Department of Hematology, Lakeside Central Hospital, Lake City, China

Methods

We retrospectively analyzed patients from {start} to {end} (ChiCTR1800015164).

Results

Fine.
"""
    a = base.format(
        authors="Wu J, Lyu H, Xiao X, Bai X",
        year=2023,
        n=1,
        start="September 2019",
        end="September 2022",
    )
    b = base.format(
        authors="Zhou Q, An Y, Xiao X, Bai X, Lyu H",
        year=2025,
        n=2,
        start="April 2020",
        end="October 2023",
    )
    c = base.format(
        authors="Kim S, Park J", year=2024, n=3, start="January 2010", end="December 2012"
    ).replace("ChiCTR1800015164", "NCT09999999")
    studies, _ = build_studies([_doc(a, "a.txt"), _doc(b, "b.txt"), _doc(c, "c.txt")])
    flags = dict(zip(studies["study_id"], studies["overlap_flag"], strict=True))
    assert flags["wu2023"].startswith("possible overlap with zhou2025: ")
    assert "shares trial registration ChiCTR1800015164" in flags["wu2023"]
    assert "shares centre Lakeside Central Hospital" in flags["wu2023"]
    # Apr 2020 - Sep 2022 is the intersection of the two periods
    assert "enrolment overlaps (April 2020 to September 2022)" in flags["wu2023"]
    assert "3 shared authors" in flags["zhou2025"]
    # same centre, different registration and enrolment 2010-2012, no shared authors -> no flag
    assert flags["kim2024"] == ""


# --------------------------------------------------------------------------- bundled papers


@pytest.fixture(scope="module")
def bundled():
    docs, failures = read_many(bundled_papers())
    assert failures == []
    return docs


def test_bundled_study_ids(bundled):
    studies, study_of = build_studies(bundled)
    names = {k[:3]: v for k, v in study_of.items()}
    # 000 (summary page, DOI) and 001 (body text, no title block) are one study: Zhang 2025
    assert names == {
        "000": "zhang2025",
        "001": "zhang2025",
        "002": "ma2024",
        "003": "zhou2025",
        "004": "wang2023",
    }
    assert len(studies) == 4


def test_bundled_metadata_as_read_in_the_papers(bundled):
    studies, _ = build_studies(bundled)
    s = studies.set_index("study_id")
    # 002: "In this multicenter retrospective study, we enrolled 93 patients"
    assert s.loc["ma2024", "n_total"] == 93
    assert s.loc["ma2024", "design"] == "multicenter retrospective"
    assert s.loc["ma2024", "enrolment"] == "between May 2016 and December 2022"
    # 000/001: "a retrospective cohort of 120 patients ... at a single institution"
    assert s.loc["zhang2025", "n_total"] == 120
    assert s.loc["zhang2025", "design"] == "single-center retrospective cohort"
    assert s.loc["zhang2025", "centre"] == "Children’s Hospital of Soochow University"
    assert s.loc["zhang2025", "registrations"] == "ChiCTR2000032211"
    assert s.loc["zhang2025", "doi"] == "10.3389/fimmu.2025.1604866"
    # 003: "in 45 R/R B-ALL patients", "from April 2020 and October 2023"
    assert s.loc["zhou2025", "n_total"] == 45
    assert s.loc["zhou2025", "enrolment"] == "from April 2020 and October 2023"
    assert s.loc["wang2023", "n_total"] == 17


def test_bundled_overlap_003_004(bundled):
    studies, _ = build_studies(bundled)
    s = studies.set_index("study_id")
    flag = s.loc["zhou2025", "overlap_flag"]
    # both name ChiCTR-ONN-16009862 and ChiCTR1800015164, Tianjin First Central Hospital,
    # enrolment Apr 2020-Oct 2023 vs Sep 2019-Sep 2022, and share Lyu H, Xiao X, Bai X, Pu Y, Meng J
    assert flag.startswith("possible overlap with wang2023")
    assert "ChiCTR-ONN-16009862" in flag and "Tianjin First Central Hospital" in flag
    assert "enrolment overlaps (April 2020 to September 2022)" in flag
    assert "5 shared authors" in flag
    assert s.loc["ma2024", "overlap_flag"] == "" and s.loc["zhang2025", "overlap_flag"] == ""


def test_bundled_same_study_threshold_margin(bundled):
    """The measured containment: 000 vs 001 is 0.52; every other pair is below 0.05."""
    from evsynth.evidence.studies import _body_text

    sh = {d.path.rsplit("/", 1)[-1][:3]: shingles(_body_text(d)) for d in bundled}
    same, _ = shingle_containment(sh["000"], sh["001"])
    assert same > SAME_STUDY_CONTAINMENT
    others = [
        shingle_containment(sh[a], sh[b])[0]
        for a in sh
        for b in sh
        if a < b and (a, b) != ("000", "001")
    ]
    assert max(others) < 0.05 < SAME_STUDY_CONTAINMENT


PDF_STYLE = """Li and Xu Journal of Bone Research (2018) 13:144
https://doi.org/10.1186/s99999-018-0794-1

REVIEW ARTICLE Open Access

Oral drug X after surgery: a meta-analysis

Qifeng Li1,2 and Baoshan Xu2*

Abstract
Background: This meta-analysis assessed drug X.
Results: Five randomized controlled trials (RCTs) involving 259 patients were included (published between 1997 and 2017).
"""

PDF_STYLE_2 = """Cancer Things

ORIGINAL RESEARCH

Yong Xin1,a, WenWen Guo1,a, Chun Sheng Yang2,a, Qian Huang1
& Guan Jiang3

1Department of Radiotherapy, Affiliated Hospital of Xuzhou Medical University, Xuzhou, China

Abstract

We did things. Received: 2 May 2017; Accepted: 9 November 2017
"""


def test_pdf_style_front_matter():
    m = report_metadata(_doc(PDF_STYLE, "x.pdf.txt"))
    # two names joined by "and" with affiliation marks; year from the running head, not from
    # "(published between 1997 and 2017)"
    assert (m.first_author, m.year) == ("Li", "2018")
    assert m.design == "meta-analysis"
    assert m.n_total == 259
    m2 = report_metadata(_doc(PDF_STYLE_2, "y.txt"))
    # "Xin1,a" -> Xin (affiliation marks "1,a" removed); year from "Accepted: 9 November 2017"
    assert (m2.first_author, m2.year) == ("Xin", "2017")
    assert m2.centres == ("Affiliated Hospital of Xuzhou Medical University",)
