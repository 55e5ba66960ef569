"""``evsynth verify``: every number of an evidence table must be in its quoted source span."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "verify",
        help=help_text,
        description=(
            "Re-read the reports of an evidence table and check, for every row, that "
            "original[source_start:source_end] is the quoted text and that every number of the "
            "row (estimate, CI bounds, p-value, counts, totals, rate SE) is written in the quote. "
            "Exits with status 1 and names each failing row when anything does not match."
        ),
    )
    p.add_argument(
        "evidence",
        nargs="?",
        default="extracted/evidence.csv",
        metavar="EVIDENCE_CSV",
        help="evidence table to check (default: %(default)s)",
    )
    p.add_argument(
        "--papers",
        nargs="+",
        metavar="PATH",
        help="paper files or folders holding the reports (default: the bundled papers)",
    )


def run(args: argparse.Namespace) -> int:
    from evsynth.evidence import read_evidence, verify

    evidence = read_evidence(args.evidence)
    found = verify(evidence, papers=args.papers, derived=True)
    derived = found[found["level"] == "derived"]
    problems = found[found["level"] == "error"]
    if len(derived):
        print(
            f"{len(derived)} number(s) are not in their quote but are accounted for by the row's notes:"
        )
        for _, p in derived.iterrows():
            print(f"  {p['row_id']} ({p['report']}): {p['problem']}")
    if problems.empty:
        print(
            f"verified {len(evidence)} rows of {args.evidence} against "
            f"{evidence['report'].nunique()} report(s): every quote matches its span and every "
            "number is in its quote or accounted for"
        )
        return 0
    failing = problems["row_id"].nunique()
    print(f"{failing} of {len(evidence)} rows of {args.evidence} failed verification:")
    for _, p in problems.iterrows():
        print(f"  {p['row_id']} ({p['report']}): {p['problem']}")
    return 1
