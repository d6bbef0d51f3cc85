"""Which of the values named in an answer is the one the model stands by.

An answer segment (`Ответ: 12, а не 15`, `Всего 3 коробки по 4 = 12`, `D (не B)`) names several
values; `pick` decides which one is the answer, or says that it cannot. The values themselves
(numbers, option letters) are found by other modules and handed over as `Mention`s. The rules:

1. Not candidates: arguments of a call (`f(4)`), remarks in brackets after a candidate (`12 (3 по 4)`,
   `D (не B)`), and values the text names to reject: after `не/not/а не/rather than/вместо/ни`
   (`X, а не Y`, `not Y but X`) or before `неверно/wrong` (`A и B неверны`).
2. Pointers say which candidate is the answer: the value after an `=` (the last one of a chain:
   `3 по 4 = 12`), after a result word (`получаем`, `равно`, `итого`, `is`, `total`), before `in
   total/всего`, in bold, or leading the segment (`12 яблок, потому что …`). A pointer at an operand
   (`12 × 4 = 48`, `будет 9 * 2`) or to the left of an `=` in its clause is superseded.
3. All pointers must agree; disagreeing pointers leave the answer undecided (`ambiguous`).
   Without pointers, one distinct candidate value is the answer; several are undecided.
4. A hedge is two different candidates joined by `или/or/либо` (`12 или 15`, `A or B`, `12 (или 15)`):
   it is reported, never read as either value. Two values in different units (`12 часов или 720
   минут`) are a restatement, not a hedge: undecided. A range (`3–4`, `от 3 до 4`) is reported
   as such; option letters joined by `и/and` (`A и C`) as several options.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Literal

from . import cues

Reading = float | str


@dataclass(frozen=True)
class Mention:
    """A value named in the text: a number or an option letter, with its possible readings."""

    start: int
    end: int
    text: str
    readings: tuple[Reading, ...]
    """Every reading of what is written (`1,234` is 1.234 or 1234; Cyrillic `В` is B or C); empty for
    an expression the check cannot evaluate (`π/2`, `2√3`)."""

    @property
    def opaque(self) -> bool:
        return not self.readings


Status = Literal["found", "hedged", "range", "several", "ambiguous", "none"]


@dataclass(frozen=True)
class Pick:
    """The outcome of `pick`."""

    status: Status
    mention: Mention | None = None
    """The answer (`found`); for the other statuses the first of `others`."""
    others: tuple[Mention, ...] = ()
    """The competing values (`hedged`, `range`, `several`, `ambiguous`)."""
    rejected: tuple[Mention, ...] = field(default=())
    """Values the text names only to reject them."""
    note: str = ""
    """Why the answer is undecided (`ambiguous`)."""


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def _groups(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Balanced `(…)` and `[…]` groups outside mentions, as (position of the opener, of the closer)."""
    out, stack = [], []
    for i, ch in enumerate(text):
        if ch in "([" and not _inside(i, spans):
            stack.append(i)
        elif ch in ")]" and stack and not _inside(i, spans):
            out.append((stack.pop(), i))
    return sorted(out)


class _Part:
    """One segment under analysis: its text, mentions, clauses and bracket groups."""

    def __init__(self, text: str, mentions: list[Mention]) -> None:
        self.text = text
        self.all = sorted(mentions, key=lambda m: m.start)
        spans = [(m.start, m.end) for m in self.all]
        self.bounds = [b.start() for b in cues.BOUNDARY.finditer(text) if not _inside(b.start(), spans)]
        self.groups = _groups(text, spans)

    def clause(self, pos: int) -> int:
        return bisect_left(self.bounds, pos)

    def clause_start(self, pos: int) -> int:
        k = bisect_left(self.bounds, pos)
        return self.bounds[k - 1] + 1 if k else 0

    def same_clause(self, a: int, b: int) -> bool:
        return self.clause(a) == self.clause(b)

    def before(self, pos: int) -> str:
        """The end of the clause before `pos`: a cue and two filler words fit in 60 characters."""
        return self.text[max(self.clause_start(pos), pos - 60) : pos]


