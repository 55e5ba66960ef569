"""Render the continuous-outcome test papers (tests/fixtures/continuous/*.txt) as PDFs.

Each ``.txt`` is the paper's text; lines starting with "|" are the rows of a table (the first is
its header) and render as a ruled reportlab table under the caption line before them. The body
font is DejaVu Sans (matplotlib's copy), which has the true minus sign U+2212 and "±".
Run ``python tests/make_continuous_pdfs.py`` to rewrite the committed PDFs.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures" / "continuous"


def _font() -> str:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    ttf = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(ttf)))
    return "DejaVuSans"


def write_pdf(txt: Path, path: Path) -> Path:
    """Render one paper's text (with its "|" tables) to ``path``."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12.5, spaceAfter=5)
    story: list = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            t = Table([list(r) for r in rows])
            t.setStyle(
                TableStyle(
                    [
                        ("FONT", (0, 0), (-1, -1), font, 8.5),
                        ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
                        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                        ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
                    ]
                )
            )
            story.append(t)
            rows.clear()

    for line in txt.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        if line.strip():
            story.append(Paragraph(line.replace("&", "&amp;").replace("<", "&lt;"), body))
    flush()
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=txt.stem, invariant=1)
    doc.build(story)
    return path


def write_corpus(folder: Path = OUT) -> list[Path]:
    """Write ``KEY.pdf`` beside every ``KEY.txt`` of ``folder``."""
    return [write_pdf(t, t.with_suffix(".pdf")) for t in sorted(Path(folder).glob("*.txt"))]


if __name__ == "__main__":
    print("\n".join(str(p) for p in write_corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)))
