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
    "report": "file name of the report the row came from",
    "intervention": "normalized: glucocorticoid, tocilizumab, ruxolitinib, or '' for a non-treatment covariate",
    "intervention_detail": "dose subgroup or regimen as written, e.g. 'low-dose ≤8 mg/kg'",
    "intervention_as_reported": "the paper's own words for the exposure or row label, e.g. 'Received steroids'",
    "comparator": "the comparison group, e.g. 'no glucocorticoid', '0 mg/kg (reference)', or '' if single-arm",
    "outcome": "normalized: CR, MRD-negative CR, OS, PFS, EFS, LFS, or another short upper-case code",
    "outcome_as_reported": "the paper's own words for the outcome",
    "measure": "HR, OR, RR, counts (2x2 responders), proportion (single-arm rate), survival_rate, p_only",
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
    "rate_se": "standard error of a survival rate or proportion, as reported (0-1 scale)",
    "timepoint": "landmark or assessment time as written, e.g. '12 months', 'day 30'",
    "section": "section of the paper: abstract, results, table, ...",
    "table": "table label (e.g. 'Table 5') when the row came from a table, else ''",
    "source_start": "start offset of the quote in the report's original text",
    "source_end": "end offset (exclusive)",
    "source_quote": "original[source_start:source_end]; contains every number of the row",
    "extractor": "name of the rule that produced the row",
    "curation": "'' (as extracted), 'accepted', 'corrected', 'added' after a reviewer's curation",
    "notes": "anything a reviewer must know about the row (assumptions, conflicts)",
}

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

INTERVENTIONS = ("glucocorticoid", "tocilizumab", "ruxolitinib")
OUTCOMES = ("CR", "MRD-negative CR", "OS", "PFS", "EFS", "LFS")
MEASURES = ("HR", "OR", "RR", "counts", "proportion", "survival_rate", "p_only")
ANALYSES = ("univariable", "multivariable", "")
