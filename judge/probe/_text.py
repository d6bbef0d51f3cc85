"""Text helpers shared by the corruption operators: the parts of a text no operator may touch
(code, math, URLs, reasoning blocks, the final answer line), edit sites, and applying them.

An operator finds every place where its error could go (a `Site`: a span and its replacement),
then `corrupt` picks `dose` of them with the caller's rng and rewrites the text once, so that the
edits never overlap and the notes come out in text order.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass

from judge.probe.operators import Corruption

__all__ = [
    "ANSWER_LINE",
    "Line",
    "Site",
    "corrupt",
    "is_free",
    "lines",
    "match_case",
    "pick",
    "protected_spans",
    "quote",
    "rewrite",
    "wordset",
]

# The fence rule of `judge.checks.text.split_fences`, restated here because the operators need
# character offsets, which split_fences does not give.
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1)[^\n])+?\1")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.[^\s/]+\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\$(?=\S)[^$\n]*?(?<=\S)\$(?![0-9])", re.DOTALL)
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,300}>")

ANSWER_LINE = re.compile(
    r"^[ \t>#*_•-]*(?:(?:итоговый|окончательный|правильный|final|correct)\s+)?(?:ответ|answer)[ \t*_]*[:：—–-]"
    r"[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
"""A final answer line, `Ответ: 12` / `**Answer:** 12` (the convention of the data set's prompts);
a narrower rule than `check:answer`'s, on purpose: an operator must not mistake prose for it."""


@dataclass(frozen=True)
class Site:
    """One possible edit: replace text[start:end] by `new`; `note` describes it for the report."""

    start: int
    end: int
    new: str
    note: str


@dataclass(frozen=True)
class Line:
    """A line of a text with its offset; `code` for fence lines and lines inside a code fence."""

    start: int
    text: str
    code: bool

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def lines(text: str) -> list[Line]:
    """The lines of `text` (without their line breaks) with offsets, code fences marked."""
    out: list[Line] = []
    fence: str | None = None
    pos = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
        m = _FENCE.match(line)
        if fence is None:
            code = bool(m)
            if m:
                fence = m.group(1)
        else:
            code = True
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip(" \t`~"):
                fence = None
        out.append(Line(pos, line, code))
        pos += len(raw)
    return out


def protected_spans(text: str, answer_lines: bool = True) -> list[tuple[int, int]]:
    """Sorted, merged spans no operator edits: code (fenced and inline), math, URLs, e-mail
    addresses, HTML tags, `<think>` blocks and (unless `answer_lines` is False) answer lines."""
    spans = [(ln.start, ln.end) for ln in lines(text) if ln.code]
    for rx in (_INLINE_CODE, _URL, _EMAIL, _MATH, _THINK, _HTML_TAG):
        spans += [m.span() for m in rx.finditer(text)]
    if answer_lines:
        spans += [m.span() for m in ANSWER_LINE.finditer(text)]
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def is_free(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """True when [start, end) overlaps none of the sorted, merged `spans`."""
    i = bisect.bisect_right(spans, (start, float("inf"))) - 1
    if i >= 0 and spans[i][1] > start:
        return False
    return not (i + 1 < len(spans) and spans[i + 1][0] < end)


def wordset(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (long word lists read better so)."""
    return frozenset(words.split())


def match_case(template: str, word: str) -> str:
    """`word` with the capitalisation of `template` (all caps, Capitalised, or as is)."""
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def quote(text: str, limit: int = 60) -> str:
    """A short «quoted» excerpt for an edit note."""
    text = " ".join(text.split())
    return "«" + (text if len(text) <= limit else text[: limit - 1] + "…") + "»"


def pick(sites: list[Site], dose: int, rng: random.Random, fallback: list[Site] | None = None) -> list[Site]:
    """Up to `dose` non-overlapping sites chosen by `rng` (from `fallback` only when `sites` run
    out), in text order."""
    order = list(sites)
    rng.shuffle(order)
    rest = list(fallback or [])
    rng.shuffle(rest)
    taken: list[Site] = []
    for s in order + rest:
        if len(taken) == dose:
            break
        if all(s.end <= t.start or s.start >= t.end for t in taken):
            taken.append(s)
    return sorted(taken, key=lambda s: s.start)


def rewrite(text: str, sites: list[Site]) -> str:
    """`text` with the non-overlapping `sites` applied."""
    out, pos = [], 0
    for s in sorted(sites, key=lambda s: s.start):
        out += [text[pos : s.start], s.new]
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def corrupt(
    text: str, sites: list[Site], dose: int, rng: random.Random, fallback: list[Site] | None = None
) -> Corruption | None:
    """Apply up to `dose` of `sites` (chosen by `rng`), then of `fallback` when `sites` run out;
    None when there is nothing to change."""
    sites = [s for s in sites if text[s.start : s.end] != s.new]
    rest = [s for s in fallback or [] if text[s.start : s.end] != s.new]
    chosen = pick(sites, dose, rng, rest)
    if not chosen:
        return None
    new = rewrite(text, chosen)
    return Corruption(new, [s.note for s in chosen]) if new != text else None
