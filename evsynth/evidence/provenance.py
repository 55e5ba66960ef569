"""Provenance: is every number of a row written in the span of the report it quotes?"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd

from evsynth.evidence.frame import _RATIO_MEASURES, CHECKED_NUMBERS, _fmt_count, _fmt_number
from evsynth.reading.normalize import INVISIBLE

__all__ = ["numbers_in", "number_in_quote", "row_problems"]

# --------------------------------------------------------------------------- verify

_QUOTE_NUMBER = re.compile(r"(?<![\d.·])(?:\d{1,3}(?:,\d{3})+(?![\d])|\d+(?:[.·]\d+)?|[.·]\d+)")


_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def numbers_in(text: str) -> list[str]:
    """Numbers written in a text, as written ('0.45', '96.36', '1,280', '.001'), unsigned.

    A thousands-separated number is listed both whole ('1280') and as its parts.
    """
    out = []
    text = _INVISIBLE.sub("", text)  # "0.4\u200b5" is 0.45, as the reader reads it
    for m in _QUOTE_NUMBER.finditer(text):
        tok = m.group(0).replace("·", ".")
        if "," in tok:
            out.append(tok.replace(",", ""))
            out.extend(tok.split(","))
        else:
            out.append(tok)
    return out


def _matches(value: float, token: str) -> bool:
    """True if ``value`` is the number written as ``token`` (to the token's precision)."""
    try:
        t = Decimal(token if not token.startswith(".") else "0" + token)
    except InvalidOperation:
        return False
    v = Decimal(repr(abs(float(value))))
    if v == t:
        return True
    exp = t.as_tuple().exponent
    if not isinstance(exp, int):
        return False
    # the value is given more precisely than written: it must round to the token
    if v.as_tuple().exponent < exp:
        return v.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_UP) == t
    return False


def number_in_quote(value: float, quote: str, *, percent: bool = False) -> bool:
    """Whether a number is written in a quote (0.45 ~ '0.450'; with ``percent``, 0.9636 ~ '96.36%')."""
    tokens = numbers_in(quote)
    candidates = [float(value)]
    if percent:
        candidates.append(float(Decimal(repr(float(value))) * 100))
    return any(_matches(c, t) for c in candidates for t in tokens)


def _percent_ok(field: str, measure: str) -> bool:
    if field == "rate_se":
        return True
    if field == "p_value" or field.startswith(("events", "total")):
        return False
    return measure not in _RATIO_MEASURES


def _accounted(fieldname: str, value: float, row: pd.Series, original: str) -> str:
    """How a number that is not in the quote is accounted for by the row's notes, or ''.

    Three derivations are accepted: a proportion that is events/total, a total that is the
    row's events plus a number written in the quote when the notes explain the total (a table's
    responders + non-responders), and
    a number inside a phrase the notes quote ('17 patients received drug A') that is
    found verbatim in the report.
    """
    notes = str(row["notes"] or "")
    quote = str(row["source_quote"])
    if fieldname == "estimate" and row["measure"] in ("proportion", "counts"):
        events, total = row["events_int"], row["total_int"]
        if not pd.isna(events) and not pd.isna(total) and float(total) > 0:
            if abs(float(value) - float(events) / float(total)) < 1e-9:
                return f"estimate {_fmt_number(value)} = {_fmt_count(events)}/{_fmt_count(total)}"
    if fieldname in ("total_int", "total_ctl") and re.search(r"\b(?:sums?|totals?)\b", notes):
        events = row["events_int" if fieldname == "total_int" else "events_ctl"]
        if not pd.isna(events):
            rest = float(value) - float(events)
            if rest >= 0 and number_in_quote(rest, quote):
                return f"{fieldname} {_fmt_number(value)} = {_fmt_number(events)} + {_fmt_number(rest)} (both in the quote)"
    for phrase in re.findall(r"'([^']{4,200})'", notes):
        if phrase in original and number_in_quote(float(value), phrase):
            return f"{fieldname} {_fmt_number(value)} from {phrase!r} (found in the report, named in notes)"
    return ""


def row_problems(row: pd.Series, original: str | None) -> list[dict]:
    """Problems of one evidence row against the original text of its report.

    Each problem has a ``level``: "error" (the quote is not the text at the offsets, or a number
    is neither in the quote nor accounted for by the notes) or "derived" (a number not in the
    quote that the notes account for, see :func:`_accounted`).
    """
    problems = []

    def add(fieldname, value, problem, level="error"):
        problems.append(
            {
                "row_id": row["row_id"],
                "report": row["report"],
                "field": fieldname,
                "value": value,
                "level": level,
                "problem": problem,
            }
        )

    if original is None:
        add("report", row["report"], "report not found among the papers given")
        return problems
    start, end = row["source_start"], row["source_end"]
    quote = row["source_quote"]
    if pd.isna(start) or pd.isna(end) or not 0 <= int(start) <= int(end) <= len(original):
        add("source_start", f"{start}:{end}", f"span outside the report (0:{len(original)})")
    elif original[int(start) : int(end)] != quote:
        found = original[int(start) : int(end)]
        add(
            "source_quote",
            quote[:80],
            f"original[{int(start)}:{int(end)}] is {found[:80]!r}, not the quote",
        )
    for f in CHECKED_NUMBERS:
        v = row[f]
        if pd.isna(v):
            continue
        if not number_in_quote(float(v), quote, percent=_percent_ok(f, row["measure"])):
            how = _accounted(f, float(v), row, original)
            if how:
                add(f, _fmt_number(v), how, level="derived")
            else:
                add(f, _fmt_number(v), f"{f} {_fmt_number(v)} is not in the quote {quote[:120]!r}")
    return problems
