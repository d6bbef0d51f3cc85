"""A fast fake OpenAI-compatible chat-completions server with fault injection, for tests and benchmarks.

Plain asyncio (a Protocol on ``loop.create_server``; HTTP/1.1 keep-alive with Content-Length bodies),
no web framework, so it is cheap per request and can drop connections exactly.

    with FakeServer(faults=FaultPlan(rates={"500": 0.1, "drop": 0.05}), seed=1) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
        ...
        srv.counts     # Counter by outcome: "ok", "500", "429", "drop", "timeout", "slow", ...
        srv.requests   # every chat request body (+ "headers", "_outcome", "_attempt", "_key")

Command line (benchmarks, manual runs; prints the base URL, serves until killed):

    python -m tests.fakes.server --port 0 --faults 0.2 --latency-ms 0

Endpoints: ``GET /v1/models`` and ``POST /v1/chat/completions`` (non-streaming; ``stream=true`` gets a
400). Faults are decided per request *attempt* (a retry of the same prompt can succeed), from a seeded
RNG; ``FaultPlan.fail_first_n`` and ``FaultPlan.always_fail_for`` give deterministic per-prompt faults.
The ``reply`` callable runs on the server's event-loop thread: keep it quick and non-blocking.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import itertools
import json
import math
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.fakes import hostile
from tests.fakes.hostile import HOSTILE_KINDS

__all__ = [
    "FAULT_KINDS",
    "FakeServer",
    "FaultPlan",
    "Reply",
    "default_reply",
    "echo_reply",
    "echo_text",
    "find_schema",
    "invalid_json_reply",
    "json_reply_for_schema",
    "logprobs_for_json",
    "main",
    "prompt_key",
    "schema_reply",
    "tokenize",
    "truncated_json_reply",
]

FAULT_KINDS = ("500", "429", "drop", "timeout", "slow", "invalid_json", "truncated_json", *HOSTILE_KINDS)
"""Named fault kinds (the hostile ones: see tests/fakes/hostile.py). Any other 3-digit 4xx/5xx status
code ("503", "400", ...) is also accepted."""

ReasoningShape = Literal["reasoning", "reasoning_content", "think_inline"]
TokenLogprob = tuple[str, float, list[tuple[str, float]]]

# ----------------------------------------------------------------------------------------------
# Replies
# ----------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What the fake model answers. ``None`` token counts default to word counts."""

    content: str | None = ""
    reasoning: str | None = None
    reasoning_shape: ReasoningShape = "reasoning_content"
    """"reasoning" (vLLM >= 0.10), "reasoning_content" (llama.cpp, older vLLM), or "think_inline"
    (``<think>…</think>`` before the content, as a server without a reasoning parser returns it)."""
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    """None → ``usage.completion_tokens_details`` is omitted."""
    logprobs: list[TokenLogprob] | None = None
    """[(token, logprob, [(top_token, top_logprob), ...]), ...] → ``choices[0].logprobs.content``."""
    delay_s: float = 0.0
    tool_call: tuple[str, str] | None = None
    """(function name, JSON arguments) → ``message.tool_calls[0]`` (instructor TOOLS mode)."""

    def __post_init__(self) -> None:
        if self.reasoning_shape not in ("reasoning", "reasoning_content", "think_inline"):
            raise ValueError(
                f"reasoning_shape must be reasoning|reasoning_content|think_inline, not {self.reasoning_shape!r}"
            )


ReplyFn = Callable[[dict], "Reply | dict | str"]


def _text_of(content: Any) -> str:
    """The text of a message content (a string or a list of content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return str(content)


def _last_user_text(req: Mapping) -> str:
    for m in reversed(req.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            return _text_of(m.get("content"))
    return ""


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0


def _prompt_words(req: Mapping) -> int:
    return sum(_words(_text_of(m.get("content"))) for m in req.get("messages") or [] if isinstance(m, dict))


def prompt_key(messages: Any) -> str:
    """Stable hash of a request's ``messages`` — the identity of a "prompt" for per-prompt faults."""
    raw = json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def echo_text(prompt: str) -> str:
    """The content ``echo_reply`` returns for a last user message ``prompt``."""
    return f"Answer: {len(prompt)} #{hashlib.sha1(prompt.encode('utf-8')).hexdigest()[:8]}"


def echo_reply(req: dict) -> Reply:
    """Deterministic content from the last user message: ``Answer: <len> #<sha1[:8]>``
    (``{"answer": ...}`` when ``response_format`` is ``json_object``)."""
    text = echo_text(_last_user_text(req))
    rf = req.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_object":
        text = json.dumps({"answer": text})
    return Reply(content=text)


