# Expected results of the second-topic corpus (tests/fixtures/second_topic/, written by
# tests/make_second_topic_pdfs.py) and their metafor reference pooled values.
#
# Run: Rscript validation/second_topic.R
# Writes: tests/fixtures/second_topic/expected.json (and a copy beside this script).
# Needs: R 4, metafor 3.8.1, jsonlite.
#
# Part 1 transcribes by hand, from the papers' text, every comparative result a correct extractor
# must find (one row per distinct result; `quote` is verbatim from the .txt, `quote_2` a second
# place the same result is printed, `quote_header` the table header that gives the arms' sizes
# when the cells do not). Part 2 pools, per protocol question
# (tests/fixtures/protocols/falls.yaml), the one row chosen per study (`pooled = TRUE`):
#   falls (binary, counts_measure OR): log odds ratio from the two-arm counts, escalc("OR");
#   hip fracture (time-to-event): log hazard ratio, SE = (log(upper) - log(lower)) / (2 qnorm(0.975)),
#   the adjusted estimate when a study gives one (prefer_adjusted: true).
# Strata of one trial never enter as studies: trial D contributes its overall result only.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

cols <- c("report", "study", "design", "outcome_as_reported", "outcome", "measure", "estimate",
          "ci_low", "ci_high", "p", "p_as_written", "adjusted", "subgroup",
          "events_intervention", "total_intervention", "pct_intervention",
          "events_comparator", "total_comparator", "pct_comparator",
          "intervention_as_reported", "comparator_as_reported", "intervention", "comparator",
          "question", "pooled", "quote", "quote_2", "quote_header", "note")

row <- function(...) {
  x <- list(...)
  bad <- setdiff(names(x), cols)
  if (length(bad)) stop("unknown column: ", paste(bad, collapse = ", "))
  out <- lapply(cols, function(k) if (is.null(x[[k]])) NA else x[[k]])
  names(out) <- cols
  as.data.frame(out, stringsAsFactors = FALSE)
}

A <- list(report = "a_jama_rct", study = "Lindqvist 2025", design = "randomised")
B <- list(report = "b_lancet_rct", study = "Whitcombe 2025", design = "randomised")
C <- list(report = "c_bmj_cohort", study = "Brennan 2025", design = "observational")
D <- list(report = "d_stratified_rct", study = "Moretti 2025", design = "randomised")
A_HEADER <- "Outcome\tExercise group (n=455)\tUsual care (n=451)\tP value"
FALLS <- "exercise versus control on falls"
HIP <- "exercise versus control on hip fracture"
arms <- function(i, c, label = TRUE) {
  list(intervention_as_reported = i, comparator_as_reported = c,
       intervention = if (label) "exercise" else NA, comparator = if (label) "control" else NA)
}
counts <- function(a, n1, p1, c, n2, p2) {
  list(measure = "counts", events_intervention = a, total_intervention = n1,
       pct_intervention = p1, events_comparator = c, total_comparator = n2, pct_comparator = p2)
}
r <- function(...) do.call(row, c(...))