def _excluded(part: _Part) -> tuple[set[int], dict[int, int]]:
    """Indexes of mentions that are not candidates (call arguments, remarks), and for hedge remarks
    (`12 (или 15)`) the mention each alternative is offered against."""
    out: set[int] = set()
    alternatives: dict[int, int] = {}
    for start, end in part.groups:
        inner = [i for i, m in enumerate(part.all) if start < m.start and m.end <= end + 1]
        if not inner:
            continue
        # a remark follows a candidate in the same clause: "12 (3 по 4)"; not "x = 1, x = (-3 + √5) / 2"
        before = [
            i for i, m in enumerate(part.all) if m.end <= start and i not in out and part.same_clause(m.end, start)
        ]
        if start > 0 and re.match(r"[\w)]", part.text[start - 1]):
            out.update(inner)  # f(4), abs(22-31)
        elif before:
            out.update(inner)
            if cues.OR_REMARK.match(part.text[start + 1 : end]):
                alternatives.update({i: before[-1] for i in inner})
    return out, alternatives


def _rejected(part: _Part, candidates: list[int]) -> set[int]:
    out: set[int] = set()
    for k, i in enumerate(candidates):
        m = part.all[i]
        if cues.NEG_BEFORE.search(part.before(m.start)):
            out.add(i)
        # "A и B неверны": the cue after the last of a chain rejects the whole chain
        chain = [i]
        for j in candidates[k + 1 :]:
            if not cues.AND_GAP.match(part.text[part.all[chain[-1]].end : part.all[j].start]):
                break
            chain.append(j)
        if cues.NEG_AFTER.match(part.text[part.all[chain[-1]].end :]):
            out.update(chain)
    return out


def _is_operand(part: _Part, m: Mention) -> bool:
    """Followed, in its clause, by an operator and another value: `12 × 4`, `3 коробки по 4`."""
    rest = part.text[m.end :]
    op = cues.OPERATOR_AFTER.match(rest) or re.match(r"^\s*[^\W\d]+\s+(?:по|of|times)(?!\w)", rest)
    if not op:
        return False
    nxt = [n for n in part.all if n.start >= m.end + op.end()]
    return (
        bool(nxt)
        and part.same_clause(m.end, nxt[0].start)
        and re.fullmatch(r"[\s`*(]*", part.text[m.end + op.end() : nxt[0].start]) is not None
    )


def _eq_after(part: _Part, m: Mention) -> bool:
    """An `=` after the mention in its clause: the mention is on the left of an equation."""
    clause_end = min([b for b in part.bounds if b >= m.end], default=len(part.text))
    return bool(cues.EQ.search(part.text[m.end : clause_end]))


def _equation(part: _Part, eq: int) -> bool:
    """The `=` at `eq` states an equation, not a result: a variable and an operator on its left
    (`2x - 3 = -7`, `x^4 + 2x^3 + x = 0`, `A + C - B = 4`), unlike `x = 5` or `3 × 4 = 12`."""
    starts = [b + 1 for b in part.bounds if b < eq] + [e.end() for e in cues.EQ.finditer(part.text, 0, eq)]
    left = part.text[max(starts, default=0) : eq]
    return bool(cues.VARIABLE.search(left) and cues.OPERATOR.search(left))


def _unresolved_eq(part: _Part, cands: list[int]) -> bool:
    """An `=` ending its clause in an expression rather than a value: `x = (-3 + √5) / 2`, `P ≈ π * 1.6`."""
    if not any(m.opaque or _is_number(m) for m in part.all):
        return False  # option letters: an "=" in the text is not about them
    for cue in cues.EQ.finditer(part.text):
        clause_end = min([b for b in part.bounds if b > cue.end()], default=len(part.text))
        if cues.EQ.search(part.text, cue.end(), clause_end) or _equation(part, cue.start()):
            continue  # not the last "=" of its clause, or an equation
        after = [i for i in cands if cue.end() <= part.all[i].start < clause_end]
        if not after:
            continue
        first = part.all[after[0]]
        if not cues.POINTED.match(part.text[cue.end() : first.start]) or _is_operand(part, first):
            return True
    return False


