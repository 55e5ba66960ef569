"""GRADE summary of findings: per question the studies, participants, relative and absolute
effects and the certainty of the evidence, with every rating down named in plain words.

The rules follow the GRADE Handbook (Schünemann et al. 2013) and the GRADE guidelines series in
J Clin Epidemiol; each choice below is stated in ``docs/manuscript.md`` and can be overridden
per question in the protocol's ``grade.overrides`` (the override is shown as such).

* **Start**: high for randomised studies, low when any pooled study is observational (Balshem
  et al. 2011, GRADE 3). A study's design is the protocol's ``studies.<id>.design``, else
  "randomised" when the paper's design says so, else observational.
* **Risk of bias** (Guyatt et al. 2011, GRADE 4), from the studies' overall judgements weighted
  by the primary analysis's weights: down 1 when more than half of the weight is at serious/high
  risk or not assessed, down 2 when more than half is at critical risk.
* **Inconsistency** (Guyatt et al. 2011, GRADE 7), k >= 2: I² >= 50%, study CIs that do not
  overlap, or a prediction interval that includes no effect while the CI excludes it; down 1
  for one of these, 2 for I² >= 75% with another.
* **Indirectness** (GRADE 8): down 1 when a proxy outcome was accepted or a pooled study's
  comparator is not the question's (e.g. placebo for a question against usual care); population
  differences are a reviewer's judgement (``grade.overrides``).
* **Imprecision** (Guyatt et al. 2011, GRADE 6): the CI includes no effect, the optimal
  information size is not met, or fewer than 3 studies: down 1; the CI includes both decision
  thresholds (default for ratios 0.8 and 1.25, a 25% relative change): down 2. The optimal
  information size of a binary outcome is the two-arm sample size to detect a 25% relative risk
  reduction from the median control risk (alpha 0.05 two-sided, power 0.8); otherwise the
  protocol's ``optimal_information_size`` or 400 participants (GRADE 6's rule of thumb).
* **Publication bias** (GRADE 5): Egger's test only with 10 or more studies (Sterne et al.
  2011, BMJ 343:d4002); down 1 when p < 0.10. With fewer studies it is not assessed (said so).

Certainty: the start (4 high, 2 low) minus the ratings, floored at 1: high, moderate, low, very
low.

Absolute effect per 1000 for a binary outcome pooled from 2x2 counts: the assumed risk is the
median control-arm risk of the pooled studies (its range given), and the intervention risk
follows from the pooled ratio: ``OR p0 / (1 - p0 + OR p0)`` for an odds ratio, ``RR p0`` for a
risk ratio, ``p0 + RD`` for a risk difference (GRADE Handbook 5.2.2).
"""

from __future__ import annotations

import datetime
import io
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from evsynth._shared.display import FrameDisplay
from evsynth._shared.files import atomic_write_bytes
from evsynth.errors import ManuscriptError

__all__ = [
    "SOF_COLUMNS",
    "CERTAINTY",
    "Rating",
    "SummaryOfFindings",
    "summary_of_findings",
    "optimal_information_size",
    "absolute_risk",
]

SOF_COLUMNS = [
    "question",
    "outcome",
    "k",
    "participants",
    "relative_effect",
    "ci_lower",
    "ci_upper",
    "absolute_effect",
    "certainty",
    "downgrades",
]
#: the headers of the table as printed (report.html, sof.docx); rows from ``display_row``
SOF_HEADERS = [
    "Question",
    "Studies (participants)",
    "Relative effect (95% CI)",
    "Absolute effect",
    "Certainty",
    "Reasons for rating down",
]
CERTAINTY = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
_WORDS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
}
RATIO_MEASURES = ("HR", "OR", "RR", "IRR", "ROM")
DEFAULT_RATIO_THRESHOLDS = (0.8, 1.25)
DEFAULT_OIS = 400


