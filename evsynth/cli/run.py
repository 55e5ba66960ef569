"""``evsynth run``: the whole synthesis on the bundled papers or your own."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "run",
        help=help_text,
        description=(
            "Read the papers, extract an evidence table, apply the curation file that belongs to "
            "them, check their numbers, pool every question of the review protocol, draw forest "
            "plots and write a report. With no paths: the bundled papers and their protocol."
        ),
    )
    p.add_argument("paths", nargs="*", help="paper files (.txt, .md, .pdf) or folders")
    p.add_argument("--out", default="evsynth-out", help="output folder (default: %(default)s)")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--curation",
        help="curation YAML file to apply (default: the one that belongs to the papers)",
    )
    group.add_argument("--no-curation", action="store_true", help="apply no curation file")
    p.add_argument(
        "--method", help="tau² estimator of the primary analysis (default: the protocol's, REML)"
    )
    p.add_argument(
        "--test",
        help="test and CI of the primary analysis: adhoc (Hartung-Knapp-Sidik-Jonkman, ad hoc "
        "correction; the default), knha or z",
    )
    p.add_argument("--measure", help="effect measure for 2x2 counts: OR (the default), RR or RD")
    p.add_argument("--style", default="default", help="figure style: default, revman or jama")
    p.add_argument(
        "--width",
        type=float,
        help="figure width in mm (85-90 for a single journal column; default: natural, <= 180)",
    )
    p.add_argument("--font", help="font family of the figures (e.g. Arial; default: DejaVu Sans)")
    p.add_argument(
        "--protocol",
        metavar="FILE",
        help="review protocol (YAML, docs/protocol.md) or the name of a bundled protocol; "
        "default: the bundled protocol for the bundled papers, none for other papers",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from evsynth.errors import EvsynthError
    from evsynth.plots.style import STYLES
    from evsynth.pooling import ALL_METHODS, TESTS
    from evsynth.review.workflow import FigureOptions
    from evsynth.review.workflow import run as run_synthesis

    for flag, value, allowed in (
        ("--method", args.method, ALL_METHODS),
        ("--test", args.test, TESTS),
        ("--measure", args.measure, ("OR", "RR", "RD")),
        ("--style", args.style, tuple(STYLES)),
    ):
        if value is not None and value not in allowed:
            raise EvsynthError(f"{flag} {value!r} is not known; use one of {', '.join(allowed)}")
    if args.width is not None and not 30 <= args.width <= 250:
        raise EvsynthError(f"--width {args.width:g} mm is not a figure width; give 30 to 250")
    curation = False if args.no_curation else (args.curation or True)
    chosen = {"method": args.method, "test": args.test, "counts_measure": args.measure}
    figures = FigureOptions(style=args.style, width_mm=args.width, font=args.font)
    result = run_synthesis(
        args.paths or None,
        args.out,
        curation=curation,
        analysis={k: v for k, v in chosen.items() if v is not None},
        figure_options=figures,
        protocol=args.protocol,
        progress=not args.quiet,
    )
    pooled = result.synthesis.pooled
    primary = pooled[pooled["role"] == "primary"]
    print(
        f"evidence rows: {len(result.evidence)}   studies: {len(result.studies)}   findings: {len(result.findings)}"
    )
    if primary.empty:
        print(
            "no review protocol: nothing pooled; the report lists the evidence by the arms as "
            "reported. Write one with: evsynth init PAPERS --out protocol.yaml"
        )
    else:
        print("primary analyses:")
    for _, r in primary.iterrows():
        if str(r["status"]).startswith("pooled"):
            est = f"{r['measure']} {r['estimate']:.2f} [{r['ci_lower']:.2f}, {r['ci_upper']:.2f}] (k={int(r['k'])})"
            if r["status"] != "pooled":
                est += f" {str(r['status']).removeprefix('pooled, ')}"
        elif r["status"] == "single study":
            est = f"{r['measure']} {r['estimate']:.2f} [{r['ci_lower']:.2f}, {r['ci_upper']:.2f}] single study, not pooled"
        else:
            est = f"not pooled: {r['reason']}"
        print(f"  {r['question']:<28} {est}")
    print(f"outputs written to {result.out.resolve()}/")
    for f in result.files:
        print(f"  {f.relative_to(result.out)}")
    return 0
