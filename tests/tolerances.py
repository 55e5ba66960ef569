"""Every numerical tolerance the tests use, with the reason for it.

Tests import from here so that a reviewer can audit all tolerances in one place.
"""

# Closed-form quantities (effect sizes, fixed effect, DerSimonian-Laird, Q, I2 from Q):
# the same formula in double precision; differences are floating-point rounding only.
CLOSED_FORM_RTOL = 1e-10

# Numbers read back from pooled.csv, which keeps 6 significant digits (half a unit of the 6th
# digit; pooled_studies.csv keeps 8 for re-analysis in R or RevMan).
CSV_6_DIGITS_RTOL = 5e-6

# Values compared with metafor output stored as JSON with 15 significant digits, for
# closed-form and non-iterative quantities.
METAFOR_RTOL = 1e-6

# Iterative estimators (REML, ML, PM, EB, SJ-iterated, Q-profile roots): agreement is limited by
# metafor's own convergence, not ours. metafor's default REML/ML stopping threshold is 1e-5 on
# tau2 (control=list(threshold=...)); the reference scripts set 1e-12 where stated, and uniroot's
# tolerance (~1e-8) bounds the Q-profile and PM roots.
METAFOR_ITERATIVE_RTOL = 1e-4

# Numerical integration (Bayesian posterior on a grid vs an independent computation).
BAYES_RTOL = 1e-3

# Absolute tolerance for tau² (and 1e2 x this for I² in percent) when the REML/ML maximum is
# on the boundary tau² = 0: Fisher scoring approaches 0 by step halving, so both programs stop
# at a tiny positive value (~1e-11 to 1e-13) whose relative difference is meaningless.
TAU2_BOUNDARY_ATOL = 1e-8

# Peer libraries whose tau² comes from a general-purpose optimizer with its default tolerance
# (pymare's ML/REML use scipy.optimize.minimize): they agree with metafor/evsynth to ~3e-7.
PEER_OPTIMIZER_RTOL = 1e-5

# Absolute tolerance for closed-form values that are exactly 0 in one program and rounding noise
# (~1e-16) in the other (e.g. a log ratio of 1, I² = 0): a relative tolerance cannot apply at 0.
ZERO_ATOL = 1e-14

# Six-digit value quoted in a docstring's hand calculation (e.g. log HR -0.708749).
QUOTED_6DP_ATOL = 1e-6

# Image comparison of figures (matplotlib.testing.compare.compare_images, RMS of 0-255 pixel
# differences): baselines are rendered with the same bundled DejaVu Sans and fixed rcParams, so
# a small RMS allows only anti-aliasing differences between FreeType builds, not moved text.
IMAGE_RMS_TOL = 2.0

# p-values of REML fits compared with metafor's default fits, which stop Fisher scoring at
# |change in tau²| <= 1e-5: small p-values amplify that stopping error (seen: 2.5e-4 relative).
METAFOR_DEFAULT_REML_PVALUE_RTOL = 1e-3

# Issue 19 reference suite (validation/metafor/convergence.R): evsynth vs metafor at
# control=list(threshold=1e-12, tol=1e-12); the agreement the "done when" asks for.
RANDOM_SUITE_RTOL = 1e-7

# tau² located by R's optimize() on the profile likelihood (no Fisher scoring): a maximum is
# flat, so its location is only determined to about sqrt(machine epsilon) relative.
PROFILE_OPTIMUM_RTOL = 1e-6
