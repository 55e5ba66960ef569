"""evsynth: evidence tables with provenance and honest random-effects meta-analysis.

This module only re-exports the public API. The stages, in pipeline order, are the subpackages
``protocol`` -> ``reading`` -> ``extraction`` -> ``evidence`` -> ``effects`` -> ``pooling`` -> ``checks`` ->
``plots`` -> ``review`` (and ``cli``); see CONTRIBUTING.md for the map.
"""

from __future__ import annotations

# ruff: noqa: I001  (blocks in pipeline order, not alphabetical)

__version__ = "0.1.0"

# --- errors ---
from evsynth.errors import EvsynthError

# --- protocol ---
from evsynth.protocol import Protocol, bundled_protocols, load_protocol

# --- reading ---
from evsynth.reading import (
    Document,
    ReadFailure,
    Section,
    Table,
    TableCell,
    bundled_papers,
    read,
    read_many,
    read_string,
)

# --- extraction ---
from evsynth.extraction import extract_document

# --- evidence ---
from evsynth.evidence import EvidenceTable, apply_curation, extract, load_curation, verify

# --- effects ---
from evsynth.effects import (
    EffectSize,
    EffectSizes,
    NotEstimable,
    effect_sizes,
    escalc,
    log_hr_from_logrank,
    log_ratio_from_ci,
    log_ratio_from_p,
    survival_rate_effect,
)

# --- pooling ---
from evsynth.pooling import (
    MetaAnalysis,
    MetaRegression,
    mantel_haenszel,
    meta_analysis,
    meta_regression,
    peto,
)
from evsynth.pooling.bayes import BayesianMetaAnalysis, bayesian_meta_analysis
from evsynth.pooling.bias import EggerTest, TrimAndFill, egger_test, trim_and_fill
from evsynth.pooling.gosh import gosh
from evsynth.pooling.influence import cumulative, leave_one_out
from evsynth.pooling.permutation import PermutationTest, permutation_test
from evsynth.pooling.subgroup import SubgroupAnalysis, subgroup_analysis

# --- checks ---
from evsynth.checks import Finding, check, check_documents

# --- review ---
from evsynth.review import RunResult, Synthesis, SynthesisOptions, run, synthesize
from evsynth.review.scaffold import protocol_scaffold, write_protocol_scaffold

# --- plots: imported on first use ---
# matplotlib costs a quarter of a second that users who only extract or pool should not pay at
# every kernel restart; the names are listed in __all__ and dir() all the same.
_LAZY = {
    name: "evsynth.plots"
    for name in ("ForestStyle", "forest_plot", "funnel_plot", "save_figure", "sensitivity_plot")
}

__all__ = [
    "__version__",
    "Protocol",
    "bundled_protocols",
    "load_protocol",
    "protocol_scaffold",
    "write_protocol_scaffold",
    "EvsynthError",
    # reading
    "read",
    "read_string",
    "read_many",
    "ReadFailure",
    "Document",
    "Section",
    "Table",
    "TableCell",
    "bundled_papers",
    # extraction and evidence
    "extract_document",
    "extract",
    "EvidenceTable",
    "load_curation",
    "apply_curation",
    "verify",
    # effects
    "effect_sizes",
    "escalc",
    "log_ratio_from_ci",
    "log_ratio_from_p",
    "log_hr_from_logrank",
    "survival_rate_effect",
    "EffectSize",
    "EffectSizes",
    "NotEstimable",
    # pooling
    "meta_analysis",
    "meta_regression",
    "MetaAnalysis",
    "MetaRegression",
    "mantel_haenszel",
    "peto",
    "bayesian_meta_analysis",
    "BayesianMetaAnalysis",
    "subgroup_analysis",
    "SubgroupAnalysis",
    "leave_one_out",
    "cumulative",
    "egger_test",
    "EggerTest",
    "trim_and_fill",
    "TrimAndFill",
    "permutation_test",
    "PermutationTest",
    "gosh",
    # checks
    "check",
    "check_documents",
    "Finding",
    # plots (lazy)
    "forest_plot",
    "funnel_plot",
    "save_figure",
    "sensitivity_plot",
    "ForestStyle",
    # review
    "run",
    "RunResult",
    "synthesize",
    "Synthesis",
    "SynthesisOptions",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evsynth' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
