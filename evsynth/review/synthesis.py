"""From an evidence table to pooled answers: which questions, which row per study, which analyses.

This module holds the *analysis choices* of a synthesis, each one explicit and recorded in the
output, so that a reviewer can defend (or change) every one of them:

* **Questions** come from the review protocol (:class:`evsynth.protocol.Protocol`): an
  intervention against a comparator on an outcome. Without a protocol there are no questions
  (the evidence is listed by the arms as reported).
* **Outcome proxies** are a declared choice of the protocol (an outcome accepted in place of
  another, such as an event-free survival for a progression-free one); every analysis says whether
  it used one, and a sensitivity analysis without the proxy is run.
* **The effect measure follows the outcome's kind**: time-to-event outcomes pool hazard ratios;
  binary outcomes pool 2x2 counts (as the protocol's ``counts_measure``) or reported ratios of that
  measure; continuous outcomes pool mean differences (MD, SMD or ROM); rates pool rate ratios.
* **One row per study**: reports of one study (same ``study_id``) contribute one estimate. Among a
  study's candidate rows the primary analysis prefers the adjusted (multivariable) estimate, then
  the full-text report over a summary page, then a table over prose; identical numbers reported
  twice collapse into one; differing numbers are a conflict that is named in the notes.
* **Analyses per question**: the primary frequentist analysis (REML tau², Hartung-Knapp with the
  ad hoc variance correction), the Bayesian few-study analysis (half-normal prior on tau), and
  sensitivity analyses (univariable only, multivariable only, without the outcome proxy, and with
  a duplicate report wrongly counted as a separate study, to show what double counting would do).
* Questions with fewer than two poolable studies appear with the evidence that exists and why it
  was not pooled (p-value only, a single study).

The statistics themselves live in :mod:`evsynth.effects` and :mod:`evsynth.pooling`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay

#: effect measures of rows that a continuous outcome pools (arm-level means are converted by
#: :func:`evsynth.effects.effect_sizes`)
CONTINUOUS_ROW_MEASURES = ("MD", "SMD", "ROM", "means")
#: reported ratios that a rate outcome pools
RATE_ROW_MEASURES = ("RR", "IRR", "rate ratio")

POOLED_COLUMNS = [
    "question",
    "intervention",
    "outcome",
    "analysis",
    "role",
    "status",
    "measure",
    "method",
    "test",
    "k",
    "estimate",
    "ci_lower",
    "ci_upper",
    "pi_lower",
    "pi_upper",
    "pvalue",
    "prob_below_1",
    "tau2",
    "i2",
    "studies",
    "row_ids",
    "proxy_accepted",
    "reason",
    "notes",
]


@dataclass(frozen=True)
class SynthesisOptions:
    """The analysis choices of a synthesis (all recorded in the report).

    Build them from a protocol with :meth:`from_protocol`; the defaults ask no question.

    Attributes
    ----------
    questions : the protocol's questions (:class:`evsynth.protocol.model.Question`); (intervention,
        outcome) pairs are accepted and converted.
    all_questions : also answer every other intervention x outcome pair that has data.
    proxies : outcome -> outcomes accepted in its place.
    kinds : outcome -> "binary" | "time-to-event" | "rate" | "continuous" (outcomes not listed:
        time-to-event when they have hazard ratios, else binary).
    higher_is : outcome -> "better" | "worse" (the direction of benefit; default: lower is better).
    measures : outcome -> the effect measure the protocol asks for ("MD", "SMD", "ROM", or a
        counts measure).
    prefer_adjusted : prefer multivariable (adjusted) estimates in the primary analysis.
    counts_measure : effect measure for 2x2 counts ("OR", "RR" or "RD").
    method, test : tau² estimator and test of the primary analysis.
    tau_scale : scale of the half-normal prior on tau in the Bayesian analysis
        (0.5 on the log-ratio scale, Röver et al. 2021).
    title : the review's title ("" without a protocol).
    question : the review question in words ("" to build it from the questions).
    """

    questions: tuple = ()
    all_questions: bool = False
    proxies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    higher_is: dict[str, str] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    prefer_adjusted: bool = True
    counts_measure: str = "OR"
    method: str = "REML"
    test: str = "adhoc"
    tau_scale: float = 0.5
    title: str = ""
    question: str = ""

    def __post_init__(self) -> None:
        from evsynth.protocol.model import Question as Asked

        object.__setattr__(
            self,
            "questions",
            tuple(q if isinstance(q, Asked) else Asked(q[0], q[1]) for q in self.questions),
        )

    @classmethod
    def from_protocol(cls, protocol) -> SynthesisOptions:
        """The choices a protocol makes: its questions, proxies, outcome kinds and analysis plan."""
        plan = protocol.analysis
        return cls(
            questions=tuple(protocol.questions),
            proxies={o.label: o.proxies for o in protocol.outcomes.values() if o.proxies},
            kinds={o.label: o.kind for o in protocol.outcomes.values()},
            higher_is={o.label: o.higher_is for o in protocol.outcomes.values() if o.higher_is},
            measures={o.label: o.measure for o in protocol.outcomes.values() if o.measure},
            prefer_adjusted=plan.prefer_adjusted,
            counts_measure=plan.counts_measure,
            method=plan.method,
            test=plan.test,
            tau_scale=plan.tau_prior_scale,
            title=protocol.title,
            question=protocol.question,
        )

    def kind_of(self, outcome: str, rows: pd.DataFrame | None = None) -> str:
        """The outcome's kind: the protocol's, else time-to-event when its rows are hazard ratios,
        else binary."""
        if outcome in self.kinds:
            return self.kinds[outcome]
        if rows is not None and len(rows) and (rows["measure"] == "HR").any():
            return "time-to-event"
        return "binary"

    def describe(self) -> list[str]:
        """Plain-language list of the choices, for the report."""
        if not self.questions and not self.all_questions:
            return [
                "No review protocol was given, so no question is asked and nothing is pooled: "
                "the evidence is listed by the arms as the papers report them. Write a protocol "
                "with `evsynth init PAPERS --out protocol.yaml` and run again with "
                "`--protocol protocol.yaml`."
            ]
        proxy = (
            "; ".join(f"{', '.join(v)} accepted for {k}" for k, v in self.proxies.items()) or "none"
        )
        return [
            f"Questions: {', '.join(q.title for q in self.questions)}.",
            f"Outcome proxies: {proxy}; each analysis says whether a proxy was used, and a "
            "sensitivity analysis without proxies is run.",
            "One estimate per study: "
            + (
                "adjusted (multivariable) estimates are preferred"
                if self.prefer_adjusted
                else "unadjusted estimates are preferred"
            )
            + "; whole-study results over subgroups and strata; full-text reports over summary "
            "pages; tables over prose.",
            "Effect measures by outcome kind: hazard ratios for time-to-event outcomes; 2x2 "
            f"counts pooled as log {self.counts_measure} (or reported {self.counts_measure}s) for "
            "binary outcomes; mean differences for continuous outcomes; rate ratios for rates.",
            f"Primary analysis: {self.method} estimate of tau², "
            + (
                "Hartung-Knapp-Sidik-Jonkman test with the ad hoc variance correction (never narrower than the z-based interval)"
                if self.test == "adhoc"
                else f"test = {self.test}"
            )
            + ".",
            f"Bayesian analysis: normal-normal model, half-normal prior on tau with scale {self.tau_scale} (Röver et al. 2021), flat prior on the pooled effect.",
        ]


@dataclass(frozen=True)
class Question:
    """One question (intervention against comparator on an outcome) and the evidence rows that
    bear on it.

    ``comparator`` is the protocol's comparator label ("" means the untreated arm, "no
    <intervention>"); ``kind`` the outcome's kind; ``lower_is_better`` its direction of benefit.
    """

    intervention: str
    outcome: str
    rows: pd.DataFrame = field(repr=False)
    comparator: str = ""
    kind: str = "binary"
    lower_is_better: bool = True
    label: str = ""

    @property
    def name(self) -> str:
        """The question as the tables and figures name it ("exercise on falls")."""
        return self.label or f"{self.intervention} on {self.outcome}"

    @property
    def comparator_label(self) -> str:
        """The comparator in words: the protocol's label, else "no <intervention>"."""
        return self.comparator or f"no {self.intervention}"

    @property
    def favours(self) -> tuple[str, str]:
        """Labels under the left and right half of a ratio axis (left: ratio below 1)."""
        a, b = f"Favours {self.intervention}", f"Favours {self.comparator_label}"
        return (a, b) if self.lower_is_better else (b, a)

    @property
    def slug(self) -> str:
        return f"{self.intervention}_{self.outcome}".lower().replace(" ", "-")


