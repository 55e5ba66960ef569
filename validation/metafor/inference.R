# Reference values for evsynth's few-study inference and sensitivity analyses
# (evsynth/pooling/{influence,bias,permutation,gosh,subgroup}.py).
#
# Regenerate with:   Rscript validation/metafor/inference.R
# Output:            validation/metafor/inference.json (read by tests/test_*.py; CI has no R)
#
# Data: metafor's dat.bcg (13 BCG vaccine trials), log risk ratios from
#   escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
# and dat.hine1989 (risk differences), the example of metafor's own permutest() tests.

suppressPackageStartupMessages(library(metafor))
suppressPackageStartupMessages(library(jsonlite))

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg,
              slab = paste(author, year, sep = ", "))
yi <- as.numeric(dat$yi)
vi <- as.numeric(dat$vi)

fit_fields <- function(res) {
  list(estimate = as.numeric(res$beta[1]), se = res$se[1], zval = res$zval[1],
       pval = res$pval[1], ci_lower = res$ci.lb[1], ci_upper = res$ci.ub[1],
       tau2 = res$tau2, i2 = res$I2, h2 = res$H2, q = res$QE, q_pvalue = res$QEp, k = res$k)
}

list_rma <- function(x) {
  out <- list(estimate = as.numeric(x$estimate), se = as.numeric(x$se),
              ci_lower = as.numeric(x$ci.lb), ci_upper = as.numeric(x$ci.ub),
              q = as.numeric(x$Q), q_pvalue = as.numeric(x$Qp), i2 = as.numeric(x$I2),
              h2 = as.numeric(x$H2), slab = as.character(x$slab))
  out$statistic <- if (!is.null(x$zval)) as.numeric(x$zval) else as.numeric(x$tval)
  out$pval <- if (!is.null(x$pval)) as.numeric(x$pval) else as.numeric(x$pvals)
  if (!is.null(x$tau2)) out$tau2 <- as.numeric(x$tau2)
  out
}

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  data = list(yi = yi, vi = vi, slab = paste(dat$author, dat$year, sep = ", "), year = dat$year,
              alloc = as.character(dat$alloc))
)

# ---- leave-one-out --------------------------------------------------------------------
res_reml <- rma(yi, vi, data = dat, method = "REML", test = "z")
res_reml_knha <- rma(yi, vi, data = dat, method = "REML", test = "knha")
res_reml_adhoc <- rma(yi, vi, data = dat, method = "REML", test = "adhoc")
res_dl <- rma(yi, vi, data = dat, method = "DL", test = "z")
res_fe <- rma(yi, vi, data = dat, method = "FE", test = "z")
out$fit_reml <- fit_fields(res_reml)
out$leave1out <- list(
  reml_z = c(call = "leave1out(rma(yi, vi, data=dat, method='REML', test='z'))",
             list_rma(leave1out(res_reml))),
  reml_knha = c(call = "leave1out(rma(yi, vi, data=dat, method='REML', test='knha'))",
                list_rma(leave1out(res_reml_knha))),
  reml_adhoc = c(call = "leave1out(rma(yi, vi, data=dat, method='REML', test='adhoc'))",
                 list_rma(leave1out(res_reml_adhoc))),
  dl_z = c(call = "leave1out(rma(yi, vi, data=dat, method='DL'))", list_rma(leave1out(res_dl)))
)

# ---- cumulative (publication-year order; ties keep data order, as R's order()) --------
out$cumul <- list(
  reml_z = c(call = "cumul(rma(yi, vi, data=dat, method='REML'), order=year)",
             order = list(order(dat$year)), list_rma(cumul(res_reml, order = year))),
  reml_knha = c(call = "cumul(rma(yi, vi, data=dat, method='REML', test='knha'), order=year)",
                list_rma(cumul(res_reml_knha, order = year)))
)

# ---- Egger-type regression tests ------------------------------------------------------
rt_rma <- regtest(res_reml)
rt_lm <- regtest(res_reml, model = "lm")
rt_rma_knha <- regtest(res_reml_knha)
rt_fields <- function(rt, call) {
  list(call = call, zval = as.numeric(rt$zval), pval = as.numeric(rt$pval),
       df = if (is.null(rt$dfs)) NA else as.numeric(rt$dfs),
       limit_estimate = as.numeric(rt$est), limit_ci_lower = as.numeric(rt$ci.lb),
       limit_ci_upper = as.numeric(rt$ci.ub),
       slope = as.numeric(coef(rt$fit)[2]), intercept = as.numeric(coef(rt$fit)[1]),
       tau2 = if (is.null(rt$fit$tau2)) NA else as.numeric(rt$fit$tau2))
}
out$regtest <- list(
  rma_z = rt_fields(rt_rma, "regtest(rma(yi, vi, data=dat, method='REML'))"),
  lm = rt_fields(rt_lm, "regtest(rma(yi, vi, data=dat, method='REML'), model='lm')"),
  rma_knha = rt_fields(rt_rma_knha, "regtest(rma(yi, vi, data=dat, method='REML', test='knha'))")
)

