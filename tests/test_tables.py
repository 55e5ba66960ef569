"""Tables: every table of the five bundled papers parses into the right row and column labels
(values checked against the files by eye), and the generic rules on tables written here."""

from __future__ import annotations

import pytest

from evsynth import bundled_papers, read, read_string
from evsynth.reading.document import Table


@pytest.fixture(scope="module")
def papers():
    return {p.name[:3]: read(p) for p in bundled_papers()}


def cell(
    table: Table,
    row_label: str,
    col_label: str,
    col_group: str | None = None,
    row_group: str | None = None,
) -> str:
    found = [
        c.text
        for c in table.cells
        if c.row_label == row_label
        and c.col_label == col_label
        and (col_group is None or c.col_group == col_group)
        and (row_group is None or c.row_group == row_group)
    ]
    assert len(found) == 1, (table.label, row_label, col_label, col_group, row_group, found)
    return found[0]


def labels(table: Table) -> tuple[list[str], list[tuple[str, str]]]:
    rows = list(dict.fromkeys(c.row_label for c in table.cells))
    cols = list(
        dict.fromkeys((c.col_group, c.col_label) for c in sorted(table.cells, key=lambda c: c.col))
    )
    return rows, cols


def test_table_inventory(papers) -> None:
    got = {
        k: [(t.label, t.n_rows, t.n_cols, len(t.cells)) for t in d.tables]
        for k, d in papers.items()
    }
    assert got == {
        "000": [],
        "001": [
            ("Table 1", 43, 2, 34),
            ("Table 2", 24, 2, 20),
            ("Table 3", 4, 7, 15),
            ("Table 4", 5, 8, 17),
            ("Table 5", 54, 5, 67),
        ],
        "002": [("Table 1", 0, 0, 0), ("Table 2", 17, 4, 34)],  # Table 1: caption only in the file
        "003": [("Table 1", 5, 4, 12), ("Table 2", 19, 6, 68)],
        "004": [("Table 1", 5, 4, 12), ("Table 2", 11, 4, 21), ("Table 3", 19, 14, 221)],
    }
    assert any("Table 1: caption found but no body cells" in w for w in papers["002"].warnings)


def test_001_table5_two_level_header_and_row_groups(papers) -> None:
    t = papers["001"].tables[4]
    assert t.caption.startswith("Univariable and multivariate Cox model")
    assert (
        cell(t, "≤8 mg/kg", "HR (95%CI)", "Univariate analysis", "GC dosage") == "0.44 (0.20-0.93)"
    )
    assert cell(t, "≤8 mg/kg", "P", "Univariate analysis") == "0.032"
    assert cell(t, "≤8 mg/kg", "HR (95%CI)", "Multivariate analysis") == "0.37 (0.16-0.84)"
    assert cell(t, "≤8 mg/kg", "P", "Multivariate analysis") == "0.017"
    assert cell(t, "Female", "HR (95%CI)", "Multivariate analysis", "Sex") == "2.78 (1.28-6.04)"
    assert (
        cell(t, "0 mg/kg", "HR (95%CI)", "Univariate analysis", "GC dosage") == "1.00 (Reference)"
    )
    _rows, cols = labels(t)
    assert cols == [
        ("Univariate analysis", "P"),
        ("Univariate analysis", "HR (95%CI)"),
        ("Multivariate analysis", "P"),
        ("Multivariate analysis", "HR (95%CI)"),
    ]
    groups = list(dict.fromkeys(c.row_group for c in t.cells))
    assert groups[:3] == ["Weight", "Sex", "Bone marrow blast percentage"]
    assert "GC dosage" in groups and "ICANS grade" == groups[-1]
    assert t.footnote.startswith("Univariate and multivariate analyses were performed")


