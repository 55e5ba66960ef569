"""PRISMA 2020 screening counts: the keys of the protocol's ``screening`` block and the arithmetic
that makes them add up (Page et al. 2021, BMJ 372:n71, flow diagram for new reviews).

::

    identified: {databases: 412, registers: 18}   # records identified, per source
    duplicates_removed: 37                        # records removed before screening
    automation_removed: 0                         #   (optional) marked ineligible by automation
    other_removed: 0                              #   (optional) removed for other reasons
    screened: 393                                 # = identified - removed
    excluded_at_screening: 361
    sought: 32                                    # = screened - excluded_at_screening
    not_retrieved: 2
    assessed: 30                                  # = sought - not_retrieved
    excluded: {no comparison group: 14, ...}      # reports excluded, with reasons
    included_studies: 4                           # = assessed - excluded (when assessed per
    included_reports: 5                           #   study), or included_reports (per report)

A box that does not add up is a one-line error naming it; nothing is drawn from such numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evsynth.errors import ProtocolError

__all__ = ["KEYS", "REQUIRED", "validate", "counts_of"]

REQUIRED = (
    "identified",
    "screened",
    "excluded_at_screening",
    "sought",
    "not_retrieved",
    "assessed",
    "excluded",
)
KEYS = (
    "identified",
    "duplicates_removed",
    "automation_removed",
    "other_removed",
    "screened",
    "excluded_at_screening",
    "sought",
    "not_retrieved",
    "assessed",
    "excluded",
    "included_studies",
    "included_reports",
)
_MAPPINGS = ("identified", "excluded")


def _count(value: Any, key: tuple, fail) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(key, f"must be a whole number of records, 0 or more, not {value!r}")
    return value


def counts_of(value: dict, fail: Callable[[tuple, str], ProtocolError]) -> dict[str, Any]:
    """The screening counts as ints (mappings for ``identified`` and ``excluded``), checked.

    Raises the error ``fail(key, problem)`` returns for an unknown or missing key, a count that
    is not a whole number, and the first box that does not add up.
    """
    for k in value:
        if k not in KEYS:
            raise fail((k,), f"unknown screening key; allowed: {', '.join(KEYS)}")
    for k in REQUIRED:
        if k not in value:
            raise fail((), f"the required key {k!r} is missing (PRISMA 2020 needs every box)")
    c: dict[str, Any] = {}
    for k, v in value.items():
        if k in _MAPPINGS:
            if isinstance(v, int) and not isinstance(v, bool) and k == "identified":
                v = {"records": v}
            if not isinstance(v, dict) or not v:
                raise fail((k,), "must map each source or reason to a count, e.g. {databases: 412}")
            c[k] = {str(s): _count(n, (k, s), fail) for s, n in v.items()}
        else:
            c[k] = _count(v, (k,), fail)
    identified = sum(c["identified"].values())
    removed = sum(
        c.get(k, 0) for k in ("duplicates_removed", "automation_removed", "other_removed")
    )
    _adds_up(
        c["screened"],
        identified - removed,
        ("screened",),
        f"identified ({identified}) minus removed before screening ({removed})",
        fail,
    )
    _adds_up(
        c["sought"],
        c["screened"] - c["excluded_at_screening"],
        ("sought",),
        f"screened ({c['screened']}) minus excluded at screening ({c['excluded_at_screening']})",
        fail,
    )
    _adds_up(
        c["assessed"],
        c["sought"] - c["not_retrieved"],
        ("assessed",),
        f"sought ({c['sought']}) minus not retrieved ({c['not_retrieved']})",
        fail,
    )
    excluded = sum(c["excluded"].values())
    remaining = c["assessed"] - excluded
    if remaining < 0:
        raise fail(("excluded",), f"excludes {excluded} of {c['assessed']} assessed reports")
    studies, reports = c.get("included_studies"), c.get("included_reports")
    if studies is not None and reports is not None and studies > reports:
        raise fail(
            ("included_studies",),
            f"{studies} studies cannot come from {reports} reports (a study has a report)",
        )
    given = [n for n in (studies, reports) if n is not None]
    if given and remaining not in given:
        which = "included_studies" if studies is not None else "included_reports"
        raise fail(
            (which,),
            f"assessed ({c['assessed']}) minus excluded ({excluded}) is {remaining}, "
            f"which is neither included_studies nor included_reports",
        )
    c["remaining"] = remaining
    return c


def _adds_up(given: int, expected: int, key: tuple, how: str, fail) -> None:
    if given != expected:
        raise fail(key, f"is {given} but {how} is {expected}; the boxes must add up")


def validate(value: dict, fail: Callable[[tuple, str], ProtocolError]) -> None:
    """Check the protocol's ``screening`` block (see :func:`counts_of`)."""
    counts_of(value, fail)
