"""Reading, validating and writing protocol files.

The format is documented in ``docs/protocol.md``. Validation is strict: an unknown key, a
missing required key, a value of the wrong type or outside its allowed words, a question or proxy
naming an undefined label, and YAML errors each raise :class:`~evsynth.errors.ProtocolError`,
one line naming the file, the line and the dotted key. A protocol that loads is complete.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evsynth._shared.yamlfile import Lines, YamlProblem, load_yaml, parse_yaml
from evsynth.errors import ProtocolError
from evsynth.protocol.model import (
    CONTINUOUS_MEASURES,
    COUNTS_MEASURES,
    HIGHER_IS,
    METHODS,
    OUTCOME_KINDS,
    TESTS,
    AnalysisPlan,
    Arm,
    Outcome,
    Question,
    RiskOfBias,
)

__all__ = [
    "Protocol",
    "load_protocol",
    "protocol_from_dict",
    "protocol_to_yaml",
    "bundled_protocols",
]

FORMAT_VERSION = 1
VERSION_KEY = "evsynth-protocol"

_TOP = {
    VERSION_KEY,
    "title",
    "population",
    "question",
    "interventions",
    "comparators",
    "outcomes",
    "questions",
    "analysis",
    "studies",
    "risk_of_bias",
    "screening",
    "grade",
}
_ARM = {"terms", "description"}
_OUTCOME = {"terms", "kind", "proxies", "higher_is", "measure", "unit", "description"}
_QUESTION = {"intervention", "outcome", "comparator", "name", "subgroups"}
_ANALYSIS = {"method", "test", "counts_measure", "tau_prior_scale", "prefer_adjusted", "level"}
_ROB = {"tool", "studies", "support"}


@dataclass(frozen=True)
class Protocol:
    """A review protocol: everything topic-specific that drives a run.

    Attributes
    ----------
    title : the review's title (report title).
    interventions, comparators : label -> :class:`Arm`, in the order written.
    outcomes : label -> :class:`Outcome`, in the order written (proxy-only labels last).
    questions : the questions to answer; by default every intervention x outcome pair.
    analysis : the :class:`AnalysisPlan`.
    population : free text describing the population ("" if not given).
    question : the review question in words, as the report prints it ("" if not given: the
        report then builds it from the questions).
    studies : study id -> {"design": "randomised" | "observational", ...} as given.
    risk_of_bias : a :class:`RiskOfBias` or None.
    screening : the PRISMA screening counts as given (validated by the manuscript stage).
    grade : GRADE settings as given (thresholds, overrides; validated by the manuscript stage).
    path : the file it was read from ("" when built in code); name : the bundled name, if any.
    """

    title: str
    interventions: dict[str, Arm]
    outcomes: dict[str, Outcome]
    comparators: dict[str, Arm] = field(default_factory=dict)
    questions: tuple[Question, ...] = ()
    analysis: AnalysisPlan = field(default_factory=AnalysisPlan)
    population: str = ""
    question: str = ""
    studies: dict[str, dict[str, Any]] = field(default_factory=dict)
    risk_of_bias: RiskOfBias | None = None
    screening: dict[str, Any] | None = None
    grade: dict[str, Any] | None = None
    path: str = ""
    name: str = ""

    # ----------------------------------------------------------------- construction / output
    @classmethod
    def from_yaml(cls, source: str | Path) -> Protocol:
        """Read and validate a protocol file, or a bundled protocol by name (see
        :func:`evsynth.protocol.load_protocol`)."""
        return load_protocol(source)

    def to_yaml(self) -> str:
        """The protocol as YAML text that :meth:`from_yaml` reads back to an equal protocol."""
        return protocol_to_yaml(self)

    # ----------------------------------------------------------------- lookups
    def vocabulary(self):
        """The term matcher of this protocol's interventions, comparators and outcomes
        (:class:`evsynth.protocol.terms.Vocabulary`)."""
        from evsynth.protocol.terms import Vocabulary

        return Vocabulary.of(self)

    def outcome(self, label: str) -> Outcome:
        """The outcome with this label (KeyError naming the labels if there is none)."""
        try:
            return self.outcomes[label]
        except KeyError:
            raise KeyError(
                f"no outcome {label!r}; the protocol has {list(self.outcomes)}"
            ) from None

    def question_outcomes(self, question: Question) -> tuple[str, ...]:
        """The outcome labels that answer a question: its outcome, then its proxies."""
        return (question.outcome, *self.outcomes[question.outcome].proxies)

    def describe(self) -> list[str]:
        """The protocol in plain sentences, for the report."""
        lines = [f"Title: {self.title}."]
        if self.population:
            lines.append(f"Population: {self.population}.")
        for what, arms in (
            ("Interventions", self.interventions),
            ("Comparators", self.comparators),
        ):
            if arms:
                lines.append(
                    f"{what}: "
                    + "; ".join(f"{a.label} ({', '.join(a.terms)})" for a in arms.values())
                    + "."
                )
        outs = []
        for o in self.outcomes.values():
            if o.proxy_only:
                continue
            bits = [o.kind]
            if o.measure:
                bits.append(o.measure)
            if o.unit:
                bits.append(o.unit)
            if o.higher_is:
                bits.append(f"higher is {o.higher_is}")
            if o.proxies:
                bits.append(f"proxies accepted: {', '.join(o.proxies)}")
            outs.append(f"{o.label} ({'; '.join(bits)})")
        lines.append("Outcomes: " + "; ".join(outs) + ".")
        lines.append("Questions: " + "; ".join(q.title for q in self.questions) + ".")
        a = self.analysis
        lines.append(
            f"Planned analysis: {a.method} tau², test {a.test}, counts as {a.counts_measure}, "
            f"half-normal prior on tau with scale {a.tau_prior_scale}, "
            + (
                "adjusted estimates preferred"
                if a.prefer_adjusted
                else "unadjusted estimates preferred"
            )
            + f", {a.level:.0%} intervals."
        )
        return lines


class _Checker:
    """Validation helpers that know the file and its key lines."""

    def __init__(self, path: str, lines: Lines) -> None:
        self.path, self.lines = path, lines

    def fail(self, key: tuple, problem: str) -> ProtocolError:
        dotted = ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in key)
        dotted = dotted.replace(".[", "[")
        return ProtocolError(self.path, dotted, problem, self.lines.of(*key))

    def keys(
        self, value: Any, key: tuple, allowed: set[str], required: tuple[str, ...] = ()
    ) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping of keys to values, not {_kind(value)}")
        for k in value:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(
                    (*key, k), f"unknown key{hint}; allowed here: {', '.join(sorted(allowed))}"
                )
        for r in required:
            if r not in value:
                raise self.fail(key, f"the required key {r!r} is missing")
        return value

    def text(self, value: Any, key: tuple, *, empty_ok: bool = False) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(key, f"must be text, not {_kind(value)}")
        s = str(value).strip()
        if not s and not empty_ok:
            raise self.fail(key, "must not be empty")
        if "\n" in s and key[-1] != "description":
            raise self.fail(key, "must be on one line")
        return s

    def word(self, value: Any, key: tuple, allowed: tuple[str, ...], *, upper: bool = False) -> str:
        s = self.text(value, key)
        norm = s.upper() if upper else s.lower()
        table = {a.upper() if upper else a.lower(): a for a in allowed}
        if norm not in table:
            raise self.fail(key, f"{s!r} is not one of {', '.join(allowed)}")
        return table[norm]

    def terms(self, value: Any, key: tuple) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(
                key, "must be a non-empty list of words, e.g. [exercise, balance training]"
            )
        out = []
        for i, t in enumerate(value):
            s = self.text(t, (*key, i))
            if len(s) > 100:
                raise self.fail((*key, i), "a term is at most 100 characters")
            if not any(ch.isalnum() for ch in s):
                raise self.fail((*key, i), f"{s!r} has no letter or digit")
            out.append(s)
        return tuple(dict.fromkeys(out))

    def label(self, value: Any, key: tuple) -> str:
        s = self.text(value, key)
        if len(s) > 60:
            raise self.fail(key, "a label is at most 60 characters")
        return s

    def boolean(self, value: Any, key: tuple) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value

    def number(
        self, value: Any, key: tuple, lo: float, hi: float, *, open_lo: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be a number, not {_kind(value)}")
        v = float(value)
        if not (lo < v if open_lo else lo <= v) or not v <= hi:
            raise self.fail(
                key,
                f"must be {'above' if open_lo else 'at least'} {lo:g} and at most {hi:g}; got {v:g}",
            )
        return v


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _arms(c: _Checker, value: Any, key: str, required: bool) -> dict[str, Arm]:
    if value is None:
        if required:
            raise c.fail((key,), "at least one entry is required (label: {terms: [...]})")
        return {}
    if not isinstance(value, dict) or (required and not value):
        raise c.fail((key,), "must map each label to {terms: [...]}")
    out = {}
    for label, spec in value.items():
        lab = c.label(label, (key, label))
        if isinstance(spec, list):  # shorthand: label: [terms]
            spec = {"terms": spec}
        spec = c.keys(spec, (key, label), _ARM, ("terms",))
        out[lab] = Arm(
            lab,
            c.terms(spec["terms"], (key, label, "terms")),
            c.text(spec.get("description", ""), (key, label, "description"), empty_ok=True),
        )
    return out


def _outcomes(c: _Checker, value: Any) -> dict[str, Outcome]:
    if not isinstance(value, dict) or not value:
        raise c.fail(
            ("outcomes",), "at least one outcome is required (label: {terms: [...], kind: ...})"
        )
    out: dict[str, Outcome] = {}
    for label, spec in value.items():
        lab = c.label(label, ("outcomes", label))
        key = ("outcomes", label)
        spec = c.keys(spec, key, _OUTCOME, ("terms", "kind"))
        kind = c.word(spec["kind"], (*key, "kind"), OUTCOME_KINDS)
        measure = ""
        if "measure" in spec:
            allowed = {
                "continuous": CONTINUOUS_MEASURES,
                "binary": COUNTS_MEASURES,
                "time-to-event": ("HR",),
                "rate": ("PLO", "PR", "PAS", "PFT", "IRR"),
            }[kind]
            measure = c.word(spec["measure"], (*key, "measure"), allowed, upper=True)
        proxies = ()
        if "proxies" in spec:
            proxies = c.terms(spec["proxies"], (*key, "proxies"))
            if lab in proxies:
                raise c.fail((*key, "proxies"), "an outcome cannot be its own proxy")
        unit = c.text(spec.get("unit", ""), (*key, "unit"), empty_ok=True)
        if unit and kind != "continuous":
            raise c.fail((*key, "unit"), "a unit is given only for a continuous outcome")
        out[lab] = Outcome(
            label=lab,
            terms=c.terms(spec["terms"], (*key, "terms")),
            kind=kind,
            proxies=proxies,
            higher_is=c.word(spec["higher_is"], (*key, "higher_is"), HIGHER_IS)
            if "higher_is" in spec
            else "",
            measure=measure,
            unit=unit,
            description=c.text(spec.get("description", ""), (*key, "description"), empty_ok=True),
        )
    # a proxy that is not an outcome of its own is matched by its label (e.g. "LFS")
    for o in list(out.values()):
        for p in o.proxies:
            if p not in out:
                out[p] = Outcome(p, (p,), o.kind, higher_is=o.higher_is, proxy_only=True)
            elif out[p].kind != o.kind and not out[p].proxy_only:
                raise c.fail(
                    ("outcomes", o.label, "proxies"),
                    f"proxy {p!r} is a {out[p].kind} outcome but {o.label!r} is {o.kind}",
                )
    return out


def _questions(
    c: _Checker, value: Any, p_int: dict, p_cmp: dict, p_out: dict
) -> tuple[Question, ...]:
    if value is None:
        cmp = next(iter(p_cmp), "") if len(p_cmp) == 1 else ""
        return tuple(
            Question(i, o, cmp) for i in p_int for o, spec in p_out.items() if not spec.proxy_only
        )
    if not isinstance(value, list) or not value:
        raise c.fail(("questions",), "must be a list of {intervention: ..., outcome: ...}")
    out = []
    for n, q in enumerate(value):
        key = ("questions", n)
        q = c.keys(q, key, _QUESTION, ("intervention", "outcome"))
        i = c.text(q["intervention"], (*key, "intervention"))
        o = c.text(q["outcome"], (*key, "outcome"))
        if i not in p_int:
            raise c.fail(
                (*key, "intervention"),
                f"{i!r} is not an intervention of this protocol ({', '.join(p_int)})",
            )
        if o not in p_out or p_out[o].proxy_only:
            defined = ", ".join(k for k, v in p_out.items() if not v.proxy_only)
            raise c.fail((*key, "outcome"), f"{o!r} is not an outcome of this protocol ({defined})")
        cmp = ""
        if "comparator" in q:
            cmp = c.text(q["comparator"], (*key, "comparator"))
            if cmp not in p_cmp:
                raise c.fail(
                    (*key, "comparator"),
                    f"{cmp!r} is not a comparator of this protocol ({', '.join(p_cmp) or 'none defined'})",
                )
        elif len(p_cmp) == 1:
            cmp = next(iter(p_cmp))
        out.append(
            Question(
                i,
                o,
                cmp,
                c.text(q.get("name", ""), (*key, "name"), empty_ok=True),
                c.boolean(q["subgroups"], (*key, "subgroups")) if "subgroups" in q else False,
            )
        )
    seen = set()
    for n, q in enumerate(out):
        if (q.intervention, q.comparator, q.outcome) in seen:
            raise c.fail(("questions", n), "the same question is asked twice")
        seen.add((q.intervention, q.comparator, q.outcome))
    return tuple(out)


def _analysis(c: _Checker, value: Any) -> AnalysisPlan:
    if value is None:
        return AnalysisPlan()
    value = c.keys(value, ("analysis",), _ANALYSIS)
    d = AnalysisPlan()
    key = ("analysis",)
    return AnalysisPlan(
        method=c.word(value["method"], (*key, "method"), METHODS, upper=True)
        if "method" in value
        else d.method,
        test=c.word(value["test"], (*key, "test"), TESTS) if "test" in value else d.test,
        counts_measure=c.word(
            value["counts_measure"], (*key, "counts_measure"), COUNTS_MEASURES, upper=True
        )
        if "counts_measure" in value
        else d.counts_measure,
        tau_prior_scale=c.number(
            value["tau_prior_scale"], (*key, "tau_prior_scale"), 0, 10, open_lo=True
        )
        if "tau_prior_scale" in value
        else d.tau_prior_scale,
        prefer_adjusted=c.boolean(value["prefer_adjusted"], (*key, "prefer_adjusted"))
        if "prefer_adjusted" in value
        else d.prefer_adjusted,
        level=c.number(value["level"], (*key, "level"), 0.5, 0.999)
        if "level" in value
        else d.level,
    )


def _plain_mapping(c: _Checker, value: Any, key: tuple) -> dict:
    if not isinstance(value, dict):
        raise c.fail(key, f"must be a mapping, not {_kind(value)}")
    return value


def _risk_of_bias(c: _Checker, value: Any) -> RiskOfBias | None:
    if value is None:
        return None
    value = c.keys(value, ("risk_of_bias",), _ROB, ("tool",))
    tool = c.text(value["tool"], ("risk_of_bias", "tool"))
    studies: dict[str, dict[str, str]] = {}
    for sid, doms in _plain_mapping(
        c, value.get("studies", {}), ("risk_of_bias", "studies")
    ).items():
        key = ("risk_of_bias", "studies", sid)
        doms = _plain_mapping(c, doms, key)
        studies[c.text(sid, key)] = {
            c.text(d, (*key, d)): c.text(j, (*key, d)) for d, j in doms.items()
        }
    support: dict[str, dict[str, str]] = {}
    for sid, doms in _plain_mapping(
        c, value.get("support", {}), ("risk_of_bias", "support")
    ).items():
        key = ("risk_of_bias", "support", sid)
        support[c.text(sid, key)] = {
            c.text(d, (*key, d)): c.text(q, (*key, d), empty_ok=True)
            for d, q in _plain_mapping(c, doms, key).items()
        }
    rob = RiskOfBias(tool, studies, support)
    _validate_hook(c, "risk_of_bias", rob)
    return rob


def _validate_hook(c: _Checker, section: str, value: Any) -> None:
    """Section validators that know a tool's domains or PRISMA's arithmetic live in their own
    modules of this package; each exposes ``validate(value, fail)`` and is optional."""
    import importlib

    try:
        mod = importlib.import_module(f"evsynth.protocol.{section}")
    except ModuleNotFoundError:
        return
    mod.validate(value, lambda key, problem: c.fail((section, *key), problem))


def protocol_from_dict(
    data: Any, *, path: str | Path = "", lines: Lines | None = None, name: str = ""
) -> Protocol:
    """Validate plain data (as read from YAML) and build a :class:`Protocol`.

    Raises
    ------
    ProtocolError : naming the key and what is wrong.
    """
    c = _Checker(str(path), lines or Lines())
    if not isinstance(data, dict):
        raise c.fail(
            (),
            f"a protocol is a mapping of keys (title, interventions, outcomes, ...), not {_kind(data)}",
        )
    c.keys(data, (), _TOP, (VERSION_KEY, "title", "interventions", "outcomes"))
    version = data[VERSION_KEY]
    if version != FORMAT_VERSION:
        raise c.fail(
            (VERSION_KEY,),
            f"format version {version!r} is not known; this evsynth reads version {FORMAT_VERSION}",
        )
    interventions = _arms(c, data["interventions"], "interventions", True)
    comparators = _arms(c, data.get("comparators"), "comparators", False)
    outcomes = _outcomes(c, data["outcomes"])
    clash = set(interventions) & set(comparators)
    if clash:
        raise c.fail(
            ("comparators", sorted(clash)[0]),
            "a label cannot be both an intervention and a comparator",
        )
    studies = {}
    for sid, spec in _plain_mapping(c, data.get("studies", {}) or {}, ("studies",)).items():
        spec = c.keys(spec, ("studies", sid), {"design", "note"})
        entry = dict(spec)
        if "design" in spec:
            entry["design"] = c.word(
                spec["design"], ("studies", sid, "design"), ("randomised", "observational")
            )
        studies[c.text(sid, ("studies", sid))] = entry
    screening = None
    if data.get("screening") is not None:
        screening = _plain_mapping(c, data["screening"], ("screening",))
        _validate_hook(c, "screening", screening)
    grade = None
    if data.get("grade") is not None:
        grade = _plain_mapping(c, data["grade"], ("grade",))
        _validate_hook(c, "grade", grade)
    return Protocol(
        title=c.text(data["title"], ("title",)),
        interventions=interventions,
        comparators=comparators,
        outcomes=outcomes,
        questions=_questions(c, data.get("questions"), interventions, comparators, outcomes),
        analysis=_analysis(c, data.get("analysis")),
        population=c.text(data.get("population", ""), ("population",), empty_ok=True),
        question=c.text(data.get("question", ""), ("question",), empty_ok=True),
        studies=studies,
        risk_of_bias=_risk_of_bias(c, data.get("risk_of_bias")),
        screening=screening,
        grade=grade,
        path=str(path),
        name=name,
    )


def bundled_protocols() -> dict[str, Path]:
    """The protocols shipped with evsynth, by name (file name without ``.yaml``)."""
    root = resources.files("evsynth") / "data" / "protocols"
    if not root.is_dir():
        return {}
    return {
        Path(str(p)).stem: Path(str(p))
        for p in sorted(root.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".yaml")
    }


def load_protocol(source: str | Path) -> Protocol:
    """Read a protocol file, or a bundled protocol by name (see :func:`bundled_protocols`).

    Raises
    ------
    ProtocolError : the file is missing, not valid YAML (with the line), or not a valid protocol.
    """
    path = Path(source)
    name = ""
    if not path.exists():
        bundled = bundled_protocols()
        if str(source) in bundled:
            name, path = str(source), bundled[str(source)]
        else:
            known = ", ".join(bundled) or "none"
            raise ProtocolError(
                source, "", f"no such file, and not the name of a bundled protocol ({known})"
            )
    try:
        data, lines = load_yaml(path)
    except YamlProblem as exc:
        raise ProtocolError(path, "", exc.message, exc.line) from None
    return protocol_from_dict(data, path=path, lines=lines, name=name)


def protocol_from_text(text: str, *, path: str = "") -> Protocol:
    """Validate protocol YAML given as a string (tests, notebooks)."""
    try:
        data, lines = parse_yaml(text)
    except YamlProblem as exc:
        raise ProtocolError(path, "", exc.message, exc.line) from None
    return protocol_from_dict(data, path=path, lines=lines)


def protocol_to_dict(p: Protocol) -> dict:
    """Plain data that :func:`protocol_from_dict` turns back into an equal protocol."""
    d: dict[str, Any] = {VERSION_KEY: FORMAT_VERSION, "title": p.title}
    if p.population:
        d["population"] = p.population
    if p.question:
        d["question"] = p.question
    for key, arms in (("interventions", p.interventions), ("comparators", p.comparators)):
        if arms:
            d[key] = {
                a.label: {
                    "terms": list(a.terms),
                    **({"description": a.description} if a.description else {}),
                }
                for a in arms.values()
            }
    outs = {}
    for o in p.outcomes.values():
        if o.proxy_only:
            continue
        e: dict[str, Any] = {"terms": list(o.terms), "kind": o.kind}
        for k in ("higher_is", "measure", "unit", "description"):
            if getattr(o, k):
                e[k] = getattr(o, k)
        if o.proxies:
            e["proxies"] = list(o.proxies)
        outs[o.label] = e
    d["outcomes"] = outs
    qs = []
    for q in p.questions:
        e = {"intervention": q.intervention, "outcome": q.outcome}
        if q.comparator:
            e["comparator"] = q.comparator
        if q.name:
            e["name"] = q.name
        if q.subgroups:
            e["subgroups"] = True
        qs.append(e)
    d["questions"] = qs
    a = p.analysis
    d["analysis"] = {
        "method": a.method,
        "test": a.test,
        "counts_measure": a.counts_measure,
        "tau_prior_scale": a.tau_prior_scale,
        "prefer_adjusted": a.prefer_adjusted,
        "level": a.level,
    }
    if p.studies:
        d["studies"] = p.studies
    if p.risk_of_bias is not None:
        r = p.risk_of_bias
        d["risk_of_bias"] = {"tool": r.tool, "studies": r.studies}
        if r.support:
            d["risk_of_bias"]["support"] = r.support
    if p.screening is not None:
        d["screening"] = p.screening
    if p.grade is not None:
        d["grade"] = p.grade
    return d


def protocol_to_yaml(p: Protocol) -> str:
    """The protocol as YAML (keys in the documented order)."""
    return yaml.safe_dump(protocol_to_dict(p), sort_keys=False, allow_unicode=True, width=100)