def _pointers(part: _Part, cands: list[int], leading: bool) -> list[tuple[int, str]]:
    """(candidate index, kind) for each pointer that survives supersession."""
    text = part.text
    found: list[tuple[int, str]] = []

    def first_after(pos: int) -> int | None:
        for i in cands:
            if part.all[i].start >= pos:
                return i if cues.POINTED.match(text[pos : part.all[i].start]) else None
        return None

    for cue in cues.EQ.finditer(text):
        if not _equation(part, cue.start()) and (i := first_after(cue.end())) is not None:
            found.append((i, "="))
    for cue in cues.RESULT.finditer(text):
        if (i := first_after(cue.end())) is not None:
            found.append((i, cue.group().lower()))
    for i in cands:
        if cues.TOTAL_AFTER.match(text[part.all[i].end :]):
            found.append((i, "total"))
    for b in cues.BOLD.finditer(text):
        inner = [i for i in cands if b.start() < part.all[i].start and part.all[i].end <= b.end()]
        if len(inner) == 1:
            found.append((inner[0], "bold"))
    for i in cands:
        if cues.OPTION_WORD.search(text[max(0, part.all[i].start - 20) : part.all[i].start]):
            found.append((i, "option"))
    if leading and cands:
        # "12 яблок, потому что 3 по 4": the first value leads when its clause holds no other value
        # ("5 яблок стоят 60 рублей" names two, and "12, 15" or "A и C" list several)
        first = part.all[cands[0]]
        alone = all(not part.same_clause(first.end, part.all[j].start) for j in cands[1:])
        gap = text[first.end : part.all[cands[1]].start] if len(cands) > 1 else None
        listed = gap is not None and bool(cues.ENUMERATION_GAP.match(gap) or cues.AND_GAP.match(gap))
        if cues.LEAD.match(text[: first.start]) and alone and not listed:
            found.append((cands[0], "leading"))
    # A pointer at an operand, on the left of an "=", or followed in its clause by another "=" or
    # result word that points further on is not the result: "уравнении 2x - 3 = -7 равно -2".
    out: list[tuple[int, str]] = []
    for i, kind in found:
        m = part.all[i]
        later = any(
            k in cues.FORWARD and part.all[j].start > m.end and part.same_clause(m.end, part.all[j].start)
            for j, k in found
        )
        if later or _eq_after(part, m) or _is_operand(part, m):
            continue
        if (i, kind) not in out:
            out.append((i, kind))
    return out


def _linked(part: _Part, a: Mention, b: Mention, gap: re.Pattern[str]) -> bool:
    return bool(gap.match(part.text[a.end : b.start]))


def _unit(part: _Part, m: Mention) -> str:
    w = re.match(r"^\s*([^\W\d_]+)", part.text[m.end :])
    return "" if w is None or re.fullmatch(r"(?i)или|либо|or|и|and|то|ли", w.group(1)) else w.group(1).lower()[:4]


def pick(text: str, mentions: list[Mention], *, leading: bool = True) -> Pick:
    """Decide which mention is the answer (see the module docstring). `leading=False` when the text is
    a sentence of prose rather than an answer (its first value is the subject, not the answer)."""
    part = _Part(text, mentions)
    excluded, alternatives = _excluded(part)
    cands = [i for i in range(len(part.all)) if i not in excluded]
    rejected = _rejected(part, cands)
    cands = [i for i in cands if i not in rejected]
    rej = tuple(part.all[i] for i in sorted(rejected))
    if not cands:
        return Pick("none", rejected=rej)
    pointers = _pointers(part, cands, leading)
    pointed = sorted({i for i, _ in pointers})
    if _unresolved_eq(part, cands):
        note = "an expression after '=' that the check cannot evaluate"
        return Pick("ambiguous", others=tuple(part.all[i] for i in pointed), rejected=rej, note=note)
    if pointed:
        keys = {part.all[i].readings for i in pointed}
        if len(keys) > 1:
            kinds = ", ".join(f"{part.all[i].text!r} ({k})" for i, k in pointers)
            return Pick("ambiguous", others=tuple(part.all[i] for i in pointed), rejected=rej, note=kinds)
        chosen = pointed[-1]
    else:
        keys = {part.all[i].readings for i in cands}
        if len(keys) > 1:
            return _without_pointer(part, cands, rej)
        chosen = cands[-1]
    return _check_hedge(part, cands, chosen, alternatives, rej)


