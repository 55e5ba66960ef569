"""The reader on the five bundled papers and on text written here: metadata, sections,
offsets, errors (typed, with messages naming the file and the reason), read_many and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

import evsynth
from evsynth import bundled_papers, read, read_many, read_string
from evsynth.cli import main
from evsynth.errors import (
    DecodeError,
    EmptyFileError,
    MissingFileError,
    ReadError,
    UnsupportedFormatError,
)
from evsynth.reading.reader import ReadFailure


@pytest.fixture(scope="module")
def papers() -> dict[str, evsynth.Document]:
    return {p.name[:3]: read(p) for p in bundled_papers()}


# --- metadata of the bundled papers (checked by reading each file) -------------------------------


def test_titles(papers) -> None:
    assert papers["000"].title.startswith(
        "Low-dose glucocorticoid improves progression-free survival"
    )
    assert papers["001"].title is None  # body text only, no title block
    # 002: the title is a Markdown link soup; the citation block gives it clean
    assert papers["002"].title == (
        "The influence of CRS and ICANS on the efficacy of anti-CD19 CAR-T treatment for "
        "B-cell acute lymphoblastic leukemia"
    )
    assert papers["003"].title.startswith("Efficacy and safety of tocilizumab in managing cytokine")
    assert papers["004"].title == (
        "Low-dose administration of prednisone has a good effect on the treatment of prolonged "
        "hematologic toxicity post-CD19 CAR-T cell therapy"
    )


def test_dois(papers) -> None:
    assert papers["000"].doi == "10.3389/fimmu.2025.1604866"
    assert papers["001"].doi is None
    assert papers["002"].doi == "10.3389/fimmu.2024.1448709"
    assert papers["003"].doi == "10.3389/fimmu.2025.1530623"
    assert papers["004"].doi == "10.3389/fimmu.2023.1139559"


def test_registrations(papers) -> None:
    assert papers["000"].registrations == ()
    assert papers["001"].registrations == ("ChiCTR2000032211",)
    assert papers["002"].registrations == ()
    assert papers["003"].registrations == ("ChiCTR-ONN-16009862", "ChiCTR1800015164")
    assert papers["004"].registrations == ("ChiCTR-ONN-16009862", "ChiCTR1800015164")


def test_sections(papers) -> None:
    def names(d):
        return [s.name for s in d.sections if s.name not in ("table", "figure")]

    # 001: a structured abstract with headings alone on lines, before "Introduction"
    assert names(papers["001"]) == [
        "abstract",
        "introduction",
        "methods",
        "results",
        "discussion",
        "conclusions",
    ]
    # 002/003/004: run-in labels ("Methods: ...") form the abstract
    for key in ("002", "003", "004"):
        n = names(papers[key])
        assert n[:2] == ["front", "abstract"], key
        assert {"introduction", "methods", "results", "discussion", "references"} <= set(n), key
    d = papers["003"]
    i = d.text.index("Methods: This retrospective cohort study")
    assert d.section_at(i).name == "abstract"
    i = d.text.index("According to the inclusion/exclusion criterion")
    assert d.section_at(i).name == "methods"
    # a number inside a table is in a "table" section nested in "results"
    t5 = papers["001"].tables[4]
    pos = int(np.searchsorted(papers["001"].offsets, t5.cells[0].start))
    assert papers["001"].section_at(pos).name == "table"
    assert t5.section == "results"


def test_offsets_are_exact(papers) -> None:
    for d in papers.values():
        assert len(d.offsets) == len(d.text) + 1
        assert d.offsets[-1] == len(d.original)
        assert np.all(np.diff(d.offsets) >= 0)
    d = papers["002"]
    i = d.text.index("0.271-1.103")
    assert d.quote(i, i + len("0.271-1.103")) == "0.271 - 1.103"
    d = papers["000"]
    i = d.text.index("0.21-0.96")
    assert d.quote(i, i + 9) == "0.21\u20130.96"


def test_table_cells_quote_their_source(papers) -> None:
    for d in papers.values():
        for t in d.tables:
            for c in t.cells:
                src = d.original[c.start : c.end]
                # the original characters hold the same digits, in the same order
                assert src and [ch for ch in src if ch.isdigit()] == [
                    ch for ch in c.text if ch.isdigit()
                ], (d.path, c)


# --- read_string and generic rules on text written here ------------------------------------------


def test_read_string_text_written_here() -> None:
    text = (
        "CITATION\n\nDoe J, Roe R (2021) Steroids after CAR-T cells: a cohort. Blood Adv. 5:1.\n"
        "doi: 10.1234/ba.2021.0042\n\n"
        "Objective: To test it.\n\nMethods: A cohort (NCT01234567; ISRCTN12345678).\n\n"
        "Results: HR 0\u00b762 (95% CI 0\u00b745\u20130\u00b781).\n\n"
        "1. Introduction\n\nText citing 10.1000/other.ref in the body.\n\n"
        "2. Materials and methods\n\nWe did it.\n\n3 Results\n\nIt worked.\n\n"
        "4 Discussion\n\nGood.\n\nReferences\n\n1. Other A. doi: 10.1000/ref.1 (NCT99999999)\n"
    )
    d = read_string(text, name="mine.txt")
    assert d.path == "mine.txt" and d.format == "txt" and d.original == text
    assert d.title == "Steroids after CAR-T cells: a cohort"
    assert d.doi == "10.1234/ba.2021.0042"
    assert d.registrations == ("NCT01234567", "ISRCTN12345678")  # not the one in the references
    names = [s.name for s in d.sections]
    assert names == [
        "front",
        "abstract",
        "introduction",
        "methods",
        "results",
        "discussion",
        "references",
    ]
    assert "HR 0.62 (95% CI 0.45-0.81)" in d.text


def test_markdown_title_and_no_doi_from_references() -> None:
    d = read_string(
        "# A trial of X\n\n## Abstract\n\nText.\n\n## References\n\n1. doi:10.1/x\n", format="md"
    )
    assert d.title == "A trial of X"
    assert d.doi is None
    with pytest.raises(UnsupportedFormatError, match="reads 'txt' or 'md'"):
        read_string("x", format="pdf")


def test_document_summary_frame(papers) -> None:
    f = papers["003"].to_frame()
    assert f.loc[0, "doi"] == "10.3389/fimmu.2025.1530623"
    assert f.loc[0, "tables"] == 2
    assert "003" in str(papers["003"])


# --- errors -------------------------------------------------------------------------------------


def test_missing_file(tmp_path) -> None:
    with pytest.raises(MissingFileError) as e:
        read(tmp_path / "nope.txt")
    assert "nope.txt" in str(e.value) and "no such file" in str(e.value)


def test_empty_and_blank_files(tmp_path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text(" \n\t\n")
    with pytest.raises(EmptyFileError, match=r"empty\.txt: the file is empty \(0 bytes\)"):
        read(tmp_path / "empty.txt")
    with pytest.raises(EmptyFileError, match=r"blank\.md: the file has only white space"):
        read(tmp_path / "blank.md")


def test_unsupported_extension(tmp_path) -> None:
    p = tmp_path / "paper.docx"
    p.write_bytes(b"PK\x03\x04")
    with pytest.raises(
        UnsupportedFormatError, match=r"paper\.docx: unsupported file type '\.docx'"
    ):
        read(p)
    with pytest.raises(UnsupportedFormatError, match="folder; use read_many"):
        read(tmp_path)


def test_binary_renamed_txt_is_a_decode_error(tmp_path) -> None:
    p = tmp_path / "scan.txt"
    p.write_bytes(b"%PDF-1.4\n\x00\x01\x02binary\xff\xfe")
    with pytest.raises(DecodeError, match=r"scan\.txt: the file contains NUL bytes"):
        read(p)


def test_cp1252_fallback_is_recorded(tmp_path) -> None:
    p = tmp_path / "ansi.txt"
    p.write_bytes("HR 0.45 (95% CI 0.21\u20130.96), \u00b1 2".encode("cp1252"))
    d = read(p)
    assert d.encoding == "cp1252"
    assert "0.21-0.96" in d.text and "\u00b1 2" in d.text
    assert any("not valid UTF-8" in w and "cp1252" in w for w in d.warnings)


def test_undecodable_bytes(tmp_path) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes(b"HR 0.5 \x81\x8d\x8f\x90\x9d")  # invalid UTF-8 and undefined in cp1252
    with pytest.raises(DecodeError, match=r"bad\.txt: the bytes are neither UTF-8 .* nor cp1252"):
        read(p)


def test_utf16_with_bom(tmp_path) -> None:
    p = tmp_path / "notepad.txt"
    p.write_bytes("HR 0.45 (0.21\u20130.96)".encode("utf-16"))
    d = read(p)
    assert d.encoding == "utf-16" and d.text == "HR 0.45 (0.21-0.96)"


def test_utf8_bom_is_utf8(tmp_path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffHR 0.5".encode())
    d = read(p)
    assert d.encoding == "utf-8" and d.text == "HR 0.5"


# --- read_many and the CLI ----------------------------------------------------------------------


def test_read_many_reports_each_failure_and_goes_on(tmp_path) -> None:
    sub = tmp_path / "inbox" / "deeper"
    sub.mkdir(parents=True)
    (sub / "a.txt").write_text("Results\n\nHR 0.5 (0.2-0.9).\n")
    (tmp_path / "inbox" / "b.md").write_text("# B\n\ntext\n")
    (tmp_path / "inbox" / "empty.txt").write_bytes(b"")
    (tmp_path / "inbox" / "notes.docx").write_bytes(b"x")  # not a paper type: not picked up
    (tmp_path / "inbox" / "README.md").write_text("about this folder")
    docs, failures = read_many([tmp_path / "inbox", tmp_path / "missing.pdf"])
    assert sorted(d.path.rsplit("/", 1)[-1] for d in docs) == ["a.txt", "b.md"]
    assert [(f.path.rsplit("/", 1)[-1], f.error) for f in failures] == [
        ("empty.txt", "EmptyFileError"),
        ("missing.pdf", "MissingFileError"),
    ]
    assert isinstance(failures[0], ReadFailure)
    frame = failures[0].to_frame()
    assert list(frame.columns) == ["path", "error", "message"]
    assert frame.loc[0, "message"].startswith("the file is empty")
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass
        failures[0].path = "x"  # type: ignore[misc]


def test_cli_read_bundled(capsys) -> None:
    assert main(["read"]) == 0
    out = capsys.readouterr().out
    assert "10.3389/fimmu.2025.1530623" in out
    assert "ChiCTR-ONN-16009862, ChiCTR1800015164" in out
    assert "Table 5 (54x5, 67 cells)" in out
    assert "read 5 of 5 file(s)" in out


def test_cli_read_failures_no_traceback(tmp_path, capsys) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x00\x00")
    (tmp_path / "x.doc").write_bytes(b"x")
    assert (
        main(["read", str(tmp_path / "bin.txt"), str(tmp_path / "x.doc"), str(tmp_path / "no.pdf")])
        == 1
    )
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "read 0 of 3 file(s); 3 could not be read:" in captured.out
    assert "DecodeError: the file contains NUL bytes" in captured.out
    assert "UnsupportedFormatError: unsupported file type '.doc'" in captured.out
    assert "MissingFileError: no such file" in captured.out
    (tmp_path / "ok.txt").write_text("Results\n\nfine\n")
    assert main(["read", str(tmp_path)]) == 0  # one file read -> 0


def test_every_read_error_is_an_evsynth_error() -> None:
    assert issubclass(ReadError, evsynth.EvsynthError)
    for err in (DecodeError, EmptyFileError, MissingFileError, UnsupportedFormatError):
        assert issubclass(err, ReadError)
