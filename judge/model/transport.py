"""The HTTP client under each replica's AsyncOpenAI, with a cap on what a response may make us hold.

Why a transport: the SDK reads a whole body (error bodies too) before it hands anything back, so a
size cap must sit below it. The transport asks for `Accept-Encoding: identity` and refuses an
answer compressed anyway (a 300 KB gzip bomb expands to 300 MB), refuses a Content-Length above
the cap before reading, and stops reading a body once it passes the cap. Time is bounded one
level up, by the deadline around each attempt (client.py): a per-read timeout never fires on a
server that trickles one byte a second.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import openai

from .retry import BadResponse

MAX_RESPONSE_BYTES = 32 * 2**20
"""Default cap on a response body: far above any answer (a 32k-token answer is about 150 KB)."""


def http_client(timeout: float, max_connections: int, max_bytes: int) -> Any:
    """The HTTP client for one replica.

    Under openai >= 3 this is the SDK's own httpx2 client: handing it a legacy `httpx.AsyncClient`
    costs about 1 ms more CPU per call (measured in bench/harness_overhead.py), which caps a fast
    server's throughput. Redirects are not followed, as with the plain httpx client before.
    """
    factory = getattr(openai, "DefaultAsyncHttpx2Client", None)
    hx: Any
    if factory is not None:
        import httpx2

        hx = httpx2
    else:  # openai 2.x (legacy httpx is imported only here: see retry.py)
        import httpx

        hx = httpx
    limits = hx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    transport = _guarded_transport(hx)(hx.AsyncHTTPTransport(limits=limits), max_bytes)
    if factory is None:
        return hx.AsyncClient(timeout=timeout, transport=transport)
    return factory(timeout=timeout, transport=transport, follow_redirects=False)


@functools.cache
def _guarded_transport(hx: Any) -> Any:
    """The transport class for an httpx-like module (httpx2 under openai >= 3, httpx under 2.x):
    the client checks that streams and transports derive from its own module's base classes."""

    class CappedStream(hx.AsyncByteStream):
        def __init__(self, inner: Any, cap: int) -> None:
            self.inner, self.cap = inner, cap

        async def __aiter__(self) -> AsyncIterator[bytes]:
            seen = 0
            async for chunk in self.inner:
                seen += len(chunk)
                if seen > self.cap:
                    raise BadResponse(f"response body larger than {_mib(self.cap)}: not read further", retryable=False)
                yield chunk

        async def aclose(self) -> None:
            await self.inner.aclose()

    class GuardedTransport(hx.AsyncBaseTransport):
        def __init__(self, inner: Any, cap: int) -> None:
            self.inner, self.cap = inner, cap

        async def handle_async_request(self, request: Any) -> Any:
            request.headers["Accept-Encoding"] = "identity"
            resp = await self.inner.handle_async_request(request)
            encoding = resp.headers.get("content-encoding", "").strip().lower()
            length = resp.headers.get("content-length", "").strip()
            problem = None
            if encoding not in ("", "identity"):
                problem = f"compressed body (content-encoding: {encoding[:40]}) although identity was asked: refused"
            elif length.isdigit() and int(length) > self.cap:
                problem = f"response body of {_mib(int(length))} is larger than {_mib(self.cap)}: refused"
            if problem:
                await resp.aclose()
                raise BadResponse(problem, retryable=False)
            # The body's stream is swapped in place, as the client itself does next (its
            # BoundAsyncStream): a new Response would parse the headers again for every call.
            resp.stream = CappedStream(resp.stream, self.cap)
            return resp

        async def aclose(self) -> None:
            await self.inner.aclose()

    return GuardedTransport


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n} bytes"
