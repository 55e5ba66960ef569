"""evsynth benchmarks: extraction throughput, batch speed-up, pooling vs metafor/pymare/statsmodels.

Usage::

    python benchmarks/run_benchmarks.py [--quick] [--out benchmarks/results.json] [--no-r]

Writes ``results.json`` (all numbers) and ``results.md`` (Markdown tables) next to it. Not a test:
numbers depend on the machine and on its load; ratios measured in the same run are the point.
``--quick`` uses a smaller corpus (40 pages) and fewer repetitions.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
warnings.filterwarnings("ignore")

PDF_LIBS = ("pdfplumber", "pdfminer", "pypdfium2")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


# --------------------------------------------------------------------------- helpers


def per_call(fn, reps: int, repeat: int = 3) -> float:
    """Seconds per call: best of ``repeat`` batches of ``reps`` calls, after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return ""


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.1f} GiB"
    except Exception:
        pass
    import importlib.metadata

    import pandas
    import pdfplumber
    import scipy

    r = _cmd(["Rscript", "-e", 'cat(R.version.string, as.character(packageVersion("metafor")))'])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "pdfplumber": pdfplumber.__version__,
        "pypdfium2": importlib.metadata.version("pypdfium2"),
        "R_metafor": r,
        "platform": platform.platform(),
    }


def profile_share(fn) -> tuple[float, float, list[tuple[str, float, float]]]:
    """Run ``fn`` under cProfile: (total s, s inside the PDF libraries, our hot spots).

    Time inside the PDF libraries = the cumulative time of every call *into* pdfplumber,
    pdfminer or pypdfium2 from code outside them (so nested library frames are not counted
    twice). Hot spots: evsynth functions by own time (with the builtins they call, e.g. regex
    searches, attributed to them), top 8.
    """
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    total = time.perf_counter() - t0
    st = pstats.Stats(prof)

    def lib(func) -> bool:
        return any(f"/{name}/" in func[0] or f"{name}\\" in func[0] for name in PDF_LIBS)

    in_lib = 0.0
    for func, (_cc, _nc, _tt, _ct, callers) in st.stats.items():
        if not lib(func):
            continue
        for caller, edge in callers.items():
            if not lib(caller):
                in_lib += edge[3]
    own: dict[str, float] = {}
    cum: dict[str, float] = {}
    for func, (_cc, _nc, tt, ct, callers) in st.stats.items():
        if "/evsynth/" in func[0]:
            name = f"{func[0].split('/evsynth/')[1]}:{func[1]}({func[2]})"
            own[name] = own.get(name, 0.0) + tt
            cum[name] = ct
        elif func[0] == "~":  # builtins (regex, str methods): charge them to evsynth callers
            for caller, edge in callers.items():
                if "/evsynth/" in caller[0]:
                    name = f"{caller[0].split('/evsynth/')[1]}:{caller[1]}({caller[2]})"
                    own[name] = own.get(name, 0.0) + edge[2]
    hot = sorted(own.items(), key=lambda kv: -kv[1])[:8]
    return total, min(in_lib, total), [(n, round(t, 4), round(cum.get(n, 0.0), 4)) for n, t in hot]


# --------------------------------------------------------------------------- import time


def _wall(code: str, reps: int = 5) -> float:
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def bench_import() -> dict:
    """``import evsynth`` as a ratio to ``import pandas`` in the same run (target <= 1.3), and
    the first use of pooling and of extraction (which import scipy/pandas on demand)."""
    code = "import evsynth"
    wall = _wall(code)
    pandas = _wall("import pandas")
    first_pool = _wall("import evsynth; evsynth.meta_analysis([0.1, 0.3], [0.02, 0.03])")
    first_extract = _wall("import evsynth; evsynth.extract_document")
    base = [_wall("pass")]
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    ).stderr
    cumulative: dict[str, int] = {}
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            cumulative[m.group(4)] = max(cumulative.get(m.group(4), 0), int(m.group(2)))
    watch = [
        "evsynth", "pandas", "numpy", "scipy.stats._stats_py", "scipy.special", "scipy.optimize", "matplotlib",
        "matplotlib.pyplot", "matplotlib.figure", "pdfplumber", "pypdfium2", "yaml",
        "statsmodels", "pymare", "evsynth.plots", "evsynth.effects", "evsynth.pooling",
        "evsynth.checks", "evsynth.extraction", "evsynth.reading.reader",
    ]  # fmt: skip
    return {
        "wall_s": round(wall, 3),
        "import_pandas_s": round(pandas, 3),
        "ratio_to_pandas": round(wall / pandas, 2),
        "first_meta_analysis_s": round(first_pool, 3),
        "first_extract_document_s": round(first_extract, 3),
        "python_startup_s": round(min(base), 3),
        "importtime_cumulative_s": {
            k: round(cumulative[k] / 1e6, 3) for k in watch if k in cumulative
        },
        "imported_at_import": sorted(
            k for k in ("matplotlib", "pdfplumber", "pypdfium2", "statsmodels", "pymare") if k in cumulative
        ),
    }  # fmt: skip


