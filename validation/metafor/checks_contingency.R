# Reference p-values for evsynth.checks.twobytwo (tests/test_checks_twobytwo.py).
# Run: Rscript validation/metafor/checks_contingency.R  (writes checks_contingency.json beside it)
# Base R only (stats::chisq.test, stats::fisher.test); jsonlite is not required.
tables <- list(
  gc_table3   = matrix(c(53, 2, 40, 6), nrow = 2),            # written by columns: GC, non-GC
  tcz_table3  = matrix(c(74, 4, 19, 4), nrow = 2),
  rux_table3  = matrix(c(26, 0, 67, 8), nrow = 2),
  dose_2x3    = matrix(c(40, 6, 41, 1, 12, 1), nrow = 2),
  blasts_2x3  = matrix(c(8, 23, 3, 2, 6, 3), nrow = 2),
  icans_2x2   = matrix(c(2, 0, 15, 28), nrow = 2)
)
fmt <- function(x) formatC(x, digits = 15, format = "g")
out <- c()
for (name in names(tables)) {
  m <- tables[[name]]
  pearson <- suppressWarnings(chisq.test(m, correct = FALSE)$p.value)
  fisher <- fisher.test(m)$p.value
  yates <- if (all(dim(m) == c(2, 2))) suppressWarnings(chisq.test(m, correct = TRUE)$p.value) else NA
  cells <- paste(as.vector(m), collapse = ", ")
  out <- c(out, sprintf(
    '  "%s": {"by_columns": [%s], "nrow": %d, "pearson": %s, "yates": %s, "fisher": %s}',
    name, cells, nrow(m), fmt(pearson), ifelse(is.na(yates), "null", fmt(yates)), fmt(fisher)))
}
json <- paste0("{\n  \"_R_version\": \"", R.version.string, "\",\n",
               paste(out, collapse = ",\n"), "\n}\n")
dir <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
writeLines(json, file.path(dir, "checks_contingency.json"), sep = "")
