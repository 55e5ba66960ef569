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


def _rows(c, rows, xs, y):
    """Draw rows of cells at the column positions ``xs``, 11 pt apart; return the next y."""
    for r in rows:
        for x, t in zip(xs, r, strict=True):
            if t:
                c.drawString(x, y, t)
        y -= 11
    return y


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
    y = _rows(c, header_rows, xs, y)
    c.setLineWidth(0.5)
    c.line(x0, y + 7, x0 + width, y + 7)
    y = _rows(c, rows, xs, y - 4)
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


def rotated_table(path: Path, angle: int, page_rotate: bool = True) -> Path:
    """A portrait A4 page (media box 595 x 842) with a table whose text runs at ``angle``
    degrees (counter-clockwise) in user space. With ``page_rotate`` the page's /Rotate is set so
    that a viewer shows the page turned with the text upright (a landscape page for 90 and 270);
    without it the text is simply set sideways on the portrait page, as journals print a wide
    table."""
    # reportlab swaps the page size of a page turned by 90 or 270 degrees: give it landscape so
    # that the media box it writes is portrait
    turned = page_rotate and angle in (90, 270)
    c = canvas.Canvas(str(path), pagesize=(H, W) if turned else A4)
    if page_rotate:
        c.setPageRotation(angle)  # /Rotate turns the display clockwise: the text reads upright
    pw, ph = W, H
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
        c,
        60,
        fh - 80,
        "Table 2. Risk of the primary outcome (Cox model)",
        HR_HEADER,
        HR_ROWS,
        [60, 60 + 0.45 * (fw - 120), 60 + 0.85 * (fw - 120)],
        fw - 120,
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
        c,
        56,
        H - 80,
        "Table 3. Cox regression for the primary outcome",
        REG_HEADER,
        REG_ROWS,
        xs,
        440,
        spans=REG_SPANS,
    )
    c.showPage()
    c.save()
    return path


FOREST_HEADER = ["Study", "Exercise n/N", "Control n/N", "RR (95% CI)", "Weight (%)"]
FOREST_ROWS = [
    ["Ahn 2012", "12/50", "20/48", "0.58 (0.32, 1.04)", "18.2"],
    ["Berg 2015", "30/120", "41/118", "0.72 (0.48, 1.07)", "31.5"],
    ["Costa 2018", "8/40", "15/42", "0.56 (0.27, 1.18)", "12.9"],
    ["Dahl 2020", "25/98", "33/101", "0.78 (0.50, 1.21)", "37.4"],
]
FOREST_OVERALL = [
    "Overall (I-squared = 37.2%, p = 0.118)",
    "75/308",
    "109/309",
    "0.69 (0.55, 0.87)",
    "100.0",
]


def forest_plot(path: Path) -> Path:
    """A page of prose and a vector forest plot (Stata metan style): text columns for the study,
    counts, "RR (95% CI)" and weight, boxes and whiskers between, an axis with tick labels, and
    the caption under the plot."""
    import math

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica", 10)
    y = H - 70
    for line in (
        "Results",
        "Four trials compared an exercise programme with usual care; falls were counted",
        "over twelve months. The pooled estimate is shown in Figure 2.",
    ):
        c.drawString(56, y, line)
        y -= 14
    xs = [56, 205, 260, 440, 520]
    lo_x, hi_x = 320, 430  # the plot area: log scale from 0.25 to 4

    def xpos(v: float) -> float:
        return lo_x + (math.log(v) - math.log(0.25)) / (math.log(4) - math.log(0.25)) * (
            hi_x - lo_x
        )

    y -= 20
    c.setFont("Helvetica-Bold", 8)
    for x, t in zip(xs, FOREST_HEADER, strict=True):
        c.drawString(x, y, t)
    y -= 16
    c.setFont("Helvetica", 8)
    for row in [*FOREST_ROWS, FOREST_OVERALL]:
        for x, t in zip(xs, row, strict=True):
            c.drawString(x, y, t)
        est, lo, hi = (
            float(v) for v in row[3].replace("(", "").replace(",", "").replace(")", "").split()
        )
        c.setLineWidth(0.6)
        c.line(xpos(lo), y + 3, xpos(hi), y + 3)
        if row is FOREST_OVERALL:
            p = c.beginPath()
            p.moveTo(xpos(lo), y + 3)
            p.lineTo(xpos(est), y + 6)
            p.lineTo(xpos(hi), y + 3)
            p.lineTo(xpos(est), y)
            p.close()
            c.drawPath(p, fill=1)
        else:
            s = 2 + float(row[4]) / 10
            c.rect(xpos(est) - s / 2, y + 3 - s / 2, s, s, fill=1)
        y -= 14
    # axis
    c.line(lo_x, y + 6, hi_x, y + 6)
    c.line(xpos(1), y + 6, xpos(1), y + 14 * 6)
    for v in (0.25, 0.5, 1, 2, 4):
        c.drawCentredString(xpos(v), y - 3, f"{v:g}")
    y -= 14
    c.drawString(lo_x - 20, y, "Favours exercise")
    c.drawString(xpos(1) + 8, y, "Favours control")
    y -= 22
    c.setFont("Helvetica", 9)
    c.drawString(
        56, y, "Figure 2. Forest plot of the risk ratio of falls, exercise versus usual care."
    )
    c.showPage()
    c.save()
    return path


