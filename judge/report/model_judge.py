"""The report's records about the judge as a model of its own: stability across repeats, thinking
re-asks, and what each role's calls cost. Part of the JSON format like every record of `model`
(which includes these); kept here so `stability` and `cost` can build them without importing `model`.
"""

from __future__ import annotations

from typing import Literal

from judge.report.model_answers import _M


class StabilityRow(_M):
    judge: str
    rubric: str
    criterion: str
    n: int
    """Answers scored on this criterion in at least two repeats."""
    repeats: int
    """Most repeats of one answer."""
    agree_share: float | None
    """Share of those answers whose repeats all gave the same score."""
    mean_sd: float | None
    """Mean over answers of the sample SD of their repeats' scores (0 = the judge never wavers)."""
    alpha: float | None
    """Krippendorff's α (ordinal) with the repeats as raters: 1 = perfectly stable, 0 = chance."""


class ThinkingRow(_M):
    judge: str
    rubric: str
    calls: int
    """Judge calls: verdicts and pairwise orders, every repeat."""
    n_reasked: int
    """Calls whose judge spent its whole budget on reasoning and was asked again (`thinking_retry`)."""
    n_recovered: int
    """Re-asked calls that then gave a verdict."""
    n_failed: int
    """Calls lost that way: stored as errors ("judge spent its budget on reasoning"), never scored."""
    mean_reasoning_tokens: float | None
    """Per call, over the calls whose reasoning tokens are known."""


class RoleCostRow(_M):
    role: Literal["contestant", "judge"]
    model: str | None
    """A contestant or a judge; None: the role's total."""
    calls: int
    """Generations (contestant) or verdicts and pairwise orders (judge)."""
    n_error: int
    prompt_tokens: int | None
    completion_tokens: int | None
    """Reasoning included."""
    reasoning_tokens: int | None
    """Over the calls that report them (`n_reasoning_unknown` do not)."""
    n_reasoning_unknown: int
    seconds: float | None
    """Time spent answering, summed over calls (not wall-clock: calls run in parallel)."""
    cost: float | None
    """Money at the configured price (`price` on the model in judge.toml); None without one."""
    n_unpriced: int
    """Calls without a price or a token count, left out of `cost`."""
