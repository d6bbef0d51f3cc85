"""The verdict models handed to instructor, built from a rubric, and the token budget they need."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .model import Rubric

DEFAULT_RATIONALE_CAP = 300
Winner = Literal["A", "B", "tie"]


class _Verdict(BaseModel):
    """Base of the generated verdict models; fields are aliased to criterion ids."""

    model_config = ConfigDict(extra="forbid")

    def by_criterion(self) -> dict[str, Any]:
        """Criterion id -> its CriterionScore / CriterionPreference."""
        return {(f.alias or name): getattr(self, name) for name, f in type(self).model_fields.items()}


def _criterion_fields(rubric: Rubric, inner: type[BaseModel]) -> dict[str, Any]:
    # Python names are neutral (c0, c1, ...) so an id such as `model_config` or `schema` cannot
    # clash with BaseModel attributes; the JSON keys are the ids through aliases.
    return {f"c{i}": (inner, Field(alias=c.id)) for i, c in enumerate(rubric.criteria)}


def single_verdict_model(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP) -> type[_Verdict]:
    """Response model for single-answer grading: `{criterion_id: {rationale, score}}`, rationale first."""
    score = create_model(
        "CriterionScore",
        __config__=ConfigDict(extra="forbid"),
        rationale=(str, Field(max_length=rationale_cap)),
        # strict: a JSON `true` or "4" is not a score
        score=(int, Field(ge=rubric.scale.min, le=rubric.scale.max, strict=True)),
    )
    return create_model("SingleVerdict", __base__=_Verdict, **_criterion_fields(rubric, score))


def pairwise_verdict_model(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP) -> type[_Verdict]:
    """Response model for pairwise grading: `{criterion_id: {rationale, winner: A|B|tie}}`."""
    pref = create_model(
        "CriterionPreference",
        __config__=ConfigDict(extra="forbid"),
        rationale=(str, Field(max_length=rationale_cap)),
        winner=(Winner, Field()),
    )
    return create_model("PairwiseVerdict", __base__=_Verdict, **_criterion_fields(rubric, pref))


def max_tokens_for(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP, *, reasoning_tokens: int = 0) -> int:
    """A `max_tokens` large enough that the verdict JSON is never cut off.

    Counts a full token per rationale character: Cyrillic often costs one token or more per
    character on small models' tokenizers, and criteria x cap was the budget that never truncated a
    verdict of the small local judges we measured (SmolLM2, Qwen2.5 0.5B). Add the judge's reasoning budget for reasoning models.
    """
    per_criterion = rationale_cap + 48  # key, braces, quotes, score, escapes
    return len(rubric.criteria) * per_criterion + 128 + reasoning_tokens