PROSE = (
    "Participants in the exercise group walked more each week and reported fewer falls at "
    "twelve months than those in usual care, and the difference held in every model we fitted "
    "and in each age band that we examined in the sensitivity analyses described above. "
)

GRID_HEADER = [
    ["Age band", "Model 1", "Model 2", "Model 3"],
    ["", "HR (95% CI)", "HR (95% CI)", "HR (95% CI)"],
]
GRID_ROWS = [
    ["< 65 years", "0.71 (0.52–0.97)", "0.74 (0.54–1.01)", "0.76 (0.55–1.05)"],
    ["65–74 years", "0.62 (0.45–0.85)", "0.66 (0.48–0.91)", "0.69 (0.50–0.95)"],
    ["≥ 75 years", "0.58 (0.40–0.84)", "0.61 (0.42–0.89)", "0.64 (0.44–0.93)"],
]
NPCT_HEADER = [["Characteristic", "Exercise (n = 120)", "Usual care (n = 118)"]]
NPCT_ROWS = [
    ["Women", "68 (56.7)", "70 (59.3)"],
    ["Falls in past year", "41 (34.2)", "39 (33.1)"],
    ["Uses walking aid", "22 (18.3)", "25 (21.2)"],
]


def _prose(c, x, y, width, lines, size=9.0):
    from reportlab.lib.utils import simpleSplit

    c.setFont("Times-Roman", size)
    for line in simpleSplit(PROSE * 3, "Times-Roman", size, width)[:lines]:
        c.drawString(x, y, line)
        y -= size + 2.5
    return y


def two_column_tables(path: Path) -> Path:
    """A two-column page: prose in both columns, an HR grid (three models, one "HR (95% CI)"
    column each under a "Model N" header) in the left column with prose beside it in the
    right column, and an "n (%)" table with the arms' n in its header lower in the left column.
    """
    c = canvas.Canvas(str(path), pagesize=A4)
    left, right, colw = 50, 310, 240
    y = _prose(c, left, H - 60, colw, 6)
    _prose(c, right, H - 60, colw, 60)
    xs = [left, left + 62, left + 121, left + 180]
    _table(c, left, y - 12, "Table 4. Falls by age band", GRID_HEADER, GRID_ROWS, xs, colw, 6.5)
    y = _prose(c, left, y - 130, colw, 4)
    xs = [left, left + 100, left + 170]
    _table(
        c, left, y - 12, "Table 1. Baseline characteristics", NPCT_HEADER, NPCT_ROWS, xs, colw, 6.5
    )
    c.showPage()
    c.save()
    return path


def column_break_estimate(path: Path) -> Path:
    """Two columns of prose; the left one ends "... (hazard ratio 0.63" and the right one starts
    "(95% CI 0.48–0.83) ...": the estimate and its interval on either side of a column break."""
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Times-Roman", 9)
    left = [
        "Methods",
        "We followed the participants for twelve months and",
        "counted every fall that they reported to the study",
        "nurse at the monthly visits or by telephone.",
        "Results",
        "Falls were less frequent in the exercise group than",
        "in usual care over the year of follow-up (hazard ratio 0.63",
    ]
    right = [
        "(95% CI 0.48–0.83); the effect did not differ by sex.",
        "Fractures were rare in both groups and the trial",
        "was not powered to compare them.",
    ]
    y = H - 80
    for line in left:
        c.drawString(56, y, line)
        y -= 11.5
    y = H - 80
    for line in right:
        c.drawString(310, y, line)
        y -= 11.5
    c.showPage()
    c.save()
    return path


