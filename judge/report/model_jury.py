"""The report's records of a jury (several judges of one rubric): see `judge.report.jury`."""

from __future__ import annotations

from pydantic import Field

from judge.report.model_answers import _M, Section


class JuryRubric(_M):
    rubric: str
    rubric_version: str
    judges: list[str]
    """The LLM judges in scope whose verdicts of this rubric version make up the consensus."""
    n_answers: int
    n_cells: int
    """Answer × criterion cells with a verdict row of at least one judge."""
    n_partial: int
    """Cells some judge did not score (not graded yet, failed, or not applicable to it): the consensus
    there rests on fewer judges."""


class AgreementRow(_M):
    rubric: str
    rubric_version: str
    criterion: str
    lang: str
    judges: list[str]
    n: int
    """Answers scored by at least two of the judges."""
    alpha: float | None
    """Krippendorff's α (ordinal) over the judges: 1 = they agree on every answer, 0 = as by chance."""
    lo: float | None
    hi: float | None
    """95 % bootstrap CI, answers resampled."""


class CrossJudgeRow(_M):
    rubric: str
    rubric_version: str
    judge: str
    """An LLM judge, or the consensus (`consensus(<method>)`)."""
    model: str
    mean: float | None
    """Mean weighted rubric total this judge gave this contestant's answers."""
    n: int
    n_error: int
    own: bool
    """The judge is this contestant (its verdicts are `self_judged`)."""


class SelfPreferenceRow(_M):
    judge: str
    own_models: list[str]
    """Contestants the judge graded as its own model (same model id or name); empty: not a contestant."""
    n_answers: int
    """Own-model answers that another judge scored too (the bootstrap's units)."""
    n_pairs: int
    """Answer × criterion pairs behind the mean."""
    diff: float | None
    """Its score minus the other judges' mean score of the same answer and criterion, averaged."""
    lo: float | None
    hi: float | None


class Jury(Section):
    method: str | None = None
    """`mean`, `median` or `majority` (`[judge] consensus`): how the consensus combines the judges."""
    judge: str | None = None
    """The consensus rows' judge name in the other sections (`consensus(<method>)`)."""
    rubrics: list[JuryRubric] = Field(default_factory=list)
    agreement: list[AgreementRow] = Field(default_factory=list)
    cross: list[CrossJudgeRow] = Field(default_factory=list)
    self_preference: list[SelfPreferenceRow] = Field(default_factory=list)