def find_schema(req: Mapping | None) -> tuple[dict, str, str | None] | None:
    """Find the JSON schema a request asks for: ``(schema, where, name)`` or None.

    where: "response_format" (``response_format.json_schema.schema``; instructor JSON_SCHEMA mode),
    "guided" (vLLM ``guided_json`` / ``structured_outputs.json``), "tool" (``tools[].function.parameters``,
    the one named by ``tool_choice`` if any; instructor TOOLS mode) or "text" (a schema printed after
    ``json_schema:`` in a message; instructor JSON / MD_JSON modes).
    """
    if not req:
        return None
    rf = req.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema":
        js = rf.get("json_schema") or {}
        if isinstance(js.get("schema"), dict):
            return js["schema"], "response_format", js.get("name")
    g = req.get("guided_json")
    if isinstance(g, str):
        try:
            g = json.loads(g)
        except ValueError:
            g = None
    if isinstance(g, dict):
        return g, "guided", None
    so = req.get("structured_outputs")
    if isinstance(so, dict) and isinstance(so.get("json"), dict):
        return so["json"], "guided", None
    tools = req.get("tools")
    if isinstance(tools, list) and tools:
        choice = req.get("tool_choice")
        want = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        for t in tools:
            fn = t.get("function") if isinstance(t, dict) else None
            if isinstance(fn, dict) and (want is None or fn.get("name") == want):
                return fn.get("parameters") or {"type": "object", "properties": {}}, "tool", fn.get("name")
    dec = json.JSONDecoder()
    for m in req.get("messages") or []:
        text = _text_of(m.get("content")) if isinstance(m, dict) else ""
        i = text.find("json_schema:")
        if i < 0:
            continue
        j = text.find("{", i)
        if j < 0:
            continue
        try:
            schema, _ = dec.raw_decode(text, j)
        except ValueError:
            continue
        if isinstance(schema, dict):
            return schema, "text", None
    return None


# --- a JSON instance for a JSON schema ---------------------------------------------------------

_DEFAULT_RATIONALE = "Ответ верный и полный; the reasoning is sound."
_MAX_DEPTH = 6


def _is_score_name(name: str | None) -> bool:
    return bool(name) and (name == "score" or name.endswith("_score"))


def _resolve(node: Any, root: Mapping) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 64:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ValueError(f"unsupported $ref {ref!r} (only local #/... refs)")
        target: Any = root
        for part in ref[1:].split("/"):
            if part:
                target = target[part.replace("~1", "/").replace("~0", "~")]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **rest} if rest and isinstance(target, dict) else target
        seen += 1
    return node


def _fit_given(value: Any, s: Mapping) -> Any:
    """A value the caller asked for: used as is (even out of range), matched to enums of strings."""
    enum = s.get("enum")
    if enum and value not in enum and str(value) in enum:
        return str(value)
    return value


class _Instance:
    def __init__(self, root: Mapping, given: Mapping[str, Any], score: Any, rationale: str | None, winner: Any):
        self.root, self.given, self.score, self.rationale, self.winner = root, given, score, rationale, winner

    def given_for(self, name: str | None) -> tuple[bool, Any]:
        if name is None:
            return False, None
        if name in self.given:
            return True, self.given[name]
        if name == "winner" and self.winner is not None:
            return True, self.winner
        if name == "rationale" and self.rationale is not None:
            return True, self.rationale
        if _is_score_name(name) and self.score is not None:
            if isinstance(self.score, Mapping):
                if name in self.score:
                    return True, self.score[name]
            else:
                return True, self.score
        return False, None

    def gen(self, s: Any, name: str | None, depth: int) -> Any:
        if depth > 4 * _MAX_DEPTH:
            raise ValueError("schema recursion has no finite instance (a required, non-nullable cycle)")
        s = _resolve(s, self.root)
        if s is True or s is None or s == {}:
            s = {"type": "string"}
        if s is False:
            raise ValueError(f"schema for {name!r} is false: no valid value")
        ok, value = self.given_for(name)
        if ok:
            return _fit_given(value, s)
        if "const" in s:
            return s["const"]
        if s.get("enum"):
            return s["enum"][0]
        for key in ("anyOf", "oneOf"):
            if isinstance(s.get(key), list) and s[key]:
                opts = [_resolve(o, self.root) for o in s[key]]
                nulls = [o for o in opts if isinstance(o, dict) and o.get("type") == "null"]
                non_null = [o for o in opts if o not in nulls]
                deep = depth >= _MAX_DEPTH and nulls  # stop recursive schemas at a null branch
                return self.gen(nulls[0] if deep or not non_null else non_null[0], name, depth)
        if isinstance(s.get("allOf"), list) and s["allOf"]:
            merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
            for part in s["allOf"]:
                part = _resolve(part, self.root)
                for k, v in part.items():
                    if k == "properties":
                        merged["properties"] = {**merged.get("properties", {}), **v}
                    elif k == "required":
                        merged["required"] = [*merged.get("required", []), *v]
                    else:
                        merged.setdefault(k, v)
            return self.gen(merged, name, depth)
        if "default" in s:
            return s["default"]
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t is None:
            t = "object" if "properties" in s else "array" if "items" in s or "prefixItems" in s else "string"
        if t == "object":
            props = s.get("properties") or {}
            required = set(s.get("required") or [])
            return {k: self.gen(v, k, depth + 1) for k, v in props.items() if depth < _MAX_DEPTH or k in required}
        if t == "array":
            n = max(int(s.get("minItems", 0)), 1)
            if s.get("maxItems") is not None:
                n = min(n, int(s["maxItems"]))
            prefix = s.get("prefixItems") or []
            if depth >= _MAX_DEPTH:
                n = int(s.get("minItems", 0))
            item = s.get("items") if isinstance(s.get("items"), dict) else {}
            return [self.gen(prefix[i] if i < len(prefix) else item, name, depth + 1) for i in range(n)]
        if t == "integer":
            return _int_in(s)
        if t == "number":
            return _num_in(s)
        if t == "boolean":
            return True
        if t == "null":
            return None
        return _str_in(s, self.rationale if name == "rationale" else None, name)


