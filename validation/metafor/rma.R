# Reference values for evsynth.pooling (tests/test_pooling_metafor.py, tests/test_metareg.py).
#
# Regenerate:  cd validation/metafor && Rscript rma.R   (writes rma.json next to this script)
#
# Every fit uses control=list(threshold=1e-12, tol=1e-12, maxiter=1000) so that iterative
# quantities (REML/ML/EB Fisher scoring, PM uniroot, Q-profile uniroot) are converged far
# beyond the test tolerance; metafor's defaults (threshold 1e-5, tol ~1.2e-4) would make the
# reference itself the limiting factor. Numbers are written with 15 significant digits.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
qctrl <- list(tol = 1e-12, maxiter = 1000)

# --- data sets -------------------------------------------------------------------------------
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)

# k = 2: two tocilizumab PFS hazard ratios, 1.18 [0.49, 2.85] and 1.207 [0.561, 2.598].
# metafor >= 4.0 has conv.wald(out, ci.lb, ci.ub, transf=log); this R has metafor 3.8, so the
# same formula is written out: yi = log(HR), sei = (log(ub) - log(lb)) / (2 * qnorm(0.975)).
toci_hr <- c(1.18, 1.207); toci_lb <- c(0.49, 0.561); toci_ub <- c(2.85, 2.598)
toci <- data.frame(yi = log(toci_hr),
                   vi = ((log(toci_ub) - log(toci_lb)) / (2 * qnorm(0.975)))^2)

# k = 3: synthetic log hazard ratios with moderate heterogeneity (made up for this test).
k3 <- data.frame(yi = c(-0.478, -0.051, -0.892), vi = c(0.045, 0.12, 0.08))

# Q < k - 1: synthetic, studies agree more than their variances imply (DL truncates at 0).
qsmall <- data.frame(yi = c(0.10, 0.12, 0.09, 0.11, 0.13), vi = c(0.04, 0.05, 0.03, 0.06, 0.05))

datasets <- list(bcg = bcg, toci_k2 = toci, k3 = k3, qsmall = qsmall)
methods <- c("DL", "REML", "ML", "PM", "EB", "SJ", "HE", "HS", "FE")
tests <- c("z", "knha", "adhoc")

num <- function(x) if (is.null(x)) NA else as.numeric(x)

fit_summary <- function(res) {
  out <- list(
    beta = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
    ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), ddf = num(res$ddf),
    tau2 = num(res$tau2), I2 = num(res$I2), H2 = num(res$H2), vt = num(res$vt),
    QE = num(res$QE), QEp = num(res$QEp), k = res$k, p = res$p,
    weights = as.numeric(weights(res))
  )
  pr <- predict(res)
  out$pi_lb <- num(pr$pi.lb); out$pi_ub <- num(pr$pi.ub)
  if (!(res$method %in% c("FE", "EE", "CE"))) {
    # Higgins-Thompson-Spiegelhalter t(k-2) interval = predict(pi.type="riley") for k >= 3
    if (res$k >= 3) {
      pr2 <- predict(res, pi.type = "riley")
      out$pi_hts_lb <- num(pr2$pi.lb); out$pi_hts_ub <- num(pr2$pi.ub)
    }
    ci <- confint(res, control = qctrl)
    out$tau2_ci <- as.numeric(ci$random["tau^2", c("ci.lb", "ci.ub")])
    out$I2_ci <- as.numeric(ci$random["I^2(%)", c("ci.lb", "ci.ub")])
    out$H2_ci <- as.numeric(ci$random["H^2", c("ci.lb", "ci.ub")])
    out$ci_null <- ci$ci.null
  }
  out
}

fits <- list()
for (dn in names(datasets)) {
  d <- datasets[[dn]]
  for (m in methods) for (t in tests) {
    res <- suppressWarnings(rma(yi, vi, data = d, method = m, test = t, control = ctrl))
    s <- fit_summary(res)
    s$call <- sprintf('rma(yi, vi, data=%s, method="%s", test="%s", control=list(threshold=1e-12, tol=1e-12, maxiter=1000))', dn, m, t)
    fits[[paste(dn, m, t, sep = "|")]] <- s
  }
}

# --- meta-regression: dat.bcg ~ ablat (and ~ ablat + year) ------------------------------------
metareg <- list()
for (spec in list(list(f = ~ablat, name = "ablat"), list(f = ~ablat + year, name = "ablat+year"))) {
  for (m in c("REML", "DL", "ML", "PM", "FE")) for (t in tests) {
    res <- suppressWarnings(rma(yi, vi, mods = spec$f, data = bcg, method = m, test = t, control = ctrl))
    s <- list(
      coef_names = rownames(res$beta), beta = num(res$beta), se = num(res$se), zval = num(res$zval),
      pval = num(res$pval), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), ddf = num(res$ddf),
      QM = num(res$QM), QMp = num(res$QMp), QMdf = num(res$QMdf),
      QE = num(res$QE), QEp = num(res$QEp), tau2 = num(res$tau2), I2 = num(res$I2), H2 = num(res$H2),
      R2 = num(res$R2), k = res$k, p = res$p
    )
    if (m != "FE") {
      ci <- confint(res, control = qctrl)
      s$tau2_ci <- as.numeric(ci$random["tau^2", c("ci.lb", "ci.ub")])
      s$I2_ci <- as.numeric(ci$random["I^2(%)", c("ci.lb", "ci.ub")])
    }
    s$call <- sprintf('rma(yi, vi, mods=~%s, data=bcg, method="%s", test="%s", control=list(threshold=1e-12, tol=1e-12, maxiter=1000))', spec$name, m, t)
    metareg[[paste(spec$name, m, t, sep = "|")]] <- s
  }
}

out <- list(
  versions = list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  generated = format(Sys.time(), tz = "UTC", usetz = TRUE),
  data = lapply(datasets, function(d) list(yi = as.numeric(d$yi), vi = as.numeric(d$vi))),
  bcg_ablat = as.numeric(bcg$ablat), bcg_year = as.numeric(bcg$year),
  bcg_labels = paste(bcg$author, bcg$year),
  fits = fits, metareg = metareg
)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(sub("^--file=", "", args[grep("^--file=", args)]))
if (length(here) == 0 || here == "") here <- "."
writeLines(toJSON(out, digits = I(15), auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "rma.json"))
cat("wrote", file.path(here, "rma.json"), "\n")
