"""The main job: read -> extract -> curate -> check -> pool -> figures -> report.

``evsynth.run()`` (and ``evsynth run``) writes into one folder:
``evidence.csv``, ``studies.csv``, ``findings.csv``, ``pooled.csv``, ``figures/`` (a forest plot
per question as PDF and PNG, and a summary figure), the manuscript outputs of
:mod:`evsynth.review.manuscript` (``sof.csv``, ``sof.docx``, ``methods.md``, ``analysis.R``;
risk-of-bias and PRISMA figures when the protocol records them), ``report.md`` and
``report.html``.
Running it twice on the same inputs gives identical files (stable ordering, no timestamps in
outputs, fixed figure metadata).
"""

from __future__ import annotations

import hashlib
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.files import atomic_write_csv, atomic_write_text
from evsynth.errors import EvsynthError
from evsynth.review.synthesis import (
    Synthesis,
    SynthesisOptions,
    pooled_counts,
    synthesize,
    unpooled_evidence,
)


def question_text(options: SynthesisOptions) -> str:
    """The review question in words: the protocol's, else built from the questions being
    answered ("" when none)."""
    if options.question:
        return options.question
    if not options.questions:
        return ""
    interventions = list(dict.fromkeys(q.intervention for q in options.questions))
    comparators = list(dict.fromkeys(q.comparator for q in options.questions if q.comparator))
    outcomes = list(dict.fromkeys(q.outcome for q in options.questions))
    versus = f" compared with {' or '.join(comparators)}" if comparators else ""
    return (
        f"Across the included papers, does {' or '.join(interventions)}{versus} change "
        f"{', '.join(outcomes[:-1]) + ' and ' if len(outcomes) > 1 else ''}{outcomes[-1]}?"
    )