def _int_in(s: Mapping) -> int:
    lo = s.get("minimum")
    hi = s.get("maximum")
    if s.get("exclusiveMinimum") is not None and not isinstance(s["exclusiveMinimum"], bool):
        lo = math.floor(s["exclusiveMinimum"]) + 1 if lo is None else max(lo, math.floor(s["exclusiveMinimum"]) + 1)
    if s.get("exclusiveMaximum") is not None and not isinstance(s["exclusiveMaximum"], bool):
        hi = math.ceil(s["exclusiveMaximum"]) - 1 if hi is None else min(hi, math.ceil(s["exclusiveMaximum"]) - 1)
    lo = math.ceil(lo) if lo is not None else None
    hi = math.floor(hi) if hi is not None else None
    if lo is not None and hi is not None:
        v = (lo + hi) // 2
    elif lo is not None:
        v = lo
    elif hi is not None:
        v = min(hi, 0)
    else:
        v = 1
    m = s.get("multipleOf")
    if isinstance(m, int) and m > 0 and v % m:
        up = v + (m - v % m)
        v = up if hi is None or up <= hi else v - v % m
    return v


def _num_in(s: Mapping) -> float:
    lo, lo_ex = s.get("minimum"), False
    hi, hi_ex = s.get("maximum"), False
    emin, emax = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if isinstance(emin, (int, float)) and not isinstance(emin, bool) and (lo is None or emin >= lo):
        lo, lo_ex = emin, True
    if isinstance(emax, (int, float)) and not isinstance(emax, bool) and (hi is None or emax <= hi):
        hi, hi_ex = emax, True
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    v = 0.5
    if lo is not None and (v < lo or (lo_ex and v <= lo)):
        v = lo + 1.0 if lo_ex else float(lo)
    if hi is not None and (v > hi or (hi_ex and v >= hi)):
        v = hi - 1.0 if hi_ex else float(hi)
    return v


_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "judge@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _str_in(s: Mapping, preferred: str | None, name: str | None) -> str:
    text = (
        _FORMATS.get(s.get("format", "")) or preferred or (_DEFAULT_RATIONALE if name == "rationale" else name or "ok")
    )
    lo = int(s.get("minLength", 0))
    hi = s.get("maxLength")
    if len(text) < lo:
        text += "x" * (lo - len(text))
    if hi is not None:
        text = text[: int(hi)]
    return text


