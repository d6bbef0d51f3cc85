"""Corruption operators for `judge probe`: each plants one kind of error (or a neutral change) in a
clean text, at a dose (how many edits), so the probe can measure whether a judge notices.

Interface shared by the probe runner and the tests: `OPERATORS` maps (lang, name) to an
`Operator`; `Operator.apply(text, dose, rng)` returns a `Corruption` (the new text and one
human-readable note per edit) or None when the text offers no place for this error (never a
silently unchanged text). Error operators (`expect = "lower"`) must lower a good judge's score;
neutral ones (`expect = "same"`: padding, markdown) must not, and the probe reports how often they
raise it (length and style bias).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Expect = Literal["lower", "same"]
DOSES = (1, 3, 6)
"""The doses the probe applies: one planted error, a few, many."""


@dataclass(frozen=True)
class Corruption:
    """A corrupted text and what was done to it (one note per edit; len(edits) is the dose reached)."""

    text: str
    edits: list[str] = field(default_factory=list)


ApplyFn = Callable[[str, int, random.Random], "Corruption | None"]


@dataclass(frozen=True)
class Operator:
    """One kind of planted error for one language."""

    name: str
    lang: str
    expect: Expect
    apply: ApplyFn
    """(clean text, dose, rng) -> Corruption with at most `dose` edits, or None when impossible."""
    doc: str = ""


OPERATORS: dict[tuple[str, str], Operator] = {}
"""(lang, operator name) -> Operator."""


def operator(name: str, lang: str, expect: Expect = "lower") -> Callable[[ApplyFn], ApplyFn]:
    """Register `fn` as operator `name` for `lang` (its docstring is the operator's description)."""

    def decorate(fn: ApplyFn) -> ApplyFn:
        if (lang, name) in OPERATORS:
            raise ValueError(f"operator {name!r} for {lang!r} is already registered")
        OPERATORS[(lang, name)] = Operator(name, lang, expect, fn, (fn.__doc__ or "").strip())
        return fn

    return decorate


def operators_for(lang: str) -> list[Operator]:
    """The operators registered for `lang`, in name order."""
    _load()
    return [op for (lg, _), op in sorted(OPERATORS.items()) if lg == lang]


def get_operator(lang: str, name: str) -> Operator:
    """The operator `name` for `lang` (KeyError naming the known ones)."""
    _load()
    try:
        return OPERATORS[(lang, name)]
    except KeyError:
        known = ", ".join(n for lg, n in sorted(OPERATORS) if lg == lang)
        raise KeyError(f"no operator {name!r} for {lang!r}; known: {known}") from None


def _load() -> None:
    """Import the modules that register operators (kept lazy: pymorphy3 loads only when probing)."""
    from judge.probe import ops_common, ops_en, ops_ru  # noqa: F401
