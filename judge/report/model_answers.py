"""The report's records for the validity gate and the answers section (see `gate`, `answers`), and the
base every record of `model` shares.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Section(_M):
    title: str
    skipped: str | None = None
    """Why the section has no data (None when it has)."""
    notes: list[str] = Field(default_factory=list)
    """How to read the section, and parts of it skipped for lack of data."""


class GateRow(_M):
    judge: str
    rubric: str
    criterion: str | None
    """None: the test covers whole verdicts of the rubric (halo, parse errors, human labels)."""
    lang: str
    """`en`, `ru`, or `all` (measured over every language)."""
    test: str
    """`swap consistency`, `probe`, `check agreement`, `human agreement`, `halo` or `parse errors`."""
    status: Literal["pass", "fail", "not measured"]
    value: float | None
    threshold: float | None
    n: int
    """Units behind the value: pairs, verdicts, answers, labelled items or probed answers."""
    text: str
    """The result as a sentence: `halo 0.97 > 0.60`, or why the test is not measured."""


class AnswerLine(_M):
    question: Literal["precision", "reasoning", "russian", "english", "ru_en_gap", "recommendation"]
    subject: str
    """What the line is about, e.g. `qwen3-30b-a3b bf16 → fp8, reasoning_depth`."""
    verdict: str
    decided: str
    """`decided`, `not decided (<why>)` (e.g. `not decided (CI crosses 0)`), or
    `judge not trusted for this criterion: <test> <value> vs <threshold>`."""
    mde: float | None
    """Minimum detectable effect of the comparison behind the line (80 % power, α = 0.05)."""
    judges: list[str] = Field(default_factory=list)
    rubric: str | None = None
    lang: str | None = None
    model_a: str | None = None
    model_b: str | None = None
    diff: float | None = None
    """A − B (for the gap: RU − EN) with its 95 % CI lo..hi over n prompts or pairs."""
    lo: float | None = None
    hi: float | None = None
    n: int = 0
    p_value: float | None = None
    """Wilcoxon signed-rank (Pratt) of the paired differences."""
    p_holm: float | None = None
    """Holm-adjusted over the lines that could be decided (judge trusted): a line is decided only when its
    CI excludes 0 and this is below 0.05."""
    expected_scores: bool = False
    """The numbers use logprob-weighted expected scores (the endpoint gave logprobs)."""


class Answers(Section):
    judge_trusted: bool = False
    """Every judge × rubric in scope passed the validity gate, with at least one validity test measured."""
    reasons: list[str] = Field(default_factory=list)
    """Why the judge is or is not trusted, one sentence per judge × rubric."""
    questions: list[AnswerLine] = Field(default_factory=list)
    consensus: str | None = None
    """With a jury: that the scores are its consensus, of which judges (None with one judge per rubric)."""
