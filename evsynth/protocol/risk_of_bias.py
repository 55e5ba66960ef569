"""Risk-of-bias tools: their domains and judgement words, and the validation of the protocol's
``risk_of_bias`` block (called by :mod:`evsynth.protocol.loading` on every load).

Three tools are known:

* **RoB 2** (Sterne et al. 2019, BMJ 366:l4898): domains D1-D5 (randomisation process,
  deviations from intended interventions, missing outcome data, measurement of the outcome,
  selection of the reported result) judged *low*, *some concerns* or *high*.
* **ROBINS-I** (Sterne et al. 2016, BMJ 355:i4919): domains D1-D7 (confounding, selection of
  participants, classification of interventions, deviations from intended interventions,
  missing data, measurement of outcomes, selection of the reported result) judged *low*,
  *moderate*, *serious*, *critical* or *no information*.
* **NOS**, the Newcastle-Ottawa Scale (Wells et al.): stars per domain, *selection* 0-4,
  *comparability* 0-2 and *outcome* (cohort) or *exposure* (case-control) 0-3.

Each study may also give ``overall``; without it the overall judgement follows the tool's
algorithm (:mod:`evsynth.review.risk_of_bias`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evsynth.errors import ProtocolError

__all__ = ["Tool", "TOOLS", "tool_named", "validate"]


@dataclass(frozen=True)
class Tool:
    """A risk-of-bias tool.

    Attributes
    ----------
    name : the tool's name as printed.
    domains : domain key -> domain name in words.
    judgements : allowed judgement words, from least to most concern ("" for star tools).
    stars : domain key -> maximum stars (star tools only).
    """

    name: str
    domains: dict[str, str]
    judgements: tuple[str, ...] = ()
    stars: dict[str, int] | None = None


TOOLS = {
    "RoB 2": Tool(
        "RoB 2",
        {
            "D1": "Randomisation process",
            "D2": "Deviations from intended interventions",
            "D3": "Missing outcome data",
            "D4": "Measurement of the outcome",
            "D5": "Selection of the reported result",
        },
        ("low", "some concerns", "high"),
    ),
    "ROBINS-I": Tool(
        "ROBINS-I",
        {
            "D1": "Bias due to confounding",
            "D2": "Bias in selection of participants",
            "D3": "Bias in classification of interventions",
            "D4": "Bias due to deviations from intended interventions",
            "D5": "Bias due to missing data",
            "D6": "Bias in measurement of outcomes",
            "D7": "Bias in selection of the reported result",
        },
        ("low", "moderate", "serious", "critical", "no information"),
    ),
    "NOS": Tool(
        "NOS",
        {"selection": "Selection", "comparability": "Comparability", "outcome": "Outcome"},
        stars={"selection": 4, "comparability": 2, "outcome": 3},
    ),
}
#: NOS for case-control studies names its third domain "exposure"
_NOS_ALTERNATIVE = {"exposure": "outcome"}


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def tool_named(name: str) -> Tool | None:
    """The tool written as ``name`` ("RoB 2", "rob2", "ROBINS-I", "robins i", "NOS"), or None."""
    return {_norm(k): t for k, t in TOOLS.items()}.get(_norm(name))


def domain_key(tool: Tool, domain: str) -> str | None:
    """The tool's key for a domain as written ("d1" -> "D1", "exposure" -> "outcome"), or None."""
    if domain.strip().lower() == "overall":
        return "overall"
    table = {k.lower(): k for k in tool.domains}
    d = domain.strip().lower()
    if tool.stars is not None:
        d = _NOS_ALTERNATIVE.get(d, d)
    return table.get(d)


def judgement_word(tool: Tool, value: str) -> str | None:
    """The canonical judgement word ("Some Concerns" -> "some concerns"), or None if it is not
    one of the tool's words (star tools: None)."""
    v = " ".join(value.strip().lower().split())
    return v if v in tool.judgements else None


def validate(value, fail: Callable[[tuple, str], ProtocolError]) -> None:
    """Check a :class:`~evsynth.protocol.model.RiskOfBias` against its tool.

    Raises the error ``fail(key, problem)`` returns for: an unknown tool, an unknown or missing
    domain, a judgement word the tool does not use, stars out of range, and support quotes for a
    study or domain that has no judgement.
    """
    tool = tool_named(value.tool)
    if tool is None:
        raise fail(("tool",), f"{value.tool!r} is not a known tool; use one of {', '.join(TOOLS)}")
    for sid, doms in value.studies.items():
        seen = set()
        for dom, judgement in doms.items():
            key = domain_key(tool, dom)
            if key is None:
                raise fail(
                    ("studies", sid, dom),
                    f"{dom!r} is not a domain of {tool.name}; use {', '.join(tool.domains)}"
                    " (and optionally overall)",
                )
            if key in seen:
                raise fail(("studies", sid, dom), f"domain {key} is given twice")
            seen.add(key)
            _check_judgement(tool, key, judgement, ("studies", sid, dom), fail)
        missing = [d for d in tool.domains if d not in seen]
        if missing:
            raise fail(
                ("studies", sid),
                f"no judgement for {', '.join(missing)}; {tool.name} needs every domain "
                f"({', '.join(tool.domains)})",
            )
    for sid, doms in value.support.items():
        if sid not in value.studies:
            raise fail(("support", sid), f"{sid!r} has support quotes but no judgements")
        for dom in doms:
            if domain_key(tool, dom) is None:
                raise fail(("support", sid, dom), f"{dom!r} is not a domain of {tool.name}")


def _check_judgement(tool: Tool, key: str, judgement: str, where: tuple, fail) -> None:
    if tool.stars is None:
        if judgement_word(tool, judgement) is None:
            raise fail(
                where,
                f"{judgement!r} is not a {tool.name} judgement; use {', '.join(tool.judgements)}",
            )
        return
    if key == "overall":
        if judgement.strip().lower() not in ("good", "fair", "poor"):
            raise fail(where, f"{judgement!r}: the overall NOS rating is good, fair or poor")
        return
    stars = judgement.strip().replace("*", "").replace("★", "")
    n = len(judgement.strip()) if not stars and judgement.strip() else None
    if n is None:
        try:
            n = int(stars)
        except ValueError:
            raise fail(where, f"{judgement!r}: give NOS stars as a whole number") from None
    if not 0 <= n <= tool.stars[key]:
        raise fail(where, f"{n} stars: the NOS {key} domain has 0 to {tool.stars[key]} stars")


def stars_of(judgement: str) -> int:
    """Number of NOS stars written as a number ("3") or as stars ("***")."""
    s = judgement.strip()
    bare = s.replace("*", "").replace("★", "")
    return len(s) if not bare and s else int(bare)
