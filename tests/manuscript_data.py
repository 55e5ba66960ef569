"""A small made-up review (exercise against control on falls and on hip fracture) as evidence
rows, for the manuscript tests: topic words live here, never in evsynth/."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evsynth.extraction.schema import EVIDENCE_COLUMNS
from evsynth.protocol.model import Question
from evsynth.review.synthesis import SynthesisOptions, synthesize

#: four trials of falls (2x2 counts; trial d has no event in its control arm) and two cohorts of
#: hip fracture (hazard ratios with 95% CIs)
FALLS = [  # study, events_int, total_int, events_ctl, total_ctl
    ("a2019", 12, 100, 20, 100),
    ("b2020", 30, 150, 45, 152),
    ("c2021", 8, 60, 11, 58),
    ("d2022", 3, 40, 0, 41),
]
HIP = [("e2018", 0.70, 0.45, 1.09, 800), ("f2020", 0.95, 0.60, 1.50, 650)]


def evidence() -> pd.DataFrame:
    rows = []
    for n, (sid, ei, ti, ec, tc) in enumerate(FALLS):
        rows.append(
            dict(
                row_id=f"f{n}",
                study_id=sid,
                report=f"{sid}.txt",
                outcome="falls",
                measure="counts",
                events_int=ei,
                total_int=ti,
                events_ctl=ec,
                total_ctl=tc,
            )
        )
    for n, (sid, est, lo, hi, _n) in enumerate(HIP):
        rows.append(
            dict(
                row_id=f"h{n}",
                study_id=sid,
                report=f"{sid}.txt",
                outcome="hip fracture",
                measure="HR",
                estimate=est,
                ci_lower=lo,
                ci_upper=hi,
                ci_level=0.95,
                analysis="multivariable",
            )
        )
    frame = pd.DataFrame(rows).reindex(columns=list(EVIDENCE_COLUMNS))
    text = [
        "cited_study",
        "intervention_detail",
        "intervention_as_reported",
        "comparator",
        "comparator_as_reported",
        "subgroup",
        "outcome_as_reported",
        "analysis",
        "p_operator",
        "test",
        "timepoint",
        "section",
        "table",
        "source_quote",
        "source_boxes",
        "extractor",
        "curation",
        "notes",
    ]
    for c in text:
        frame[c] = frame[c].astype(object).fillna("")
    frame["intervention"] = "exercise"
    frame["comparator"] = "control"
    frame["source_start"] = np.arange(len(frame)) * 10
    frame["source_end"] = frame["source_start"] + 5
    return frame


def studies() -> pd.DataFrame:
    rows = [
        dict(study_id=s, reports=f"{s}.txt", design="randomised controlled trial", n_total=ti + tc)
        for s, _e, ti, _c, tc in FALLS
    ]
    rows += [
        dict(study_id=s, reports=f"{s}.txt", design="prospective cohort", n_total=n)
        for s, *_x, n in HIP
    ]
    return pd.DataFrame(rows)


def synthesis():
    options = SynthesisOptions(
        questions=(
            Question("exercise", "falls", "control"),
            Question("exercise", "hip fracture", "control"),
        ),
        kinds={"falls": "binary", "hip fracture": "time-to-event"},
        counts_measure="RR",
    )
    return synthesize(evidence(), studies(), options)
