"""Operators for both languages: a wrong final number, a dropped reasoning step (errors), and
padding and Markdown (neutral: a good judge's score must not move).

Registered for "ru" and "en" alike; padding picks its sentences by the language it is registered for.
"""

from __future__ import annotations

import random
import re

from razdel import sentenize

from judge.probe._text import ANSWER_LINE, Site, corrupt, is_free, lines, protected_spans, quote, rewrite, wordset
from judge.probe.operators import ApplyFn, Corruption, operator

__all__ = ["PADDING", "final_number", "steps"]

LANGS = ("ru", "en")

# ---------------------------------------------------------------------------------------------
# Numbers

# A number in digits: "12", "385,2", "19.26", "3 640", "1,500". Not part of a word ("B2", "mp3"),
# a date or a time ("15.01.2025", "10:30"), an identifier or a range written with a hyphen.
_NUMBER = re.compile(
    r"(?<![\w.,:/\\^])(?<!\w-)"
    r"(?P<int>\d{1,3}(?:(?P<group>[ \u00a0\u202f,])\d{3})+(?!\d)|\d+)"
    r"(?:(?P<dec>[.,])(?P<frac>\d+))?"
    r"(?![\w:/]|[.,]\d|-\d)"
)
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_RESULT = re.compile(r"(?:=|≈|→)\s*[$€£₽]?\s*$")  # what precedes a computed value: "= 288", "≈ 46,8"


def _numbers(text: str, spans: list[tuple[int, int]]) -> list[re.Match[str]]:
    """The numbers of `text` outside `spans`, list markers ("1) …", "2. …") left out."""
    out = []
    for m in _NUMBER.finditer(text):
        if not is_free(m.start(), m.end(), spans):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if not text[line_start : m.start()].strip() and re.match(r"[.)]\s", text[m.end() : m.end() + 2]):
            continue
        out.append(m)
    return out


def _units(m: re.Match[str]) -> tuple[int, int]:
    """(value in units of the last decimal place, decimal places) of a `_NUMBER` match."""
    frac = m.group("frac") or ""
    return int(re.sub(r"\D", "", m.group("int")) + frac), len(frac)


def _render(n: int, decimals: int, m: re.Match[str]) -> str:
    """`n` (in units of 10**-decimals) written like the number `m`: same separators."""
    digits = str(n).rjust(decimals + 1, "0")
    whole, frac = (digits[:-decimals], digits[-decimals:]) if decimals else (digits, "")
    if m.group("group") and len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = m.group("group").join([whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)])
    return whole + (m.group("dec") + frac if decimals else "")


def _wrong_values(n: int, year: bool = False) -> list[int]:
    """Plausible wrong values for `n`: half, one and a half times, double (a slip in a factor),
    each rounded; at least 40 % away, so that an estimate's tolerance (the seed set allows up to
    36 %: 2.8 ± 1.0) never accepts it. A year is off by a little instead (1949 → 1950, 1939):
    halved it would be an error no reader could miss."""
    if year:
        return [n + d for d in (-10, -2, -1, 1, 2, 10)]
    if n == 0:
        return [1, 2]
    out: list[int] = []
    for num, den in ((1, 2), (3, 2), (2, 1)):
        v = (2 * n * num + den) // (2 * den)
        if v != n and abs(v - n) * 10 >= 4 * n and v not in out:
            out.append(v)
    return out


def final_number(text: str) -> re.Match[str] | None:
    """The final numeric answer: the first number after the keyword of the last answer line; None
    when that line names no number (the answer is a letter or a word). Without an answer line,
    the last number of the text outside code."""
    spans = protected_spans(text, answer_lines=False)
    answer = None
    for m in ANSWER_LINE.finditer(text):
        if is_free(m.start(), m.start() + 1, spans):
            answer = m
    if answer is not None:
        found = [n for n in _numbers(text, spans) if answer.start() <= n.start() < answer.end()]
        return found[0] if found else None
    found = _numbers(text, spans)
    return found[-1] if found else None


def _is_year(m: re.Match[str]) -> bool:
    return not m.group("frac") and not m.group("group") and 1000 <= int(m.group("int")) <= 2100


def _same_value(a: re.Match[str], b: re.Match[str]) -> bool:
    (na, da), (nb, db) = _units(a), _units(b)
    return na * 10 ** max(db - da, 0) == nb * 10 ** max(da - db, 0)


