"""The judge stage: plan the missing verdicts, grade single answers and pairs (with swap), store them."""

from .plan import StoredAnswer, load_rubrics, plan_pairwise, plan_single, stored_answers
from .run import GradeSummary, JudgeClient, grade

__all__ = [
    "GradeSummary",
    "JudgeClient",
    "StoredAnswer",
    "grade",
    "load_rubrics",
    "plan_pairwise",
    "plan_single",
    "stored_answers",
]