def questions_from(
    evidence: pd.DataFrame, options: SynthesisOptions | None = None
) -> list[Question]:
    """Return the questions to answer and the evidence rows for each (proxies included).

    A row belongs to a question when its intervention matches, its outcome is the question's
    outcome or an accepted proxy of it, and its comparator is the question's (or the untreated
    arm, or not stated).
    """
    from evsynth.protocol.model import Question as Asked

    options = options or SynthesisOptions()
    asked = list(options.questions)
    if options.all_questions:
        pairs = {(q.intervention, q.outcome) for q in asked}
        proxies = {p for v in options.proxies.values() for p in v}
        for (i, o), _ in evidence[evidence["intervention"] != ""].groupby(
            ["intervention", "outcome"]
        ):
            if (i, o) not in pairs and o not in proxies and o:
                asked.append(Asked(i, o))
    others = {q.comparator for q in asked if q.comparator}
    out = []
    for q in asked:
        outcomes = (q.outcome, *options.proxies.get(q.outcome, ()))
        rows = evidence[
            (evidence["intervention"] == q.intervention) & (evidence["outcome"].isin(outcomes))
        ]
        cmp = rows["comparator"].fillna("").astype(str)
        rows = rows[(cmp == q.comparator) | ~cmp.isin(others - {q.comparator})]
        kind = options.kind_of(q.outcome, rows)
        out.append(
            Question(
                q.intervention,
                q.outcome,
                rows.copy(),
                comparator=q.comparator,
                kind=kind,
                lower_is_better=options.higher_is.get(q.outcome, "") != "better",
                label=q.name,
            )
        )
    return out


