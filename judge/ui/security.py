"""The page's walls, checked on every request by one ASGI middleware (nothing a route can forget).

- Access token: a bind to anything but loopback needs one (`--token` or `JUDGE_UI_TOKEN`); when set,
  every request must carry it (`Authorization: Bearer`, or the cookie that `?token=` sets once).
- Host header: without a token only a loopback name is accepted (a DNS-rebinding page on another
  site cannot reach the loopback server through its own host name).
- CSRF: every POST carries the session's CSRF token (header `X-CSRF-Token`, which htmx sends, or the
  form field `csrf`), compared with the `judge_ui_csrf` cookie (SameSite=Strict) in constant time.
- Headers: a Content-Security-Policy allowing only this origin's scripts (no inline script), so
  even a mistake in escaping would not run a model's `<script>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "judge_ui_csrf"
TOKEN_COOKIE = "judge_ui_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_ENV = "JUDGE_UI_TOKEN"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_FORM_BYTES = 2_000_000
"""A rubric is at most 1 MB (the loader's cap); a form twice that is refused before it is read."""
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def is_loopback(host: str) -> bool:
    """True for a loopback address or `localhost`."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    c: SimpleCookie = SimpleCookie()
    try:
        c.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is treated as no cookies
        return {}
    return {k: m.value for k, m in c.items()}


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


class Guard:
    """ASGI middleware: token, host, CSRF, security headers (see the module doc)."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers)
        extra: list[tuple[bytes, bytes]] = []
        if self.token is None:
            if not is_loopback(_host_name(headers.get("host", ""))):
                await _plain(send, 403, "refused: this page answers only on a loopback host name")
                return
        else:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = _bearer(headers) or cookies.get(TOKEN_COOKIE) or (query.get("token") or [""])[0]
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                await _plain(send, 401, "refused: a valid access token is required (see `judge ui --help`)")
                return
            if TOKEN_COOKIE not in cookies:
                extra.append(_set_cookie(TOKEN_COOKIE, self.token))
        csrf = cookies.get(CSRF_COOKIE, "")
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            receive, given_csrf = await _csrf_from_request(scope, headers, receive)
            if not csrf or not given_csrf or not hmac.compare_digest(csrf.encode(), given_csrf.encode()):
                await _plain(send, 403, "refused: missing or wrong CSRF token (reload the page)")
                return
        if not csrf:
            csrf = new_csrf()
            extra.append(_set_cookie(CSRF_COOKIE, csrf))
        scope.setdefault("state", {})["csrf"] = csrf

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = list(message.get("headers", []))
                h += extra
                h += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = h
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _bearer(headers: dict[str, str]) -> str:
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _set_cookie(name: str, value: str) -> tuple[bytes, bytes]:
    return (b"set-cookie", f"{name}={value}; Path=/; HttpOnly; SameSite=Strict".encode())


async def _csrf_from_request(scope: Scope, headers: dict[str, str], receive: Receive) -> tuple[Receive, str]:
    """The request's CSRF token (header, else the urlencoded form's `csrf` field) and a `receive`
    that replays the body read to find it."""
    if headers.get(CSRF_HEADER):
        return receive, headers[CSRF_HEADER]
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return receive, ""
    body = b""
    more = True
    while more:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        body += msg.get("body", b"")
        more = msg.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return receive, ""
    token = (parse_qs(body.decode("latin-1")).get("csrf") or [""])[0]
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay, token


async def _plain(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-security-policy", CSP.encode())],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})
