"""Numbers in an answer, written the ways both languages write them.

Digits (`parse_numbers`):

- a decimal point or a decimal comma: `3.14`, `3,14`;
- thousands grouped by spaces (also no-break, thin and narrow no-break spaces): `1 234 567,5`;
- thousands grouped by commas when unambiguous: two or more groups (`1,234,567`) or an English
  decimal point after them (`1,234.5`); likewise dots with a decimal comma (`1.234,5`, `1.234.567`);
- a single comma followed by exactly three digits (`1,234`) is ambiguous: it is read as a decimal
  comma (1.234, the Russian reading) and the thousands reading (1234) is accepted too;
- a leading `-`, `−` (U+2212) or `–` is a minus unless it follows a letter or digit (`3-4` is two
  numbers); `%` is ignored; `a/b` and LaTeX `\\frac{a}{b}` are fractions; `\\boxed{…}`, `$…$`,
  `{,}` and LaTeX thin spaces are understood.

`find_numbers` also reads, for `check:answer`:

- scale words after digits: `4 тыс.` = 4000, `1,5 млн`, `2 млрд`, `3 thousand`; the unscaled value
  is accepted too (`2,8 млрд` answers a question asked in billions);
- a percentage is also read as a fraction: `25%` answers 25 and 0.25;
- rubles and kopecks, dollars and cents: `385 руб. 20 коп.` = 385.20; currency signs and words
  (`₽`, `$`, `руб.`, `USD`, `долларов`) around a number do not matter;
- numbers in words, Russian and English (`numwords`);
- an expression the check cannot evaluate (`π/2`, `2√3`, `10^17`, `\\frac{\\pi}{2}`) is one opaque
  value, never the digits inside it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .claims import Mention
from .numwords import find_word_numbers

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


def _tex_numbers(text: str) -> str:
    text = text.replace("{,}", ",").replace("{.}", ".")
    text = _TEX_SPACE.sub(" ", text)
    return _FRAC.sub(lambda m: f"{m.group(1).replace(' ', '')}/{m.group(2)}", text)


def _read(m: re.Match[str]) -> ParsedNumber:
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
    return ParsedNumber(m.group(0), value, alt)


def parse_numbers(text: str) -> list[ParsedNumber]:
    """Every number written in digits in `text`, in order (see the module docstring for the rules)."""
    return [_read(m) for m in _NUMBER.finditer(_tex_numbers(text))]


# ---------------------------------------------------------------------------------------------
# Preparing a segment: LaTeX and markup reduced to plain text the readers understand

_OPAQUE_OPEN, _OPAQUE_CLOSE = "⟦", "⟧"
_TO_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_FROM_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_ANY_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_TEX_WRAPPERS = re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname|boxed|textit|mathit)\s*\{([^{}]*)\}")
_TEX_SYMBOLS = {
    "\\cdot": " · ", "\\times": " × ", "\\div": " ÷ ", "\\approx": " ≈ ", "\\pi": "π", "\\sqrt": "√", "\\pm": "±",
    "\\infty": "∞", "\\%": "%", "\\$": "$", "\\left": "", "\\right": "", "\\(": " ", "\\)": " ", "\\[": " ", "\\]": " ",
}  # fmt: skip
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_GLUED_CURRENCY = re.compile(r"(?<![A-Za-z])(USD|EUR|RUB|US\$|руб\.?|р\.)(?=[0-9])")


def prepare(text: str) -> str:
    """Plain text for the readers: `\\frac{3}{4}` -> `3/4`, `\\text{ or }` -> ` or `, `$` and LaTeX
    commands dropped; a fraction with a non-numeric part becomes one opaque `⟦…⟧` value."""
    text = _GLUED_CURRENCY.sub(r"\1 ", _tex_numbers(text))
    for _ in range(3):  # nested wrappers: \boxed{\text{12}}
        text = _TEX_WRAPPERS.sub(r"\1", text)
    text = _ANY_FRAC.sub(
        lambda m: _OPAQUE_OPEN + f"{m.group(1)}/{m.group(2)}".translate(_TO_FULLWIDTH) + _OPAQUE_CLOSE, text
    )
    for tex, plain in _TEX_SYMBOLS.items():
        text = text.replace(tex, plain)
    return _TEX_COMMAND.sub(" ", text).replace("$", "").replace("{", "").replace("}", "")


# ---------------------------------------------------------------------------------------------
# Numbers of an answer segment

_SCALE = re.compile(
    r"^\s*(?:(?P<k>тыс\.?|тысяч\w*|thousand)|(?P<m>млн\.?|миллион\w*|million|mln)|(?P<b>млрд\.?|миллиард\w*|billion|bn)"
    r"|(?P<t>трлн\.?|триллион\w*|trillion))(?!\w)",
    re.IGNORECASE,
)
_SCALES = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_SUBUNIT = re.compile(
    r"^\s*(?:руб\w*\.?|р\.|₽|dollars?|долл\w*\.?|\$)\s*(?:and\s+|и\s+)?(?P<sub>[0-9]{1,2})\s*(?:коп\w*\.?|к\.|cents?|цент\w*|¢)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"^\s?%")
_SPACED_FRACTION = re.compile(r"^\s+/\s+([0-9]+)(?![0-9.,])")
_TIME = re.compile(r"(?<![\w.,:])[0-9]{1,2}:[0-9]{2}(?![0-9])")
# what makes a number part of an expression: a variable or symbol glued to it, a power, a root
_GLUED_AFTER = re.compile(r"^(?:[π√^∞]|[a-zA-Z](?![a-zA-Z])|\s*[/^]\s*[^\s0-9.,]|⟦)")
_GLUED_BEFORE = re.compile(r"(?:[π√^±∞_]|[^\s0-9)]\s*/\s*|\)\s*/\s*)$")


_IDENTIFIER_BEFORE = re.compile(r"[^\W\d_]-$")


def _expression_end(text: str, pos: int) -> int:
    m = re.match(r"[^\s,;]*", text[pos:])
    return pos + (m.end() if m else 0)


def _expression_start(text: str, pos: int) -> int:
    """Back over the expression a number belongs to: `π/2`, `√5` (only through symbols and letters, so
    that `cos^1` keeps its name but `4 / π` does not swallow the words before it)."""
    while pos > 0 and not text[pos - 1].isspace() and text[pos - 1] not in ",;(":
        pos -= 1
    return pos


def find_numbers(text: str) -> list[Mention]:
    """Every number of a prepared segment (`prepare`), in order, as `Mention`s with their readings."""
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in re.finditer(re.escape(_OPAQUE_OPEN) + r"[^⟧]*" + re.escape(_OPAQUE_CLOSE), text):
        shown = m.group()[1:-1].translate(_FROM_FULLWIDTH)
        out.append(Mention(m.start(), m.end(), shown, ()))
        taken.append((m.start(), m.end()))
    for m in _TIME.finditer(text):
        out.append(Mention(m.start(), m.end(), m.group(), ()))
        taken.append((m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        num = _read(m)
        start, end = m.start(), m.end()
        if _IDENTIFIER_BEFORE.search(text[max(0, start - 2) : start]):
            continue  # "PDP-1", "COVID-19", "Аполлон-11": part of a name
        if _GLUED_AFTER.match(text[end:]) or _GLUED_BEFORE.search(text[max(0, start - 12) : start]):
            start = _expression_start(text, start)
            end = _expression_end(text, end)
            out.append(Mention(start, end, text[start:end], ()))
            taken.append((start, end))
            continue
        readings = [num.value] + ([num.alt] if num.alt is not None else [])
        if (sub := _SUBUNIT.match(text[end:])) and num.alt is None and num.value.is_integer():
            readings = [num.value + (1 if num.value >= 0 else -1) * int(sub.group("sub")) / 100]
            end += sub.end()
        elif scale := _SCALE.match(text[end:]):
            factor = _SCALES[next(k for k, v in scale.groupdict().items() if v)]
            readings = [r * factor for r in readings] + readings
            end += scale.end()
        elif (den := _SPACED_FRACTION.match(text[end:])) and int(den.group(1)) and m.group("den") is None:
            readings = [r / int(den.group(1)) for r in readings]
            end += den.end()
        elif pct := _PERCENT.match(text[end:]):
            readings += [r / 100 for r in readings]  # 25 % answers a question asked as 0.25 too
            end += pct.end()
        out.append(Mention(start, end, text[start:end].strip(), tuple(readings)))
        taken.append((start, end))
    for w in find_word_numbers(text, taken):
        readings = [w.value]
        end = w.end
        if (scale := _SCALE.match(text[end:])) and w.value < 1000:  # "две тыс.": words with an abbreviation
            readings = [w.value * _SCALES[next(k for k, v in scale.groupdict().items() if v)], w.value]
            end += scale.end()
        out.append(Mention(w.start, end, text[w.start : end], tuple(readings)))
    return sorted(out, key=lambda x: x.start)


def fmt(value: float) -> str:
    """`42` for integral values, else the shortest float repr."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(float(value))


def show(m: Mention) -> str:
    """A mention for a detail: `41`, `1 234,5 (= 1234.5)`, `четыре тысячи (= 4000)`, `π/2`."""
    if m.opaque:
        return m.text
    nums = [r for r in m.readings if isinstance(r, float)]
    read = " or ".join(fmt(r) for r in nums)
    return m.text if m.text.replace("\u2212", "-") == read else f"{m.text} (= {read})"
