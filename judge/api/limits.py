"""Limits of `judge api`: the request body's size (413), and requests in flight per token (429).

Why a pure ASGI middleware for the size: it refuses a body by its Content-Length before reading
it, and counts the bytes of a chunked one as they arrive, so a client cannot make the service
buffer more than `max_bytes`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies larger than `max_bytes` with 413 (by header, or while reading)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False  # the server refuses a malformed length itself
                if too_big:
                    await _send_413(send, self.max_bytes)
                    return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            # Over the limit: answer 413 at once, and tell the app the client left (it stops reading).
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await _send_413(send, self.max_bytes)
                    return {"type": "http.disconnect"}
            return msg

        async def tracked(msg: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was the response
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if not refused:
                raise


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes ([api] max_body_bytes)"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class InFlight:
    """Requests in flight per token; `enter` is False when the token is at its limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count: dict[str, int] = {}

    def enter(self, token: str) -> bool:
        n = self.count.get(token, 0)
        if n >= self.limit:
            return False
        self.count[token] = n + 1
        return True

    def leave(self, token: str) -> None:
        n = self.count.get(token, 0) - 1
        if n > 0:
            self.count[token] = n
        else:
            self.count.pop(token, None)
