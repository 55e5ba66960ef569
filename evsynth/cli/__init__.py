"""The ``evsynth`` command line.

Each subcommand lives in its own module of this package with two functions:
``add_parser(subparsers)`` registers it, ``run(args) -> int`` does it and returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from evsynth.errors import EvsynthError

# name -> one-line help; the module evsynth.cli.<name> implements it
SUBCOMMANDS = {
    "init": "write a first review protocol (arms, outcomes) from the papers, to edit",
    "read": "read papers and print what was found in each (format, title, DOI, sections, tables)",
    "extract": "extract results into an evidence table (evidence.csv, studies.csv)",
    "verify": "check that every number in an evidence table is in its quoted source span",
    "check": "find reported numbers that cannot all be true (statcheck for clinical papers)",
    "run": "the whole synthesis: read, extract, curate, check, pool, plot, report",
    "pool": "pool your own CSV of study estimates (random effects) and draw its forest plot",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evsynth",
        description=(
            "Evidence tables with provenance and honest random-effects meta-analysis from "
            "clinical papers (.txt, .md, .pdf), driven by a review protocol (evsynth init writes "
            "one). With no paths, every command works on the bundled papers and their protocol."
        ),
        epilog="Run 'evsynth COMMAND --help' for the options of a command.",
    )
    from evsynth import __version__

    parser.add_argument("--version", action="version", version=f"evsynth {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        module = _module(name)
        if module is None:
            continue
        module.add_parser(sub, help_text)
    return parser


def _module(name: str):
    try:
        return importlib.import_module(f"evsynth.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"evsynth.cli.{name}":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``evsynth`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a command is required: show what there is, exit like a usage error
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(_module(args.command).run(args) or 0)
    except EvsynthError as exc:
        print(f"evsynth {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            f"evsynth {args.command}: interrupted; no partial output was left behind",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
