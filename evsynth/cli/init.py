"""``evsynth init``: a first protocol file listing the arms and outcomes the papers name."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "init",
        help=help_text,
        description=(
            "Read the papers, find the arms and outcomes they compare (with how many papers and "
            "rows name each) and the abbreviations they define, and write a protocol file to "
            "edit (docs/protocol.md). Unsure entries are commented out. Never overwrites a file."
        ),
    )
    p.add_argument("paths", nargs="+", help="paper files (.txt, .md, .pdf) or folders")
    p.add_argument("--out", required=True, metavar="FILE", help="protocol file to write (.yaml)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from evsynth.review.scaffold import write_protocol_scaffold

    path = write_protocol_scaffold(args.paths, args.out, progress=not args.quiet)
    print(f"wrote {path}: edit the labels, terms and questions, then run")
    print(f"  evsynth run {' '.join(args.paths)} --protocol {path}")
    return 0
