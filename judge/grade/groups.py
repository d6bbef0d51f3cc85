"""Verdict jobs grouped by the system prompt they share (rubric, its version, instruction language, mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from judge.model import Endpoint
from judge.model.prefix import PrefixSharer
from judge.prompts import Mode, render_system
from judge.rubric import Rubric

from .plan import PairJob, SingleJob

T = TypeVar("T")

GroupKey = tuple[str, Rubric, str]
"""(kind: single | pair, rubric, the language the judge is instructed in)."""


def prompt_groups(singles: list[SingleJob], pairs: list[PairJob]) -> list[tuple[GroupKey, list[Any]]]:
    """The jobs in groups whose judge prompts begin with the same system message, in first-seen
    order (jobs keep their order within a group): a server's prefix cache serves a whole group."""
    groups: dict[tuple[str, str, str, str], tuple[GroupKey, list[Any]]] = {}
    for s in singles:
        lang = s.rubric.judge_lang(s.answer.item.lang)
        key = ("single", s.rubric.name, s.rubric.version, lang)
        groups.setdefault(key, (("single", s.rubric, lang), []))[1].append(s)
    for p in pairs:
        lang = p.rubric.judge_lang(p.first.item.lang)
        key = ("pair", p.rubric.name, p.rubric.version, lang)
        groups.setdefault(key, (("pair", p.rubric, lang), []))[1].append(p)
    return list(groups.values())


def system_messages(rubric: Rubric, lang: str, mode: Mode, cap: int, prompts_dir: str | None) -> list[dict[str, Any]]:
    """The messages that warm a server with a group's shared prefix: its system prompt (and a
    placeholder user turn, which chat templates may require)."""
    system = render_system(rubric, lang, mode, rationale_cap=cap, prompts_dir=prompts_dir)
    return [{"role": "system", "content": system}, {"role": "user", "content": "-"}]


async def in_groups(
    endpoint: Endpoint,
    model: str,
    groups: Sequence[tuple[list[dict[str, Any]] | None, list[T]]],
    handle: Callable[[T], Awaitable[None]],
) -> None:
    """`handle` every job with the endpoint's concurrency, one group at a time, each group's
    prefix (`messages`) first copied into every slot of a llama.cpp server (model/prefix.py).

    Groups run one after another, so a slot is never asked to hold two rubrics at once; the cost is
    the tail of each group, where fewer jobs than slots remain.
    """
    sharer = PrefixSharer(endpoint) if endpoint.limit > 1 else None
    for messages, jobs in groups:
        if sharer is not None and messages is not None and len(jobs) > 1:
            await sharer.share(messages, model)
        queue = list(reversed(jobs))
        n = min(len(queue), endpoint.limit * len(endpoint.replicas) + 2)
        await asyncio.gather(*(_drain(queue, handle) for _ in range(n)))


async def _drain(queue: list[T], handle: Callable[[T], Awaitable[None]]) -> None:
    """One worker: jobs from the shared queue until none is left."""
    while queue:
        await handle(queue.pop())