def _progress(msg: str, enabled: bool) -> None:
    if enabled:
        print(f"[evsynth] {msg}", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def default_curation(paths: list[Path]) -> Path | None:
    """The curation file that belongs to these papers, if one does.

    Looks at ``./extracted/curation.yaml`` (a checkout of the project) and the copy bundled with
    the package; a file belongs to the papers when the sha256 of every paper it names matches a
    paper being run (see :mod:`evsynth.evidence.curation`).
    """
    from evsynth.evidence.curation import curation_belongs_to

    candidates = [
        Path.cwd() / "extracted" / "curation.yaml",
        Path(__file__).parents[1] / "data" / "curation.yaml",
    ]
    for c in candidates:
        if c.is_file() and curation_belongs_to(c, paths):
            return c
    return None


@dataclass(frozen=True)
class RunResult(FrameDisplay):
    """What ``evsynth.run`` produced: the tables, the synthesis and where the files are."""

    out: Path
    evidence: pd.DataFrame = field(repr=False)
    studies: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    synthesis: Synthesis = field(repr=False)
    files: tuple[Path, ...] = ()
    curation: Path | None = None
    #: the manuscript outputs (:class:`evsynth.review.manuscript.ManuscriptOutputs`): ``.sof``,
    #: ``.risk_of_bias``, ``.prisma``, ``.methods``
    manuscript: object = field(default=None, repr=False)

    _display_title = "evsynth run"

    def to_frame(self) -> pd.DataFrame:
        return self.synthesis.pooled.copy()


def run(
    paths: list[str | Path] | None = None,
    out: str | Path = "evsynth-out",
    *,
    curation: str | Path | None | bool = True,
    protocol=None,
    options: SynthesisOptions | None = None,
    progress: bool = True,
) -> RunResult:
    """Run the whole synthesis and write every output into ``out``.

    Parameters
    ----------
    paths : papers (files or folders); None for the bundled papers.
    out : output folder (created if needed).
    curation : a curation file; True (default) to use the one that belongs to these papers if
        there is one; False/None for none.
    protocol : the review protocol (a :class:`~evsynth.protocol.Protocol`, a YAML file or the
        name of a bundled protocol): its terms label the evidence and its questions, titles,
        proxies and analysis plan drive the synthesis and the report. None: the bundled protocol
        for the bundled papers; for other papers no question is asked and the report lists the
        evidence by the arms as reported (write a protocol with ``evsynth init``).
    options : analysis choices overriding the protocol's (see
        :class:`evsynth.review.synthesis.SynthesisOptions`).
    progress : print progress to stderr.
    """
    from evsynth.checks import check_documents
    from evsynth.evidence.batch import expand, extract_many
    from evsynth.evidence.table import extract_documents, protocol_for
    from evsynth.reading.corpus import bundled_papers

    out = Path(out)
    paths = [Path(p) for p in paths] if paths else bundled_papers()
    files = [
        Path(f) for f in expand(paths)
    ]  # the reader's rule: README.md and hidden files skipped
    proto = protocol_for(protocol, files)
    if options is None:
        options = SynthesisOptions.from_protocol(proto) if proto else SynthesisOptions()

    if curation not in (True, False, None):
        if not Path(curation).is_file():
            raise EvsynthError(f"{curation}: no such curation file")
        from evsynth.evidence.curation import load_curation

        load_curation(curation)  # a malformed file is refused before any paper is read

    _progress(f"reading and extracting {len(files)} file(s), each in its own process", progress)
    docs, rows, failures = extract_many(files, progress=progress, protocol=proto)
    for f in failures:
        _progress(f"could not use {f}", progress)
    if not docs:
        reasons = "; ".join(str(f) for f in failures) or "no .txt, .md or .pdf files found"
        raise EvsynthError(f"none of the {len(files)} input(s) could be read: {reasons}")
    files = [Path(d.path) for d in docs]  # what the synthesis rests on (failures are reported)

    cur: Path | None
    if curation is True:
        cur = default_curation(files)
    elif curation in (False, None):
        cur = None
    else:
        cur = Path(curation)
    _progress(
        "building the evidence table"
        + (f" (curation: {cur.name})" if cur else " (no curation file)"),
        progress,
    )
    table = extract_documents(docs, rows=rows, failures=failures, curation=cur, protocol=proto)
    evidence, studies = table.evidence, table.studies
    _progress("checking consistency", progress)
    findings = check_documents(docs, evidence=table)
    _progress("pooling", progress)
    synth = synthesize(evidence, studies, options)
    pooled = synth.pooled

    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    written.append(atomic_write_csv(evidence, out / "evidence.csv"))
    written.append(atomic_write_csv(studies, out / "studies.csv"))
    written.append(atomic_write_csv(findings, out / "findings.csv"))
    written.append(atomic_write_csv(pooled, out / "pooled.csv"))
    if table.failures is not None and len(table.failures):
        written.append(atomic_write_csv(table.failures, out / "failures.csv"))

    # the manuscript outputs check the protocol against the run first, so a mistake draws nothing
    _progress("writing the summary of findings, methods.md and analysis.R", progress)
    ms = _manuscript(out, synth, evidence, studies, proto, len(files))
    written.extend(ms.files)

    _progress("drawing figures", progress)
    figures = _figures(synth, out / "figures", ms.risk_of_bias)
    written.extend(p for pair in figures.values() for p in pair)

    from evsynth.review.report import ReportInputs, report_html, report_markdown

    if proto is not None:
        title = proto.title
    else:
        title = f"evsynth: evidence of {len(files)} report(s) (no review protocol)"
    question = question_text(options)
    inputs = pd.DataFrame({"file": [p.name for p in files], "sha256": [_sha256(p) for p in files]})
    command = ["evsynth", "run"]
    if paths != bundled_papers():
        command += [str(Path(p).resolve()) for p in paths]
    if proto is not None and protocol is not None:
        command += ["--protocol", proto.name or str(Path(proto.path).resolve())]
    if cur:
        command += ["--curation", str(Path(cur).resolve())]
    elif curation in (False, None):
        command += ["--no-curation"]
    command += ["--out", str(out.resolve())]
    reproduce = [
        "pip install evsynth   # or: pip install . in a checkout",
        shlex.join(command),
    ]
    if cur:
        reproduce.append(f"# curation applied: {cur.name} (sha256 {_sha256(cur)[:16]}…)")
    inp = ReportInputs(
        title=title,
        question=question,
        studies=studies,
        evidence=evidence,
        pooled=pooled,
        findings=findings,
        choices=options.describe()
        + ([f"Curation file applied: {cur.name}."] if cur else ["No curation file applied."]),
        figures={cap: png for cap, (png, _pdf) in figures.items()},
        failures=table.failures,
        reproduce=reproduce,
        inputs=inputs,
        protocol=proto.describe() if proto is not None else None,
        manuscript=_manuscript_sections(ms),
    )
    links = {cap: str(png.relative_to(out)) for cap, (png, _pdf) in figures.items()}
    written.append(atomic_write_text(out / "report.md", report_markdown(inp, links)))
    written.append(atomic_write_text(out / "report.html", report_html(inp)))
    _progress(f"done: outputs in {out.resolve()}", progress)
    return RunResult(out, evidence, studies, findings, synth, tuple(written), cur, ms)


def _manuscript(out, synth, evidence, studies, proto, reports):
    from evsynth.review.manuscript import manuscript_outputs

    return manuscript_outputs(out, synth, evidence, studies, proto, reports=reports)


def _manuscript_sections(ms) -> dict:
    from evsynth.review.report import (
        methods_section,
        prisma_section,
        risk_of_bias_section,
        summary_of_findings_section,
    )

    pngs = {cap: png for cap, (png, _pdf) in ms.figures.items()}
    sections = {}
    if ms.sof is not None and len(ms.sof.table):
        sections["Summary of findings"] = summary_of_findings_section(ms.sof)
    if ms.risk_of_bias is not None:
        rob_figs = {c: p for c, p in pngs.items() if c.startswith("Risk of bias")}
        sections["Risk of bias"] = risk_of_bias_section(ms.risk_of_bias, rob_figs)
    if ms.prisma is not None:
        sections["PRISMA flow"] = prisma_section(
            ms.prisma, {c: p for c, p in pngs.items() if c.startswith("PRISMA")}
        )
    sections["Methods"] = methods_section(ms.methods)
    return sections


def _figures(synth: Synthesis, folder: Path, rob=None) -> dict[str, tuple[Path, Path]]:
    """Draw a forest plot per question and the summary figure; return caption -> (png, pdf)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from evsynth.plots import forest_plot, save_figure

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, Path]] = {}
    pooled = synth.pooled
    for q in synth.questions:
        res = synth.results.get((q.slug, "primary"))
        rows = pooled[(pooled["question"] == q.name) & (pooled["role"] == "primary")]
        if res is None or rows.empty:
            continue
        unpoolable = unpooled_evidence(q, rows.iloc[0])[["label", "reported", "reason"]]
        chosen = q.rows[q.rows["row_id"].astype(str).isin(str(rows.iloc[0]["row_ids"]).split("; "))]
        counts = pooled_counts(chosen, q.outcome) if (chosen["measure"] == "counts").all() else None
        fig = forest_plot(
            res,
            counts=counts,
            unpoolable=unpoolable if len(unpoolable) else None,
            title=f"{q.intervention.capitalize()} and {q.outcome}",
            favours=q.favours,
            risk_of_bias=_rob_columns(rob, chosen, q.outcome),
        )
        png = save_figure(fig, folder / f"forest_{q.slug}.png")
        pdf = save_figure(fig, folder / f"forest_{q.slug}.pdf")
        plt.close(fig)
        out[f"Forest plot: {q.name} (primary analysis)"] = (Path(png), Path(pdf))

    summary = _summary_table(pooled)
    if len(summary):
        fig = forest_plot(
            summary,
            title="All questions: primary and Bayesian analyses",
            columns=("estimate_ci",),
            measure="RATIO",
            subgroup="question",
            favours=("Lower with treatment", "Higher with treatment"),
            study_header="Question and analysis",
        )
        png = save_figure(fig, folder / "summary.png")
        pdf = save_figure(fig, folder / "summary.pdf")
        plt.close(fig)
        out["Summary of all questions (ratio scale; single-study rows are not pooled)"] = (
            Path(png),
            Path(pdf),
        )
    return out


def _rob_columns(rob, chosen: pd.DataFrame, outcome: str) -> pd.DataFrame | None:
    """The risk-of-bias judgements of the plotted studies, keyed by their forest-plot labels."""
    from evsynth.review.synthesis import study_labels

    if rob is None or chosen.empty:
        return None
    labels = dict(zip(chosen["study_id"].astype(str), study_labels(chosen, outcome), strict=True))
    table = rob.judgements[rob.judgements["study_id"].isin(labels)]
    return table.assign(label=table["study_id"].map(labels)) if len(table) else None


def _summary_table(pooled: pd.DataFrame) -> pd.DataFrame:
    # one ratio axis: differences (MD, SMD, RD) are shown in their own forest plots only
    keep = pooled[
        pooled["role"].isin(["primary", "bayesian"])
        & pooled["estimate"].notna()
        & ~pooled["measure"].isin(["MD", "SMD", "RD"])
    ]
    labels = []
    for _, r in keep.iterrows():
        k = int(r["k"])
        if r["status"] == "single study":
            labels.append(f"{r['studies']} alone ({r['measure']}; not pooled)")
        elif r["role"] == "bayesian":
            labels.append(f"Bayesian, k={k} ({r['measure']})")
        else:
            labels.append(f"REML + Hartung-Knapp (ad hoc), k={k} ({r['measure']})")
    return pd.DataFrame(
        {
            "question": [
                f"{r['intervention'].capitalize()} on {r['outcome']}" for _, r in keep.iterrows()
            ],
            "label": labels,
            "estimate": keep["estimate"],
            "ci_lower": keep["ci_lower"],
            "ci_upper": keep["ci_upper"],
        }
    ).reset_index(drop=True)
