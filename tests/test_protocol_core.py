"""The protocol file: the contract example loads, every mistake is one line naming file and key,
and terms match by the documented rules (docs/protocol.md)."""

from __future__ import annotations

import pytest

from evsynth.errors import ProtocolError
from evsynth.protocol import Vocabulary, load_protocol, protocol_from_text

CONTRACT = """evsynth-protocol: 1
title: Exercise programmes for falls in older adults
interventions:              # normalized label -> the words papers use for it
  exercise:
    terms: [exercise, balance training, Otago]
comparators:
  control:
    terms: [control, usual care, wait-list]
outcomes:
  falls:
    terms: [falls, fallers]
    kind: binary            # binary | time-to-event | rate | continuous
  PFS:
    terms: [progression-free survival, PFS]
    kind: time-to-event
    proxies: [LFS]          # outcomes accepted in its place, with a sensitivity analysis
questions:                  # optional; default: every intervention x outcome pair
  - {intervention: exercise, outcome: falls}
analysis:                   # optional; today's defaults otherwise
  method: REML
  test: adhoc
  counts_measure: OR
  tau_prior_scale: 0.5
  prefer_adjusted: true
"""


def test_contract_example_loads(tmp_path):
    f = tmp_path / "protocol.yaml"
    f.write_text(CONTRACT)
    p = load_protocol(f)
    assert p.title == "Exercise programmes for falls in older adults"
    assert [(q.intervention, q.comparator, q.outcome) for q in p.questions] == [
        ("exercise", "control", "falls")
    ]
    assert p.outcomes["PFS"].proxies == ("LFS",)
    assert p.outcomes["LFS"].proxy_only and p.outcomes["LFS"].kind == "time-to-event"
    assert p.analysis.method == "REML" and p.analysis.test == "adhoc"
    assert load_protocol(f).to_yaml() == p.to_yaml()
    assert protocol_from_text(p.to_yaml(), path=str(f)) == p


def test_default_questions_are_every_pair():
    text = CONTRACT.split("questions:")[0]
    p = protocol_from_text(text)
    assert [(q.intervention, q.outcome) for q in p.questions] == [
        ("exercise", "falls"),
        ("exercise", "PFS"),
    ]


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        (
            ("kind: binary", "kind: bianry"),
            "line 12, outcomes.falls.kind",
            "'bianry' is not one of",
        ),
        (("outcome: falls}", "outcome: fall}"), "line 18, questions[0].outcome", "not an outcome"),
        (("  method: REML", "  methd: REML"), "line 20, analysis.methd", "did you mean 'method'"),
        (("[falls, fallers]", "[falls, fallers"), "line 12", "not valid YAML"),
        (("evsynth-protocol: 1", "evsynth-protocol: 2"), "evsynth-protocol", "version 2"),
        (("  test: adhoc", "  test: hksj"), "analysis.test", "'hksj' is not one of z, knha, adhoc"),
        (("tau_prior_scale: 0.5", "tau_prior_scale: -1"), "analysis.tau_prior_scale", "above 0"),
        (
            ("prefer_adjusted: true", "prefer_adjusted: yes please"),
            "analysis.prefer_adjusted",
            "true or false",
        ),
        (("title: Exercise", "titel: Exercise"), "titel", "unknown key"),
    ],
)
def test_every_mistake_is_one_line(tmp_path, edit, where, says):
    f = tmp_path / "protocol.yaml"
    f.write_text(CONTRACT.replace(*edit))
    with pytest.raises(ProtocolError) as info:
        load_protocol(f)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(f)), msg
    assert where in msg and says in msg, msg


def test_duplicate_keys_and_aliases_are_refused(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(CONTRACT + "title: again\n")
    with pytest.raises(ProtocolError, match=r"key 'title' appears twice \(lines 2 and 25\)"):
        load_protocol(f)
    f.write_text(CONTRACT.replace("terms: [falls, fallers]", "terms: &t [falls, fallers]"))
    with pytest.raises(ProtocolError, match="anchors"):
        load_protocol(f)


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(ProtocolError, match="no such file"):
        load_protocol(tmp_path / "nope.yaml")
    f = tmp_path / "latin1.yaml"
    f.write_bytes(CONTRACT.replace("older", "\xe4lter").encode("latin-1"))
    with pytest.raises(ProtocolError, match="line 2: is not UTF-8"):
        load_protocol(f)


def _vocab(**groups):
    v = {"intervention": {}, "comparator": {}, "outcome": {}}
    for g, terms in groups.items():
        v[g] = {k: tuple(t) for k, t in terms.items()}
    return Vocabulary(v)


def test_terms_match_as_words_with_case_rule():
    v = _vocab(comparator={"control": ["control", "usual care"]}, intervention={"tcz": ["TCZ"]})
    text = "A controlled trial; the control group and Usual  care; tcz and TCZ-treated."
    found = [(m.label, m.text) for m in v.find("comparator", text)]
    assert found == [("control", "control"), ("control", "Usual  care")]  # not "controlled"
    assert [m.text for m in v.find("intervention", text)] == ["TCZ"]  # not lower-case "tcz"


def test_longest_term_wins_and_phrases_span_hyphens_and_lines():
    v = _vocab(intervention={"ex": ["training", "balance training"]})
    assert [m.text for m in v.find("intervention", "balance-\ntraining and training")] == [
        "balance-\ntraining",
        "training",
    ]


def test_defined_abbreviations_are_learned_per_paper():
    v = _vocab(intervention={"tocilizumab": ["tocilizumab"]}, outcome={"OS": ["overall survival"]})
    paper = "Tocilizumab (TCZ) was given; overall survival (OS) was longer. TCZ ... OS"
    learned = v.learn(paper)
    assert [a for _, _, a, _ in learned.learned] == ["TCZ", "OS"]
    assert [m.label for m in learned.find("intervention", "TCZ and tcz")] == ["tocilizumab"]
    assert v.find("intervention", "TCZ") == ()  # the original vocabulary is unchanged
    # "(n = 40)" or "(95% CI)" teach nothing
    assert v.learn("tocilizumab (n = 40) and tocilizumab (95% CI)").learned == ()
