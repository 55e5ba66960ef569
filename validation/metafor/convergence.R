# Reference values for issue 19 (convergence, the tau^2 = 0 boundary, degenerate input).
# Run: Rscript validation/metafor/convergence.R  (R 4, metafor 3.8.1, jsonlite) -> convergence.json
# Tests: tests/test_convergence.py (they read the JSON; R is not needed to run them).
#
# "Exact" tau^2 for a REML/ML fit is the global maximum of the profile (restricted)
# log-likelihood, found here independently of any Fisher scoring: logLik() of metafor fits with
# tau^2 fixed, on a grid over [0, 4 var(yi) + 10 max(vi)] refined by optimize(); 0 when the
# maximum is at the boundary (the likelihood at 0 beats every interior point).
suppressMessages({library(metafor); library(jsonlite)})
stopifnot(packageVersion("metafor") == "3.8.1")
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)  # tol: the PM/EB root (uniroot)

ll_fixed <- function(y, v, t, method, mods = NULL) {
  if (is.null(mods)) fit <- rma(y, v, tau2 = t, method = method)
  else fit <- rma(y, v, mods = mods, tau2 = t, method = method)
  as.numeric(logLik(fit))
}
exact_tau2 <- function(y, v, method, mods = NULL) {
  hi <- 4 * var(y) + 10 * max(v)
  grid <- c(0, hi * (seq(0, 1, length.out = 401)[-1])^2)
  ll <- sapply(grid, function(t) ll_fixed(y, v, t, method, mods))
  i <- which.max(ll)
  if (i == 1) {
    # boundary: check the right neighbour interval for an interior maximum above ll(0)
    o <- optimize(function(t) ll_fixed(y, v, t, method, mods), c(0, grid[2]), maximum = TRUE,
                  tol = 1e-15)
    if (o$objective > ll[1]) return(list(tau2 = o$maximum, ll = o$objective, ll0 = ll[1]))
    return(list(tau2 = 0, ll = ll[1], ll0 = ll[1]))
  }
  o <- optimize(function(t) ll_fixed(y, v, t, method, mods), c(grid[i - 1], grid[min(i + 1, length(grid))]),
                maximum = TRUE, tol = 1e-15)
  list(tau2 = o$maximum, ll = o$objective, ll0 = ll[1])
}
# twice the REML score in tau^2 at tau^2 = 0, intercept-only (Viechtbauer 2005, eq. 11)
reml_score0 <- function(y, v) {
  w <- 1 / v; mu <- sum(w * y) / sum(w); P <- diag(w) - outer(w, w) / sum(w)
  py <- P %*% y
  as.numeric(sum(py^2) - sum(diag(P)))
}
fit_fields <- function(r) list(tau2 = r$tau2, beta = as.numeric(r$beta), se = r$se,
                               zval = r$zval, QE = r$QE, I2 = r$I2, H2 = r$H2)
out <- list(metafor_version = as.character(packageVersion("metafor")))

# ---- 19.1 the cumulative snippet -------------------------------------------------------------
y <- c(-0.151234, -0.47209, 0.001004, -0.011233, 0.083754, 0.240007, -0.53264, 0.030081,
       -0.126391, -0.30431)
v <- c(0.097333, 0.038094, 0.012036, 0.006858, 0.011644, 0.019729, 0.141963, 0.007186,
       0.071712, 0.037404)
cu <- cumul(rma(y, v, method = "REML", test = "z", control = tight))
ex <- lapply(2:10, function(i) exact_tau2(y[1:i], v[1:i], "REML"))
out$cumulative <- list(
  call = "cumul(rma(yi, vi, method='REML', test='z', control=list(threshold=1e-12)))",
  yi = y, vi = v,
  metafor_tau2 = cu$tau2, metafor_estimate = as.numeric(cu$estimate), metafor_se = cu$se,
  exact_tau2 = c(NA, sapply(ex, `[[`, "tau2")),
  exact_ll = c(NA, sapply(ex, `[[`, "ll")),
  ll_at_zero = c(NA, sapply(ex, `[[`, "ll0")),
  # the full data set: a second local maximum of the restricted likelihood near 0.00424
  ll_local = ll_fixed(y, v, 0.00424, "REML")
)

# ---- 19.2 the boundary snippet ---------------------------------------------------------------
y2 <- c(-0.021, 0.084, -0.18, -0.011, 0.003)
v2 <- c(1e-8, 0.0154, 0.0077, 0.0109, 0.0051)
r_fix0 <- rma(y2, v2, tau2 = 0, method = "REML", test = "z")
r_reml <- rma(y2, v2, method = "REML", test = "z", control = tight)
out$boundary <- list(
  yi = y2, vi = v2,
  score_at_zero = reml_score0(y2, v2),
  exact = exact_tau2(y2, v2, "REML"),
  fixed0 = fit_fields(r_fix0),
  metafor_tight = fit_fields(r_reml)
)

