"""OpenAI-compatible async client: replicas, per-endpoint concurrency, the one retry policy, guards.

One retry loop per call: the SDK is built with max_retries=0; the policy lives in retry.py, as a
plain loop here (`chat`) and as a tenacity object from `retry_policy()` where a library needs one
(the judge hands a fresh one to instructor per call). Each
attempt passes its replica's circuit breaker, runs under a total deadline (`ModelConfig.timeout`:
connect, headers and the whole body), reads at most `Guards.max_response_bytes`, and is validated
into a `Completion` (completion.py) before anything else sees it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from openai import AsyncOpenAI

from judge.config import ModelConfig

from .breaker import Breaker
from .completion import Completion, parse_completion
from .retry import (
    HTTP_ERRORS,
    BadResponse,
    CircuitOpen,
    DeadlineExceeded,
    backoff_seconds,
    describe_error,
    is_retryable,
)
from .transport import MAX_RESPONSE_BYTES, http_client

# What a call may raise once its retries are spent: recorded as an error row, never a crash.
# (CircuitOpen is not among them: work that meets an open breaker is left pending.)
CALL_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, openai.OpenAIError, *HTTP_ERRORS)
# Failures that say the server is not there (the breaker counts them): no connection, no answer in
# time (APITimeoutError is an APIConnectionError), or a gateway saying the server behind it is gone.
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (openai.APIConnectionError, *HTTP_ERRORS)
UNREACHABLE_STATUS = frozenset({502, 504})


@dataclass
class Guards:
    """What one endpoint may cost: response size, and when to stop calling a dead one."""

    max_response_bytes: int = MAX_RESPONSE_BYTES
    breaker_threshold: int = 5
    """Consecutive unreachable failures that open a replica's breaker (at least its concurrency,
    so one wave of timed-out long generations on a busy server does not open it)."""
    breaker_cooldown: float = 30.0
    """Seconds an open breaker refuses calls before one probe may go through."""


GUARDS = Guards()


T = TypeVar("T")


class Replica:
    """One base_url: its client, concurrency limit and circuit breaker."""

    def __init__(self, url: str, client: AsyncOpenAI, limit: int, breaker: Breaker) -> None:
        self.url, self.client, self.breaker = url, client, breaker
        self.sem = asyncio.Semaphore(limit)
        self.busy = 0

    async def send(self, request: dict[str, Any], deadline: float) -> Completion:
        """One attempt: the request under a total deadline, the body validated (no retry here)."""
        raw, latency = await self.guarded(
            lambda: self.client.chat.completions.with_raw_response.create(**request), deadline
        )
        resp = raw.http_response
        return parse_completion(resp.content, resp.headers.get("content-type"), latency)

    async def guarded(self, call: Callable[[], Awaitable[T]], deadline: float) -> tuple[T, float]:
        """One call of any endpoint of this replica under a total deadline, its outcome told to the
        breaker: (the SDK's raw response, latency in ms). Chat (`send`) and prompt log-probabilities
        (judge.fidelity) share it."""
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(deadline):
                raw = await call()
        except TimeoutError as e:
            self.breaker.failure("deadline exceeded")
            raise DeadlineExceeded(
                f"timeout: no complete response within the {deadline:g} s deadline (connect, headers and body)"
            ) from e
        except UNREACHABLE_ERRORS as e:
            self.breaker.failure(describe_error(e))
            raise
        except openai.APIStatusError as e:
            if e.status_code in UNREACHABLE_STATUS:
                self.breaker.failure(f"HTTP {e.status_code}")
            else:
                self.breaker.success()
            raise
        except BadResponse:
            self.breaker.success()  # it answered, badly: the server is there
            raise
        self.breaker.success()
        return raw, (time.perf_counter() - t0) * 1000


class Endpoint:
    """A model's replicas, each with its own client, concurrency limit and breaker; least-busy first."""

    def __init__(self, cfg: ModelConfig, *, concurrency: int | None = None, guards: Guards | None = None) -> None:
        self.cfg = cfg
        self.limit = concurrency or cfg.concurrency
        g = guards or GUARDS
        key = cfg.api_key()
        self.replicas = [
            Replica(
                url,
                AsyncOpenAI(
                    base_url=url,
                    api_key=key,
                    max_retries=0,
                    timeout=cfg.timeout,
                    http_client=http_client(cfg.timeout, self.limit + 4, g.max_response_bytes),
                ),
                self.limit,
                Breaker(max(g.breaker_threshold, self.limit), g.breaker_cooldown),
            )
            for url in cfg.urls
        ]

    @property
    def clients(self) -> list[AsyncOpenAI]:
        return [r.client for r in self.replicas]

    def _pick(self) -> tuple[Replica, bool]:
        """The least busy replica with a closed breaker, else one whose cool-down allows a probe."""
        closed = [r for r in self.replicas if not r.breaker.is_open]
        if closed:
            return min(closed, key=lambda r: r.busy), False
        for r in self.replicas:
            if r.breaker.allow():
                return r, True
        raise CircuitOpen(self.unreachable())

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Replica]:
        """A replica to call, within its concurrency limit; CircuitOpen when none may be called."""
        while True:
            rep, probe = self._pick()
            rep.busy += 1
            try:
                async with rep.sem:
                    # Its breaker may have opened while we waited: choose again (another replica,
                    # a probe, or CircuitOpen) rather than call a server known to be down.
                    if probe or not rep.breaker.is_open:
                        yield rep
                        return
            finally:
                rep.busy -= 1
                if probe:
                    rep.breaker.release()

    async def attempt(self, request: dict[str, Any]) -> Completion:
        """One attempt on one replica, guarded; raises what failed (the caller's policy retries)."""
        async with self.slot() as rep:
            return await rep.send(request, self.cfg.timeout)

    def unreachable(self) -> str:
        """Why no replica may be called now (for the run's summary)."""
        parts = [f"{r.url}: {r.breaker.describe()}" for r in self.replicas if r.breaker.is_open]
        return f"endpoint {self.cfg.name!r} unreachable ({'; '.join(parts)})"

    async def aclose(self) -> None:
        for r in self.replicas:
            await r.client.close()


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
    """One chat completion under the retry policy.

    Raises CallFailed when the attempts run out (an error row), CircuitOpen when the endpoint is
    known to be down (the work stays pending).
    """
    # The policy of `retry_policy()` (what is retried, the wait, the attempt cap) as a plain loop:
    # a tenacity object per call cost ~70 Python calls and a reference cycle per request (retry.py).
    attempts, max_attempts = 0, endpoint.cfg.max_attempts
    while True:
        attempts += 1
        try:
            comp = await endpoint.attempt(request)
        except CALL_ERRORS as e:
            if attempts >= max_attempts or not is_retryable(e):
                raise CallFailed(e, attempts) from e
            await asyncio.sleep(backoff_seconds(e, attempts))
            continue
        comp.attempts = attempts
        return comp


class CallFailed(Exception):
    """A call that failed after its retries; carries the attempt count for the error row."""

    def __init__(self, exc: BaseException, attempts: int) -> None:
        super().__init__(describe_error(exc))
        self.exc = exc
        self.attempts = attempts
