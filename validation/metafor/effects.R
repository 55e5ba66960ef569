# Reference values for evsynth.effects and evsynth.pooling.sparse
# (tests/test_effects_metafor.py, tests/test_sparse.py).
#
# Regenerate:  cd validation/metafor && Rscript effects.R   (writes effects.json next to this script)
#
# Numbers are written with 15 significant digits. metafor >= 4.0 has conv.wald(); this R has
# metafor 3.8, so its formulas are written out with base R's qnorm():
#   from a CI:      yi = log(est), sei = (log(ub) - log(lb)) / (2 * qnorm(1 - (1 - level) / 2))
#   from a p-value: yi = log(est), sei = abs(yi) / qnorm(p / 2, lower.tail = FALSE)
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

num <- function(x) if (is.null(x)) NA else as.numeric(x)
ev <- function(e) list(yi = num(e$yi), vi = num(e$vi))

# --- 2x2 data sets ---------------------------------------------------------------------------
# "sparse": made up for these tests. Study 3 has no events in either arm (double zero), study 7
# has only events in both arms (bi = di = 0), studies 1 and 6 have one zero cell.
sparse <- data.frame(ai  = c(0, 2, 0, 5, 12, 1, 5),
                     n1i = c(10, 20, 10, 30, 40, 15, 5),
                     ci  = c(3, 4, 0, 6, 10, 0, 4),
                     n2i = c(12, 20, 11, 30, 38, 14, 4))
sparse$bi <- sparse$n1i - sparse$ai
sparse$di <- sparse$n2i - sparse$ci
# dat.bcg (Colditz et al. 1994), shipped with metafor.
bcg <- data.frame(ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg)
tables <- list(sparse = sparse, bcg = bcg)

out_escalc <- list()
for (nm in names(tables)) {
  d <- tables[[nm]]
  cases <- list()
  for (m in c("OR", "RR", "RD")) {
    for (dz in c(TRUE, FALSE)) {
      for (to in c("only0", "all", "if0all", "none")) {
        e <- suppressWarnings(escalc(measure = m, ai = ai, bi = bi, ci = ci, di = di,
                                     data = d, to = to, drop00 = dz))
        cases[[paste(m, to, if (dz) "drop00" else "keep00", sep = "_")]] <- ev(e)
      }
    }
  }
  out_escalc[[nm]] <- list(ai = d$ai, bi = d$bi, ci = d$ci, di = d$di, cases = cases)
}

# --- mantel-haenszel and peto ----------------------------------------------------------------
mh_summary <- function(res) list(
  beta = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
  ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), QE = num(res$QE), QEp = num(res$QEp),
  I2 = num(res$I2), H2 = num(res$H2), k = num(res$k), k_yi = num(res$k.yi),
  MH = num(res$MH), MHp = num(res$MHp))

out_mh <- list()
out_peto <- list()
for (nm in names(tables)) {
  d <- tables[[nm]]
  for (m in c("OR", "RR", "RD")) {
    res <- suppressWarnings(rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = d, measure = m))
    out_mh[[paste(nm, m, sep = "_")]] <- mh_summary(res)
  }
  res <- suppressWarnings(rma.peto(ai = ai, bi = bi, ci = ci, di = di, data = d))
  out_peto[[nm]] <- mh_summary(res)
}

# --- proportions -----------------------------------------------------------------------------
# made up: includes x = 0 and x = n (continuity correction for PR and PLO; none for PAS/PFT).
prop <- data.frame(xi = c(53, 0, 10, 20, 7, 33), ni = c(55, 20, 30, 20, 9, 61))
out_prop <- list(xi = prop$xi, ni = prop$ni, cases = list())
for (m in c("PR", "PLO", "PAS", "PFT")) {
  out_prop$cases[[m]] <- ev(escalc(measure = m, xi = xi, ni = ni, data = prop))
}
out_prop$cases[["PLO_all"]] <- ev(escalc(measure = "PLO", xi = xi, ni = ni, data = prop, to = "all"))
out_prop$cases[["PR_if0all"]] <- ev(escalc(measure = "PR", xi = xi, ni = ni, data = prop,
                                           to = "if0all"))

# pooled PFT back-transformed with the harmonic mean of ni (metafor's default for PFT).
pft <- escalc(measure = "PFT", xi = xi, ni = ni, data = prop)
fit <- rma(yi, vi, data = pft, method = "DL")
pred <- predict(fit, transf = transf.ipft.hm, targs = list(ni = prop$ni))
xs <- c(-0.1, 0, 0.05, 0.3, 0.7852, 1.2, 1.5, 1.6)
out_transf <- list(
  pooled_pft = list(beta = num(fit$beta), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub),
                    pred = num(pred$pred), pred_ci_lb = num(pred$ci.lb),
                    pred_ci_ub = num(pred$ci.ub)),
  x = xs,
  ipft_n20 = transf.ipft(xs, 20),
  ipft_hm = transf.ipft.hm(xs, targs = list(ni = prop$ni)),
  iarcsin = transf.iarcsin(xs),
  ilogit = transf.ilogit(xs),
  pft_n20 = transf.pft(c(0, 0.25, 0.5, 1), 20))

# --- conv.wald formulas (see header) ---------------------------------------------------------
est <- c(0.52, 1.18, 2.3, 0.87)
lb <- c(0.31, 0.49, 1.1, 0.80)
ub <- c(0.87, 2.85, 4.8, 0.95)
lev <- c(95, 95, 90, 99)
pv <- c(0.013, 0.71, 0.001, 0.0004)
out_wald <- list(
  est = est, lb = lb, ub = ub, level = lev, p = pv,
  ci_yi = log(est), ci_sei = (log(ub) - log(lb)) / (2 * qnorm(1 - (1 - lev / 100) / 2)),
  p_sei = abs(log(est)) / qnorm(pv / 2, lower.tail = FALSE))

out <- list(
  versions = list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  generated = format(Sys.time(), "%Y-%m-%d %H:%M:%S UTC", tz = "UTC"),
  escalc_2x2 = out_escalc, rma_mh = out_mh, rma_peto = out_peto,
  escalc_proportions = out_prop, transf = out_transf, conv_wald = out_wald)

writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "effects.json")