def _check_hedge(
    part: _Part, cands: list[int], chosen: int, alternatives: dict[int, int], rej: tuple[Mention, ...]
) -> Pick:
    """The chosen value, unless it is offered together with another: `12 или 15`, `12 (or 15)`, `3–4`."""
    m = part.all[chosen]
    alts = [a for a, base in alternatives.items() if base == chosen and part.all[a].readings != m.readings]
    k = cands.index(chosen)
    for j in (cands[k - 1] if k > 0 else None, cands[k + 1] if k + 1 < len(cands) else None):
        if j is None or part.all[j].readings == m.readings:
            continue
        a, b = sorted((m, part.all[j]), key=lambda x: x.start)
        if _linked(part, a, b, cues.OR_GAP):
            alts.append(j)
        elif _is_number(a) and _is_number(b) and _is_range(part, a, b):
            return Pick("range", mention=a, others=(a, b), rejected=rej)
    if cues.BOUND_BEFORE.search(part.before(m.start)) or cues.BOUND_AFTER.match(part.text[m.end : m.end + 60]):
        return Pick("ambiguous", others=(m,), rejected=rej, note=f"{m.text!r} is given as a bound, not a value")
    if alts:
        other = part.all[alts[0]]
        if _unit(part, m) and _unit(part, other) and _unit(part, m) != _unit(part, other):
            note = f"{m.text!r} and {other.text!r} are in different units"
            return Pick("ambiguous", others=(m, other), rejected=rej, note=note)
        return Pick("hedged", mention=m, others=tuple(sorted((m, other), key=lambda x: x.start)), rejected=rej)
    return Pick("found", mention=m, rejected=rej)


def _is_number(m: Mention) -> bool:
    return bool(m.readings) and isinstance(m.readings[0], float)


def _is_range(part: _Part, a: Mention, b: Mention) -> bool:
    gap = part.text[a.end : b.start]
    if not cues.RANGE_GAP.match(gap):
        return False
    if re.match(r"^\s+(?:до|to|and|и)\s+$", gap, re.IGNORECASE):
        return bool(cues.RANGE_START.search(part.text[: a.start]))
    return True


def _without_pointer(part: _Part, cands: list[int], rej: tuple[Mention, ...]) -> Pick:
    """Several different candidates and nothing says which: a hedge, a range, several options, or undecided."""
    ms = [part.all[i] for i in cands]
    pairs = [(a, b) for a, b in zip(ms, ms[1:]) if a.readings != b.readings]
    # a hedge only when every change of value is an "or": "12 или 15", not "41 …, кратно 2 или 3"
    if pairs and all(_linked(part, a, b, cues.OR_GAP) for a, b in pairs):
        a, b = pairs[0]
        if _unit(part, a) and _unit(part, b) and _unit(part, a) != _unit(part, b):
            return Pick(
                "ambiguous", others=(a, b), rejected=rej, note=f"{a.text!r} and {b.text!r} are in different units"
            )
        return Pick("hedged", mention=a, others=tuple(ms), rejected=rej)
    if len(ms) == 2 and _is_number(ms[0]) and _is_number(ms[1]) and _is_range(part, ms[0], ms[1]):
        return Pick("range", mention=ms[0], others=(ms[0], ms[1]), rejected=rej)
    letters = all(m.readings and isinstance(m.readings[0], str) for m in ms)
    joined = all(_linked(part, a, b, cues.AND_GAP) or _linked(part, a, b, cues.LIST_GAP) for a, b in zip(ms, ms[1:]))
    if letters and joined:
        return Pick("several", mention=ms[0], others=tuple(ms), rejected=rej)
    return Pick("ambiguous", others=tuple(ms), rejected=rej, note="several values and nothing says which is the answer")