def json_reply_for_schema(
    request_json: Mapping | None = None,
    *,
    schema: Mapping | None = None,
    score: Any = None,
    rationale: str | None = None,
    winner: Any = None,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """A JSON value valid for the schema the request asks for (see ``find_schema``), or for ``schema``.

    Walks properties (all of them), resolves ``$ref``/``$defs``, picks integers/numbers inside
    minimum/maximum (midpoint), strings within min/maxLength, the first enum/const value, the first
    non-null anyOf option, ``minItems`` (at least 1) array items. Given values win by property name:
    ``score`` → properties named ``score`` or ``*_score`` (an int, or a dict name → value),
    ``rationale`` → ``rationale``, ``winner`` → ``winner``, ``overrides`` → any name. Given values are
    used as is (so a test can ask for an out-of-range score on purpose).
    """
    if schema is None:
        found = find_schema(request_json)
        if found is None:
            raise ValueError(
                "the request carries no JSON schema (response_format.json_schema.schema, guided_json, "
                "tools[].function.parameters, or an instructor 'json_schema:' prompt)"
            )
        schema = found[0]
    gen = _Instance(schema, dict(overrides or {}), score, rationale, winner)
    return gen.gen(schema, None, 0)


# --- tokens and logprobs -----------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\d|[^\W\d_]+|\s+|[^\w\s]|_", re.S)
_SCORE_FIELD_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"?(-?)(\d)')
_NEG_INF_LOGPROB = -9999.0


def tokenize(text: str) -> list[str]:
    """A toy tokenizer: every digit is its own token; letter runs, whitespace runs and single
    punctuation characters are tokens. ``"".join(tokenize(t)) == t``."""
    return _TOKEN_RE.findall(text)


def _lp(p: float) -> float:
    return math.log(p) if p > 0 else _NEG_INF_LOGPROB


def logprobs_for_json(
    text: str,
    probs: Mapping[str, float] | Mapping[str, Mapping[str, float]] | list[Mapping[str, float] | None] | None = None,
    *,
    score_keys: Iterable[str] | None = None,
    top_k: int | None = None,
) -> list[TokenLogprob]:
    """Token logprobs for a (JSON) content, for ``Reply.logprobs``.

    The text is split by ``tokenize`` (each digit its own token). The first digit of the value of
    every score field (``score_keys``; default: keys named ``score`` or ``*_score``) gets
    ``top_logprobs`` from ``probs`` — a digit → probability mapping such as
    ``{"3": 0.2, "4": 0.5, "5": 0.3}``; or a key → such mapping; or a list of such mappings, one
    per score field in order of appearance (e.g. per criterion of a nested verdict) — sorted by
    probability (``top_k`` best; zero probabilities left out), and its own logprob log p(digit)
    (-9999.0 when 0). Without ``probs`` the written digit gets probability 1. Every other token has
    logprob 0.0 and itself as the only top logprob. Scores are assumed single-digit (1..5, 0..9).
    """
    keys = set(score_keys) if score_keys is not None else None
    targets: dict[int, Mapping[str, float] | None] = {}
    for m in _SCORE_FIELD_RE.finditer(text):
        k = m.group(1)
        if (k in keys) if keys is not None else _is_score_name(k):
            dist: Any = probs
            if isinstance(probs, (list, tuple)):
                dist = probs[len(targets)] if len(targets) < len(probs) else None
            elif isinstance(probs, Mapping) and probs and all(isinstance(v, Mapping) for v in probs.values()):
                dist = probs.get(k)
            targets[m.start(3)] = dist
    out: list[TokenLogprob] = []
    pos = 0
    for tok in tokenize(text):
        if pos in targets:
            dist = targets[pos] or {tok: 1.0}
            top = sorted(((t, _lp(p)) for t, p in dist.items() if p > 0), key=lambda x: -x[1])
            if top_k is not None:
                top = top[:top_k]
            out.append((tok, _lp(float(dist.get(tok, 0.0))), top))
        else:
            out.append((tok, 0.0, [(tok, 0.0)]))
        pos += len(tok)
    return out


def _wants_md_fence(req: Mapping) -> bool:
    return "```json" in _last_user_text(req)


def schema_reply(
    score: Any = 4,
    *,
    rationale: str | None = None,
    winner: Any = None,
    overrides: Mapping[str, Any] | None = None,
    probs: Mapping[str, float] | Mapping[str, Mapping[str, float]] | list[Mapping[str, float] | None] | None = None,
    reasoning: str | None = None,
    reasoning_shape: ReasoningShape = "reasoning_content",
    reasoning_tokens: int | None = None,
) -> Callable[[dict], Reply]:
    """A reply callable answering with ``json_reply_for_schema`` for the request's schema.

    Tool requests (instructor TOOLS) get a tool call; an instructor MD_JSON prompt gets a ```json
    fence. Without any schema in the request: ``{"score": score, "rationale": ...}``. When the request
    asks for ``logprobs``, they are attached by ``logprobs_for_json(content, probs)``.
    """

    def reply(req: dict) -> Reply:
        found = find_schema(req)
        if found is None:
            obj: Any = {"score": score, "rationale": rationale or _DEFAULT_RATIONALE}
            where, name = "none", None
        else:
            schema, where, name = found
            obj = json_reply_for_schema(
                schema=schema, score=score, rationale=rationale, winner=winner, overrides=overrides
            )
        text = json.dumps(obj, ensure_ascii=False)
        if where == "tool":
            return Reply(
                content=None,
                tool_call=(name or "respond", text),
                finish_reason="tool_calls",
                reasoning=reasoning,
                reasoning_shape=reasoning_shape,
                reasoning_tokens=reasoning_tokens,
                completion_tokens=_words(text) + _words(reasoning),
            )
        if where == "text" and _wants_md_fence(req):
            text = f"```json\n{text}\n```"
        lps = logprobs_for_json(text, probs, top_k=req.get("top_logprobs") or None) if req.get("logprobs") else None
        return Reply(
            content=text,
            reasoning=reasoning,
            reasoning_shape=reasoning_shape,
            reasoning_tokens=reasoning_tokens,
            logprobs=lps,
        )

    return reply


def _cut_json(text: str) -> str:
    """Cut a JSON text in the middle (inside a string when possible): never valid JSON."""
    if len(text) < 2:
        return "{"
    q = text.find('": "')
    cut = q + 6 if q >= 0 and q + 6 < len(text) - 1 else max(1, len(text) // 2)
    return text[:cut]


def invalid_json_reply(req: dict) -> Reply:
    """Prose where JSON was asked for (a model ignoring the format)."""
    return Reply(content="Sure! I would rate this answer 4 out of 5: {score: 4, rationale: 'good'")


def truncated_json_reply(req: dict) -> Reply:
    """The schema's JSON cut mid-way, ``finish_reason="length"`` (hit max_tokens)."""
    found = find_schema(req)
    obj = json_reply_for_schema(schema=found[0]) if found else {"score": 4, "rationale": _DEFAULT_RATIONALE}
    text = _cut_json(json.dumps(obj, ensure_ascii=False))
    limit = req.get("max_completion_tokens") or req.get("max_tokens")
    return Reply(content=text, finish_reason="length", completion_tokens=int(limit) if limit else None)


def default_reply(req: dict) -> Reply:
    """``schema_reply()`` when the request carries a JSON schema, else ``echo_reply``."""
    if find_schema(req) is not None:
        return _DEFAULT_SCHEMA_REPLY(req)
    return echo_reply(req)


_DEFAULT_SCHEMA_REPLY = schema_reply()

# ----------------------------------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    if kind in FAULT_KINDS or (len(kind) == 3 and kind.isdigit() and kind[0] in "45"):
        return kind
    raise ValueError(f"unknown fault kind {kind!r}: one of {', '.join(FAULT_KINDS)} or a 4xx/5xx status")


@dataclass
class FaultPlan:
    """Which requests fail, and how. Decided per request attempt (a retry can succeed).

    Precedence: ``always_fail_for`` predicates, then ``fail_first_n`` (the first n attempts of each
    distinct prompt — hash of ``messages`` — fail with ``fail_first_kind``), then a seeded random
    draw over ``rates`` (kind → probability, summing to ≤ 1).

    Kinds: "500" / any 4xx-5xx code (error JSON), "429" (with ``Retry-After: retry_after`` unless
    None), "drop" (close the socket after reading the request, no response), "timeout" (sleep
    ``timeout_sleep_s``, then ``timeout_action``: "close" or "respond"), "slow" (respond after
    ``slow_s``), "invalid_json" (200, content is prose, not JSON), "truncated_json" (200, the reply's
    JSON cut mid-way, finish_reason "length"), and the malformed responses of ``HOSTILE_KINDS``
    (tests/fakes/hostile.py: empty or HTML 200s, wrong types, unstorable text, bad token counts,
    a trickled body every ``trickle_s``, ``oversize_bytes`` answers, a gzip bomb of ``bomb_bytes``).
    ``latency_s`` is added to every chat request.
    """

    rates: dict[str, float] = field(default_factory=dict)
    retry_after: float | str | None = 1
    timeout_sleep_s: float = 30.0
    timeout_action: Literal["close", "respond"] = "close"
    slow_s: float = 0.25
    latency_s: float = 0.0
    fail_first_n: int = 0
    fail_first_kind: str = "500"
    trickle_s: float = 0.5
    oversize_bytes: int = 40 * 2**20
    bomb_bytes: int = 300 * 2**20
    always: list[tuple[Callable[[dict], bool], str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._validate_rates()
        _check_kind(self.fail_first_kind)
        if self.timeout_action not in ("close", "respond"):
            raise ValueError("timeout_action must be 'close' or 'respond'")

    def _validate_rates(self) -> None:
        total = 0.0
        for kind, rate in self.rates.items():
            _check_kind(kind)
            if not 0 <= rate <= 1:
                raise ValueError(f"rate for {kind!r} must be in [0, 1], not {rate}")
            total += rate
        if total > 1 + 1e-9:
            raise ValueError(f"fault rates sum to {total:.3f} > 1")

    @classmethod
    def mixed(cls, total: float, kinds: Iterable[str] = ("500", "429", "drop"), **kw: Any) -> FaultPlan:
        """``total`` fault rate spread evenly over ``kinds``."""
        ks = list(kinds)
        return cls(rates={k: total / len(ks) for k in ks} if ks and total > 0 else {}, **kw)

    def always_fail_for(self, predicate: Callable[[dict], bool] | str, kind: str = "500") -> FaultPlan:
        """Requests matching ``predicate(request_json)`` — or, for a string, whose messages contain
        it — always fail with ``kind``. Returns self (chainable)."""
        _check_kind(kind)
        if isinstance(predicate, str):
            needle = predicate

            def predicate(req: dict, _n: str = needle) -> bool:
                return any(_n in _text_of(m.get("content")) for m in req.get("messages") or [] if isinstance(m, dict))

        self.always.append((predicate, kind))
        return self

    def decide(self, req: dict, attempt: int, rng: random.Random) -> str | None:
        """The fault for this attempt (0-based, per prompt), or None for a normal reply."""
        for pred, kind in self.always:
            if pred(req):
                return kind
        if attempt < self.fail_first_n:
            return self.fail_first_kind
        if self.rates:
            u = rng.random()
            edge = 0.0
            for kind, rate in self.rates.items():
                edge += rate
                if u < edge:
                    return kind
        return None


# ----------------------------------------------------------------------------------------------
# HTTP
# ----------------------------------------------------------------------------------------------

_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error_body(status: int, message: str, etype: str | None = None) -> bytes:
    etype = etype or (
        "server_error" if status >= 500 else "rate_limit_error" if status == 429 else "invalid_request_error"
    )
    return _dumps({"error": {"message": message, "type": etype, "param": None, "code": status}})


class _Conn(asyncio.Protocol):
    """One client connection: parses requests one at a time (pipelined ones wait their turn)."""

    def __init__(self, srv: FakeServer) -> None:
        self.srv = srv
        self.t: asyncio.Transport | None = None
        self.buf = bytearray()
        self.busy = False
        self.closed = False
        self.task: asyncio.Task | None = None
        self.head: tuple[str, str, dict[str, str], int, bool] | None = None  # parsed, awaiting body

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = transport  # type: ignore[assignment]
        self.srv._conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.srv._conns.discard(self)
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._drain()

    def _drain(self) -> None:
        buf = self.buf
        while not self.busy and not self.closed and buf:
            if self.head is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > _MAX_HEAD:
                        self.send(431, _error_body(431, "request head too large"), keep=False)
                    return
                lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
                del buf[: end + 4]
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    self.send(400, _error_body(400, "bad request line"), keep=False)
                    return
                method, target, version = parts
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    k, sep, v = line.partition(":")
                    if not sep:
                        self.send(400, _error_body(400, "bad header line"), keep=False)
                        return
                    headers[k.strip().lower()] = v.strip()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    self.send(411, _error_body(411, "FakeServer needs Content-Length bodies"), keep=False)
                    return
                try:
                    n = int(headers.get("content-length", "0"))
                    if n < 0:
                        raise ValueError
                except ValueError:
                    self.send(400, _error_body(400, "bad Content-Length"), keep=False)
                    return
                if n > _MAX_BODY:
                    self.send(413, _error_body(413, "body too large"), keep=False)
                    return
                conn_hdr = headers.get("connection", "").lower()
                keep = conn_hdr != "close" if version == "HTTP/1.1" else conn_hdr == "keep-alive"
                self.head = (method, target, headers, n, keep)
                if n > len(buf) and headers.get("expect", "").lower() == "100-continue":
                    self.t.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # type: ignore[union-attr]
            method, target, headers, n, keep = self.head
            if len(buf) < n:
                return
            body = bytes(buf[:n])
            del buf[:n]
            self.head = None
            self.srv._dispatch(self, method, target, headers, body, keep)

    @staticmethod
    def _head(status: int, length: int, extra: bytes, keep: bool, ctype: bytes) -> bytes:
        return b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n%s%s\r\n" % (
            status,
            _REASONS.get(status, "Error").encode(),
            ctype,
            length,
            extra,
            b"" if keep else b"connection: close\r\n",
        )

    def send(
        self, status: int, body: bytes, extra: bytes = b"", keep: bool = True, ctype: bytes = b"application/json"
    ) -> None:
        if self.closed:
            return
        self.t.write(self._head(status, len(body), extra, keep, ctype) + body)  # type: ignore[union-attr]
        if not keep:
            self.close()

    def trickle(self, status: int, body: bytes, extra: bytes, keep: bool, ctype: bytes, every: float) -> None:
        """Send the head at once, then the body one byte every ``every`` seconds (never too slow to
        trip a per-read timeout, forever too slow to finish)."""
        if self.closed:
            return
        self.t.write(self._head(status, len(body), extra, keep, ctype))  # type: ignore[union-attr]
        self.busy = True
        self.task = self.srv._loop.create_task(self._trickle(body, keep, every))  # type: ignore[union-attr]

    async def _trickle(self, body: bytes, keep: bool, every: float) -> None:
        try:
            for i in range(len(body)):
                if self.closed:
                    return
                self.t.write(body[i : i + 1])  # type: ignore[union-attr]
                await asyncio.sleep(every)
        except asyncio.CancelledError:
            return
        self.task = None
        self.busy = False
        if not keep:
            self.close()
        elif self.buf:
            self._drain()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.t.close()  # type: ignore[union-attr]

    def later(self, delay: float, then: Callable[[], None]) -> None:
        """Run ``then`` after ``delay`` seconds; further requests on this connection wait."""
        self.busy = True
        self.task = self.srv._loop.create_task(self._later(delay, then))  # type: ignore[union-attr]

    async def _later(self, delay: float, then: Callable[[], None]) -> None:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            return
        self.task = None
        self.busy = False
        if self.closed:
            return
        then()
        if not self.busy and not self.closed and self.buf:
            self._drain()


# ----------------------------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------------------------


class FakeServer:
    """A fake OpenAI-compatible server on a background thread with its own event loop.

    ``reply(request_json) -> Reply | dict | str``: a str is the content; a dict with "choices" is
    sent verbatim as the response body; another dict is JSON-dumped as the content. A Reply or a str
    instead of a callable is a constant answer. Default: ``default_reply``.

    ``requests``: one dict per chat request — the request body plus "headers" (lowercased names),
    "_outcome", "_attempt" (0-based, per prompt) and "_key" (``prompt_key(messages)``).
    ``keep_requests=False`` records counts only (long benchmark runs).
    ``counts``: Counter by outcome ("ok", a fault kind, "400", "404", "reply_error").
    ``attempts``: Counter of attempts by prompt key. ``errors``: exceptions raised by ``reply``.
    """

    def __init__(
        self,
        *,
        reply: ReplyFn | Reply | str | None = None,
        faults: FaultPlan | None = None,
        seed: int = 0,
        model: str = "fake-model",
        host: str = "127.0.0.1",
        port: int = 0,
        keep_requests: bool = True,
    ) -> None:
        if reply is None:
            reply = default_reply
        elif isinstance(reply, (Reply, str)):
            const = reply
            reply = lambda _req: const  # noqa: E731
        self.reply: ReplyFn = reply
        self.faults = faults or FaultPlan()
        self.seed = seed
        self.model = model
        self.host = host
        self.port = port
        self.keep_requests = keep_requests
        self.requests: list[dict] = []
        self.counts: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._ids = itertools.count(1)
        self._conns: set[_Conn] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self._models_body = _dumps(
            {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "fakeserver"}]}
        )

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> FakeServer:
        if self._thread is not None:
            raise RuntimeError("FakeServer already started")
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="FakeServer", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("FakeServer did not start within 10 s")
        if self._start_error is not None:
            self._thread.join()
            self._thread = None
            raise self._start_error
        return self

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Conn(self), self.host, self.port, backlog=2048, reuse_address=True)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as e:
            self._start_error = e
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in list(self._conns):
            if c.task is not None:
                c.task.cancel()
                c.task = None
            c.close()
        await asyncio.sleep(0)
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 2)
            except (TimeoutError, Exception):
                pass

    def stop(self) -> None:
        """Close the listener and every connection (pending delayed responses are abandoned)."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(5)
            except Exception:
                pass
            loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        self._thread = None
        self._loop = None
        self._server = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget recorded requests, counts and attempts; re-seed the RNG."""
        with self._lock:
            self.requests.clear()
            self.counts.clear()
            self.attempts.clear()
            self.errors.clear()
            self._rng = random.Random(self.seed)

    def attempts_for(self, messages: Any) -> int:
        """How many chat requests arrived for these ``messages``."""
        return self.attempts[prompt_key(messages)]

    # --- request handling (event-loop thread) -------------------------------------------------

    def _dispatch(
        self, conn: _Conn, method: str, target: str, headers: dict[str, str], body: bytes, keep: bool
    ) -> None:
        path = target.split("?", 1)[0].rstrip("/")
        if path.startswith("/v1/"):
            path = path[3:]
        if path == "/chat/completions":
            if method != "POST":
                conn.send(405, _error_body(405, "use POST"), keep=keep)
                return
            self._chat(conn, headers, body, keep)
        elif path == "/models":
            if method != "GET":
                conn.send(405, _error_body(405, "use GET"), keep=keep)
                return
            conn.send(200, self._models_body, keep=keep)
        else:
            with self._lock:
                self.counts["404"] += 1
            conn.send(404, _error_body(404, f"no route {method} {target}"), keep=keep)

    def _record(self, req: dict, headers: dict[str, str], outcome: str, attempt: int, key: str) -> None:
        if not self.keep_requests:
            with self._lock:
                self.counts[outcome] += 1
            return
        rec = dict(req)
        rec["headers"] = headers
        rec["_outcome"] = outcome
        rec["_attempt"] = attempt
        rec["_key"] = key
        with self._lock:
            self.requests.append(rec)
            self.counts[outcome] += 1

    def _chat(self, conn: _Conn, headers: dict[str, str], body: bytes, keep: bool) -> None:
        try:
            req = json.loads(body)
            if not isinstance(req, dict):
                raise ValueError("body is not a JSON object")
        except ValueError as e:
            with self._lock:
                self.counts["400"] += 1
            conn.send(400, _error_body(400, f"invalid JSON body: {e}"), keep=keep)
            return
        key = prompt_key(req.get("messages"))
        if req.get("stream"):
            self._record(req, headers, "400", -1, key)
            conn.send(400, _error_body(400, "stream=true is not supported by FakeServer"), keep=keep)
            return
        fp = self.faults
        with self._lock:
            attempt = self.attempts[key]
            self.attempts[key] = attempt + 1
            try:
                kind = fp.decide(req, attempt, self._rng)
            except Exception as e:
                self.errors.append(e)
                kind = "500"
        delay = fp.latency_s
        if kind == "timeout" and fp.timeout_action == "close":
            self._record(req, headers, kind, attempt, key)
            conn.later(delay + fp.timeout_sleep_s, conn.close)
            return

        if kind in HOSTILE_KINDS:
            self._hostile(conn, req, headers, kind, attempt, key, delay, keep)
            return

        if kind is None or kind in ("slow", "timeout", "truncated_json", "invalid_json"):
            try:
                if kind == "invalid_json":
                    status, payload = 200, self._completion(req, invalid_json_reply(req))
                else:
                    r = self._as_reply(self.reply(req))
                    if kind == "truncated_json" and isinstance(r, Reply):
                        r = self._truncate(req, r)
                    status = 200
                    if isinstance(r, Reply):
                        payload = self._completion(req, r)
                        delay += r.delay_s
                    else:
                        payload = _dumps(r)
            except Exception as e:
                self.errors.append(e)
                self._record(req, headers, "reply_error", attempt, key)
                conn.send(500, _error_body(500, f"FakeServer reply callable raised {type(e).__name__}: {e}"), keep=keep)
                return
            outcome = kind or "ok"
            if kind == "slow":
                delay += fp.slow_s
            self._record(req, headers, outcome, attempt, key)
            if kind == "timeout":
                delay += fp.timeout_sleep_s
            self._respond(conn, delay, status, payload, b"", keep)
            return

        self._record(req, headers, kind, attempt, key)
        if kind == "drop":
            if delay > 0:
                conn.later(delay, conn.close)
            else:
                conn.close()
            return
        status = int(kind)
        extra = b""
        if status == 429 and fp.retry_after is not None:
            ra = fp.retry_after
            ra_s = str(int(ra)) if isinstance(ra, float) and ra.is_integer() else str(ra)
            extra = b"retry-after: %s\r\n" % ra_s.encode()
        msg = "rate limited (FakeServer fault)" if status == 429 else f"injected {status} (FakeServer fault)"
        self._respond(conn, delay, status, _error_body(status, msg), extra, keep)

    def _hostile(
        self,
        conn: _Conn,
        req: dict,
        headers: dict[str, str],
        kind: str,
        attempt: int,
        key: str,
        delay: float,
        keep: bool,
    ) -> None:
        """Send the completion the reply callable gives, spoiled as ``kind`` says (hostile.py)."""
        try:
            r = self._as_reply(self.reply(req))
            completion = self._completion_obj(req, r) if isinstance(r, Reply) else r
            wire = hostile.build(kind, completion, self.faults)
        except Exception as e:
            self.errors.append(e)
            self._record(req, headers, "reply_error", attempt, key)
            conn.send(500, _error_body(500, f"FakeServer hostile reply raised {type(e).__name__}: {e}"), keep=keep)
            return
        self._record(req, headers, kind, attempt, key)
        if wire.trickle_s is not None:
            every = wire.trickle_s

            def go() -> None:
                conn.trickle(wire.status, wire.body, wire.extra, keep, wire.ctype, every)
        else:

            def go() -> None:
                conn.send(wire.status, wire.body, wire.extra, keep, wire.ctype)

        if delay > 0:
            conn.later(delay, go)
        else:
            go()

    @staticmethod
    def _respond(conn: _Conn, delay: float, status: int, payload: bytes, extra: bytes, keep: bool) -> None:
        if delay > 0:
            conn.later(delay, lambda: conn.send(status, payload, extra, keep))
        else:
            conn.send(status, payload, extra, keep)

    @staticmethod
    def _as_reply(x: Any) -> Reply | dict:
        if isinstance(x, Reply):
            return x
        if isinstance(x, str):
            return Reply(content=x)
        if isinstance(x, dict):
            return x if "choices" in x else Reply(content=json.dumps(x, ensure_ascii=False))
        raise TypeError(f"reply callable returned {type(x).__name__}; expected Reply, dict or str")

    @staticmethod
    def _truncate(req: dict, r: Reply) -> Reply:
        text = r.content or ""
        if not text.lstrip().startswith(("{", "[", "```")):
            return truncated_json_reply(req)
        limit = req.get("max_completion_tokens") or req.get("max_tokens")
        return dataclasses.replace(
            r,
            content=_cut_json(text),
            finish_reason="length",
            logprobs=None,
            tool_call=None,
            completion_tokens=int(limit) if limit else None,
        )

    def _completion(self, req: dict, r: Reply) -> bytes:
        return _dumps(self._completion_obj(req, r))

    def _completion_obj(self, req: dict, r: Reply) -> dict[str, Any]:
        content = r.content
        msg: dict[str, Any] = {"role": "assistant", "content": content}
        if r.reasoning is not None:
            if r.reasoning_shape == "think_inline":
                msg["content"] = content = f"<think>\n{r.reasoning}\n</think>\n\n{content or ''}"
            else:
                msg[r.reasoning_shape] = r.reasoning
        n = next(self._ids)
        if r.tool_call is not None:
            name, args = r.tool_call
            msg["tool_calls"] = [
                {"id": f"call_fake{n}", "type": "function", "function": {"name": name, "arguments": args}}
            ]
        choice: dict[str, Any] = {"index": 0, "message": msg, "finish_reason": r.finish_reason, "logprobs": None}
        lps = r.logprobs
        if lps is None and req.get("logprobs") and content:
            k = int(req.get("top_logprobs") or 0)
            lps = [(t, 0.0, [(t, 0.0)] if k else []) for t in tokenize(content)]
        if lps is not None:
            choice["logprobs"] = {
                "content": [
                    {
                        "token": t,
                        "logprob": lp,
                        "bytes": list(t.encode("utf-8")),
                        "top_logprobs": [
                            {"token": tt, "logprob": tl, "bytes": list(tt.encode("utf-8"))} for tt, tl in top
                        ],
                    }
                    for t, lp, top in lps
                ],
                "refusal": None,
            }
        pt = r.prompt_tokens if r.prompt_tokens is not None else _prompt_words(req)
        if r.completion_tokens is not None:
            ct = r.completion_tokens
        else:
            ct = _words(r.content) + _words(r.reasoning) + (_words(r.tool_call[1]) if r.tool_call else 0)
        usage: dict[str, Any] = {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}
        if r.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": r.reasoning_tokens}
        return {
            "id": f"chatcmpl-fake{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [choice],
            "usage": usage,
        }


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------

