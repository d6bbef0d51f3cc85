"""Prompt log-probabilities of a text through an OpenAI-compatible `/v1/completions` endpoint.

Two wire formats give the log-probability of every token of a *given* text (not of generated ones):

- vLLM's `prompt_logprobs: k` (with `return_token_ids`): `choices[0].prompt_logprobs` is a list with
  one entry per prompt token, null for the first, else `{token_id: {logprob, rank, decoded_token}}`
  holding the top k by rank and the prompt's own token (with its rank, which may exceed k);
  `choices[0].prompt_token_ids` lists the ids. Keyed by token id: byte-level BPE splits Cyrillic
  into byte tokens whose decoded text is empty, so text keys would collide.
- The legacy OpenAI form, `echo: true` with `logprobs: k`: `choices[0].logprobs` holds `tokens`,
  `token_logprobs` and `top_logprobs` (token text -> logprob) for the prompt followed by the
  generated token; the prompt's part is cut by `usage.prompt_tokens` (else by `text_offset`).

A server that gives neither (llama.cpp's server ignores `echo`, and its `n_probs`/`logprobs` cover
generated tokens only) gets `PromptLogprobsUnsupported`, an input error: the command stops with
exit 2 before anything is stored. Calls go through the project's client machinery: each replica's
AsyncOpenAI (no SDK retries), its breaker and concurrency slot, the total deadline, the one retry
policy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import openai

from judge.errors import EndpointError
from judge.model import BadResponse, CallFailed, Endpoint, retry_policy
from judge.model.client import CALL_ERRORS

Mode = Literal["prompt_logprobs", "echo"]
MODES: tuple[Mode, ...] = ("prompt_logprobs", "echo")

MISSING = (
    "neither vLLM's `prompt_logprobs` (choices[0].prompt_logprobs) nor `echo: true` with `logprobs` "
    "(log-probabilities of the prompt's tokens in choices[0].logprobs) on /v1/completions"
)
"""What a server must offer; llama.cpp's server has neither (its `n_probs` covers generated tokens only)."""


class PromptLogprobsUnsupported(EndpointError):
    """The endpoint returns no log-probabilities for the tokens of a given text."""


@dataclass
class TextLogprobs:
    """One text's prompt log-probabilities from one endpoint, position 1 on (position 0 has no context).

    `keys[i]` is the text's own token at position i+1 (a token id as a string, or the token's text in
    echo mode), `actual[i]` its log-probability, `top[i]` the top-k distribution at that position
    (key -> logprob; the text's own token is left out unless it is among the top k).
    """

    mode: Mode
    keys: list[str]
    actual: list[float]
    top: list[dict[str, float]]
    token_ids: list[int] | None = None
    """Every prompt token id (position 0 included), when the server returns them."""
    texts: dict[str, str] = field(default_factory=dict)
    """Token id -> its decoded text (vLLM), to compare with an endpoint keyed by text."""
    attempts: int = 1
    latency_ms: float = 0.0

    def by_text(self) -> TextLogprobs:
        """The same keyed by token text (for comparing with an echo-mode endpoint)."""
        if self.mode == "echo":
            return self
        name = self.texts.get
        return TextLogprobs(
            "echo",
            [name(k, k) for k in self.keys],
            self.actual,
            [{name(k, k): v for k, v in d.items()} for d in self.top],
            self.token_ids,
            {},
            self.attempts,
            self.latency_ms,
        )


def request_body(model: str, text: str, k: int, mode: Mode) -> dict[str, Any]:
    """The completions arguments for the prompt log-probabilities of `text` (temperature 0, one token)."""
    body: dict[str, Any] = {"model": model, "prompt": text, "max_tokens": 1, "temperature": 0.0}
    if mode == "prompt_logprobs":
        body["extra_body"] = {"prompt_logprobs": k, "return_token_ids": True}
    else:
        body.update(echo=True, logprobs=k)
    return body


