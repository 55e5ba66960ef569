# Reference values for continuous effect sizes (evsynth/effects/continuous.py) and for the
# end-to-end pooling of tests/fixtures/continuous/ (tests/test_continuous.py).
#
# Run: Rscript validation/metafor/continuous.R
# Writes: validation/metafor/continuous.json
# Needs: R 4, metafor 3.8.1, jsonlite.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

out <- list(versions = list(R = as.character(getRversion()),
                            metafor = as.character(packageVersion("metafor"))))

# 1. escalc on metafor's dat.normand1999 (length of stay, days; group 1 = specialist care)
dat <- dat.normand1999
for (m in c("MD", "SMD", "ROM")) {
  es <- escalc(measure = m, m1i = m1i, sd1i = sd1i, n1i = n1i,
               m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat)
  out$normand1999[[m]] <- list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))
}
out$normand1999$data <- dat[, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]

# 2. small hand-made arms (includes n = 3 per arm, where the exact Hedges correction differs
#    most from its approximation, and a negative difference)
hand <- data.frame(m1i = c(3.1, 10, 0.5), sd1i = c(1.2, 2.5, 0.2), n1i = c(40, 3, 12),
                   m2i = c(4.6, 12, 0.4), sd2i = c(1.5, 3.0, 0.25), n2i = c(38, 4, 10))
for (m in c("MD", "SMD", "ROM")) {
  es <- escalc(measure = m, m1i = m1i, sd1i = sd1i, n1i = n1i,
               m2i = m2i, sd2i = sd2i, n2i = n2i, data = hand)
  out$hand[[m]] <- list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))
}
out$hand$data <- hand

# 3. SD of a mean from its SE (sd = se sqrt(n)) and from its 95% CI with t quantiles
#    (Cochrane Handbook 6.5.2.2: sd = sqrt(n) (upper - lower) / (2 qt(0.975, n - 1)))
ci <- data.frame(mean = c(5.2, 20.1), lower = c(4.8, 18.0), upper = c(5.6, 22.2), n = c(25, 100))
out$sd_from_ci <- list(data = ci, sd = sqrt(ci$n) * (ci$upper - ci$lower) / (2 * qt(0.975, ci$n - 1)))
se <- data.frame(se = c(0.3, 1.1), n = c(16, 49))
out$sd_from_se <- list(data = se, sd = se$se * sqrt(se$n))

# 4. reported MD with a 95% CI: sei from the CI width, (hi - lo) / (2 qnorm(0.975)) (what
#    metafor >= 4.0 conv.wald does without a transformation; 3.8.1 has no conv.wald)
wald <- function(est, lo, hi) list(yi = est, vi = ((hi - lo) / (2 * qnorm(0.975)))^2)
rep <- data.frame(est = c(-0.8, 1.46), lo = c(-1.2, 0.85), hi = c(-0.4, 2.07))
cw <- wald(rep$est, rep$lo, rep$hi)
out$reported_md <- list(data = rep, yi = as.numeric(cw$yi), vi = as.numeric(cw$vi))

# 5. end-to-end: the three papers of tests/fixtures/continuous/ (protocol pain.yaml, outcome
#    "pain", measure MD, exercise vs control). Paper A: table of mean (SD) with (n=...) headers;
#    paper B: sentence "mean ... (SD ...) in the exercise group versus ... (SD ...)"; paper C: a
#    reported MD with its 95% CI.
a <- escalc("MD", m1i = 3.1, sd1i = 1.2, n1i = 40, m2i = 4.6, sd2i = 1.5, n2i = 38)
b <- escalc("MD", m1i = 5.2, sd1i = 1.1, n1i = 52, m2i = 6.0, sd2i = 1.3, n2i = 50)
c <- wald(-0.8, -1.2, -0.4)
yi <- c(a$yi, b$yi, c$yi); vi <- c(a$vi, b$vi, c$vi)
fit <- rma(yi, vi, method = "REML", test = "adhoc", control = list(threshold = 1e-12))
fitz <- rma(yi, vi, method = "REML", control = list(threshold = 1e-12))
smd_a <- escalc("SMD", m1i = 3.1, sd1i = 1.2, n1i = 40, m2i = 4.6, sd2i = 1.5, n2i = 38)
smd_b <- escalc("SMD", m1i = 5.2, sd1i = 1.1, n1i = 52, m2i = 6.0, sd2i = 1.3, n2i = 50)
out$end_to_end <- list(
  yi = as.numeric(yi), vi = as.numeric(vi),
  reml_adhoc = list(estimate = as.numeric(fit$b), ci_lb = fit$ci.lb, ci_ub = fit$ci.ub,
                   tau2 = fit$tau2, pval = fit$pval),
  reml_z = list(estimate = as.numeric(fitz$b), ci_lb = fitz$ci.lb, ci_ub = fitz$ci.ub,
                tau2 = fitz$tau2, pval = fitz$pval),
  smd_yi = c(smd_a$yi, smd_b$yi), smd_vi = c(smd_a$vi, smd_b$vi),
  # protocol measure SMD: the two papers with arm means pool; paper C's MD cannot become an SMD
  smd_reml_adhoc = with(rma(c(smd_a$yi, smd_b$yi), c(smd_a$vi, smd_b$vi), method = "REML",
                             test = "adhoc", control = list(threshold = 1e-12)),
                        list(estimate = as.numeric(b), ci_lb = ci.lb, ci_ub = ci.ub, tau2 = tau2)))

writeLines(toJSON(out, digits = I(15), auto_unbox = TRUE, pretty = TRUE),
           file.path("validation", "metafor", "continuous.json"))