@dataclass(frozen=True)
class Rating:
    """One GRADE domain of one question: how many levels down (0, -1, -2) and why.

    ``override`` is True when the protocol's ``grade.overrides`` set it (``computed`` then holds
    what evsynth's rule gave, for the record).
    """

    domain: str
    rating: int
    reason: str
    override: bool = False
    computed: int | None = None

    @property
    def text(self) -> str:
        """``domain: reason`` as the ``downgrades`` column prints it."""
        levels = " (rated down two levels)" if self.rating == -2 else ""
        who = " (reviewer's override)" if self.override else ""
        return f"{_WORDS[self.domain]}{levels}{who}: {self.reason}"


@dataclass(frozen=True)
class SummaryOfFindings(FrameDisplay):
    """The summary-of-findings table and the ratings behind each certainty.

    Attributes
    ----------
    table : one row per question, the columns of :data:`SOF_COLUMNS`.
    measures : question -> effect measure of ``relative_effect``.
    ratings : question -> the five :class:`Rating` s (rating 0 with a note when not rated down).
    start : question -> "high" or "low" and why.
    """

    table: pd.DataFrame
    measures: dict[str, str] = field(default_factory=dict)
    ratings: dict[str, tuple[Rating, ...]] = field(default_factory=dict, repr=False)
    start: dict[str, str] = field(default_factory=dict)

    _display_title = "GRADE summary of findings"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{q}: {c}"
            for q, c in zip(self.table["question"], self.table["certainty"], strict=True)
        )
        return f"SummaryOfFindings({len(self.table)} questions; {shown})"

    def details(self) -> pd.DataFrame:
        """Every domain of every question: ``question, domain, rating, reason, override``."""
        rows = [
            {
                "question": q,
                "domain": _WORDS[r.domain],
                "rating": r.rating,
                "reason": r.reason,
                "override": r.override,
            }
            for q, rs in self.ratings.items()
            for r in rs
        ]
        return pd.DataFrame(rows, columns=["question", "domain", "rating", "reason", "override"])

    def to_docx(self, path: str | Path, title: str = "Summary of findings") -> Path:
        """Write the table as a Word document (python-docx) a reviewer pastes into a manuscript."""
        import docx
        from docx.shared import Pt

        document = docx.Document()
        document.add_heading(title, level=1)
        headers = SOF_HEADERS
        table = document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, h in zip(table.rows[0].cells, headers, strict=True):
            cell.text = h
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for _, r in self.table.iterrows():
            cells = table.add_row().cells
            for cell, value in zip(cells, self.display_row(r), strict=True):
                cell.text = value
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(8)
        for q, why in self.start.items():
            document.add_paragraph(f"{q}: certainty started {why}.", style="List Bullet")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        # fixed metadata, so that two runs write identical files
        stamp = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        props = document.core_properties
        props.created = props.modified = stamp
        props.author = props.last_modified_by = "evsynth"
        props.revision = 1
        document.save(buf)
        return atomic_write_bytes(path, _zip_without_dates(buf.getvalue()))

    def display_row(self, r: pd.Series) -> list[str]:
        """A table row in words: question, k (participants), effect (CI), absolute, certainty,
        reasons."""
        measure = self.measures.get(r["question"], "")
        if pd.notna(r["relative_effect"]):
            effect = (
                f"{measure} {_num(r['relative_effect'])} "
                f"({_num(r['ci_lower'])} to {_num(r['ci_upper'])})"
            )
        else:
            effect = "not estimable"
        people = "" if pd.isna(r["participants"]) else f" ({int(r['participants'])})"
        return [
            str(r["question"]),
            f"{int(r['k'])}{people}",
            effect,
            str(r["absolute_effect"] or ""),
            str(r["certainty"]),
            str(r["downgrades"] or "none"),
        ]


