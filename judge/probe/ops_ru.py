"""Russian operators: agreement, case government, punctuation, homoglyphs (here) and spelling and
English words (`ops_ru_words`, imported below so that loading this module registers them all).

The morphology is pymorphy3's: a site is used only when the clean text reads as correct (the most
likely readings agree) and the new form cannot be read as correct (no reading of it agrees).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

from judge.checks.language import mixed_script_words
from judge.probe._ru import CASES, agree, case_of, cyrillic, pairs, parses, tokens
from judge.probe._text import Site, corrupt, is_free, match_case, protected_spans, rewrite
from judge.probe.operators import Corruption, operator

__all__ = ["HOMOGLYPHS", "PREPOSITION_CASES", "VERB_CASES"]

_ADJ = ("ADJF", "PRTF")
_GENDERS = ("masc", "femn", "neut")


def _keep_yo(original: str, new: str) -> str:
    """pymorphy3 writes «ё»; a text written with «е» keeps «е», so that only the error differs."""
    return new if "ё" in original.lower() else new.replace("ё", "е")


# ---------------------------------------------------------------------------------------------
# Agreement


def _agreeing(adj: str, noun: str) -> tuple[Any, Any] | None:
    """The readings under which `adj noun` is an agreeing adjective + noun pair, when the most
    likely readings are an adjective (participle) and a noun; else None."""
    pa, pn = parses(adj), parses(noun)
    if pa[0].tag.POS not in _ADJ or pn[0].tag.POS != "NOUN" or pa[0].normal_form == "который":
        return None
    for a in pa:
        for n in pn:
            if a.tag.POS in _ADJ and n.tag.POS == "NOUN" and agree(a.tag, n.tag):
                return a, n
    return None


def disagrees(adj: str, noun: str, lemma: str) -> bool:
    """No reading of `adj` (as a form of `lemma`) agrees with any noun reading of `noun`."""
    adjs = [a for a in parses(adj) if a.tag.POS in _ADJ and a.normal_form == lemma]
    nouns = [n for n in parses(noun) if n.tag.POS == "NOUN"]
    return bool(adjs) and not any(agree(a.tag, n.tag) for a in adjs for n in nouns)


@lru_cache(maxsize=16384)
def _disagreeing_forms(adj: str, noun: str) -> tuple[str, ...]:
    """Forms of the adjective `adj` (lowercase) that no reading lets agree with `noun`: other
    genders, the other number, other cases; empty when `adj noun` is not an agreeing pair."""
    found = _agreeing(adj, noun)
    if found is None:
        return ()
    reading = found[0]
    tag = reading.tag
    wanted: list[set[str]] = [{c} for c in CASES if c != case_of(tag)]
    if tag.number == "sing":
        wanted = [{g} for g in _GENDERS if g != tag.gender] + [{"plur"}] + wanted
    else:
        wanted = [{"sing", g} for g in _GENDERS] + wanted
    forms: list[str] = []
    for grams in wanted:
        form = reading.inflect(grams)
        if form is None or form.word == adj or form.word in forms:
            continue
        if disagrees(form.word, noun, reading.normal_form):
            forms.append(form.word)
    return tuple(forms)


def _agreement(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Break the agreement of an adjective or participle with its noun in gender, number or case
    («новая книга» → «новый книга»)."""
    sites = []
    for a, n in pairs(text, protected_spans(text)):
        forms = _disagreeing_forms(a.text.lower(), n.text.lower())
        if forms:
            new = match_case(a.text, _keep_yo(a.text, rng.choice(forms)))
            note = f"agreement: «{a.text} {n.text}» → «{new} {n.text}»"
            sites.append(Site(a.start, a.stop, new, note))
    return corrupt(text, sites, dose, rng)


operator("agreement", "ru")(_agreement)

# ---------------------------------------------------------------------------------------------
# Case government

