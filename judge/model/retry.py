"""The one retry policy: which failures are tried again, how long to wait (Retry-After honoured).

Why one place: stacked retry loops (SDK, instructor, ours) hide failures and multiply attempts, so
the SDK is built with max_retries=0 and every tenacity object comes from `retry_policy()`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass

import httpx
import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)
from tenacity.wait import wait_base

try:  # openai >= 3 sends through httpx2; its own client class skips the legacy-httpx compatibility path
    import httpx2

    TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (httpx.TransportError, httpx2.TransportError)
    HTTP_ERRORS: tuple[type[BaseException], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # openai 2.x: httpx only
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


def is_retryable(exc: BaseException) -> bool:
    """The single answer to "should this call be tried again?"."""
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS or exc.status_code >= 500
    return isinstance(exc, (*TRANSPORT_ERRORS, asyncio.TimeoutError, EmptyResponseError))


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
        except Exception:
            pass
        return f"HTTP {exc.status_code}: {body or exc.message}"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        return f"connection error: {type(cause).__name__ if cause else ''} {cause or ''}".strip()
    return f"{type(exc).__name__}: {exc}"[:500]


class EmptyResponseError(Exception):
    """A 200 response without choices (seen from overloaded proxies); retried like a 5xx."""
