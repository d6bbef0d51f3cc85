"""The one retry policy: which failures are tried again, how long to wait (Retry-After honoured).

Why one place: stacked retry loops (SDK, instructor, ours) hide failures and multiply attempts, so
the SDK is built with max_retries=0 and every tenacity object comes from `retry_policy()`.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC

import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)
from tenacity.wait import wait_base

# openai >= 3 sends through httpx2 (every client here is its own httpx2 client, transport.py), so
# legacy httpx is not imported there: it would cost each command's start-up some 30 ms (its CLI
# module loads rich and pygments) for errors that cannot occur. openai 2.x sends through httpx.
if getattr(openai, "DefaultAsyncHttpx2Client", None) is not None:
    import httpx2

    TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (httpx2.TransportError,)
    HTTP_ERRORS: tuple[type[BaseException], ...] = (httpx2.HTTPError,)
else:
    import httpx

    TRANSPORT_ERRORS, HTTP_ERRORS = (httpx.TransportError,), (httpx.HTTPError,)

# Statuses worth another attempt: throttling, server faults, gateway hiccups.
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass
class Backoff:
    """Exponential backoff with full jitter; tests set `initial=0` for instant retries."""

    initial: float = 0.5
    maximum: float = 30.0
    retry_after_cap: float = 60.0


BACKOFF = Backoff()


class BadResponse(openai.OpenAIError):
    """A response we cannot use as it came: malformed, oversized, compressed against our request.

    An `openai.OpenAIError`, so the SDK passes it through unwrapped when the transport raises it
    under a request (anything else it would report as a connection error). `retryable` says whether
    another attempt can help: an empty or truncated body can; content of the wrong type cannot.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class DeadlineExceeded(TimeoutError):
    """No complete response within the request's deadline (connect, headers and the whole body)."""


class CircuitOpen(Exception):
    """The endpoint failed too often in a row: no call is made until its cool-down has passed.

    Work that meets it is left pending (not stored), so the next run picks it up.
    """


def is_retryable(exc: BaseException) -> bool:
    """The single answer to "should this call be tried again?"."""
    if isinstance(exc, BadResponse):
        return exc.retryable
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS or exc.status_code >= 500
    return isinstance(exc, (*TRANSPORT_ERRORS, asyncio.TimeoutError))


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if the server sent a usable one.

    A value that is neither a number nor an HTTP date (`Retry-After: soon`) is ignored, and the
    backoff applies: a header is advice, never a reason to fail the call.
    """
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None)
    if headers is None:
        return None
    ms = _number(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000
    ra = headers.get("retry-after")
    if not ra:
        return None
    seconds = _number(ra)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def _number(text: str | None) -> float | None:
    """A finite, non-negative number of seconds from a header value, or None."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return max(0.0, value) if math.isfinite(value) else None


class wait_retry_after(wait_base):
    """Honour Retry-After when present; otherwise exponential backoff with full jitter."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return backoff_seconds(exc, retry_state.attempt_number, self.backoff)


def backoff_seconds(exc: BaseException | None, attempt_number: int, backoff: Backoff | None = None) -> float:
    """Seconds to wait after failed attempt `attempt_number` (1-based): the server's Retry-After
    when it sent a usable one (capped), else exponential backoff with full jitter. `backoff`:
    the module's `BACKOFF` as it is at call time (tests replace it)."""
    backoff = backoff or BACKOFF
    ra = retry_after_seconds(exc)
    if ra is not None:
        return min(ra, backoff.retry_after_cap)
    if backoff.initial <= 0:
        return 0.0
    cap = min(backoff.maximum, backoff.initial * 2 ** (attempt_number - 1))
    return random.uniform(0, cap)


def retry_policy(max_attempts: int, *, also: tuple[type[BaseException], ...] = ()) -> AsyncRetrying:
    """A fresh tenacity policy for one call (a shared object miscounts attempts across tasks).

    For callers that need tenacity's interface (the judge hands it to instructor). A plain chat
    call loops in `client.chat` over the same pieces (`is_retryable`, `backoff_seconds`, the attempt
    cap), because a tenacity object per call costs some 70 Python calls and a reference cycle that,
    with 64 calls in flight, outlives the young GC generations (bench/harness_overhead.py).
    """

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
    if isinstance(exc, BadResponse):
        return f"bad response: {exc}"[:500]
    if isinstance(exc, (DeadlineExceeded, CircuitOpen)):
        return str(exc)[:500]
    if isinstance(exc, openai.APIStatusError):
        body = ""
        try:
            body = exc.response.text[:300]
        except Exception:
            pass
        return f"HTTP {exc.status_code}: {body or exc.message}"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        return f"connection error: {type(cause).__name__ if cause else ''} {cause or ''}".strip()
    return f"{type(exc).__name__}: {exc}"[:500]
