"""OpenAI-compatible model access: replicas and concurrency, the one retry policy, reasoning capture."""

from .client import CallFailed, Completion, Endpoint, build_request, capture, chat
from .reasoning import estimate_tokens, split_reasoning, split_think, strip_think
from .retry import (
    Backoff,
    describe_error,
    is_retryable,
    retry_after_seconds,
    retry_policy,
)

__all__ = [
    "Backoff",
    "CallFailed",
    "Completion",
    "Endpoint",
    "build_request",
    "capture",
    "chat",
    "describe_error",
    "estimate_tokens",
    "is_retryable",
    "retry_after_seconds",
    "retry_policy",
    "split_reasoning",
    "split_think",
    "strip_think",
]
