"""The evidence table's columns and controlled vocabularies, shared by every stage.

One row of the evidence table is one result a paper reports, with the exact source span it came
from. ``source_start:source_end`` are character offsets into the *original* text of the report
(``Document.original``), and ``original[source_start:source_end] == source_quote``; the quote
contains every number of the row.
"""

from __future__ import annotations

# column -> description (the order is the order of evidence.csv)
EVIDENCE_COLUMNS: dict[str, str] = {
    "row_id": "stable id of the row that survives re-extraction (report + what + where), used by curation",
    "study_id": "first author's surname + year, e.g. 'zhang2025'; reports of one study share it",
    "cited_study": "for a study listed in a meta-analysis (its table of included studies or forest plot): the study as the listing names it, e.g. 'Park 2015 [12]'; '' for a report's own results",
    "report": "file name of the report the row came from",
    "intervention": "normalized intervention label from the protocol, or '' (no protocol, a covariate, or a term the protocol does not list)",
    "intervention_detail": "dose subgroup or regimen as written, e.g. 'low-dose ≤8 mg/kg'",
    "intervention_as_reported": "the paper's own words for the exposure or row label, e.g. 'Received drug A'",
    "comparator": "normalized comparator label from the protocol (e.g. 'control'), 'no <intervention>' for an untreated arm, a reference level as written ('0 mg/kg (reference)'), or '' if single-arm",
    "comparator_as_reported": "the paper's own words for the comparison group, e.g. 'placebo recipients', 'Non-X'",
    "subgroup": "subgroup or stratum of the population the row is about, as written (e.g. 'age ≥ 65 years'); '' for the whole population",
    "outcome": "normalized outcome label from the protocol, or '' when no protocol term names it",
    "outcome_as_reported": "the paper's own words for the outcome",
    "measure": "HR, OR, RR, counts (2x2 responders), proportion (single-arm rate), survival_rate, p_only, means (arm means/SDs of a continuous outcome), MD or SMD (a reported mean difference or standardized mean difference)",
    "analysis": "univariable, multivariable, or '' when the paper does not say",
    "estimate": "the point estimate (ratio scale for HR/OR/RR; 0-1 for proportions and survival rates)",
    "ci_lower": "lower confidence limit (same scale as estimate)",
    "ci_upper": "upper confidence limit",
    "ci_level": "confidence level of the interval, e.g. 0.95",
    "p_value": "the reported p-value",
    "p_operator": "'=', '<', '>' or '<=' as written before the p-value",
    "test": "statistical test as reported: log-rank, chi-square, Fisher, Cox, ... or ''",
    "events_int": "responders/events in the intervention arm",
    "total_int": "size of the intervention arm",
    "events_ctl": "responders/events in the comparator arm",
    "total_ctl": "size of the comparator arm",
    "mean_int": "for measure 'means': mean of the outcome in the intervention arm (size total_int)",
    "sd_int": "for measure 'means': standard deviation in the intervention arm",
    "mean_ctl": "for measure 'means': mean of the outcome in the comparator arm (size total_ctl)",
    "sd_ctl": "for measure 'means': standard deviation in the comparator arm",
    "weight": "the weight (percent) printed for this study in a meta-analysis listing, else empty",
    "rate_se": "standard error of a survival rate or proportion, as reported (0-1 scale)",
    "timepoint": "landmark or assessment time as written, e.g. '12 months', 'day 30'",
    "section": "section of the paper: abstract, results, table, ...",
    "table": "table label (e.g. 'Table 5') when the row came from a table, else ''",
    "source_start": "start offset of the quote in the report's original text",
    "source_end": "end offset (exclusive)",
    "source_quote": "original[source_start:source_end]; contains every number of the row",
    "page": "for a PDF: the 1-based page of the quote's first character; empty for text",
    "source_boxes": "for a PDF: where the quote is printed, 'page:x0,top,x1,bottom' per line in PDF points from the page's top-left corner, ';'-separated; '' for text",
    "extractor": "name of the rule that produced the row",
    "curation": "'' (as extracted), 'accepted', 'corrected', 'added' after a reviewer's curation",
    "notes": "anything a reviewer must know about the row (assumptions, conflicts)",
}

#: columns holding real numbers (float64; NaN when missing)
FLOAT_COLUMNS = (
    "estimate", "ci_lower", "ci_upper", "ci_level", "p_value", "rate_se", "weight",
    "mean_int", "sd_int", "mean_ctl", "sd_ctl",
)  # fmt: skip
#: columns holding whole numbers (nullable Int64)
INT_COLUMNS = (
    "events_int", "total_int", "events_ctl", "total_ctl", "source_start", "source_end", "page",
)  # fmt: skip
#: columns added after the first release: an evidence.csv written before them reads with them empty
LATER_COLUMNS = ("mean_int", "sd_int", "mean_ctl", "sd_ctl")
#: every other column is text ('' when missing)
NUMERIC_COLUMNS = FLOAT_COLUMNS + INT_COLUMNS

STUDY_COLUMNS: dict[str, str] = {
    "study_id": "first author's surname + year",
    "reports": "file names of the reports of this study, ';'-separated",
    "first_author": "surname of the first author",
    "year": "publication year",
    "title": "title",
    "doi": "DOI",
    "design": "e.g. 'retrospective cohort', 'single-arm'",
    "n_total": "sample size as reported",
    "centre": "institution(s)",
    "registrations": "trial registration numbers, ';'-separated",
    "enrolment": "enrolment period as written",
    "duplicate_of": "when a report duplicates another: which, and why",
    "overlap_flag": "possible cohort overlap with other studies: which, and why ('' if none)",
}

MEASURES = (
    "HR", "OR", "RR", "counts", "proportion", "survival_rate", "p_only", "means", "MD", "SMD",
)  # fmt: skip
ANALYSES = ("univariable", "multivariable", "")