def _zip_without_dates(data: bytes) -> bytes:
    """The same zip archive with every entry dated 1980-01-01 (identical bytes run to run)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _num(v: float) -> str:
    return f"{v:.2f}" if 0.01 <= abs(v) < 100 else f"{v:.3g}"


def optimal_information_size(
    control_risk: float, rrr: float = 0.25, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Total participants (both arms) to detect a relative risk reduction ``rrr`` from a control
    risk, by the normal-approximation two-proportion formula (GRADE 6, Guyatt et al. 2011)::

        n per arm = (z_{1-alpha/2} + z_{power})² (p0 (1 - p0) + p1 (1 - p1)) / (p0 - p1)²

    with ``p1 = (1 - rrr) p0``.

    >>> optimal_information_size(0.2)  # p0 0.2, p1 0.15: 2.8016² x 0.2875 / 0.0025 = 902.6
    1806
    """
    p0 = control_risk
    p1 = (1 - rrr) * p0
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    per_arm = z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2
    return 2 * math.ceil(per_arm)


def absolute_risk(measure: str, effect: float, control_risk: float) -> float:
    """The intervention risk implied by a pooled effect at an assumed control risk (GRADE
    Handbook 5.2.2): OR ``OR p0 / (1 - p0 + OR p0)``, RR ``RR p0``, RD ``p0 + RD``."""
    p0 = control_risk
    if measure == "OR":
        return effect * p0 / (1 - p0 + effect * p0)
    if measure == "RR":
        return effect * p0
    if measure == "RD":
        return p0 + effect
    raise ManuscriptError(f"absolute effects need an OR, RR or RD, not {measure}")


def _per_1000(diff: float) -> str:
    n = round(1000 * diff)
    return f"{abs(n)} {'more' if n > 0 else 'fewer'}" if n else "0 more"


def _design_of(study_id: str, protocol, studies: pd.DataFrame | None) -> tuple[str, str]:
    if protocol is not None and protocol.studies.get(study_id, {}).get("design"):
        return protocol.studies[study_id]["design"], "protocol"
    text = ""
    if studies is not None and "design" in studies:
        match = studies[studies["study_id"] == study_id]
        if len(match):
            text = str(match.iloc[0]["design"] or "")
    if "random" in text.lower() and "non-random" not in text.lower():
        return "randomised", f"paper: {text}"
    return "observational", f"paper: {text}" if text else "not stated (taken as observational)"


def _participants(chosen: pd.DataFrame, studies: pd.DataFrame | None) -> tuple[float, list[str]]:
    total, unknown = 0, []
    for _, r in chosen.iterrows():
        if pd.notna(r.get("total_int")) and pd.notna(r.get("total_ctl")):
            total += int(r["total_int"]) + int(r["total_ctl"])
            continue
        n = np.nan
        if studies is not None and "n_total" in studies:
            m = studies[studies["study_id"] == r["study_id"]]
            if len(m) and pd.notna(m.iloc[0]["n_total"]):
                n = m.iloc[0]["n_total"]
        if pd.isna(n):
            unknown.append(str(r["study_id"]))
        else:
            total += int(n)
    return (float(total) if len(unknown) < len(chosen) else np.nan), unknown


def _thresholds(grade: dict, question: str, outcome: str, ratio: bool):
    given = (grade.get("thresholds") or {}) if grade else {}
    for key in (question, outcome):
        if key in given:
            return tuple(float(v) for v in given[key]), f"the protocol's thresholds for {key}"
    if ratio:
        return DEFAULT_RATIO_THRESHOLDS, "default thresholds: a 25% relative change"
    return None, ""


