"""The second-topic corpus checks itself: the papers, their PDFs, the expected results and the
metafor reference values agree (tests/fixtures/second_topic/, docs/second-topic-corpus.md).

Nothing here runs evsynth's extraction: these tests make sure the fixtures that the end-to-end
tests use are honest. Every number of ``expected.json`` is printed in its paper, percentages
agree with their counts, P values agree with their estimates, the PDFs (read with pdfplumber)
print the same sentences and table rows as the text files, and the pooled reference values
(``validation/second_topic.R``, metafor) are re-derived here by hand where the formula is short.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

import pdfplumber
import pytest

from evsynth.protocol import load_protocol
from tests.make_second_topic_pdfs import PAPERS, paper_text

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "fixtures" / "second_topic"
PROTOCOLS = HERE / "fixtures" / "protocols"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
RESULTS = EXPECTED["results"]
#: the real PDFs (tests/fixtures/pdfs) each extra protocol was written for
REAL = {
    "balance_training_hip_fracture.yaml": "PMC6425661.pdf",
    "hip_approach.yaml": "PMC6390312.pdf",
    "risedronate_tha.yaml": "PMC5992663.pdf",
}
#: a number as papers print it: "12", "-8.9", "0·63", and JAMA's leading-dot P values ".005"
_NUMBER = re.compile(r"(?<![\d.·])-?(?:\d+(?:[.·]\d+)?|[.·]\d+)")
_Z = 1.959963984540054  # qnorm(0.975)


def numbers(text: str) -> set[float]:
    """Every number printed in ``text`` (middle-dot decimals read as points)."""
    return {float(m.replace("·", ".")) for m in _NUMBER.findall(text)}


def squash(text: str) -> str:
    return " ".join(text.split())


@cache
def paper(report: str) -> str:
    return (CORPUS / f"{report}.txt").read_text(encoding="utf-8")


@cache
def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def quotes(row: dict) -> list[str]:
    return [q for q in (row["quote"], row["quote_2"], row["quote_header"]) if q]


def row_id(row: dict) -> str:
    sub = f" [{row['subgroup']}]" if row["subgroup"] else ""
    adj = {True: " adjusted", False: " unadjusted", None: ""}[row["adjusted"]]
    what = f"{row['outcome_as_reported']} {row['measure']}{adj}{sub}"
    return f"{row['report']}: {row['intervention_as_reported']} / {what}"


def chi2_p(a: int, n1: int, c: int, n2: int) -> float:
    """Pearson chi-squared P of a 2x2 table, no continuity correction (1 df: erfc(sqrt(X²/2)))."""
    b, d = n1 - a, n2 - c
    n = n1 + n2
    x2 = n * (a * d - b * c) ** 2 / (n1 * n2 * (a + c) * (b + d))
    return math.erfc(math.sqrt(x2 / 2))


def p_agrees(p_written: str, p_computed: float) -> bool:
    """A printed P value ("0·10", ".005", "<0.001") agrees with one recomputed from rounded
    numbers: below the bound, or within 0.01 or 30% of it."""
    s = p_written.replace("·", ".").replace(" ", "")
    if s.startswith("<"):
        return p_computed < float(s[1:])
    p = float(s)
    return abs(p - p_computed) <= max(0.01, 0.3 * p)


def test_text_files_are_the_generator_output():
    assert EXPECTED["reports"] == list(PAPERS)
    for key in PAPERS:
        assert paper(key) == paper_text(key) + "\n", (
            f"regenerate: python {HERE.name}/make_second_topic_pdfs.py"
        )


@pytest.mark.parametrize("row", RESULTS, ids=row_id)
def test_every_expected_number_is_printed_in_its_paper(row):
    text = paper(row["report"])
    for q in quotes(row):
        assert q in text, f"quote not verbatim in {row['report']}.txt: {q!r}"
    printed = set().union(*(numbers(q) for q in quotes(row)))
    keys = ["estimate", "ci_low", "ci_high", "p"]
    keys += [
        f"{w}_{arm}" for w in ("events", "total", "pct") for arm in ("intervention", "comparator")
    ]
    for k in keys:
        if row[k] is not None:
            assert float(row[k]) in printed, f"{k}={row[k]} is not printed in {quotes(row)}"
    if row["p_as_written"]:
        assert any(row["p_as_written"] in q.replace("< ", "<") for q in quotes(row))
    for k in ("intervention_as_reported", "comparator_as_reported", "outcome_as_reported"):
        if row[k]:
            assert row[k].lower() in text.lower(), f"{k} {row[k]!r} not in {row['report']}.txt"


COUNT_ROWS = [r for r in RESULTS if r["measure"] == "counts"]
RATIO_ROWS = [r for r in RESULTS if r["measure"] in ("HR", "RR", "OR")]


@pytest.mark.parametrize("row", COUNT_ROWS, ids=row_id)
def test_percentages_agree_with_counts(row):
    for arm in ("intervention", "comparator"):
        events, total, pct = row[f"events_{arm}"], row[f"total_{arm}"], row[f"pct_{arm}"]
        assert 0 <= events <= total
        decimals = 0 if float(pct).is_integer() else 1
        assert abs(100 * events / total - pct) <= 0.5 * 10**-decimals + 1e-9, (events, total, pct)
    if row["p_as_written"] and row["measure"] == "counts" and not row["note"]:
        p = chi2_p(
            row["events_intervention"],
            row["total_intervention"],
            row["events_comparator"],
            row["total_comparator"],
        )
        assert p_agrees(row["p_as_written"], p), (row["p_as_written"], p)


def test_arm_sizes_agree_across_rows():
    """A header's "(n=455)", a sentence's "of 455" and the table's cells describe one arm."""
    a = next(r for r in COUNT_ROWS if r["report"] == "a_jama_rct" and r["pooled"])
    assert "Exercise group (n=455)\tUsual care (n=451)" in paper("a_jama_rct")
    assert (a["total_intervention"], a["total_comparator"]) == (455, 451)
    d = [r for r in COUNT_ROWS if r["report"] == "d_stratified_rct" and r["outcome"] == "falls"]
    overall = next(r for r in d if r["subgroup"] is None)
    strata = [r for r in d if r["subgroup"] is not None]
    for k in ("events_intervention", "total_intervention", "events_comparator", "total_comparator"):
        assert sum(r[k] for r in strata) == overall[k], k


