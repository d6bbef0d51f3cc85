"""The boundary: a chat-completion body validated into our own `Completion`, or a `BadResponse`.

Why our own parse, not the SDK's: the SDK builds its models without validation (a list where a
string belongs passes through and breaks later), and on an empty, HTML or truncated body it raises
exceptions that are not API errors. Every body a server sends passes `parse_completion`, which
promises one of two outcomes for the item: a `Completion` whose every field can be stored, or a
`BadResponse` that says whether another attempt can help. Never an exception that ends the run.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from openai.types.chat import ChatCompletion

from .reasoning import estimate_tokens, join_reasoning
from .retry import BadResponse
from .storable import add_note, storable_tree, token_count

# Only these JSON escapes can put a lone surrogate or a NUL into a decoded string (the raw
# characters are invalid UTF-8 or invalid JSON): without one, the tree walk is skipped.
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# The whole content is one fenced block (```json … ```): a judge that wraps its JSON in markdown.
_FENCE = re.compile(r"\A\s*```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)\r?\n?```\s*\Z", re.DOTALL)


@dataclass
class Completion:
    """What we keep of one chat completion; every field is storable as it is."""

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
    notes: list[str] = field(default_factory=list)
    """What was repaired in the server's response (text made storable, unusable counts dropped)."""
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    """The validated response JSON (the judge hands it to instructor through `to_openai`)."""

    def to_openai(self) -> ChatCompletion:
        """The validated response as the SDK's type (built without a second validation)."""
        return ChatCompletion.construct(**self.data)


def parse_completion(body: bytes, content_type: str | None, latency_ms: float) -> Completion:
    """A 2xx body as a `Completion`; a `BadResponse` for anything we cannot use."""
    try:
        return _parse(body, (content_type or "").lower(), latency_ms)
    except BadResponse:
        raise
    except Exception as e:  # a shape the checks below did not foresee: this item's error, not the run's
        raise BadResponse(f"unreadable response ({type(e).__name__}: {e})", retryable=False) from e


def unfence(text: str) -> str | None:
    """The inside of `text` when all of it is one ```json fenced block, else None."""
    m = _FENCE.match(text)
    return m.group(1) if m and "```" not in m.group(1) else None


def _parse(body: bytes, ctype: str, latency_ms: float) -> Completion:
    data, text = _json_body(body, ctype)
    notes: list[str] = []
    if _RISKY_ESCAPE.search(text):
        data = storable_tree(data, notes)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise BadResponse("no choices in the response", retryable=True)  # seen from overloaded proxies
    choice = choices[0]
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise BadResponse(f"choices[0].message is {_kind(_get(choice, 'message'))}, not an object", retryable=False)
    msg = choice["message"]
    content = msg.get("content")
    if content is not None and not isinstance(content, str):
        raise BadResponse(f"choices[0].message.content is {_kind(content)}, not a string", retryable=False)
    for key in ("reasoning", "reasoning_content"):
        value = msg.get(key)
        if value is not None and not isinstance(value, str):
            msg[key] = json.dumps(value, ensure_ascii=False)
            add_note(notes, f"message.{key} was {_kind(value)}: stored as its JSON text")
    if choice.get("finish_reason") is not None and not isinstance(choice["finish_reason"], str):
        add_note(notes, f"finish_reason {_show(choice['finish_reason'])} is not a string: stored as NULL")
        choice["finish_reason"] = None
    if not isinstance(data.get("model"), str | None):
        data["model"] = None
    usage = _usage(data, notes)
    _check_logprobs(choice, notes)
    answer, reasoning = join_reasoning(content, msg.get("reasoning") or msg.get("reasoning_content"))
    rt = token_count(_get(usage.get("completion_tokens_details"), "reasoning_tokens"))
    estimated = False
    if reasoning and not rt:  # none reported, or 0 beside visible reasoning: count it ourselves
        rt, estimated = estimate_tokens(reasoning), True
    return Completion(
        answer=answer,
        reasoning=reasoning,
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        reasoning_tokens=rt,
        reasoning_tokens_estimated=estimated,
        response_model=data.get("model"),
        latency_ms=latency_ms,
        notes=notes,
        data=data,
    )


def _json_body(body: bytes, ctype: str) -> tuple[dict[str, Any], str]:
    """The body as a JSON object (and its text); else what is wrong, and whether a retry can help."""
    if not body.strip():
        raise BadResponse("empty body", retryable=True)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        # A re-encoding proxy does it every time, and U+FFFD in place of Cyrillic would be graded
        # as the model's Russian: an error, not a repair.
        raise BadResponse(f"body is not UTF-8 (byte 0x{body[e.start]:02x} at offset {e.start})", retryable=False) from e
    head = text.lstrip()[:1]
    if "html" in ctype or head == "<":
        m = _TITLE.search(text[:4096])
        title = f" ({' '.join(m.group(1).split())[:120]})" if m else ""
        raise BadResponse(f"an HTML page instead of JSON{title}", retryable=True)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadResponse(f"invalid JSON ({e.msg} at offset {e.pos} of {len(text)}; truncated?)", retryable=True) from e
    if not isinstance(data, dict):
        raise BadResponse(f"the body is {_kind(data)}, not a JSON object", retryable=False)
    if data.get("error") and not data.get("choices"):  # proxies that report a failure with a 200
        err = data["error"]
        what = err.get("message") if isinstance(err, dict) else err
        raise BadResponse(f"an error object with status 200: {_show(what, 200)}", retryable=True)
    return data, text


def _usage(data: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The usage object with every count that cannot be one set to NULL (noted): the answer is kept."""
    usage = data.get("usage")
    if usage is None:
        return {}
    if not isinstance(usage, dict):
        add_note(notes, f"usage is {_kind(usage)}: token counts stored as NULL")
        data["usage"] = None
        return {}

    def clean(obj: dict[str, Any], prefix: str) -> None:
        # Only the counts (`*_tokens`, also inside `*_details`): other fields, such as a router's
        # `cost`, are neither stored nor ours to judge.
        for k, v in obj.items():
            if isinstance(k, str) and k.endswith("_details") and isinstance(v, dict):
                clean(v, f"{prefix}{k}.")
            elif isinstance(k, str) and k.endswith("_tokens") and v is not None:
                n = token_count(v)
                if n is None:
                    add_note(notes, f"usage.{prefix}{k} = {_show(v)} is not a token count: stored as NULL")
                obj[k] = n

    clean(usage, "")
    return usage


def _check_logprobs(choice: dict[str, Any], notes: list[str]) -> None:
    """Drop logprobs that the expected-score code could not read (noted): the verdict is kept."""
    lp = choice.get("logprobs")
    if lp is None:
        return
    content = lp.get("content") if isinstance(lp, dict) else "bad"
    ok = content is None or (isinstance(content, list) and all(_token_ok(t, top=True) for t in content))
    if not ok:
        add_note(notes, "logprobs malformed: dropped")
        choice["logprobs"] = None


def _token_ok(t: Any, *, top: bool) -> bool:
    if not isinstance(t, dict) or not isinstance(t.get("token"), str):
        return False
    lp = t.get("logprob")
    if isinstance(lp, bool) or not isinstance(lp, int | float) or math.isnan(lp) or lp > 1.0:
        return False
    alts = t.get("top_logprobs")
    return not top or alts is None or (isinstance(alts, list) and all(_token_ok(a, top=False) for a in alts))


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _show(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