_CONTROL = re.compile(
    r"(?i)^\s*(?:no\b|non[- ]?|without\b|none\b|not\b|untreated\b|did not\b|never\b|control\b|placebo\b|0\s*mg\b)"
)


def is_control_comparator(comparator: str) -> bool:
    """Whether a comparator means *absence* of the intervention ("no X", "non-X", "0 mg/kg",
    "placebo", "control").

    An empty comparator (the paper does not say) counts as control. Comparators such as
    "<5 days" or "≤2 days (reference)" are contrasts *within* the treated group (timing,
    duration) and do not answer "does the intervention change the outcome?".
    """
    comparator = (
        ""
        if comparator is None or (isinstance(comparator, float) and np.isnan(comparator))
        else str(comparator)
    )
    return comparator.strip() == "" or bool(_CONTROL.match(comparator))


def _against_comparator(rows: pd.DataFrame, question: Question) -> pd.Series:
    """Rows whose comparator is the question's: its protocol label, or an untreated arm."""
    cmp = rows["comparator"].fillna("").astype(str)
    control = cmp.map(is_control_comparator).astype(bool)
    return control | ((cmp == question.comparator) & (question.comparator != ""))


def _poolable(
    rows: pd.DataFrame, question: Question, counts_measure: str, measure: str = "MD"
) -> pd.DataFrame:
    """Rows that carry an estimate that can be pooled for the question's outcome kind, against
    its comparator: hazard ratios with a CI (time-to-event); complete 2x2 counts or a reported
    ratio of the counts measure with a CI (binary); mean differences or arm means (continuous);
    rate ratios with a CI (rate)."""
    has_ci = rows["ci_lower"].notna() & rows["ci_upper"].notna()
    if question.kind == "time-to-event":
        mask = (rows["measure"] == "HR") & has_ci
    elif question.kind == "continuous":
        # arm means become any measure; a reported MD or SMD only itself (and ROM is never
        # reported as such: it needs the means)
        mask = (rows["measure"] == "means") | (
            rows["measure"].isin(CONTINUOUS_ROW_MEASURES) & (rows["measure"] == measure)
        )
    elif question.kind == "rate":
        mask = rows["measure"].isin(RATE_ROW_MEASURES) & has_ci
    else:
        cols = ["events_int", "total_int", "events_ctl", "total_ctl"]
        mask = (rows["measure"] == "counts") & rows[cols].notna().all(axis=1)
        mask |= (rows["measure"] == counts_measure) & has_ci
    mask &= _against_comparator(rows, question)
    return rows[mask]


