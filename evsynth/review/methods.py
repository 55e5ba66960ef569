"""``methods.md``: the Methods section of a run in words a reviewer can paste and edit, one
paragraph per analysis choice actually used (effect measures, one estimate per study, tau²
estimator, test, prediction interval, Bayesian prior, sensitivity analyses, risk of bias, GRADE,
PRISMA, software), with the references the implementing modules cite.
"""

from __future__ import annotations

import platform
from importlib import metadata

import pandas as pd

__all__ = ["methods_text", "REFERENCES"]

#: short key -> full reference (as cited in the docstrings of the modules that implement them)
REFERENCES = {
    "DL": "DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials 1986;7:177-88.",
    "REML": "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the "
    "random-effects model. J Educ Behav Stat 2005;30:261-93.",
    "PM": "Paule RC, Mandel J. Consensus values and weighting factors. J Res Natl Bur Stand "
    "1982;87:377-85.",
    "HK": "Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical "
    "trials with binary outcome. Stat Med 2001;20:3875-89.",
    "SJ2002": "Sidik K, Jonkman JN. A simple confidence interval for meta-analysis. Stat Med "
    "2002;21:3153-9.",
    "KH2003": "Knapp G, Hartung J. Improved tests for a random effects meta-regression with a "
    "single covariate. Stat Med 2003;22:2693-710.",
    "Rover2015": "Röver C, Knapp G, Friede T. Hartung-Knapp-Sidik-Jonkman approach and its "
    "modification for random-effects meta-analysis with few studies. BMC Med Res Methodol "
    "2015;15:99.",
    "Rover2021": "Röver C, Bender R, Dias S, et al. On weakly informative prior distributions "
    "for the heterogeneity parameter in Bayesian random-effects meta-analysis. Res Synth Methods "
    "2021;12:448-74.",
    "metafor": "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat "
    "Softw 2010;36(3):1-48.",
    "AltmanBland": "Altman DG, Bland JM. How to obtain the standard error from a confidence "
    "interval. BMJ 2011;343:d2090.",
    "RoB2": "Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing risk of "
    "bias in randomised trials. BMJ 2019;366:l4898.",
    "ROBINS-I": "Sterne JAC, Hernán MA, Reeves BC, et al. ROBINS-I: a tool for assessing risk of "
    "bias in non-randomised studies of interventions. BMJ 2016;355:i4919.",
    "NOS": "Wells GA, Shea B, O'Connell D, et al. The Newcastle-Ottawa Scale (NOS) for assessing "
    "the quality of nonrandomised studies in meta-analyses. Ottawa Hospital Research Institute.",
    "GRADE": "Guyatt GH, Oxman AD, Vist GE, et al. GRADE: an emerging consensus on rating quality "
    "of evidence and strength of recommendations. BMJ 2008;336:924-6.",
    "GRADE6": "Guyatt GH, Oxman AD, Kunz R, et al. GRADE guidelines 6. Rating the quality of "
    "evidence: imprecision. J Clin Epidemiol 2011;64:1283-93.",
    "PRISMA": "Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated "
    "guideline for reporting systematic reviews. BMJ 2021;372:n71.",
    "robvis": "McGuinness LA, Higgins JPT. Risk-of-bias VISualization (robvis). Res Synth Methods "
    "2021;12:55-61.",
}

