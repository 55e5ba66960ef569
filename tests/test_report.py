"""report.md and report.html: paper text inert, readable tables, the answers' context.

Built from a small hand-made set of tables (a hostile title, a long quote, a finding), so every
assertion is about the report's formatting, not about the bundled papers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pandas as pd
import pytest

from evsynth.review.report import (
    ReportInputs,
    bottom_line,
    design_note,
    md_text,
    report_html,
    report_markdown,
)

HOSTILE = "<img src=x onerror=alert(1)> [click](javascript:alert(2)) `code` *bold*"


def _inputs(sof: pd.DataFrame | None = None) -> ReportInputs:
    studies = pd.DataFrame(
        {
            "study_id": ["lee2020", "kim2021"],
            "reports": ["a1b2c3.md", "d4e5f6.md"],
            "title": [HOSTILE, "Exercise after surgery"],
            "design": ["single-center retrospective cohort", "multicenter retrospective"],
            "doi": ["10.1000/averyveryverylongdoi.2020.123456789", ""],
        }
    )
    evidence = pd.DataFrame(
        {
            "row_id": ["r1", "r2"],
            "study_id": ["lee2020", "kim2021"],
            "report": ["a1b2c3.md", "d4e5f6.md"],
            "intervention": ["exercise", "exercise"],
            "outcome": ["mortality", "mortality"],
            "measure": ["HR", "HR"],
            "estimate": [0.62, 0.70],
            "ci_lower": [0.41, 0.5],
            "ci_upper": [0.94, 0.98],
            "p_value": [0.024, pd.NA],
            "events_int": [pd.NA, pd.NA],
            "total_int": [pd.NA, pd.NA],
            "events_ctl": [pd.NA, pd.NA],
            "total_ctl": [pd.NA, pd.NA],
            "source_quote": ["HR 0.62, 95% CI 0.41–0.94 " + "word " * 60, "HR 0.70 (0.50–0.98)"],
        }
    )
    from evsynth.evidence.frame import conform_evidence
    from evsynth.extraction.schema import EVIDENCE_COLUMNS

    evidence = conform_evidence(evidence.reindex(columns=EVIDENCE_COLUMNS))
    pooled = pd.DataFrame(
        {
            "question": ["exercise on mortality"],
            "intervention": ["exercise"],
            "outcome": ["mortality"],
            "analysis": ["primary"],
            "role": ["primary"],
            "status": ["pooled"],
            "measure": ["HR"],
            "k": [2],
            "estimate": [0.6612345678],
            "ci_lower": [0.0011],
            "ci_upper": [10682.54],
            "pi_lower": [float("nan")],
            "pi_upper": [float("nan")],
            "pvalue": [0.0920312],
            "studies": ["lee2020; kim2021"],
            "reason": [""],
        }
    )
    findings = pd.DataFrame(
        {
            "report": ["a1b2c3.md"],
            "check": ["percent"],
            "severity": ["error"],
            "message": ["12/40 is 30%, not 35%"],
            "source_quote": ["12 (35%)"],
        }
    )
    return ReportInputs(
        title=f"Review of {HOSTILE}",
        question="Does exercise change mortality?",
        studies=studies,
        evidence=evidence,
        pooled=pooled,
        findings=findings,
        choices=["REML"],
        reproduce=["python3 -m evsynth run '/tmp/x y' --out /tmp/o"],
        versions={"evsynth": "0.1.0", "numpy": "2.0"},
        protocol=["Exercise against no exercise on mortality (higher is worse)."],
        sof=sof,
    )


def test_markdown_escapes_everything_from_a_paper():
    md = report_markdown(_inputs())
    assert "<img" not in md
    assert not re.search(r"(?<!\\)\]\(javascript", md)  # the link is shown, not made
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    assert md_text("# not a heading").startswith("\\#")
    assert md_text("a|b") == "a\\|b"


def test_report_gives_design_bottom_line_certainty_and_versions():
    sof = pd.DataFrame({"question": ["exercise on mortality"], "certainty": ["Very low"]})
    inp = _inputs(sof)
    note = design_note(inp.studies)
    assert "None of the 2 studies is randomized" in note and "confounding by indication" in note
    line = bottom_line(inp.pooled.iloc[0], sof)
    assert "neither shows nor rules out" in line and "Certainty of the evidence: Very low." in line
    page = report_html(inp)
    assert "Certainty of the evidence: Very low." in page
    assert "evsynth 0.1.0, numpy 2.0" in page
    rand = pd.DataFrame({"design": ["randomized controlled trial", "retrospective cohort"]})
    assert design_note(rand).startswith("1 of 2 studies are randomized")


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self._tag: str | None = None
        self._cls = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._tag, self._cls = tag, dict(attrs).get("class", "")
            (self.headers if tag == "th" else self.cells).append((self._cls, ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._tag = None

    def handle_data(self, data):
        if self._tag:
            target = self.headers if self._tag == "th" else self.cells
            cls, text = target[-1]
            target[-1] = (cls, text + data)


def test_html_tables_are_for_reading():
    page = report_html(_inputs())
    css = page[page.index("<style>") : page.index("</style>")]
    assert "overflow-wrap:anywhere" not in css and "word-break:break-all" not in css
    parser = _Cells()
    parser.feed(page)
    headers = [t for _, t in parser.headers]
    assert not [h for h in headers if "_" in h], headers  # no snake_case headers
    texts = [t for _, t in parser.cells]
    assert not [t for t in texts if t in ("<NA>", "nan", "NaN", "None")]
    assert "0.661" in texts and "0.0011" in texts and "1.1e4" in texts  # rounded for display
    assert "0.6612345678" not in page
    assert ("sev-error", "error") in parser.cells  # the CSS error highlighting is used
    assert "lee2020" in [t for c, t in parser.cells]  # findings by study id
    assert page.count("<details><summary>quote</summary>") >= 3  # quotes on demand
    numbers = [t for c, t in parser.cells if c == "num"]
    assert numbers and all(" " not in t for t in numbers)  # a number never breaks


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_report_renders_in_a_browser(tmp_path):
    """A screenshot of report.html in headless Chromium (looked at when the test was written)."""
    page = tmp_path / "report.html"
    page.write_text(report_html(_inputs()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
        "--window-size=1280,2000", page.as_uri(),
    ]  # fmt: skip
    try:
        subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip("headless Chromium did not finish in 60 s")
    if not shot.exists():
        pytest.skip("headless Chromium could not take a screenshot here")
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text was drawn, not a blank page