def _risk_of_bias_rating(chosen, weights, assessment) -> Rating:
    from evsynth.review.risk_of_bias import CONCERN

    ids = list(chosen["study_id"].astype(str))
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(ids), 1 / len(ids))
    overall = [assessment.overall_of(s) if assessment is not None else "" for s in ids]
    level = np.array([CONCERN.get(o, 2) if o else 2 for o in overall])
    missing = [s for s, o in zip(ids, overall, strict=True) if not o]
    serious = float(w[level >= 2].sum())
    critical = float(w[level >= 3].sum())
    if critical > 0.5:
        names = [s for s, lv in zip(ids, level, strict=True) if lv >= 3]
        return Rating(
            "risk_of_bias",
            -2,
            f"{100 * critical:.0f}% of the weight comes from studies at critical risk of bias "
            f"({', '.join(names)})",
        )
    if serious > 0.5:
        judged = [
            f"{s} ({o})" for s, o, lv in zip(ids, overall, level, strict=True) if lv >= 2 and o
        ]
        parts = []
        if judged:
            parts.append(f"at serious or high risk of bias ({', '.join(judged)})")
        if missing:
            parts.append(f"without a risk-of-bias judgement ({', '.join(missing)})")
        return Rating(
            "risk_of_bias",
            -1,
            f"{100 * serious:.0f}% of the weight comes from studies " + " or ".join(parts),
        )
    return Rating("risk_of_bias", 0, "most of the weight is from studies at low or moderate risk")


def _inconsistency_rating(row: pd.Series, res, ratio: bool) -> Rating:
    k = int(row["k"])
    if k < 2 or res is None:
        return Rating("inconsistency", 0, "not assessable with one study")
    reasons = []
    i2 = float(row["i2"]) if pd.notna(row["i2"]) else 0.0
    if i2 >= 50:
        reasons.append(f"I² = {i2:.0f}%")
    yi, sei = np.asarray(res.yi), np.sqrt(np.asarray(res.vi))
    z = stats.norm.ppf(0.975)
    if (yi - z * sei).max() > (yi + z * sei).min():
        reasons.append("the confidence intervals of some studies do not overlap")
    null = 1.0 if ratio else 0.0
    lo, hi, plo, phi = (row[c] for c in ("ci_lower", "ci_upper", "pi_lower", "pi_upper"))
    if pd.notna(plo) and not (lo <= null <= hi) and plo <= null <= phi:
        reasons.append(
            f"the prediction interval ({_num(plo)} to {_num(phi)}) includes no effect although "
            "the confidence interval does not"
        )
    if not reasons:
        return Rating("inconsistency", 0, f"I² = {i2:.0f}%, study intervals overlap")
    rating = -2 if i2 >= 75 and len(reasons) > 1 else -1
    return Rating("inconsistency", rating, "; ".join(reasons))


def _indirectness_rating(
    row: pd.Series, chosen: pd.DataFrame, outcome: str, comparator: str, intervention: str
) -> Rating:
    reasons = []
    if bool(row.get("proxy_accepted")):
        used = chosen[chosen["outcome"] != outcome]
        what = ", ".join(f"{r['outcome']} in {r['study_id']}" for _, r in used.iterrows())
        reasons.append(f"a proxy outcome was accepted for {outcome} ({what})")
    if comparator:
        cmp = chosen["comparator"].fillna("").astype(str)
        # "no <intervention>" is the untreated arm as evsynth labels it, not another comparator
        other = chosen[~cmp.isin(["", comparator, f"no {intervention}"])]
        if len(other):
            what = ", ".join(f"{r['comparator']} in {r['study_id']}" for _, r in other.iterrows())
            reasons.append(f"the comparator differs from the protocol's {comparator} ({what})")
    if reasons:
        return Rating("indirectness", -1, "; ".join(reasons))
    return Rating(
        "indirectness",
        0,
        "the outcome and comparator are the protocol's; differences of population are the "
        "reviewer's judgement (grade.overrides)",
    )