def _within_contrasts(rows: pd.DataFrame, question: Question) -> pd.DataFrame:
    """Rows comparing levels of the intervention with each other (timing, duration), not with
    the question's comparator."""
    return rows[~_against_comparator(rows, question)]


def _number_key(row: pd.Series) -> tuple:
    keys = [
        "estimate",
        "ci_lower",
        "ci_upper",
        "events_int",
        "total_int",
        "events_ctl",
        "total_ctl",
    ]
    return tuple(None if pd.isna(row.get(k)) else round(float(row[k]), 6) for k in keys)


def _rank(row: pd.Series, prefer_adjusted: bool, summary_reports: set[str]) -> tuple:
    analysis = row.get("analysis", "") or ""
    if prefer_adjusted:
        a = {"multivariable": 0, "": 1, "univariable": 2}.get(analysis, 1)
    else:
        a = {"univariable": 0, "": 1, "multivariable": 2}.get(analysis, 1)
    summary = 1 if row["report"] in summary_reports else 0
    in_table = 0 if (row.get("table") or "") else 1
    subgroup = 1 if (row.get("intervention_detail") or "") or (row.get("subgroup") or "") else 0
    # the arms' counts over a ratio computed from them (the raw data; same analysis level)
    counts_first = 0 if row.get("measure") == "counts" else 1
    return (subgroup, a, summary, counts_first, in_table, row["report"], int(row["source_start"]))


@dataclass(frozen=True)
class StudySelection:
    """The row chosen for each study, with the reasons and the rows set aside."""

    chosen: pd.DataFrame
    notes: tuple[str, ...]


def select_one_per_study(
    rows: pd.DataFrame,
    *,
    prefer_adjusted: bool = True,
    summary_reports: set[str] | frozenset[str] = frozenset(),
    analysis: str | None = None,
) -> StudySelection:
    """Choose one poolable row per study.

    Parameters
    ----------
    rows : poolable evidence rows of one question.
    prefer_adjusted : rank multivariable before univariable estimates (else the reverse).
    summary_reports : reports that are summary pages of a study with a full text elsewhere;
        ranked after full texts.
    analysis : keep only rows of this analysis ("univariable"/"multivariable") when given.
    """
    notes: list[str] = []
    if analysis is not None:
        rows = rows[rows["analysis"] == analysis]
    chosen = []
    for study, group in rows.groupby("study_id", sort=True):
        ranked = sorted(
            group.index, key=lambda i: _rank(group.loc[i], prefer_adjusted, set(summary_reports))
        )
        best = group.loc[ranked[0]]
        chosen.append(ranked[0])
        has_detail = bool(best.get("intervention_detail") or "")
        same_analysis = group[
            (group["analysis"] == best["analysis"])
            & (group["intervention_detail"].fillna("").astype(bool) == has_detail)
        ]
        differing = {_number_key(r) for _, r in same_analysis.iterrows()} - {_number_key(best)}
        if differing:
            others = ", ".join(
                f"{r['report']} ({_describe_numbers(r)})"
                for _, r in same_analysis.iterrows()
                if _number_key(r) != _number_key(best)
            )
            notes.append(
                f"{study}: reports disagree on the {best['analysis'] or 'unlabelled'} estimate; "
                f"used {best['report']} ({_describe_numbers(best)}), not {others}."
            )
        if best.get("intervention_detail"):
            notes.append(
                f"{study}: the contrast is '{best['intervention_detail']}' vs '{best.get('comparator', '')}'."
            )
    return StudySelection(rows.loc[chosen], tuple(notes))


def _describe_numbers(row: pd.Series) -> str:
    if row["measure"] == "counts":
        return f"{int(row['events_int'])}/{int(row['total_int'])} vs {int(row['events_ctl'])}/{int(row['total_ctl'])}"
    return f"{row['measure']} {row['estimate']:g} [{row['ci_lower']:g}, {row['ci_upper']:g}]"


def summary_reports_of(studies: pd.DataFrame) -> set[str]:
    """Reports flagged as duplicating another report of the same study (summary pages)."""
    if studies is None or "duplicate_of" not in studies:
        return set()
    out: set[str] = set()
    for _, s in studies.iterrows():
        dup = str(s.get("duplicate_of") or "")
        if not dup:
            continue
        # convention of evsynth.evidence.studies: "<report> duplicates <report>: <why>" entries, ';'-separated
        for part in dup.split(";"):
            head = part.strip().split(" duplicates ")[0].strip()
            if head:
                out.add(head)
    return out


