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
        "--protocol",
        metavar="FILE",
        help="review protocol (YAML, docs/protocol.md) or the name of a bundled protocol; "
        "default: the bundled protocol for the bundled papers, none for other papers",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from evsynth.review.workflow import run as run_synthesis

    curation = False if args.no_curation else (args.curation or True)
    result = run_synthesis(
        args.paths or None,
        args.out,
        curation=curation,
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
