"""Finding a protocol's terms in a paper's text.

Rules (the contract of ``docs/protocol.md``):

* a term matches as a whole word or phrase: a term that is a prefix or a suffix of a longer
  word does not match it ("control" does not match "controlled"; "statin" does not match
  "nystatin"); hyphens, slashes and punctuation end a word ("exercise-based" mentions
  "exercise");
* the words of a multi-word term may be separated by any run of spaces, line breaks or hyphens
  ("balance training", "balance-training");
* a term written in capitals (no lower-case letter, or capitals followed by a plural "s":
  "BT", "ACEIs") is an abbreviation and matches case-sensitively; every other term matches
  case-insensitively;
* when several terms could match at one place, the longest wins ("usual care" over "care");
* abbreviations a paper defines for a term ("balance training (BT)", "BT (balance training)") are
  learned for that paper only (:meth:`Vocabulary.learn`).

A :class:`Vocabulary` holds three groups of labelled terms, "intervention", "comparator" and
"outcome", and answers :meth:`Vocabulary.find` with :class:`TermMatch` values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evsynth.protocol.loading import Protocol

__all__ = ["TermMatch", "Vocabulary", "is_abbreviation", "term_pattern", "GROUPS"]

GROUPS = ("intervention", "comparator", "outcome")

_WORD_CHAR = r"A-Za-z0-9\u00C0-\u024F"
_SEP = r"[\s\-\u2010\u2011\u2012\u2013]+"
#: an abbreviation a paper defines in parentheses: 2-10 characters, at least two capitals
_ABBR = r"[A-Za-z][A-Za-z0-9\-]{0,8}[A-Za-z0-9]"


def is_abbreviation(term: str) -> bool:
    """True for a term written in capitals ("BT", "ACEIs", "HbA1c" is not): case-sensitive."""
    core = term[:-1] if len(term) > 2 and term.endswith("s") else term
    letters = [ch for ch in core if ch.isalpha()]
    return bool(letters) and not any(ch.islower() for ch in letters)


def term_pattern(term: str) -> str:
    """The regex source of one term (without the word boundaries), with its case rule."""
    words = [w for w in re.split(r"[\s\-\u2010\u2011\u2012\u2013]+", term.strip()) if w]
    body = _SEP.join(re.escape(w) for w in words)
    return f"(?-i:{body})" if is_abbreviation(term) else f"(?i:{body})"


@dataclass(frozen=True)
class TermMatch:
    """One mention of a labelled term: ``text[start:end]`` is what the paper wrote."""

    group: str
    label: str
    term: str
    text: str
    start: int
    end: int


def _abbreviation_ok(abbr: str) -> bool:
    return sum(ch.isupper() for ch in abbr) >= 2 and not abbr.isdigit()


@dataclass(frozen=True)
class Vocabulary:
    """Labelled terms by group: ``terms[group][label] = (term, ...)``.

    ``learned`` lists the abbreviations taken from the paper by :meth:`learn`, as
    ``(group, label, abbreviation, definition as written)``.
    """

    terms: dict[str, dict[str, tuple[str, ...]]]
    learned: tuple[tuple[str, str, str, str], ...] = ()
    _compiled: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def of(cls, protocol: Protocol) -> Vocabulary:
        """The vocabulary of a protocol's interventions, comparators and outcomes."""
        return cls(
            {
                "intervention": {a.label: a.terms for a in protocol.interventions.values()},
                "comparator": {a.label: a.terms for a in protocol.comparators.values()},
                "outcome": {o.label: o.terms for o in protocol.outcomes.values()},
            }
        )

    @classmethod
    def empty(cls) -> Vocabulary:
        """No terms at all (extraction without a protocol)."""
        return cls({g: {} for g in GROUPS})

    def __bool__(self) -> bool:
        return any(self.terms.get(g) for g in GROUPS)

    def labels(self, group: str) -> tuple[str, ...]:
        """The labels of a group, in protocol order."""
        return tuple(self.terms.get(group, {}))

    def _regex(self, group: str) -> tuple[re.Pattern | None, list[tuple[str, str]]]:
        if group not in self._compiled:
            pairs = [
                (label, term)
                for label, terms in self.terms.get(group, {}).items()
                for term in terms
            ]
            # longest first, so that the alternation prefers "usual care" over "care"
            pairs.sort(key=lambda lt: -len(lt[1]))
            if not pairs:
                self._compiled[group] = (None, [])
            else:
                alt = "|".join(f"(?P<t{i}>{term_pattern(t)})" for i, (_, t) in enumerate(pairs))
                rx = re.compile(rf"(?<![{_WORD_CHAR}])(?:{alt})(?![{_WORD_CHAR}])")
                self._compiled[group] = (rx, pairs)
        return self._compiled[group]

    def find(self, group: str, text: str) -> tuple[TermMatch, ...]:
        """Every mention of the group's terms in ``text``, in order, not overlapping."""
        return _find(self, group, text)

    def first(self, group: str, text: str) -> TermMatch | None:
        """The first mention of the group's terms in ``text``, or None."""
        found = self.find(group, text)
        return found[0] if found else None

    def learn(self, text: str) -> Vocabulary:
        """This vocabulary plus the abbreviations ``text`` defines for its terms.

        "balance training (BT)" and "BT (balance training)" teach "BT" for the label of "balance training".
        An abbreviation needs at least two capitals (so "(n = 40)" or "(Table 2)" teach
        nothing) and is not learned when it already belongs to another label.
        """
        learned = list(self.learned)
        new_terms = {g: dict(v) for g, v in self.terms.items()}
        known = {
            t: (g, lab) for g, labs in self.terms.items() for lab, ts in labs.items() for t in ts
        }
        after = re.compile(rf"\s{{0,2}}\(\s{{0,2}}(?P<a>{_ABBR})\s{{0,2}}[\);,]")
        for g in GROUPS:
            for m in self.find(g, text):
                a = after.match(text, m.end)
                if not a:
                    continue
                abbr = a.group("a")
                if not _abbreviation_ok(abbr) or abbr in known:
                    continue
                known[abbr] = (g, m.label)
                new_terms[g][m.label] = (*new_terms[g][m.label], abbr)
                learned.append((g, m.label, abbr, m.text))
        # the reverse form "ABC (a b c)"
        before = re.compile(rf"(?<![{_WORD_CHAR}])(?P<a>{_ABBR})\s{{0,2}}\(\s{{0,2}}$")
        for g in GROUPS:
            for m in self.find(g, text):
                b = before.search(text[max(0, m.start - 16) : m.start])
                if not b or not text[m.end : m.end + 3].lstrip().startswith(")"):
                    continue
                abbr = b.group("a")
                if not _abbreviation_ok(abbr) or abbr in known:
                    continue
                known[abbr] = (g, m.label)
                new_terms[g][m.label] = (*new_terms[g][m.label], abbr)
                learned.append((g, m.label, abbr, m.text))
        if len(learned) == len(self.learned):
            return self
        return Vocabulary(new_terms, tuple(learned))


_CACHE_SIZE = 8192


def _find(vocab: Vocabulary, group: str, text: str) -> tuple[TermMatch, ...]:
    """Cached per vocabulary (extractors ask about one sentence once per number in it)."""
    cache = vocab._compiled.setdefault("find", {})
    key = (group, text)
    hit = cache.get(key)
    if hit is not None:
        return hit
    rx, pairs = vocab._regex(group)
    out: tuple[TermMatch, ...] = ()
    if rx is not None:
        found = []
        for m in rx.finditer(text):
            label, term = pairs[int(m.lastgroup[1:])]
            found.append(TermMatch(group, label, term, m.group(0), m.start(), m.end()))
        out = tuple(found)
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = out
    return out