REVMAN_ROWS = [
    ["1.1.1 Supervised", "", "", "", "", "", ""],
    ["Ahn 2012", "12", "50", "20", "48", "18.2%", "0.58 [0.32, 1.04]"],
    ["Berg 2015", "30", "120", "41", "118", "31.5%", "0.72 [0.48, 1.07]"],
    ["Subtotal (95% CI)", "", "170", "", "166", "49.7%", "0.67 [0.49, 0.92]"],
    ["1.1.2 Home-based", "", "", "", "", "", ""],
    ["Costa 2018", "8", "40", "15", "42", "12.9%", "0.56 [0.27, 1.18]"],
    ["Dahl 2020", "25", "98", "33", "101", "37.4%", "0.78 [0.50, 1.21]"],
    ["Subtotal (95% CI)", "", "138", "", "143", "50.3%", "0.72 [0.49, 1.07]"],
    ["Total (95% CI)", "", "308", "", "309", "100.0%", "0.69 [0.55, 0.87]"],
]
REVMAN_NOTES = [
    "Heterogeneity: Tau² = 0.02; Chi² = 4.10, df = 3 (P = 0.25); I² = 27%",
    "Test for overall effect: Z = 3.20 (P = 0.001)",
]


def revman_forest_plot(path: Path) -> Path:
    """A forest plot in RevMan style: arm names over "Events | Total", weights with "%",
    "0.58 [0.32, 1.04]", subgroup headings and subtotals, a total row and the heterogeneity
    lines under it; the caption above the plot."""
    c = canvas.Canvas(str(path), pagesize=A4)
    y = H - 70
    c.setFont("Helvetica", 9)
    c.drawString(56, y, "Figure 3. Risk of falling, exercise versus usual care (risk ratio).")
    y -= 24
    xs = [56, 175, 205, 240, 270, 305, 350]
    c.setFont("Helvetica", 7)
    c.drawString(175, y, "Exercise")
    c.drawString(240, y, "Usual care")
    c.drawString(350, y, "Risk Ratio")
    y -= 9
    _rows(
        c,
        [
            [
                "Study or Subgroup",
                "Events",
                "Total",
                "Events",
                "Total",
                "Weight",
                "M-H, Random, 95% CI",
            ]
        ],
        xs,
        y,
    )
    y -= 14
    for row in REVMAN_ROWS:
        _rows(c, [row], xs, y)
        if row[6]:
            c.rect(450, y, 3, 3, fill=1)
            c.line(430, y + 1.5, 480, y + 1.5)
        y -= 10
    for note in REVMAN_NOTES:
        c.drawString(56, y, note)
        y -= 10
    c.showPage()
    c.save()
    return path


def forest_plot_in_a_column(path: Path) -> Path:
    """A two-column page: a narrow forest plot (study, "OR (95% CI)", weight, whiskers) with its
    caption under it in the left column, prose beside it in the right column."""
    c = canvas.Canvas(str(path), pagesize=A4)
    _prose(c, 310, H - 60, 240, 50)
    y = _prose(c, 50, H - 60, 240, 5)
    y -= 16
    xs = [50, 150, 240]
    c.setFont("Helvetica-Bold", 7)
    _rows(c, [["Study", "OR (95% CI)", "Weight"]], xs, y)
    y -= 12
    c.setFont("Helvetica", 7)
    for row in COLUMN_FOREST:
        _rows(c, [row], xs, y)
        c.line(205, y + 2, 232, y + 2)
        y -= 11
    c.setFont("Helvetica", 8)
    y -= 8
    c.drawString(50, y, "Fig. 4 Odds of a fall with exercise, by trial")
    _prose(c, 50, y - 24, 240, 12)
    c.showPage()
    c.save()
    return path


COLUMN_FOREST = [
    ["Evans 2011", "0.61 (0.40, 0.93)", "22.0"],
    ["Fox 2014", "0.83 (0.59, 1.17)", "30.1"],
    ["Gray 2016", "0.70 (0.45, 1.09)", "19.8"],
    ["Hall 2019", "0.77 (0.52, 1.14)", "28.1"],
    ["Overall", "0.74 (0.61, 0.90)", "100.0"],
]
