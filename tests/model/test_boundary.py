"""The boundary in isolation: bodies into `Completion` or `BadResponse`, Retry-After, the breaker, the cap."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from judge.model import (
    BadResponse,
    Breaker,
    parse_completion,
    retry_after_seconds,
    storable,
    token_count,
    unfence,
)
from judge.model.storable import INT32_MAX
from judge.model.transport import _guarded_transport


def _body(message: Any = None, usage: Any = "default", **choice: Any) -> bytes:
    msg = {"role": "assistant", "content": "Answer: 4"} if message is None else message
    obj: dict[str, Any] = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": msg, "finish_reason": "stop", **choice}],
    }
    if usage == "default":
        usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    if usage is not None:
        obj["usage"] = usage
    return json.dumps(obj).encode()


def _bad(body: bytes, ctype: str = "application/json") -> BadResponse:
    with pytest.raises(BadResponse) as e:
        parse_completion(body, ctype, 1.0)
    return e.value


@pytest.mark.parametrize(
    ("body", "ctype", "retryable", "said"),
    [
        (b"", "application/json", True, "empty body"),
        (b"  \n", "application/json", True, "empty body"),
        (b"<html><title>Bad Gateway</title></html>", "text/html", True, "HTML page instead of JSON (Bad Gateway)"),
        (b"<!doctype html><p>oops", "application/json", True, "HTML page"),
        (b'{"choices": [{"message": {"content": "cut', "application/json", True, "invalid JSON"),
        (b'{"error": {"message": "overloaded"}}', "application/json", True, "error object with status 200"),
        (b'{"choices": []}', "application/json", True, "no choices"),
        (b'{"object": "chat.completion"}', "application/json", True, "no choices"),
        (b"[1, 2]", "application/json", False, "the body is a list"),
        (b'{"choices": ["hi"]}', "application/json", False, "choices[0].message is null"),
        (b'{"choices": [{"message": "hi"}]}', "application/json", False, "message is a string, not an object"),
        (_body({"content": [{"type": "text", "text": "hi"}]}), "application/json", False, "content is a list"),
        (_body({"content": 42}), "application/json", False, "content is a number"),
        (_body({"content": {"text": "hi"}}), "application/json", False, "content is an object"),
        (b'{"choices": [{"message": {"content": "caf\xe9"}}]}', "application/json", False, "not UTF-8 (byte 0xe9"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", False, "unreadable response (RecursionError"),
    ],
)
def test_malformed_bodies_are_bad_responses(body: bytes, ctype: str, retryable: bool, said: str) -> None:
    e = _bad(body, ctype)
    assert e.retryable is retryable and said in str(e), str(e)


def test_a_good_body_and_a_bom() -> None:
    c = parse_completion(b"\xef\xbb\xbf" + _body(), "application/json; charset=utf-8", 12.5)
    assert (c.answer, c.finish_reason, c.prompt_tokens, c.completion_tokens, c.response_model) == (
        "Answer: 4",
        "stop",
        3,
        2,
        "m",
    )
    assert c.notes == [] and c.latency_ms == 12.5 and c.to_openai().choices[0].message.content == "Answer: 4"


def test_unstorable_text_is_repaired_and_noted() -> None:
    msg = {"content": "a\ud800b\x00c", "reasoning": "think \udfff"}
    body = json.dumps({"model": "m\ud801", "choices": [{"message": msg, "finish_reason": "stop"}]}).encode()
    c = parse_completion(body, "application/json", 1)
    assert (c.answer, c.reasoning, c.response_model) == ("a\ufffdbc", "think \ufffd", "m\ufffd")
    assert any("choices[0].message.content" in n for n in c.notes)
    assert any("choices[0].message.reasoning" in n for n in c.notes)
    assert c.reasoning_tokens_estimated and c.reasoning_tokens


@pytest.mark.parametrize(
    ("value", "stored"),
    [(12, 12), (12.0, 12), (0, 0), (INT32_MAX, INT32_MAX), (INT32_MAX + 1, None), (10**20, None)]
    + [(-1, None), (1.5, None), ("12", None), ("many", None), (True, None), (float("nan"), None)],
)
def test_token_counts_out_of_range_are_null_with_a_note(value: Any, stored: int | None) -> None:
    assert token_count(value) == stored
    usage = {"prompt_tokens": value, "completion_tokens": 1, "completion_tokens_details": {"reasoning_tokens": value}}
    c = parse_completion(_body(usage=usage), "application/json", 1)
    assert c.prompt_tokens == stored and c.completion_tokens == 1
    assert c.data["usage"]["prompt_tokens"] == stored  # what the judge's instructor sees too
    assert bool(c.notes) is (stored is None), c.notes


def test_only_token_counts_are_judged_in_usage() -> None:
    usage = {"prompt_tokens": {"cached": 1}, "completion_tokens": [2], "cost": 0.0012, "total_tokens": None}
    c = parse_completion(_body(usage=usage), "application/json", 1)
    assert (c.prompt_tokens, c.completion_tokens) == (None, None) and len(c.notes) == 2, c.notes
    assert c.data["usage"]["cost"] == 0.0012


def test_odd_shapes_that_cost_only_a_note() -> None:
    msg = {"content": "ok", "reasoning": {"summary": ["x"]}, "reasoning_content": ["y"]}
    c = parse_completion(_body(msg, usage=[1, 2], finish_reason=7), "application/json", 1)
    assert c.answer == "ok" and c.reasoning == '{"summary": ["x"]}' and c.finish_reason is None
    assert c.prompt_tokens is None
    assert len(c.notes) == 4, c.notes
    bad_lp = {"content": [{"token": "4", "logprob": "high"}]}
    c = parse_completion(_body(logprobs=bad_lp), "application/json", 1)
    assert c.data["choices"][0]["logprobs"] is None and c.notes == ["logprobs malformed: dropped"]
    good_lp = {"content": [{"token": "4", "logprob": -0.1, "top_logprobs": [{"token": "4", "logprob": -0.1}]}]}
    c = parse_completion(_body(logprobs=good_lp), "application/json", 1)
    assert c.data["choices"][0]["logprobs"] == good_lp and c.notes == []


def test_a_thousand_repairs_make_a_few_notes() -> None:
    msg = {"content": "x", "tool_calls": [{"function": {"arguments": "\ud800"}}] * 1000}
    c = parse_completion(_body(msg), "application/json", 1)
    assert 1 < len(c.notes) <= 7


def test_storable() -> None:
    assert storable("plain") == "plain"
    assert storable("a\x00b\ud800c\udfff") == "ab\ufffdc\ufffd"


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ('  ```JSON\r\n{"a": 1}\r\n```\n', '{"a": 1}'),
        ('```\n{"a": 1}\n```', '{"a": 1}'),
        ('{"a": 1}', None),
        ('Here it is: ```json\n{"a": 1}\n```', None),
        ('```json\n{"a": 1}\n```\n```json\n{"b": 2}\n```', None),
    ],
)
def test_unfence(text: str, inner: str | None) -> None:
    assert unfence(text) == inner


class _Resp:
    def __init__(self, **headers: str) -> None:
        self.headers = headers


class _Exc(Exception):
    def __init__(self, **headers: str) -> None:
        self.response = _Resp(**headers)


def test_retry_after_that_is_not_a_number_or_a_date_is_ignored() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=30)
    assert retry_after_seconds(_Exc(**{"retry-after": "2.5"})) == 2.5
    assert retry_after_seconds(_Exc(**{"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert 25 < (retry_after_seconds(_Exc(**{"retry-after": format_datetime(soon, usegmt=True)})) or 0) <= 30
    assert retry_after_seconds(_Exc(**{"retry-after": "Thu, 01 Jan 1970 00:00:00 -0000"})) == 0.0
    assert retry_after_seconds(_Exc(**{"retry-after": "-5"})) == 0.0
    for junk in ("soon", "", "nan", "inf", "1e999", "Mon, 99 Foo 2024", "\ud800"):
        assert retry_after_seconds(_Exc(**{"retry-after": junk, "retry-after-ms": junk})) is None, junk
    assert retry_after_seconds(ValueError()) is None


def test_breaker_opens_after_n_failures_and_half_opens_after_the_cooldown() -> None:
    b = Breaker(threshold=3, cooldown=0.05)
    for _ in range(2):
        b.failure("refused")
        assert b.allow()
    b.success()  # an answer resets the count: failures must be consecutive
    for _ in range(3):
        b.failure("refused")
    assert b.is_open and not b.allow() and "3 failures in a row (last: refused)" in b.describe()
    time.sleep(0.06)
    assert b.allow() and not b.allow()  # one probe at a time
    b.failure("still refused")  # the probe failed: open again, a new cool-down
    assert not b.allow()
    time.sleep(0.06)
    assert b.allow()
    b.release()  # a probe cancelled before it told anything: the next caller may probe
    assert b.allow()
    b.success()
    assert not b.is_open and b.allow() and b.allow()


HTTP_MODULES = [httpx, *([pytest.importorskip("httpx2")] if importlib.util.find_spec("httpx2") else [])]


@pytest.mark.parametrize("hx", HTTP_MODULES, ids=lambda m: m.__name__)
@pytest.mark.parametrize("headers", [{}, {"content-length": "100"}])
def test_a_body_over_the_cap_is_not_read_further(headers: dict[str, str], hx: Any) -> None:
    """A streamed body (no Content-Length) is cut at the cap; a declared one is refused unread."""
    sent = []

    async def chunks() -> Any:
        for _ in range(50):
            sent.append(1)
            yield b"x" * 10

    def handler(request: Any) -> Any:
        assert request.headers["accept-encoding"] == "identity"
        return hx.Response(200, headers=headers, content=chunks())

    async def fetch() -> None:
        transport = _guarded_transport(hx)(hx.MockTransport(handler), 64)
        async with hx.AsyncClient(transport=transport) as c:
            await c.get("http://test/")

    with pytest.raises(BadResponse, match="larger than 64 bytes") as e:
        asyncio.run(fetch())
    assert not e.value.retryable
    assert len(sent) <= (7 if not headers else 0)


@pytest.mark.parametrize("hx", HTTP_MODULES, ids=lambda m: m.__name__)
def test_a_compressed_body_is_refused_unread(hx: Any) -> None:
    def handler(request: Any) -> Any:
        return hx.Response(200, headers={"content-encoding": "gzip"}, content=b"\x1f\x8b")

    async def fetch() -> None:
        transport = _guarded_transport(hx)(hx.MockTransport(handler), 64)
        async with hx.AsyncClient(transport=transport) as c:
            await c.get("http://test/")

    with pytest.raises(BadResponse, match=r"compressed body \(content-encoding: gzip\)"):
        asyncio.run(fetch())
