"""The parts of a review protocol as frozen values: arms, outcomes, questions, the analysis
plan and risk-of-bias judgements (the :class:`~evsynth.protocol.Protocol` that holds them is in
:mod:`evsynth.protocol.loading`). Every value here has been validated on loading. Nothing in
this module knows any topic: the vocabulary is the reviewer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "OUTCOME_KINDS",
    "HIGHER_IS",
    "METHODS",
    "TESTS",
    "COUNTS_MEASURES",
    "CONTINUOUS_MEASURES",
    "Arm",
    "Outcome",
    "Question",
    "AnalysisPlan",
    "RiskOfBias",
]

#: what an outcome measures, which decides the effect measure of its question
OUTCOME_KINDS = ("binary", "time-to-event", "rate", "continuous")
#: the direction of benefit of an outcome
HIGHER_IS = ("better", "worse")
#: tau² estimators and tests accepted in ``analysis`` (the names of evsynth.pooling / metafor)
METHODS = ("DL", "REML", "ML", "PM", "EB", "SJ", "HE", "HS", "FE", "EE")
TESTS = ("z", "knha", "adhoc")
#: effect measures for two-arm counts of a binary outcome
COUNTS_MEASURES = ("OR", "RR", "RD")
#: effect measures for a continuous outcome (metafor ``escalc`` codes)
CONTINUOUS_MEASURES = ("MD", "SMD", "ROM")


@dataclass(frozen=True)
class Arm:
    """An intervention or comparator: its normalized label and the words papers use for it."""

    label: str
    terms: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Outcome:
    """An outcome of the review.

    Attributes
    ----------
    label : the normalized label written into the evidence table's ``outcome`` column.
    terms : words papers use for it (matched as words; see :mod:`evsynth.protocol.terms`).
    kind : "binary", "time-to-event", "rate" or "continuous".
    proxies : outcome labels accepted in its place, each with a sensitivity analysis without it.
    higher_is : "better" or "worse" (the direction of benefit, used for favours labels and
        GRADE thresholds); "" when the protocol does not say (then: time-to-event outcomes and
        binary outcomes are assumed harmful events, i.e. lower is better, and the report says so).
    measure : effect measure of the question ("MD", "SMD", "ROM" for continuous outcomes;
        "OR", "RR", "RD" for binary outcomes pooled from counts; "" for the analysis default).
    unit : unit of a continuous outcome ("points", "days", "mmHg"), "" if none.
    proxy_only : true for a label that appears only as another outcome's proxy (its terms are
        the label itself); such outcomes get no question of their own.
    """

    label: str
    terms: tuple[str, ...]
    kind: str
    proxies: tuple[str, ...] = ()
    higher_is: str = ""
    measure: str = ""
    unit: str = ""
    description: str = ""
    proxy_only: bool = False

    @property
    def lower_is_better(self) -> bool:
        """The direction used when drawing and grading: the protocol's, else lower is better."""
        return self.higher_is != "better"


@dataclass(frozen=True)
class Question:
    """One question of the review: an intervention against a comparator on an outcome."""

    intervention: str
    outcome: str
    comparator: str = ""
    name: str = ""
    subgroups: bool = False

    @property
    def title(self) -> str:
        """The question in words, as the report and figures print it."""
        if self.name:
            return self.name
        versus = f" versus {self.comparator}" if self.comparator else ""
        return f"{self.intervention}{versus} on {self.outcome}"


@dataclass(frozen=True)
class AnalysisPlan:
    """The planned analysis (the protocol's ``analysis`` block; defaults are evsynth's).

    Attributes
    ----------
    method : tau² estimator of the primary analysis (default REML).
    test : test and CI of the pooled effect: "adhoc" (Hartung-Knapp-Sidik-Jonkman with the
        variance factor floored at 1; default), "knha" or "z".
    counts_measure : effect measure for two-arm counts when the outcome does not name one.
    tau_prior_scale : scale of the half-normal prior on tau of the Bayesian analysis.
    prefer_adjusted : prefer adjusted (multivariable) estimates as a study's one estimate.
    level : confidence level of every interval.
    """

    method: str = "REML"
    test: str = "adhoc"
    counts_measure: str = "OR"
    tau_prior_scale: float = 0.5
    prefer_adjusted: bool = True
    level: float = 0.95


@dataclass(frozen=True)
class RiskOfBias:
    """Risk-of-bias judgements: the tool, and per study a judgement per domain.

    ``studies`` maps a study id to ``{domain: judgement}`` exactly as written (validated for the
    tool by :mod:`evsynth.protocol.risk_of_bias` when that module knows the tool); ``support``
    maps a study id to ``{domain: supporting quote}``.
    """

    tool: str
    studies: dict[str, dict[str, str]] = field(default_factory=dict)
    support: dict[str, dict[str, str]] = field(default_factory=dict)