_ALL = set(CASES)
PREPOSITION_CASES: dict[str, frozenset[str]] = {
    **dict.fromkeys(("в", "во", "на"), frozenset({"accs", "loct"})),
    **dict.fromkeys(("о", "об", "обо"), frozenset({"accs", "loct"})),
    "по": frozenset({"datv", "loct", "accs"}),
    **dict.fromkeys(("с", "со"), frozenset({"gent", "ablt", "accs"})),
    **dict.fromkeys(("за", "под", "подо"), frozenset({"accs", "ablt"})),
    **dict.fromkeys(("над", "надо", "перед", "передо"), frozenset({"ablt"})),
    "между": frozenset({"ablt", "gent"}),
    "при": frozenset({"loct"}),
    **dict.fromkeys(("к", "ко", "согласно", "благодаря", "вопреки", "навстречу"), frozenset({"datv"})),
    **dict.fromkeys(("через", "про", "сквозь"), frozenset({"accs"})),
    **dict.fromkeys(
        (
            "от", "ото", "до", "из", "изо", "без", "безо", "для", "у", "около", "после", "вокруг",
            "против", "кроме", "среди", "возле", "мимо", "вместо", "ради", "из-за", "из-под", "вдоль",
        ),
        frozenset({"gent"}),
    ),
}  # fmt: skip
"""The cases each preposition governs (a noun right after it must be in one of them)."""

VERB_CASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "управлять", "руководить", "пользоваться", "воспользоваться", "заниматься", "владеть",
            "интересоваться", "обладать", "являться", "становиться", "стать", "считаться",
        ),
        "ablt",
    ),
    **dict.fromkeys(
        ("помогать", "помочь", "мешать", "способствовать", "доверять", "соответствовать", "следовать"),
        "datv",
    ),
    **dict.fromkeys(("бояться", "избегать", "достигать", "достигнуть", "достичь", "требовать", "касаться"), "gent"),
}  # fmt: skip
"""Verbs that govern one case (`управлять компанией`, `помогать людям`, `избегать ошибок`)."""


def _government(text: str, spans: list[tuple[int, int]]) -> list[tuple[Any, Any, frozenset[str]]]:
    """(head token, noun token, cases the head allows) for every noun right after a preposition
    or a verb of `VERB_CASES`, when the noun is in one of those cases."""
    out = []
    for head, noun in pairs(text, spans):
        h = head.text.lower()
        allowed = PREPOSITION_CASES.get(h)
        if allowed is None:
            verb = parses(h)[0]
            if verb.tag.POS not in ("VERB", "INFN", "GRND", "PRTF") or verb.normal_form not in VERB_CASES:
                continue
            allowed = frozenset({VERB_CASES[verb.normal_form]})
        n = parses(noun.text)[0]
        if n.tag.POS == "NOUN" and "Fixd" not in n.tag and case_of(n.tag) in allowed:
            out.append((head, noun, allowed))
    return out


@lru_cache(maxsize=16384)
def _wrong_cases(noun: str, allowed: frozenset[str]) -> tuple[str, ...]:
    """Forms of `noun` (lowercase) that no reading puts in one of the `allowed` cases."""
    reading = parses(noun)[0]
    forms: list[str] = []
    for c in sorted(_ALL - allowed):
        form = reading.inflect({c})
        if form is None or form.word == noun or form.word in forms:
            continue
        same = [p for p in parses(form.word) if p.tag.POS == "NOUN" and p.normal_form == reading.normal_form]
        if same and not any(case_of(p.tag) in allowed for p in same):
            forms.append(form.word)
    return tuple(forms)