def test_001_table3_and_table4(papers) -> None:
    t3 = papers["001"].tables[2]
    assert cell(t3, "CR", "GC") == "53"
    assert cell(t3, "CR", "Non-GC") == "40"
    assert cell(t3, "NR", "RUX") == "0"
    assert cell(t3, "p-value", "Non-TCZ") == "0.14"
    assert all(c.col_group == "" for c in t3.cells)
    # Table 4: 3 group headers over 7 sub-columns; the p-value row (one p per group, in each
    # group's last column) gives the spans 2 + 2 + 3
    t4 = papers["001"].tables[3]
    assert cell(t4, "CR", "<5 days") == "27"
    spans = {c.col_label: c.col_group for c in t4.cells}
    assert spans == {
        "<5 days": "onset of GC use",
        "≥5 days": "onset of GC use",
        "≤2 days": "Duration of GC use",
        ">2 days": "Duration of GC use",
        "0mg/kg": "dosage of GC use",
        "≤8mg/kg": "dosage of GC use",
        ">8mg/kg": "dosage of GC use",
    }
    assert cell(t4, "p-value", ">8mg/kg", "dosage of GC use") == "0.181"
    assert cell(t4, "NR", "0mg/kg") == "6"


def test_001_table1_groups(papers) -> None:
    t1 = papers["001"].tables[0]
    assert cell(t1, "Male", "N=120", row_group="Gender, n (%)") == "81 (67.50)"
    assert (
        cell(t1, "Autologous", "N=120", row_group="Origin of CAR-T cells, n (%)") == "109 (90.83%)"
    )
    assert t1.footnote.startswith("BM, bone Marrow")


def test_002_table2(papers) -> None:
    t = papers["002"].tables[1]
    assert cell(t, "Received tocilizumab", "HR.", row_group="LFS") == "1.207"
    assert cell(t, "Received tocilizumab", "95% CI", row_group="LFS") == "0.561-2.598"
    assert cell(t, "Received steroids", "HR.", row_group="OS") == "0.547"
    assert cell(t, "Received steroids", "95% CI", row_group="OS") == "0.271-1.103"
    assert cell(t, "Received steroids", "P", row_group="OS") == "0.092"
    # "Group" with only a p-value is a heading for the rows under it; its p is kept
    assert cell(t, "Group", "P", row_group="OS") == "0.468"
    assert cell(t, "Grade ≥ 3 CRS or ICANS", "HR.") == "2.021"
    # one heading level only: under "Group" the OS and LFS rows share row_group "Group" and
    # are told apart by their row index (documented limitation)
    refs = [
        (c.row, c.row_group) for c in t.cells if c.row_label == "No CRS and ICANS" and c.col == 1
    ]
    assert refs == [(6, "Group"), (14, "Group")]
    assert t.footnote.startswith("OS, overall survival; LFS, leukemia-free survival")


def test_003_tables(papers) -> None:
    t1, t2 = papers["003"].tables
    assert cell(t1, "1", "Fever") == "Temperature ≥ 38°C"
    assert cell(t1, "2", "Hypotension") == "not requiring vasopressors"
    assert t1.footnote.startswith("(#) Fever")
    assert cell(t2, "Median age (range), years", "Toci (N = 17)") == "42 (14-67)"
    assert cell(t2, "Median age (range), years", "P [#]") == "0.33"
    # a heading with only p-values: "Bone marrow blasts" over <30, 30-50, >50
    assert cell(t2, "Bone marrow blasts, No. (%)", "P") == "0.042"
    assert (
        cell(t2, "30-50", "Non-toci (N = 28)", row_group="Bone marrow blasts, No. (%)") == "2 (7.1)"
    )
    assert cell(t2, "Doses of CAR-T (range) (× 10^6 /kg)", "Total (N = 45)") == "2.1 (0.15-5.06)"


def test_004_tables(papers) -> None:
    t1, t2, t3 = papers["004"].tables
    assert cell(t1, "G3", "Thrombocytopenia (× 10^9/L)") == ">25"
    assert cell(t2, "Male (%)", "PHT group (n = 86)", row_group="Sex") == "46 (53.49)"
    assert cell(t2, "Lines of therapy (range)", "Total median (n = 109)") == "5 (0-13)"
    # the wide per-patient table: a spanning "Blood count" header over HGB / PLT / NE
    assert cell(t3, "4", "PLT (× 10^9/L)", "Blood count") == "370"
    assert cell(t3, "17", "CAR-T cells infused (× 10^6/kg)", "") == "2"
    assert cell(t3, "3", "Malignancy") == "B-ALL* JAK2-E890K"
    rows, cols = labels(t3)
    assert rows == [str(i) for i in range(1, 18)]
    assert len(cols) == 13


