"""Unicode scripts of letters, and words that mix them (`тοчка` with a Greek ο, `пpивет` with a
Latin p): a homoglyph inside a word is invisible to a reader and breaks search, spelling and TTS.

Scripts come from the Unicode Scripts data shipped with `confusable-homoglyphs` (the standard
library's `unicodedata` has no script property). Letters of the Common and Inherited scripts
(combining accents, modifier letters, mathematical letters) belong to no script here. Chinese and
Japanese mix Han, kana and Latin inside a run of letters by nature, with no spaces: Han, Hiragana,
Katakana, Bopomofo and Hangul count as one script (`CJK`), and a word is cut wherever a script
written without spaces (CJK, Thai, Lao, Khmer, Myanmar, Tibetan) meets Latin or Greek (`使用Python`,
`α線`). Cyrillic glued to Han is no writing convention but a model slipping into Chinese (seen in
real answers: `параметр强制 удаление`), so it stays one mixed word.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from confusable_homoglyphs import categories

_NEUTRAL = frozenset({"COMMON", "INHERITED", "Unknown"})
_GROUP = {"HAN": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "BOPOMOFO": "CJK", "HANGUL": "CJK"}
_SPACELESS = frozenset({"CJK", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN", "YI"})
_EMBEDDED = _SPACELESS | {"LATIN", "GREEK"}  # what spaceless writing embeds with no space
_NAMES = {"CJK": "CJK"}
# A word is a run of letters and digits with combining marks; hyphens and apostrophes split words.
_ONE_SCRIPT = re.compile(r"[0-9A-Za-z]+|[0-9\u0400-\u04ff]+")  # most words: plainly Latin or plainly Cyrillic
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+")


@lru_cache(maxsize=8192)
def _script_slow(ch: str) -> str | None:
    alias: str = categories.alias(ch)
    return None if alias in _NEUTRAL else _GROUP.get(alias, alias)


def script(ch: str) -> str | None:
    """The script of letter `ch` (`LATIN`, `CYRILLIC`, `GREEK`, `CJK`, …), None for anything else."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "LATIN"
    if "\u0400" <= ch <= "\u04ff":
        return "CYRILLIC"
    return _script_slow(ch)


def script_name(name: str) -> str:
    """`CYRILLIC` → `Cyrillic`, for details."""
    return _NAMES.get(name, name.replace("_", " ").title())


def script_counts(text: str) -> Counter[str]:
    """How many letters of each script `text` has."""
    counts: Counter[str] = Counter()
    for ch, n in Counter(text).items():  # each distinct character looked up once
        if (s := script(ch)) is not None:
            counts[s] += n
    return counts


def words(text: str) -> list[str]:
    """The words of `text`, cut where a script written without spaces meets Latin, Greek or another
    spaceless script."""
    out: list[str] = []
    for word in _WORD.findall(text):
        if _ONE_SCRIPT.fullmatch(word):
            out.append(word)
            continue
        start, prev = 0, None
        for i, ch in enumerate(word):
            s = script(ch)
            if s is None:
                continue
            if prev is not None and s != prev and (s in _SPACELESS or prev in _SPACELESS) and {s, prev} <= _EMBEDDED:
                out.append(word[start:i])
                start = i
            prev = s
        out.append(word[start:])
    return out


@lru_cache(maxsize=1024)
def looks_latin(ch: str) -> bool:
    """True when letter `ch` has an ASCII look-alike in Unicode's confusables data (Greek ο → o,
    α → a; not Ψ, Φ or λ, which only look like mathematical symbols)."""
    from confusable_homoglyphs import confusables

    return any(h["c"].isascii() and h["c"].isalpha() for h in confusables.confusables_data.get(ch, ()))


def is_notation(word: str) -> bool:
    """`aΨ1`, `ΔT`, `Φx`: Latin letters with Greek ones that look like no Latin letter are mathematical
    notation written as plain text, not a homoglyph (`sοlve` with a Greek ο is one)."""
    greek = [ch for ch in word if script(ch) == "GREEK"]
    others = {s for ch in word if (s := script(ch)) not in (None, "GREEK")}
    return bool(greek) and others <= {"LATIN"} and not any(looks_latin(ch) for ch in greek)


def mixed_words(text: str) -> list[str]:
    """Words of `text` with letters from more than one script, in order (repeats kept), except
    mathematical notation (`is_notation`)."""
    return [
        w
        for w in words(text)
        if not _ONE_SCRIPT.fullmatch(w)
        and len({s for ch in w if (s := script(ch)) is not None}) > 1
        and not is_notation(w)
    ]


def intruders(word: str, home: str | None = None) -> dict[str, list[str]]:
    """The runs of letters of `word` outside its main script, by script: `{'GREEK': ['ο']}` for
    `тοчка`, `{'CYRILLIC': ['ин', 'ами']}` for `инSTRUMENTами`.

    The main script has most letters; on a tie, `home` (the text's main script) wins.
    """
    runs: list[tuple[str, str]] = []  # (script, run of letters), digits and marks ignored
    counts: Counter[str] = Counter()
    for ch in word:
        if (s := script(ch)) is None:
            continue
        counts[s] += 1
        if runs and runs[-1][0] == s:
            runs[-1] = (s, runs[-1][1] + ch)
        else:
            runs.append((s, ch))
    main = max(counts, key=lambda s: (counts[s], s == home, s))
    out: dict[str, list[str]] = {}
    for s, run in runs:
        if s != main and run not in out.setdefault(s, []):
            out[s].append(run)
    return out


def explain(word: str, home: str | None = None) -> str:
    """`'тοчка' (Greek ο)`, `'пpивет' (Latin p)`: the word and its intruding letters."""
    parts = "; ".join(f"{script_name(s)} {', '.join(runs)}" for s, runs in intruders(word, home).items())
    return f"{word!r} ({parts})"
