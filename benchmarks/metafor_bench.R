# Time metafor 3.8.x on the benchmark's simulated data sets (called by run_benchmarks.py).
# Usage: Rscript benchmarks/metafor_bench.R IN.json OUT.json
# IN: {"datasets": [{"k":5,"yi":[..],"vi":[..]}, ...], "reps": {...}, "max_k_permutest": 13,
#      "max_k_gosh": 13, "gosh_detail_k": 13}
# Times are measured inside R with system.time() over repetitions, so R start-up is excluded.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
inp <- fromJSON(args[1], simplifyVector = TRUE)
per_call <- function(expr_fun, reps) {
  if (reps > 1) expr_fun()  # warm-up (byte compilation, dispatch caches); skipped for slow calls
  t <- system.time(for (i in seq_len(reps)) expr_fun())[["elapsed"]]
  t / reps
}
out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            timings = list(), gosh_detail = NULL)
ds <- inp$datasets
for (j in seq_len(nrow(ds))) {
  k <- ds$k[[j]]; yi <- ds$yi[[j]]; vi <- ds$vi[[j]]
  fit <- rma(yi, vi, method = "REML", test = "z")
  reps <- inp$reps
  row <- list(k = k,
    rma = per_call(function() rma(yi, vi, method = "REML", test = "z"), reps$rma),
    leave1out = per_call(function() leave1out(fit), reps$leave1out),
    cumul = per_call(function() cumul(fit), reps$cumul))
  if (k <= inp$max_k_permutest) {
    row$permutest <- per_call(function() permutest(fit, exact = TRUE, progbar = FALSE), 1)
  }
  if (k <= inp$max_k_gosh) {
    row$gosh <- per_call(function() gosh(fit, progbar = FALSE), 1)
  }
  out$timings[[j]] <- row
  if (k == inp$gosh_detail_k) {
    g <- gosh(fit, progbar = FALSE)
    incl <- g$incl
    key <- as.numeric(incl %*% (2^(seq_len(ncol(incl)) - 1)))
    out$gosh_detail <- list(key = key, estimate = g$res$estimate, tau2 = g$res$tau2)
    out$rma_detail <- list(estimate = as.numeric(fit$beta), tau2 = fit$tau2, se = fit$se)
  }
}
write_json(out, args[2], digits = NA, auto_unbox = TRUE)