def _case(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Put a noun in a case its preposition or verb does not govern («согласно приказу» →
    «согласно приказа», «в городе» → «в города», «управлять компанией» → «управлять компанию»)."""
    sites = []
    for head, noun, allowed in _government(text, protected_spans(text)):
        forms = _wrong_cases(noun.text.lower(), allowed)
        if forms:
            new = match_case(noun.text, _keep_yo(noun.text, rng.choice(forms)))
            sites.append(Site(noun.start, noun.stop, new, f"case: «{head.text} {noun.text}» → «{head.text} {new}»"))
    return corrupt(text, sites, dose, rng)


operator("case", "ru")(_case)

# ---------------------------------------------------------------------------------------------
# Punctuation

_PREP = r"(?:в|во|на|о|об|с|со|к|по|за|из|от|до|для|при|у|под|над|через|без|между|про|перед)"
_COMMA_BEFORE = re.compile(
    rf",(?=[ \t]+(?:{_PREP}[ \t]+)?(?P<word>что|чтобы|если|котор(?:ый|ая|ое|ые|ого|ой|ом|ому|ую|ым|ыми|ых))(?![\w-]))",
    re.IGNORECASE,
)


def _punctuation(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Remove commas that Russian requires: before «что», «чтобы», «если», «который» (with its
    preposition: «, в котором») and before a participial clause after its noun («книга, лежащая…»)."""
    spans = protected_spans(text)
    sites = []
    for m in _COMMA_BEFORE.finditer(text):
        if is_free(m.start(), m.end(), spans):
            sites.append(Site(m.start(), m.end(), "", f"comma removed before «{m.group('word')}»"))
    toks = tokens(text)
    for prev, comma, word in zip(toks, toks[1:], toks[2:], strict=False):
        if comma.text != "," or not (cyrillic(prev.text) and cyrillic(word.text)) or comma.start != prev.stop:
            continue
        participle = parses(word.text)[0].tag.POS == "PRTF" and parses(prev.text)[0].tag.POS == "NOUN"
        if participle and is_free(comma.start, comma.stop, spans) and not _COMMA_BEFORE.match(text, comma.start):
            note = f"comma removed before the participial clause «{word.text} …»"
            sites.append(Site(comma.start, comma.stop, "", note))
    return corrupt(text, sites, dose, rng)


operator("punctuation", "ru")(_punctuation)

# ---------------------------------------------------------------------------------------------
# Homoglyphs

HOMOGLYPHS = dict(zip("аеорсхуАВЕКМНОРСТХ", "aeopcxyABEKMHOPCTX", strict=True))
"""Cyrillic letters and the Latin letters that look the same."""
_WORD = re.compile(r"(?<![\w-])[а-яёА-ЯЁ]{3,}(?![\w-])")


def _homoglyph(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Replace one Cyrillic letter of a word by its Latin look-alike («слово» → «cлово»): invisible
    to a reader, a broken word to search, spell-checking and tokenizers. One word per edit."""
    spans = protected_spans(text)
    sites = []
    for m in _WORD.finditer(text):
        if not is_free(m.start(), m.end(), spans):
            continue
        word = m.group()
        inner = [i for i in range(1, len(word) - 1) if word[i] in HOMOGLYPHS]
        places = inner or [i for i, ch in enumerate(word) if ch in HOMOGLYPHS]
        if places:
            i = rng.choice(places)
            new = word[:i] + HOMOGLYPHS[word[i]] + word[i + 1 :]
            sites.append(Site(m.start(), m.end(), new, f"homoglyph: «{word}» with Latin {HOMOGLYPHS[word[i]]!r}"))
    rng.shuffle(sites)
    # Only words `check:language` reads as prose count (not a word in a line it takes for code):
    # each edit must add exactly one mixed-script word. The replacements keep every length.
    taken: list[Site] = []
    current, count = text, len(mixed_script_words(text))
    for site in sites:
        if len(taken) == dose:
            break
        trial = rewrite(current, [site])
        now = len(mixed_script_words(trial))
        if now == count + 1:
            taken.append(site)
            current, count = trial, now
    if not taken:
        return None
    taken.sort(key=lambda s: s.start)
    return Corruption(current, [s.note for s in taken])


operator("homoglyph", "ru")(_homoglyph)

from judge.probe import ops_ru_words  # noqa: E402, F401  (registers spelling and english_words)
