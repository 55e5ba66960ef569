"""GRADE settings of a protocol: decision thresholds, the optimal information size and a
reviewer's overrides of any domain (the ``grade`` block; validated on every load).

::

    grade:
      thresholds:                      # per outcome label or question name, on the effect scale
        OS: [0.8, 1.25]                # ratio measures: the benefit and harm thresholds
        pain score: [-10, 10]          # differences: the same, in the outcome's units
      optimal_information_size: 400    # participants (default: computed for binary outcomes
                                       #   from the control risk, 400 otherwise)
      overrides:                       # per question name (as pooled.csv names it)
        drug A on falls:
          indirectness: {rating: -1, reason: trials enrolled only community-dwelling adults}
          publication_bias: {rating: 0, reason: registry search found no unpublished trials}

A rating is 0 (do not rate down), -1 or -2; the reason is printed with the rating, marked as the
reviewer's override (GRADE Handbook, Schünemann et al. 2013, section 5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evsynth.errors import ProtocolError

__all__ = ["DOMAINS", "KEYS", "validate"]

#: the five GRADE domains for rating down, as the protocol names them
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
KEYS = ("thresholds", "optimal_information_size", "overrides")


def validate(value: dict, fail: Callable[[tuple, str], ProtocolError]) -> None:
    """Check the ``grade`` block: known keys, two ordered thresholds per entry, a positive
    information size, overrides naming a GRADE domain with a rating of 0, -1 or -2 and a reason.
    Question names are checked against the run's questions when the summary is made."""
    _check(value, fail)


def _check(value: dict, fail) -> dict[str, Any]:
    for k in value:
        if k not in KEYS:
            raise fail((k,), f"unknown GRADE key; allowed: {', '.join(KEYS)}")
    thresholds = value.get("thresholds") or {}
    if not isinstance(thresholds, dict):
        raise fail(("thresholds",), "must map an outcome or question to [lower, upper]")
    for name, pair in thresholds.items():
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
        )
        if not ok:
            raise fail(("thresholds", name), f"must be [lower, upper] numbers, not {pair!r}")
        if not pair[0] < pair[1]:
            raise fail(("thresholds", name), "the lower threshold must be below the upper one")
    if "optimal_information_size" in value:
        n = value["optimal_information_size"]
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise fail(
                ("optimal_information_size",), f"must be a number of participants, not {n!r}"
            )
    overrides = value.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise fail(("overrides",), "must map a question name to {domain: {rating, reason}}")
    for q, doms in overrides.items():
        if not isinstance(doms, dict) or not doms:
            raise fail(("overrides", q), "must map a GRADE domain to {rating: ..., reason: ...}")
        for dom, spec in doms.items():
            key = ("overrides", q, dom)
            if dom not in DOMAINS:
                raise fail(key, f"{dom!r} is not a GRADE domain; use {', '.join(DOMAINS)}")
            if not isinstance(spec, dict) or set(spec) != {"rating", "reason"}:
                raise fail(key, "must be {rating: 0 | -1 | -2, reason: <why, in words>}")
            if spec["rating"] not in (0, -1, -2) or isinstance(spec["rating"], bool):
                raise fail((*key, "rating"), f"must be 0, -1 or -2, not {spec['rating']!r}")
            if not isinstance(spec["reason"], str) or not spec["reason"].strip():
                raise fail((*key, "reason"), "say why in words (a reviewer will ask)")
    return value
