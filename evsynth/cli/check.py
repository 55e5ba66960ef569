"""``evsynth check``: find reported numbers that cannot all be true (statcheck for clinical papers)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

import pandas as pd

_WIDTH = 100


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "check",
        help=help_text,
        description=(
            "Read the papers and recompute what their numbers imply: p-values from ratios and "
            "CIs, percentages from counts, chi-square/Fisher p-values from 2x2 tables, sums of "
            "breakdowns; compare results reported twice (abstract, text, tables, other reports "
            "of the same study) and flag duplicate or overlapping studies. Rounding of every "
            "reported number is allowed for. Findings are printed grouped by file; with --out "
            "they are also written to DIR/findings.csv and DIR/findings.json. With no paths: "
            "the bundled papers. Exit code 0 whether or not there are findings."
        ),
        epilog="Severity: error = cannot be true; warning = probably wrong, needs a look; info = note.",
    )
    p.add_argument("paths", nargs="*", help="paper files (.txt, .md, .pdf) or folders")
    p.add_argument("--out", metavar="DIR", help="also write DIR/findings.csv and DIR/findings.json")
    p.add_argument(
        "--severity",
        choices=("error", "warning", "info"),
        default="info",
        help="print findings of this severity and worse (default: info, i.e. all)",
    )
    p.add_argument(
        "--protocol",
        metavar="FILE",
        help="review protocol (YAML, docs/protocol.md) or the name of a bundled protocol; "
        "default: the bundled protocol for the bundled papers, none for other papers",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from evsynth._shared.files import atomic_write_csv, atomic_write_text
    from evsynth.checks import check

    findings = check(args.paths or None, protocol=args.protocol, progress=not args.quiet)
    order = {"error": 0, "warning": 1, "info": 2}
    shown = findings[findings["severity"].map(order) <= order[args.severity]]
    written = []
    if args.out:  # write before printing, so a closed pipe (| head) cannot lose the files
        from pathlib import Path

        out = Path(args.out)
        written.append(atomic_write_csv(findings, out / "findings.csv"))
        records = findings.to_dict("records")
        for r in records:
            try:
                r["values"] = json.loads(r["values"]) if r["values"] else {}
            except (TypeError, ValueError):
                pass
        written.append(
            atomic_write_text(
                out / "findings.json",
                json.dumps(records, ensure_ascii=False, indent=2, default=str),
            )
        )
    try:
        print(format_findings(shown))
        if written:
            print(
                f"written to {written[0].parent.resolve()}/: " + ", ".join(p.name for p in written)
            )
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `evsynth check | head`: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


def format_findings(findings: pd.DataFrame, width: int = _WIDTH) -> str:
    """Findings as readable text: a header per file, one numbered block per finding with the
    severity, check, location, the message and the quoted text (wrapped)."""
    if findings.empty:
        return "No findings: every number checked is consistent within rounding."
    counts = findings["severity"].value_counts()
    summary = ", ".join(
        f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}"
        for s in ("error", "warning", "info")
    )
    lines = [f"{len(findings)} finding(s) in {findings['report'].nunique()} file(s): {summary}", ""]
    for report, grp in findings.groupby("report", sort=True):
        lines.append(f"== {report} " + "=" * max(3, width - len(str(report)) - 4))
        for i, row in enumerate(grp.to_dict("records"), 1):
            where = row.get("location") or ""
            pos = (
                f"chars {row['source_start']}-{row['source_end']}"
                if row["source_end"] and row["source_end"] > row["source_start"]
                else ""
            )
            head = f"{i:>2}. {row['severity'].upper():<7} {row['check']}"
            tail = ", ".join(x for x in (where, pos) if x)
            lines.append(head + (f"  [{tail}]" if tail else ""))
            lines.extend(
                textwrap.wrap(
                    str(row["message"]),
                    width=width,
                    initial_indent="      ",
                    subsequent_indent="      ",
                )
            )
            quote = " ".join(str(row.get("source_quote") or "").split())
            if quote:
                q = textwrap.wrap(f'"{quote}"', width=width - 14)
                if len(q) > 4:
                    q = q[:4]
                    q[-1] = q[-1] + " ..."
                lines.append("      quote: " + (q[0] if q else ""))
                lines.extend("             " + x for x in q[1:])
            rec = str(row.get("recomputed") or "")
            if rec:
                lines.extend(
                    textwrap.wrap(
                        "how: " + rec,
                        width=width,
                        initial_indent="      ",
                        subsequent_indent="           ",
                    )
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
