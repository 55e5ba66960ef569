"""Stage 8, the review workflow: questions to answer, the synthesis of each (primary, Bayesian
and sensitivity analyses), the report, and :func:`run`, the main job.

Takes the evidence table; gives pooled results, figures and reports on disk.
Imports every earlier stage.
"""

from evsynth.review.synthesis import Synthesis, SynthesisOptions, synthesize
from evsynth.review.workflow import RunResult, run

__all__ = ["run", "RunResult", "synthesize", "Synthesis", "SynthesisOptions"]