# --------------------------------------------------------------------------- extraction


def bench_extract_text() -> dict:
    import evsynth
    from evsynth.extraction import extract_document

    papers = evsynth.bundled_papers()
    chars = sum(len(p.read_text(encoding="utf-8")) for p in papers)

    def run():
        for p in papers:
            extract_document(evsynth.read(p))

    seconds = per_call(run, 1, repeat=3)
    total, _lib, hot = profile_share(run)
    return {
        "papers": len(papers),
        "chars": chars,
        "seconds": round(seconds, 3),
        "papers_per_s": round(len(papers) / seconds, 2),
        "chars_per_s": round(chars / seconds),
        "profiled_s": round(total, 3),
        "hot_spots": hot,
    }


def bench_extract_pdf(pdfs: list[Path], label: str) -> dict:
    import evsynth
    from evsynth.extraction import extract_document

    pages = 0
    rows = 0

    def run():
        nonlocal pages, rows
        pages = rows = 0
        for p in pdfs:
            doc = evsynth.read(p)
            pages += doc.pages or 0
            rows += len(extract_document(doc))

    t0 = time.perf_counter()
    run()
    seconds = time.perf_counter() - t0
    n_pages, n_rows = pages, rows
    sample = pdfs
    pdfs = sample[:5]  # the profile (about 2x slower) runs on at most 5 files
    total, in_lib, hot = profile_share(run)
    pages, rows, pdfs = n_pages, n_rows, sample
    return {
        "corpus": label,
        "files": len(pdfs),
        "profiled_files": min(5, len(pdfs)),
        "pages": pages,
        "rows": rows,
        "seconds": round(seconds, 3),
        "pages_per_s": round(pages / seconds, 2),
        "profiled_s": round(total, 3),
        "pdf_library_share": round(in_lib / total, 3),
        "evsynth_and_other_share": round(1 - in_lib / total, 3),
        "hot_spots": hot,
    }


def bench_pdfium(pdfs: list[Path]) -> dict:
    """Plain text layer: pdfplumber (as evsynth.reading.pdf uses it) vs pypdfium2; numeric tokens kept."""
    import pdfplumber
    import pypdfium2 as pdfium

    from evsynth.reading.pdf import WORD_SETTINGS

    t_plumber = t_pdfium = 0.0
    tok_plumber: list[str] = []
    tok_pdfium: list[str] = []
    per_file = []
    for p in pdfs:
        t0 = time.perf_counter()
        words = []
        with pdfplumber.open(p) as pdf:
            for page in pdf.pages:
                words.extend(w["text"] for w in page.extract_words(**WORD_SETTINGS))
        t1 = time.perf_counter()
        doc = pdfium.PdfDocument(str(p))
        texts = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            tp.close()
            page.close()
        doc.close()
        t2 = time.perf_counter()
        t_plumber += t1 - t0
        t_pdfium += t2 - t1
        a = NUMBER.findall(" ".join(words))
        b = NUMBER.findall(" ".join(texts))
        tok_plumber += a
        tok_pdfium += b
        sa, sb = _multiset(a), _multiset(b)
        per_file.append(
            {"file": p.name, "numbers_pdfplumber": len(a), "numbers_pypdfium2": len(b),
             "only_pdfplumber": sum((sa - sb).values()), "only_pypdfium2": sum((sb - sa).values())}
        )  # fmt: skip
    sa, sb = _multiset(tok_plumber), _multiset(tok_pdfium)
    return {
        "files": len(pdfs),
        "pdfplumber_words_s": round(t_plumber, 3),
        "pypdfium2_text_s": round(t_pdfium, 3),
        "speedup": round(t_plumber / t_pdfium, 1) if t_pdfium else None,
        "numbers_pdfplumber": len(tok_plumber),
        "numbers_pypdfium2": len(tok_pdfium),
        "numbers_only_in_pdfplumber": sum((sa - sb).values()),
        "numbers_only_in_pypdfium2": sum((sb - sa).values()),
        "per_file": per_file,
    }


def _multiset(tokens):
    from collections import Counter

    return Counter(tokens)