# ---- trim-and-fill --------------------------------------------------------------------
tf_fields <- function(tf, call) {
  list(call = call, k0 = tf$k0, se_k0 = tf$se.k0, side = tf$side, estimator = tf$k0.est,
       p_k0 = if (is.null(tf$p.k0) || is.na(tf$p.k0)) NA else tf$p.k0,
       estimate = as.numeric(tf$beta[1]), se = tf$se, ci_lower = tf$ci.lb, ci_upper = tf$ci.ub,
       zval = tf$zval, pval = tf$pval, tau2 = tf$tau2, i2 = tf$I2, q = tf$QE,
       yi = as.numeric(tf$yi), vi = as.numeric(tf$vi), fill = tf$fill)
}
out$trimfill <- list(
  reml_l0 = tf_fields(trimfill(res_reml), "trimfill(rma(yi, vi, data=dat, method='REML'))"),
  reml_r0 = tf_fields(trimfill(res_reml, estimator = "R0"),
                      "trimfill(rma(yi, vi, data=dat, method='REML'), estimator='R0')"),
  fe_l0 = tf_fields(trimfill(res_fe), "trimfill(rma(yi, vi, data=dat, method='FE'))"),
  dl_l0_left = tf_fields(trimfill(res_dl, side = "left"),
                         "trimfill(rma(yi, vi, data=dat, method='DL'), side='left')"),
  dl_l0_right = tf_fields(trimfill(res_dl, side = "right"),
                          "trimfill(rma(yi, vi, data=dat, method='DL'), side='right')")
)

# ---- exact permutation tests ----------------------------------------------------------
# REML refits at tight control, threshold 1e-12 (evsynth iterates every refit to
# 1e-10 x (tau2 + min vi), so metafor's default 1e-5 would limit the comparison; issue 19.5).
# permutest() and gosh() refit with the model's control.

# six trials with mixed results, so the exact p-value is not simply its minimum 2/2^6
sub6 <- c(7, 8, 9, 10, 12, 13)
res6 <- rma(yi, vi, data = dat, subset = sub6, method = "REML", control = list(threshold = 1e-12, maxiter = 10000))
res6_knha <- rma(yi, vi, data = dat, subset = sub6, method = "REML", test = "knha",
                 control = list(threshold = 1e-12, maxiter = 10000))
res6_dl <- rma(yi, vi, data = dat, subset = sub6, method = "DL")
res6_adhoc <- rma(yi, vi, data = dat, subset = sub6, method = "REML", test = "adhoc",
                  control = list(threshold = 1e-12, maxiter = 10000))
pt_adhoc <- permutest(res6_adhoc, exact = TRUE, progbar = FALSE)
pt <- permutest(res6, exact = TRUE, progbar = FALSE)
pt_knha <- permutest(res6_knha, exact = TRUE, progbar = FALSE)
pt_dl <- permutest(res6_dl, exact = TRUE, progbar = FALSE)
hine <- escalc(measure = "RD", n1i = n1i, n2i = n2i, ai = ai, ci = ci, data = dat.hine1989)
res_hine <- rma(yi, vi, data = hine, control = list(threshold = 1e-12, maxiter = 10000))
pt_hine <- permutest(res_hine, exact = TRUE, progbar = FALSE)
pt_fields <- function(p, res, call) {
  list(call = call, pval = as.numeric(p$pval), zval = as.numeric(res$zval),
       pval_model = as.numeric(res$pval), n_perm = length(unlist(p$zval.perm)),
       zval_perm = as.numeric(unlist(p$zval.perm)), beta_perm = as.numeric(unlist(p$beta.perm)))
}
out$permutest <- list(
  subset = sub6,
  reml_z = pt_fields(pt, res6, "permutest(rma(yi, vi, data=dat, subset=c(7,8,9,10,12,13)), exact=TRUE)"),
  reml_knha = pt_fields(pt_knha, res6_knha,
                        "permutest(rma(yi, vi, data=dat, subset=c(7,8,9,10,12,13), test='knha'), exact=TRUE)"),
  reml_adhoc = pt_fields(pt_adhoc, res6_adhoc,
                         "permutest(rma(yi, vi, data=dat, subset=c(7,8,9,10,12,13), test='adhoc'), exact=TRUE)"),
  dl_z = pt_fields(pt_dl, res6_dl,
                   "permutest(rma(yi, vi, data=dat, subset=c(7,8,9,10,12,13), method='DL'), exact=TRUE)"),
  hine1989 = c(list(yi = as.numeric(hine$yi), vi = as.numeric(hine$vi)),
               pt_fields(pt_hine, res_hine,
                         "permutest(rma(yi, vi, data=escalc('RD', dat.hine1989)), exact=TRUE)"))
)

