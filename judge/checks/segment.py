"""Where the final answer is: the answer line, a `\\boxed{}`, or the concluding sentences.

The convention shared with the dataset authors: a prompt with a number, exact or choice answer asks
the model to finish with a line `Ответ: …` (Russian) or `Answer: …` (English). Models do not always
comply, so `answer_segment` looks, in order, for

1. the last answer line: `Ответ: 12`, `**Answer:** 12`, `Ответ — 12`, `Answer - 12`, `Итак, ответ: 12`,
   `Итак, ответ 12`, `The answer is 12`, `ответ на задачу … равен 12`, or a bare `## Ответ` heading
   with the value on the next line (a `\\boxed{}` in it is unwrapped);
2. else the last `\\boxed{…}` of the text;
3. else the last paragraph of prose (closing pleasantries such as `Надеюсь, это поможет!` left out):
   its concluding sentences (`Таким образом, …`, `Итак, …`, `Therefore, …`, `Всего …`) when there
   are any (source `conclusion`), else all its sentences (source `last line`).

Lines inside code fences and `<think>` blocks are never read.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from .numwords import find_word_numbers
from .text import is_fence_line, split_fences, strip_think

_LEAD = r"^[\s>#*_•«\"“„-]*(?:\d{1,2}[.)]\s+)?"
_INTRO = (
    r"(?:(?:итак|таким\s+образом|значит|следовательно|поэтому|в\s+итоге|в\s+результате|so|thus|therefore|hence"
    r"|finally|in\s+conclusion|in\s+summary|overall)[\s,:]+)?"
)
_KEYWORD = (
    r"(?:(?:the\s+|my\s+|our\s+)?(?:(?:final|correct|right)\s+)?answer|(?:окончательный|итоговый|правильный|верный"
    r"|финальный|мой)\s+ответ|ответом|ответ)(?!\w)"
)
# "Ответ на вопрос: 12", "The answer to the puzzle is 12", "ответ на задачу 35 - 33 равен 68": a short
# complement after the keyword (words only before a colon or dash, so that "35 - 33" is no separator)
_TO_WORDS = r"(?:\s+(?:на|to|for)(?:\s+[^\s:：=—–\d-]+){1,3})?"
_TO_ANY = r"(?:\s+(?:на|to|for)(?:\s+[^\s:：=]+){1,6})?"
_SEP = (
    r"(?:" + _TO_WORDS + r"[\s*_]*(?P<colon>[:：])"
    r"|" + _TO_WORDS + r"(?P<dash>\s*[—–]|\s+-(?=\s)|[*_]+\s*[—–-])"
    r"|" + _TO_ANY + r"\s+(?P<verb>is|was|will\s+be|would\s+be|равен|равна|равно|будет|является|составляет)(?!\w)"
    r"|(?P<space>\s+))"
)
_ANSWER_LINE = re.compile(_LEAD + _INTRO + _KEYWORD + r"[*_]*" + _SEP + r"[\s*_:]*(?P<rest>.*)", re.IGNORECASE)
# "## Ответ" or "**Answer**" alone on a line: the answer is on the next line.
_ANSWER_HEADING = re.compile(_LEAD + _KEYWORD + r"[\s*_:：]*$", re.IGNORECASE)
_VALUE_START = re.compile(r"[-−+]?[0-9]|[$€₽\\*(«\"`]|[A-ZА-ЯЁ](?![\w])")
_LABEL = re.compile(r"^\d+\s*[:.)]\s+\S")  # "Ответ 2: …" numbers answers, it does not give one
_BOXED = re.compile(r"\\boxed\s*\{")

_CLOSER = re.compile(
    r"^[\s>*_]*(?:надеюсь|если\s+у\s+вас|если\s+есть|если\s+остались|не\s+стесняйтесь|удачи|обращайтесь|дайте\s+знать"
    r"|hope\s+this|i\s+hope|let\s+me\s+know|feel\s+free|good\s+luck|if\s+you\s+have|happy\s+to\s+help)",
    re.IGNORECASE,
)
_MARKER = re.compile(
    r"^[\s>*_•-]*(?:итак|таким\s+образом|следовательно|значит|поэтому|в\s+итоге|в\s+результате|итого|всего|в\s+общей"
    r"\s+сложности|получаем|получается|therefore|thus|so|hence|in\s+total|overall|altogether|as\s+a\s+result"
    r"|in\s+conclusion|finally)(?!\w)",
    re.IGNORECASE,
)
# A sentence ends at . ! ? … followed by a space and a capital letter (or the end): "385 руб. 20 коп." and
# "4 тыс. рублей" stay whole, and so do decimals.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«“(*]*[A-ZА-ЯЁ])")
_MAX_SEGMENT = 2000  # an answer line longer than this is not an answer line worth reading in full

Source = Literal["answer line", "boxed", "conclusion", "last line", "empty"]


class AnswerSegment(NamedTuple):
    """The part of an answer that holds the final answer, and where it was found."""

    text: str
    """The segment (e.g. `42` for the line `**Ответ:** 42`)."""
    line: str
    """The line it came from, for messages."""
    source: Source
    """`answer line`, `boxed` (no answer line, a `\\boxed{}`), `conclusion` (no answer line: the
    concluding sentences of the last paragraph), `last line` (the last paragraph) or `empty`."""
    parts: tuple[str, ...] = ()
    """The sentences to read: of the answer line (the first that names a value is the answer), or the
    concluding sentences, or the sentences of the last paragraph (each read on its own; they must agree)."""


def sentences(text: str) -> list[str]:
    """Split a line into sentences (see `_SENTENCE_END`)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def boxed(text: str) -> list[str]:
    """Contents of every `\\boxed{…}` with balanced braces, in order."""
    starts = [m.end() for m in _BOXED.finditer(text)]
    if not starts:
        return []
    closing: dict[int, int] = {}  # position after each "{" -> position of its "}" (one linear pass)
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "{":
            stack.append(i + 1)
        elif ch == "}" and stack:
            closing[stack.pop()] = i
    return [text[s : closing[s]].strip() for s in starts if s in closing]