# ---- 19.4 degenerate input -------------------------------------------------------------------
# the issue's call mantel_haenszel([1, nan, 3], [10, 10, 10], [2, 2, 2], [10, 10, 10]) = ai, bi, ci, di
mh <- suppressWarnings(rma.mh(ai = c(1, NA, 3), bi = c(10, 10, 10), ci = c(2, 2, 2),
                              di = c(10, 10, 10), measure = "OR"))
mh2 <- rma.mh(ai = c(1, 3), bi = c(10, 10), ci = c(2, 2), di = c(10, 10), measure = "OR")
pe <- suppressWarnings(rma.peto(ai = c(1, NA, 3), bi = c(10, 10, 10), ci = c(2, 2, 2),
                                di = c(10, 10, 10)))
tiny <- suppressWarnings(rma(c(0.1, 0.2, 0.3), c(0.01, 1e-20, 0.02), control = tight))
out$degenerate <- list(
  mh_na = list(beta = as.numeric(mh$beta), se = mh$se, QE = mh$QE, k = mh$k,
               beta_complete = as.numeric(mh2$beta)),
  peto_na = list(beta = as.numeric(pe$beta), se = pe$se, QE = pe$QE, k = pe$k),
  tiny_vi = c(fit_fields(tiny), list(ci_lb = tiny$ci.lb, ci_ub = tiny$ci.ub))
)

# ---- random reference suite (issue 19, "Also") -----------------------------------------------
# Seeded meta-analyses: k 2-30, generic effects with tau^2 at and away from 0, tiny and huge
# variances, and log odds ratios from 2x2 tables with zero cells (escalc's 1/2 correction).
set.seed(20261202)
cases <- list()
n_cases <- 100
for (i in seq_len(n_cases)) {
  k <- sample(c(2:10, 12, 15, 20, 30), 1)
  kind <- c("generic", "tau0", "tinyvi", "hugevi", "twobytwo")[(i - 1) %% 5 + 1]
  if (kind == "twobytwo") {
    n1 <- sample(10:200, k, replace = TRUE); n2 <- sample(10:200, k, replace = TRUE)
    p1 <- runif(k, 0.005, 0.2); p2 <- pmin(0.9, p1 * exp(rnorm(k, -0.3, 0.4)))
    ai <- rbinom(k, n1, p1); ci <- rbinom(k, n2, p2)
    es <- escalc("OR", ai = ai, n1i = n1, ci = ci, n2i = n2)
    ok <- is.finite(es$yi)
    yi <- as.numeric(es$yi[ok]); vi <- as.numeric(es$vi[ok])
    if (length(yi) < 2) next
  } else {
    vi <- switch(kind,
      generic = rchisq(k, 5) / 50, tau0 = rchisq(k, 5) / 50,
      tinyvi = c(10^runif(1, -9, -6), rchisq(k - 1, 5) / 50),
      hugevi = rchisq(k, 5) * 1e3)
    tau2 <- switch(kind, generic = runif(1, 0, 0.2), tau0 = 0, tinyvi = runif(1, 0, 0.01),
                   hugevi = runif(1, 0, 5e3))
    yi <- rnorm(k, 0.2, sqrt(vi + tau2))
  }
  fits <- list()
  for (m in c("REML", "ML", "PM", "EB", "DL")) {
    r <- try(suppressWarnings(rma(yi, vi, method = m, test = "z", control = tight)), silent = TRUE)
    if (inherits(r, "try-error")) next
    f <- fit_fields(r)
    if (m %in% c("REML", "ML")) {
      ex <- exact_tau2(yi, vi, m)
      f$exact_tau2 <- ex$tau2
      # the fit at the exact optimum (tau^2 fixed there): beta, se, I2, H2 free of the
      # stopping point of metafor's iteration (which stops ~1e-13 above a boundary optimum)
      f$at_exact <- fit_fields(rma(yi, vi, tau2 = ex$tau2, method = m, test = "z"))
    }
    fits[[m]] <- f
  }
  cases[[length(cases) + 1]] <- list(kind = kind, yi = yi, vi = vi, fits = fits)
}
out$random <- cases

path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                  "convergence.json")
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, pretty = FALSE, na = "null"), path)
cat("wrote", path, "\n")
