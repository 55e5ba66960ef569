"""The PRISMA 2020 flow of a run: the protocol's screening counts (checked to add up, see
:mod:`evsynth.protocol.screening`) with the included studies and reports compared with what the
run found (Page et al. 2021, BMJ 372:n71).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth.errors import ManuscriptError
from evsynth.protocol.screening import counts_of

__all__ = ["PrismaFlow", "prisma_flow"]


@dataclass(frozen=True)
class PrismaFlow(FrameDisplay):
    """The boxes of a PRISMA 2020 flow diagram (new review, databases and registers).

    Attributes
    ----------
    counts : the checked screening counts (``identified`` and ``excluded`` are mappings).
    included_studies, included_reports : the counts drawn in the last box (the protocol's, else
        the run's).
    run_studies, run_reports : studies and reports the run found.
    findings : plain sentences for each disagreement between the protocol and the run.
    """

    counts: dict
    included_studies: int
    included_reports: int
    run_studies: int
    run_reports: int
    findings: tuple[str, ...] = field(default=())

    _display_title = "PRISMA 2020 flow"

    def boxes(self) -> list[tuple[str, str, int | dict]]:
        """``(key, label, count)`` per box in reading order (counts may be a mapping)."""
        c = self.counts
        removed = {
            "Duplicate records removed": c.get("duplicates_removed", 0),
            "Records marked as ineligible by automation tools": c.get("automation_removed", 0),
            "Records removed for other reasons": c.get("other_removed", 0),
        }
        return [
            ("identified", "Records identified from", c["identified"]),
            ("removed", "Records removed before screening", removed),
            ("screened", "Records screened", c["screened"]),
            ("excluded_at_screening", "Records excluded", c["excluded_at_screening"]),
            ("sought", "Reports sought for retrieval", c["sought"]),
            ("not_retrieved", "Reports not retrieved", c["not_retrieved"]),
            ("assessed", "Reports assessed for eligibility", c["assessed"]),
            ("excluded", "Reports excluded", c["excluded"]),
            (
                "included",
                "Studies included in review / reports of included studies",
                {"studies": self.included_studies, "reports": self.included_reports},
            ),
        ]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for key, label, n in self.boxes():
            if isinstance(n, dict):
                rows += [{"box": key, "label": f"{label}: {k}", "n": v} for k, v in n.items()]
            else:
                rows.append({"box": key, "label": label, "n": n})
        return pd.DataFrame(rows)

    def _display_notes(self) -> list[str]:
        return list(self.findings)

    def __repr__(self) -> str:
        return (
            f"PrismaFlow(screened {self.counts['screened']}, assessed {self.counts['assessed']}, "
            f"included {self.included_studies} studies / {self.included_reports} reports"
            + (f"; {len(self.findings)} finding(s)" if self.findings else "")
            + ")"
        )


def prisma_flow(screening: dict, run_studies: int, run_reports: int) -> PrismaFlow:
    """The PRISMA flow of the protocol's ``screening`` block for a run.

    Parameters
    ----------
    screening : the protocol's ``screening`` mapping (keys of :mod:`evsynth.protocol.screening`).
    run_studies, run_reports : studies (``studies.csv`` rows) and reports (papers read) of the run.

    Returns
    -------
    PrismaFlow
        Without ``included_studies``/``included_reports`` in the protocol, the run's counts are
        used and must add up with the other boxes; with them, the protocol's counts are drawn and
        each difference from the run is a finding.

    Raises
    ------
    ManuscriptError : a box does not add up (naming the key); nothing is drawn from it.
    """

    def fail(key: tuple, problem: str) -> ManuscriptError:
        return ManuscriptError(f"screening.{'.'.join(str(k) for k in key)}: {problem}".rstrip("."))

    filled = dict(screening)
    filled.setdefault("included_studies", run_studies)
    filled.setdefault("included_reports", run_reports)
    c = counts_of(filled, fail)
    findings = []
    for what, given, found in (
        ("studies", c["included_studies"], run_studies),
        ("reports", c["included_reports"], run_reports),
    ):
        if given != found:
            findings.append(
                f"The protocol's screening counts include {given} {what}, but this run found "
                f"{found}; check the included papers against the screening record."
            )
    return PrismaFlow(
        c, c["included_studies"], c["included_reports"], run_studies, run_reports, tuple(findings)
    )