def _closer(text: str) -> bool:
    """A closing pleasantry (`Надеюсь, это поможет!`): it starts like one and names no number, so that
    `Если у вас есть данные о 18 планетах, … их восемь` is still read."""
    return bool(_CLOSER.match(text)) and not re.search(r"[0-9]", text) and not find_word_numbers(text[:500])


def _answer_line(line: str) -> str | None:
    """The rest of an answer line after its keyword and separator; None for any other line."""
    m = _ANSWER_LINE.match(line[:_MAX_SEGMENT])
    if m is None:
        return None
    rest = m.group("rest").strip()
    if m.group("space") is not None:
        # "Итак, ответ 12" but not "Answer the question first" or "Ответ 2: для второго случая"
        words = find_word_numbers(rest[:40])
        starts_with_value = bool(_VALUE_START.match(rest)) or (bool(words) and words[0].start == 0)
        if not starts_with_value or _LABEL.match(rest):
            return None
    return rest


def answer_segment(text: str) -> AnswerSegment:
    """Find the final answer (see the module docstring)."""
    text = strip_think(text)
    lines = list(split_fences(text))
    hit: int | None = None
    rest = ""
    for i, (line, in_code) in enumerate(lines):
        if in_code:
            continue
        found = _answer_line(line)
        if found is not None:
            hit, rest = i, found
        elif _ANSWER_HEADING.match(line[:_MAX_SEGMENT]):
            hit, rest = i, ""
    if hit is not None:
        line = lines[hit][0].strip()
        if not rest.strip():
            following = (ln for ln, _ in lines[hit + 1 :] if ln.strip() and not is_fence_line(ln))
            rest = next(following, "").strip()
            line = f"{line} {rest}".strip()
        rest = rest[:_MAX_SEGMENT]
        box = boxed(rest)
        value = box[-1] if box else rest.strip()
        return AnswerSegment(value, line, "answer line", tuple(sentences(value)) or (value,))
    box = boxed(text)
    if box:
        return AnswerSegment(box[-1], f"\\boxed{{{box[-1]}}}", "boxed", (box[-1],))
    prose = [ln.strip() for ln, in_code in lines if ln.strip() and not in_code and not is_fence_line(ln)]
    while len(prose) > 1 and _closer(prose[-1]):
        prose.pop()
    if not prose:
        return AnswerSegment("", "", "empty")
    last = prose[-1][-_MAX_SEGMENT:]
    said = [s for s in sentences(last) if not _closer(s)] or [last]
    concluding = [s for s in said if _MARKER.match(s)]
    if concluding:
        joined = " ".join(concluding)
        return AnswerSegment(joined, joined, "conclusion", tuple(concluding))
    # no concluding sentence: every sentence of the paragraph is read, and the values must agree
    # ("Расстояние — 180 км. Поезд прибудет через 3 часа." does not say which is the answer)
    return AnswerSegment(last, said[-1], "last line", tuple(said))
