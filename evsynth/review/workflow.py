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
import platform
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evsynth._shared.display import FrameDisplay
from evsynth._shared.outputs import OutputProblem, OutputSet
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


@dataclass(frozen=True)
class FigureOptions:
    """How the run draws its figures (the numbers do not depend on it).

    Attributes
    ----------
    style : "default", "revman" or "jama" (see :mod:`evsynth.plots.style`).
    width_mm : figure width; None for the natural width (at most 180 mm, a double column);
        85-90 for a single journal column.
    font : font family (e.g. "Arial", "Liberation Serif"); None for the style's font.
    formats : file types written for each figure.
    """

    style: str = "default"
    width_mm: float | None = None
    font: str | None = None
    formats: tuple[str, ...] = ("png", "pdf")


@dataclass(frozen=True)
class RunState:
    """Everything a run has computed, handed to each output writer."""

    out: Path
    paths: tuple[Path, ...]
    given_paths: bool
    files: tuple[Path, ...]
    curation: Path | None
    options: SynthesisOptions
    figure_options: FigureOptions
    evidence: pd.DataFrame = field(repr=False)
    studies: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    failures: pd.DataFrame | None = field(repr=False)
    synthesis: Synthesis = field(repr=False)
    protocol: object = field(default=None, repr=False)  # the Protocol the run used, if any
    protocol_arg: object = field(default=None, repr=False)  # as the caller named it
    #: caption -> output names of the figures, filled in by the figure writer
    figures: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    #: what the writers made for later writers (e.g. "manuscript": ManuscriptOutputs)
    made: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def manuscript(self):
        """The manuscript outputs (summary of findings, risk of bias, PRISMA, methods)."""
        return self.made.get("manuscript")


