"""One judge call: instructor around our own guarded request, and what a failed verdict records.

instructor prompts, parses, validates and re-asks; each of its attempts goes through
`Endpoint.attempt` (model/client.py): the replica's breaker, the total deadline, the response size
cap, and the validation of the body into a `Completion`. What instructor parses is therefore
always a well-formed ChatCompletion, and a malformed reply is a `BadResponse` in the failure
chain, never an exception from inside instructor's own parse.

A thinking judge that stops for length before writing anything (`ReasoningBudgetSpent`) is not
re-asked by instructor's loop, which would resend the same budget: `ask` re-asks once with the
larger budget or lower effort of `[judge] thinking_retry`, and a second such reply fails the verdict.
"""

from __future__ import annotations

import contextvars
import logging
import time
from dataclasses import dataclass, field
from json import JSONDecodeError
from typing import Any

import instructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from judge.config import ModelConfig
from judge.config_thinking import ThinkingRetry
from judge.model import (
    CircuitOpen,
    Completion,
    Endpoint,
    ReasoningBudgetSpent,
    describe_error,
    retry_policy,
    spent_on_reasoning,
    token_count,
    unfence,
)

# instructor logs every failed attempt at ERROR level; we record failures as rows instead, and its
# messages would interleave with the progress bar.
logging.getLogger("instructor").setLevel(logging.CRITICAL)
_MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
# Schema errors are re-asked at once; transport errors back off (client.retry_policy decides).
PARSE_ERRORS = (ValidationError, JSONDecodeError, IncompleteOutputException)


@dataclass
class CallLog:
    """What the attempts of one verdict's call add up to (kept per task, see `_LOG`).

    Token counts are summed here from our validated replies, not read from instructor's total:
    instructor adds an unknown (NULL) count as 0, which would store an invented number.
    """

    latency_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    replies: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    """NULL when a reply's count was unknown (no usage details, no reasoning text): never a made-up 0."""
    reasoning_tokens_estimated: bool | None = None
    """Some reply's count was estimated from its reasoning text (the server reported none)."""

    def add(self, comp: Completion) -> None:
        self.latency_ms += comp.latency_ms
        self.notes = comp.notes  # the notes of the reply the verdict comes from: the last one
        first = self.replies == 0
        self.replies += 1
        self.prompt_tokens = _sum(comp.prompt_tokens, self.prompt_tokens, first)
        self.completion_tokens = _sum(comp.completion_tokens, self.completion_tokens, first)
        self.reasoning_tokens = _sum(comp.reasoning_tokens, self.reasoning_tokens, first)
        if comp.reasoning_tokens is not None:
            self.reasoning_tokens_estimated = bool(self.reasoning_tokens_estimated) or comp.reasoning_tokens_estimated

    def columns(self) -> dict[str, Any]:
        """What a verdict row stores of these attempts (its cost), whether the verdict came or not."""
        known = self.reasoning_tokens is not None
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "reasoning_tokens_estimated": self.reasoning_tokens_estimated if known else None,
            "latency_ms": self.latency_ms if self.replies else None,
        }


def _sum(n: int | None, total: int | None, first: bool) -> int | None:
    """A running total that stays NULL once any reply's count was unknown (and fits an INTEGER)."""
    if first:
        return n
    return token_count(total + n) if total is not None and n is not None else None


@dataclass
class Reply:
    verdict: Any
    completion: Any
    """The ChatCompletion the verdict was parsed from (its usage summed over re-asks by instructor)."""
    attempts: int
    latency_ms: float
    notes: list[str]
    """What was repaired in that reply before it could be stored (see model/completion.py)."""
    prompt_tokens: int | None
    completion_tokens: int | None
    """Summed over the replies (re-asks included); NULL when a reply's count was unknown."""
    log: CallLog = field(default_factory=CallLog)
    """Every reply's cost, the thinking re-ask's included (`CallLog.columns`)."""
    reasked: bool = False
    """The judge spent its first budget on reasoning and was asked again (`thinking_retry`)."""

    def thinking_columns(self) -> dict[str, Any]:
        """A verdict's reasoning tokens (NULL when unknown) and whether it took a thinking re-ask."""
        cols = self.log.columns()
        return {
            "reasoning_tokens": cols["reasoning_tokens"],
            "reasoning_tokens_estimated": cols["reasoning_tokens_estimated"],
            "reasoning_reasked": self.reasked,
        }


