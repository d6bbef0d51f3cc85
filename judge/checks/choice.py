"""Option letters in an answer: `B`, `(b)`, `C)`, `**D**`, `вариант Б`, Cyrillic letters included.

A Russian answer to options written A–E may name them with Russian letters, by position (А→A, Б→B,
В→C, Г→D, Д→E), or type a Cyrillic look-alike of the Latin letter (В for B, С for C). Б, Г and Д
can only be positional and С only a look-alike; А is A either way; but В is B as a look-alike and C
by position. Which one the answer means is read from the evidence (`Scheme`):

- the prompt lists its options with Cyrillic letters: positional;
- the answer uses Б, Г or Д as option letters and no Latin ones: positional;
- the answer uses Latin option letters (B…H) elsewhere and no Б/Г/Д: look-alike;
- otherwise both readings stand, and the check decides only when they agree (`В` for an expected
  A fails either way; for an expected B or C it is undecided).

Single Cyrillic capitals that are Russian words (the preposition `В`, `С`, `К`, `О`, `У`, the
conjunctions `А`, `И`) are not options when a lower-case word follows: `В случае n = 0 …`.
"""

from __future__ import annotations

import re
from typing import Literal

from .claims import Mention

_POSITIONAL = "АБВГДЕЖЗИК"
_LATIN = "ABCDEFGHIJ"
_LOOKALIKE = {
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
}
_WORD_LETTERS = "АВСКОУИЯ"  # single-letter Russian words
_OPTION_FOLLOWERS = re.compile(
    r"\s+(?:или|либо|и|не|неверн\w*|верн\w*|правильн\w*|подходит|является|тоже|также\s+неверн\w*)(?!\w)", re.I
)

Scheme = Literal["positional", "lookalike", "both"]

_PROMPT_LATIN = re.compile(r"(?m)^[ \t>*_-]*\(?([A-J])[).:]\s+\S")
_PROMPT_CYRILLIC = re.compile(r"(?m)^[ \t>*_-]*\(?([АБВГДЕЖЗИК])[).:]\s+\S")
_EVIDENCE_LATIN = re.compile(r"(?<![\w'’-])([B-H])(?![\w'’-])")
_EVIDENCE_POSITIONAL = re.compile(r"(?<![\w'’-])([БГД])(?![\w'’-])(?!\.\s*[А-ЯЁ][а-яё])")  # not initials "Г. Иванов"
_NONE = re.compile(
    r"^[\W_]*(?:none|neither|no\s+(?:correct\s+)?(?:option|answer|choice)|ни\s+один|никакой|никакие|ни\s+одного"
    r"|нет\s+(?:правильного|верного))(?!\w)",
    re.IGNORECASE,
)


def prompt_options(prompt: str) -> tuple[str, bool]:
    """The option letters a prompt lists (as Latin letters), and whether it writes them in Cyrillic."""
    cyr = [m.group(1) for m in _PROMPT_CYRILLIC.finditer(prompt)]
    if len(cyr) >= 2 and cyr[0] == "А" and "Б" in cyr:
        return "".join(sorted({_LATIN[_POSITIONAL.index(c)] for c in cyr})), True
    lat = [m.group(1) for m in _PROMPT_LATIN.finditer(prompt)]
    if len(lat) >= 2 and lat[0] == "A" and "B" in lat:
        return "".join(sorted(set(lat))), False
    return "", False


def scheme(answer: str, prompt: str = "") -> Scheme:
    """How the Cyrillic letters of this answer are read (see the module docstring)."""
    if prompt_options(prompt)[1]:
        return "positional"
    positional = bool(_EVIDENCE_POSITIONAL.search(answer))
    latin = bool(_EVIDENCE_LATIN.search(answer))
    if positional and not latin:
        return "positional"
    if latin and not positional:
        return "lookalike"
    return "both"