def _wrong_number(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Change the final numeric answer to a plausible wrong value (half, 1.5 times, double); at a
    higher dose also the same value where the reasoning computes it and other computed results."""
    final = final_number(text)
    if final is None:
        return None
    n, dec = _units(final)
    new_n = rng.choice(_wrong_values(n, _is_year(final)))
    new = _render(new_n, dec, final)
    sites = [Site(final.start(), final.end(), new, f"final answer {final.group()} → {new}")]
    # The same value earlier in the reasoning ("= 385,20") takes the same wrong value, as when the
    # slip happened in the last computation; then other computed results (after "=", last first).
    earlier = [m for m in _numbers(text, protected_spans(text, answer_lines=False)) if m.end() <= final.start()]
    same = [m for m in reversed(earlier) if _same_value(m, final)]
    for m in same:
        mn, md = _units(m)
        scaled = new_n * 10**md
        if scaled % 10**dec == 0:
            repl = _render(scaled // 10**dec, md, m)
            sites.append(Site(m.start(), m.end(), repl, f"the same value in the reasoning {m.group()} → {repl}"))
    for m in reversed(earlier):
        if m in same or not _RESULT.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        mn, md = _units(m)
        repl = _render(rng.choice(_wrong_values(mn, _is_year(m))), md, m)
        sites.append(Site(m.start(), m.end(), repl, f"intermediate result {m.group()} → {repl}"))
    chosen = sorted(sites[:dose], key=lambda s: s.start)  # by importance: the final answer first
    return Corruption(rewrite(text, chosen), [s.note for s in chosen])


# ---------------------------------------------------------------------------------------------
# Steps

# A computation ("4 · 35 = 140", "x = 50") or a sentence that states a number ("Скидка 10 % — это
# 42,80 ₽"); not a line of data or code that merely holds a digit ("1 1", 'url = "…/1bdef0"').
_COMPUTES = re.compile(r"\d\s*[=≈]|[=≈]\s*[-−$€£₽]?\s*\d")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_BARE_MARKER = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])?[ \t]*$")  # what is left of a line whose steps all went
_NUMBERED = re.compile(r"^([ \t]*)(\d{1,3})([.)])(?=[ \t])")


def steps(text: str) -> list[tuple[int, int]]:
    """Spans of the reasoning steps of a worked solution: sentences (or lines) that compute or
    state something numeric (a digit or "="), outside code, headings, tables and answer lines."""
    out = []
    for ln in lines(text):
        body = ln.text.lstrip()
        if ln.code or not body or ANSWER_LINE.match(ln.text) or body.startswith(("#", "|")):
            continue
        m = _LIST_MARKER.match(ln.text)
        off = m.end() if m else 0
        for sent in sentenize(ln.text[off:]):
            if _COMPUTES.search(sent.text) or (re.search(r"\d", sent.text) and len(_WORDS.findall(sent.text)) >= 3):
                out.append((ln.start + off + sent.start, ln.start + off + sent.stop))
    return out


def _drop_step(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Remove reasoning steps (sentences or lines that compute something), never the final answer
    line (nor, without one, the sentence holding the last number); numbered lists are renumbered."""
    found = steps(text)
    has_answer = any(
        is_free(m.start(), m.start() + 1, protected_spans(text, False)) for m in ANSWER_LINE.finditer(text)
    )
    if not has_answer and found:
        # without an answer line the answer is in the last step: the one with the last number, or
        # the last one when the steps are formulas without digits
        last = final_number(text)
        kept = next((s for s in found if last is not None and s[0] <= last.start() < s[1]), found[-1])
        found = [s for s in found if s != kept]
    if not found:
        return None
    chosen = sorted(rng.sample(found, min(dose, len(found))))
    notes = [f"dropped step {quote(text[s:e])}" for s, e in chosen]
    out: list[str] = []
    counters: dict[tuple[str, str], tuple[int, int]] = {}  # list style -> (next number, lines dropped)
    for ln, raw in zip(lines(text), text.splitlines(keepends=True), strict=True):
        cut = [(s, e) for s, e in chosen if ln.start <= s < ln.end]
        new = ln.text
        for s, e in reversed(cut):
            a, b = s - ln.start, e - ln.start
            if b < len(new) and new[b : b + 1].isspace():
                b = len(new) - len(new[b:].lstrip(" \t"))
            elif a > 0:
                a = len(new[:a].rstrip(" \t"))
            new = new[:a] + new[b:]
        dropped = bool(cut) and bool(_BARE_MARKER.match(new))
        num = _NUMBERED.match(ln.text)
        if num:
            key = (num.group(1), num.group(3))
            k = int(num.group(2))
            nxt, gone = counters.get(key, (0, 0))
            if k == 1 or k != nxt:
                gone = 0
            counters[key] = (k + 1, gone + dropped)
            mark = _NUMBERED.match(new)
            if gone and not dropped and mark:
                new = f"{mark.group(1)}{k - gone}{mark.group(3)}{new[mark.end() :]}"
        if not dropped:
            out.append(new + raw[len(ln.text) :])
    result = "".join(out)
    return Corruption(result, notes) if result != text and result.strip() else None


for _lang in LANGS:
    operator("wrong_number", _lang)(_wrong_number)
    operator("drop_step", _lang)(_drop_step)

# ---------------------------------------------------------------------------------------------
# Padding

PADDING: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # (opening sentences, in the order they are written; closing pleasantries). Each closing one
    # starts the way `check:answer` recognises a pleasantry, so that a text without an answer line
    # keeps its last paragraph as the place of its answer.
    "ru": (
        (
            "Хороший вопрос!",
            "Спасибо, что спросили.",
            "Давайте разберёмся.",
            "Постараюсь объяснить всё понятно.",
            "Разберём всё по порядку.",
            "Ниже приведено подробное объяснение.",
        ),
        (
            "Надеюсь, это поможет.",
            "Если у вас остались вопросы, спрашивайте.",
            "Не стесняйтесь уточнять, если что-то осталось непонятным.",
        ),
    ),
    "en": (
        (
            "Great question!",
            "Thanks for asking.",
            "Let's work through it.",
            "I'll try to explain everything clearly.",
            "Let's take it one step at a time.",
            "Here is a detailed explanation.",
        ),
        (
            "I hope this helps.",
            "Let me know if you have any other questions.",
            "Feel free to ask if anything is unclear.",
        ),
    ),
}


