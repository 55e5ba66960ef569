"""``analysis.R``: an R script that rebuilds every frequentist pooled analysis of a run with
metafor, from the evidence rows the analysis used, and writes ``metafor_check.csv``.

The data are inline (one ``data.frame`` per analysis, each row naming its evidence ``row_id``),
so a peer reviewer needs only R and metafor. Effect sizes are computed *in R* from what the
papers report: 2x2 counts with ``escalc()`` (the run's counts measure; metafor's default
continuity correction, as evsynth), reported ratios from their CI (``log(ub) - log(lb)`` over
``2 qnorm(1 - (1 - level) / 2)``, Altman & Bland 2011, as :mod:`evsynth.effects.ratios`).
Rows of other kinds (arm means, rates) carry evsynth's ``yi``/``vi`` inline and say so.
Each analysis is then ``rma(yi, vi, method = <the run's>, test = <the run's>)`` (metafor's
``test = "adhoc"`` is evsynth's default; Viechtbauer 2010, J Stat Softw 36(3)). Estimates
and CIs are written on the scale of ``pooled.csv`` (back-transformed with ``exp`` for ratios).
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["analysis_script", "rebuildable_analyses"]

_RATIOS = ("HR", "OR", "RR", "IRR", "ROM")


def _r(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return "NA"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def _vector(values) -> str:
    return "c(" + ", ".join(_r(v) for v in values) + ")"


def rebuildable_analyses(synthesis) -> pd.DataFrame:
    """The pooled.csv rows the script rebuilds: primary and sensitivity analyses (not the
    Bayesian ones) with an estimate."""
    p = synthesis.pooled
    return p[p["role"].isin(["primary", "sensitivity"]) & p["estimate"].notna()]


_HEADER = """\
# analysis.R, written by evsynth {version}: rebuilds each frequentist pooled analysis of this run
# with metafor, from the evidence rows it used (row ids as in evidence.csv), and writes
# metafor_check.csv next to this script (question, analysis, estimate, ci_lower, ci_upper, on
# the scale of pooled.csv). Run: Rscript analysis.R
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script[1])) else getwd()  # source()d: getwd()
cat("metafor", as.character(packageVersion("metafor")), "\\n")

# yi, vi of each evidence row, computed from what the paper reports
effect_rows <- function(d, measure) {{
  yi <- d$yi
  vi <- d$vi
  ct <- d$kind == "counts"
  if (any(ct)) {{
    e <- escalc(measure = measure, ai = d$ai[ct], n1i = d$n1i[ct], ci = d$ci[ct], n2i = d$n2i[ct])
    yi[ct] <- e$yi
    vi[ct] <- e$vi
  }}
  r <- d$kind == "ratio"
  if (any(r)) {{
    z <- qnorm(1 - (1 - d$level[r]) / 2)
    yi[r] <- log(d$est[r])
    vi[r] <- ((log(d$ub[r]) - log(d$lb[r])) / (2 * z))^2
  }}
  data.frame(row_id = d$row_id, study = d$study, yi = yi, vi = vi)
}}

results <- list()
check <- function(question, analysis, fit, ratio) {{
  tf <- if (ratio) exp else identity
  results[[length(results) + 1]] <<- data.frame(
    question = question, analysis = analysis,
    estimate = tf(as.numeric(fit$beta)), ci_lower = tf(fit$ci.lb), ci_upper = tf(fit$ci.ub))
}}
"""


def analysis_script(synthesis, evidence: pd.DataFrame | None = None) -> str:
    """The text of ``analysis.R`` for a synthesis (see the module notes).

    Parameters
    ----------
    synthesis : :class:`evsynth.review.synthesis.Synthesis`.
    evidence : the evidence table (default: the rows the questions hold).
    """
    from evsynth import __version__
    from evsynth.effects import effect_sizes

    opts = synthesis.options
    if evidence is None:
        frames = [q.rows for q in synthesis.questions if len(q.rows)]
        evidence = pd.concat(frames).drop_duplicates("row_id") if frames else pd.DataFrame()
    by_id = evidence.set_index(evidence["row_id"].astype(str)) if len(evidence) else evidence
    parts = [_HEADER.format(version=__version__)]
    for _, row in rebuildable_analyses(synthesis).iterrows():
        ids = [i for i in str(row["row_ids"]).split("; ") if i]
        chosen = by_id.loc[ids]
        measure = str(row["measure"])
        kinds, inline = [], []
        for _, r in chosen.iterrows():
            if r["measure"] == "counts":
                kinds.append("counts")
            elif r["measure"] in _RATIOS and measure in _RATIOS and pd.notna(r["ci_lower"]):
                kinds.append("ratio")
            else:
                kinds.append("evsynth")
                inline.append(r["row_id"])
        yi = [math.nan] * len(chosen)
        vi = [math.nan] * len(chosen)
        if inline:
            es = effect_sizes(chosen, counts_measure=opts.counts_measure)
            for n, k in enumerate(kinds):
                if k == "evsynth":
                    yi[n], vi[n] = float(es["yi"].iloc[n]), float(es["vi"].iloc[n])
        studies = [s for s in str(row["studies"]).split("; ")]
        level = chosen["ci_level"].fillna(0.95) if "ci_level" in chosen else [0.95] * len(chosen)
        title = f"{row['question']}: {row['analysis']} (k = {int(row['k'])})"
        block = [
            "",
            "# " + "-" * 94,
            f"# {title}",
        ]
        if inline:
            block.append(
                f"# rows {', '.join(inline)}: yi, vi as computed by evsynth (not rebuilt in R)"
            )
        block += [
            "d <- data.frame(",
            f"  row_id = {_vector(chosen['row_id'].astype(str))},",
            f"  study = {_vector(studies)},",
            f"  kind = {_vector(kinds)},",
            f"  est = {_vector(chosen['estimate'])},",
            f"  lb = {_vector(chosen['ci_lower'])},",
            f"  ub = {_vector(chosen['ci_upper'])},",
            f"  level = {_vector(level)},",
            f"  ai = {_vector(chosen['events_int'])},",
            f"  n1i = {_vector(chosen['total_int'])},",
            f"  ci = {_vector(chosen['events_ctl'])},",
            f"  n2i = {_vector(chosen['total_ctl'])},",
            f"  yi = {_vector(yi)},",
            f"  vi = {_vector(vi)})",
            f'es <- effect_rows(d, "{measure if measure in ("OR", "RR", "RD") else opts.counts_measure}")',
            f'fit <- rma(yi, vi, data = es, slab = study, method = "{row["method"]}", '
            f'test = "{row["test"]}", control = list(threshold = 1e-12, maxiter = 1000))',
            f"check({_r(str(row['question']))}, {_r(str(row['analysis']))}, fit, "
            f"{'TRUE' if measure in _RATIOS else 'FALSE'})",
        ]
        parts.append("\n".join(block) + "\n")
    parts.append(
        "\nout <- if (length(results)) do.call(rbind, results) else data.frame(\n"
        "  question = character(), analysis = character(), estimate = numeric(),\n"
        "  ci_lower = numeric(), ci_upper = numeric())  # nothing was pooled in this run\n"
        'write.csv(out, file.path(here, "metafor_check.csv"), row.names = FALSE)\n'
        'cat("wrote", file.path(here, "metafor_check.csv"), "\\n")\n'
    )
    return "".join(parts)