_METHOD_WORDS = {
    "REML": ("restricted maximum likelihood", "REML"),
    "ML": ("maximum likelihood", "REML"),
    "DL": ("the DerSimonian-Laird method of moments", "DL"),
    "PM": ("the Paule-Mandel estimator", "PM"),
}


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def _software(cite) -> str:
    import evsynth

    return (
        f"**Software.** evsynth {evsynth.__version__} (Python {platform.python_version()}; "
        f"numpy {_version('numpy')}, scipy {_version('scipy')}, pandas {_version('pandas')}, "
        f"matplotlib {_version('matplotlib')}). Every frequentist pooled analysis is rebuilt by "
        f"the analysis.R script of the run with R metafor {cite('metafor')}, whose results are "
        "written to metafor_check.csv."
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def methods_text(synthesis, protocol=None, *, risk_of_bias=None, sof=None, prisma=None) -> str:
    """The Methods section (Markdown) of a synthesis, from the choices it actually used.

    Parameters
    ----------
    synthesis : :class:`evsynth.review.synthesis.Synthesis`.
    protocol : the :class:`~evsynth.protocol.Protocol` (title, questions), or None.
    risk_of_bias, sof, prisma : the run's risk-of-bias assessment, summary of findings and PRISMA
        flow, when made (each adds its paragraph).
    """
    opts = synthesis.options
    pooled: pd.DataFrame = synthesis.pooled
    cited: list[str] = []

    def cite(*keys: str) -> str:
        nums = []
        for k in keys:
            if k not in cited:
                cited.append(k)
            nums.append(str(cited.index(k) + 1))
        return "[" + ", ".join(nums) + "]"

    paras = ["# Methods", ""]
    if protocol is not None and protocol.questions:
        paras.append(
            "**Review questions.** "
            + "; ".join(q.title for q in protocol.questions)
            + ". Outcomes accepted in place of another (proxies) were declared in the protocol"
            + (
                ": " + "; ".join(f"{', '.join(v)} for {k}" for k, v in opts.proxies.items())
                if opts.proxies
                else " (none)"
            )
            + "."
        )
    if prisma is not None:
        c = prisma.counts
        paras.append(
            f"**Study selection.** The flow of records is reported as a PRISMA 2020 diagram "
            f"{cite('PRISMA')}: {sum(c['identified'].values())} records identified, "
            f"{c['screened']} screened, {c['assessed']} reports assessed for eligibility, "
            f"{prisma.included_studies} studies ({prisma.included_reports} reports) included."
        )
    primary = pooled[pooled["role"] == "primary"]
    if primary.empty:
        paras.append(
            "**Synthesis.** No question was asked in this run (no review protocol, or no "
            "evidence for its questions), so nothing was pooled and no certainty was rated; the "
            "evidence is listed by the arms as the papers report them."
        )
        paras.append(_software(cite))
        paras += ["", "## References", ""]
        paras += [f"{n}. {REFERENCES[k]}" for n, k in enumerate(cited, 1)]
        return "\n\n".join(p for p in paras if p != "") + "\n"
    used_rows = set()
    for ids in primary["row_ids"].dropna():
        used_rows |= {i for i in str(ids).split("; ") if i}
    kinds = set()
    for q in synthesis.questions:
        rows = q.rows[q.rows["row_id"].astype(str).isin(used_rows)]
        kinds |= set(rows["measure"])
    measures = sorted(set(primary["measure"].dropna()))
    derivation = []
    if "counts" in kinds:
        derivation.append(
            f"two-arm event counts were converted to log {opts.counts_measure}s with metafor's "
            f"escalc rules (0.5 added to every cell of a table with a zero cell) {cite('metafor')}"
        )
    if kinds & {"HR", "OR", "RR"}:
        derivation.append(
            "reported ratios were analysed on the log scale with the standard error recovered "
            f"from the confidence interval, (log upper - log lower) / (2 z) {cite('AltmanBland')}"
        )
    paras.append(
        f"**Effect measures.** The effect measure followed the outcome's kind: "
        f"{', '.join(measures) or 'none'} in this run. "
        + (_sentence("; ".join(derivation)) if derivation else "")
    )
    paras.append(
        "**One estimate per study.** Reports of the same study contributed one estimate: "
        + ("adjusted (multivariable)" if opts.prefer_adjusted else "unadjusted (univariable)")
        + " estimates were preferred, whole-population results over subgroups, full-text "
        "reports over summary pages, and tables over text; differing numbers reported for the "
        "same study are named in the notes of pooled.csv."
    )
    methods = sorted(set(primary.loc[primary["k"] >= 2, "method"].dropna()))
    words = [
        f"{_METHOD_WORDS.get(m, (m, ''))[0]} {cite(_METHOD_WORDS[m][1])}"
        if m in _METHOD_WORDS
        else m
        for m in methods
    ]
    if words:
        paras.append(
            "**Model and estimator.** Studies were pooled with a random-effects model, the "
            f"between-study variance tau² estimated by {' and '.join(words)}; heterogeneity is "
            "reported as I² and tau²."
        )
    tests = sorted(set(primary.loc[primary["k"] >= 2, "test"].dropna()))
    for t in tests:
        if t == "adhoc":
            paras.append(
                "**Test and confidence interval.** The pooled effect was tested and its "
                "confidence interval built with the Hartung-Knapp-Sidik-Jonkman method "
                f"{cite('HK', 'SJ2002')}, with the ad hoc variance correction that keeps the "
                f"interval at least as wide as the normal-based one {cite('KH2003', 'Rover2015')} "
                '(metafor test = "adhoc"). With few studies these intervals are wide by '
                "design."
            )
        elif t == "knha":
            paras.append(
                "**Test and confidence interval.** Hartung-Knapp-Sidik-Jonkman with t(k-1) "
                f"quantiles {cite('HK', 'SJ2002')}."
            )
        elif t == "z":
            paras.append("**Test and confidence interval.** Wald z test and normal quantiles.")
    if (primary["k"] == 1).any():
        paras.append(
            "Questions answered by a single study report that study's estimate (z-based "
            "interval); they are not pooled."
        )
    has_pi = primary["pi_lower"].notna().any()
    if has_pi:
        paras.append(
            "**Prediction interval.** The 95% prediction interval for the effect in a new study "
            "is mu ± c sqrt(SE² + tau²), with c the quantile of the test used (metafor's "
            f"predict.rma) {cite('metafor')}."
        )
    if (pooled["role"] == "bayesian").any():
        paras.append(
            "**Bayesian analysis.** As a few-study analysis, a normal-normal hierarchical model "
            f"with a half-normal prior on tau (scale {opts.tau_scale} on the log scale) "
            f"{cite('Rover2021')} and a flat prior on the pooled effect was fitted; the posterior "
            "median and 95% credible interval are reported, with the posterior probability that "
            "the ratio is below 1."
        )
    sens = list(dict.fromkeys(pooled.loc[pooled["role"] == "sensitivity", "analysis"]))
    if sens:
        paras.append(
            "**Sensitivity analyses.** " + "; ".join(sens) + ". Each is reported beside the "
            "primary analysis in pooled.csv."
        )
    if risk_of_bias is not None:
        key = {"RoB 2": "RoB2", "ROBINS-I": "ROBINS-I", "NOS": "NOS"}[risk_of_bias.tool]
        given = int(risk_of_bias.judgements["overall_given"].sum())
        paras.append(
            f"**Risk of bias.** Risk of bias was assessed with {risk_of_bias.tool} {cite(key)} "
            f"for {len(risk_of_bias.judgements)} studies; the overall judgement follows the tool's "
            + ("stars-based rating" if key == "NOS" else "worst-domain rule")
            + (f" ({given} overall judgement(s) given by the reviewers)" if given else "")
            + f", shown as traffic-light and weighted summary plots {cite('robvis')}."
        )
    else:
        paras.append(
            "**Risk of bias.** Not assessed in this run: the protocol records no risk-of-bias "
            "judgements, and the certainty of evidence is rated down for it."
        )
    if sof is not None:
        overridden = sum(r.override for rs in sof.ratings.values() for r in rs)
        paras.append(
            f"**Certainty of evidence.** Certainty was rated with GRADE {cite('GRADE')}: "
            "starting high for randomised and low for observational evidence and rated down "
            "for risk of bias (weighted by the analysis weights), inconsistency (I² >= 50%, "
            "non-overlapping intervals, a prediction interval including no effect), "
            "indirectness (accepted proxy outcomes), imprecision (the interval including no "
            "effect or both decision thresholds, the optimal information size, fewer than three "
            f"studies) {cite('GRADE6')} and publication bias (Egger's test with ten or more "
            "studies)."
            + (
                f" {overridden} rating(s) were set by the reviewers and are marked as such."
                if overridden
                else ""
            )
        )
    paras.append(_software(cite))
    paras += ["", "## References", ""]
    paras += [f"{n}. {REFERENCES[k]}" for n, k in enumerate(cited, 1)]
    return "\n\n".join(p for p in paras if p != "") + "\n"
