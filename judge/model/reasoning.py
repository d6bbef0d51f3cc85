"""Reasoning capture: the one `<think>` splitter, reasoning from server fields, token estimates.

Why one splitter: the generator (storing the reasoning apart from the answer) and the checks
(reading only the answer) must agree on where a reasoning block ends, or a check reads reasoning
as the answer.
"""

from __future__ import annotations

import math
import re
from typing import Any

_THINK_TAG = re.compile(r"</?think>", re.IGNORECASE)
_TOKENISH = re.compile(r"\w+|[^\w\s]", re.U)


def split_think(text: str) -> tuple[str, str | None]:
    """`(answer, reasoning)`: `<think>…</think>` blocks taken out of `text`, in one linear pass.

    A stray `</think>` (the chat template opened the block in the prompt) makes everything before
    it reasoning; a `<think>` never closed is dropped as a tag and its text kept as answer, since
    a model that forgot to close the block has often written its answer inside it.
    """
    kept: list[str] = []
    thought: list[str] = []
    pos = 0
    open_end: int | None = None
    for m in _THINK_TAG.finditer(text):
        if not m.group().startswith("</"):
            if open_end is None:
                kept.append(text[pos : m.start()])
                open_end = m.end()
        elif open_end is not None:
            thought.append(text[open_end : m.start()])
            open_end, pos = None, m.end()
        else:
            thought = ["".join(kept) + text[pos : m.start()]]
            kept, pos = [], m.end()
    kept.append(text[pos:] if open_end is None else text[open_end:])
    answer = _THINK_TAG.sub("", "".join(kept))
    reasoning = "\n".join(t.strip() for t in thought if t.strip())
    return answer, (reasoning or None)


def strip_think(text: str) -> str:
    """The answer of `text` without its reasoning blocks (see `split_think`)."""
    return split_think(text)[0]


def split_reasoning(message: Any) -> tuple[str, str | None]:
    """Answer and reasoning from message.reasoning, message.reasoning_content or inline <think>."""
    extra = getattr(message, "model_extra", None) or {}
    reasoning = getattr(message, "reasoning", None) or extra.get("reasoning")
    reasoning = reasoning or getattr(message, "reasoning_content", None) or extra.get("reasoning_content")
    return join_reasoning(message.content, reasoning)


def join_reasoning(content: str | None, reasoning: str | None) -> tuple[str, str | None]:
    """Answer and reasoning from a message's text and its reasoning field (inline <think> moved)."""
    content = content or ""
    if _THINK_TAG.search(content):
        content, inline = split_think(content)
        content = content.strip()
        if inline:
            reasoning = f"{reasoning}\n{inline}" if reasoning else inline
    return content, (reasoning or None)


def estimate_tokens(text: str | None) -> int:
    """Rough BPE-like count when the server reports none: about 4 characters a token per word."""
    if not text:
        return 0
    return sum(max(1, math.ceil(len(t) / 4)) if t[0].isalnum() or t[0] == "_" else 1 for t in _TOKENISH.findall(text))


BUDGET_SPENT = "judge spent its budget on reasoning"
"""The start of the error text of a verdict lost this way (the report counts them by it)."""


class ReasoningBudgetSpent(Exception):
    """A reply cut at max_tokens with no content: a thinking model spent the budget on reasoning.

    Not retryable as it is: the same request spends the same budget the same way. The judge call
    re-asks once with a larger budget or a lower effort (`[judge] thinking_retry`).
    """

    def __init__(self, max_tokens: int | None, reasoning_tokens: int | None) -> None:
        spent = f", {reasoning_tokens} reasoning tokens" if reasoning_tokens is not None else ""
        budget = f"max_tokens {max_tokens}" if max_tokens is not None else "no max_tokens sent"
        super().__init__(f"{BUDGET_SPENT} (finish_reason length, no content; {budget}{spent})")
        self.max_tokens = max_tokens
        self.reasoning_tokens = reasoning_tokens


def spent_on_reasoning(finish_reason: str | None, answer: str | None, tool_calls: Any = None) -> bool:
    """Whether a reply stopped for length before writing anything: `answer` is the content with any
    `<think>` block taken out (a server without a reasoning parser sends the trace inline)."""
    return finish_reason == "length" and not (answer or "").strip() and not tool_calls
