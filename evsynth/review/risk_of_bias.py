"""Risk-of-bias judgements of a run: the overall judgement per study by the tool's algorithm,
the weighted share of each judgement per domain (robvis's summary), and the check that every
judged study is a study of the run.

Overall judgements (unless the protocol gives ``overall``):

* RoB 2: the worst domain (Sterne et al. 2019, BMJ 366:l4898, Table 3: low only if every domain
  is low; high if any domain is high).
* ROBINS-I: the worst domain; "no information" when no domain is serious or critical but one
  lacks information (Sterne et al. 2016, BMJ 355:i4919, Table 3).
* NOS: good / fair / poor from the stars by the AHRQ thresholds (good: selection 3-4,
  comparability 1-2, outcome 2-3; fair: selection 2 and the same; poor: otherwise), shown on the
  colour scale as low / some concerns / high.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth.errors import ManuscriptError
from evsynth.protocol.risk_of_bias import Tool, domain_key, judgement_word, stars_of, tool_named

__all__ = ["RiskOfBiasAssessment", "risk_of_bias_assessment", "CONCERN", "overall_judgement"]

#: judgement word -> level of concern (0 low ... 3 critical; -1 no information), shared by the
#: colours of the plots and the GRADE rating
CONCERN = {
    "low": 0,
    "good": 0,
    "some concerns": 1,
    "moderate": 1,
    "fair": 1,
    "high": 2,
    "serious": 2,
    "poor": 2,
    "critical": 3,
    "no information": -1,
}


def _nos_rating(stars: dict[str, int]) -> str:
    s, c, o = stars["selection"], stars["comparability"], stars["outcome"]
    if c >= 1 and o >= 2 and s >= 3:
        return "good"
    if c >= 1 and o >= 2 and s == 2:
        return "fair"
    return "poor"


def overall_judgement(tool: Tool, domains: dict[str, str]) -> str:
    """The overall judgement of one study from its domain judgements (see the module notes).

    >>> from evsynth.protocol.risk_of_bias import TOOLS
    >>> overall_judgement(TOOLS["RoB 2"], {"D1": "low", "D2": "some concerns", "D3": "low",
    ...                                    "D4": "low", "D5": "low"})
    'some concerns'
    """
    if tool.stars is not None:
        return _nos_rating({d: stars_of(domains[d]) for d in tool.stars})
    words = [domains[d] for d in tool.domains]
    known = [w for w in words if w != "no information"]
    worst = max(known, key=lambda w: CONCERN[w]) if known else "no information"
    if "no information" in words and (not known or CONCERN[worst] < 2):
        return "no information"
    return worst


@dataclass(frozen=True)
class RiskOfBiasAssessment(FrameDisplay):
    """Risk of bias of the studies of a run.

    Attributes
    ----------
    tool : the tool's name ("RoB 2", "ROBINS-I", "NOS").
    domains : domain key -> domain name.
    judgements : one row per study: ``study_id``, one column per domain key, ``overall`` and
        ``overall_given`` (True when the protocol gave it, False when the algorithm made it).
    support : study id -> {domain: supporting quote}.
    """

    tool: str
    domains: dict[str, str]
    judgements: pd.DataFrame = field(repr=False)
    support: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    _display_title = "Risk of bias"

    def to_frame(self) -> pd.DataFrame:
        return self.judgements.copy()

    def __repr__(self) -> str:
        counts = self.judgements["overall"].value_counts().to_dict()
        return (
            f"RiskOfBiasAssessment({self.tool}, {len(self.judgements)} studies, overall {counts})"
        )

    def overall_of(self, study_id: str) -> str:
        """The overall judgement of a study ("" when it was not assessed)."""
        row = self.judgements[self.judgements["study_id"] == study_id]
        return "" if row.empty else str(row.iloc[0]["overall"])

    def domain_summary(self, weights: dict[str, float] | None = None) -> pd.DataFrame:
        """Share (percent) of studies, or of the weight, at each judgement per domain.

        Parameters
        ----------
        weights : study id -> weight (e.g. the primary analysis's percent weights, as robvis's
            weighted summary plot); None for equal weights. Studies without a weight count 0.

        Returns
        -------
        DataFrame with ``domain, name, judgement, share`` (share in percent, summing to 100
        per domain).
        """
        j = self.judgements
        w = (
            np.ones(len(j))
            if weights is None
            else np.array([float(weights.get(s, 0.0)) for s in j["study_id"]])
        )
        if w.sum() <= 0:
            raise ManuscriptError(
                "risk_of_bias: none of the judged studies has a weight in this analysis "
                f"(judged: {', '.join(j['study_id'])}); check the study ids against studies.csv"
            )
        rows = []
        for key, name in [*self.domains.items(), ("overall", "Overall")]:
            for word in dict.fromkeys(j[key]):
                share = 100.0 * w[(j[key] == word).to_numpy()].sum() / w.sum()
                if share > 0:
                    rows.append({"domain": key, "name": name, "judgement": word, "share": share})
        return pd.DataFrame(rows)


def _domain_word(tool: Tool, value: str) -> str:
    """A judgement as stored: the tool's word, or for NOS the number of stars (an overall NOS
    rating stays a word)."""
    word = value.strip().lower()
    if tool.stars is None:
        return judgement_word(tool, value) or value
    return word if word in ("good", "fair", "poor") else str(stars_of(value))


def risk_of_bias_assessment(rob, study_ids=None) -> RiskOfBiasAssessment:
    """The risk-of-bias assessment of a protocol's ``risk_of_bias`` block, for a run's studies.

    Parameters
    ----------
    rob : :class:`evsynth.protocol.model.RiskOfBias` (validated on loading).
    study_ids : the run's study ids (``studies.csv``); a judged study that is not one of them is
        an error (a misspelt id would silently drop a judgement otherwise). None: not checked.

    Raises
    ------
    ManuscriptError : a judged study is not a study of the run (one line naming the key).
    """
    tool = tool_named(rob.tool)
    if tool is None:  # validated on loading; a RiskOfBias built in code may still be wrong
        raise ManuscriptError(f"risk_of_bias.tool: {rob.tool!r} is not RoB 2, ROBINS-I or NOS")
    if study_ids is not None:
        known = list(dict.fromkeys(str(s) for s in study_ids))
        for sid in rob.studies:
            if sid not in known:
                raise ManuscriptError(
                    f"risk_of_bias.studies.{sid}: not a study of this run; the studies are "
                    f"{', '.join(known)} (see studies.csv)"
                )
    rows = []
    for sid, doms in rob.studies.items():
        by_key = {domain_key(tool, d): _domain_word(tool, v) for d, v in doms.items()}
        given = "overall" in by_key
        overall = by_key.pop("overall") if given else overall_judgement(tool, by_key)
        if tool.stars is None:
            overall = judgement_word(tool, overall) or overall
        else:
            overall = overall.strip().lower()
        rows.append({"study_id": sid, **by_key, "overall": overall, "overall_given": given})
    frame = pd.DataFrame(rows, columns=["study_id", *tool.domains, "overall", "overall_given"])
    return RiskOfBiasAssessment(tool.name, dict(tool.domains), frame, dict(rob.support))
