"""evsynth: evidence tables with provenance and honest random-effects meta-analysis.

This module only re-exports the public API. The stages, in pipeline order, are the subpackages
``protocol`` -> ``reading`` -> ``extraction`` -> ``evidence`` -> ``effects`` -> ``pooling`` -> ``checks`` ->
``plots`` -> ``review`` (and ``cli``); see CONTRIBUTING.md for the map.
"""

from __future__ import annotations

__version__ = "0.1.0"

# Every public name is imported on first use (PEP 562), so that ``import evsynth`` costs about
# what ``import pandas`` costs; tab completion and ``dir(evsynth)`` list them all the same.
# name -> the module that defines it, by stage in pipeline order.
_WHERE: dict[str, str] = {}
for _module, _names in (
    ("evsynth.errors", "EvsynthError"),
    ("evsynth.protocol", "Protocol bundled_protocols load_protocol"),
    (
        "evsynth.reading",
        "Document ReadFailure Section Table TableCell bundled_papers read read_many read_string",
    ),
    ("evsynth.extraction", "extract_document"),
    ("evsynth.evidence", "EvidenceTable apply_curation extract load_curation verify"),
    (
        "evsynth.effects",
        "EffectSize EffectSizes NotEstimable effect_sizes escalc log_hr_from_logrank "
        "log_ratio_from_ci log_ratio_from_p survival_rate_effect",
    ),
    (
        "evsynth.pooling",
        "MetaAnalysis MetaRegression mantel_haenszel meta_analysis meta_regression peto",
    ),
    ("evsynth.pooling.bayes", "BayesianMetaAnalysis bayesian_meta_analysis"),
    ("evsynth.pooling.bias", "EggerTest TrimAndFill egger_test trim_and_fill"),
    ("evsynth.pooling.gosh", "gosh"),
    ("evsynth.pooling.influence", "cumulative leave_one_out"),
    ("evsynth.pooling.permutation", "PermutationTest permutation_test"),
    ("evsynth.pooling.subgroup", "SubgroupAnalysis subgroup_analysis"),
    ("evsynth.checks", "Finding check check_documents"),
    ("evsynth.plots", "ForestStyle forest_plot funnel_plot save_figure sensitivity_plot"),
    ("evsynth.review", "RunResult Synthesis SynthesisOptions run synthesize"),
    ("evsynth.review.grade", "SummaryOfFindings summary_of_findings"),
    ("evsynth.review.risk_of_bias", "RiskOfBiasAssessment risk_of_bias_assessment"),
    ("evsynth.review.prisma", "PrismaFlow prisma_flow"),
    ("evsynth.plots.risk_of_bias", "risk_of_bias_summary_plot traffic_light_plot"),
    ("evsynth.plots.prisma", "prisma_plot"),
    ("evsynth.review.scaffold", "protocol_scaffold write_protocol_scaffold"),
):
    for _name in _names.split():
        _WHERE[_name] = _module
del _module, _names, _name

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
    "traffic_light_plot",
    "risk_of_bias_summary_plot",
    "prisma_plot",
    # review
    "run",
    "RunResult",
    "synthesize",
    "Synthesis",
    "SynthesisOptions",
    "summary_of_findings",
    "SummaryOfFindings",
    "risk_of_bias_assessment",
    "RiskOfBiasAssessment",
    "prisma_flow",
    "PrismaFlow",
]


def __getattr__(name: str):
    import importlib

    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    try:  # a stage: evsynth.pooling, evsynth.protocol, ...
        return importlib.import_module(f"evsynth.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"evsynth.{name}":
            raise
    raise AttributeError(f"module 'evsynth' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
