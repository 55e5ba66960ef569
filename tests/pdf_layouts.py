"""PDFs drawn with reportlab's canvas for the PDF layout tests (tests/test_pdf_layouts.py).

Each function writes one small PDF and returns its path. Tables are booktabs style (rules above
and below the header and at the bottom) with cells placed at given x positions, as journals set
them; the text is written for these tests (neutral topics: exercise, a blood-pressure drug A).
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

W, H = A4


def _table(c, x0, top, caption, header_rows, rows, xs, width, size=8.0, spans=()):
    """Caption, rules and cells; ``xs`` the left x of each column; ``spans`` (text, col_a, col_b)
    spanning headers drawn over the first header row with a rule under them."""
    y = top
    c.setFont("Helvetica-Bold", 9)
    c.drawString(x0, y, caption)
    y -= 8
    c.setLineWidth(0.8)
    c.line(x0, y, x0 + width, y)
    y -= 11
    if spans:
        c.setFont("Helvetica", size)
        for text, a, b in spans:
            right = (xs[b + 1] - 8) if b + 1 < len(xs) else x0 + width
            c.drawString(xs[a], y, text)
            c.setLineWidth(0.4)
            c.line(xs[a], y - 3, right, y - 3)
        y -= 12
    c.setFont("Helvetica", size)
    for hr in header_rows:
        for x, t in zip(xs, hr, strict=True):
            if t:
                c.drawString(x, y, t)
        y -= 11
    c.setLineWidth(0.5)
    c.line(x0, y + 7, x0 + width, y + 7)
    y -= 4
    for r in rows:
        for x, t in zip(xs, r, strict=True):
            if t:
                c.drawString(x, y, t)
        y -= 11
    c.setLineWidth(0.8)
    c.line(x0, y + 7, x0 + width, y + 7)
    c.setFont("Helvetica", 7)
    c.drawString(x0, y - 4, "HR, hazard ratio; CI, confidence interval.")


HR_HEADER = [["Variable", "HR (95% CI)", "P"]]
HR_ROWS = [
    ["Age ≥ 65 years", "1.52 (1.10–2.09)", "0.011"],
    ["Exercise programme", "0.63 (0.48–0.83)", "<0.001"],
    ["Current smoker", "1.18 (0.91–1.53)", "0.21"],
]


def rotated_table(path: Path, angle: int) -> Path:
    """One page with a landscape table whose text runs at ``angle`` degrees (counter-clockwise)
    in the page's user space; the page's /Rotate is set so that it displays upright."""
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setPageRotation((360 - angle) % 360)
    # reportlab stores a page turned by 90 or 270 degrees with a landscape media box
    pw, ph = (H, W) if angle in (90, 270) else (W, H)
    c.saveState()
    # move the origin so that the rotated frame covers the page
    if angle == 90:
        c.translate(pw, 0)
    elif angle == 180:
        c.translate(pw, ph)
    elif angle == 270:
        c.translate(0, ph)
    c.rotate(angle)
    fw, fh = (ph, pw) if angle in (90, 270) else (pw, ph)
    _table(
        c, 60, fh - 80, "Table 2. Risk of the primary outcome (Cox model)", HR_HEADER, HR_ROWS,
        [60, 60 + 0.45 * (fw - 120), 60 + 0.85 * (fw - 120)], fw - 120,
    )
    c.restoreState()
    c.showPage()
    c.save()
    return path


REG_SPANS = [("Univariate", 1, 3), ("Multivariate", 4, 6)]
REG_HEADER = [["Variable", "HR", "95% CI", "P", "HR", "95% CI", "P"]]
REG_ROWS = [
    ["Age (per 10 years)", "1.34", "1.12–1.60", "0.001", "1.29", "1.07–1.55", "0.008"],
    ["Smoking", "0.812", "—", "0.355", "—", "—", "—"],
    ["Diabetes", "1.71", "1.20–2.44", "0.003", "1.55", "1.08–2.23", "0.018"],
]


def regression_table(path: Path) -> Path:
    """A Cox regression table with estimate, CI and P in separate columns under grouped
    headers ("Univariate" and "Multivariate" spanning three columns each)."""
    c = canvas.Canvas(str(path), pagesize=A4)
    xs = [56, 200, 240, 300, 350, 390, 450]
    _table(
        c, 56, H - 80, "Table 3. Cox regression for the primary outcome", REG_HEADER, REG_ROWS,
        xs, 440, spans=REG_SPANS,
    )
    c.showPage()
    c.save()
    return path