def test_cells_layout_written_here() -> None:
    # one cell per line, rows separated by blank lines, a group row, an empty cell (tab + nbsp)
    text = (
        "Results\n\nTable 2 | Cox model for OS.\n"
        "\tFactor\n\tUnadjusted\n\tAdjusted\n\n\n"
        "\tHR\n\tP\n\tHR\n\tP\n\n\n"
        "\tDose\n\n\n"
        "\tLow\n\t0.50 (0.30-0.80)\n\t0.004\n\t\u00a0\n\t\u00a0\n\n\n"
        "\tHigh\n\t1.00 (Reference)\n\t\u00a0\n\t0.60 (0.35-1.02)\n\t0.06\n\n\n"
        "HR, hazard ratio.\n\nMore text.\n"
    )
    d = read_string(text)
    (t,) = d.tables
    assert (t.label, t.caption, t.footnote) == ("Table 2", "Cox model for OS.", "HR, hazard ratio.")
    assert cell(t, "Low", "HR", "Unadjusted", "Dose") == "0.50 (0.30-0.80)"
    assert cell(t, "High", "HR", "Adjusted", "Dose") == "0.60 (0.35-1.02)"
    assert cell(t, "High", "P", "Adjusted") == "0.06"
    assert {c.text for c in t.cells if c.row_label == "Low"} == {"0.50 (0.30-0.80)", "0.004"}
    c = next(c for c in t.cells if c.text == "0.60 (0.35-1.02)")
    assert d.original[c.start : c.end] == "0.60 (0.35-1.02)"


def test_ambiguous_spans_leave_col_group_empty() -> None:
    # 2 groups over 3 sub-columns and no row with one value per group: do not guess
    text = "Table 1. Counts\n\tArm\n\tA\n\tB\n\n\tx\n\ty\n\tz\n\n\tCR\n\t1\n\t2\n\t3\n\n\tNR\n\t4\n\t5\n\t6\n\nEnd.\n"
    d = read_string(text)
    (t,) = d.tables
    assert cell(t, "CR", "y") == "2"
    assert all(c.col_group == "" for c in t.cells)
    assert any("could not tell which columns" in w for w in d.warnings)


def test_tab_separated_layout_written_here() -> None:
    text = (
        "TABLE 3 Outcomes by arm\n\n"
        "\tTreatment\t\tControl\t\n"
        "Outcome\tn/N\t%\tn/N\t%\n"
        "Efficacy\t\t\t\t\n"
        "CR\t40/50\t80.0\t30/50\t60.0\n"
        "OS at 1 year\t35/50\t70.0\t25/50\t50.0\n"
        "\nCR, complete response.\n\n"
        "Uncaptioned\tblock\nrow\t2\n"
    )
    d = read_string(text)
    t, u = d.tables
    assert (t.label, t.caption) == ("Table 3", "Outcomes by arm")
    assert cell(t, "CR", "n/N", "Treatment", "Efficacy") == "40/50"
    assert cell(t, "OS at 1 year", "%", "Control", "Efficacy") == "50.0"
    assert t.footnote == "CR, complete response."
    assert u.label == "" and cell(u, "row", "block") == "2"


def test_grid_frame(papers) -> None:
    g = papers["001"].tables[2].to_grid()
    assert g.loc[("", "CR"), ("", "GC")] == "53"


def test_markdown_pipe_tables_written_here() -> None:
    text = (
        "Results\n\nTable 2. Cox model\n\n"
        "| Variable | HR (95% CI) | P |\n|---|:---:|---|\n| **OS** | | |\n"
        "| Steroids | 0.84 (0.61-1.16) | 0.29 |\n| Age \\| > 60 | 1.31 (0.92-1.87) | 0.13 |\n"
        "\nHR, hazard ratio.\n\nText.\n\n| a | b |\n|---|---|\n| x | 1 |\n"
    )
    d = read_string(text, format="md")
    t, u = d.tables
    assert (t.label, t.caption, t.footnote) == ("Table 2", "Cox model", "HR, hazard ratio.")
    assert cell(t, "Steroids", "HR (95% CI)", row_group="OS") == "0.84 (0.61-1.16)"
    assert cell(t, "Age \\| > 60", "P", row_group="OS") == "0.13"  # an escaped pipe is no separator
    c = next(c for c in t.cells if c.text == "0.29")
    assert d.original[c.start : c.end] == "0.29"
    assert (u.label, cell(u, "x", "b")) == ("", "1")
