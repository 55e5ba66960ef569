"""Render a small paper-like PDF (reportlab) and the same content as plain text.

Used by ``tests/test_pdf_roundtrip.py`` (at test time, into ``tmp_path``) and runnable by hand:
``python tests/make_test_pdfs.py OUT_DIR`` writes ``synthetic.pdf`` and ``synthetic.txt``.

The paper: a full-width title block and abstract, a two-column body (Methods, Results with
hazard-ratio sentences, Discussion) with a narrow table inside a column, and a last
one-column page with a wide table of hazard ratios (two header levels: "Univariate analysis"
and "Multivariate analysis" over "HR (95% CI)" and "P", row groups "Overall survival" and
"Progression-free survival"), each table in booktabs style (horizontal rules only) with a
footnote. All text below is written for this test.
"""

from __future__ import annotations

import sys
from pathlib import Path

TITLE = "Early steroids and outcomes after CAR-T cell therapy: a synthetic cohort"
AUTHORS = "A. Author, B. Author and C. Author"
DOI = "10.9999/synthetic.2024.0001"

ABSTRACT = [
    (
        "Background",
        "Steroids are given for cytokine release syndrome after CAR-T cell therapy; whether they "
        "shorten survival is debated.",
    ),
    (
        "Methods",
        "We studied 212 patients treated between 2018 and 2023 (registration NCT01234567).",
    ),
    (
        "Results",
        "Steroids were not associated with overall survival (HR 0.84, 95% CI 0.61-1.16; "
        "P = 0.29). Complete response was seen in 81/104 and 84/108 patients.",
    ),
]

BODY = [
    (
        "Methods",
        [
            "This retrospective cohort included 212 adults with relapsed B-cell leukaemia who "
            "received CD19 CAR-T cells at two centres. Steroid exposure was defined as any "
            "dexamethasone or methylprednisolone within 30 days of infusion; 104 patients were "
            "exposed and 108 were not.",
            "Overall survival and progression-free survival were compared with Cox proportional "
            "hazards models adjusted for age, disease burden and CRS grade. Two-sided P values below "
            "0.05 were considered significant.",
        ],
    ),
    (
        "Results",
        [
            "The median age was 41 years (range 18-74). Complete response at day 28 was 77.9% in "
            "the steroid group and 77.8% in the other group (P = 0.98).",
            "In univariate analysis, steroid exposure was associated with neither overall survival "
            "(HR 0.84, 95% CI 0.61-1.16; P = 0.29) nor progression-free survival (HR 0.91, 95% CI "
            "0.68-1.22; P = 0.53). After adjustment, the hazard ratios were 0.88 (0.63-1.23) and "
            "0.95 (0.70-1.29), respectively (Table 2).",
            "High disease burden predicted shorter progression-free survival (HR 1.87, 95% CI "
            "1.32-2.65; P < 0.001).",
        ],
    ),
    (
        "Discussion",
        [
            "Steroids given for CRS did not shorten survival in this cohort. The confidence "
            "intervals are wide and include a 16% increase in the hazard of death.",
        ],
    ),
]

TABLE1 = {
    "caption": "Table 1 Response at day 28",
    "rows": [
        ["Response", "Steroids", "No steroids"],
        ["CR", "81", "84"],
        ["PR", "12", "11"],
        ["NR", "11", "13"],
    ],
    "footnote": "CR, complete response; PR, partial response; NR, no response.",
}

TABLE2 = {
    "caption": "Table 2 Cox regression for overall and progression-free survival",
    "rows": [
        ["", "Univariate analysis", "", "Multivariate analysis", ""],
        ["Variable", "HR (95% CI)", "P", "HR (95% CI)", "P"],
        ["Overall survival", "", "", "", ""],
        ["Steroids", "0.84 (0.61-1.16)", "0.29", "0.88 (0.63-1.23)", "0.45"],
        ["Age > 60 years", "1.31 (0.92-1.87)", "0.13", "1.22 (0.84-1.77)", "0.30"],
        ["Progression-free survival", "", "", "", ""],
        ["Steroids", "0.91 (0.68-1.22)", "0.53", "0.95 (0.70-1.29)", "0.74"],
        ["High disease burden", "1.87 (1.32-2.65)", "<0.001", "1.79 (1.25-2.56)", "0.002"],
    ],
    "footnote": "HR, hazard ratio; CI, confidence interval. Multivariate models adjusted for age, "
    "disease burden and CRS grade.",
    "spans": [(1, 2), (3, 4)],
}


def paper_text() -> str:
    """The paper as plain text, laid out the way PDF-to-text converters write it."""
    out = [TITLE, "", AUTHORS, "", f"doi: {DOI}", "", "Abstract", ""]
    for label, text in ABSTRACT:
        out += [f"{label}: {text}", ""]
    for i, (heading, paras) in enumerate(BODY):
        out += [heading, ""]
        for p in paras:
            out += [p, ""]
        if i == 1:
            for t in (TABLE1, TABLE2):
                out += [t["caption"], ""]
                out += ["\t".join(r) for r in t["rows"]]
                out += ["", t["footnote"], ""]
    return "\n".join(out)


