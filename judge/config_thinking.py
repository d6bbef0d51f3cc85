"""`[judge] thinking_retry`: what to do when a thinking judge spends its whole budget on reasoning.

A reasoning judge (gpt-oss, Qwen3 in thinking mode, o-series) can stop for length before it writes
a word of its verdict: `finish_reason` "length" and empty content. Asking again with the same
budget fails the same way, so instructor's schema re-asks are not the cure; one re-ask with a larger
budget or a lower reasoning effort is. Kept apart from judge.config, which is near its size limit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from judge.config_base import Strict

__all__ = ["ThinkingRetry"]


class ThinkingRetry(Strict):
    """`thinking_retry = {max_tokens_factor = 2.0, reasoning_effort = "low"}`; default: double the budget once."""

    reask: bool = True
    """Re-ask once; false stores the verdict as an error at once."""
    max_tokens_factor: float = Field(default=2.0, ge=1.0, le=16.0)
    """The re-ask's max_tokens is the first request's times this."""
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    """The re-ask's `reasoning_effort` (None: the judge's own, if any)."""

    @model_validator(mode="after")
    def _changes_something(self) -> ThinkingRetry:
        # A re-ask identical to the request that ran out would spend the same budget the same way.
        if self.reask and self.max_tokens_factor == 1.0 and self.reasoning_effort is None:
            raise ValueError(
                "a re-ask with max_tokens_factor = 1 and no reasoning_effort repeats the request that ran out: "
                "raise max_tokens_factor, set reasoning_effort, or set reask = false"
            )
        return self

    def budget(self, max_tokens: int) -> int:
        """The re-ask's max_tokens for a first request of `max_tokens`."""
        return max(max_tokens, round(max_tokens * self.max_tokens_factor))
