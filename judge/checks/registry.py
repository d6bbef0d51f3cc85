"""The check registry: `@check("name")` factories, the `CheckRow` record, and `run_checks`.

A check is a factory that takes keyword options (from a rubric, or none) and returns a plain
function `(item, answer_text) -> list[CheckRow]`. Its verdicts are stored under the judge name
`check:<name>`, one row per criterion. A check that does not apply to an item returns no rows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from judge.dataset import Item
from judge.errors import RubricError

JUDGE_PREFIX = "check:"


class CheckRow(BaseModel):
    """One criterion of a check verdict (one row of the `scores` view under judge `check:<name>`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criterion: str
    """e.g. `correct`, `language_match`, `mixed_script_words`, `latin_share`."""
    score: float | None
    """1.0/0.0 for pass/fail, a count, or a share; None when the criterion cannot be measured."""
    passed: bool | None
    """None when the criterion cannot be measured (never a made-up pass or fail)."""
    detail: str
    """A short human-readable explanation, e.g. `expected 42, found 41 in 'Ответ: 41'`."""


CheckFn = Callable[[Item, str], list[CheckRow]]
CheckFactory = Callable[..., CheckFn]
F = TypeVar("F", bound=CheckFactory)

CHECKS: dict[str, CheckFactory] = {}
"""Every registered check factory by name."""


def check(name: str) -> Callable[[F], F]:
    """Register a check factory under `name` (stored as verdicts of the judge `check:<name>`)."""

    def decorate(factory: F) -> F:
        old = CHECKS.get(name)
        if old is not None and (old.__module__, old.__qualname__) != (factory.__module__, factory.__qualname__):
            raise ValueError(f"check {name!r} is already registered by {old.__module__}.{old.__qualname__}")
        CHECKS[name] = factory
        return factory

    return decorate


def get_check(name: str, **options: Any) -> CheckFn:
    """Build the check `name` with its options; RubricError for an unknown name or a bad option."""
    factory = CHECKS.get(name)
    if factory is None:
        known = ", ".join(sorted(CHECKS)) or "(none)"
        raise RubricError([f"unknown check {name!r}; known checks: {known}"])
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as e:
        raise RubricError([f"check {name!r}: {e}"]) from e
    try:
        return factory(**options)
    except ValueError as e:
        raise RubricError([f"check {name!r}: {e}"]) from e


def judge_name(name: str) -> str:
    """The judge name a check's verdicts are stored under: `check:<name>`."""
    return JUDGE_PREFIX + name


def run_checks(item: Item, answer_text: str, names: Iterable[str] | None = None) -> dict[str, list[CheckRow]]:
    """Run checks (all registered ones by default, with default options) on one answer.

    Returns the rows keyed by check name; a check that does not apply (e.g. `answer` for an item
    without a machine-checkable answer) is left out.
    """
    out: dict[str, list[CheckRow]] = {}
    for name in sorted(CHECKS) if names is None else names:
        rows = get_check(name)(item, answer_text)
        if rows:
            out[name] = rows
    return out