def _significant(frame: pd.DataFrame, digits: int = 6) -> pd.DataFrame:
    """Floats rounded to ``digits`` significant digits (3.974999999999999 -> 3.975)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col].dtype):
            out[col] = [float(f"{v:.{digits}g}") if pd.notna(v) else v for v in out[col]]
    return out


#: pooled.csv column names (the same words as evidence.csv; units in the name)
POOLED_CSV_NAMES = {"pvalue": "p_value", "i2": "i2_percent"}


def pooled_table(synth: Synthesis) -> pd.DataFrame:
    """The rows of ``pooled.csv``: one per question and analysis, with Q and the tau² CI.

    Single-study rows have no method, tau², I², Q or prediction interval (nothing was pooled).
    """
    pooled = synth.pooled.copy()
    slugs = {q.name: q.slug for q in synth.questions}
    extra = {"q": [], "q_df": [], "q_p_value": [], "tau2_ci_lower": [], "tau2_ci_upper": []}
    for _, r in pooled.iterrows():
        res = synth.results.get((slugs.get(r["question"]), r["analysis"]))
        ok = r["status"] == "pooled" and res is not None and hasattr(res, "q")
        extra["q"].append(float(res.q) if ok else float("nan"))
        extra["q_df"].append(int(res.q_df) if ok else pd.NA)
        extra["q_p_value"].append(float(res.q_pvalue) if ok else float("nan"))
        extra["tau2_ci_lower"].append(float(res.tau2_ci[0]) if ok else float("nan"))
        extra["tau2_ci_upper"].append(float(res.tau2_ci[1]) if ok else float("nan"))
    for name, values in extra.items():
        pooled[name] = pd.array(values, dtype="Int64") if name == "q_df" else values
    single = pooled["status"] != "pooled"
    pooled["method"] = pooled["method"].astype(object)
    pooled.loc[single, "method"] = ""
    pooled.loc[single, ["tau2", "i2", "pi_lower", "pi_upper"]] = float("nan")
    at = list(pooled.columns).index("i2") + 1
    cols = [c for c in pooled.columns if c not in extra]
    cols[at:at] = list(extra)
    return _significant(pooled[cols].rename(columns=POOLED_CSV_NAMES))


def pooled_studies_table(synth: Synthesis) -> pd.DataFrame:
    """Per-study inputs of every pooled analysis, as metafor or RevMan read them.

    Columns: question, analysis, study, measure, ``yi`` (log ratio, or the difference for RD),
    ``vi``, ``sei`` (= sqrt(vi)) and ``weight_percent`` (the analysis's random-effects weight).
    In R: ``d <- read.csv("pooled_studies.csv", fileEncoding = "UTF-8-BOM");
    metafor::rma(yi, sei = sei, data = subset(d, question == "..." & analysis == "primary"))``;
    in RevMan, "generic inverse variance" data take ``yi`` and ``sei``.
    """
    rows = []
    slugs = {q.slug: q.name for q in synth.questions}
    for (slug, analysis), res in synth.results.items():
        yi, vi = getattr(res, "yi", None), getattr(res, "vi", None)
        if yi is None or vi is None:
            continue
        weights = getattr(res, "weights", None) or (float("nan"),) * len(yi)
        for label, y, v, w in zip(res.labels, yi, vi, weights, strict=False):
            rows.append(
                {
                    "question": slugs.get(slug, slug),
                    "analysis": analysis,
                    "study": label,
                    "measure": res.measure,
                    "yi": float(y),
                    "vi": float(v),
                    "sei": float(v) ** 0.5,
                    "weight_percent": float(w),
                }
            )
    cols = ["question", "analysis", "study", "measure", "yi", "vi", "sei", "weight_percent"]
    return _significant(pd.DataFrame(rows, columns=cols), digits=8)


def reproduce_commands(state: RunState) -> list[str]:
    """Shell lines that rerun this run from a checkout (every argument ``shlex``-quoted)."""
    import evsynth

    q = shlex.quote
    checkout = Path(evsynth.__file__).resolve().parents[1]
    lines = []
    if (checkout / "pyproject.toml").is_file():
        lines.append(f"python3 -m pip install -e {q(str(checkout))}")
    else:
        lines.append(f"# evsynth {evsynth.__version__} was installed from a built package")
    args = ["python3", "-m", "evsynth", "run"]
    if state.given_paths:
        args += [str(Path(p).resolve()) for p in state.paths]
    proto = state.protocol
    if proto is not None and state.protocol_arg is not None:
        args += ["--protocol", getattr(proto, "name", None) or str(Path(proto.path).resolve())]
    args += ["--out", str(state.out.resolve())]
    if state.curation is not None:
        args += ["--curation", str(Path(state.curation).resolve())]
    else:
        args += ["--no-curation"]
    o = state.options
    d = SynthesisOptions.from_protocol(proto) if proto is not None else SynthesisOptions()
    for flag, value, default in (
        ("--method", o.method, d.method),
        ("--test", o.test, d.test),
        ("--measure", o.counts_measure, d.counts_measure),
    ):
        if value != default:
            args += [flag, str(value)]
    fo = state.figure_options
    if fo.style != "default":
        args += ["--style", fo.style]
    if fo.width_mm is not None:
        args += ["--width", f"{fo.width_mm:g}"]
    if fo.font:
        args += ["--font", fo.font]
    lines.append(" ".join(q(a) for a in args))
    return lines


def software_versions() -> dict[str, str]:
    """Versions of evsynth, Python and the numerical libraries the results depend on."""
    from importlib.metadata import PackageNotFoundError, version

    import evsynth

    out = {"evsynth": evsynth.__version__, "python": platform.python_version()}
    for name in ("numpy", "scipy", "pandas", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover
            out[name] = "not installed"
    return out


def input_hashes(state: RunState) -> pd.DataFrame:
    """File name, full path and sha256 of every paper the synthesis rests on."""
    return pd.DataFrame(
        {
            "file": [p.name for p in state.files],
            "path": [str(p.resolve()) for p in state.files],
            "sha256": [_sha256(p) for p in state.files],
        }
    )


def run_record(state: RunState) -> dict[str, object]:
    """What ``run.json`` records besides the files written: versions, inputs, choices, command."""
    return {
        "software": software_versions(),
        "inputs": input_hashes(state).to_dict(orient="records"),
        "curation": None
        if state.curation is None
        else {"path": str(Path(state.curation).resolve()), "sha256": _sha256(state.curation)},
        "choices": state.options.describe(),
        "figures": {
            "style": state.figure_options.style,
            "width_mm": state.figure_options.width_mm,
            "font": state.figure_options.font,
        },
        "reproduce": reproduce_commands(state),
    }


def _write_tables(state: RunState, outputs: OutputSet) -> None:
    outputs.csv("evidence.csv", state.evidence)
    outputs.csv("studies.csv", state.studies)
    outputs.csv("findings.csv", state.findings)
    outputs.csv("pooled.csv", pooled_table(state.synthesis))
    outputs.csv("pooled_studies.csv", pooled_studies_table(state.synthesis))
    if state.failures is not None and len(state.failures):
        outputs.csv("failures.csv", state.failures)


def _write_manuscript(state: RunState, outputs: OutputSet) -> None:
    # the manuscript outputs check the protocol against the run first, so a mistake draws nothing
    from evsynth.review.manuscript import manuscript_outputs

    ms = manuscript_outputs(
        outputs.staging, state.synthesis, state.evidence, state.studies, state.protocol,
        reports=len(state.files),
    )  # fmt: skip
    for f in ms.files:
        outputs.path(Path(f).relative_to(outputs.staging).as_posix())  # part of the set
    state.made["manuscript"] = ms


def _write_figures(state: RunState, outputs: OutputSet) -> None:
    ms = state.manuscript
    rob = getattr(ms, "risk_of_bias", None)
    state.figures.update(_figures(state.synthesis, outputs, state.figure_options, rob))


def _write_report(state: RunState, outputs: OutputSet) -> None:
    from evsynth.review.report import ReportInputs, report_html, report_markdown

    files, cur, options, proto = state.files, state.curation, state.options, state.protocol
    if proto is not None:
        title = proto.title
    else:
        title = f"evsynth: evidence of {len(files)} report(s) (no review protocol)"
    reproduce = reproduce_commands(state)
    if cur:
        reproduce.append(f"# curation applied: {cur.name} (sha256 {_sha256(cur)})")
    pngs = {
        cap: next(n for n in names if n.endswith(".png")) for cap, names in state.figures.items()
    }
    ms = state.manuscript
    links = dict(pngs)
    if ms is not None:
        for cap, (png, _pdf) in ms.figures.items():
            links[cap] = Path(png).relative_to(outputs.staging).as_posix()
    sof = getattr(getattr(ms, "sof", None), "table", None)
    inp = ReportInputs(
        title=title,
        question=question_text(options),
        studies=state.studies,
        evidence=state.evidence,
        pooled=state.synthesis.pooled,
        findings=state.findings,
        choices=options.describe()
        + ([f"Curation file applied: {cur.name}."] if cur else ["No curation file applied."]),
        figures={cap: outputs.path(name) for cap, name in pngs.items()},
        failures=state.failures,
        reproduce=reproduce,
        inputs=input_hashes(state),
        versions=software_versions(),
        sof=_certainty(sof) if sof is not None else getattr(state.synthesis, "sof", None),
        protocol=proto.describe() if proto is not None else None,
        manuscript=_manuscript_sections(ms) if ms is not None else {},
    )
    outputs.text("report.md", report_markdown(inp, links))
    outputs.text("report.html", report_html(inp))


def _certainty(sof: pd.DataFrame) -> pd.DataFrame | None:
    """question, certainty from the summary of findings table (its column names vary)."""
    cols = {c.lower(): c for c in sof.columns}
    q = cols.get("question")
    c = next((cols[k] for k in cols if k.startswith("certainty")), None)
    if q is None or c is None:
        return None
    return sof[[q, c]].set_axis(["question", "certainty"], axis=1)


#: the run's outputs, written in this order into the staging folder; a stage that adds an
#: output appends ``(name, writer)`` here (a writer takes the RunState and the OutputSet).
OUTPUT_WRITERS: list[tuple[str, Callable[[RunState, OutputSet], None]]] = [
    ("tables", _write_tables),
    ("summary of findings, methods.md and analysis.R", _write_manuscript),
    ("figures", _write_figures),
    ("report", _write_report),
]


def run(
    paths: list[str | Path] | None = None,
    out: str | Path = "evsynth-out",
    *,
    curation: str | Path | None | bool = True,
    protocol=None,
    options: SynthesisOptions | None = None,
    analysis: dict[str, object] | None = None,
    figure_options: FigureOptions | None = None,
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
    analysis : single choices that replace the protocol's (or the options'), e.g.
        ``{"method": "DL", "test": "z", "counts_measure": "RR"}`` (what ``evsynth run
        --method/--test/--measure`` set).
    figure_options : style, width and font of the figures (see :class:`FigureOptions`).
    progress : print progress to stderr.

    Notes
    -----
    The outputs are written as a set (see :mod:`evsynth._shared.outputs`): ``out`` is checked
    before any paper is read, the files are staged beside it and swapped in at the end, so a run
    that stops leaves the previous complete set, and a second run into the same folder at the
    same time is refused. Every output is written by one of :data:`OUTPUT_WRITERS`.
    """
    from evsynth.evidence.batch import expand
    from evsynth.evidence.table import protocol_for
    from evsynth.reading.corpus import bundled_papers

    given = paths is not None and len(paths) > 0
    paths = [Path(p) for p in paths] if paths else bundled_papers()
    files = [
        Path(f) for f in expand(paths)
    ]  # the reader's rule: README.md and hidden files skipped
    proto = protocol_for(protocol, files)
    if options is None:
        options = SynthesisOptions.from_protocol(proto) if proto else SynthesisOptions()
    if analysis:
        from dataclasses import replace

        options = replace(options, **analysis)

    if curation not in (True, False, None):
        if not Path(curation).is_file():
            raise EvsynthError(f"{curation}: no such curation file")
        from evsynth.evidence.curation import load_curation

        load_curation(curation)  # a malformed file is refused before any paper is read
    try:
        outputs = OutputSet(out)  # checked (and locked) before any paper is read
    except OutputProblem as exc:
        raise EvsynthError(str(exc)) from None
    try:
        state = _compute(
            outputs.out, paths, given, files, curation, proto, protocol, options,
            figure_options or FigureOptions(), progress,
        )  # fmt: skip
        for name, writer in OUTPUT_WRITERS:
            _progress(f"writing {name}", progress)
            writer(state, outputs)
        written = outputs.commit(run_record(state))
    except BaseException:
        outputs.abort()  # the previous complete set of outputs stays as it was
        raise
    _progress(f"done: outputs in {outputs.out.resolve()}", progress)
    return RunResult(
        outputs.out, state.evidence, state.studies, state.findings, state.synthesis, written,
        state.curation, state.manuscript,
    )  # fmt: skip


def _compute(
    out, paths, given, files, curation, proto, protocol, options, figure_options, progress
):
    from evsynth.checks import check_documents
    from evsynth.evidence.batch import extract_many
    from evsynth.evidence.table import extract_documents

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
    _progress("checking consistency", progress)
    findings = check_documents(docs, evidence=table)
    _progress("pooling", progress)
    synth = synthesize(table.evidence, table.studies, options)
    return RunState(
        out=out,
        paths=tuple(paths),
        given_paths=given,
        files=tuple(files),
        curation=cur,
        options=options,
        figure_options=figure_options,
        evidence=table.evidence,
        studies=table.studies,
        findings=findings,
        failures=table.failures,
        synthesis=synth,
        protocol=proto,
        protocol_arg=protocol,
    )


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


def _figures(
    synth: Synthesis, outputs: OutputSet, fo: FigureOptions, rob=None
) -> dict[str, tuple[str, ...]]:
    """Draw a forest plot per question and the summary figure; return caption -> output names."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from evsynth.plots import forest_plot, save_figure

    out: dict[str, tuple[str, ...]] = {}
    look: dict[str, object] = {"style": fo.style, "width_mm": fo.width_mm}
    if fo.font:
        look["font_family"] = fo.font

    def save(fig, stem: str) -> tuple[str, ...]:
        names = tuple(f"figures/{stem}.{ext}" for ext in fo.formats)
        for name in names:
            save_figure(fig, outputs.path(name), width_mm=fo.width_mm)
        plt.close(fig)
        return names

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
            favours=q.favours,
            risk_of_bias=_rob_columns(rob, chosen, q.outcome),
            **look,
        )
        out[f"Forest plot: {q.name} (primary analysis)"] = save(fig, f"forest_{q.slug}")

    summary = _summary_table(pooled)
    if len(summary):
        fig = forest_plot(
            summary,
            columns=("estimate_ci",),
            measure="RATIO",
            subgroup="question",
            favours=("Lower with treatment", "Higher with treatment"),
            study_header="Question and analysis",
            **look,
        )
        out["Summary of all questions (ratio scale; single-study rows are not pooled)"] = save(
            fig, "summary"
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
            labels.append(f"REML + Hartung-Knapp-Sidik-Jonkman (ad hoc), k={k} ({r['measure']})")
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