def _table_flowable(spec: dict, width: float, font_size: float = 8):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    rows = spec["rows"]
    ncol = len(rows[0])
    first = 0.34 if ncol > 3 else 0.4
    widths = [width * first] + [width * (1 - first) / (ncol - 1)] * (ncol - 1)
    t = Table(rows, colWidths=widths)
    n_header = 2 if spec.get("spans") else 1
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", font_size),
        ("ALIGN", (1, 0), (-1, -1), "LEFT"),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, n_header - 1), (-1, n_header - 1), 0.5, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for a, b in spec.get("spans", []):
        style += [("SPAN", (a, 0), (b, 0)), ("LINEBELOW", (a, 0), (b, 0), 0.4, colors.black)]
    t.setStyle(TableStyle(style))
    return t


def write_pdf(path: str | Path) -> Path:
    """Render the paper: page 1 title block + abstract over two columns; a one-column last page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        FrameBreak,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
    )

    path = Path(path)
    W, H = A4
    m = 50
    gutter = 18
    colw = (W - 2 * m - gutter) / 2
    top_h = 260
    body = ParagraphStyle("body", fontName="Times-Roman", fontSize=10, leading=12.5)
    head = ParagraphStyle(
        "head", fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=6, spaceAfter=3
    )
    title = ParagraphStyle(
        "title", fontName="Helvetica-Bold", fontSize=17, leading=21, spaceAfter=8
    )
    small = ParagraphStyle(
        "small", fontName="Times-Roman", fontSize=7.5, leading=9, spaceBefore=2, spaceAfter=8
    )
    cap = ParagraphStyle(
        "cap", fontName="Helvetica-Bold", fontSize=8.5, leading=10.5, spaceBefore=6, spaceAfter=4
    )

    first = PageTemplate(
        id="first",
        frames=[
            Frame(m, H - m - top_h, W - 2 * m, top_h, id="top"),
            Frame(m, m, colw, H - 2 * m - top_h - 10, id="c1"),
            Frame(m + colw + gutter, m, colw, H - 2 * m - top_h - 10, id="c2"),
        ],
    )
    two = PageTemplate(
        id="two",
        frames=[
            Frame(m, m, colw, H - 2 * m, id="l"),
            Frame(m + colw + gutter, m, colw, H - 2 * m, id="r"),
        ],
    )
    one = PageTemplate(id="one", frames=[Frame(m, m, W - 2 * m, H - 2 * m, id="full")])
    doc = BaseDocTemplate(str(path), pagesize=A4, pageTemplates=[first, two, one], title=TITLE)

    story = [
        Paragraph(TITLE, title),
        Paragraph(AUTHORS, body),
        Spacer(1, 4),
        Paragraph(f"doi: {DOI}", body),
    ]
    story += [Spacer(1, 8), Paragraph("Abstract", head)]
    for label, text in ABSTRACT:
        story.append(Paragraph(f"{label}: {text}", body))
    story += [FrameBreak(), NextPageTemplate("two")]
    for i, (heading, paras) in enumerate(BODY):
        story.append(Paragraph(heading, head))
        for p in paras:
            story.append(Paragraph(p, body))
        if i == 1:
            story += [
                Paragraph(TABLE1["caption"], cap),
                _table_flowable(TABLE1, colw),
                Paragraph(TABLE1["footnote"], small),
            ]
    story += [NextPageTemplate("one"), PageBreak()]
    story += [
        Paragraph(TABLE2["caption"], cap),
        _table_flowable(TABLE2, W - 2 * m),
        Paragraph(TABLE2["footnote"], small),
    ]
    doc.build(story)
    return path


def write_paper(folder: str | Path) -> tuple[Path, Path]:
    """Write ``synthetic.pdf`` and ``synthetic.txt`` (the same content) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pdf = write_pdf(folder / "synthetic.pdf")
    txt = folder / "synthetic.txt"
    txt.write_text(paper_text(), encoding="utf-8")
    return pdf, txt


def write_bad_pdfs(folder: str | Path) -> dict[str, Path]:
    """PDFs that must fail: encrypted (user password), image-only (no text layer), truncated."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    enc = folder / "encrypted.pdf"
    c = canvas.Canvas(str(enc), encrypt=pdfencrypt.StandardEncryption("secret", "owner"))
    c.drawString(72, 720, "HR 0.84 (95% CI 0.61-1.16)")
    c.save()
    out["encrypted"] = enc
    scan = folder / "scan.pdf"
    c = canvas.Canvas(str(scan))
    for y in range(100, 700, 20):  # vector drawing only: a page with no text layer
        c.rect(72, y, 400, 10, fill=1)
    c.showPage()
    c.save()
    out["scan"] = scan
    good = write_pdf(folder / "_full.pdf")
    data = good.read_bytes()
    trunc = folder / "truncated.pdf"
    trunc.write_bytes(data[: len(data) // 3])
    out["truncated"] = trunc
    good.unlink()
    return out


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(*write_paper(target), sep="\n")
