"""The verdict models handed to instructor, built from a rubric, and the token budget they need."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from .model import Rubric

DEFAULT_RATIONALE_CAP = 300
Winner = Literal["A", "B", "tie"]
NA = "n/a"
"""What a judge answers instead of a score or a winner when a criterion does not apply (only for
criteria with `not_applicable_when`); stored as not applicable, never as a score."""


class _Verdict(BaseModel):
    """Base of the generated verdict models; fields are aliased to criterion ids."""

    model_config = ConfigDict(extra="forbid")

    def by_criterion(self) -> dict[str, Any]:
        """Criterion id -> its CriterionScore / CriterionPreference."""
        return {(f.alias or name): getattr(self, name) for name, f in type(self).model_fields.items()}


def _criterion_fields(rubric: Rubric, inner: type[BaseModel], inner_na: type[BaseModel]) -> dict[str, Any]:
    # Python names are neutral (c0, c1, ...) so an id such as `model_config` or `schema` cannot
    # clash with BaseModel attributes; the JSON keys are the ids through aliases. Only a criterion
    # with `not_applicable_when` may answer "n/a": elsewhere the schema does not offer it.
    return {
        f"c{i}": (inner_na if c.not_applicable_when else inner, Field(alias=c.id))
        for i, c in enumerate(rubric.criteria)
    }


def single_verdict_model(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP) -> type[_Verdict]:
    """Response model for single-answer grading: `{criterion_id: {rationale, score}}`, rationale first.

    `score` is an integer on the scale, or "n/a" for a criterion that allows it.
    """
    # strict: a JSON `true` or "4" is not a score
    score_t = Annotated[int, Field(ge=rubric.scale.min, le=rubric.scale.max, strict=True)]
    rationale = (str, Field(max_length=rationale_cap))
    cfg = ConfigDict(extra="forbid")
    score = create_model("CriterionScore", __config__=cfg, rationale=rationale, score=(score_t, Field()))
    score_or_na: Any = score_t | Literal["n/a"]
    score_na = create_model("CriterionScoreOrNA", __config__=cfg, rationale=rationale, score=(score_or_na, Field()))
    return create_model("SingleVerdict", __base__=_Verdict, **_criterion_fields(rubric, score, score_na))


def pairwise_verdict_model(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP) -> type[_Verdict]:
    """Response model for pairwise grading: `{criterion_id: {rationale, winner: A|B|tie}}` (or "n/a"
    for a criterion that allows it)."""
    rationale = (str, Field(max_length=rationale_cap))
    cfg = ConfigDict(extra="forbid")
    pref = create_model("CriterionPreference", __config__=cfg, rationale=rationale, winner=(Winner, Field()))
    pref_na = create_model(
        "CriterionPreferenceOrNA",
        __config__=cfg,
        rationale=rationale,
        winner=(cast(Any, Literal["A", "B", "tie", "n/a"]), Field()),
    )
    return create_model("PairwiseVerdict", __base__=_Verdict, **_criterion_fields(rubric, pref, pref_na))


def max_tokens_for(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP, *, reasoning_tokens: int = 0) -> int:
    """A `max_tokens` large enough that the verdict JSON is never cut off.

    Counts a full token per rationale character: Cyrillic often costs one token or more per
    character on small models' tokenizers, and criteria x cap was the budget that never truncated a
    verdict of the small local judges we measured (SmolLM2, Qwen2.5 0.5B). Add the judge's reasoning budget for reasoning models.
    """
    per_criterion = rationale_cap + 48  # key, braces, quotes, score, escapes
    return len(rubric.criteria) * per_criterion + 128 + reasoning_tokens
