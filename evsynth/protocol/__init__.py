"""Stage 0, the protocol: the review question that drives every topic-specific choice.

A systematic review starts from a protocol (PICO: population, interventions, comparators,
outcomes, planned analyses). Takes a YAML file (``docs/protocol.md``); gives a validated
:class:`Protocol` and its term matcher (:class:`Vocabulary`), which extraction uses to label
rows and the review stage uses for questions, titles, favours labels, proxies and analysis
choices. Topic words live in protocol files (``evsynth/data/protocols/``), never in Python.
Imports: :mod:`evsynth._shared`, :mod:`evsynth.errors`.
"""

from evsynth.errors import ProtocolError
from evsynth.protocol.loading import (
    Protocol,
    bundled_protocols,
    load_protocol,
    protocol_from_dict,
    protocol_from_text,
    protocol_to_yaml,
)
from evsynth.protocol.model import AnalysisPlan, Arm, Outcome, Question, RiskOfBias
from evsynth.protocol.terms import TermMatch, Vocabulary

__all__ = [
    "Protocol",
    "Arm",
    "Outcome",
    "Question",
    "AnalysisPlan",
    "RiskOfBias",
    "Vocabulary",
    "TermMatch",
    "ProtocolError",
    "load_protocol",
    "protocol_from_dict",
    "protocol_from_text",
    "protocol_to_yaml",
    "bundled_protocols",
]
