"""``evsynth read``: read papers and print what was found in each."""

from __future__ import annotations

import argparse
import textwrap


def add_parser(sub: argparse._SubParsersAction, help_text: str) -> None:
    p = sub.add_parser(
        "read",
        help=help_text,
        description=(
            "Read papers (.txt, .md, .pdf; folders are searched recursively) and print, for each, "
            "its format, title, DOI, trial registrations, the sections found and the tables found. "
            "Files that cannot be read are listed at the end with the reason. With no paths: the "
            "bundled papers. Exit status 0 if at least one file was read, 1 if every file failed."
        ),
    )
    p.add_argument("paths", nargs="*", help="paper files (.txt, .md, .pdf) or folders")


def _wrap(label: str, value: str) -> str:
    return textwrap.fill(
        value, width=100, initial_indent=f"  {label:<14}", subsequent_indent=" " * 16
    )


def describe(doc) -> str:
    """A short plain-text description of a Document (what `evsynth read` prints)."""
    lines = [doc.path]
    fmt = doc.format + (f", {doc.pages} pages" if doc.pages else "")
    if doc.encoding != "utf-8":
        fmt += f", decoded as {doc.encoding}"
    lines.append(_wrap("format", fmt))
    lines.append(_wrap("title", doc.title or "(none found)"))
    lines.append(_wrap("DOI", doc.doi or "(none found)"))
    lines.append(_wrap("registrations", ", ".join(doc.registrations) or "(none found)"))
    names = list(dict.fromkeys(s.name for s in doc.sections if s.name not in ("table", "figure")))
    lines.append(_wrap("sections", ", ".join(names) or "(none found)"))
    if doc.tables:
        labels = ", ".join(
            f"{t.label or 'unlabelled'} ({t.n_rows}x{t.n_cols}, {len(t.cells)} cells)"
            if t.cells
            else f"{t.label or 'unlabelled'} (caption only)"
            for t in doc.tables
        )
        lines.append(_wrap("tables", f"{len(doc.tables)}: {labels}"))
    else:
        lines.append(_wrap("tables", "0"))
    for w in doc.warnings:
        lines.append(_wrap("warning", w))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from evsynth import bundled_papers
    from evsynth.reading.reader import read_many

    paths = args.paths or bundled_papers()
    docs, failures = read_many(paths)
    for doc in docs:
        print(describe(doc))
        print()
    n = len(docs) + len(failures)
    print(
        f"read {len(docs)} of {n} file(s)"
        + (f"; {len(failures)} could not be read:" if failures else "")
    )
    for f in failures:
        print(f"  {f.path}")
        print(
            textwrap.fill(
                f"{f.error}: {f.message}",
                width=100,
                initial_indent="    ",
                subsequent_indent="    ",
            )
        )
    if n == 0:
        print("no .txt, .md or .pdf files found in the given paths")
        return 1
    return 0 if docs else 1