def bench_batch(pdfs: list[Path]) -> dict:
    from evsynth.evidence.batch import extract_many

    out = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        docs, rows, failures = extract_many(pdfs, workers=workers, progress=True)
        out[f"workers_{workers}_s"] = round(time.perf_counter() - t0, 3)
        out[f"workers_{workers}_rows"] = sum(len(r) for r in rows)
        out[f"workers_{workers}_failures"] = len(failures)
    out["speedup"] = round(out["workers_1_s"] / out["workers_2_s"], 2)
    out["files"] = len(pdfs)
    return out


# --------------------------------------------------------------------------- pooling


def simulate(k: int, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray]:
    """k log hazard ratios: true mean log(0.8), tau² 0.04, within-study variances 0.01-0.15."""
    rng = np.random.default_rng(seed + k)
    vi = rng.uniform(0.01, 0.15, k)
    yi = rng.normal(np.log(0.8), np.sqrt(0.04 + vi))
    return yi, vi


def bench_pooling(ks: list[int], quick: bool, use_r: bool) -> dict:
    import evsynth
    from evsynth.pooling.influence import cumulative, leave_one_out

    reps = {
        "rma": 20 if quick else 100,
        "leave1out": 5 if quick else 20,
        "cumul": 5 if quick else 20,
    }
    data = {k: simulate(k) for k in ks}
    ours: dict[int, dict] = {}
    for k in ks:
        y, v = data[k]
        row = {
            "rma": per_call(lambda y=y, v=v: evsynth.meta_analysis(y, v, test="z"), reps["rma"]),
            "leave1out": per_call(lambda y=y, v=v: leave_one_out(y, v, test="z"), reps["leave1out"]),
            "cumul": per_call(lambda y=y, v=v: cumulative(y, v, test="z"), reps["cumul"]),
            "permutest": per_call(lambda y=y, v=v: evsynth.permutation_test(y, v, test="z"), 1, repeat=2),
            "gosh": per_call(lambda y=y, v=v: evsynth.gosh(y, v), 1, repeat=2),
        }  # fmt: skip
        ours[k] = row
    peers: dict[int, dict] = {}
    try:
        import pymare

        for k in ks:
            y, v = data[k]
            peers.setdefault(k, {})["pymare_rma"] = per_call(
                lambda y=y, v=v: pymare.meta_regression(y, v, method="REML"), reps["rma"]
            )
    except ImportError:
        pass
    try:
        from statsmodels.stats.meta_analysis import combine_effects

        for k in ks:
            y, v = data[k]
            peers.setdefault(k, {})["statsmodels_pm"] = per_call(
                lambda y=y, v=v: combine_effects(y, v, method_re="iterated"), reps["rma"]
            )
            peers[k]["evsynth_pm"] = per_call(
                lambda y=y, v=v: evsynth.meta_analysis(y, v, method="PM", test="z"), reps["rma"]
            )
            peers[k]["statsmodels_dl"] = per_call(
                lambda y=y, v=v: combine_effects(y, v, method_re="chi2"), reps["rma"]
            )
            peers[k]["evsynth_dl"] = per_call(
                lambda y=y, v=v: evsynth.meta_analysis(y, v, method="DL", test="z"), reps["rma"]
            )
    except ImportError:
        pass
    result = {"ks": ks, "reps": reps, "evsynth": ours, "peers": peers, "metafor": None}
    if use_r and shutil.which("Rscript"):
        result["metafor"] = _run_metafor(ks, data, reps, quick)
        _compare(result, data)
    return result


