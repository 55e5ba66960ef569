"""Every numerical tolerance the tests use, with the reason for it.

Tests import from here so that a reviewer can audit all tolerances in one place.
"""

# Closed-form quantities (effect sizes, fixed effect, DerSimonian-Laird, Q, I2 from Q):
# the same formula in double precision; differences are floating-point rounding only.
CLOSED_FORM_RTOL = 1e-10

# Values compared with metafor output stored as JSON with 15 significant digits, for
# closed-form and non-iterative quantities.
METAFOR_RTOL = 1e-6

# Iterative estimators (REML, ML, PM, EB, SJ-iterated, Q-profile roots): metafor stops its
# Fisher scoring / root finding at threshold 1e-10 on tau2 / uniroot tol ~1e-8, so agreement
# is limited by metafor's own convergence, not ours.
METAFOR_ITERATIVE_RTOL = 1e-4

# Numerical integration (Bayesian posterior on a grid vs an independent computation).
BAYES_RTOL = 1e-3