def _imprecision_rating(row, measure, participants, control_risks, grade, question) -> Rating:
    ratio = measure in RATIO_MEASURES
    null = 1.0 if ratio else 0.0
    lo, hi = float(row["ci_lower"]), float(row["ci_upper"])
    thresholds, source = _thresholds(grade, question, str(row["outcome"]), ratio)
    ci = f"the 95% CI ({_num(lo)} to {_num(hi)})"
    reasons, rating = [], 0
    if thresholds is not None and lo < thresholds[0] and hi > thresholds[1]:
        reasons.append(
            f"{ci} includes both {_num(thresholds[0])} and {_num(thresholds[1])} ({source}): "
            "important benefit and important harm"
        )
        rating = -2
    elif lo < null < hi:
        reasons.append(f"{ci} includes no effect ({_num(null)})")
        rating = -1
    if grade and "optimal_information_size" in grade:
        ois, how = int(grade["optimal_information_size"]), "the protocol's"
    elif len(control_risks) and measure in ("OR", "RR", "RD") and 0 < np.median(control_risks) < 1:
        ois = optimal_information_size(float(np.median(control_risks)))
        how = f"for a 25% relative risk reduction from a control risk of {np.median(control_risks):.2f}"
    else:
        ois, how = DEFAULT_OIS, "GRADE's rule of thumb"
    if pd.isna(participants) or participants < ois:
        have = "unknown" if pd.isna(participants) else f"{int(participants)}"
        reasons.append(f"{have} participants, below the optimal information size of {ois} ({how})")
        rating = min(rating, -1)
    if int(row["k"]) < 3:
        reasons.append(f"only {int(row['k'])} {'study' if int(row['k']) == 1 else 'studies'}")
        rating = min(rating, -1)
    if not reasons:
        return Rating("imprecision", 0, f"{ci} excludes no effect and the information size is met")
    return Rating("imprecision", rating, "; ".join(reasons))


def _publication_bias_rating(res) -> Rating:
    k = 0 if res is None else int(res.k)
    if k < 10:
        return Rating(
            "publication_bias",
            0,
            f"not assessed: {k} {'study' if k == 1 else 'studies'}, a funnel test needs 10 or more",
        )
    eg = res.egger()
    if eg.pvalue < 0.10:
        return Rating(
            "publication_bias", -1, f"Egger's test p = {eg.pvalue:.3f} (funnel asymmetry)"
        )
    return Rating("publication_bias", 0, f"Egger's test p = {eg.pvalue:.2f}")


def _override(computed: Rating, spec: dict) -> Rating:
    return Rating(
        computed.domain, int(spec["rating"]), str(spec["reason"]).strip(), True, computed.rating
    )