def _run_metafor(ks, data, reps, quick) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(
            json.dumps(
                {
                    "datasets": [
                        {"k": k, "yi": data[k][0].tolist(), "vi": data[k][1].tolist()} for k in ks
                    ],
                    "reps": reps,
                    "max_k_permutest": 13,
                    "max_k_gosh": 13,
                    "gosh_detail_k": 13,
                }
            )
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["Rscript", str(HERE / "metafor_bench.R"), str(inp), str(out)],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return None
        res = json.loads(out.read_text())
        res["wall_s"] = round(time.perf_counter() - t0, 1)
        return res


def _compare(result: dict, data) -> None:
    import evsynth

    mf = result["metafor"]
    if mf is None:
        return
    ratios = {}
    for row in mf["timings"]:
        k = int(row["k"])
        ours = result["evsynth"][k]
        ratios[k] = {
            op: round(row[op] / ours[op], 2)
            for op in ("rma", "leave1out", "cumul", "permutest", "gosh")
            if op in row
        }
    result["speedup_vs_metafor"] = ratios  # > 1: evsynth faster
    detail = mf.get("gosh_detail")
    if detail:
        y, v = data[13]
        g = evsynth.gosh(y, v)
        incl = g.iloc[:, 6:].to_numpy(dtype=bool)
        key = (incl * (2 ** np.arange(incl.shape[1]))).sum(axis=1)
        ours = {int(kk): (e, t) for kk, e, t in zip(key, g["estimate"], g["tau2"], strict=True)}

        def num(x) -> float:  # jsonlite writes NA as the string "NA"
            return float("nan") if isinstance(x, str) else float(x)

        d_est = np.nanmax(
            [
                abs(ours[int(kk)][0] - num(e))
                for kk, e in zip(detail["key"], detail["estimate"], strict=True)
            ]
        )
        d_tau = np.nanmax(
            [
                abs(ours[int(kk)][1] - num(t))
                for kk, t in zip(detail["key"], detail["tau2"], strict=True)
            ]
        )
        nan_mismatch = sum(
            np.isnan(ours[int(kk)][0]) != np.isnan(num(e))
            for kk, e in zip(detail["key"], detail["estimate"], strict=True)
        )
        result["gosh_k13_vs_metafor"] = {
            "subsets": len(detail["key"]),
            "max_abs_diff_estimate": float(d_est),
            "max_abs_diff_tau2": float(d_tau),
            "subsets_na_in_metafor": sum(isinstance(e, str) for e in detail["estimate"]),
            "subsets_na_in_one_only": int(nan_mismatch),
        }
        del mf["gosh_detail"]


# --------------------------------------------------------------------------- end to end


def bench_run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "evsynth", "run", "--out", str(Path(tmp) / "out")],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        return {"seconds": round(time.perf_counter() - t0, 2), "exit_code": proc.returncode,
                "stderr_tail": proc.stderr.strip().splitlines()[-1:] if proc.returncode else []}  # fmt: skip