@pytest.mark.parametrize("row", RATIO_ROWS, ids=row_id)
def test_p_values_and_estimates_agree_with_their_intervals(row):
    lo, hi, est = math.log(row["ci_low"]), math.log(row["ci_high"]), math.log(row["estimate"])
    assert lo < est < hi
    assert abs((lo + hi) / 2 - est) < 0.03, "estimate is not the centre of its log-scale CI"
    se = (hi - lo) / (2 * _Z)
    p = math.erfc(abs(est / se) / math.sqrt(2))
    assert p_agrees(row["p_as_written"], p), (row["p_as_written"], p)


@pytest.mark.parametrize("report", list(PAPERS))
def test_pdf_prints_the_same_sentences_and_rows(report):
    pdf = squash(pdf_text(CORPUS / f"{report}.pdf"))
    txt = paper(report)
    rows = [r for r in RESULTS if r["report"] == report]
    assert rows
    for row in rows:
        for q in quotes(row):
            assert squash(q) in pdf, f"{report}.pdf lacks {q!r}"
    assert numbers(pdf) == numbers(txt)


@pytest.mark.parametrize("report", list(PAPERS))
def test_pdfs_are_the_generator_output(report, tmp_path):
    """The committed PDF prints what the generator renders today (text compared, not bytes:
    another reportlab version may write other bytes)."""
    from tests.make_second_topic_pdfs import write_pdf

    fresh = write_pdf(report, tmp_path / f"{report}.pdf")
    assert pdf_text(fresh) == pdf_text(CORPUS / f"{report}.pdf")


def _pooled(question: str) -> dict:
    return next(p for p in EXPECTED["pooled"] if p["question"] == question)


def test_one_row_per_study_and_question():
    for pooled in EXPECTED["pooled"]:
        chosen = [r for r in RESULTS if r["pooled"] and r["question"] == pooled["question"]]
        studies = [s["study"] for s in pooled["result"]["studies"]]
        assert studies == [r["study"] for r in chosen]
        assert len(set(studies)) == len(studies) == 3
        assert all(r["subgroup"] is None for r in chosen)
        assert all(r["outcome"] == pooled["outcome"] for r in chosen)


def test_study_effects_by_hand():
    """yi, vi of every pooled study, recomputed: log OR = log(a d / b c), var = 1/a+1/b+1/c+1/d
    (Woolf); log HR with var = ((log upper - log lower) / (2 * 1.96))²."""
    for pooled in EXPECTED["pooled"]:
        for s in pooled["result"]["studies"]:
            r = next(
                x
                for x in RESULTS
                if x["pooled"] and x["study"] == s["study"] and x["question"] == pooled["question"]
            )
            if pooled["measure"] == "OR":
                a, c = r["events_intervention"], r["events_comparator"]
                b, d = r["total_intervention"] - a, r["total_comparator"] - c
                yi, vi = math.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
            else:
                yi = math.log(r["estimate"])
                vi = ((math.log(r["ci_high"]) - math.log(r["ci_low"])) / (2 * _Z)) ** 2
            assert s["yi"] == pytest.approx(yi, rel=1e-12)
            assert s["vi"] == pytest.approx(vi, rel=1e-12)
    # the hand calculation printed in docs/second-topic-corpus.md (trial A, falls)
    a = _pooled("exercise versus control on falls")["result"]["studies"][0]
    assert a["study"] == "Lindqvist 2025"
    assert a["yi"] == pytest.approx(math.log((118 * 280) / (337 * 171)), rel=1e-12)
    assert round(a["yi"], 4) == -0.5563 and round(a["vi"], 4) == 0.0209


