"""PDF reader: today's pdfplumber path vs the PDFium path, in the same run.

Usage::

    python benchmarks/pdf_paths.py [--out benchmarks/pdf_paths.json] [folder_or_pdf ...]

Defaults to ``tests/fixtures/pdfs`` (copies of ``../shared/pdfs``) and a generated corpus
(``benchmarks/make_corpus.py``, 4 papers). For each path it reports pages per second per core
(CPU time of this process: the machine may be shared) and, page by page, the numbers each path
finds: numeric tokens in the page's text and the evidence rows (measure, estimate, CI, p) whose
quote starts on the page. Every difference is listed. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from evsynth.extraction import extract_document  # noqa: E402
from evsynth.reading.pdf import _extract_plumber, extract_pdf  # noqa: E402
from evsynth.reading.reader import _document  # noqa: E402

NUMBER = re.compile(r"\d+(?:[.·]\d+)?")
PATHS = {"pdfplumber (today)": _extract_plumber, "pypdfium2": extract_pdf}


def _timed(fn, path: Path, reps: int = 2):
    """The result and the best CPU seconds of ``reps`` calls."""
    best = float("inf")
    out = None
    for _ in range(reps):
        t0 = time.process_time()
        out = fn(path)
        best = min(best, time.process_time() - t0)
    return out, best


def _page_of(starts: list[int], offset: int) -> int:
    page = 1
    for k, s in enumerate(starts):
        if offset >= s:
            page = k + 1
    return page


def _rows_by_page(pdf, path: Path) -> dict[int, Counter]:
    doc = _document(pdf.text, path=str(path), format="pdf", pages=pdf.pages)
    rows = extract_document(doc)
    out: dict[int, Counter] = {}
    for r in rows.itertuples():
        key = (r.measure, r.estimate, r.ci_lower, r.ci_upper, r.p_value)
        key = tuple("" if v != v else v for v in key)  # NaN -> ""
        page = _page_of(pdf.page_starts, int(r.source_start))
        out.setdefault(page, Counter())[key] += 1
    return out


FIXTURE = ROOT / "tests/fixtures/extract/pdf_rows_pdfplumber.json"


def write_fixture() -> None:
    """The evidence rows today's path (pdfplumber words) finds in each real PDF, for the
    superset test in tests/test_pdf.py."""
    out = {}
    for path in sorted((ROOT / "tests/fixtures/pdfs").glob("*.pdf")):
        pdf = _extract_plumber(path)
        rows = extract_document(_document(pdf.text, path=str(path), format="pdf", pages=pdf.pages))
        out[path.name] = sorted(
            (
                [r.measure, _num(r.estimate), _num(r.ci_lower), _num(r.ci_upper), _num(r.p_value)]
                for r in rows.itertuples()
            ),
            key=json.dumps,
        )
    FIXTURE.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {FIXTURE}")


def _num(v) -> float | None:
    return None if v != v else float(v)


def compare(pdfs: list[Path]) -> dict:
    totals = {name: {"pages": 0, "cpu_s": 0.0} for name in PATHS}
    files = []
    for path in pdfs:
        res = {}
        for name, fn in PATHS.items():
            pdf, cpu = _timed(fn, path)
            totals[name]["pages"] += pdf.pages
            totals[name]["cpu_s"] += cpu
            pages = [
                pdf.text[s:e]
                for s, e in zip(pdf.page_starts, [*pdf.page_starts[1:], len(pdf.text)], strict=True)
            ]
            res[name] = {
                "numbers": [Counter(NUMBER.findall(t)) for t in pages],
                "rows": _rows_by_page(pdf, path),
                "pages": pdf.pages,
            }
        old, new = res["pdfplumber (today)"], res["pypdfium2"]
        diffs = []
        for p in range(1, old["pages"] + 1):
            lost = old["numbers"][p - 1] - new["numbers"][p - 1]
            gained = new["numbers"][p - 1] - old["numbers"][p - 1]
            rlost = old["rows"].get(p, Counter()) - new["rows"].get(p, Counter())
            rgained = new["rows"].get(p, Counter()) - old["rows"].get(p, Counter())
            if lost or gained or rlost or rgained:
                diffs.append(
                    {
                        "page": p,
                        "numbers_lost": dict(lost),
                        "numbers_gained": dict(gained),
                        "rows_lost": [list(k) for k in rlost.elements()],
                        "rows_gained": [list(k) for k in rgained.elements()],
                    }
                )
        files.append(
            {
                "file": path.name,
                "pages": old["pages"],
                "numbers": {k: sum(sum(c.values()) for c in v["numbers"]) for k, v in res.items()},
                "rows": {
                    k: sum(sum(c.values()) for c in v["rows"].values()) for k, v in res.items()
                },
                "differences": diffs,
            }
        )
    speed = {
        k: round(v["pages"] / v["cpu_s"], 1) if v["cpu_s"] else None for k, v in totals.items()
    }
    return {
        "pages_per_cpu_second": speed,
        "speedup": round(speed["pypdfium2"] / speed["pdfplumber (today)"], 1),
        "files": files,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("--out", default=str(HERE / "pdf_paths.json"))
    ap.add_argument(
        "--write-fixture",
        action="store_true",
        help="write the rows today's path finds in tests/fixtures/pdfs to " + str(FIXTURE.name),
    )
    args = ap.parse_args(argv)
    if args.write_fixture:
        write_fixture()
        return 0
    report = {}
    if args.inputs:
        pdfs = []
        for a in args.inputs:
            p = Path(a)
            pdfs += sorted(p.glob("*.pdf")) if p.is_dir() else [p]
        report["given"] = compare(pdfs)
    else:
        report["real"] = compare(sorted((ROOT / "tests/fixtures/pdfs").glob("*.pdf")))
        from make_corpus import write_corpus

        with tempfile.TemporaryDirectory() as tmp:
            report["generated"] = compare(write_corpus(tmp, papers=4, sections=20))
    Path(args.out).write_text(json.dumps(report, indent=1, default=str) + "\n")
    for name, part in report.items():
        print(f"{name}: pages/s per core {part['pages_per_cpu_second']} (x{part['speedup']})")
        for f in part["files"]:
            print(f"  {f['file']}: numbers {f['numbers']}, rows {f['rows']}")
            for d in f["differences"]:
                if d["rows_lost"] or d["rows_gained"]:
                    print(f"    p{d['page']} rows lost {d['rows_lost']} gained {d['rows_gained']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
