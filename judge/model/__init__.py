"""OpenAI-compatible model access: replicas and concurrency, the one retry policy, reasoning capture,
and the guards against hostile servers (validation at the boundary, deadline, size cap, breaker)."""

from .breaker import Breaker
from .client import GUARDS, CallFailed, Endpoint, Guards, build_request, chat
from .completion import Completion, parse_completion, unfence
from .reasoning import (
    BUDGET_SPENT,
    ReasoningBudgetSpent,
    estimate_tokens,
    join_reasoning,
    spent_on_reasoning,
    split_reasoning,
    split_think,
    strip_think,
)
from .retry import (
    Backoff,
    BadResponse,
    CircuitOpen,
    DeadlineExceeded,
    describe_error,
    is_retryable,
    retry_after_seconds,
    retry_policy,
)
from .storable import storable, storable_row, token_count

__all__ = [
    "BUDGET_SPENT",
    "GUARDS",
    "Backoff",
    "BadResponse",
    "Breaker",
    "CallFailed",
    "CircuitOpen",
    "Completion",
    "DeadlineExceeded",
    "Endpoint",
    "Guards",
    "ReasoningBudgetSpent",
    "build_request",
    "chat",
    "describe_error",
    "estimate_tokens",
    "is_retryable",
    "join_reasoning",
    "parse_completion",
    "retry_after_seconds",
    "retry_policy",
    "spent_on_reasoning",
    "split_reasoning",
    "split_think",
    "storable",
    "storable_row",
    "strip_think",
    "token_count",
    "unfence",
]
