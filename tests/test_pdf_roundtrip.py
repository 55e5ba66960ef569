"""The same paper as PDF (rendered with reportlab: one- and two-column pages, booktabs tables)
and as .txt gives the same numbers and the same table cells (tests/make_test_pdfs.py)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from evsynth import read
from tests.make_test_pdfs import DOI, TABLE1, TABLE2, TITLE, write_paper

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    pdf, txt = write_paper(tmp_path_factory.mktemp("synthetic"))
    return read(pdf), read(txt)


def cells(doc):
    return [
        [
            (c.row, c.col, c.row_group, c.row_label, c.col_group, c.col_label, c.text)
            for c in t.cells
        ]
        for t in doc.tables
    ]


def test_same_numbers(pair) -> None:
    pdf, txt = pair
    assert pdf.format == "pdf" and pdf.pages == 2  # title + two columns; one column
    assert Counter(_NUMBER.findall(pdf.text)) == Counter(_NUMBER.findall(txt.text))


def test_same_tables(pair) -> None:
    pdf, txt = pair
    assert [(t.label, t.caption, t.footnote) for t in pdf.tables] == [
        ("Table 1", TABLE1["caption"][8:], TABLE1["footnote"]),
        ("Table 2", TABLE2["caption"][8:], TABLE2["footnote"]),
    ]
    assert cells(pdf) == cells(txt)
    t2 = pdf.tables[1]
    hr = {
        (c.row_group, c.row_label, c.col_group): c.text
        for c in t2.cells
        if c.col_label == "HR (95% CI)"
    }
    # every HR cell of the table written in make_test_pdfs.py, with its two header levels
    expected = {}
    group = ""
    for row in TABLE2["rows"][2:]:
        if not any(row[1:]):
            group = row[0]
            continue
        expected[(group, row[0], "Univariate analysis")] = row[1]
        expected[(group, row[0], "Multivariate analysis")] = row[3]
    assert hr == expected
    assert (
        hr[("Progression-free survival", "High disease burden", "Univariate analysis")]
        == "1.87 (1.32-2.65)"
    )


def test_same_metadata_and_reading_order(pair) -> None:
    pdf, txt = pair
    assert pdf.title == TITLE  # from the largest type on page 1
    assert pdf.doi == txt.doi == DOI
    assert pdf.registrations == txt.registrations == ("NCT01234567",)
    top = lambda d: [s.name for s in d.sections if s.name not in ("table", "figure")]  # noqa: E731
    assert top(pdf) == top(txt) == ["front", "abstract", "methods", "results", "discussion"]
    # a sentence that wraps over several lines of one column comes out whole
    flat = re.sub(r"\s+", " ", pdf.text)
    assert (
        "In univariate analysis, steroid exposure was associated with neither overall survival "
        "(HR 0.84, 95% CI 0.61-1.16; P = 0.29) nor progression-free survival" in flat
    )
    # the left column is read before the right one: Methods before Results before Discussion
    assert (
        flat.index("Two-sided P values")
        < flat.index("The median age was 41")
        < flat.index("did not shorten")
    )
