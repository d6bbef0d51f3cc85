"""Russian morphology for the operators: pymorphy3 (one analyser, created on first use) and razdel
tokens, with the agreement rule the `agreement` and `case` operators and their tests share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

from razdel import tokenize

from judge.probe._text import is_free

__all__ = ["CASES", "Token", "agree", "case_of", "cyrillic", "morph", "pairs", "parses", "tokens"]

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
"""The six cases; pymorphy3's second genitive, accusative and locative («чаю», «в лесу») and the
vocative count as the first ones."""
_SAME_CASE = {"gen1": "gent", "gen2": "gent", "acc2": "accs", "loc1": "loct", "loc2": "loct", "voct": "nomn"}
_CYRILLIC_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)

Token = Any
"""A razdel token: `.start`, `.stop`, `.text`."""


@cache
def morph() -> Any:
    """pymorphy3's analyser, created once, on first use (0.1 s and 30 MB: only when probing)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=65536)
def parses(word: str) -> tuple[Any, ...]:
    """Every pymorphy3 reading of `word` (lowercased), most likely first."""
    return tuple(morph().parse(word.lower()))


def cyrillic(word: str) -> bool:
    """A plain Cyrillic word (no hyphen, digit or Latin letter)."""
    return bool(_CYRILLIC_WORD.fullmatch(word))


def case_of(tag: Any) -> str | None:
    """The case of a pymorphy3 tag, folded to one of `CASES`."""
    return _SAME_CASE.get(tag.case, tag.case) if tag.case else None


def agree(adj: Any, noun: Any) -> bool:
    """Whether an adjective or participle tag agrees with a noun tag in number, case and (in the
    singular) gender. A noun of common or unknown gender («сирота», «ножницы») agrees in gender
    with anything: the operators need certainty that a form disagrees, not that it agrees."""
    if adj.number != noun.number or case_of(adj) != case_of(noun):
        return False
    return adj.number == "plur" or noun.gender is None or "ms-f" in noun or adj.gender == noun.gender


@lru_cache(maxsize=64)
def tokens(text: str) -> tuple[Token, ...]:
    """razdel's tokens of `text` (kept for a few texts: the probe applies every operator at every
    dose to the same clean text, and tokenizing is most of an operator's time)."""
    return tuple(tokenize(text))


def pairs(text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[Token, Token]]:
    """Neighbouring Cyrillic words separated by spaces only (not a line break or punctuation),
    both outside the protected `spans`."""
    toks = tokens(text)
    for a, b in zip(toks, toks[1:], strict=False):
        gap = text[a.stop : b.start]
        spaced = bool(gap) and not gap.strip(" \t\u00a0")
        if spaced and cyrillic(a.text) and cyrillic(b.text) and is_free(a.start, b.stop, spans):
            yield a, b
