"""evsynth: evidence tables with provenance and honest random-effects meta-analysis.

This module only re-exports the public API; each stage lives in its own module.
"""

from __future__ import annotations

__version__ = "0.1.0"

from evsynth.corpus import bundled_papers
from evsynth.document import Document, Section, Table, TableCell
from evsynth.errors import EvsynthError

__all__ = [
    "__version__",
    "bundled_papers",
    "Document",
    "Section",
    "Table",
    "TableCell",
    "EvsynthError",
]

# Each stage adds its exports below, one block per module (keep blocks in pipeline order).
# --- reader ---
from evsynth.reader import ReadFailure, read, read_many, read_string  # noqa: E402

__all__ += ["read", "read_string", "read_many", "ReadFailure"]
# --- extract ---
from evsynth.extractors import extract_document  # noqa: E402

__all__ += ["extract_document"]
from evsynth.curation import apply_curation, load_curation  # noqa: E402
from evsynth.evidence import EvidenceTable, extract, verify  # noqa: E402

__all__ += ["extract", "EvidenceTable", "load_curation", "apply_curation", "verify"]
# --- effects ---
from evsynth.effects import (  # noqa: E402
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

__all__ += [
    "effect_sizes",
    "escalc",
    "log_ratio_from_ci",
    "log_ratio_from_p",
    "log_hr_from_logrank",
    "survival_rate_effect",
    "EffectSize",
    "EffectSizes",
    "NotEstimable",
]
# --- pooling ---
from evsynth.pooling import (  # noqa: E402
    MetaAnalysis,
    MetaRegression,
    mantel_haenszel,
    meta_analysis,
    meta_regression,
    peto,
)

__all__ += [
    "meta_analysis",
    "meta_regression",
    "MetaAnalysis",
    "MetaRegression",
    "mantel_haenszel",
    "peto",
]
from evsynth.pooling.bayes import BayesianMetaAnalysis, bayesian_meta_analysis  # noqa: E402
from evsynth.pooling.bias import EggerTest, TrimAndFill, egger_test, trim_and_fill  # noqa: E402
from evsynth.pooling.gosh import gosh  # noqa: E402
from evsynth.pooling.influence import cumulative, leave_one_out  # noqa: E402
from evsynth.pooling.permutation import PermutationTest, permutation_test  # noqa: E402
from evsynth.pooling.subgroup import SubgroupAnalysis, subgroup_analysis  # noqa: E402

__all__ += [
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
]
# --- plots ---
# imported on first use: matplotlib costs a quarter of a second that users who only
# extract or pool should not pay at every kernel restart
_LAZY = {
    name: "evsynth.plots"
    for name in ("ForestStyle", "forest_plot", "funnel_plot", "save_figure", "sensitivity_plot")
}
__all__ += ["forest_plot", "funnel_plot", "save_figure", "sensitivity_plot", "ForestStyle"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evsynth' has no attribute {name!r}")


# --- checks ---
from evsynth.checks import Finding, check, check_documents  # noqa: E402

__all__ += ["check", "check_documents", "Finding"]
# --- workflow ---
from evsynth.synthesis import Synthesis, SynthesisOptions, synthesize  # noqa: E402
from evsynth.workflow import RunResult, run  # noqa: E402

__all__ += ["run", "RunResult", "synthesize", "Synthesis", "SynthesisOptions"]