def readings(letter: str, how: Scheme, options: str = "") -> tuple[str, ...]:
    """The Latin option letters a written letter can mean."""
    up = letter.upper().replace("Ё", "Е")
    if "A" <= up <= "Z":
        found: list[str] = [up]
    else:
        # by position only А–Д (A–E) unless the prompt lists more options: Е is E, not F
        pos = _LATIN[_POSITIONAL.index(up)] if up in _POSITIONAL[: max(5, len(options))] else None
        look = _LOOKALIKE.get(up)
        if how == "positional":
            found = [x for x in (pos or look,) if x]
        elif how == "lookalike":
            found = [x for x in (look or pos,) if x]
        else:
            found = [x for x in (look, pos) if x]
    if options:
        kept = [x for x in found if x in options]
        found = kept or found
    return tuple(dict.fromkeys(found))


_L = "A-Za-zА-ЯЁа-яё"
_MARKED = re.compile(
    rf"\(\s*(?P<a>[{_L}])\s*\)"  # (B)
    rf"|(?<![\w(])(?P<b>[{_L}])\)"  # B)
    rf"|\*\*(?P<c>[{_L}])\*\*"  # **B**
    rf"|(?<![\w.])(?P<d>[A-ZА-ЯЁ])[.:](?=\s|\*|$)"  # B.  B:
)
_STANDALONE = re.compile(r"(?<![\w'’-])([A-ZА-ЯЁ])(?![\w'’-])")
_ONLY_LETTER = re.compile(
    rf"^[\s*_«\"“]*(?:вариант|option|choice)?\s*(?:[(\[]\s*)?([{_L}])\s*[)\].:]?[\s*_»\"”.]*$", re.IGNORECASE
)
_ARTICLE_VERBS = re.compile(r"\s+(?:is|was|gives|and|or|fits|matches|follows|contradicts|because|since|—|-)(?!\w)")


def find_letters(text: str, how: Scheme = "both", options: str = "") -> list[Mention]:
    """Every option letter of a segment, in order, as `Mention`s with their Latin readings."""
    if m := _ONLY_LETTER.match(text):
        read = readings(m.group(1), how, options)
        return [Mention(m.start(1), m.end(1), m.group(1), read)] if read else []
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in _MARKED.finditer(text):
        letter = next(g for g in m.groups() if g)
        if letter.islower() and text[: m.start()].strip(' *_«"“('):
            continue  # "b)" marks an option only at the start: "(len(values) - k)" does not
        if "A" <= letter.upper() <= "Z" and letter.upper() not in (options or _LATIN):
            continue
        if read := readings(letter, how, options):
            out.append(Mention(m.start(), m.end(), m.group().strip(), read))
            taken.append((m.start(), m.end()))
    for m in _STANDALONE.finditer(text):
        if any(s <= m.start() < e for s, e in taken) or not _is_option(text, m, options):
            continue
        if read := readings(m.group(1), how, options):
            out.append(Mention(m.start(), m.end(), m.group(1), read))
    return sorted(out, key=lambda x: x.start)


def _is_option(text: str, m: re.Match[str], options: str) -> bool:
    letter, after = m.group(1), text[m.end() :]
    before = text[max(0, m.start() - 20) : m.start()]
    named = re.search(r"(?:вариант\w*|option|choice|пункт|ответ\w*|answer)\s*[*_«\"“]*$", before, re.IGNORECASE)
    if named:
        return True
    if letter in _WORD_LETTERS and re.match(r"\s+[а-яё]", after) and not _OPTION_FOLLOWERS.match(after):
        return False  # "В случае", "А также", "С учётом"
    if letter in "AI" and re.match(r"\s+[a-z]", after) and not _ARTICLE_VERBS.match(after):
        return False  # the article "A", the pronoun "I"
    if options and "A" <= letter <= "Z" and letter not in options:
        return False
    return "A" <= letter <= "J" or letter in _POSITIONAL or letter in _LOOKALIKE


def names_no_option(text: str) -> bool:
    """The segment says explicitly that no option is right: `none of them`, `ни один`."""
    return bool(_NONE.match(text))