@pytest.mark.parametrize("question", [p["question"] for p in EXPECTED["pooled"]])
def test_pooled_values_are_consistent_with_their_studies(question):
    """Given metafor's tau², the pooled estimate is the 1/(vi + tau²)-weighted mean, its z SE is
    1/sqrt(sum w), the Knapp-Hartung SE multiplies it by sqrt(q / (k - 1)) with
    q = sum w (yi - mu)², and "adhoc" uses max(1, q / (k - 1)) (metafor's rma.uni, test=)."""
    res = _pooled(question)["result"]
    fits = res["fits"]
    tau2 = fits["z"]["tau2"]
    y = [s["yi"] for s in res["studies"]]
    w = [1 / (s["vi"] + tau2) for s in res["studies"]]
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    se = 1 / math.sqrt(sum(w))
    q = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) / (len(y) - 1)
    for test, factor in (("z", 1.0), ("knha", math.sqrt(q)), ("adhoc", math.sqrt(max(1.0, q)))):
        assert fits[test]["estimate"] == pytest.approx(mu, rel=1e-8)
        assert fits[test]["se"] == pytest.approx(se * factor, rel=1e-8)
        assert fits[test]["tau2"] == tau2
        assert fits[test]["exp_estimate"] == pytest.approx(math.exp(mu), rel=1e-8)
    fixed = [1 / s["vi"] for s in res["studies"]]
    mu_fe = sum(wi * yi for wi, yi in zip(fixed, y, strict=True)) / sum(fixed)
    qe = sum(wi * (yi - mu_fe) ** 2 for wi, yi in zip(fixed, y, strict=True))
    assert fits["z"]["QE"] == pytest.approx(qe, rel=1e-8)


def test_reference_values_are_the_documented_ones():
    """The numbers docs/second-topic-corpus.md prints (rounded metafor output)."""
    falls = _pooled("exercise versus control on falls")["result"]["fits"]
    hip = _pooled("exercise versus control on hip fracture")["result"]["fits"]
    doc = (HERE.parent / "docs" / "second-topic-corpus.md").read_text(encoding="utf-8")
    for fit in (falls["z"], falls["knha"], hip["z"], hip["knha"]):
        row = f"{fit['exp_estimate']:.3f} | {fit['exp_ci_lb']:.3f} to {fit['exp_ci_ub']:.3f}"
        assert row in doc, row
    assert falls["z"]["tau2"] > 0.01  # heterogeneity: a wrong tau² estimator shows
    assert hip["z"]["tau2"] == 0  # the boundary case: REML at zero


def test_protocols_load_and_label_the_rows_they_should():
    protocol = load_protocol(PROTOCOLS / "falls.yaml")
    assert [q.title for q in protocol.questions] == [p["question"] for p in EXPECTED["pooled"]]
    vocab = protocol.vocabulary()

    def label(group: str, text: str | None) -> str | None:
        found = {m.label for m in vocab.find(group, text or "")}
        assert len(found) <= 1, (group, text, found)
        return found.pop() if found else None

    for r in RESULTS:
        assert label("outcome", r["outcome_as_reported"]) == r["outcome"], r["outcome_as_reported"]
        assert label("intervention", r["intervention_as_reported"]) == r["intervention"]
        if r["intervention"]:
            assert label("comparator", r["comparator_as_reported"]) == r["comparator"]


@pytest.mark.parametrize(("name", "pdf"), sorted(REAL.items()))
def test_real_pdf_protocols_use_the_papers_words(name, pdf):
    protocol = load_protocol(PROTOCOLS / name)
    # publisher PDFs lose word spaces ("balancetraining"): compare without any whitespace
    text = re.sub(r"\s+", "", pdf_text(HERE / "fixtures" / "pdfs" / pdf)).lower()
    arms = [*protocol.interventions.values(), *protocol.comparators.values()]
    for thing in [*arms, *protocol.outcomes.values()]:
        for term in thing.terms:
            assert re.sub(r"\s+", "", term).lower() in text, f"{name}: {term!r} not in {pdf}"