results <- rbind(
  # ---- A: JAMA-style RCT, n (%) table with group sizes in the column headers
  r(A, arms("Exercise group", "Usual care"), counts(118, 455, 26, 171, 451, 38),
    outcome_as_reported = "Participants with at least 1 fall", outcome = "falls",
    p_as_written = "<.001", question = FALLS, pooled = TRUE,
    quote = "Participants with at least 1 fall, No. (%)\t118 (26)\t171 (38)\t<.001",
    quote_header = A_HEADER,
    quote_2 = paste0("118 (26%) of 455 exercise participants and 171 (38%) of 451 usual care ",
                     "participants had at least 1 fall")),
  r(A, arms("exercise participants", "usual care participants"), outcome_as_reported =
      "at least 1 fall", outcome = "falls", measure = "RD", estimate = -12.0, ci_low = -18.0,
    ci_high = -6.0, p_as_written = "<.001", question = FALLS, pooled = FALSE,
    quote = "absolute difference, -12.0 percentage points; 95% CI, -18.0 to -6.0; P < .001",
    note = "risk difference in percentage points"),
  r(A, arms("Exercise group", "Usual care"), counts(41, 455, 9, 58, 451, 13),
    outcome_as_reported = "Fall-related injury requiring medical attention", p = 0.06,
    p_as_written = ".06", pooled = FALSE,
    quote = "Fall-related injury requiring medical attention, No. (%)\t41 (9)\t58 (13)\t.06",
    quote_header = A_HEADER,
    quote_2 = "41 participants (9%) in the exercise group and 58 (13%) in the usual care group",
    note = "not a protocol outcome: the row stays, unlabelled"),
  r(A, arms("exercise participants", "usual care participants"), counts(410, 455, 90, 397, 451, 88),
    outcome_as_reported = "completed the 12-month follow-up", pooled = FALSE,
    quote = paste0("410 (90%) of 455 exercise participants and 397 (88%) of 451 usual care ",
                   "participants completed the 12-month follow-up"),
    note = "participant flow, not an outcome"),
  # ---- B: Lancet-style RCT, middle-dot decimals, n/N (%) under the brand name
  r(B, arms("Otago", "Usual care"), counts(421, 980, 43, 452, 975, 46),
    outcome_as_reported = "Fell at least once", outcome = "falls", p = 0.13,
    p_as_written = "0·13", question = FALLS, pooled = TRUE,
    quote = "Fell at least once\t421/980 (43%)\t452/975 (46%)\t..\t0·13",
    quote_2 = paste0("421 (43%) of 980 women in the Otago group fell at least once, compared ",
                     "with 452 (46%) of 975 in the usual care group (p=0·13)")),
  r(B, arms("Otago group", "usual care group"), outcome_as_reported = "Hip fracture",
    outcome = "hip fracture", measure = "HR", estimate = 0.63, ci_low = 0.36, ci_high = 1.09,
    p = 0.10, p_as_written = "0·10", adjusted = FALSE, question = HIP, pooled = TRUE,
    quote = "hazard ratio 0·63, 95% CI 0·36–1·09; p=0·10",
    quote_2 = "Hip fracture\t21/980 (2%)\t33/975 (3%)\t0·63 (0·36–1·09)\t0·10",
    note = "Cox model stratified by practice, no covariates"),
  r(B, arms("Otago", "Usual care"), counts(21, 980, 2, 33, 975, 3),
    outcome_as_reported = "Hip fracture", outcome = "hip fracture", p = 0.10,
    p_as_written = "0·10", question = HIP, pooled = FALSE,
    quote = "Hip fracture\t21/980 (2%)\t33/975 (3%)\t0·63 (0·36–1·09)\t0·10",
    note = "counts of a time-to-event outcome: the hazard ratio is the study's estimate"),
  r(B, arms("Otago", "Usual care"), counts(38, 980, 4, 41, 975, 4),
    outcome_as_reported = "Death", p = 0.71, p_as_written = "0·71", pooled = FALSE,
    quote = "Death\t38/980 (4%)\t41/975 (4%)\t..\t0·71",
    note = "not a protocol outcome: the row stays, unlabelled"),
  # ---- C: BMJ-style Cox cohort, estimate / CI / P in separate columns
  r(C, arms("Exercise class participation", "non-participants"),
    outcome_as_reported = "hip fracture", outcome = "hip fracture", measure = "HR",
    estimate = 0.71, ci_low = 0.55, ci_high = 0.92, p = 0.009, p_as_written = "0.009",
    adjusted = TRUE, question = HIP, pooled = TRUE,
    quote = "hazard ratio 0.71, 95% confidence interval 0.55 to 0.92; P=0.009",
    quote_2 = paste0("Exercise class participation\t0.68\t0.53 to 0.88\t0.003\t0.71\t",
                     "0.55 to 0.92\t0.009"),
    note = "multivariable (age, sex, body mass index, previous fracture)"),
  r(C, arms("Exercise class participation", "non-participants"),
    outcome_as_reported = "hip fracture", outcome = "hip fracture", measure = "HR",
    estimate = 0.68, ci_low = 0.53, ci_high = 0.88, p = 0.003, p_as_written = "0.003",
    adjusted = FALSE, question = HIP, pooled = FALSE,
    quote = "hazard ratio 0.68, 95% confidence interval 0.53 to 0.88; P=0.003",
    quote_2 = paste0("Exercise class participation\t0.68\t0.53 to 0.88\t0.003\t0.71\t",
                     "0.55 to 0.92\t0.009"),
    note = "univariable"),
  r(C, arms("exercisers", "non-participants"), counts(80, 1388, 5.8, 236, 2824, 8.4),
    outcome_as_reported = "Hip fracture", outcome = "hip fracture", question = HIP,
    pooled = FALSE,
    quote = "Hip fracture occurred in 80 (5.8%) of 1388 exercisers and 236 (8.4%) of 2824 non-participants",
    note = "crude counts of a time-to-event outcome"),
  do.call(rbind, lapply(list(
    list("Age (per 5 years)", NA, 1.66, 1.49, 1.85, NA, "<0.001", 1.61, 1.44, 1.80, NA, "<0.001",
         "Age (per 5 years)\t1.66\t1.49 to 1.85\t<0.001\t1.61\t1.44 to 1.80\t<0.001"),
    list("Female sex", "men", 1.52, 1.15, 2.01, 0.003, "0.003", 1.41, 1.06, 1.87, 0.02, "0.02",
         "Female sex\t1.52\t1.15 to 2.01\t0.003\t1.41\t1.06 to 1.87\t0.02"),
    list("Body mass index (per 5 kg/m²)", NA, 0.82, 0.72, 0.94, 0.004, "0.004", 0.85, 0.74, 0.97,
         0.02, "0.02",
         "Body mass index (per 5 kg/m²)\t0.82\t0.72 to 0.94\t0.004\t0.85\t0.74 to 0.97\t0.02")
  ), function(v) rbind(
    r(C, arms(v[[1]], v[[2]], label = FALSE), outcome_as_reported = "hip fracture",
      outcome = "hip fracture", measure = "HR", estimate = v[[3]], ci_low = v[[4]],
      ci_high = v[[5]], p = v[[6]], p_as_written = v[[7]], adjusted = FALSE, pooled = FALSE,
      quote = v[[13]], note = "covariate, not the exposure: no intervention label (univariable)"),
    r(C, arms(v[[1]], v[[2]], label = FALSE), outcome_as_reported = "hip fracture",
      outcome = "hip fracture", measure = "HR", estimate = v[[8]], ci_low = v[[9]],
      ci_high = v[[10]], p = v[[11]], p_as_written = v[[12]], adjusted = TRUE, pooled = FALSE,
      quote = v[[13]], note = "covariate, not the exposure: no intervention label (multivariable)")
  ))),
  # ---- D: stratified 2:1 RCT, two strata plus the overall result
  r(D, arms("Balance training", "Wait-list control"), counts(125, 412, 30, 81, 199, 41),
    outcome_as_reported = "fell during 12 months", outcome = "falls", p = 0.010,
    p_as_written = "0.010", question = FALLS, pooled = TRUE,
    quote = "All participants\t125/412 (30%)\t81/199 (41%)\t0.75 [0.60, 0.93]\t0.010",
    quote_2 = paste0("125/412 (30%) balance training participants and 81/199 (41%) control ",
                     "participants fell during 12 months")),
  r(D, arms("Balance training", "Wait-list control"), outcome_as_reported = "fell during 12 months",
    outcome = "falls", measure = "RR", estimate = 0.75, ci_low = 0.60, ci_high = 0.93, p = 0.010,
    p_as_written = "0.010", question = FALLS, pooled = FALSE,
    quote = "RR 0.75 [95% CI 0.60, 0.93]; p = 0.010",
    quote_2 = "All participants\t125/412 (30%)\t81/199 (41%)\t0.75 [0.60, 0.93]\t0.010"),
  r(D, arms("balance training group", "control group"), counts(70, 171, 41, 45, 83, 54),
    outcome_as_reported = "fell", outcome = "falls", subgroup = "Previous fall", p = 0.04,
    p_as_written = "0.04", question = FALLS, pooled = FALSE,
    quote = "Previous fall\t70/171 (41%)\t45/83 (54%)\t0.76 [0.58, 0.99]\t0.04",
    quote_2 = "70/171 (41%) in the balance training group and 45/83 (54%) in the control group fell",
    note = "stratum: never a separate study"),
  r(D, arms("balance training group", "control group"), outcome_as_reported = "fell",
    outcome = "falls", subgroup = "Previous fall", measure = "RR", estimate = 0.76, ci_low = 0.58,
    ci_high = 0.99, p = 0.04, p_as_written = "0.04", question = FALLS, pooled = FALSE,
    quote = "RR 0.76 [95% CI 0.58, 0.99]; p = 0.04", note = "stratum: never a separate study"),
  r(D, arms("Balance training", "Wait-list control"), counts(55, 241, 23, 36, 116, 31),
    outcome_as_reported = "fell", outcome = "falls", subgroup = "No previous fall", p = 0.09,
    p_as_written = "0.09", question = FALLS, pooled = FALSE,
    quote = "No previous fall\t55/241 (23%)\t36/116 (31%)\t0.74 [0.51, 1.05]\t0.09",
    quote_2 = "55/241 (23%) and 36/116 (31%) fell", note = "stratum: never a separate study"),
  r(D, arms("Balance training", "Wait-list control"), outcome_as_reported = "fell",
    outcome = "falls", subgroup = "No previous fall", measure = "RR", estimate = 0.74,
    ci_low = 0.51, ci_high = 1.05, p = 0.09, p_as_written = "0.09", question = FALLS,
    pooled = FALSE, quote = "RR 0.74 [95% CI 0.51, 1.05]; p = 0.09",
    note = "stratum: never a separate study"),
  r(D, arms("balance training participants", "control participants"),
    outcome_as_reported = "Hip fracture", outcome = "hip fracture", measure = "HR",
    estimate = 0.56, ci_low = 0.22, ci_high = 1.45, p = 0.23, p_as_written = "0.23",
    adjusted = FALSE, question = HIP, pooled = TRUE,
    quote = "HR 0.56 [95% CI 0.22, 1.45]; p = 0.23"),
  r(D, arms("balance training participants", "control participants"),
    counts(9, 468, 1.9, 8, 234, 3.4), outcome_as_reported = "Hip fracture",
    outcome = "hip fracture", question = HIP, pooled = FALSE,
    quote = paste0("Hip fracture occurred in 9 (1.9%) of 468 balance training participants and 8 ",
                   "(3.4%) of 234 control participants"),
    note = "crude counts of a time-to-event outcome"),
  r(D, arms("balance training participants", "control participants"),
    counts(412, 468, 88, 199, 234, 85), outcome_as_reported = "completed the 12-month follow-up",
    pooled = FALSE,
    quote = paste0("412 (88%) of 468 balance training participants and 199 (85%) of 234 control ",
                   "participants completed the 12-month follow-up"),
    note = "participant flow, not an outcome")
)
results$adjusted <- as.logical(results$adjusted)
results$pooled <- as.logical(results$pooled)

