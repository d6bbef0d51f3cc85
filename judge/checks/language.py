"""`check:language`: is the answer written in the prompt's language, and is its script clean?

Detection is by script, with no language-identification model: letters are counted as Cyrillic,
Latin or other, over the *prose* of the answer only (code blocks, inline code, math, URLs, e-mail
addresses, HTML tags and LaTeX commands removed, see `text.prose`).

- `ru` when Cyrillic letters are at least `RU_MIN_SHARE` (0.5) of all letters: ties go to Russian,
  because Russian technical prose routinely carries Latin terms while English prose rarely carries
  Cyrillic; `en` when Latin letters are more than half; `other` otherwise (another script such as
  Chinese dominates, or nothing does) or when there are no letters.
- A *word* is a run of letters and digits (combining accents included); it is Latin or Cyrillic
  when all its letters are, and *mixed* when it has both (`пpивет` with a Latin `p`).
- `latin_share` of a Russian answer: Latin words / all words. Terms such as Python or API are
  normal, so it passes below `LATIN_SHARE_MAX` (0.15): about one word in seven.
"""

from __future__ import annotations

import re
from typing import Literal

from ..dataset import Item
from .registry import CheckFn, CheckRow, check
from .text import prose, shorten, strip_think

RU_MIN_SHARE = 0.5
"""Minimum share of Cyrillic letters (among all letters of the prose) for `ru`."""
LATIN_SHARE_MAX = 0.15
"""A Russian answer passes `latin_share` when its share of Latin-script words is below this."""
MAX_EXAMPLES = 5
"""How many mixed-script words the detail quotes."""

Lang = Literal["ru", "en", "other"]
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f" or "\u1c80" <= ch <= "\u1c8f" or "\u2de0" <= ch <= "\u2dff" or "\ua640" <= ch <= "\ua69f"


def _is_latin(ch: str) -> bool:
    return (
        ("A" <= ch <= "Z")
        or ("a" <= ch <= "z")
        or ("\u00c0" <= ch <= "\u024f" and ch not in "\u00d7\u00f7")
        or "\u1e00" <= ch <= "\u1eff"
        or "\uff21" <= ch <= "\uff5a"
    )


def _letter_counts(text: str) -> tuple[int, int, int]:
    """(Cyrillic, Latin, all) letters of the prose of `text`."""
    cyr = lat = total = 0
    for ch in prose(text):
        if ch.isalpha():
            total += 1
            if _is_cyrillic(ch):
                cyr += 1
            elif _is_latin(ch):
                lat += 1
    return cyr, lat, total


def detect_language(text: str, *, ru_min_share: float = RU_MIN_SHARE) -> tuple[Lang, float]:
    """The language of `text` by script, and the share of Cyrillic letters among its letters."""
    cyr, lat, total = _letter_counts(text)
    if not total:
        return "other", 0.0
    share = cyr / total
    if share >= ru_min_share:
        return "ru", share
    if lat / total > 0.5:
        return "en", share
    return "other", share


def _words(text: str) -> list[str]:
    return _WORD.findall(prose(text))


def _scripts(word: str) -> tuple[bool, bool]:
    return any(_is_cyrillic(c) for c in word), any(_is_latin(c) for c in word)


def mixed_script_words(text: str) -> list[str]:
    """Words of the prose that mix Latin and Cyrillic letters (e.g. `Hеllo` with a Cyrillic `е`), in order."""
    return [w for w in _words(text) if all(_scripts(w))]


def latin_share(text: str) -> float:
    """Share of Latin-script words among the words of the prose (0.0 when there are none)."""
    words = [w for w in _words(text) if any(c.isalpha() for c in w)]
    if not words:
        return 0.0
    latin = sum(1 for w in words if all(_is_latin(c) for c in w if c.isalpha()))
    return latin / len(words)


def _explain(word: str) -> str:
    """`'пpивет' (Latin p)`: name the letters of the minority script, which look identical."""
    cyr = [c for c in word if _is_cyrillic(c)]
    lat = [c for c in word if _is_latin(c)]
    script, letters = ("Latin", lat) if len(lat) <= len(cyr) else ("Cyrillic", cyr)
    return f"{word!r} ({script} {''.join(dict.fromkeys(letters))})"


@check("language")
def language(
    ru_min_share: float = RU_MIN_SHARE,
    latin_share_max: float = LATIN_SHARE_MAX,
    max_examples: int = MAX_EXAMPLES,
) -> CheckFn:
    """Criteria `language_match`, `mixed_script_words` and, for Russian prompts, `latin_share`."""
    for name, value in (("ru_min_share", ru_min_share), ("latin_share_max", latin_share_max)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    if max_examples < 0:
        raise ValueError(f"max_examples must be >= 0, got {max_examples}")

    def run(item: Item, answer_text: str) -> list[CheckRow]:
        text = strip_think(answer_text or "")
        return [
            _language_match(item.lang, text, ru_min_share),
            _mixed_row(text, max_examples),
            *([_latin_row(text, latin_share_max)] if item.lang == "ru" else []),
        ]

    return run


def _language_match(expected: str, text: str, ru_min_share: float) -> CheckRow:
    if not text.strip():
        return CheckRow(criterion="language_match", score=0.0, passed=False, detail="empty answer")
    cyr, lat, total = _letter_counts(text)
    if not total:
        return CheckRow(
            criterion="language_match",
            score=None,
            passed=None,
            detail="no letters outside code, math and URLs: the language cannot be told",
        )
    lang, share = detect_language(text, ru_min_share=ru_min_share)
    ok = lang == expected
    detail = f"expected {expected}, detected {lang} (Cyrillic {share:.2f}, Latin {lat / total:.2f} of {total} letters)"
    return CheckRow(criterion="language_match", score=1.0 if ok else 0.0, passed=ok, detail=detail)


def _mixed_row(text: str, max_examples: int) -> CheckRow:
    words = mixed_script_words(text)
    if not words:
        detail = "no word mixes Latin and Cyrillic letters"
    else:
        unique = list(dict.fromkeys(words))
        shown = ", ".join(_explain(w) for w in unique[:max_examples])
        more = f" and {len(unique) - max_examples} more" if len(unique) > max_examples else ""
        detail = shorten(f"{len(words)} mixed-script word(s): {shown}{more}", 300)
    return CheckRow(criterion="mixed_script_words", score=float(len(words)), passed=not words, detail=detail)


def _latin_row(text: str, latin_share_max: float) -> CheckRow:
    words = [w for w in _words(text) if any(c.isalpha() for c in w)]
    if not words:
        return CheckRow(criterion="latin_share", score=None, passed=None, detail="no words outside code, math and URLs")
    share = latin_share(text)
    ok = share < latin_share_max
    latin = [w for w in words if all(_is_latin(c) for c in w if c.isalpha())]
    examples = ", ".join(list(dict.fromkeys(latin))[:MAX_EXAMPLES])
    detail = f"{len(latin)} of {len(words)} words in Latin script ({share:.2f}, limit {latin_share_max:.2f})"
    return CheckRow(
        criterion="latin_share",
        score=share,
        passed=ok,
        detail=shorten(detail + (f": {examples}" if examples else ""), 300),
    )
