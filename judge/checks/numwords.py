"""Numbers written in words, Russian and English: `сто двадцать пять`, `четырём тысячам`, `twelve`.

The cardinal words themselves, in every case form, are read by the `number-parser` library
(`parse_number`). Measured against the alternatives on 30 Russian and 20 English phrases (inflected
forms included), it read 25/30 and 17/20; `ru-word2number` 14/30 (no oblique cases), `numerizer` and
`text2num` no Russian at all, `word2number-i18n` does not run on Python 3.11. `pymorphy3` would
lemmatize but still need a numeral table of our own, and loads 16 MB of dictionaries in 250–400 ms.
What number-parser misses is added here: `полтора/полторы/полутора` (1.5), `… с половиной` /
`… and a half`, `… целых … десятых`, `two point five`, `a hundred` (with them: 29/30 and 20/20; the
miss is the spelling `восьмьюдесятью`, the library knows `восемьюдесятью`). Everything else stays
the library's: which words are numbers and which sequences of them form one number (`пять шесть`
is two numbers, not 11).

Readings that would make a wrong verdict are refused rather than guessed:

- a run followed by an ordinal (`двадцать первый`, `twenty first`) is an ordinal, not a count;
- `один`/`one` used as a pronoun (`один из`, `one of`, `ни один`, `no one`, `один и тот же`) is not a number.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # any letters: "tenía" is one word, not "ten" + "ía"
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_ASCII = re.compile(r"[A-Za-z-]+")

_HALF_ONE = {"полтора", "полторы", "полутора"}  # 1.5, with or without a scale word after it
_HALF_SUFFIX = re.compile(r"\s+(?:с\s+половиной|and\s+a\s+half)(?!\w)", re.IGNORECASE)
_RU_FRACTION = {"десятых": 10, "десятая": 10, "сотых": 100, "сотая": 100, "тысячных": 1000, "тысячная": 1000}
_RU_WHOLE = re.compile(r"\s+цел(?:ых|ая|ой|ую)\s+", re.IGNORECASE)
_EN_DIGITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_SCALES = {"hundred", "thousand", "million", "billion", "trillion"}
_ARTICLE = re.compile(r"(?<!\w)an?\s+$", re.IGNORECASE)

# `один/одна/одно…` and `one` as pronouns. These forms are read as 1 by number-parser.
_ONE_FORMS = {"один", "одна", "одно", "одного", "одной", "одному", "одним", "одном", "одну", "одни", "одних", "one"}
_PRONOUN_BEFORE = re.compile(
    r"(?<!\w)(?:ни|no|any|every|each|this|that|the|which|some|such|first|last|other|same|right|wrong|correct|only"
    r"|next|previous|second|third)\s+$",
    re.IGNORECASE,
)
_PRONOUN_AFTER = re.compile(
    r"^\s+(?:из|of|и\s+т[оае]|и\s+тот|и\s+та|и\s+то|another|by\s+one|or\s+another|за\s+друг)",
    re.IGNORECASE,
)
_ORDINAL_RU = re.compile(
    r"^(?:перв|втор|четв[её]рт|пят|шест|седьм|восьм|девят|десят|\w+надцат|двадцат|тридцат|сороков|\w+десят|девяност"
    r"|\w*сот|\w*тысячн|\w*миллионн|\w*миллиардн)(?:ый|ой|ая|ое|ого|ому|ым|ом|ую|ые|ых|ыми)$"
    r"|^трет(?:ий|ья|ье|ьего|ьему|ьим|ьем|ью|ьи|ьих|ьими|ьей)$",
    re.IGNORECASE,
)


class WordNumber(NamedTuple):
    """A number written in words: its span in the text and its value."""

    start: int
    end: int
    value: float


# number-parser is imported on first use: it costs some 15–50 ms, and most commands never read an answer.


@lru_cache(maxsize=4096)
def _word_value(word: str, lang: str) -> float | None:
    """The value of a single number word (`двенадцати` -> 12), None when it is not one."""
    from number_parser import parse_number

    value = parse_number(word, language=lang)
    return None if value is None else float(value)


@lru_cache(maxsize=4096)
def _run_value(words: tuple[str, ...], lang: str) -> float | None:
    from number_parser import parse_number

    value = parse_number(" ".join(words), language=lang)
    return None if value is None else float(value)


def _is_ordinal(word: str, lang: str) -> bool:
    if lang == "ru":
        return bool(_ORDINAL_RU.match(word))
    from number_parser import parse_ordinal

    return _word_value(word, lang) is None and parse_ordinal(word, language=lang) is not None


class _Tok(NamedTuple):
    start: int
    end: int
    word: str  # lower case
    lang: str


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group().lower().replace("ё", "е")
        lang = "ru" if _CYRILLIC.search(word) else "en" if _ASCII.fullmatch(word) else "other"
        out.append(_Tok(m.start(), m.end(), word, lang))
    return out


def _is_number_word(tok: _Tok) -> bool:
    return tok.lang != "other" and (tok.word in _HALF_ONE or _word_value(tok.word, tok.lang) is not None)


_LONGEST = 12  # words in one number: "девятьсот девяносто девять тысяч девятьсот девяносто девять" has 6


def _split_run(run: list[_Tok]) -> list[tuple[int, int, float]]:
    """Cut a run of number words into numbers: the longest prefix the library reads as one number,
    then the rest (`пять шесть` -> 5, 6). Returns (first token, last token + 1, value)."""
    out = []
    i = 0
    while i < len(run):
        for j in range(min(len(run), i + _LONGEST), i, -1):
            words = tuple(t.word for t in run[i:j])
            if words[0] in _HALF_ONE:
                value = _half_one(words)
            else:
                value = _run_value(words, run[i].lang)
            if value is not None:
                out.append((i, j, value))
                i = j
                break
        else:
            i += 1
    return out


def _half_one(words: tuple[str, ...]) -> float | None:
    """`полтора` (1.5) alone or before a scale word: `полторы тысячи` = 1500."""
    if len(words) == 1:
        return 1.5
    scale = _run_value(words[1:], "ru") if len(words) == 2 else None
    return None if scale is None or scale < 100 else 1.5 * scale


def find_word_numbers(text: str, taken: list[tuple[int, int]] | None = None) -> list[WordNumber]:
    """Every number written in words in `text`, in order. Spans in `taken` (e.g. the scale word of
    `4 тыс.`, already read with its digits) are skipped."""
    taken = taken or []
    toks = [t for t in _tokens(text) if not any(s <= t.start < e for s, e in taken)]
    out: list[WordNumber] = []
    i = 0
    while i < len(toks):
        if not _is_number_word(toks[i]):
            i += 1
            continue
        run = [toks[i]]
        j = i + 1
        while j < len(toks) and toks[j].lang == run[0].lang:
            gap = text[toks[j - 1].end : toks[j].start]
            if gap.strip() == "" and _is_number_word(toks[j]):
                run.append(toks[j])
            elif run[0].lang == "en" and gap.strip() == "" and toks[j].word == "and" and j + 1 < len(toks):
                # "one hundred and five": `and` only joins number words
                if _is_number_word(toks[j + 1]) and text[toks[j].end : toks[j + 1].start].strip() == "":
                    run.append(toks[j])
                else:
                    break
            else:
                break
            j += 1
        while run and run[-1].word == "and":
            run.pop()
            j -= 1
        found = _read_run(text, toks, i, run)
        out.extend(found)
        end = max([toks[j - 1].end] + [w.end for w in found])
        i = j
        while i < len(toks) and toks[i].start < end:  # words taken by "целых … десятых", "point five"
            i += 1
    return out


def _read_run(text: str, toks: list[_Tok], first: int, run: list[_Tok]) -> list[WordNumber]:
    out: list[WordNumber] = []
    parts = _split_run(run)
    for a, b, value in parts:
        start, end = run[a].start, run[b - 1].end
        before = text[max(0, start - 12) : start]
        after_index = first + b
        nxt = toks[after_index] if after_index < len(toks) else None
        # "a hundred", "a thousand": the article counts as one
        if run[a].lang == "en" and run[a].word in _SCALES and (art := _ARTICLE.search(before)):
            start -= len(art.group())
        pronoun = _PRONOUN_BEFORE.search(before) or _PRONOUN_AFTER.match(text[end : end + 20])
        if b - a == 1 and run[a].word in _ONE_FORMS and pronoun:
            continue
        if nxt is not None and text[end : nxt.start].strip() in ("", "-") and _is_ordinal(nxt.word, nxt.lang):
            continue  # "двадцать первый", "twenty first": an ordinal
        value, end = _fraction_tail(text, toks, after_index, value, end, run[a].lang)
        out.append(WordNumber(start, end, value))
    return out


def _fraction_tail(text: str, toks: list[_Tok], nxt: int, value: float, end: int, lang: str) -> tuple[float, int]:
    """Extend a number by `с половиной` / `and a half`, `целых … десятых`, `point five`."""
    tail = text[end:]
    if m := _HALF_SUFFIX.match(tail):
        return value + 0.5, end + m.end()
    if lang == "ru" and (m := _RU_WHOLE.match(tail)):
        rest = [t for t in toks[nxt:] if t.start >= end + m.end()]
        k = 0
        while k < len(rest) and _word_value(rest[k].word, "ru") is not None and k < 4:
            k += 1
        if 0 < k < len(rest) and rest[k].word in _RU_FRACTION:
            numerator = _run_value(tuple(t.word for t in rest[:k]), "ru")
            if numerator is not None:
                return value + numerator / _RU_FRACTION[rest[k].word], rest[k].end
    if lang == "en" and (
        m := re.match(r"\s+point((?:\s+(?:zero|oh|one|two|three|four|five|six|seven|eight|nine))+)", tail)
    ):
        digits = "".join(str(_EN_DIGITS[w]) for w in m.group(1).split())
        return float(f"{int(value)}.{digits}"), end + m.end()
    return value, end