# ---- Part 2: pooled reference values
fit_all <- function(dat) {
  out <- list()
  for (test in c("z", "knha", "adhoc")) {
    f <- rma(yi, vi, data = dat, method = "REML", test = test)
    out[[test]] <- list(
      estimate = as.numeric(f$b), se = f$se, ci_lb = f$ci.lb, ci_ub = f$ci.ub, pval = f$pval,
      exp_estimate = exp(as.numeric(f$b)), exp_ci_lb = exp(f$ci.lb), exp_ci_ub = exp(f$ci.ub),
      tau2 = f$tau2, I2 = f$I2, QE = f$QE, QEp = f$QEp, k = f$k
    )
  }
  list(method = "REML", studies = dat, fits = out)
}

chosen <- results[results$pooled, ]
fl <- chosen[chosen$question == FALLS, ]
falls_dat <- escalc("OR", ai = fl$events_intervention, n1i = fl$total_intervention,
                    ci = fl$events_comparator, n2i = fl$total_comparator)
falls_dat <- data.frame(study = fl$study, report = fl$report, yi = as.numeric(falls_dat$yi),
                        vi = as.numeric(falls_dat$vi))

hr_dat <- function(rows) {
  z <- qnorm(0.975)
  data.frame(study = rows$study, report = rows$report, yi = log(rows$estimate),
             vi = ((log(rows$ci_high) - log(rows$ci_low)) / (2 * z))^2)
}
hp <- chosen[chosen$question == HIP, ]

