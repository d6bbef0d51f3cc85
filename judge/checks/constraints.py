"""`check:constraints`: an item's instruction constraints (`Constraints`), the same way in both languages.

One row per constraint the item sets, in this order: `words`, `sentences`, `paragraphs`, `banned`,
`required`, `starts_with`, `ends_with`. The answer is read without its `<think>` block.

Counting (razdel, then the fixes below, measured on Russian and English text):

- words: razdel tokens with a letter or digit, Markdown markup left out (`**`, `_`, `~~`, backticks,
  heading `#`, quote `>`, list markers `-`/`*`/`1.`, code-fence lines, link targets, HTML tags).
  razdel keeps hyphenated words whole («кое-что», «из-за», «по-русски», "sun-light") and decimals
  («3,5», "3.5"). Fixed here: tokens written together with `. : / @ _ & '` between them are one
  word ("it's", "John's", "e.g.", "U.S.", «т.е.», "10:30", URLs and e-mail addresses; razdel splits
  them), and the spaced abbreviations «т. е.», «т. д.», «т. п.», «т. к.», «т. ч.», «т. н.», «т. о.»,
  «н. э.», "e. g.", "i. e.", "a. m.", "p. m." are one word; so are the closing formulas «и т. д.»,
  «и т. п.», «и др.», «и пр.» with their «и» (as a reader counts them: one unit, not 2–3 words).
  Numbers grouped by spaces («10 000») are as many words as groups, as in a word processor.
- sentences: razdel's `sentenize` over each block (a paragraph; a heading, list item or quote line
  starts a new block and is at least one sentence), counting the pieces with a letter or digit.
  razdel already keeps «т. е.», «и т. д.» (before a lowercase word), initials («А. С. Пушкин»),
  decimals and "Mr."/"Dr." inside a sentence. Fixed here: English titles and abbreviations it does
  not know (Prof., St., Gen., approx., cf.; "e.g."/"i.e." before a capital) never end a sentence,
  and Fig., No., vol., p., ch., Jan. … («табл.», «илл.», «прил.») do not before a number or a
  lowercase word; "no." ends a sentence unless a number follows ("I said no. He left."); a semicolon
  never ends one (razdel ends a sentence at a semicolon before a capital, as in verse).
  A block without capital letters (an answer written in lowercase on request) is split at every
  end mark that no abbreviation rule keeps (razdel never splits before a lowercase word).
  Still ambiguous, and left to razdel: a capital letter after a single capital and a dot ("Plan B.
  Then"), «1799 г. Потом» (joined, as in «в 2020 г. Москва…»).
- paragraphs: blocks of text separated by blank lines.

Matching of `banned`/`required` (case-insensitive, whole words only; the parts of a hyphenated word
count as words too: "sun-light" contains "light", «светло-голубой» contains «светло»):

- Cyrillic words: pymorphy3. A token is a form of a listed word when one of its normal forms is
  one of the listed word's (so «светит» is a form of «светить», «цен» of «цены»). pymorphy3 lists
  every reading of a token with a probability; a token whose matching readings are less likely
  than not («стали» read as «сталь», most likely «стать»; «свечу» as «светить», most likely
  «свеча») leaves the row undecided (`passed` None), never a made-up verdict. Suppletive
  comparatives and superlatives are words of their own: «лучший» is not a form of «хороший».
- Latin words: the word and its regular inflections (-s, -es, -ed, -ing, -er, -est, doubled final
  consonant, y → ies/ied/ier/iest, possessive 's); "lights", "lighter" match "light", "slightly"
  and "sunlight" do not. List the base form ("price", not "prices").
- A trailing `*` makes a stem: `свет*` is every word (or normal form) starting with «свет» (a family
  of cognates: свет, светит, светлый, светофор), `light*` every word starting with "light".
- Several words («к сожалению») match consecutive words, each by the rules above.

`starts_with`/`ends_with` compare case-sensitively after surrounding whitespace and emphasis markup
(`*`, `_`), with runs of whitespace collapsed, and need a word boundary where the phrase has a
letter at its end (`Thanks` does not match "Thanksgiving").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from razdel import tokenize
from razdel.rule import JOIN, FunctionRule
from razdel.segmenters.sentenize import (
    SentSegmenter,
    close_bracket,
    close_quote,
    dash_right,
    delimiter_right,
    empty_side,
    initials_left,
    inside_pair_sokr,
    is_sokr,
    list_item,
    lower_right,
    no_space_prefix,
    sokr_left,
)

from judge.dataset import Bounds, Item

from .registry import CheckFn, CheckRow, check
from .text import shorten, strip_think

__all__ = ["constraints", "count_words", "find_word", "paragraphs", "sentences", "words"]

MIN_LIKELY = 0.5
"""A Russian token is a form of a listed word when pymorphy3 gives the matching readings at least
this probability; below it (but above 0) the verdict is undecided."""
MAX_SHOWN = 3
"""How many findings a detail quotes."""

# ---------------------------------------------------------------------------------------------
# Markup and tokens

_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_FENCE_LINE = re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,}).*$", re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,300}>")
_BLOCK_MARK = re.compile(r"^[ \t]*(?:#{1,6}(?=\s)|>+|(?:[-*+•]|\d{1,3}[.)])(?=\s)|\|)[ \t]*")
_EMPHASIS = re.compile(r"\*+|~~|`+|(?<![^\W_])_+|_+(?![^\W_])")
_JOINERS = frozenset(".:/@_&'’")
# Spaced abbreviations that are one word (case matters: «Т. Е. Лоуренс» is two initials).
_ABBR = re.compile(
    r"(?<![^\W_])(?:(?:[Ии]\s+)?[Тт]\.\s?[дп]\.?|[Тт]\.\s?[екчно]\.?|(?:[Ии]\s+)?(?:др|пр)\.|[Нн]\.\s?э\.?"
    r"|[Ee]\.\s?g\.?|[Ii]\.\s?e\.?|[ap]\.\s?m\.?)(?![^\W_])"
)


def _clean(text: str) -> str:
    """The answer without reasoning and Markdown markup (each line keeps its place)."""
    text = _FENCE_LINE.sub("", strip_think(text))
    text = _HTML_TAG.sub(" ", _LINK.sub(r"\1", text))
    lines = [_BLOCK_MARK.sub("", line) for line in text.splitlines()]
    return _EMPHASIS.sub(" ", "\n".join(lines))


def _glued(text: str) -> list[str]:
    """The words of `text` (no abbreviations in it): razdel tokens, those written together (directly
    or with a joiner between them) merged, pieces without a letter or digit dropped."""
    out: list[str] = []
    run: list[str] = []
    stop = -1

    def flush() -> None:
        word = "".join(run).strip("".join(_JOINERS))
        if _LETTER_OR_DIGIT.search(word):
            out.append(word)
        run.clear()

    for tok in tokenize(text):
        glued = tok.start == stop
        stop = tok.stop
        if tok.text in _JOINERS:
            if glued:
                run.append(tok.text)
            else:
                flush()
            continue
        if not _LETTER_OR_DIGIT.search(tok.text):
            flush()
            continue
        if not (glued and run):
            flush()  # «B2», «6ix9ine», "mp3": razdel splits letters from digits; one word when written together
        run.append(tok.text)
    flush()
    return out


def words(text: str) -> list[str]:
    """The words of an answer as counted by `check:constraints` (see the module docstring)."""
    clean = _clean(text)
    out: list[str] = []
    pos = 0
    for m in _ABBR.finditer(clean):
        out += _glued(clean[pos : m.start()])
        out.append(" ".join(m.group().split()))
        pos = m.end()
    return out + _glued(clean[pos:])


def count_words(text: str) -> int:
    return len(words(text))


def paragraphs(text: str) -> list[str]:
    """Blocks of the answer separated by blank lines (those with a letter or digit)."""
    blocks = re.split(r"\n[ \t]*\n", strip_think(text))
    return [b.strip() for b in blocks if _LETTER_OR_DIGIT.search(b)]


# ---------------------------------------------------------------------------------------------
# Sentences

_HEAD = frozenset(
    {"prof", "st", "mt", "messrs", "mmes", "gen", "col", "lt", "capt", "sgt", "rev", "hon", "gov", "sen", "rep"}
    | {"pres", "supt", "approx", "cf", "viz"}
)
"""Never end a sentence (razdel knows mr, mrs, ms, dr, vs)."""
_HEAD_PAIRS = frozenset({("e", "g"), ("i", "e")})
_BEFORE_NUMBER = frozenset(
    {"fig", "figs", "nos", "vol", "vols", "p", "pp", "ch", "sec", "art", "eq", "eqs", "ref", "refs"}
    | {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "табл", "илл", "прил"}
)
"""Do not end a sentence before a number or a lowercase word (razdel's SOKRS rule)."""


def _semicolon(split: Any) -> str | None:
    return JOIN if split.delimiter == ";" else None  # razdel ends a sentence at «; Capital» (verse, lists)


def _abbreviation(split: Any) -> str | None:
    if split.delimiter != ".":
        return None
    left = (split.left_token or "").lower()
    right = split.right_token or ""
    if left == "no" and not right.isdigit():
        return None  # "I said no. He left." (razdel joins after any "no.")
    pair = split.left_pair_sokr
    if left in _HEAD or (pair and (pair[0].lower(), pair[1].lower()) in _HEAD_PAIRS):
        return JOIN
    if left in _BEFORE_NUMBER and is_sokr(right):
        return JOIN
    return sokr_left(split)


_RULES = (
    _semicolon,
    empty_side,
    no_space_prefix,
    lower_right,
    delimiter_right,
    _abbreviation,
    inside_pair_sokr,
    initials_left,
    list_item,
    close_quote,
    close_bracket,
    dash_right,
)
_SENTENIZE = SentSegmenter(rules=[FunctionRule(f) for f in _RULES])
# razdel never ends a sentence before a lowercase word; in text written without capitals (an
# instruction may ask for it) that would make the whole text one sentence.
_SENTENIZE_LOWERCASE = SentSegmenter(rules=[FunctionRule(f) for f in _RULES if f is not lower_right])


def _blocks(text: str) -> list[str]:
    """Paragraphs, with each heading, list item, quote or table line starting a block of its own."""
    text = _HTML_TAG.sub(" ", _LINK.sub(r"\1", _FENCE_LINE.sub("", strip_think(text))))
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if not line.strip():
            blocks.append([])
            continue
        if _BLOCK_MARK.match(line):
            blocks.append([])
            line = _BLOCK_MARK.sub("", line)
        blocks[-1].append(_EMPHASIS.sub("", line))
    return [" ".join(" ".join(b).split()) for b in blocks if b]


def sentences(text: str) -> list[str]:
    """The sentences of an answer as counted by `check:constraints` (see the module docstring)."""
    out = []
    for block in _blocks(text):
        segment = _SENTENIZE if block != block.lower() else _SENTENIZE_LOWERCASE
        out += [s.text for s in segment(block) if _LETTER_OR_DIGIT.search(s.text)]
    return out


# ---------------------------------------------------------------------------------------------
# Word matching


@cache
def _morph() -> Any:
    """pymorphy3's analyser, created once, on first use (measured: 0.1 s to import, 0.1 s and 30 MB to create)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _fold(word: str) -> str:
    return word.casefold().replace("ё", "е")


def _is_cyrillic(word: str) -> bool:
    return bool(re.search(r"[а-яё]", word, re.IGNORECASE))


@lru_cache(maxsize=65536)
def _readings(word: str) -> tuple[tuple[str, float], ...]:
    """(normal form, probability) of every pymorphy3 reading of a Cyrillic word. A suppletive
    comparative or superlative keeps its own form («лучший», «лучше»; not «хороший»)."""
    out = []
    for p in _morph().parse(word):
        key = p.normal_form
        if {"Supr", "COMP"} & p.tag.grammemes and key[:2] != p.word.removeprefix("наи")[:2]:
            form = p.inflect({"masc", "sing", "nomn"}) if "Supr" in p.tag.grammemes else None
            key = form.word if form is not None else p.word
        out.append((_fold(key), float(p.score)))
    return tuple(out)


@lru_cache(maxsize=4096)
def _listed_lemmas(word: str) -> frozenset[str]:
    """The lemmas a listed (banned or required) word stands for. A word is listed in its dictionary
    form, so when some reading has the word itself as its lemma, only those readings count:
    a ban on «данный» means the adjective, not «дать» (whose participle it also is)."""
    readings = {k for k, _ in _readings(word)}
    return frozenset({word} if word in readings else readings)


def _english_forms(base: str) -> frozenset[str]:
    forms = {base, base + "s", base + "es", base + "ed", base + "ing", base + "er", base + "est"}
    if base.endswith("e"):
        forms |= {base + "d", base + "r", base + "st", base[:-1] + "ing"}
    if re.search(r"[^aeiou]y$", base):
        forms |= {base[:-1] + e for e in ("ies", "ied", "ier", "iest")}
    if re.search(r"(?:^|[^aeiou])[aeiou][b-df-hj-np-tvz]$", base):
        forms |= {base + base[-1] + e for e in ("ed", "ing", "er", "est")}
    return frozenset(forms)


def _strength(listed: str, token: str) -> float:
    """How surely `token` is a form of the listed word: 1.0, 0.0, or pymorphy3's probability."""
    stem = listed.endswith("*")
    want = _fold(listed.rstrip("*"))
    got = re.sub(r"['’]s?$", "", _fold(token))
    if not want or not got:
        return 0.0
    if got.startswith(want) if stem else got == want:
        return 1.0
    if _is_cyrillic(want) and _is_cyrillic(got):
        mine = _readings(got)
        if stem:
            return min(1.0, sum(s for k, s in mine if k.startswith(want)))
        return min(1.0, sum(s for k, s in mine if k in _listed_lemmas(want)))
    if not stem and re.fullmatch(r"[a-z]+", want):
        return 1.0 if got in _english_forms(want) else 0.0
    return 0.0


@dataclass(frozen=True)
class Found:
    """A listed word found in an answer: the words as written and how surely (see MIN_LIKELY)."""

    text: str
    strength: float


def find_word(listed: str, answer_words: list[str]) -> Found | None:
    """The surest occurrence of `listed` (a word, a `stem*`, or several words) in `answer_words`."""
    parts = listed.split()
    best: Found | None = None
    for i in range(len(answer_words) - len(parts) + 1):
        window = answer_words[i : i + len(parts)]
        if len(parts) == 1:
            pieces = [window[0]] + (window[0].split("-") if "-" in window[0] else [])
            strength = max(_strength(parts[0], p) for p in pieces)
        else:
            strength = min(_strength(p, w) for p, w in zip(parts, window))
        if strength > 0 and (best is None or strength > best.strength):
            best = Found(" ".join(window), strength)
            if strength >= 1.0:
                break
    return best


# ---------------------------------------------------------------------------------------------
# The check


def _allowed(b: Bounds) -> str:
    if b.min is not None and b.max is not None:
        return f"exactly {b.min}" if b.min == b.max else f"allowed {b.min}–{b.max}"
    return f"at least {b.min}" if b.min is not None else f"at most {b.max}"


def _row(criterion: str, passed: bool | None, detail: str) -> CheckRow:
    score = None if passed is None else (1.0 if passed else 0.0)
    return CheckRow(criterion=criterion, score=score, passed=passed, detail=detail)


def _count_row(criterion: str, n: int, b: Bounds, unit: str) -> CheckRow:
    ok = (b.min is None or n >= b.min) and (b.max is None or n <= b.max)
    return _row(criterion, ok, f"{n} {unit}{'' if n == 1 else 's'} ({_allowed(b)})")


def _shown(found: list[tuple[str, Found]], limit: int = MAX_SHOWN) -> str:
    out = [
        f"«{w}» found" + ("" if _fold(f.text) == _fold(w) else f" as «{shorten(f.text, 40)}»") for w, f in found[:limit]
    ]
    more = f" (+{len(found) - limit} more)" if len(found) > limit else ""
    return ", ".join(out) + more


def _banned_row(listed: list[str], answer_words: list[str]) -> CheckRow:
    found = [(w, f) for w in listed if (f := find_word(w, answer_words))]
    sure = [(w, f) for w, f in found if f.strength >= MIN_LIKELY]
    if sure:
        return _row("banned", False, "banned " + _shown(sure))
    if found:
        return _row("banned", None, "undecided: maybe banned " + _shown(found) + " (an unlikely reading)")
    return _row("banned", True, "none of " + ", ".join(f"«{w}»" for w in listed) + " found")


def _required_row(listed: list[str], answer_words: list[str]) -> CheckRow:
    found = {w: find_word(w, answer_words) for w in listed}
    missing = [w for w, f in found.items() if f is None]
    unsure = [(w, f) for w, f in found.items() if f is not None and f.strength < MIN_LIKELY]
    if missing:
        return _row("required", False, "missing " + ", ".join(f"«{w}»" for w in missing))
    if unsure:
        return _row("required", None, "undecided: " + _shown(unsure) + " only in an unlikely reading")
    return _row("required", True, _shown([(w, f) for w, f in found.items() if f is not None], len(found)))


_EDGE_MARKUP = " \t\r\n*_"


def _edge_row(criterion: str, text: str, want: str) -> CheckRow:
    body = " ".join(strip_think(text).strip(_EDGE_MARKUP).split())
    want = " ".join(want.split())
    if criterion == "starts_with":
        ok = body.startswith(want) and not (
            _LETTER_OR_DIGIT.match(want[-1:]) and _LETTER_OR_DIGIT.match(body[len(want) : len(want) + 1])
        )
        got = body[: len(want) + 20]
    else:
        ok = body.endswith(want) and not (
            _LETTER_OR_DIGIT.match(want[:1]) and _LETTER_OR_DIGIT.match(body[-len(want) - 1 : -len(want)])
        )
        got = body[-len(want) - 20 :]
    verb = "starts" if criterion == "starts_with" else "ends"
    if ok:
        return _row(criterion, True, f"{verb} with «{want}»")
    return _row(criterion, False, f"expected to {verb[:-1]} with «{want}», got «{shorten(got, 60)}»")


@check("constraints")
def constraints() -> CheckFn:
    """Check the answer against `item.constraints`: one row per constraint (see the module docstring)."""

    def run(item: Item, answer_text: str) -> list[CheckRow]:
        c = item.constraints
        if c is None:
            return []
        text = answer_text or ""
        rows: list[CheckRow] = []
        answer_words = words(text) if (c.words or c.banned or c.required) else []
        if c.words:
            rows.append(_count_row("words", len(answer_words), c.words, "word"))
        if c.sentences:
            rows.append(_count_row("sentences", len(sentences(text)), c.sentences, "sentence"))
        if c.paragraphs:
            rows.append(_count_row("paragraphs", len(paragraphs(text)), c.paragraphs, "paragraph"))
        if c.banned:
            rows.append(_banned_row(c.banned, answer_words))
        if c.required:
            rows.append(_required_row(c.required, answer_words))
        if c.starts_with:
            rows.append(_edge_row("starts_with", text, c.starts_with))
        if c.ends_with:
            rows.append(_edge_row("ends_with", text, c.ends_with))
        return rows

    return run
