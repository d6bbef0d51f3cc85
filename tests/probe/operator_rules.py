"""What each corruption operator must have done, checked by a rule of its own (independent of how
the operator found its sites where possible): pymorphy3 for Russian agreement, government and
spelling, the comma count for punctuation, `mixed_script_words` for homoglyphs, word-for-word
comparison for the neutral operators. `verify(op, clean, corruption)` dispatches."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pymorphy3
from razdel import sentenize, tokenize

from judge.checks import mixed_script_words
from judge.probe.operators import Corruption, Operator
from judge.probe.ops_common import PADDING
from judge.probe.ops_en import CALQUES, CONFUSED, MISSPELLINGS, RUSSIAN
from judge.probe.ops_ru import PREPOSITION_CASES, VERB_CASES
from judge.probe.ops_ru_words import CALQUE_PHRASES, CALQUE_VERBS, ENGLISH
from judge.probe.ops_ru_words import MISSPELLINGS as RU_MISSPELLINGS

MORPH = pymorphy3.MorphAnalyzer()
NOTE = re.compile(r"«(.+?)» → «(.+?)»")
CASE = {"gen1": "gent", "gen2": "gent", "acc2": "accs", "loc1": "loct", "loc2": "loct", "voct": "nomn"}
# The government of the common prepositions, written out again here (not read from the operator).
GOVERNS = {
    "в": {"accs", "loct"}, "на": {"accs", "loct"}, "о": {"accs", "loct"}, "по": {"datv", "loct", "accs"},
    "с": {"gent", "ablt", "accs"}, "к": {"datv"}, "от": {"gent"}, "до": {"gent"}, "из": {"gent"},
    "без": {"gent"}, "для": {"gent"}, "у": {"gent"}, "за": {"accs", "ablt"}, "под": {"accs", "ablt"},
    "над": {"ablt"}, "при": {"loct"}, "через": {"accs"}, "после": {"gent"}, "согласно": {"datv"},
}  # fmt: skip


def pairs(c: Corruption) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for note in c.edits for m in [NOTE.search(note)] if m]


def changed_blocks(old: str, new: str) -> int:
    """How many places differ, word by word."""
    word = r"\d+(?:[.,]\d+)*|\w+|[^\w\s]"  # a number with its decimals is one word
    a, b = re.findall(word, old), re.findall(word, new)
    return sum(op != "equal" for op, *_ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes())


def token_changes(old: str, new: str) -> list[tuple[int, Any, Any, list[Any]]]:
    """(index, old token, new token, new tokens) of one-word replacements; the rest must be equal."""
    a, b = list(tokenize(old)), list(tokenize(new))
    assert len(a) == len(b)
    out = [(i, x, y, b) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x.text != y.text]
    for _, x, y, _ in reversed(out):  # undoing the changes gives the original back: nothing else moved
        new = new[: y.start] + x.text + new[y.stop :]
    assert new == old
    return out


def agree(a: Any, n: Any) -> bool:
    if a.number != n.number or CASE.get(a.case, a.case) != CASE.get(n.case, n.case):
        return False
    return a.number == "plur" or n.gender is None or "ms-f" in n or a.gender == n.gender


def check_agreement_ru(old: str, c: Corruption) -> None:
    changes = token_changes(old, c.text)
    assert len(changes) == len(c.edits)
    for (i, was, now, toks), note in zip(changes, c.edits, strict=True):
        noun = toks[i + 1].text
        lemmas = {p.normal_form for p in MORPH.parse(was.text.lower()) if p.tag.POS in ("ADJF", "PRTF")}
        adjs = [p for p in MORPH.parse(now.text.lower()) if p.tag.POS in ("ADJF", "PRTF") and p.normal_form in lemmas]
        nouns = [p for p in MORPH.parse(noun.lower()) if p.tag.POS == "NOUN"]
        assert adjs and nouns, note
        assert not any(agree(a.tag, n.tag) for a in adjs for n in nouns), note
        assert f"«{now.text} {noun}»" in note and f"«{was.text} {noun}»" in note


def check_case_ru(old: str, c: Corruption) -> None:
    changes = token_changes(old, c.text)
    assert len(changes) == len(c.edits)
    for (i, was, now, toks), note in zip(changes, c.edits, strict=True):
        head = toks[i - 1].text.lower()
        if head in GOVERNS or head in PREPOSITION_CASES:
            allowed = GOVERNS.get(head) or PREPOSITION_CASES[head]
        else:
            allowed = {VERB_CASES[MORPH.parse(head)[0].normal_form]}
        lemma = MORPH.parse(was.text.lower())[0].normal_form
        readings = [p for p in MORPH.parse(now.text.lower()) if p.tag.POS == "NOUN" and p.normal_form == lemma]
        assert readings and not any(CASE.get(p.tag.case, p.tag.case) in allowed for p in readings), note
        assert f"«{toks[i - 1].text} {now.text}»" in note


def check_spelling_ru(old: str, c: Corruption) -> None:
    assert 1 <= changed_blocks(old, c.text) <= len(c.edits)
    for (was, now), note in zip(pairs(c), c.edits, strict=True):
        assert now in c.text and was != now
        if "-тся/-ться" in note:
            pos = MORPH.parse(was.lower())[0].tag.POS
            assert (was.endswith("ться") and now.endswith("тся") and pos == "INFN") or (
                was.endswith("тся") and now.endswith("ться") and pos == "VERB"
            ), note
        elif now.lower() not in RU_MISSPELLINGS.values():
            assert not MORPH.word_is_known(now.lower()), note  # н/нн, «незнаю», «агенство»


def check_punctuation_ru(old: str, c: Corruption) -> None:
    assert old.count(",") - c.text.count(",") == len(c.edits)
    removed, j = [], 0  # align: the corrupted text is the original less some commas
    for i, ch in enumerate(old):
        if j < len(c.text) and c.text[j] == ch:
            j += 1
        else:
            assert ch == ",", old[i : i + 40]
            removed.append(i)
    assert j == len(c.text) and len(removed) == len(c.edits)
    for i in removed:
        after = re.match(r"\s+(?:\w+\s+)?(\w+)", old[i + 1 :])
        assert after is not None
        words = [after.group(1).lower(), *(re.findall(r"\w+", old[i + 1 :])[:1])]
        listed = any(re.fullmatch(r"что|чтобы|если|котор\w+", w) for w in words)
        participle = MORPH.parse(words[-1].lower())[0].tag.POS == "PRTF"
        assert listed or participle, old[i : i + 40]


def latin_words(text: str) -> int:
    return len(re.findall(r"(?<![^\W\d_])[A-Za-z]+(?![^\W\d_])", text))


def cyrillic_words(text: str) -> int:
    return len(re.findall(r"(?<![^\W\d_])[А-Яа-яЁё]+(?![^\W\d_])", text))


def check_english_words_ru(old: str, c: Corruption) -> None:
    english = [now for (was, now), note in zip(pairs(c), c.edits, strict=True) if note.startswith("English")]
    assert latin_words(c.text) - latin_words(old) == sum(len(w.split()) for w in english)
    calques = {*CALQUE_PHRASES.values(), *(v for verbs, _ in CALQUE_VERBS for v in verbs.values())}
    english_words = {w for pair in ENGLISH.values() for w in pair}
    for (_, now), note in zip(pairs(c), c.edits, strict=True):
        if note.startswith("English"):
            assert now.lower() in english_words, note
        else:  # a calque: the fixed phrase, or the verb of the English collocation in its form
            first = MORPH.parse(now.split()[0].lower())[0].normal_form
            assert now.lower() in calques or first in calques, note


def check_homoglyph_ru(old: str, c: Corruption) -> None:
    assert len(mixed_script_words(c.text)) - len(mixed_script_words(old)) == len(c.edits)
    assert len(c.text) == len(old) and sum(x != y for x, y in zip(old, c.text, strict=True)) == len(c.edits)


GOOD_VERBS = {
    **{p: {"is", "was", "has", "does", "doesn't"} for p in ("he", "she", "it", "this")},
    **{p: {"are", "were", "have", "do", "don't"} for p in ("they", "we", "you")},
    "i": {"am", "was", "have", "do", "don't"},
}


def check_agreement_en(old: str, c: Corruption) -> None:
    assert 1 <= changed_blocks(old, c.text) <= len(c.edits)
    for (_, now), note in zip(pairs(c), c.edits, strict=True):
        assert now in c.text
        w = now.lower().split()
        if note.startswith("determiner"):
            assert (w[0] in ("this", "that") and w[1].endswith("s")) or (w[0] == "these" and not w[1].endswith("s"))
        elif w[0] in GOOD_VERBS and len(w) == 2:
            assert w[1] not in GOOD_VERBS[w[0]], note
        else:  # determiner, noun, verb: a plural noun with a singular verb, or the other way round
            noun, verb = w[-2], w[-1]
            if noun.endswith("s"):
                assert verb.endswith("s") or verb in ("is", "was", "has"), note
            else:
                assert verb in ("are", "were", "have", "do") or not verb.endswith("s"), note


def check_spelling_en(old: str, c: Corruption) -> None:
    assert 1 <= changed_blocks(old, c.text) <= len(c.edits)
    for (was, now), note in zip(pairs(c), c.edits, strict=True):
        low = now.lower()
        listed = any(low.startswith(v) for v in MISSPELLINGS.values()) or low in CONFUSED.values()
        diff = [i for i, (x, y) in enumerate(zip(was, now, strict=True)) if x != y] if len(was) == len(now) else []
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and was[diff[0]] == now[diff[1]]
        assert listed or swapped, note
        assert was != now and now in c.text


def check_russian_words_en(old: str, c: Corruption) -> None:
    words = [now for (was, now), note in zip(pairs(c), c.edits, strict=True) if note.startswith("Russian")]
    assert cyrillic_words(c.text) - cyrillic_words(old) == len(words)
    assert all(w.lower() in RUSSIAN.values() for w in words)
    calques = [(was, now) for (was, now), note in zip(pairs(c), c.edits, strict=True) if note.startswith("calque")]
    for was, now in calques:  # the calque is one of the patterns' and changes the phrase
        assert was != now and any(re.fullmatch(p, was, re.IGNORECASE) for p, *_ in CALQUES), was


NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?")


def check_wrong_number(old: str, c: Corruption) -> None:
    """Only numbers changed, one per edit, the final answer among them."""
    assert NUMBER.sub("#", old) == NUMBER.sub("#", c.text)
    a, b = NUMBER.findall(old), NUMBER.findall(c.text)
    assert sum(x != y for x, y in zip(a, b, strict=True)) == len(c.edits)
    assert sum("final answer" in e for e in c.edits) == 1


def count_steps(text: str) -> int:
    """Sentences with a digit or "=" outside code and answer lines (an independent count)."""
    n, code = 0, False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            code = not code
            continue
        if (
            code
            or re.match(r"^[\s>#*_•-]*(?:ответ|answer)\b", line, re.IGNORECASE)
            or line.lstrip().startswith(("#", "|"))
        ):
            continue
        body = re.sub(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", "", line)
        n += sum(bool(re.search(r"\d|=", s.text)) for s in sentenize(body))
    return n


def last_line(text: str) -> str:
    return [ln for ln in text.splitlines() if ln.strip()][-1].strip()


def check_drop_step(old: str, c: Corruption) -> None:
    assert count_steps(c.text) < count_steps(old)
    assert last_line(c.text) == last_line(old) or not re.match(r"(?i)\W*(ответ|answer)", last_line(old))
    assert len(c.text) < len(old)


def check_padding(old: str, c: Corruption, lang: str) -> None:
    head, tail = PADDING[lang]
    added = [now for note in c.edits for now in re.findall(r"«(.+?)»", note)]
    assert len(added) == len(c.edits) and all(s in head or s in tail for s in added)
    rest = c.text
    for s in added:
        assert s in rest
        rest = rest.replace(s, "", 1)
    assert rest.split() == old.split()


def strip_markup(text: str) -> str:
    text = re.sub(r"(?m)^(\s*)(?:#{1,6}\s+|-\s+)", r"\1", text)
    return text.replace("**", "")


def check_markdown(old: str, c: Corruption) -> None:
    assert re.findall(r"\w+", strip_markup(c.text)) == re.findall(r"\w+", strip_markup(old))
    assert strip_markup(c.text).split() == strip_markup(old).split()
    assert c.text.count("**") + c.text.count("\n- ") + c.text.count("## ") > old.count("**") + old.count(
        "\n- "
    ) + old.count("## ")


def verify(op: Operator, old: str, c: Corruption) -> None:
    """The edits of `c` are the error (or the neutral change) `op` claims, and as many as noted."""
    assert c.text != old and c.edits
    checks = {
        ("ru", "agreement"): check_agreement_ru,
        ("ru", "case"): check_case_ru,
        ("ru", "spelling"): check_spelling_ru,
        ("ru", "punctuation"): check_punctuation_ru,
        ("ru", "english_words"): check_english_words_ru,
        ("ru", "homoglyph"): check_homoglyph_ru,
        ("en", "agreement"): check_agreement_en,
        ("en", "spelling"): check_spelling_en,
        ("en", "russian_words"): check_russian_words_en,
    }
    if op.name in ("padding",):
        check_padding(old, c, op.lang)
    elif op.name == "markdown":
        check_markdown(old, c)
    elif op.name == "drop_step":
        check_drop_step(old, c)
    elif op.name == "wrong_number":
        check_wrong_number(old, c)
    else:
        checks[(op.lang, op.name)](old, c)