# sensitivity analyses a test can use to tell a wrong choice from the right one
strata <- results[results$report == "d_stratified_rct" & results$measure == "counts" &
                    !is.na(results$subgroup), ]
wrong <- rbind(fl[fl$report != "d_stratified_rct", ], strata)
wrong_dat <- escalc("OR", ai = wrong$events_intervention, n1i = wrong$total_intervention,
                    ci = wrong$events_comparator, n2i = wrong$total_comparator)
wrong_dat <- data.frame(study = trimws(paste(wrong$study, ifelse(is.na(wrong$subgroup), "",
                                                                 wrong$subgroup))),
                        report = wrong$report, yi = as.numeric(wrong_dat$yi),
                        vi = as.numeric(wrong_dat$vi))
unadj <- results[results$question %in% HIP & results$measure == "HR" &
                   (results$pooled | (results$report == "c_bmj_cohort" & !results$adjusted)), ]
unadj <- unadj[!(unadj$report == "c_bmj_cohort" & unadj$adjusted %in% TRUE), ]

expected <- list(
  `_about` = paste("Written by validation/second_topic.R; do not edit by hand. Papers:",
                   "tests/fixtures/second_topic/*.txt|pdf; protocol:",
                   "tests/fixtures/protocols/falls.yaml."),
  `_R_version` = R.version.string,
  `_metafor_version` = as.character(packageVersion("metafor")),
  protocol = "tests/fixtures/protocols/falls.yaml",
  reports = c("a_jama_rct", "b_lancet_rct", "c_bmj_cohort", "d_stratified_rct"),
  results = results,
  pooled = list(
    list(question = FALLS, intervention = "exercise", comparator = "control", outcome = "falls",
         measure = "OR", scale = "log odds ratio from two-arm counts (escalc OR)",
         result = fit_all(falls_dat)),
    list(question = HIP, intervention = "exercise", comparator = "control",
         outcome = "hip fracture", measure = "HR",
         scale = "log hazard ratio, SE from the 95% CI; adjusted estimate preferred",
         result = fit_all(hr_dat(hp)))
  ),
  sensitivity = list(
    list(name = "WRONG: trial D's two strata entered as two studies instead of its overall result",
         question = FALLS, measure = "OR", result = fit_all(wrong_dat)),
    list(name = "prefer_adjusted: false (cohort C's univariable hazard ratio)",
         question = HIP, measure = "HR", result = fit_all(hr_dat(unadj)))
  )
)

json <- toJSON(expected, auto_unbox = TRUE, pretty = TRUE, digits = NA, na = "null",
               dataframe = "rows")
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
target <- file.path(here, "..", "tests", "fixtures", "second_topic", "expected.json")
writeLines(json, target, useBytes = TRUE)
writeLines(json, file.path(here, "second_topic.json"), useBytes = TRUE)
cat("wrote", normalizePath(target), "\n")
for (p in expected$pooled) {
  f <- p$result$fits
  cat(sprintf("%s: k=%d REML exp(est)=%.4f [%.4f, %.4f] tau2=%.5f; knha [%.4f, %.4f]\n",
              p$question, f$z$k, f$z$exp_estimate, f$z$exp_ci_lb, f$z$exp_ci_ub, f$z$tau2,
              f$knha$exp_ci_lb, f$knha$exp_ci_ub))
}