def study_labels(chosen: pd.DataFrame, outcome: str) -> list[str]:
    """Study labels for a figure: the study id, plus the outcome when a proxy was used."""
    return [
        f"{r['study_id']} ({r['outcome']})" if r["outcome"] != outcome else str(r["study_id"])
        for _, r in chosen.iterrows()
    ]


def pooled_counts(chosen: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Events/total per arm of the pooled 2x2 rows, labelled as in :func:`study_labels`."""
    cols = ["events_int", "total_int", "events_ctl", "total_ctl"]
    frame = chosen[cols].astype(int).reset_index(drop=True)
    frame.insert(0, "label", study_labels(chosen, outcome))
    return frame


def unpooled_evidence(question: Question, primary: pd.Series) -> pd.DataFrame:
    """The question's evidence that the primary analysis did not pool, each with the reason.

    Returns a DataFrame with ``label, reported, reason, row_id``. A row that repeats the numbers
    of a pooled row of the same study (the same result given in the text and in a table) is not
    listed again; every other row is, so a figure or report built from it hides no evidence.
    """
    used = set(str(primary.get("row_ids") or "").split("; ")) - {""}
    rows = question.rows
    chosen = rows[rows["row_id"].astype(str).isin(used)]
    out = []
    for _, r in rows[~rows["row_id"].astype(str).isin(used)].iterrows():
        same_study = chosen[chosen["study_id"] == r["study_id"]]
        if r["measure"] == "p_only":
            reason = "p-value only: no estimate or variance to pool"
        elif r["measure"] in ("survival_rate", "proportion"):
            reason = "single-arm rate: no comparison group"
        elif not _against_comparator(r.to_frame().T, question).iloc[0]:
            reason = f"compares {r.get('intervention_detail') or 'a treated subgroup'} with {r['comparator']}, not with {question.comparator_label}"
        elif any(_number_key(r) == _number_key(c) for _, c in same_study.iterrows()):
            continue  # the pooled result, reported again elsewhere in the paper
        elif len(same_study):
            c = same_study.iloc[0]
            if r["measure"] != c["measure"] and (r.get("analysis") or "") == (
                c.get("analysis") or ""
            ):
                reason = (
                    f"the same comparison reported as {describe_row(r).split(' [')[0]}; the "
                    f"study's {'2x2 counts are' if c['measure'] == 'counts' else c['measure'] + ' is'} pooled"
                )
            elif (r.get("analysis") or "") != (c.get("analysis") or "") and (
                r.get("analysis") or ""
            ):
                reason = (
                    f"{r['analysis']} estimate; the {c.get('analysis') or 'selected'} one is pooled"
                )
            elif bool(r.get("intervention_detail") or "") != bool(
                c.get("intervention_detail") or ""
            ):
                reason = "a dose-subgroup contrast; the whole-group contrast is pooled"
            else:
                reason = (
                    "differs from the estimate pooled for this study (see consistency findings)"
                )
        else:
            reason = "not selected"
        out.append(
            {
                "label": r["study_id"],
                "reported": describe_row(r),
                "reason": reason,
                "row_id": r["row_id"],
                "report": r["report"],
            }
        )
    frame = pd.DataFrame(out, columns=["label", "reported", "reason", "row_id", "report"])
    return frame.drop_duplicates(subset=["label", "reported", "reason"]).reset_index(drop=True)


def evidence_summary(rows: pd.DataFrame) -> str:
    """One line per row in plain words: what each study reported on this question."""
    lines = []
    for _, r in rows.sort_values(["study_id", "report", "source_start"]).iterrows():
        lines.append(f"{r['study_id']} ({r['report']}): {describe_row(r)}")
    return "\n".join(lines)


def describe_row(r: pd.Series) -> str:
    """A row's reported numbers as text, e.g. 'HR 0.44 [0.20, 0.93], p = 0.032 (univariable)'."""
    m = r["measure"]
    if m in ("HR", "OR", "RR") and pd.notna(r.get("estimate")):
        text = f"{m} {r['estimate']:g}"
        if pd.notna(r.get("ci_lower")):
            text += f" [{r['ci_lower']:g}, {r['ci_upper']:g}]"
    elif m == "counts":
        parts = []
        if pd.notna(r.get("events_int")):
            parts.append(f"{_int(r['events_int'])}/{_int(r.get('total_int'))}")
        if pd.notna(r.get("events_ctl")):
            parts.append(f"{_int(r['events_ctl'])}/{_int(r.get('total_ctl'))}")
        text = " vs ".join(parts) or "counts"
    elif m in ("proportion", "survival_rate") and pd.notna(r.get("estimate")):
        text = f"{m.replace('_', ' ')} {100 * r['estimate']:.4g}%"
        if pd.notna(r.get("rate_se")):
            text += f" (SE {100 * r['rate_se']:.3g}%)"
    else:
        text = "p-value only"
    if pd.notna(r.get("p_value")):
        text += f", p {r.get('p_operator') or '='} {r['p_value']:g}"
    if r.get("analysis"):
        text += f" ({r['analysis']})"
    if r.get("outcome") and r.get("outcome_as_reported"):
        text += f" [{r['outcome']}]"
    return text


def _int(v) -> str:
    return "?" if v is None or pd.isna(v) else str(int(v))


@dataclass(frozen=True)
class Synthesis(FrameDisplay):
    """The pooled answers to every question: one row per question and analysis.

    ``pooled`` has the columns of :data:`POOLED_COLUMNS`; ``results`` maps
    ``(question slug, analysis name)`` to the fitted result object (for plotting);
    ``options`` are the choices made; ``sof`` (optional) is a summary of findings with at least
    the columns ``question`` and ``certainty`` (e.g. GRADE), put next to each answer in the report.
    """

    pooled: pd.DataFrame
    results: dict = field(repr=False)
    questions: tuple[Question, ...] = field(repr=False)
    options: SynthesisOptions = field(default_factory=SynthesisOptions)
    #: optional summary of findings (columns ``question``, ``certainty``), shown by the report
    sof: pd.DataFrame | None = field(default=None, repr=False)

    _display_title = "Pooled results (ratio scale)"

    def to_frame(self) -> pd.DataFrame:
        return self.pooled.copy()

    def _display_notes(self) -> list[str]:
        return self.options.describe()

    def __repr__(self) -> str:
        shown = [
            "question",
            "analysis",
            "status",
            "measure",
            "k",
            "estimate",
            "ci_lower",
            "ci_upper",
        ]
        n_q = self.pooled["question"].nunique() if len(self.pooled) else 0
        with pd.option_context("display.width", 120, "display.max_columns", 10):
            table = self.pooled[shown].to_string(index=False, float_format=lambda v: f"{v:.3g}")
        return f"Synthesis({len(self.pooled)} analyses of {n_q} questions)\n{table}"


#: measures pooled on the log scale and shown as ratios (MD, SMD and RD are differences)
RATIO_SCALE = ("HR", "OR", "RR", "IRR", "ROM")


def _continuous_measure(measure: str) -> str:
    """The ``continuous_measure`` of :func:`~evsynth.effects.effect_sizes` for a question."""
    return measure if measure in ("MD", "SMD", "ROM") else "MD"


def _measure_of(question: Question, options: SynthesisOptions) -> str:
    """The effect measure of a question, from its outcome's kind (and the protocol's measure)."""
    if question.kind == "time-to-event":
        return "HR"
    if question.kind == "rate":
        return "RR"
    if question.kind == "continuous":
        return options.measures.get(question.outcome, "MD")
    return options.measures.get(question.outcome, options.counts_measure)


def synthesize(
    evidence: pd.DataFrame,
    studies: pd.DataFrame | None = None,
    options: SynthesisOptions | None = None,
    *,
    protocol=None,
) -> Synthesis:
    """Answer every question with data: primary, Bayesian and sensitivity analyses.

    Parameters
    ----------
    evidence : the evidence table (columns of :data:`evsynth.extraction.schema.EVIDENCE_COLUMNS`).
    studies : the studies table (used to rank summary pages after full texts).
    options : analysis choices (:class:`SynthesisOptions`); by default those of ``protocol``.
    protocol : the review protocol (a :class:`~evsynth.protocol.Protocol`, a file or a bundled
        name) whose questions are answered; without ``options`` or a protocol no question is
        asked and ``pooled`` is empty.

    Returns
    -------
    Synthesis
        ``pooled`` has one row per question and analysis; questions with fewer than two poolable
        studies appear with what evidence exists and why it was not pooled.
    """
    from evsynth.effects import effect_sizes
    from evsynth.pooling import meta_analysis
    from evsynth.pooling.bayes import bayesian_meta_analysis

    if options is None and protocol is not None:
        from evsynth.protocol.loading import Protocol, load_protocol

        proto = protocol if isinstance(protocol, Protocol) else load_protocol(protocol)
        options = SynthesisOptions.from_protocol(proto)
    options = options or SynthesisOptions()
    summary = summary_reports_of(studies) if studies is not None else set()
    rows_out: list[dict] = []
    results: dict = {}
    questions = questions_from(evidence, options)
    for q in questions:
        poolable = _poolable(q.rows, q, options.counts_measure, _measure_of(q, options))
        proxies = set(options.proxies.get(q.outcome, ()))
        not_poolable = q.rows.drop(index=poolable.index)
        base = {
            "question": q.name,
            "intervention": q.intervention,
            "outcome": q.outcome,
        }
        measure = _measure_of(q, options)
        analyses: list[tuple[str, str, dict]] = [
            ("primary", "primary", dict(prefer_adjusted=options.prefer_adjusted)),
            ("bayesian", "bayesian", dict(prefer_adjusted=options.prefer_adjusted)),
        ]
        analyses.append(("REML, z test (metafor default)", "sensitivity", dict(test="z")))
        if q.kind == "time-to-event":
            analyses += [
                ("univariable HRs only", "sensitivity", dict(analysis="univariable")),
                ("multivariable HRs only", "sensitivity", dict(analysis="multivariable")),
            ]
        if proxies:
            analyses.append(
                (
                    f"without proxy ({', '.join(sorted(proxies))})",
                    "sensitivity",
                    dict(no_proxy=True),
                )
            )
        if summary:
            analyses.append(
                ("duplicate report counted twice", "sensitivity", dict(double_count=True))
            )

        primary_rows = None
        for name, role, spec in analyses:
            cand = poolable
            if spec.get("no_proxy"):
                cand = cand[cand["outcome"] == q.outcome]
            if spec.get("double_count"):
                if not cand["report"].isin(summary).any():
                    continue
                cand = cand.assign(
                    study_id=np.where(
                        cand["report"].isin(summary),
                        cand["study_id"] + " (summary page)",
                        cand["study_id"],
                    )
                )
            sel = select_one_per_study(
                cand,
                prefer_adjusted=spec.get("prefer_adjusted", options.prefer_adjusted),
                summary_reports=set() if spec.get("double_count") else summary,
                analysis=spec.get("analysis"),
            )
            chosen = sel.chosen
            row = dict(base, analysis=name, role=role, measure=measure, k=len(chosen))
            row["studies"] = "; ".join(chosen["study_id"]) if len(chosen) else ""
            row["row_ids"] = "; ".join(chosen["row_id"].astype(str)) if len(chosen) else ""
            row["proxy_accepted"] = (
                bool(chosen["outcome"].isin(proxies).any()) if len(chosen) else False
            )
            if role == "primary":
                primary_rows = row["row_ids"]
            elif (
                role == "sensitivity"
                and row["row_ids"] == primary_rows
                and (len(chosen) < 2 or "test" not in spec)
            ):
                continue  # the same rows as the primary analysis: it would repeat it
            notes = list(sel.notes)
            if row["proxy_accepted"]:
                used = sorted(set(chosen.loc[chosen["outcome"].isin(proxies), "study_id"]))
                notes.append(
                    f"{', '.join(used)}: {'/'.join(sorted(proxies))} used as a proxy for {q.outcome}."
                )
            if q.kind == "continuous" and role == "primary":
                other = q.rows[
                    q.rows["measure"].isin(["MD", "SMD"]) & (q.rows["measure"] != measure)
                ]
                if len(other):
                    notes.append(
                        f"{len(other)} row(s) report a {'/'.join(sorted(set(other['measure'])))} "
                        f"({', '.join(sorted(set(other['study_id'])))}), which cannot be pooled as "
                        f"{measure} without the arms' means and SDs; they are listed but not pooled."
                    )
            within = _within_contrasts(q.rows, q)
            if len(within) and role == "primary":
                notes.append(
                    f"{len(within)} row(s) compare levels of {q.intervention} with each other "
                    "(timing, duration or dose against a treated reference), not with "
                    f"{q.comparator_label}; they are listed but not pooled."
                )
            if len(chosen) < 2:
                if role == "bayesian" or (role != "primary" and len(chosen) == 0):
                    continue  # nothing to add beyond the primary row
                row["status"] = "not pooled" if len(chosen) == 0 else "single study"
                reasons = [
                    f"only one study ({row['studies']}) has a poolable estimate"
                    if len(chosen) == 1
                    else "no study has a poolable estimate"
                ]
                if len(not_poolable):
                    kinds = sorted(set(not_poolable["measure"]))
                    reasons.append(
                        f"other evidence: {len(not_poolable)} row(s) of kind {', '.join(kinds)}, "
                        "which cannot be pooled"
                    )
                row["reason"] = "; ".join(reasons)
                if len(chosen) == 1:
                    es = effect_sizes(
                        chosen,
                        counts_measure=options.counts_measure,
                        continuous_measure=_continuous_measure(measure),
                    )
                    res = meta_analysis(
                        es["yi"].to_numpy(),
                        es["vi"].to_numpy(),
                        labels=study_labels(chosen, q.outcome),
                        method=options.method,
                        test=spec.get("test", options.test),
                        measure=measure,
                    )
                    tf = np.exp if measure in RATIO_SCALE else (lambda v: v)
                    row.update(
                        method=res.method,
                        test=res.test,
                        pvalue=res.pvalue,
                        estimate=float(tf(res.estimate)),
                        ci_lower=float(tf(res.ci[0])),
                        ci_upper=float(tf(res.ci[1])),
                    )
                    notes.extend(res.notes)
                    results[(q.slug, name)] = res
                row["notes"] = " ".join(dict.fromkeys(notes))
                rows_out.append(row)
                continue
            es = effect_sizes(
                chosen,
                counts_measure=options.counts_measure,
                continuous_measure=_continuous_measure(measure),
            )
            labels = study_labels(chosen, q.outcome)
            if role == "bayesian":
                res = bayesian_meta_analysis(
                    es["yi"].to_numpy(),
                    es["vi"].to_numpy(),
                    labels=labels,
                    measure=measure,
                    tau_scale=options.tau_scale,
                )
                row.update(
                    method=f"Bayesian, half-normal(tau; {options.tau_scale})", test="posterior"
                )
            else:
                res = meta_analysis(
                    es["yi"].to_numpy(),
                    es["vi"].to_numpy(),
                    labels=labels,
                    method=options.method,
                    test=spec.get("test", options.test),
                    measure=measure,
                )
                row.update(
                    method=res.method, test=res.test, pvalue=res.pvalue, tau2=res.tau2, i2=res.i2
                )
                notes.extend(res.notes)
            ratio = measure in RATIO_SCALE
            tf = np.exp if ratio else (lambda v: v)
            if role == "bayesian":
                est, ci = res.mu_median, res.mu_ci
                row["tau2"] = float(res.tau_median**2)
                row["pvalue"] = np.nan
                if ratio:
                    row["prob_below_1"] = float(res.prob_mu_below_zero)
                notes.append(
                    f"Posterior median tau = {res.tau_median:.3g}; posterior probability that the "
                    f"{measure} is below 1: {res.prob_mu_below_zero:.2f}."
                    if ratio
                    else f"Posterior median tau = {res.tau_median:.3g}."
                )
            else:
                est, ci = res.estimate, res.ci
            converged = getattr(res, "converged", True)
            row.update(
                status="pooled" if converged else "pooled, NOT converged",
                estimate=float(tf(est)),
                ci_lower=float(tf(ci[0])),
                ci_upper=float(tf(ci[1])),
                pi_lower=float(tf(res.pi[0])) if res.pi is not None else np.nan,
                pi_upper=float(tf(res.pi[1])) if res.pi is not None else np.nan,
            )
            row["notes"] = " ".join(dict.fromkeys(notes))
            results[(q.slug, name)] = res
            rows_out.append(row)
    pooled = pd.DataFrame(rows_out).reindex(columns=POOLED_COLUMNS)
    return Synthesis(pooled=pooled, results=results, questions=tuple(questions), options=options)
