"""Rubrics: the model linguists edit (YAML), its loading and checking, and the verdict models."""

from .load import RubricCheck, check_rubric_files, load_rubric, parse_rubric
from .model import (
    AppliesTo,
    Bilingual,
    Criterion,
    NotApplicableRule,
    Rubric,
    Scale,
    applies,
    canonical_json,
    rubric_version,
)
from .verdict import (
    DEFAULT_RATIONALE_CAP,
    NA,
    max_tokens_for,
    pairwise_verdict_model,
    single_verdict_model,
)

__all__ = [
    "DEFAULT_RATIONALE_CAP",
    "NA",
    "AppliesTo",
    "Bilingual",
    "Criterion",
    "NotApplicableRule",
    "Rubric",
    "RubricCheck",
    "Scale",
    "applies",
    "canonical_json",
    "check_rubric_files",
    "load_rubric",
    "max_tokens_for",
    "pairwise_verdict_model",
    "parse_rubric",
    "rubric_version",
    "single_verdict_model",
]