_REPLIES: dict[str, Callable[[argparse.Namespace], ReplyFn]] = {
    "auto": lambda a: default_reply,
    "echo": lambda a: echo_reply,
    "schema": lambda a: schema_reply(a.score),
    "invalid_json": lambda a: invalid_json_reply,
    "truncated_json": lambda a: truncated_json_reply,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tests.fakes.server", description="Fake OpenAI-compatible server with fault injection."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = a free port (default)")
    p.add_argument("--model", default="fake-model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--faults", type=float, default=0.0, help="total fault rate, spread over --fault-kinds")
    p.add_argument(
        "--fault-kinds", default="500,429,drop", help="comma-separated kinds for --faults (default 500,429,drop)"
    )
    p.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="KIND=P",
        help="an explicit rate, e.g. --rate timeout=0.01 (repeatable)",
    )
    p.add_argument("--latency-ms", type=float, default=0.0, help="base latency of every chat request")
    p.add_argument("--slow-ms", type=float, default=250.0)
    p.add_argument("--timeout-sleep-s", type=float, default=30.0)
    p.add_argument("--timeout-action", choices=("close", "respond"), default="close")
    p.add_argument("--retry-after", default="1", help="Retry-After of 429s ('none' to omit)")
    p.add_argument("--fail-first-n", type=int, default=0)
    p.add_argument("--fail-first-kind", default="500")
    p.add_argument("--reply", choices=sorted(_REPLIES), default="auto")
    p.add_argument("--score", type=int, default=4, help="score for --reply schema")
    a = p.parse_args(argv)

    kinds = [k.strip() for k in a.fault_kinds.split(",") if k.strip()]
    rates = {k: a.faults / len(kinds) for k in kinds} if a.faults > 0 and kinds else {}
    for item in a.rate:
        k, sep, v = item.partition("=")
        if not sep:
            p.error(f"--rate wants KIND=P, not {item!r}")
        rates[k.strip()] = rates.get(k.strip(), 0.0) + float(v)
    try:
        plan = FaultPlan(
            rates=rates,
            retry_after=None
            if a.retry_after.lower() == "none"
            else (float(a.retry_after) if re.fullmatch(r"[\d.]+", a.retry_after) else a.retry_after),
            timeout_sleep_s=a.timeout_sleep_s,
            timeout_action=a.timeout_action,
            slow_s=a.slow_ms / 1000,
            latency_s=a.latency_ms / 1000,
            fail_first_n=a.fail_first_n,
            fail_first_kind=a.fail_first_kind,
        )
    except ValueError as e:
        p.error(str(e))
    srv = FakeServer(
        reply=_REPLIES[a.reply](a),
        faults=plan,
        seed=a.seed,
        model=a.model,
        host=a.host,
        port=a.port,
        keep_requests=False,
    )
    srv.start()
    print(srv.base_url, flush=True)
    done = threading.Event()

    def _stop(*_: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not done.wait(0.5):
            pass
    finally:
        srv.stop()
        summary = {"counts": dict(srv.counts), "server_cpu_s": round(time.process_time(), 3)}
        print(json.dumps(summary), file=sys.stderr, flush=True)
    return 0


def spawn(*args: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m tests.fakes.server --port 0 ARGS` in a process of its own, returned with its base
    URL once it listens. Benches use it to keep the fake's CPU out of the process they measure; its
    counts come as a JSON line on stderr when it is terminated."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.server", "--port", "0", *args],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip() if proc.stdout else ""
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"the fake server did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, url


if __name__ == "__main__":
    raise SystemExit(main())