def summary_of_findings(
    synthesis,
    protocol=None,
    *,
    studies: pd.DataFrame | None = None,
    risk_of_bias=None,
) -> SummaryOfFindings:
    """The GRADE summary of findings of a synthesis's primary analyses (rules in the module notes).

    Parameters
    ----------
    synthesis : :class:`evsynth.review.synthesis.Synthesis`.
    protocol : the :class:`~evsynth.protocol.Protocol` (designs, risk of bias, ``grade``
        thresholds and overrides); None: no overrides, designs from ``studies``.
    studies : the run's studies table (designs and participants of studies reported as ratios).
    risk_of_bias : a :class:`~evsynth.review.risk_of_bias.RiskOfBiasAssessment`; by default made
        from the protocol's ``risk_of_bias`` (checked against ``studies``).

    Raises
    ------
    ManuscriptError : ``grade.overrides`` or ``grade.thresholds`` names no question or outcome
        of the run.
    """
    from evsynth.review.risk_of_bias import risk_of_bias_assessment

    grade = (protocol.grade if protocol is not None else None) or {}
    if risk_of_bias is None and protocol is not None and protocol.risk_of_bias is not None:
        ids = studies["study_id"] if studies is not None else None
        risk_of_bias = risk_of_bias_assessment(protocol.risk_of_bias, ids)
    names = [q.name for q in synthesis.questions]
    for q in grade.get("overrides") or {}:
        if q not in names:
            raise ManuscriptError(
                f"grade.overrides.{q}: not a question of this run; the questions are "
                f"{', '.join(names)}"
            )
    outcomes = {q.outcome for q in synthesis.questions}
    for key in grade.get("thresholds") or {}:
        if key not in names and key not in outcomes:
            raise ManuscriptError(
                f"grade.thresholds.{key}: not a question or outcome of this run "
                f"({', '.join([*names, *sorted(outcomes)])})"
            )
    pooled = synthesis.pooled
    rows, measures, ratings, starts = [], {}, {}, {}
    for q in synthesis.questions:
        prim = pooled[(pooled["question"] == q.name) & (pooled["role"] == "primary")]
        if prim.empty:
            continue
        row = prim.iloc[0]
        measure = str(row["measure"])
        measures[q.name] = measure
        ids = [i for i in str(row["row_ids"] or "").split("; ") if i and i != "nan"]
        chosen = q.rows.set_index(q.rows["row_id"].astype(str)).loc[ids] if ids else q.rows.iloc[:0]
        k = int(row["k"])
        if k == 0 or pd.isna(row["estimate"]):
            rows.append(
                dict(
                    question=q.name,
                    outcome=q.outcome,
                    k=k,
                    participants=np.nan,
                    relative_effect=np.nan,
                    ci_lower=np.nan,
                    ci_upper=np.nan,
                    absolute_effect="",
                    certainty="not assessable",
                    downgrades="no study has a poolable estimate",
                )
            )
            continue
        res = synthesis.results.get((q.slug, "primary"))
        weights = res.weights if res is not None and len(res.weights) == len(chosen) else [1.0] * k
        participants, _unknown = _participants(chosen, studies)
        counts = chosen[
            (chosen["measure"] == "counts")
            & chosen["total_ctl"].notna()
            & (chosen["total_ctl"] > 0)
        ]
        control_risks = (counts["events_ctl"] / counts["total_ctl"]).to_numpy(dtype=float)
        designs = {s: _design_of(s, protocol, studies) for s in chosen["study_id"].astype(str)}
        if all(d == "randomised" for d, _ in designs.values()):
            start, starts[q.name] = 4, "high: every pooled study is randomised"
        else:
            obs = [s for s, (d, _) in designs.items() if d != "randomised"]
            start, starts[q.name] = 2, f"low: observational evidence ({', '.join(obs)})"
        computed = (
            _risk_of_bias_rating(chosen, weights, risk_of_bias),
            _inconsistency_rating(row, res, measure in RATIO_MEASURES),
            _indirectness_rating(row, chosen, q.outcome, q.comparator, q.intervention),
            _imprecision_rating(row, measure, participants, control_risks, grade, q.name),
            _publication_bias_rating(res),
        )
        over = (grade.get("overrides") or {}).get(q.name, {})
        final = tuple(_override(r, over[r.domain]) if r.domain in over else r for r in computed)
        ratings[q.name] = final
        score = max(1, start + sum(r.rating for r in final))
        absolute = ""
        if len(control_risks) == len(chosen) and measure in ("OR", "RR", "RD"):
            p0 = float(np.median(control_risks))
            diffs = [
                absolute_risk(measure, float(row[c]), p0) - p0
                for c in ("estimate", "ci_lower", "ci_upper")
            ]
            absolute = (
                f"{_per_1000(diffs[0])} per 1000 (from {_per_1000(diffs[1])} to "
                f"{_per_1000(diffs[2])}); assumed risk {round(1000 * p0)} per 1000 "
                f"(control arms: {round(1000 * control_risks.min())} to "
                f"{round(1000 * control_risks.max())})"
            )
        rows.append(
            dict(
                question=q.name,
                outcome=q.outcome,
                k=k,
                participants=participants,
                relative_effect=float(row["estimate"]),
                ci_lower=float(row["ci_lower"]),
                ci_upper=float(row["ci_upper"]),
                absolute_effect=absolute,
                certainty=CERTAINTY[score],
                downgrades="; ".join(r.text for r in final if r.rating < 0),
            )
        )
    table = pd.DataFrame(rows, columns=SOF_COLUMNS)
    table["participants"] = table["participants"].astype("Int64")
    return SummaryOfFindings(table, measures, ratings, starts)
