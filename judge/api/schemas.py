"""What `judge api` accepts and returns: the OpenAPI schema is generated from these models.

Every text field is bounded (the request body is capped too) and made storable on the way in: a
lone surrogate or NUL byte in a JSON string would otherwise fail the database write (see
judge.model.storable). Unknown fields are refused, as in judge.toml.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from judge.model import storable

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:@+\-]*$"
ID = r"^[A-Za-z0-9_.:\-]+$"
MAX_TEXT = 200_000


def _clean(v: str) -> str:
    return storable(v)


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be blank")
    return v


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_clean)]
Prompt = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_clean), AfterValidator(_not_blank)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NAME)]
Category = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean), AfterValidator(_not_blank)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class _Out(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)


class GradeRequest(_In):
    """One answer to grade against one rubric."""

    prompt: Prompt
    """The task the answer responds to."""
    answer: Text
    """The answer to grade (an empty answer is graded, not refused)."""
    reasoning: Text | None = None
    """The answering model's reasoning, when the rubric should see it."""
    reference: Text | None = None
    """A worked solution or key facts the judge may compare with."""
    lang: Literal["ru", "en"]
    """The language of the prompt."""
    rubric: Name
    """A configured rubric's name (GET /v1/rubrics lists them)."""
    judge: Name | None = None
    """A configured judge's name (default: the first judge of [judge])."""
    category: Category | None = None
    """The task's category (default: the first category the rubric applies to, else `general`)."""
    model: Name | None = None
    """A label for the model that wrote the answer, shown in SQL and reports (default `api`)."""
    prompt_id: Annotated[str, Field(min_length=1, max_length=200, pattern=ID)] | None = None
    """The prompt's id in your own data (default: derived from the prompt's text)."""


class CompareRequest(_In):
    """Two answers to one prompt, judged in both orders (position swap)."""

    prompt: Prompt
    answer_a: Text
    answer_b: Text
    reasoning_a: Text | None = None
    reasoning_b: Text | None = None
    reference: Text | None = None
    lang: Literal["ru", "en"]
    rubric: Name
    judge: Name | None = None
    category: Category | None = None
    model_a: Name = "api-a"
    """Label of the model that wrote answer A (must differ from model_b)."""
    model_b: Name = "api-b"
    prompt_id: Annotated[str, Field(min_length=1, max_length=200, pattern=ID)] | None = None


class BatchRequest(_In):
    """Many answers to grade, asynchronously: stored before 202, finished even across a restart."""

    items: Annotated[list[GradeRequest], Field(min_length=1)]


class CriterionScore(_Out):
    criterion: str
    score: float | None
    """NULL when not applicable or when the verdict failed (never a default score)."""
    expected_score: float | None
    """Probability-weighted score, where the judge's endpoint gives logprobs."""
    not_applicable: bool
    rationale: str | None


class Verdict(_Out):
    verdict_id: str
    """The verdict's content key: the same answer, rubric version and judge always give the same id."""
    generation_id: str
    rubric: str
    rubric_version: str
    judge: str
    source: str
    """`api` for a verdict this service wrote, `cli` for one `judge grade` wrote."""
    stored_before: bool
    """True when the verdict was already stored (no judge call was made for this request)."""
    criteria: list[CriterionScore]


class CriterionWinner(_Out):
    criterion: str
    winner: Literal["a", "b", "tie"] | None
    """The answer both orders preferred, `tie` when the orders disagree or tie, NULL when not applicable."""
    consistent: bool | None
    """Both orders chose the same answer."""
    winner_order1: str | None
    """The raw verdict with answer A shown first (`A`, `B` or `tie`: positions, not answers)."""
    winner_order2: str | None
    """The raw verdict with answer B shown first."""
    not_applicable: bool
    rationale_order1: str | None
    rationale_order2: str | None


class Comparison(_Out):
    pair_id: str
    comparison_ids: list[str]
    rubric: str
    rubric_version: str
    judge: str
    stored_before: bool
    criteria: list[CriterionWinner]


class BatchAccepted(_Out):
    batch_id: str
    status: str
    n_items: int


class BatchItem(_Out):
    index: int
    status: Literal["pending", "done", "error"]
    verdict: Verdict | None = None
    error: str | None = None
    http_status: int | None = None
    """For an item that failed: the status the same request to /v1/grade would have had."""


class BatchStatus(_Out):
    batch_id: str
    status: Literal["pending", "done"]
    n_items: int
    n_done: int
    n_error: int
    n_pending: int
    created_at: str | None
    finished_at: str | None
    items: list[BatchItem]


class RubricCriterion(_Out):
    id: str
    title: dict[str, str]
    description: dict[str, str]


class RubricInfo(_Out):
    name: str
    version: str
    title: dict[str, str]
    scale_min: int
    scale_max: int
    langs: list[str] | None
    categories: list[str] | None
    criteria: list[RubricCriterion]


class Health(_Out):
    status: Literal["ok"]
    version: str
    rubrics: int
    database_open: bool
    """Whether the service holds the database file now (it closes it when idle, for readers)."""


class ErrorBody(_Out):
    detail: str
    verdict_id: str | None = None
    """For a judge failure: the id of the error verdict stored (no score is made up)."""


class FieldError(_Out):
    loc: list[str | int]
    field: str
    msg: str
    type: str


class ValidationErrorBody(_Out):
    detail: list[FieldError]


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors without the input value (it may be megabytes, or text meant for the judge)."""
    out = []
    for e in errors:
        loc = [p if isinstance(p, (str, int)) else str(p) for p in e.get("loc", ())]
        out.append(
            {
                "loc": loc,
                "field": ".".join(str(p) for p in loc),
                "msg": str(e.get("msg", "invalid")),
                "type": str(e.get("type", "value_error")),
            }
        )
    return out
