# Reference values for issue 19.6 (a likelihood with two maxima in tau^2).
# Run: Rscript validation/metafor/profile.R  (R 4, metafor 3.8.1) -> profile.json
# Two k = 4 data sets (one large-variance outlier) whose ML likelihood has a local maximum at
# tau^2 = 0 and a higher one inside. metafor's own fit (HE start, tight control), the profile
# log-likelihood at 0, and the global maximum found by optimize() on logLik() of fits with
# tau^2 fixed (no Fisher scoring).
suppressMessages({library(metafor); library(jsonlite)})
stopifnot(packageVersion("metafor") == "3.8.1")
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
ll_fixed <- function(y, v, t) as.numeric(logLik(rma(y, v, tau2 = t, method = "ML")))
sets <- list(
  a = list(yi = c(3.4736, 0.9134, -0.2255, 0.5175), vi = c(2.3154, 0.6063, 0.0384, 0.3544)),
  b = list(yi = c(-3.3814, 0.3278, -0.0949, 0.7244), vi = c(4.3201, 0.043, 0.0019, 0.0768))
)
out <- list(metafor_version = as.character(packageVersion("metafor")))
for (nm in names(sets)) {
  y <- sets[[nm]]$yi; v <- sets[[nm]]$vi
  fit <- suppressWarnings(rma(y, v, method = "ML", control = tight))
  grid <- seq(0, 2, length.out = 4001)
  ll <- sapply(grid, function(t) ll_fixed(y, v, t))
  i <- which.max(ll)
  o <- optimize(function(t) ll_fixed(y, v, t), c(grid[max(i - 1, 1)], grid[i + 1]),
                maximum = TRUE, tol = 1e-15)
  # local maximum at 0: the ML score at 0 (sum w^2 r^2 - sum w, r from the FE fit) is negative
  w <- 1 / v; r <- y - sum(w * y) / sum(w)
  out[[nm]] <- list(yi = y, vi = v, metafor_tau2 = fit$tau2, exact_tau2 = o$maximum,
                    ll_exact = o$objective, ll_zero = ll[1],
                    ml_score_zero = sum(w^2 * r^2) - sum(w))
}
path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                  "profile.json")
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, pretty = FALSE, na = "null"), path)
cat("wrote", path, "\n")
