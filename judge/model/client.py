"""OpenAI-compatible async client: replicas, per-endpoint concurrency, the one retry policy, capture.

One retry loop per call: the SDK is built with max_retries=0, and `retry_policy()` is the only
place that builds tenacity objects (grade.py hands a fresh one to instructor per call).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI

from judge.config import ModelConfig

from .reasoning import estimate_tokens, split_reasoning
from .retry import HTTP_ERRORS, EmptyResponseError, describe_error, retry_policy

# What a call may raise once its retries are spent: recorded as an error row, never a crash.
CALL_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, openai.OpenAIError, *HTTP_ERRORS, EmptyResponseError)


def _http_client(timeout: float, max_connections: int) -> Any:
    """The HTTP client under one replica's AsyncOpenAI.

    Under openai >= 3 this is the SDK's own httpx2 client: handing it a legacy `httpx.AsyncClient`
    costs about 1 ms more CPU per call (measured in bench/harness_overhead.py), which caps a fast
    server's throughput. Redirects are not followed, as with the plain httpx client before.
    """
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    factory = getattr(openai, "DefaultAsyncHttpx2Client", None)
    if factory is None:
        return httpx.AsyncClient(timeout=timeout, limits=limits)
    return factory(timeout=timeout, limits=limits, follow_redirects=False)


class Endpoint:
    """A model's replicas, each with its own client and concurrency limit; least-busy first."""

    def __init__(self, cfg: ModelConfig, *, concurrency: int | None = None) -> None:
        self.cfg = cfg
        self.limit = concurrency or cfg.concurrency
        key = cfg.api_key()
        self.clients = [
            AsyncOpenAI(
                base_url=url,
                api_key=key,
                max_retries=0,
                timeout=cfg.timeout,
                http_client=_http_client(cfg.timeout, self.limit + 4),
            )
            for url in cfg.urls
        ]
        self.sems = [asyncio.Semaphore(self.limit) for _ in self.clients]
        self.busy = [0] * len(self.clients)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[AsyncOpenAI]:
        i = min(range(len(self.clients)), key=lambda k: self.busy[k])
        self.busy[i] += 1
        try:
            async with self.sems[i]:
                yield self.clients[i]
        finally:
            self.busy[i] -= 1

    async def aclose(self) -> None:
        for c in self.clients:
            await c.close()


@dataclass
class Completion:
    """What we keep of one chat completion."""

    answer: str
    reasoning: str | None
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    reasoning_tokens: int | None
    reasoning_tokens_estimated: bool
    response_model: str | None
    latency_ms: float
    attempts: int = 1
    raw: Any = field(default=None, repr=False)


def capture(resp: Any, latency_ms: float) -> Completion:
    choice = resp.choices[0]
    answer, reasoning = split_reasoning(choice.message)
    usage = resp.usage
    details = getattr(usage, "completion_tokens_details", None) if usage else None
    rt = getattr(details, "reasoning_tokens", None) if details else None
    estimated = False
    if (rt is None or (rt == 0 and reasoning)) and reasoning:
        rt, estimated = estimate_tokens(reasoning), True
    return Completion(
        answer=answer,
        reasoning=reasoning,
        finish_reason=choice.finish_reason,
        prompt_tokens=getattr(usage, "prompt_tokens", None) if usage else None,
        completion_tokens=getattr(usage, "completion_tokens", None) if usage else None,
        reasoning_tokens=rt,
        reasoning_tokens_estimated=estimated,
        response_model=getattr(resp, "model", None),
        latency_ms=latency_ms,
        raw=resp,
    )


def build_request(cfg: ModelConfig, messages: list[dict[str, Any]], *, seed_offset: int = 0) -> dict[str, Any]:
    """The exact chat.completions arguments for a model (the key is never part of them)."""
    params = cfg.params.request_kwargs()
    if "seed" in params and seed_offset:
        params["seed"] = params["seed"] + seed_offset
    req: dict[str, Any] = {"model": cfg.model, "messages": messages, **params}
    if cfg.extra_body:
        req["extra_body"] = cfg.extra_body
    return req


async def chat(endpoint: Endpoint, request: dict[str, Any]) -> Completion:
    """One chat completion under the retry policy; raises the last error when attempts run out."""
    attempts = 0
    try:
        async for attempt in retry_policy(endpoint.cfg.max_attempts):
            with attempt:
                attempts += 1
                async with endpoint.slot() as client:
                    t0 = time.perf_counter()
                    resp = await client.chat.completions.create(**request)
                    latency = (time.perf_counter() - t0) * 1000
                if not getattr(resp, "choices", None):
                    raise EmptyResponseError("the server returned no choices")
    except CALL_ERRORS as e:
        raise CallFailed(e, attempts) from e
    comp = capture(resp, latency)
    comp.attempts = attempts
    return comp


class CallFailed(Exception):
    """A call that failed after its retries; carries the attempt count for the error row."""

    def __init__(self, exc: BaseException, attempts: int) -> None:
        super().__init__(describe_error(exc))
        self.exc = exc
        self.attempts = attempts