def _padding(lang: str) -> ApplyFn:
    head, tail = PADDING[lang]

    def padding(text: str, dose: int, rng: random.Random) -> Corruption | None:
        """Add neutral filler sentences (polite opening, a closing pleasantry), dose = how many;
        closing ones only when the text does not end with its answer line (the prompts ask for it
        to be the last line)."""
        body = text.strip()
        if not body:
            return None
        last = body.splitlines()[-1]
        pool = [("head", s) for s in head]
        if not ANSWER_LINE.match(last):
            pool += [("tail", s) for s in tail]
        chosen = set(rng.sample(range(len(pool)), min(dose, len(pool))))
        opening = [s for i, (kind, s) in enumerate(pool) if i in chosen and kind == "head"]
        closing = [s for i, (kind, s) in enumerate(pool) if i in chosen and kind == "tail"]
        new = text
        if opening:
            new = " ".join(opening) + "\n\n" + new.lstrip("\n")
        if closing:
            new = new.rstrip() + "\n\n" + " ".join(closing) + text[len(text.rstrip()) :]
        notes = [f"added at the start {quote(s)}" for s in opening] + [f"added at the end {quote(s)}" for s in closing]
        return Corruption(new, notes)

    return padding


for _lang in LANGS:
    operator("padding", _lang, expect="same")(_padding(_lang))

# ---------------------------------------------------------------------------------------------
# Markdown

# Long words that are not terms: bolding them would look like a glitch, not emphasis.
_NOT_TERMS = wordset(
    "because between through however therefore without another although whether already которые который"
    " которая которое поэтому является например поскольку несколько"
)
_TERM = re.compile(r"(?<![\w*_`~\\-])[^\W\d_]{7,}(?![\w*_`~-])")
_MARKUP_START = re.compile(r"^\s*(?:[#>|*+•-]|\d{1,3}[.)]\s)")


def _is_term(word: str) -> bool:
    """A word worth bolding: a noun for Russian (pymorphy3 is loaded anyway when probing Russian),
    for English a long word that is not an adverb, a participle or a function word."""
    if word.lower() in _NOT_TERMS:
        return False
    if re.search(r"[а-яё]", word, re.IGNORECASE):
        from judge.probe._ru import parses

        return bool(parses(word)[0].tag.POS == "NOUN")
    return not re.search(r"(?:ly|ed|ing)$", word)


def _markdown(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Formatting only, the words unchanged: turn a title-like line into a heading, a paragraph
    line of several sentences into a bulleted list, bold key terms (long words); dose = how many."""
    spans = protected_spans(text)
    lns = lines(text)
    has_answer = any(ANSWER_LINE.match(ln.text) for ln in lns if not ln.code)
    # without an answer line `check:answer` reads the answer in the last line: it stays one line
    last = max((i for i, ln in enumerate(lns) if ln.text.strip() and not ln.code), default=-1)
    frozen = set() if has_answer else {last}
    structure: list[Site] = []
    terms: list[Site] = []
    for i, ln in enumerate(lns):
        t = ln.text
        if ln.code or not t.strip() or ANSWER_LINE.match(t) or "**" in t or "__" in t:
            continue
        plain = not _MARKUP_START.match(t) and t == t.strip()
        if plain and i not in frozen:
            before = i == 0 or not lns[i - 1].text.strip()
            after = next((x for x in lns[i + 1 : i + 3] if x.text.strip()), None)
            if (
                before
                and after is not None
                and len(t.split()) <= 8
                and len(t) <= 60
                and not re.search(r"[.!?;,]$|\d", t)
                and re.search(r"[^\W\d_]", t)
            ):
                structure.append(Site(ln.start, ln.end, "## " + t, f"heading {quote(t)}"))
            else:
                sents = [s.text for s in sentenize(t)]
                if len(sents) >= 2 and all(re.search(r"[^\W\d_]", s) for s in sents):
                    bullets = "\n".join("- " + s for s in sents)
                    structure.append(Site(ln.start, ln.end, bullets, f"{len(sents)} sentences as a list {quote(t)}"))
        if t.lstrip().startswith(("#", "|")):
            continue
        for m in _TERM.finditer(t):
            s, e = ln.start + m.start(), ln.start + m.end()
            if is_free(s, e, spans) and _is_term(m.group()):
                terms.append(Site(s, e, f"**{m.group()}**", f"bold {quote(m.group())}"))
    # the structural changes first: they are the visible ones
    return corrupt(text, structure, dose, rng, fallback=terms)


for _lang in LANGS:
    operator("markdown", _lang, expect="same")(_markdown)
