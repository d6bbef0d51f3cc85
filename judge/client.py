"""OpenAI-compatible async client: replicas, per-endpoint concurrency, the one retry policy, capture.

One retry loop per call: the SDK is built with max_retries=0, and `retry_policy()` is the only
place that builds tenacity objects (grade.py hands a fresh one to instructor per call).
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from .config import ModelConfig

try:  # openai >= 3 sends through httpx2; its own client class skips the legacy-httpx compatibility path
    import httpx2

    _TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (httpx.TransportError, httpx2.TransportError)
    _HTTP_ERRORS: tuple[type[BaseException], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # openai 2.x: httpx only
    _TRANSPORT_ERRORS, _HTTP_ERRORS = (httpx.TransportError,), (httpx.HTTPError,)

# Statuses worth another attempt: throttling, server faults, gateway hiccups.
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass
class Backoff:
    """Exponential backoff with full jitter; tests set `initial=0` for instant retries."""

    initial: float = 0.5
    maximum: float = 30.0
    retry_after_cap: float = 60.0


BACKOFF = Backoff()


def is_retryable(exc: BaseException) -> bool:
    """The single answer to "should this call be tried again?"."""
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS or exc.status_code >= 500
    return isinstance(exc, (*_TRANSPORT_ERRORS, asyncio.TimeoutError, EmptyResponseError))


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if the server sent one."""
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(ra) if ra else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


class wait_retry_after(wait_base):
    """Honour Retry-After when present; otherwise exponential backoff with full jitter."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        ra = retry_after_seconds(exc)
        if ra is not None:
            return min(ra, self.backoff.retry_after_cap)
        if self.backoff.initial <= 0:
            return 0.0
        import random

        cap = min(self.backoff.maximum, self.backoff.initial * 2 ** (retry_state.attempt_number - 1))
        return random.uniform(0, cap)


def retry_policy(max_attempts: int, *, also: tuple[type[BaseException], ...] = ()) -> AsyncRetrying:
    """A fresh tenacity policy for one call (a shared object miscounts attempts across tasks)."""

    def _retry(exc: BaseException) -> bool:
        return is_retryable(exc) or (bool(also) and isinstance(exc, also))

    return AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        wait=wait_retry_after(BACKOFF),
        retry=retry_if_exception(_retry),
        reraise=True,
    )


def describe_error(exc: BaseException) -> str:
    """A one-line, key-free description of a failed call for the error column."""
    if isinstance(exc, openai.APIStatusError):
        body = ""
        try:
            body = exc.response.text[:300]
        except Exception:  # noqa: BLE001 - the body is a courtesy, never required
            pass
        return f"HTTP {exc.status_code}: {body or exc.message}"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        return f"connection error: {type(cause).__name__ if cause else ''} {cause or ''}".strip()
    return f"{type(exc).__name__}: {exc}"[:500]


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


_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.S)


def split_reasoning(message: Any) -> tuple[str, str | None]:
    """Answer and reasoning from message.reasoning, message.reasoning_content or inline <think>."""
    content = message.content or ""
    extra = getattr(message, "model_extra", None) or {}
    reasoning = getattr(message, "reasoning", None) or extra.get("reasoning")
    reasoning = reasoning or getattr(message, "reasoning_content", None) or extra.get("reasoning_content")
    m = _THINK.match(content)
    if m:
        inline = m.group(1).strip()
        reasoning = f"{reasoning}\n{inline}" if reasoning else inline
        content = content[m.end():]
    elif "</think>" in content and "<think>" not in content:
        # Some chat templates open <think> in the prompt, so only the closing tag reaches us.
        head, _, content = content.partition("</think>")
        reasoning = f"{reasoning}\n{head.strip()}" if reasoning else head.strip()
        content = content.lstrip()
    return content, (reasoning or None)


_TOKENISH = re.compile(r"\w+|[^\w\s]", re.U)


def estimate_tokens(text: str | None) -> int:
    """Rough BPE-like count when the server reports none: about 4 characters a token per word."""
    if not text:
        return 0
    return sum(max(1, math.ceil(len(t) / 4)) if t[0].isalnum() or t[0] == "_" else 1 for t in _TOKENISH.findall(text))


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
    except (openai.OpenAIError, *_HTTP_ERRORS, asyncio.TimeoutError, EmptyResponseError) as e:
        raise CallFailed(e, attempts) from e
    comp = capture(resp, latency)
    comp.attempts = attempts
    return comp


class EmptyResponseError(Exception):
    """A 200 response without choices (seen from overloaded proxies); retried like a 5xx."""


class CallFailed(Exception):
    """A call that failed after its retries; carries the attempt count for the error row."""

    def __init__(self, exc: BaseException, attempts: int) -> None:
        super().__init__(describe_error(exc))
        self.exc = exc
        self.attempts = attempts
