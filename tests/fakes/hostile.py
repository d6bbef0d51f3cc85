"""Hostile responses for FakeServer: what a broken proxy, a buggy server or a red team sends back.

Each kind turns the completion the server would have sent (a dict) into what goes on the wire.
Used by ``FaultPlan`` like any fault kind, e.g. ``FaultPlan().always_fail_for("What is 3", "html_200")``.
"""

from __future__ import annotations

import copy
import functools
import json
import zlib
from dataclasses import dataclass
from typing import Any

HOSTILE_KINDS = (
    "empty_200",  # 200 with an empty body
    "html_200",  # 200 with a proxy's HTML error page
    "truncated_body",  # 200 with the JSON body cut in half
    "error_200",  # 200 with {"error": ...} and no choices
    "content_list",  # message.content is a list of parts, not a string
    "reasoning_object",  # message.reasoning is an object
    "lone_surrogate",  # the answer carries a "\ud800" escape (valid JSON, unstorable text)
    "nul_char",  # the answer carries a "\u0000" escape
    "non_utf8",  # the body has bytes that are not UTF-8
    "tokens_huge",  # usage counts of 2**31 and 10**20
    "tokens_negative",  # usage counts below zero
    "tokens_text",  # usage counts as words
    "retry_after_soon",  # 429 with "Retry-After: soon"
    "trickle",  # a good body, one byte every ``FaultPlan.trickle_s`` seconds
    "oversized",  # an answer of ``FaultPlan.oversize_bytes``
    "gzip_bomb",  # a gzip body that expands to ``FaultPlan.bomb_bytes``
    "md_fence",  # the content wrapped in a ```json fence (a judge's habit)
)
_MARK = "\u2063NONUTF8\u2063"


@dataclass
class Wire:
    """One response as sent: status, body, content type, extra header lines, and how to send it."""

    status: int
    body: bytes
    ctype: bytes = b"application/json"
    extra: bytes = b""
    trickle_s: float | None = None


def _dumps(obj: Any, *, ascii_only: bool = False) -> bytes:
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":")).encode("utf-8")


def build(kind: str, completion: dict[str, Any], plan: Any) -> Wire:
    """What ``kind`` sends instead of ``completion`` (a chat.completion dict), under ``plan`` (FaultPlan)."""
    obj = copy.deepcopy(completion)
    msg = obj["choices"][0]["message"]
    text = msg.get("content") or ""
    if kind == "empty_200":
        return Wire(200, b"")
    if kind == "html_200":
        page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502</h1>nginx</body></html>"
        return Wire(200, page, b"text/html")
    if kind == "truncated_body":
        # cut at a character, not inside one: this fault is invalid JSON, not invalid UTF-8
        text_body = _dumps(obj).decode("utf-8")
        return Wire(200, text_body[: len(text_body) // 2].encode("utf-8"))
    if kind == "error_200":
        return Wire(200, _dumps({"error": {"message": "upstream overloaded", "type": "server_error"}}))
    if kind == "content_list":
        msg["content"] = [{"type": "text", "text": text}]
    elif kind == "reasoning_object":
        msg["reasoning"] = {"effort": "high", "summary": [{"type": "summary_text", "text": "thought about it"}]}
    elif kind == "lone_surrogate":
        msg["content"] = _inject(text, "\ud800")
        return Wire(200, _dumps(obj, ascii_only=True))  # the escape is valid JSON; the raw char is not UTF-8
    elif kind == "nul_char":
        msg["content"] = _inject(text, "\x00")
    elif kind == "non_utf8":
        msg["content"] = text + _MARK
        return Wire(200, _dumps(obj).replace(_MARK.encode("utf-8"), b" caf\xe9 \xff\xfe"))
    elif kind in ("tokens_huge", "tokens_negative", "tokens_text"):
        bad = {"tokens_huge": (2**31, 10**20), "tokens_negative": (-7, -1), "tokens_text": ("many", "12 tokens")}[kind]
        obj["usage"] = {"prompt_tokens": bad[0], "completion_tokens": bad[1], "total_tokens": bad[1]}
    elif kind == "retry_after_soon":
        err = {"error": {"message": "rate limited (FakeServer fault)", "type": "rate_limit_error", "code": 429}}
        return Wire(429, _dumps(err), extra=b"retry-after: soon\r\n")
    elif kind == "trickle":
        return Wire(200, _dumps(obj), trickle_s=plan.trickle_s)
    elif kind == "oversized":
        msg["content"] = "x" * plan.oversize_bytes
    elif kind == "gzip_bomb":
        return Wire(200, _bomb(plan.bomb_bytes), extra=b"content-encoding: gzip\r\n")
    elif kind == "md_fence":
        msg["content"] = f"```json\n{text}\n```"
    else:
        raise ValueError(f"not a hostile kind: {kind!r}")
    return Wire(200, _dumps(obj))


def _inject(text: str, char: str) -> str:
    """`char` inside the first string of a JSON answer (a judge's rationale), else after the text."""
    try:
        obj = json.loads(text)
    except ValueError:
        return f"{text} {char} end"
    done = False

    def walk(v: Any) -> Any:
        nonlocal done
        if isinstance(v, str) and not done:
            done = True
            return f"{v} {char} end"
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return json.dumps(walk(obj), ensure_ascii=False)  # a surrogate stays a raw char; NUL becomes \u0000


@functools.cache
def _bomb(size: int) -> bytes:
    """A gzip'd chat completion whose answer is `size` bytes of 'a' (about 1000:1), built once."""
    head = b'{"id":"bomb","object":"chat.completion","created":0,"model":"fake-model","choices":[{"index":0,'
    head += b'"message":{"role":"assistant","content":"'
    tail = b'"},"finish_reason":"stop"}]}'
    z = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [z.compress(head)]
    block = b"a" * 2**20
    for _ in range(size // len(block)):
        parts.append(z.compress(block))
    parts += [z.compress(b"a" * (size % len(block)) + tail), z.flush()]
    return b"".join(parts)
