"""Text helpers shared by the checks: code fences and the parts that are not prose.

`strip_think` is the model package's one `<think>` splitter, re-exported for the checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from judge.model.reasoning import strip_think

_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")

_INLINE_CODE = re.compile(r"(`+)(?:(?!\1)[^\n])+?\1")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.[^\s/]+\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Inline math $…$ (pandoc's rule: no space just inside the dollars and no digit right after the
# closing one, so "$5 and $10" is not math). Display math is cut by `_cut_delimited`.
_INLINE_MATH = re.compile(r"\$(?=\S)[^$\n]*?(?<=\S)\$(?![0-9])")
_MATH_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"))
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,300}>")


def split_fences(text: str) -> Iterator[tuple[str, bool]]:
    """Yield `(line, in_code)` for every line; fence lines and lines inside fences are code.

    A fence opens with three or more backticks or tildes and closes with a line of at least as
    many of the same character; an unclosed fence runs to the end of the text.
    """
    fence: str | None = None
    for line in text.splitlines():
        m = _FENCE_OPEN.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                yield line, True
            else:
                yield line, False
        else:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip(" \t`~"):
                fence = None
            yield line, True


def is_fence_line(line: str) -> bool:
    """True for a line that opens or closes a code fence."""
    return bool(_FENCE_OPEN.match(line))


def _cut_delimited(text: str, opening: str, closing: str) -> str:
    """Replace every `opening…closing` span by a space, in linear time (a lazy regex is quadratic
    on many unclosed openings); an unclosed opening is kept as text."""
    out, pos = [], 0
    while (start := text.find(opening, pos)) != -1:
        end = text.find(closing, start + len(opening))
        if end == -1:
            break
        out.append(text[pos:start] + " ")
        pos = end + len(closing)
    out.append(text[pos:])
    return "".join(out)


def prose(text: str) -> str:
    """The prose of an answer: without reasoning blocks, code (fenced and inline), math, URLs,
    e-mail addresses, HTML tags and LaTeX commands. Used to judge the language of the answer."""
    text = strip_think(text)
    text = "\n".join(line for line, in_code in split_fences(text) if not in_code)
    text = _INLINE_CODE.sub(" ", text)
    for opening, closing in _MATH_DELIMITERS:
        text = _cut_delimited(text, opening, closing)
    text = _INLINE_MATH.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    return _LATEX_COMMAND.sub(" ", text)


def shorten(text: str, limit: int = 80) -> str:
    """One line of at most `limit` characters, for the detail of a criterion row."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
