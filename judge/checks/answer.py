"""`check:answer`: compare an answer with the item's machine-checkable `AnswerSpec`, without an LLM.

The convention shared with the dataset authors: a prompt with a number, exact or choice answer asks
the model to finish with a line `Ответ: …` (Russian) or `Answer: …` (English). The *answer segment*
is what follows the colon on the last such line (see `answer_segment`).

Numbers (`parse_numbers`) are read the way both languages write them:

- a decimal point or a decimal comma: `3.14`, `3,14`;
- thousands grouped by spaces (also no-break, thin and narrow no-break spaces): `1 234 567,5`;
- thousands grouped by commas when unambiguous: two or more groups (`1,234,567`) or an English
  decimal point after them (`1,234.5`); likewise dots with a decimal comma (`1.234,5`, `1.234.567`);
- a single comma followed by exactly three digits (`1,234`) is ambiguous: it is read as a decimal
  comma (1.234, the Russian reading) and the thousands reading (1234) is accepted too;
- a leading `-`, `−` (U+2212) or `–` is a minus unless it follows a letter or digit (`3-4` is two
  numbers); `%` is ignored; `a/b` and LaTeX `\\frac{a}{b}` are fractions; `\\boxed{…}`, `$…$`,
  `{,}` and LaTeX thin spaces are understood.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from ..dataset import AnswerSpec, Item
from .registry import CheckFn, CheckRow, check
from .text import is_fence_line, shorten, split_fences, strip_think

_KEYWORD = r"(?:final\s+answer|answer|окончательный\s+ответ|итоговый\s+ответ|ответ)"
_LEAD = r"^[\s>#*_•«\"“„-]*"
_ANSWER_LINE = re.compile(_LEAD + _KEYWORD + r"[\s*_]*[:：][\s*_]*(?P<rest>.*)", re.IGNORECASE)
# "## Ответ" or "**Answer**" alone on a line: the answer is on the next line.
_ANSWER_HEADING = re.compile(_LEAD + _KEYWORD + r"[\s*_]*$", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\s*\{")

Source = Literal["answer line", "boxed", "last line", "empty"]


class AnswerSegment(NamedTuple):
    """The part of an answer that holds the final answer, and where it was found."""

    text: str
    """The segment (e.g. `42` for the line `**Ответ:** 42`)."""
    line: str
    """The line it came from, for messages."""
    source: Source
    """`answer line`, `boxed` (no answer line, a `\\boxed{}`), `last line` (fallback) or `empty`."""


def _boxed(text: str) -> list[str]:
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


def answer_segment(text: str) -> AnswerSegment:
    """Find the final answer: the text after the colon on the last `Answer:`/`Ответ:` line.

    The line may start with markdown (`**`, `#`, `>`, `-`, spaces, an opening quote); the keyword is
    one of Answer, Final answer, Ответ, Окончательный ответ, Итоговый ответ (any case, bold allowed,
    `:` or `：`). Lines inside code fences are skipped. When the line has nothing after the colon
    (or is a bare `## Ответ` heading), the next non-empty line is the segment. A `\\boxed{…}` in
    the segment is unwrapped. Without an answer line: the last `\\boxed{…}` of the text, else the
    last non-empty line.
    """
    text = strip_think(text)
    lines = list(split_fences(text))
    hit: int | None = None
    rest = ""
    for i, (line, in_code) in enumerate(lines):
        if in_code:
            continue
        m = _ANSWER_LINE.match(line)
        if m:
            hit, rest = i, m.group("rest").strip()
        elif _ANSWER_HEADING.match(line):
            hit, rest = i, ""
    if hit is not None:
        line = lines[hit][0].strip()
        if not rest.strip():
            following = (ln for ln, _ in lines[hit + 1 :] if ln.strip() and not is_fence_line(ln))
            rest = next(following, "").strip()
            line = f"{line} {rest}".strip()
        boxed = _boxed(rest)
        return AnswerSegment(boxed[-1] if boxed else rest.strip(), line, "answer line")
    boxed = _boxed(text)
    if boxed:
        return AnswerSegment(boxed[-1], f"\\boxed{{{boxed[-1]}}}", "boxed")
    non_empty = [ln.strip() for ln, _ in lines if ln.strip() and not is_fence_line(ln)]
    if non_empty:
        return AnswerSegment(non_empty[-1], non_empty[-1], "last line")
    return AnswerSegment("", "", "empty")


# ---------------------------------------------------------------------------------------------
# Numbers

_SP = "[ \u00a0\u2007\u2009\u202f]"
_NUMBER = re.compile(
    rf"""
    (?<![\w.,])
    (?P<sign>[-\u2212\u2012\u2013](?=[0-9]))?
    (?:
        (?P<space>[0-9]{{1,3}}(?:{_SP}[0-9]{{3}})+)(?:[.,](?P<space_frac>[0-9]+))?
      | (?P<comma>[0-9]{{1,3}}(?:,[0-9]{{3}})+)\.(?P<comma_frac>[0-9]+)
      | (?P<commas>[0-9]{{1,3}}(?:,[0-9]{{3}}){{2,}})
      | (?P<dot>[0-9]{{1,3}}(?:\.[0-9]{{3}})+),(?P<dot_frac>[0-9]+)
      | (?P<dots>[0-9]{{1,3}}(?:\.[0-9]{{3}}){{2,}})
      | (?P<plain>[0-9]+)(?:(?P<sep>[.,])(?P<frac>[0-9]+))?
    )
    (?![0-9])
    (?:/(?P<den>[0-9]+)(?![0-9.,]?[0-9]))?
    """,
    re.VERBOSE,
)
_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*([-\u2212]?\s*[0-9][0-9.,]*)\s*\}\s*\{\s*([0-9][0-9.,]*)\s*\}")
_TEX_SPACE = re.compile(r"(?<=[0-9])(?:\\[,;:! ]|~|\\thinspace\s*)(?=[0-9])")


class ParsedNumber(NamedTuple):
    """A number found in text."""

    text: str
    """As written, e.g. `1 234,5`."""
    value: float
    """The value read by the rules of the module docstring."""
    alt: float | None = None
    """The other reading of an ambiguous `1,234` (the thousands one), else None."""


def parse_numbers(text: str) -> list[ParsedNumber]:
    """Every number in `text`, in order (see the module docstring for the rules)."""
    text = text.replace("{,}", ",").replace("{.}", ".")
    text = _TEX_SPACE.sub(" ", text)
    text = _FRAC.sub(lambda m: f"{m.group(1).replace(' ', '')}/{m.group(2)}", text)
    out = []
    for m in _NUMBER.finditer(text):
        g = m.groupdict()
        alt: float | None = None
        if g["space"]:
            digits = re.sub(_SP, "", g["space"]) + "." + (g["space_frac"] or "0")
        elif g["comma"]:
            digits = g["comma"].replace(",", "") + "." + g["comma_frac"]
        elif g["commas"]:
            digits = g["commas"].replace(",", "")
        elif g["dot"]:
            digits = g["dot"].replace(".", "") + "." + g["dot_frac"]
        elif g["dots"]:
            digits = g["dots"].replace(".", "")
        else:
            digits = g["plain"] + "." + (g["frac"] or "0")
            if g["sep"] == "," and len(g["frac"]) == 3 and len(g["plain"]) <= 3 and not g["plain"].startswith("0"):
                alt = float(g["plain"] + g["frac"])
        value = float(digits)
        if g["den"] and int(g["den"]) != 0:
            value /= int(g["den"])
            alt = None if alt is None else alt / int(g["den"])
        if g["sign"]:
            value, alt = -value, (None if alt is None else -alt)
        out.append(ParsedNumber(m.group(0), value, alt))
    return out


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(float(value))


def _show(num: ParsedNumber) -> str:
    read = _fmt(num.value) + ("" if num.alt is None else f" or {_fmt(num.alt)}")
    return num.text if num.alt is None and num.text.replace("\u2212", "-") == read else f"{num.text} (= {read})"


# ---------------------------------------------------------------------------------------------
# Exact strings and choices

_QUOTES_MARKUP = re.compile(r"[«»“”„‟\"'`‘’‚‹›*_]")
_TRAILING = ".,;:!?…"
_DASHES = str.maketrans("\u2010\u2011\u2012\u2013\u2212", "-----")


def normalize_exact(text: str) -> str:
    """Casefold, ё→е, minus signs and en dashes→`-`, drop quotes and markdown `*_`, collapse
    whitespace (no-break and thin spaces too), drop trailing punctuation `.,;:!?…`."""
    text = text.casefold().replace("ё", "е").translate(_DASHES)
    text = _QUOTES_MARKUP.sub("", text)
    text = " ".join(text.split())
    return text.rstrip(_TRAILING + " ")


_LOOKALIKES = str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")
_LETTER = "A-Za-zА-ЯЁ"
_MARKED = re.compile(
    rf"\(\s*([{_LETTER}])\s*\)"  # (B)
    rf"|(?<![\w(])([{_LETTER}])\)"  # B)
    rf"|\*\*([{_LETTER}])\*\*"  # **B**
    rf"|(?<![\w.])([A-ZА-ЯЁ])[.:](?=\s|\*|$)"  # B.  B:
)
_STANDALONE_LATIN = re.compile(r"(?<![\w])([A-Z])(?![\w])")
_STANDALONE_CYRILLIC = re.compile(r"(?<![\w])([А-ЯЁ])(?![\w])")
_ONLY_LETTER = re.compile(rf"^(?:вариант|option|choice)?\s*(?:[(\[]\s*)?([{_LETTER}])\s*[)\].:]?$", re.IGNORECASE)


def find_choice(segment: str) -> str | None:
    """The option letter in an answer segment, upper case, Cyrillic look-alikes (А В С Е) mapped to Latin.

    In order of preference: the segment is just a letter (`B`, `(b)`, `вариант В`); the first
    marked letter (`(B)`, `B)`, `**B**`, `B.`); the first standalone Latin capital; the first
    standalone Cyrillic capital (so a sentence-initial Russian `В`/`С` loses to a Latin letter).
    """
    bare = _QUOTES_MARKUP.sub("", segment).strip().rstrip(_TRAILING + " ")
    found = None
    if m := _ONLY_LETTER.match(bare):
        found = m.group(1)
    elif m := _MARKED.search(segment):
        found = next(g for g in m.groups() if g)
    elif m := _STANDALONE_LATIN.search(segment) or _STANDALONE_CYRILLIC.search(segment):
        found = m.group(1)
    return None if found is None else found.upper().translate(_LOOKALIKES)


# ---------------------------------------------------------------------------------------------
# The check


def _row(passed: bool, detail: str) -> list[CheckRow]:
    return [CheckRow(criterion="correct", score=1.0 if passed else 0.0, passed=passed, detail=detail)]


def _where(seg: AnswerSegment) -> str:
    return f"in '{shorten(seg.line)}'"


def _check_number(spec: AnswerSpec, text: str, seg: AnswerSegment) -> list[CheckRow]:
    expected = float(spec.value)
    exp = _fmt(expected) + (f" ± {_fmt(spec.tolerance)}" if spec.tolerance else "")
    if seg.source == "last line":
        nums = parse_numbers(text)
        found = nums[-1] if nums else None
        where = "as the last number of the text (no answer line)"
    else:
        nums = parse_numbers(seg.text)
        found = nums[0] if nums else None
        where = _where(seg)
    if found is None:
        return _row(False, f"expected {exp}, no number {where}")
    limit = spec.tolerance + 1e-9
    ok = any(v is not None and abs(v - expected) <= limit for v in (found.value, found.alt))
    return _row(ok, f"expected {exp}, found {_show(found)} {where}")


def _check_exact(spec: AnswerSpec, seg: AnswerSegment) -> list[CheckRow]:
    want, got = normalize_exact(str(spec.value)), normalize_exact(seg.text)
    ok = want == got or bool(want and re.search(rf"(?<!\w){re.escape(want)}(?!\w)", got))
    return _row(ok, f"expected {str(spec.value)!r}, {'found' if ok else 'got'} {shorten(seg.text)!r} {_where(seg)}")


def _check_choice(spec: AnswerSpec, seg: AnswerSegment) -> list[CheckRow]:
    want = str(spec.value).upper().translate(_LOOKALIKES)
    got = find_choice(seg.text)
    if got is None:
        return _row(False, f"expected {want}, no option letter {_where(seg)}")
    return _row(got == want, f"expected {want}, found {got} {_where(seg)}")


def _check_regex(spec: AnswerSpec, text: str) -> list[CheckRow]:
    pattern = str(spec.value)
    try:
        m = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
    except re.error as e:  # validated by AnswerSpec; kept so that odd input never raises
        return [CheckRow(criterion="correct", score=None, passed=None, detail=f"invalid regex /{pattern}/: {e}")]
    if m is None:
        return _row(False, f"no match for /{shorten(pattern, 60)}/")
    return _row(True, f"/{shorten(pattern, 60)}/ matched {shorten(m.group(0), 60)!r}")


@check("answer")
def answer() -> CheckFn:
    """Check the final answer against `item.answer` (number, exact, choice or regex); criterion `correct`."""

    def run(item: Item, answer_text: str) -> list[CheckRow]:
        spec = item.answer
        if spec is None:
            return []
        text = strip_think(answer_text or "")
        if not text.strip():
            return _row(False, "empty answer")
        if spec.type == "regex":
            return _check_regex(spec, text)
        seg = answer_segment(text)
        if spec.type == "number":
            return _check_number(spec, text, seg)
        if spec.type == "exact":
            return _check_exact(spec, seg)
        return _check_choice(spec, seg)

    return run
