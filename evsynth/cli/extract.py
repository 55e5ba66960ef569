"""``evsynth extract``: papers -> evidence.csv and studies.csv (with a short summary)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "extract",
        help=help_text,
        description=(
            "Read the papers, extract every reported result with its source span, group reports "
            "into studies and write DIR/evidence.csv and DIR/studies.csv (plus failures.csv, "
            "conflicts.csv and rejected.csv when there are any). No curation is applied unless "
            "--curation is given. With no paths: the bundled papers."
        ),
    )
    p.add_argument("paths", nargs="*", help="paper files (.txt, .md, .pdf) or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    p.add_argument(
        "--curation", metavar="FILE", help="curation YAML file to apply (docs/curation.md)"
    )
    p.add_argument(
        "--protocol",
        metavar="FILE",
        help="review protocol (YAML, docs/protocol.md) or the name of a bundled protocol; "
        "default: the bundled protocol for the bundled papers, none for other papers",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from evsynth.evidence import extract

    table = extract(
        args.paths or None,
        protocol=args.protocol,
        curation=args.curation,
        progress=not args.quiet,
    )
    written = table.write(args.out)
    ev = table.evidence
    lines = table.summary()
    print(lines[0])
    if len(ev):
        print("rows per report:")
        for report, n in ev["report"].value_counts().sort_index().items():
            print(f"  {report}: {n}")
    for line in lines[1:]:
        print(line)
    print(f"written to {written[0].parent.resolve()}/: " + ", ".join(p.name for p in written))
    # 0 when at least one paper was extracted (failures are listed above and in failures.csv);
    # 1 when every input failed, as `evsynth read` does
    return 1 if len(table.failures) and not table.sources else 0
