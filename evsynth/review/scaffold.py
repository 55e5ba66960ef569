"""A first protocol for the reviewer to edit: the arms and outcomes the papers name.

:func:`protocol_scaffold` extracts the papers without a protocol (arms and outcomes as the papers
write them, see :mod:`evsynth.extraction.arms`) and writes a protocol file (``docs/protocol.md``)
listing

* candidate interventions and comparators: the arms of the comparative rows, with how many
  papers and rows name each;
* candidate outcomes: the outcomes of those rows, with their kind guessed from the measure
  (hazard ratios: time-to-event; counts, odds or risk ratios: binary; mean differences:
  continuous);
* the abbreviations each paper defines ("long name (ABBR)").

Candidates named in at least two rows are written as entries; the others are commented out, as
is everything the reviewer must decide (questions, comparators). The file loads as it is when at
least one arm and one outcome were found; it is a starting point, not a protocol: the reviewer
edits the terms, labels and questions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evsynth.errors import EvsynthError

__all__ = ["Candidates", "protocol_candidates", "protocol_scaffold", "write_protocol_scaffold"]

_ARM_WORDS = re.compile(
    r"(?i)\s+(?:group|arm|cohort|participants|patients|subjects|recipients|users)s?$"
)
_ABBREVIATION = re.compile(
    r"(?<![\w-])(?P<long>[A-Za-z][A-Za-z\-]+(?:\s[A-Za-z\-]+){0,5})\s\((?P<abbr>[A-Z][A-Za-z0-9\-]{1,9})\)"
)
_KIND = {
    "HR": "time-to-event",
    "counts": "binary",
    "OR": "binary",
    "RR": "binary",
    "MD": "continuous",
    "SMD": "continuous",
    "ROM": "continuous",
}


def _arm_term(text: str) -> str:
    t = re.sub(r"\s+", " ", str(text or "")).strip(" ,;:()")
    t = _ARM_WORDS.sub("", t).strip()
    return t


@dataclass(frozen=True)
class Candidates:
    """What the papers name: arms, outcomes and abbreviations, with how often.

    ``interventions``, ``comparators`` and ``outcomes`` have columns term, papers, rows (and kind
    for outcomes), most frequent first; ``abbreviations`` has abbreviation, definition, report.
    """

    interventions: pd.DataFrame
    comparators: pd.DataFrame
    outcomes: pd.DataFrame
    abbreviations: pd.DataFrame
    papers: int


def _tally(rows: pd.DataFrame, column: str, clean) -> pd.DataFrame:
    papers: dict[str, set[str]] = defaultdict(set)
    count: Counter = Counter()
    shown: dict[str, str] = {}
    for _, r in rows.iterrows():
        term = clean(r[column])
        if not term or not re.search(r"[A-Za-z]", term) or len(term) > 60:
            continue
        key = term.lower()
        shown.setdefault(key, term)
        papers[key].add(r["report"])
        count[key] += 1
    out = [{"term": shown[k], "papers": len(papers[k]), "rows": n} for k, n in count.most_common()]
    frame = pd.DataFrame(out, columns=["term", "papers", "rows"])
    return frame.sort_values(
        ["papers", "rows", "term"], ascending=[False, False, True]
    ).reset_index(drop=True)


def protocol_candidates(
    paths: str | Path | Iterable[str | Path], *, progress: bool = False
) -> Candidates:
    """Extract the papers without a protocol and tally the arms, outcomes and abbreviations."""
    from evsynth.evidence.table import extract

    table = extract(paths, protocol=None, progress=progress)
    if not table.sources:
        raise EvsynthError(
            "none of the papers could be read: "
            + "; ".join(f"{r['file']}: {r['message']}" for _, r in table.failures.iterrows())
        )
    ev = table.evidence
    comparative = ev[
        ev["measure"].isin(list(_KIND)) & ~((ev["measure"] == "counts") & ev["events_ctl"].isna())
    ]
    interventions = _tally(comparative, "intervention_as_reported", _arm_term)
    comparators = _tally(comparative, "comparator_as_reported", _arm_term)
    outcomes = _tally(
        comparative, "outcome_as_reported", lambda t: re.sub(r"\s+", " ", str(t or "")).strip()
    )
    kinds = {}
    for _, r in comparative.iterrows():
        key = re.sub(r"\s+", " ", str(r["outcome_as_reported"] or "")).strip().lower()
        kinds.setdefault(key, _KIND.get(r["measure"], "binary"))
    outcomes["kind"] = [kinds.get(t.lower(), "binary") for t in outcomes["term"]]
    abbr = []
    from evsynth.reading.reader import read

    for src in table.sources:
        try:
            text = read(src).text
        except EvsynthError:
            continue
        for m in _ABBREVIATION.finditer(text):
            # the words the abbreviation stands for: as many as it has capitals (at most)
            words = re.split(r"\s+", m.group("long"))
            n = max(1, min(len(words), len(re.sub(r"[^A-Z]", "", m.group("abbr")))))
            abbr.append(
                {
                    "abbreviation": m.group("abbr"),
                    "definition": " ".join(words[-n:]),
                    "report": Path(src).name,
                }
            )
    abbreviations = pd.DataFrame(abbr, columns=["abbreviation", "definition", "report"])
    abbreviations = abbreviations.drop_duplicates(["abbreviation", "definition"]).reset_index(
        drop=True
    )
    return Candidates(interventions, comparators, outcomes, abbreviations, len(table.sources))


def _label(term: str) -> str:
    label = re.sub(r"[^\w\s\-+/]", "", term).strip()
    return label or term


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def protocol_scaffold(paths: str | Path | Iterable[str | Path], *, progress: bool = False) -> str:
    """The text of a protocol file listing the candidates the papers name (see module doc)."""
    c = protocol_candidates(paths, progress=progress)
    lines = [
        "# A first protocol written by `evsynth init` from the papers' own words.",
        "# Edit it: keep the arms and outcomes of your review, give each a label (the key) and",
        "# the words papers use for it (terms), then write your questions. Entries named in",
        "# fewer than two rows are commented out (remove the '# ' to keep one).",
        f"# Papers read: {c.papers}. Format: docs/protocol.md.",
        "evsynth-protocol: 1",
        "title: " + _quote("Evidence synthesis (edit this title)"),
    ]

    def block(name: str, frame: pd.DataFrame, extra=None) -> list[str]:
        out = [f"{name}:"]
        if frame.empty:
            out.append(f"  # no {name} found in the papers: add them")
            return out
        any_kept = False
        for _, r in frame.head(25).iterrows():
            sure = r["rows"] >= 2 or (not any_kept and _ == 0)
            prefix = "  " if sure else "  # "
            any_kept = any_kept or sure
            out.append(f"{prefix}# {r['papers']} paper(s), {r['rows']} row(s)")
            out.append(f"{prefix}{_quote(_label(r['term']))}:")
            out.append(f"{prefix}  terms: [{_quote(r['term'])}]")
            if extra:
                out.extend(f"{prefix}  {x}" for x in extra(r))
        return out

    if c.interventions.empty or c.outcomes.empty:
        lines.append("# No comparative result was found: fill in interventions and outcomes.")
    lines += block("interventions", c.interventions)
    cmp = block("comparators", c.comparators)
    lines += ["# comparators are optional (default: the untreated arm, 'no <intervention>')"]
    lines += ["# " + x for x in cmp]
    lines += block(
        "outcomes",
        c.outcomes,
        lambda r: [f"kind: {r['kind']}   # binary | time-to-event | rate | continuous"],
    )
    lines += [
        "# questions:   # default: every intervention x outcome pair",
        "#   - {intervention: LABEL, outcome: LABEL}",
        "analysis:",
        "  method: REML",
        "  test: adhoc",
        "  counts_measure: OR",
        "  tau_prior_scale: 0.5",
        "  prefer_adjusted: true",
    ]
    if len(c.abbreviations):
        lines.append("# Abbreviations the papers define (papers teach them to evsynth as well):")
        for _, r in c.abbreviations.head(60).iterrows():
            lines.append(f"#   {r['abbreviation']} = {r['definition']}   ({r['report']})")
    return "\n".join(lines) + "\n"


def write_protocol_scaffold(
    paths: str | Path | Iterable[str | Path], out: str | Path, *, progress: bool = False
) -> Path:
    """Write :func:`protocol_scaffold` to ``out``; never overwrites an existing file."""
    from evsynth._shared.files import atomic_write_text

    out = Path(out)
    if out.exists():
        raise EvsynthError(
            f"{out}: already exists; evsynth init never overwrites a file (edit it, or give "
            "another --out)"
        )
    text = protocol_scaffold(paths, progress=progress)
    return atomic_write_text(out, text)