async def _attempt(endpoint: Endpoint, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """One guarded attempt on a replica (breaker, slot, deadline), through `Replica.guarded` as chat."""
    async with endpoint.slot() as rep:
        raw, latency = await rep.guarded(
            lambda: rep.client.completions.with_raw_response.create(**body), endpoint.cfg.timeout
        )
        return _json(raw.http_response.content), latency


def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise BadResponse("empty body", retryable=True)
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadResponse(f"not a JSON body ({type(e).__name__}; truncated?)", retryable=True) from e
    if not isinstance(data, dict):
        raise BadResponse("the body is not a JSON object", retryable=False)
    return data


async def call(endpoint: Endpoint, body: dict[str, Any]) -> tuple[dict[str, Any], int, float]:
    """One request under the retry policy: (response JSON, attempts, latency ms); CallFailed when spent."""
    attempts = 0
    try:
        async for attempt in retry_policy(endpoint.cfg.max_attempts):
            with attempt:
                attempts += 1
                data, latency = await _attempt(endpoint, body)
    except CALL_ERRORS as e:
        raise CallFailed(e, attempts) from e
    return data, attempts, latency


async def fetch(endpoint: Endpoint, text: str, k: int, mode: Mode) -> TextLogprobs:
    """The prompt log-probabilities of `text` in `mode`; BadResponse (not retried) when they are missing."""
    data, attempts, latency = await call(endpoint, request_body(endpoint.cfg.model, text, k, mode))
    parsed = parse(data, text, k, mode)
    parsed.attempts, parsed.latency_ms = attempts, latency
    return parsed


async def detect(endpoint: Endpoint, text: str, k: int) -> TextLogprobs:
    """The first mode this endpoint answers with prompt log-probabilities, tried on `text`.

    A 400 (a strict server refusing an unknown field) or a response without them moves on to the
    next mode; when none works, PromptLogprobsUnsupported names what is missing. Other failures
    (unreachable after retries) are an EndpointError too: nothing can be measured without it.
    """
    why: list[str] = []
    for mode in MODES:
        try:
            return await fetch(endpoint, text, k, mode)
        except BadResponse as e:  # answered, without them
            why.append(f"{mode}: {e}")
            continue
        except CallFailed as e:
            if isinstance(e.exc, openai.BadRequestError | openai.UnprocessableEntityError):
                why.append(f"{mode}: {e}")
                continue
            if isinstance(e.exc, BadResponse):
                why.append(f"{mode}: {e.exc}")
                continue
            raise EndpointError(f"model {endpoint.cfg.name!r}: {endpoint.cfg.urls[0]}: {e}") from e
    raise PromptLogprobsUnsupported(
        f"model {endpoint.cfg.name!r} ({endpoint.cfg.urls[0]}) returns no log-probabilities for prompt tokens: "
        f"it offers {MISSING}",
        hints=[
            "serve the variants with vLLM (it supports prompt_logprobs), or any server that honours echo + logprobs",
            "llama.cpp's server returns log-probabilities of generated tokens only (n_probs), not of a given text",
            *(f"tried {w}" for w in why),
        ],
    )


# -- parsing ----------------------------------------------------------------------------------------


def parse(data: dict[str, Any], text: str, k: int, mode: Mode) -> TextLogprobs:
    """A completions response as TextLogprobs; BadResponse(retryable=False) when the mode's fields are missing."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadResponse("no choices in the response", retryable=True)
    try:
        out = _vllm(choices[0], k) if mode == "prompt_logprobs" else _echo(choices[0], data, text, k)
    except BadResponse:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise BadResponse(f"unreadable {mode} ({type(e).__name__}: {e})", retryable=False) from e
    if not out.keys:
        raise BadResponse(f"{mode}: the text has a single token: nothing to compare", retryable=False)
    return out


def _logprob(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v) or v > 1e-3:
        raise ValueError(f"{v!r} is not a log-probability")
    return max(float(v), -9999.0)  # vLLM sends -9999.0 for -inf


def _vllm(choice: dict[str, Any], k: int) -> TextLogprobs:
    plp = choice.get("prompt_logprobs")
    if not isinstance(plp, list) or len(plp) < 1:
        raise BadResponse("no prompt_logprobs in choices[0]", retryable=False)
    ids = choice.get("prompt_token_ids")
    if ids is not None and (not isinstance(ids, list) or len(ids) != len(plp)):
        raise ValueError(f"prompt_token_ids has {len(ids) if isinstance(ids, list) else '?'} ids for {len(plp)} tokens")
    keys, actual, top, names = [], [], [], {}
    for i, pos in enumerate(plp[1:], start=1):
        if not isinstance(pos, dict) or not pos:
            raise ValueError(f"prompt_logprobs[{i}] is not an object")
        entries = {str(t): v for t, v in pos.items()}
        own = str(ids[i]) if ids is not None else _own_key(entries)
        if own not in entries:
            raise ValueError(f"prompt_logprobs[{i}] lacks the prompt's own token {own}")
        for t, v in entries.items():
            if isinstance(v, dict) and isinstance(v.get("decoded_token"), str):
                names[t] = v["decoded_token"]
        keys.append(own)
        actual.append(_logprob(entries[own]["logprob"]))
        ranked = {t: v for t, v in entries.items() if not isinstance(v.get("rank"), int) or v["rank"] <= k}
        top.append({t: _logprob(v["logprob"]) for t, v in ranked.items()})
    return TextLogprobs("prompt_logprobs", keys, actual, top, [int(x) for x in ids] if ids else None, names)


def _own_key(entries: dict[str, Any]) -> str:
    """Without prompt_token_ids: vLLM lists the prompt's own token first (and beyond rank k, only it)."""
    return next(iter(entries))


def _echo(choice: dict[str, Any], data: dict[str, Any], text: str, k: int) -> TextLogprobs:
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not isinstance(lp.get("tokens"), list):
        raise BadResponse("no logprobs.tokens in choices[0] (echo not honoured)", retryable=False)
    tokens, lps, tops = lp["tokens"], lp.get("token_logprobs"), lp.get("top_logprobs")
    if not isinstance(lps, list) or not isinstance(tops, list) or not (len(tokens) == len(lps) == len(tops)):
        raise BadResponse("logprobs.token_logprobs / top_logprobs missing or of another length", retryable=False)
    n = _prompt_len(lp, data, text)
    if n is None or n < 1 or n > len(tokens):
        raise BadResponse(
            f"{len(tokens)} logprob entries for a prompt of {n} tokens: the prompt's tokens are not echoed",
            retryable=False,
        )
    keys, actual, top = [], [], []
    for i in range(1, n):
        own = str(tokens[i])
        dist = tops[i]
        if not isinstance(dist, dict):
            raise ValueError(f"top_logprobs[{i}] is not an object")
        d = {str(t): _logprob(v) for t, v in dist.items()}
        if len(d) > k and own in d:  # the legacy form adds the text's own token to the top k
            d.pop(own)
        keys.append(own)
        actual.append(_logprob(lps[i]))
        top.append(d)
    return TextLogprobs("echo", keys, actual, top)


def _prompt_len(lp: dict[str, Any], data: dict[str, Any], text: str) -> int | None:
    usage = data.get("usage")
    n = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    if isinstance(n, int) and not isinstance(n, bool):
        return n
    offsets = lp.get("text_offset")
    if isinstance(offsets, list) and all(isinstance(o, int) for o in offsets):
        return sum(1 for o in offsets if o < len(text))
    return None