# ---- GOSH (first six trials) ------------------------------------------------------------
sub6 <- 1:6
res6 <- rma(yi, vi, data = dat, subset = sub6, method = "REML", control = list(threshold = 1e-12, maxiter = 10000))
res6_dl <- rma(yi, vi, data = dat, subset = sub6, method = "DL")
gosh_fields <- function(g, call) {
  list(call = call, incl = unname(lapply(seq_len(nrow(g$incl)), function(i) as.logical(g$incl[i, ]))),
       k = g$res$k, q = g$res$QE, i2 = g$res$I2, h2 = g$res$H2, tau2 = g$res$tau2,
       estimate = g$res$estimate)
}
out$gosh <- list(
  subset = sub6,
  reml = gosh_fields(gosh(res6, progbar = FALSE), "gosh(rma(yi, vi, data=dat, subset=1:6))"),
  dl = gosh_fields(gosh(res6_dl, progbar = FALSE),
                   "gosh(rma(yi, vi, data=dat, subset=1:6, method='DL'))"),
  fe = gosh_fields(gosh(rma(yi, vi, data = dat, subset = sub6, method = "FE"), progbar = FALSE),
                   "gosh(rma(yi, vi, data=dat, subset=1:6, method='FE'))")
)
res13 <- rma(yi, vi, data = dat, method = "REML", control = list(threshold = 1e-12, maxiter = 10000))
out$gosh$reml_all13 <- gosh_fields(gosh(res13, progbar = FALSE),
                                   "gosh(rma(yi, vi, data=dat))  # all 8191 subsets")
# membership of the 8191 subsets follows the same rule as the k = 6 case (checked there):
# expand.grid order, then a stable sort by subset size; dropped to keep the JSON small
out$gosh$reml_all13$incl <- NULL

# ---- subgroups by allocation ----------------------------------------------------------
groups <- c("random", "alternate", "systematic")
sep <- lapply(groups, function(g) rma(yi, vi, data = dat, subset = alloc == g, method = "REML"))
names(sep) <- groups
est <- sapply(sep, function(r) as.numeric(r$beta))
se <- sapply(sep, function(r) r$se)
qb <- rma(est, sei = se, method = "FE")
me <- rma(yi, vi, mods = ~ factor(alloc), data = dat, method = "REML")
me_knha <- rma(yi, vi, mods = ~ factor(alloc), data = dat, method = "REML", test = "knha")
out$subgroup <- list(
  call_separate = "rma(yi, vi, data=dat, subset=alloc==g, method='REML') for each g; rma(est, sei=se, method='FE')$QE",
  separate = lapply(sep, fit_fields),
  q_between = qb$QE, q_between_df = length(groups) - 1, q_between_pvalue = qb$QEp,
  call_mixed = "rma(yi, vi, mods=~factor(alloc), data=dat, method='REML')",
  qm = me$QM, qm_df = me$QMdf[1], qm_pvalue = me$QMp, tau2_common = me$tau2,
  qe = me$QE, qe_pvalue = me$QEp,
  call_mixed_knha = "rma(yi, vi, mods=~factor(alloc), data=dat, method='REML', test='knha')",
  qm_knha = me_knha$QM, qm_knha_df1 = me_knha$QMdf[1], qm_knha_df2 = me_knha$QMdf[2],
  qm_knha_pvalue = me_knha$QMp
)

path <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                  "inference.json")
if (length(path) == 0 || !nzchar(path)) path <- "validation/metafor/inference.json"
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, pretty = FALSE, na = "null"), path)
cat("wrote", path, "\n")
