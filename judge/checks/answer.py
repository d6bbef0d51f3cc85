"""`check:answer`: compare an answer with the item's machine-checkable `AnswerSpec`, without an LLM.

The rule of the project: never a wrong verdict. A check that cannot decide says so (`passed=None`,
`score=None`, and a detail saying why) instead of guessing. The parts:

- `segment`: where the final answer is (the `Ответ:`/`Answer:` line, a `\\boxed{}`, the concluding
  sentences);
- `numbers`/`numwords` and `choice`: the values named there (numbers in digits or words, with
  currency and scale words; option letters, Cyrillic ones included);
- `claims`: which of them the answer stands by (not the ones it rejects: `12, а не 15`; a hedge
  `12 или 15` is a failure, never a pass).

Verdicts: number — any reading within `tolerance`; exact — the normalized expected text stated (not
rejected, not one of alternatives) in the segment; choice — the option letter, every reading of it
(an ambiguous Cyrillic `В` decides only when B and C agree); regex — searched in the whole answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from judge.dataset import AnswerSpec, Item

from .choice import find_letters, names_no_option, prompt_options, readings, scheme
from .claims import Mention, Pick, pick
from .cues import phrase_stance
from .numbers import ParsedNumber, find_numbers, fmt, parse_numbers, prepare, show
from .registry import CheckFn, CheckRow, check
from .segment import AnswerSegment, answer_segment
from .text import shorten, split_fences, strip_think

__all__ = [
    "AnswerSegment",
    "ParsedNumber",
    "answer",
    "answer_segment",
    "find_choice",
    "normalize_exact",
    "parse_numbers",
]

# A later sentence of the answer line that takes the answer back: "Ответ: 15. Нет, 12."
_REVISION = re.compile(
    r"^[\s*_]*(?:нет|no|wait|стоп|хм+|hmm+|ой|oops|correction|исправ\w*|точнее|вернее|actually|на\s+самом\s+деле|sorry"
    r"|извин\w*)(?!\w)",
    re.IGNORECASE,
)


def _row(passed: bool | None, detail: str) -> list[CheckRow]:
    score = None if passed is None else (1.0 if passed else 0.0)
    return [CheckRow(criterion="correct", score=score, passed=passed, detail=detail)]


def _where(seg: AnswerSegment, part: str | None = None) -> str:
    if seg.source in ("answer line", "boxed"):
        return f"in '{shorten(seg.line)}'"
    return f"in '{shorten(part or seg.line)}' (no answer line)"


def _read(seg: AnswerSegment, finder: Callable[[str], list[Mention]]) -> tuple[Pick, str]:
    """The answer of a segment and the sentence it was read from.

    On an answer line the first sentence that names a value (not only to reject it) holds the answer
    and the rest explains it, unless a later sentence takes it back. Without an answer line the
    sentences are read one by one and must agree; a lone hedge among them is not enough to fail.
    """
    if seg.source in ("answer line", "boxed"):
        rejected: tuple[Mention, ...] = ()
        for k, part in enumerate(seg.parts):
            prepared = prepare(part)
            mentions = finder(prepared)
            if not mentions:
                continue
            found = pick(prepared, mentions)
            if found.status == "none":
                rejected += found.rejected  # "Ответ: не 15. Правильно 12."
                continue
            if found.status == "found" and any(_REVISION.match(s) for s in seg.parts[k + 1 :]):
                note = "the answer line takes it back"
                return Pick("ambiguous", others=(found.mention,) if found.mention else (), note=note), part
            return found, part
        return Pick("none", rejected=rejected), seg.text
    results = []
    for part in seg.parts:
        prepared = prepare(part)
        found = pick(prepared, finder(prepared), leading=seg.source == "conclusion")
        # a sentence that offers no value of its own (a formula: "C = A + 4 - B") does not compete
        if found.status == "ambiguous" and not found.others and len(seg.parts) > 1:
            continue
        if found.status != "none" or found.rejected:
            results.append((found, part))
    if not results:
        return Pick("none"), seg.line
    if len(results) == 1:
        return results[0]
    done = [f.mention for f, _ in results if f.status == "found" and f.mention is not None]
    if len(done) == len(results) and len({m.readings for m in done}) == 1:
        return results[-1]
    shown = " vs ".join(repr(f.mention.text) if f.mention else f.status for f, _ in results)
    return Pick("ambiguous", others=tuple(done), note=f"the final sentences disagree: {shown}"), seg.line


# ---------------------------------------------------------------------------------------------
# Numbers


def _check_number(spec: AnswerSpec, seg: AnswerSegment) -> list[CheckRow]:
    expected = float(spec.value)
    exp = fmt(expected) + (f" ± {fmt(spec.tolerance)}" if spec.tolerance else "")

    def ok(m: Mention) -> bool:
        return any(isinstance(r, float) and abs(r - expected) <= spec.tolerance + 1e-9 for r in m.readings)

    found, part = _read(seg, find_numbers)
    where = _where(seg, part)
    m = found.mention
    if found.status == "found" and m is not None:
        if m.opaque:
            return _row(None, f"expected {exp}, found {m.text!r}, an expression the check cannot evaluate, {where}")
        return _row(ok(m), f"expected {exp}, found {show(m)} {where}")
    if found.status == "hedged":
        return _row(False, f"hedged: {' or '.join(show(o) for o in found.others)} {where} (expected {exp})")
    if found.status == "range":
        a, b = found.others
        if ok(a) and ok(b):
            return _row(True, f"expected {exp}, found the range {show(a)}–{show(b)}, within the tolerance, {where}")
        return _row(False, f"hedged: the range {show(a)}–{show(b)} {where} (expected {exp})")
    if found.status == "none":
        if bad := [r for r in found.rejected if ok(r)]:
            return _row(False, f"expected {exp}, the answer rejects {show(bad[0])} {where}")
        return _row(None, f"expected {exp}, no number {where}")
    return _row(None, f"expected {exp}, undecided: {found.note} {where}")


# ---------------------------------------------------------------------------------------------
# Exact strings

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


def _check_exact(spec: AnswerSpec, seg: AnswerSegment, whole: str) -> list[CheckRow]:
    value = str(spec.value)
    want, got = normalize_exact(value), normalize_exact(seg.text)
    where = _where(seg)
    if not got:
        return _row(None, f"expected {value!r}, no answer {where}")
    if want == got:
        return _row(True, f"expected {value!r}, found {shorten(seg.text)!r} {where}")
    pattern = rf"(?<!\w){re.escape(want)}(?!\w)"
    found = re.finditer(pattern, got) if want else iter(())
    stances = {phrase_stance(got, m.start(), m.end()) for _, m in zip(range(20), found)}  # a few are enough
    if re.search(r"(?<!\w)(?:или|либо|or)(?!\w)", want):
        stances = {"stated" if s == "hedged" else s for s in stances}  # the expected text itself has an "or"
    fallback = seg.source not in ("answer line", "boxed")
    if "hedged" in stances:
        return _row(False, f"hedged: {shorten(seg.text)!r} offers {value!r} among others {where}")
    if "stated" in stances:
        if fallback and re.search(r"(?<!\w)(?:не|нет|ни|not|no|never|n't)(?!\w)", got):
            return _row(None, f"expected {value!r}, undecided: a negation in {shorten(seg.text)!r} {where}")
        return _row(True, f"expected {value!r}, found {shorten(seg.text)!r} {where}")
    if "unclear" in stances:
        return _row(
            None, f"expected {value!r}, undecided: {shorten(seg.text)!r} says something negative about it {where}"
        )
    if "rejected" in stances:
        return _row(False, f"expected {value!r}, the answer rejects it: {shorten(seg.text)!r} {where}")
    if fallback and re.search(pattern, normalize_exact(whole)):
        return _row(
            None, f"expected {value!r}, named earlier but not in the final statement {shorten(seg.text)!r} {where}"
        )
    return _row(False, f"expected {value!r}, got {shorten(seg.text)!r} {where}")


# ---------------------------------------------------------------------------------------------
# Choices


def find_choice(segment: str) -> str | None:
    """The option letter of an answer segment as a Latin capital, or None when there is none or it is
    not clear which (a Cyrillic `В` with nothing to tell B from C, two letters). See `choice`."""
    prepared = prepare(segment)
    found = pick(prepared, find_letters(prepared, scheme(segment)))
    m = found.mention
    if found.status != "found" or m is None or len(m.readings) != 1:
        return None
    return str(m.readings[0])


def _check_choice(spec: AnswerSpec, seg: AnswerSegment, whole: str, prompt: str) -> list[CheckRow]:
    options, cyrillic_options = prompt_options(prompt)
    prose = "\n".join(line for line, in_code in split_fences(whole) if not in_code)
    how = scheme(prose, prompt)
    value = str(spec.value)
    want_all = readings(value, "positional" if cyrillic_options or value.upper() in "БГД" else "lookalike")
    want = want_all[0] if want_all else value.upper()
    found, part = _read(seg, lambda t: find_letters(t, how, options))
    where = _where(seg, part)
    m = found.mention
    if found.status == "found" and m is not None:
        shown = (
            m.text
            if m.readings == (m.text.strip("()*. :").upper(),)
            else f"{m.text} (= {' or '.join(map(str, m.readings))})"
        )
        if all(r == want for r in m.readings):
            return _row(True, f"expected {want}, found {shown} {where}")
        if want not in m.readings:
            return _row(False, f"expected {want}, found {shown} {where}")
        return _row(None, f"expected {want}, undecided: {m.text!r} may be {' or '.join(map(str, m.readings))} {where}")
    if found.status == "hedged":
        return _row(False, f"hedged: {' or '.join(o.text for o in found.others)} {where} (expected {want})")
    if found.status == "several":
        return _row(False, f"expected {want}, several options named: {', '.join(o.text for o in found.others)} {where}")
    if found.status == "none":
        if names_no_option(prepare(seg.text)):
            return _row(False, f"expected {want}, the answer names no option {where}")
        if any(want in r.readings for r in found.rejected):
            return _row(False, f"expected {want}, the answer rejects {want} {where}")
        return _row(None, f"expected {want}, no option letter {where}")
    return _row(None, f"expected {want}, undecided: {found.note} {where}")


# ---------------------------------------------------------------------------------------------
# The check


def _check_regex(spec: AnswerSpec, text: str) -> list[CheckRow]:
    pattern = str(spec.value)
    try:
        m = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
    except re.error as e:  # validated by AnswerSpec; kept so that odd input never raises
        return _row(None, f"invalid regex /{pattern}/: {e}")
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
        if seg.source == "empty":
            return _row(None, "no answer found outside code")
        if spec.type == "number":
            return _check_number(spec, seg)
        if spec.type == "exact":
            return _check_exact(spec, seg, text)
        return _check_choice(spec, seg, text, item.prompt)

    return run
