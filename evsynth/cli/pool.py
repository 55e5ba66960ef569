"""``evsynth pool``: a random-effects meta-analysis of a reviewer's own table of estimates."""

from __future__ import annotations

import argparse
from pathlib import Path

#: what ``evsynth pool`` reads (documented in README.md and ``evsynth pool --help``)
POOL_COLUMNS_HELP = (
    "The CSV needs a 'study' column and either 'estimate', 'ci_lower', 'ci_upper' (a ratio and "
    "its 95%% CI as reported; for --measure HR, OR or RR) or 'yi' and 'vi' or 'sei' (effects on "
    "the analysis scale: log ratios, or differences for RD/MD)."
)


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "pool",
        help=help_text,
        description="Pool a table of study estimates with the random-effects model of the main "
        "job (REML tau², Hartung-Knapp-Sidik-Jonkman ad hoc test by default). " + POOL_COLUMNS_HELP,
    )
    p.add_argument("table", help="CSV file with one row per study")
    p.add_argument(
        "--measure", required=True, help="effect measure: HR, OR, RR, RD, MD, SMD or GEN"
    )
    p.add_argument("--method", default="REML", help="tau² estimator (default: %(default)s)")
    p.add_argument("--test", default="adhoc", help="test: adhoc, knha or z (default: %(default)s)")
    p.add_argument("--level", type=float, default=0.95, help="CI level (default: %(default)s)")
    p.add_argument("--plot", help="also save a forest plot (.png, .pdf, .svg, .eps or .tif)")
    p.add_argument("--width", type=float, help="forest plot width in mm (default: natural)")
    p.add_argument("--style", default="default", help="forest plot style: default, revman, jama")
    p.add_argument("--font", help="forest plot font family")
    p.add_argument(
        "--higher-is",
        choices=("better", "worse"),
        help="is a higher outcome good for the treated? Sets the favours labels (HR: worse)",
    )


def pool_table(path: str | Path, measure: str) -> tuple[list[str], list[float], list[float]]:
    """Study labels, ``yi`` and ``vi`` from a reviewer's CSV (see :data:`POOL_COLUMNS_HELP`)."""
    from evsynth._shared.files import CsvProblem, read_csv_raw
    from evsynth.effects.ratios import log_ratio_from_ci
    from evsynth.errors import EvsynthError

    path = Path(path)
    if not path.is_file():
        raise EvsynthError(f"{path}: no such file; give the CSV with one row per study")
    try:
        frame = read_csv_raw(path)
    except CsvProblem as exc:
        raise EvsynthError(str(exc)) from None
    frame.columns = [c.strip() for c in frame.columns]
    if "study" not in frame:
        raise EvsynthError(f"{path}: no 'study' column (columns: {list(frame.columns)}). "
                           + POOL_COLUMNS_HELP.replace("%%", "%"))  # fmt: skip
    if len(frame) == 0:
        raise EvsynthError(f"{path}: the table has no rows")

    def numbers(col: str) -> list[float]:
        out = []
        for i, v in enumerate(frame[col], start=2):
            try:
                out.append(float(str(v).replace("\u00b7", ".").replace("\u2212", "-")))
            except ValueError:
                raise EvsynthError(
                    f"{path}, line {i}: {col} = {v!r} is not a number; fix the cell"
                ) from None
        return out

    labels = [str(s) for s in frame["study"]]
    if {"yi"} <= set(frame) and ({"vi"} <= set(frame) or {"sei"} <= set(frame)):
        yi = numbers("yi")
        vi = numbers("vi") if "vi" in frame else [s * s for s in numbers("sei")]
        return labels, yi, vi
    if {"estimate", "ci_lower", "ci_upper"} <= set(frame):
        if measure.upper() not in ("HR", "OR", "RR"):
            raise EvsynthError(
                f"{path}: estimate/ci_lower/ci_upper are read as ratios (HR, OR, RR); for "
                f"--measure {measure} give columns yi and vi (or sei)"
            )
        yi, vi = [], []
        for est, lo, hi in zip(
            numbers("estimate"), numbers("ci_lower"), numbers("ci_upper"), strict=True
        ):
            es = log_ratio_from_ci(est, lo, hi, measure=measure.upper())
            yi.append(es.yi)
            vi.append(es.vi)
        return labels, yi, vi
    raise EvsynthError(
        f"{path}: columns {list(frame.columns)} hold no estimates. "
        + POOL_COLUMNS_HELP.replace("%%", "%")
    )


def run(args: argparse.Namespace) -> int:
    from evsynth.pooling import meta_analysis

    labels, yi, vi = pool_table(args.table, args.measure)
    res = meta_analysis(
        yi, vi, labels=labels, method=args.method, test=args.test, level=args.level,
        measure=args.measure.upper(),
    )  # fmt: skip
    print(res)
    if args.plot:
        from evsynth.plots import forest_plot, save_figure

        look = {"font_family": args.font} if args.font else {}
        fig = forest_plot(
            res, style=args.style, width_mm=args.width, higher_is=args.higher_is, **look
        )
        print(f"forest plot written to {save_figure(fig, args.plot, width_mm=args.width)}")
    return 0