# instructor calls `_send` from inside the verdict's own task, so a context variable carries the
# per-call record there without threading it through instructor's arguments.
_LOG: contextvars.ContextVar[CallLog] = contextvars.ContextVar("judge_call_log")


class JudgeClient:
    """The judge endpoint, with instructor patched around our guarded request."""

    def __init__(
        self,
        cfg: ModelConfig,
        *,
        concurrency: int | None,
        logprobs: bool,
        thinking: ThinkingRetry | None = None,
        repeats: int = 1,
    ) -> None:
        self.cfg = cfg
        self.endpoint = Endpoint(cfg, concurrency=concurrency)
        self.create: Any = instructor.patch(create=self._send, mode=_MODES[cfg.instructor_mode])
        self.logprobs = logprobs
        self.thinking = thinking or ThinkingRetry()
        self.repeats = repeats
        """`judge grade --repeats K`: each repeat is sent its own seed (`seed_for`)."""
        self.prompts_version: str | None = None
        self._ready: dict[type, type] = {}

    def seed_for(self, repeat: int) -> int | None:
        """The seed of a repeat: the configured seed + the repeat index, or the index when no seed
        is configured; None (no seed sent, as before repeats existed) for a single grading without one."""
        base = self.cfg.params.seed
        if base is None and self.repeats <= 1 and repeat == 0:
            return None
        return ((base or 0) + repeat + 2**63) % 2**64 - 2**63  # stays within a server's int64

    def _prepared(self, model: type) -> type:
        """`model` as instructor uses it, built once: given a plain pydantic model, instructor wraps
        it in a new class on every call (milliseconds of CPU per judge call)."""
        ready = self._ready.get(model)
        if ready is None:
            ready = self._ready[model] = instructor.openai_schema(model)
        return ready

    async def _send(self, **request: Any) -> ChatCompletion:
        """One attempt, as instructor sees it: a validated ChatCompletion or an exception."""
        comp = await self.endpoint.attempt(request)
        log = _LOG.get(None)
        if log is not None:
            log.add(comp)
        msg = comp.data["choices"][0]["message"]
        if spent_on_reasoning(comp.finish_reason, comp.answer, msg.get("tool_calls")):
            raise ReasoningBudgetSpent(request.get("max_tokens"), comp.reasoning_tokens)
        # A judge that wraps its JSON in a ```json fence has still answered: hand over the inside
        # (instructor's JSON_SCHEMA and TOOLS parsers take the content as the JSON itself).
        inner = unfence(msg.get("content") or "")
        if inner is not None:
            msg["content"] = inner
        return comp.to_openai()

    async def call(self, messages: list[dict[str, str]], model: type, max_tokens: int) -> tuple[Any, Any, int, float]:
        """(verdict, completion, attempts, latency_ms): `ask` without the notes (bench/ uses it)."""
        r = await self.ask(messages, model, max_tokens)
        return r.verdict, r.completion, r.attempts, r.latency_ms

    async def ask(
        self, messages: list[dict[str, str]], model: type, max_tokens: int, *, seed: int | None = None
    ) -> Reply:
        """The verdict for one prompt, with how it was obtained.

        Raises CircuitOpen when the endpoint is down (the verdict stays pending), else what
        instructor raised (InstructorRetryException, IncompleteOutputException, ...), or
        ReasoningBudgetSpent; every exception but CircuitOpen carries `judge_log` (the attempts'
        cost) and `judge_reasked`.
        """
        params = self.cfg.params.request_kwargs()
        params.setdefault("temperature", 0.0)
        params["max_tokens"] = max(params.get("max_tokens", 0), max_tokens)
        params.pop("max_completion_tokens", None)
        if seed is not None:
            params["seed"] = seed
        if self.logprobs:
            params.update(logprobs=True, top_logprobs=max(params.get("top_logprobs") or 0, 5))
        if self.cfg.extra_body:
            params["extra_body"] = self.cfg.extra_body
        log = CallLog()
        try:
            return await self._ask(messages, model, params, log)
        except CircuitOpen:
            raise
        except Exception as e:
            e.judge_log, e.judge_reasked = log, False  # type: ignore[attr-defined]
            if budget_spent(e) is None or not self.thinking.reask:
                raise
            first = getattr(e, "judge_attempts", 1)
        # The budget went to reasoning: once more with a larger budget or a lower effort.
        params["max_tokens"] = self.thinking.budget(params["max_tokens"])
        if self.thinking.reasoning_effort is not None:
            params["reasoning_effort"] = self.thinking.reasoning_effort
        try:
            reply = await self._ask(messages, model, params, log)
        except CircuitOpen:
            raise
        except Exception as e:
            e.judge_log, e.judge_reasked = log, True  # type: ignore[attr-defined]
            e.judge_attempts = first + getattr(e, "judge_attempts", 1)  # type: ignore[attr-defined]
            raise
        reply.attempts += first
        reply.reasked = True
        return reply

    async def _ask(self, messages: list[dict[str, str]], model: type, params: dict[str, Any], log: CallLog) -> Reply:
        """One instructor call (its own retry policy) whose replies add to `log`."""
        policy = retry_policy(self.cfg.max_attempts, also=PARSE_ERRORS)
        token = _LOG.set(log)
        t0 = time.perf_counter()
        try:
            verdict = await self.create(
                model=self.cfg.model,
                messages=messages,
                response_model=self._prepared(model),
                max_retries=policy,
                **params,
            )
        except Exception as e:
            down = e if isinstance(e, CircuitOpen) else e.__cause__
            if isinstance(down, CircuitOpen):
                raise down from None
            e.judge_attempts = policy.statistics.get("attempt_number", 1)  # type: ignore[attr-defined]
            raise
        finally:
            _LOG.reset(token)
        # The time spent answering (every attempt), not the wait for a free slot before them.
        latency = log.latency_ms or (time.perf_counter() - t0) * 1000
        attempts = policy.statistics.get("attempt_number", 1)
        return Reply(
            verdict,
            verdict._raw_response,
            attempts,
            latency,
            log.notes,
            log.prompt_tokens,
            log.completion_tokens,
            log,
        )


