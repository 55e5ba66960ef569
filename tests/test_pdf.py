"""Real publisher PDFs (tests/fixtures/pdfs, unmodified copies; see the README there) and bad
PDFs: clean text in reading order, metadata, tables as cells, typed errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from evsynth import read, read_many
from evsynth.cli import main
from evsynth.errors import CorruptPDFError, EncryptedPDFError, NoTextLayerError
from tests.make_test_pdfs import write_bad_pdfs

PDFS = Path(__file__).parent / "fixtures" / "pdfs"

# DOIs as listed in tests/fixtures/pdfs/README.md (PMC6224252 has no DOI on its pages)
EXPECTED = {
    "PMC5911624": (
        "10.1002/cam4.1306",
        "Meta-analysis of whole-brain radiotherapy plus temozolomide",
    ),
    "PMC5992663": (
        "10.1186/s13018-018-0794-1",
        "Oral risedronate increases Gruen zone bone mineral density",
    ),
    "PMC6224252": (None, "A single-nucleotide polymorphism (rs1805087) in the methionine synthase"),
    "PMC6240187": (
        "10.1186/s13017-018-0214-1",
        "LBP rs2232618 polymorphism contributes to risk of sepsis",
    ),
    "PMC6390312": (
        "10.1186/s13018-019-1095-z",
        "Direct anterior versus lateral approaches for clinical outcomes",
    ),
    "PMC6425661": (
        "10.1186/s13018-019-1125-x",
        "Efficacy of balance training for hip fracture patients",
    ),
}


@pytest.fixture(scope="module")
def docs():
    return {p.stem: read(p) for p in sorted(PDFS.glob("*.pdf"))}


pytestmark = pytest.mark.slow  # reads six real PDFs (about 20 s)


def test_metadata(docs) -> None:
    assert sorted(docs) == sorted(EXPECTED)
    for name, (doi, title) in EXPECTED.items():
        d = docs[name]
        assert d.format == "pdf" and d.pages and d.pages >= 8
        assert d.doi == doi, name
        from evsynth.reading.normalize import normalize

        assert normalize(d.title).text.startswith(title), (name, d.title)


def test_rotated_table_page_is_read(docs) -> None:
    # PMC5911624 prints Table 1 on page 4 in landscape (text rotated 90 degrees): today's reader
    # took it for an image; the PDFium layer reads it in its own frame
    d = docs["PMC5911624"]
    assert d.warnings == ()
    assert [t.label for t in d.tables] == ["Table 1", "Table 2"]
    t1 = d.tables[0]
    assert _cell(t1, "Chua, et al.", "No of patients (WBRT + TMZ/ WBRT)") == "47"
    assert _cell(t1, "Hassler, et al.", "Gender (Male/ Female)") == "13/9"
    assert _cell(t1, "Deng (2017)", "Age (Average age OR Median age)") == "34-85 (60)"


def test_offsets_and_sections(docs) -> None:
    for name, d in docs.items():
        assert len(d.offsets) == len(d.text) + 1 and d.offsets[-1] == len(d.original)
        assert np.all(np.diff(d.offsets) >= 0)
        names = {s.name for s in d.sections}
        assert {"abstract", "introduction", "methods", "results", "discussion"} <= names, (
            name,
            names,
        )


def test_words_are_not_glued(docs) -> None:
    """pdfplumber's default x_tolerance=3 glues the words of tightly set BMC PDFs
    ("Thismeta-analysis"); x_tolerance_ratio=0.2 does not. Long letter runs are real words."""
    for name, d in docs.items():
        long = [w for w in re.findall(r"[A-Za-z]+", d.text) if len(w) >= 18]
        assert all(
            w.lower()
            in {
                "radiosensitization",
                "representativeness",
                "methylenetetrahydrofolate",
                "methyltetrahydrofolate",
                "adenosylmethionine",
                "lipopolysaccharide",
                "lipopolysaccharides",
                "clinicotranscriptomic",
                "cochranehandbookorg",
            }
            for w in long
        ), (name, long)
    assert (
        "This meta-analysis was performed to assess the efficacy of risedronate"
        in docs["PMC5992663"].text
    )


def test_reading_order_columns_not_interleaved(docs) -> None:
    # sentences that run down one column and over a line break, in the two-column body
    d = docs["PMC5911624"]
    assert (
        "Lung cancer is the most common malignant tumor worldwide; 85% of which is pathologically "
        "diagnosed as non-small-cell lung cancer (NSCLC) [1]." in d.text.replace("\n", " ")
    )
    assert "Temozolomide (TMZ) is a second-generation alkylating agent" in d.text.replace("\n", " ")
    d = docs["PMC6240187"]
    flat = d.text.replace("\n", " ")
    assert (
        "According to WHO, 10% of deaths and 16% of disabilities around the world were due to traumatic injuries [1]."
        in flat
    )
    assert (
        "Previous studies indicated that gene variants (generally single nucleotide polymorphisms, SNPs)"
        in flat
    )
    # superscript exponents after "10" keep their meaning
    assert "P = 4.5 × 10^-4" in d.text


def _cell(table, row_label, col_label, col_group=None):
    found = [
        c.text
        for c in table.cells
        if c.row_label == row_label
        and c.col_label == col_label
        and (col_group is None or c.col_group == col_group)
    ]
    assert len(found) == 1, (table.label, row_label, col_label, found)
    return found[0]


def test_tables_as_cells(docs) -> None:
    t1 = docs["PMC5992663"].tables[0]
    assert t1.label == "Table 1" and t1.caption.startswith("The general characteristic")
    assert _cell(t1, "Skoldenberg 2011", "Mean age (year, E/C)") == "61/60"
    assert _cell(t1, "Kinov 2005", "Outcomes") == "1, 2, 8"
    assert t1.footnote.startswith("E, risedronate group; C, control group")

    t2, t3, t4 = docs["PMC6240187"].tables
    assert _cell(t2, "Southwest", "Databank*", "MAF, %") == "9.1"
    assert _cell(t2, "Southeast", "Heterozygous", "Genotypes, N") == "54"
    assert _cell(t3, "Southwest", "Sepsis, n (%)") == "373 (32.0)"
    assert t3.footnote.startswith("Dominant effect")
    assert _cell(t4, "Study1#1", "TT", "Case") == "373"
    assert _cell(t4, "Study1#1", "TT", "Control") == "793"
    assert _cell(t4, "Study1#1", "Case/ control") == "432/864"

    s1, s2 = docs["PMC6425661"].tables
    # wrapped cells are joined into one cell; a wrapped header into one label
    assert _cell(s1, "Hauer 2002", "Control") == "Motor placebo activities (calisthenics games)"
    assert _cell(s1, "Binder 2004", "No. of patients (n)") == "46/44"
    assert _cell(s2, "≤ 3 months", "Standard mean difference (95% CI)") == "0.71 (0.41, 1.01)"
    assert _cell(s2, "≤ 3 months", "Test of interaction, P") == "0.106"
    assert {c.row_group for c in s2.cells if c.row_label == "Low"} == {"Risk of bias"}

    # PMC6224252 sets "1.15（1.04-1.29）0.000" with no gap between the columns: the headers
    # ("OR(95%CI)", "Ph", "P") are apart, so the column is cut between them
    g = docs["PMC6224252"].tables[1]
    assert _cell(g, "Total", "OR(95%CI)", "G-allele vs. A-allele") == "1.15(1.04-1.29)"
    assert _cell(g, "Total", "Ph", "G-allele vs. A-allele") == "0.000"
    assert _cell(g, "Total", "P", "G-allele vs. A-allele") == "0.008"
    assert _cell(g, "Asian", "P", "GG+GA vs. AA") == "0.174"
    assert {c.row_group for c in g.cells if c.row_label == "Asian"} == {"Ethnicity"}

    t = docs["PMC6390312"].tables[0]
    assert _cell(t, "Parvizi 2016", "BMI (kg/m2)") == "28"
    # cell offsets point into the extracted text layer
    d = docs["PMC6390312"]
    c = next(c for c in t.cells if c.text == "84/80")
    assert d.original[c.start : c.end] == "84/80"


def test_bad_pdfs(tmp_path) -> None:
    bad = write_bad_pdfs(tmp_path)
    with pytest.raises(
        EncryptedPDFError, match=r"encrypted\.pdf: the PDF is encrypted \(password protected\)"
    ):
        read(bad["encrypted"])
    with pytest.raises(
        NoTextLayerError, match=r"scan\.pdf: none of its 1 page\(s\) has a text layer .* run OCR"
    ):
        read(bad["scan"])
    with pytest.raises(CorruptPDFError, match=r"truncated\.pdf: the PDF is damaged or truncated"):
        read(bad["truncated"])
    fake = tmp_path / "fake.pdf"
    fake.write_text("this is a text file renamed to .pdf")
    with pytest.raises(
        CorruptPDFError, match=r"fake\.pdf: this is not a PDF \(it starts with 'this is a te'"
    ):
        read(fake)
    docs, failures = read_many(tmp_path)
    assert docs == []
    assert sorted((Path(f.path).name, f.error) for f in failures) == [
        ("encrypted.pdf", "EncryptedPDFError"),
        ("fake.pdf", "CorruptPDFError"),
        ("scan.pdf", "NoTextLayerError"),
        ("truncated.pdf", "CorruptPDFError"),
    ]


def test_cli_on_bad_pdfs_exit_1_without_traceback(tmp_path, capsys) -> None:
    write_bad_pdfs(tmp_path)
    assert main(["read", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "read 0 of 3 file(s); 3 could not be read:" in out.out


def test_evidence_is_a_superset_of_the_pdfplumber_path(docs) -> None:
    # the rows today's path (pdfplumber words, same layout code) found in each PDF, written by
    # `python benchmarks/pdf_paths.py --write-fixture`: the PDFium path finds every one of them
    import json
    from collections import Counter

    from evsynth.extraction import extract_document

    before = json.loads((PDFS.parent / "extract" / "pdf_rows_pdfplumber.json").read_text())
    assert sorted(before) == sorted(f"{k}.pdf" for k in docs)

    def num(v):
        return None if v != v else float(v)

    for name, rows in before.items():
        found = extract_document(docs[name[:-4]])
        now = Counter(
            (r.measure, num(r.estimate), num(r.ci_lower), num(r.ci_upper), num(r.p_value))
            for r in found.itertuples()
        )
        lost = Counter(tuple(r) for r in rows) - now
        assert not lost, (name, lost)
        # every PDF row says where it is printed
        assert found.empty or (found.page.notna().all() and (found.source_boxes != "").all())
