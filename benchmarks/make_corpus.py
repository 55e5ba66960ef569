"""Generate a paper-like PDF corpus for the extraction benchmark (reportlab; seeded, reproducible).

Each paper: a full-width title, then two-column pages of Methods/Results prose with hazard-ratio
sentences ("HR 0.84, 95% CI 0.61-1.16; P = 0.29"), response counts ("81/104") and survival
rates, and on every page a small booktabs-style table of hazard ratios with a "Table N" caption.
All text is generated here (no real paper's text). Usage::

    python benchmarks/make_corpus.py OUT_DIR [--papers 20] [--sections 20]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

OUTCOMES = ["overall survival", "progression-free survival", "event-free survival"]
ARMS = ["steroids", "tocilizumab", "early dexamethasone", "anakinra"]
FILLER = (
    "Patients were followed from infusion until death or last contact, and toxicities were "
    "graded with the consensus criteria of the American Society for Transplantation and "
    "Cellular Therapy. Baseline characteristics were balanced between the groups, and the "
    "median follow-up was {fu} months (range {lo}-{hi})."
)


def _hr(rng: random.Random) -> tuple[float, float, float, float]:
    hr = round(rng.uniform(0.4, 1.6), 2)
    lo = round(hr * rng.uniform(0.55, 0.9), 2)
    hi = round(hr / rng.uniform(0.55, 0.9), 2)
    p = round(rng.uniform(0.001, 0.9), 3)
    return hr, lo, hi, p


def _sentence(rng: random.Random) -> str:
    hr, lo, hi, p = _hr(rng)
    arm, outcome = rng.choice(ARMS), rng.choice(OUTCOMES)
    n1, n2 = rng.randint(30, 150), rng.randint(30, 150)
    e1, e2 = rng.randint(5, n1), rng.randint(5, n2)
    kind = rng.randrange(3)
    if kind == 0:
        return (
            f"In multivariable analysis, {arm} was associated with {outcome} "
            f"(HR {hr}, 95% CI {lo}-{hi}; P = {p})."
        )
    if kind == 1:
        return (
            f"Complete response was observed in {e1}/{n1} patients who received {arm} and in "
            f"{e2}/{n2} who did not (P = {p})."
        )
    rate = round(rng.uniform(20, 80), 1)
    return f"The 1-year {outcome} rate was {rate}% with {arm} (HR {hr}, 95% CI {lo}-{hi})."


def write_paper(path: Path, *, sections: int, seed: int) -> Path:
    """Write one synthetic paper: ``sections`` results blocks (each 4 paragraphs and a table; ~2 per page)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        FrameBreak,
        NextPageTemplate,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )  # fmt: skip

    rng = random.Random(seed)
    styles = getSampleStyleSheet()
    body, head = styles["BodyText"], styles["Heading2"]
    body.fontSize, body.leading = 8.5, 10.5
    W, H = A4
    margin, gap = 18 * mm, 6 * mm
    colw = (W - 2 * margin - gap) / 2
    first = [
        Frame(margin, H - margin - 40 * mm, W - 2 * margin, 40 * mm, id="title"),
        Frame(margin, margin, colw, H - 2 * margin - 42 * mm, id="l1"),
        Frame(margin + colw + gap, margin, colw, H - 2 * margin - 42 * mm, id="r1"),
    ]
    later = [
        Frame(margin, margin, colw, H - 2 * margin, id="l"),
        Frame(margin + colw + gap, margin, colw, H - 2 * margin, id="r"),
    ]
    doc = BaseDocTemplate(str(path), pagesize=A4, title=f"Synthetic cohort {seed}")
    doc.addPageTemplates([PageTemplate("first", first), PageTemplate("later", later)])
    story = [
        Paragraph(f"Cytokine-directed therapy and survival after CAR-T cells: cohort {seed}", styles["Title"]),
        Paragraph("A. Author, B. Author and C. Author", body),
        NextPageTemplate("later"),
        FrameBreak(),
        Paragraph("Methods", head),
        Paragraph(FILLER.format(fu=rng.randint(8, 30), lo=1, hi=rng.randint(31, 60)), body),
    ]  # fmt: skip
    for t in range(1, sections + 1):
        story.append(Paragraph("Results" if t == 1 else f"Results (continued {t})", head))
        for _ in range(4):
            sents = [_sentence(rng) for _ in range(3)]
            story.append(
                Paragraph(
                    " ".join(sents) + " " + FILLER.format(fu=rng.randint(8, 30), lo=1, hi=40), body
                )
            )
        rows = [["Variable", "HR (95% CI)", "P"]]
        for outcome in OUTCOMES:
            hr, lo, hi, p = _hr(rng)
            rows.append([outcome.capitalize(), f"{hr} ({lo}-{hi})", f"{p}"])
        story.append(Spacer(1, 4))
        story.append(Paragraph(f"Table {t}. Hazard ratios for {rng.choice(ARMS)}.", body))
        table = Table(rows, colWidths=[colw * 0.45, colw * 0.35, colw * 0.15])
        table.setStyle(
            TableStyle(
                [
                    ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                    ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.4, colors.black),
                    ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
                ]
            )
        )
        story.append(table)
        story.append(Paragraph("HR, hazard ratio; CI, confidence interval.", body))
        story.append(Spacer(1, 6))
    doc.build(story)
    return path


def write_corpus(folder: str | Path, *, papers: int = 20, sections: int = 20) -> list[Path]:
    """Write ``papers`` synthetic PDFs into ``folder`` (seeds 1..papers); return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_paper(folder / f"synthetic_{i:03d}.pdf", sections=sections, seed=i)
        for i in range(1, papers + 1)
    ]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--papers", type=int, default=20)
    ap.add_argument("--sections", type=int, default=20)
    a = ap.parse_args()
    paths = write_corpus(a.out, papers=a.papers, sections=a.sections)
    print(f"wrote {len(paths)} PDFs to {a.out}")
