"""The manuscript outputs of a run, made in one call from ``evsynth.run``: ``sof.csv``,
``sof.docx``, ``methods.md``, ``analysis.R`` and, when the protocol records them, the
risk-of-bias figures (traffic light, weighted summary per pooled question) and the PRISMA flow
diagram. Everything is computed and checked first (unknown study ids, screening boxes that do
not add up, GRADE overrides of questions the run does not have), then written and drawn, so
a mistake in the protocol draws nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evsynth._shared.files import atomic_write_csv, atomic_write_text
from evsynth.errors import ManuscriptError

__all__ = ["ManuscriptOutputs", "manuscript_outputs"]


@dataclass(frozen=True)
class ManuscriptOutputs:
    """What :func:`manuscript_outputs` made.

    Attributes
    ----------
    files : every file written.
    figures : caption -> (png, pdf).
    sof, risk_of_bias, prisma : the computed objects (None when not made).
    methods : the text of methods.md.
    findings : plain sentences the report must show (e.g. PRISMA counts that differ from the run).
    """

    files: tuple[Path, ...]
    figures: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    sof: object = None
    risk_of_bias: object = None
    prisma: object = None
    methods: str = ""
    findings: tuple[str, ...] = ()


def manuscript_outputs(
    out: str | Path,
    synthesis,
    evidence: pd.DataFrame,
    studies: pd.DataFrame,
    protocol=None,
    *,
    reports: int | None = None,
) -> ManuscriptOutputs:
    """Compute, check, then write the manuscript outputs of a run into ``out``.

    Parameters
    ----------
    out : the run's output folder (figures go to ``out/figures``).
    synthesis, evidence, studies : the run's synthesis and tables.
    protocol : the :class:`~evsynth.protocol.Protocol` (risk of bias, screening, GRADE), or None.
    reports : number of reports (papers) the run read; default: the reports named in
        ``studies``.

    Raises
    ------
    ManuscriptError : a study id of ``studies`` or ``risk_of_bias`` is not a study of the run, a
        screening box does not add up, or a GRADE override names no question of the run (before
        anything is drawn).
    """
    from evsynth.review.grade import summary_of_findings
    from evsynth.review.methods import methods_text
    from evsynth.review.prisma import prisma_flow
    from evsynth.review.risk_of_bias import risk_of_bias_assessment
    from evsynth.review.rscript import analysis_script

    out = Path(out)
    study_ids = list(studies["study_id"].astype(str)) if len(studies) else []
    if reports is None:
        reports = (
            len({r.strip() for v in studies["reports"].dropna() for r in str(v).split(";")})
            if "reports" in studies
            else len(study_ids)
        )
    if protocol is not None:
        for sid in protocol.studies:
            if sid not in study_ids:
                raise ManuscriptError(
                    f"studies.{sid}: not a study of this run; the studies are "
                    f"{', '.join(study_ids)} (see studies.csv)"
                )
    rob = None
    if protocol is not None and protocol.risk_of_bias is not None:
        rob = risk_of_bias_assessment(protocol.risk_of_bias, study_ids)
    flow = None
    if protocol is not None and protocol.screening is not None:
        flow = prisma_flow(protocol.screening, len(study_ids), reports)
    sof = summary_of_findings(synthesis, protocol, studies=studies, risk_of_bias=rob)
    methods = methods_text(synthesis, protocol, risk_of_bias=rob, sof=sof, prisma=flow)
    script = analysis_script(synthesis, evidence)

    written = [
        atomic_write_csv(sof.table, out / "sof.csv"),
        sof.to_docx(out / "sof.docx"),
        atomic_write_text(out / "methods.md", methods),
        atomic_write_text(out / "analysis.R", script),
    ]
    figures = _figures(out / "figures", synthesis, rob, flow)
    written += [p for pair in figures.values() for p in pair]
    return ManuscriptOutputs(
        tuple(written), figures, sof, rob, flow, methods, flow.findings if flow else ()
    )


def _figures(folder: Path, synthesis, rob, flow) -> dict[str, tuple[Path, Path]]:
    from evsynth.plots import save_figure
    from evsynth.plots.prisma import prisma_plot
    from evsynth.plots.risk_of_bias import risk_of_bias_summary_plot, traffic_light_plot
    from evsynth.protocol.risk_of_bias import tool_named

    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, tuple[Path, Path]] = {}

    def save(fig, stem: str, caption: str) -> None:
        made[caption] = (
            save_figure(fig, folder / f"{stem}.png"),
            save_figure(fig, folder / f"{stem}.pdf"),
        )

    if flow is not None:
        save(prisma_plot(flow), "prisma", "PRISMA 2020 flow diagram")
    if rob is not None and len(rob.judgements):
        tool = tool_named(rob.tool)
        save(
            traffic_light_plot(rob, stars=tool.stars),
            "rob_traffic_light",
            f"Risk of bias per study and domain ({rob.tool})",
        )
        judged = set(rob.judgements["study_id"])
        for q in synthesis.questions:
            res = synthesis.results.get((q.slug, "primary"))
            prim = synthesis.pooled[
                (synthesis.pooled["question"] == q.name) & (synthesis.pooled["role"] == "primary")
            ]
            if res is None or prim.empty or int(prim.iloc[0]["k"]) < 2:
                continue
            ids = str(prim.iloc[0]["studies"]).split("; ")
            weights = dict(zip(ids, res.weights, strict=True))
            if not judged & set(ids):
                continue
            summary = rob.domain_summary({s: w for s, w in weights.items() if s in judged})
            save(
                risk_of_bias_summary_plot(summary, tool=f"{rob.tool}; {q.name}", stars=tool.stars),
                f"rob_summary_{q.slug}",
                f"Risk of bias weighted by the primary analysis: {q.name}",
            )
    return made
