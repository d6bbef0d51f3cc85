"""The judge stage: plan the missing verdicts, grade single answers and pairs (with swap), store them."""

from .plan import Gap, StoredAnswer, coverage_gaps, load_rubrics, plan_pairwise, plan_single, stored_answers
from .run import GradeSummary, JudgeClient, grade, grade_checks

__all__ = [
    "Gap",
    "GradeSummary",
    "JudgeClient",
    "StoredAnswer",
    "coverage_gaps",
    "grade",
    "grade_checks",
    "load_rubrics",
    "plan_pairwise",
    "plan_single",
    "stored_answers",
]