# --------------------------------------------------------------------------- report


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        "# evsynth benchmark results",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, load average at start "
        f"{', '.join(f'{x:.1f}' for x in m['load_average'])}; Python {m['python']}, numpy {m['numpy']}, "
        f"pdfplumber {m['pdfplumber']}; {m['R_metafor'] or 'R not available'}. Mode: {res['mode']}"
        + (f"; re-run sections: {', '.join(res['rerun'])}" if res.get("rerun") else "")
        + ".",
        "",
        "## Extraction",
        "",
        "| corpus | files | pages | rows | seconds | pages/s | share in PDF library |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("pdf_generated", "pdf_real"):
        e = res.get(key)
        if e:
            lines.append(
                f"| {e['corpus']} | {e['files']} | {e['pages']} | {e['rows']} | {e['seconds']} | "
                f"{e['pages_per_s']} | {e['pdf_library_share']:.0%} |"
            )
    t = res["text"]
    lines += [
        "",
        f"Bundled text papers: {t['papers']} papers, {t['chars']:,} characters in {t['seconds']} s "
        f"({t['chars_per_s']:,} chars/s).",
        "",
    ]
    if res.get("pdfium"):
        p = res["pdfium"]
        lines += [
            f"Plain text layer on {p['files']} PDFs: pdfplumber words {p['pdfplumber_words_s']} s, "
            f"pypdfium2 {p['pypdfium2_text_s']} s ({p['speedup']}x); numeric tokens "
            f"{p['numbers_pdfplumber']} vs {p['numbers_pypdfium2']} "
            f"({p['numbers_only_in_pdfplumber']} only in pdfplumber, {p['numbers_only_in_pypdfium2']} only in pypdfium2).",
            "",
        ]
    b = res.get("batch")
    if b:
        lines += [
            f"Batch (`extract_many`, {b['files']} PDFs): 1 worker {b['workers_1_s']} s, 2 workers "
            f"{b['workers_2_s']} s, speed-up {b['speedup']}x.",
            "",
        ]
    po = res["pooling"]
    lines += [
        "## Pooling (seconds per call; ratio = metafor time / evsynth time, > 1 means evsynth is faster)",
        "",
        "| k | operation | evsynth | metafor | ratio |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    mf = {int(r["k"]): r for r in (po["metafor"] or {}).get("timings", [])}

    def at(d: dict, k: int) -> dict:  # keys are ints in a run, strings once read back from JSON
        return d.get(k, d.get(str(k), {}))

    for k in po["ks"]:
        for op in ("rma", "leave1out", "cumul", "permutest", "gosh"):
            ours = at(po["evsynth"], k)[op]
            theirs = mf.get(k, {}).get(op)
            ratio = f"{theirs / ours:.2f}" if theirs else "—"
            lines.append(
                f"| {k} | {op} | {ours:.5f} | {f'{theirs:.5f}' if theirs else '—'} | {ratio} |"
            )
    if po["peers"]:
        lines += ["", "| k | pymare REML | evsynth REML | statsmodels PM | evsynth PM | statsmodels DL | evsynth DL |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for k in po["ks"]:
            p = at(po["peers"], k)
            cells = [p.get("pymare_rma"), at(po["evsynth"], k)["rma"], p.get("statsmodels_pm"),
                     p.get("evsynth_pm"), p.get("statsmodels_dl"), p.get("evsynth_dl")]  # fmt: skip
            lines.append(f"| {k} | " + " | ".join(f"{c:.5f}" if c else "—" for c in cells) + " |")
    g = po.get("gosh_k13_vs_metafor")
    if g:
        lines += [
            "",
            f"GOSH k = 13 vs metafor, subset by subset ({g['subsets']} subsets): max |Δ estimate| = "
            f"{g['max_abs_diff_estimate']:.2e}, max |Δ tau²| = {g['max_abs_diff_tau2']:.2e}.",
        ]
    i = res["import"]
    lines += [
        "",
        "## Start-up",
        "",
        f"`import evsynth`: {i['wall_s']} s wall, {i.get('ratio_to_pandas', float('nan'))}x "
        f"`import pandas` ({i.get('import_pandas_s')} s) in the same run (target <= 1.3x); first "
        f"meta_analysis {i.get('first_meta_analysis_s')} s, first extract_document "
        f"{i.get('first_extract_document_s')} s (python start-up alone {i['python_startup_s']} s). "
        "Cumulative import times: "
        + ", ".join(f"{k} {v} s" for k, v in i["importtime_cumulative_s"].items())
        + ".",
        "",
        f"`evsynth run` on the bundled papers: {res['run']['seconds']} s (exit code {res['run']['exit_code']}).",
        "",
    ]
    return "\n".join(lines)


SECTIONS = ("import", "extract", "batch", "pooling", "run")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small corpus, few repetitions")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--no-r", action="store_true", help="skip the metafor comparison")
    ap.add_argument("--corpus", help="folder with generated PDFs to reuse (else generated)")
    ap.add_argument(
        "--only", nargs="+", choices=SECTIONS,
        help="re-run only these sections, keeping the others from an existing --out file",
    )  # fmt: skip
    a = ap.parse_args(argv)
    from make_corpus import write_corpus

    out = Path(a.out)
    todo = set(a.only or SECTIONS)
    res: dict = json.loads(out.read_text()) if a.only and out.exists() else {}
    res.update(mode="quick" if a.quick else "full", machine=machine())
    if a.only:
        res["rerun"] = sorted(todo)
    print("machine:", res["machine"], file=sys.stderr)
    if "import" in todo:
        res["import"] = bench_import()
        print("import:", res["import"]["wall_s"], "s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(a.corpus) if a.corpus else Path(tmp) / "corpus"
        if not a.corpus and todo & {"extract", "batch"}:
            write_corpus(folder, papers=4 if a.quick else 20, sections=20)
        pdfs = sorted(folder.glob("*.pdf"))
        real = sorted((ROOT / "tests" / "fixtures" / "pdfs").glob("*.pdf"))
        if "extract" in todo:
            res["text"] = bench_extract_text()
            print("text:", res["text"]["seconds"], "s", file=sys.stderr)
            res["pdf_generated"] = bench_extract_pdf(pdfs, "generated (reportlab)")
            print("pdf generated:", res["pdf_generated"]["pages_per_s"], "pages/s", file=sys.stderr)
            if real:
                res["pdf_real"] = bench_extract_pdf(
                    real, "real publisher PDFs (tests/fixtures/pdfs)"
                )
                print("pdf real:", res["pdf_real"]["pages_per_s"], "pages/s", file=sys.stderr)
            res["pdfium"] = bench_pdfium(real + pdfs[:4])
        if "batch" in todo:
            res["batch"] = bench_batch(pdfs)
            print("batch:", res["batch"], file=sys.stderr)
    if "pooling" in todo:
        res["pooling"] = bench_pooling([5, 10, 13, 20], a.quick, not a.no_r)
        print("pooling done", file=sys.stderr)
    if "run" in todo:
        res["run"] = bench_run()
    res["load_average_at_end"] = os.getloadavg()
    out.write_text(json.dumps(res, indent=1, default=float) + "\n", encoding="utf-8")
    md = markdown(res)
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
