"""Layouts of real journals rendered with reportlab (tests/pdf_layouts.py), read by the PDFium
layer: landscape tables in every text direction, regression tables with estimate, CI and P in
separate columns under grouped headers. Cells and evidence rows are asserted exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import pdf_layouts as L  # noqa: E402

from evsynth import read  # noqa: E402
from evsynth.extraction import extract_document  # noqa: E402
from evsynth.reading.normalize import normalize  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("layouts")


def _cells(table) -> dict[tuple[str, str, str], str]:
    return {(c.row_label, c.col_group, c.col_label): c.text for c in table.cells}


def _ratios(doc) -> list[tuple]:
    rows = extract_document(doc)
    return [
        (r.measure, r.estimate, r.ci_lower, r.ci_upper, r.p_value, r.analysis)
        for r in rows.itertuples()
        if r.measure in ("HR", "OR", "RR")
    ]


@pytest.mark.parametrize("page_rotate", [True, False])
@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_landscape_table_in_every_direction(folder, angle, page_rotate) -> None:
    doc = read(L.rotated_table(folder / f"rotated_{angle}_{page_rotate}.pdf", angle, page_rotate))
    assert doc.warnings == ()
    assert [t.label for t in doc.tables] == ["Table 2"]
    cells = _cells(doc.tables[0])
    assert cells[("Age ≥ 65 years", "", "HR (95% CI)")] == "1.52 (1.10-2.09)"
    assert cells[("Exercise programme", "", "P")] == "<0.001"
    assert cells[("Current smoker", "", "HR (95% CI)")] == "1.18 (0.91-1.53)"
    assert sorted(_ratios(doc)) == [
        ("HR", 0.63, 0.48, 0.83, 0.001, ""),
        ("HR", 1.18, 0.91, 1.53, 0.21, ""),
        ("HR", 1.52, 1.10, 2.09, 0.011, ""),
    ]
    # the quote is the original characters, en dashes as printed
    quotes = extract_document(doc)["source_quote"].tolist()
    assert any("1.52 (1.10–2.09)" in q for q in quotes)


def test_regression_table_grouped_headers(folder) -> None:
    doc = read(L.regression_table(folder / "regression.pdf"))
    cells = _cells(doc.tables[0])
    # the group labels span three columns each and land on them
    assert cells[("Age (per 10 years)", "Univariate", "HR")] == "1.34"
    assert cells[("Age (per 10 years)", "Univariate", "95% CI")] == "1.12-1.60"
    assert cells[("Age (per 10 years)", "Univariate", "P")] == "0.001"
    assert cells[("Age (per 10 years)", "Multivariate", "HR")] == "1.29"
    assert cells[("Age (per 10 years)", "Multivariate", "95% CI")] == "1.07-1.55"
    assert cells[("Diabetes", "Multivariate", "P")] == "0.018"
    # a dash alone in a cell is "not in this model", never the end of a range
    assert cells[("Smoking", "Univariate", "HR")] == "0.812"
    assert cells[("Smoking", "Univariate", "95% CI")] == "—"
    assert cells[("Smoking", "Univariate", "P")] == "0.355"
    assert cells[("Smoking", "Multivariate", "HR")] == "—"
    assert sorted(_ratios(doc)) == [
        ("HR", 1.29, 1.07, 1.55, 0.008, "multivariable"),
        ("HR", 1.34, 1.12, 1.60, 0.001, "univariable"),
        ("HR", 1.55, 1.08, 2.23, 0.018, "multivariable"),
        ("HR", 1.71, 1.20, 2.44, 0.003, "univariable"),
    ]


def test_em_dash_between_table_cells_is_not_a_range() -> None:
    assert normalize("0.812\t—\t0.355").text == "0.812\t—\t0.355"
    assert normalize("0.21—0.96 and 0.21 — 0.96").text == "0.21-0.96 and 0.21-0.96"


def _expected_point(angle: int, fx: float, fy: float) -> tuple[float, float]:
    """Where the generator's frame point (fx, fy) lands, in points from the page's top-left
    corner (user space flipped), from its translate/rotate calls (tests/pdf_layouts.py)."""
    pw, ph = L.W, L.H  # the media box is portrait A4 in every case
    return {
        0: (fx, ph - fy),
        90: (pw - fy, ph - fx),
        180: (pw - fx, fy),
        270: (fy, fx),
    }[angle]


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_rows_point_at_their_printed_line(folder, angle) -> None:
    doc = read(L.rotated_table(folder / f"boxes_{angle}.pdf", angle))
    rows = extract_document(doc)
    row = rows[rows.estimate == 1.52].iloc[0]
    assert row.page == 1
    ((page, x0, top, x1, bottom),) = doc.boxes(int(row.source_start), int(row.source_end))
    assert row.source_boxes == f"1:{x0:.1f},{top:.1f},{x1:.1f},{bottom:.1f}"
    # the first row's baseline starts at frame point (60, fh - 114): caption at fh - 80, then
    # 8 + 11 + 11 + 4 points down (see _table); the box holds that point and is one 8 pt line
    fh = L.H if angle in (0, 180) else L.W  # the height of the frame the table is drawn in
    x, y = _expected_point(angle, 60, fh - 114)
    assert x0 - 0.5 <= x <= x1 + 0.5 and top - 0.5 <= y <= bottom + 0.5
    assert min(x1 - x0, bottom - top) == pytest.approx(8.0, abs=0.1)


def test_zero_page_pdf_says_so(tmp_path) -> None:
    import pypdfium2 as pdfium

    from evsynth.errors import CorruptPDFError

    path = tmp_path / "empty.pdf"
    pdfium.PdfDocument.new().save(str(path))
    with pytest.raises(CorruptPDFError) as err:
        read(path)
    assert "no pages" in str(err.value) and "Success" not in str(err.value)


def _figure_rows(doc) -> list[tuple]:
    rows = extract_document(doc)
    rows = rows[rows.measure == "RR"]
    return [
        (r.cited_study, r.estimate, r.ci_lower, r.ci_upper, r.weight, r.table, r.section)
        for r in rows.itertuples()
    ]


FOREST_EXPECTED = [
    ("Ahn 2012", 0.58, 0.32, 1.04, 18.2, "Figure 2", "figure"),
    ("Berg 2015", 0.72, 0.48, 1.07, 31.5, "Figure 2", "figure"),
    ("Costa 2018", 0.56, 0.27, 1.18, 12.9, "Figure 2", "figure"),
    ("Dahl 2020", 0.78, 0.50, 1.21, 37.4, "Figure 2", "figure"),
    ("Overall (I-squared = 37.2%, p = 0.118)", 0.69, 0.55, 0.87, 100.0, "Figure 2", "figure"),
]


def test_vector_forest_plot_rows(folder) -> None:
    doc = read(L.forest_plot(folder / "forest.pdf"))
    (fig,) = doc.tables
    assert (fig.label, fig.kind) == ("Figure 2", "figure")
    assert fig.caption == "Forest plot of the risk ratio of falls, exercise versus usual care."
    cells = _cells(fig)
    for row in [*L.FOREST_ROWS, L.FOREST_OVERALL]:
        for label, text in zip(L.FOREST_HEADER[1:], row[1:], strict=True):
            assert cells[(row[0], "", label)] == text
    assert _figure_rows(doc) == FOREST_EXPECTED
    rows = extract_document(doc)
    pooled = rows[rows.cited_study.str.startswith("Overall")].iloc[0]
    assert "pooled estimate" in pooled.notes
    # the prose above and the axis under the plot stay text
    assert "The pooled estimate is shown in Figure 2." in doc.text
    assert "Favours exercise" in doc.text


def test_forest_plot_as_text_gives_the_same_rows() -> None:
    from evsynth import read_string

    lines = ["Figure 2. Forest plot of the risk ratio of falls, exercise versus usual care.", ""]
    lines += ["\t".join(r) for r in [L.FOREST_HEADER, *L.FOREST_ROWS, L.FOREST_OVERALL]]
    doc = read_string("Results\n\n" + "\n".join(lines) + "\n")
    assert doc.tables[0].kind == "figure"
    assert _figure_rows(doc) == FOREST_EXPECTED


def test_figure_caption_without_rows_is_not_a_table() -> None:
    from evsynth import read_string

    doc = read_string("Figure 1. Flow of participants.\n\nA\tB\nC\tD\n")
    assert [t.kind for t in doc.tables] == ["table"]  # an uncaptioned tab block, not a figure


def test_tables_in_one_column_of_a_two_column_page(folder) -> None:
    doc = read(L.two_column_tables(folder / "two_column.pdf"))
    grid, npct = doc.tables
    assert (grid.label, npct.label) == ("Table 4", "Table 1")
    assert grid.caption == "Falls by age band"  # not the next column's line beside it
    cells = _cells(grid)
    for row in L.GRID_ROWS:
        for k, text in enumerate(row[1:], start=1):
            assert cells[(row[0].replace("–", "-"), "", f"Model {k} HR (95% CI)")] == text.replace(
                "–", "-"
            )
    hrs = sorted(
        (r.estimate, r.ci_lower, r.ci_upper)
        for r in extract_document(doc).itertuples()
        if r.measure == "HR"
    )
    expected = []
    for row in L.GRID_ROWS:
        for text in row[1:]:
            est, rest = text.split(" (")
            lo, hi = rest.rstrip(")").split("–")
            expected.append((float(est), float(lo), float(hi)))
    assert hrs == sorted(expected)
    # n (%) cells with the arm's n in the column header, as printed
    assert _cells(npct) == {
        (r[0], "", h): t
        for r in L.NPCT_ROWS
        for h, t in zip(L.NPCT_HEADER[0][1:], r[1:], strict=True)
    }
    # the prose of the other column is not pulled into the tables
    assert all("Participants" not in c.text for t in doc.tables for c in t.cells)


def test_estimate_and_interval_across_a_column_break(folder) -> None:
    doc = read(L.column_break_estimate(folder / "column_break.pdf"))
    assert "(hazard ratio 0.63\n(95% CI 0.48-0.83); the effect" in doc.text
    assert [r[:4] for r in _ratios(doc)] == [("HR", 0.63, 0.48, 0.83)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # a few words, hyphenated at a line break, between the estimate and its labelled CI
            "Falls were fewer (hazard ratio 0.63 in the interven-\ntion group; 95% CI 0.48-0.83).",
            [(0.63, 0.48, 0.83)],
        ),
        (  # both ends of a range of estimates, each with its interval
            "The HRs ranged from 0.62 (95% CI 0.45-0.85) to 0.76 (95% CI 0.55-1.05) across models.",
            [(0.62, 0.45, 0.85), (0.76, 0.55, 1.05)],
        ),
        (
            "The odds ratio ranged from 1.4 (95% CI 1.1 to 1.8) to 2.2 (95% CI 1.5 to 3.1).",
            [(1.4, 1.1, 1.8), (2.2, 1.5, 3.1)],
        ),
        (  # a range of estimates without their own intervals is not an estimate with a CI
            "Across trials the HR was 0.8 to 1.2 in the subgroups (95% CI 0.5-2.0).",
            [],
        ),
    ],
)
def test_estimate_phrasings(sentence, expected) -> None:
    from evsynth import read_string

    rows = extract_document(read_string(f"Results\n\n{sentence}\n"))
    assert [(r.estimate, r.ci_lower, r.ci_upper) for r in rows.itertuples()] == expected


def test_broken_xref_offsets_are_recovered(folder) -> None:
    import re

    good = L.regression_table(folder / "xref_good.pdf")
    data = good.read_bytes()
    broken = re.sub(rb"(\d{10}) (\d{5}) n", lambda m: b"0000000999 " + m.group(2) + b" n", data)
    assert broken != data
    path = folder / "xref_broken.pdf"
    path.write_bytes(broken)
    doc = read(path)  # PDFium rebuilds the cross-reference table: no "run OCR"
    assert doc.text == read(good).text


def test_memory_error_is_not_called_corrupt(folder, monkeypatch) -> None:
    import evsynth.reading.pdf as pdf_mod

    def boom(doc):
        raise MemoryError

    monkeypatch.setattr(pdf_mod, "pdfium_layers", boom)
    with pytest.raises(MemoryError):
        pdf_mod.extract_pdf(L.regression_table(folder / "memory.pdf"))


def test_revman_forest_plot_with_subgroups(folder) -> None:
    doc = read(L.revman_forest_plot(folder / "revman.pdf"))
    (fig,) = doc.tables
    assert (fig.label, fig.kind, fig.caption) == (
        "Figure 3",
        "figure",
        "Risk of falling, exercise versus usual care (risk ratio).",
    )
    effect = "Risk Ratio M-H, Random, 95% CI"
    by_label = {(c.row_group, c.row_label): c.text for c in fig.cells if c.col_label == effect}
    assert by_label[("1.1.1 Supervised", "Ahn 2012")] == "0.58 [0.32, 1.04]"
    assert by_label[("1.1.2 Home-based", "Costa 2018")] == "0.56 [0.27, 1.18]"
    # the heterogeneity lines stay in the table as cells
    texts = {c.row_label: c.text for c in fig.cells}
    assert texts["Heterogeneity:"] == "Tau² = 0.02; Chi² = 4.10, df = 3 (P = 0.25); I² = 27%"
    assert texts["Test for overall effect:"] == "Z = 3.20 (P = 0.001)"
    rows = extract_document(doc)
    rows = rows[rows.measure == "RR"]
    expected = [
        (
            r[0],
            float(r[6].split()[0]),
            float(r[6].split("[")[1].split(",")[0]),
            float(r[6].split(", ")[1].rstrip("]")),
            float(r[5].rstrip("%")),
        )
        for r in L.REVMAN_ROWS
        if r[6]
    ]
    got = [(r.cited_study, r.estimate, r.ci_lower, r.ci_upper, r.weight) for r in rows.itertuples()]
    assert got == expected
    pooled = rows[rows.notes.str.contains("pooled estimate")].cited_study.tolist()
    assert pooled == ["Subtotal (95% CI)", "Subtotal (95% CI)", "Total (95% CI)"]


def test_forest_plot_in_one_column_of_a_two_column_page(folder) -> None:
    doc = read(L.forest_plot_in_a_column(folder / "column_forest.pdf"))
    (fig,) = doc.tables
    assert (fig.label, fig.kind, fig.caption) == (
        "Figure 4",
        "figure",
        "Odds of a fall with exercise, by trial",
    )
    assert all("Participants" not in c.text for c in fig.cells)  # the other column stays out
    rows = extract_document(doc)
    got = [
        (r.cited_study, r.measure, r.estimate, r.ci_lower, r.ci_upper, r.weight)
        for r in rows.itertuples()
    ]
    assert got == [
        (
            s,
            "OR",
            float(e.split()[0]),
            float(e.split("(")[1].split(",")[0]),
            float(e.split(", ")[1].rstrip(")")),
            float(w),
        )
        for s, e, w in L.COLUMN_FOREST
    ]
    # the prose of both columns is still read, each line once (PDFium's own text as reference)
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(str(folder / "column_forest.pdf"))[0]
    plain = page.get_textpage().get_text_range()
    phrase = "the difference held in every model"
    assert doc.text.count(phrase) == plain.count(phrase) > 5