def budget_spent(e: BaseException) -> ReasoningBudgetSpent | None:
    """The ReasoningBudgetSpent behind a failed call (raised as it is, or as instructor's cause)."""
    for x in (e, e.__cause__):
        if isinstance(x, ReasoningBudgetSpent):
            return x
    return None


def raw_text(completion: Any) -> str | None:
    try:
        return (completion.choices[0].message.content or "")[:4000]
    except (AttributeError, IndexError, TypeError):
        return None


def failure_columns(e: BaseException) -> dict[str, Any]:
    """The columns of a failed verdict's rows: the error, attempts, raw output, and what the
    attempts cost (a failed call spent tokens too, and the judge's cost counts them)."""
    err, attempts, raw = failure(e)
    log: CallLog = getattr(e, "judge_log", None) or CallLog()
    return {
        "error": err,
        "attempts": attempts,
        "raw": raw,
        "reasoning_reasked": bool(getattr(e, "judge_reasked", False)),
        **log.columns(),
    }


def failure(e: BaseException) -> tuple[str, int, str | None]:
    """Error text, attempts and the last raw output of a verdict that could not be obtained."""
    attempts = getattr(e, "judge_attempts", 1)
    spent = budget_spent(e)
    if spent is not None:
        return str(spent), attempts, None
    if isinstance(e, IncompleteOutputException):
        return "judge output truncated (max_tokens reached)", attempts, raw_text(getattr(e, "last_completion", None))
    if isinstance(e, InstructorRetryException):
        cause = e.__cause__ or (e.failed_attempts[-1].exception if e.failed_attempts else None)
        what = describe_error(cause) if cause else str(e)
        if isinstance(cause, IncompleteOutputException):
            what = "judge output truncated (max_tokens reached)"
        elif isinstance(cause, (ValidationError, JSONDecodeError)):
            what = f"invalid verdict JSON: {str(cause).splitlines()[0][:300]}"
        return what, max(e.n_attempts, attempts), raw_text(e.last_completion)
    return describe_error(e), attempts, None
