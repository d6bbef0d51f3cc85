"""English operators: subject–verb and determiner–noun agreement, spelling, Russian words and
Russian-style calques. No English morphology library is installed, so the rules are narrow word
patterns that are wrong whatever the context (a pronoun and its verb; a determiner, a noun and
the verb right after them), not a parser's guesses."""

from __future__ import annotations

import random
import re

from judge.probe._text import Site, corrupt, is_free, match_case, protected_spans, wordset
from judge.probe.operators import Corruption, operator

__all__ = ["CALQUES", "MISSPELLINGS", "PRONOUN_VERBS", "RUSSIAN", "plural_verb", "singular_verb"]

# ---------------------------------------------------------------------------------------------
# Agreement

_SINGULAR_VERBS = {"is": "are", "was": "were", "has": "have", "does": "do", "doesn't": "don't"}
_PLURAL_VERBS = {"are": "is", "were": "was", "have": "has", "do": "does", "don't": "doesn't"}
PRONOUN_VERBS: dict[str, dict[str, str]] = {
    **{p: _SINGULAR_VERBS for p in ("he", "she", "it", "this")},
    **{p: _PLURAL_VERBS for p in ("they", "we", "you")},
    "i": {"am": "is", "have": "has", "do": "does"},
}
"""Subject pronoun -> {its verb: the verb of the other number}: "it is" → "it are"."""

_VERBS = wordset(
    "show suggest indicate mean need include provide require allow help work depend remain appear contain take"
    " give become cause lead tend use make seem look come get run follow represent produce create affect"
    " increase decrease change differ exist occur apply support describe explain reflect match vary belong"
    " play say know want"
)
_IRREGULAR = {"are": "is", "were": "was", "have": "has", "do": "does"}
# Nouns that end in -s but are singular, or that take either number ("the data show/shows").
_NOT_PLURAL = wordset(
    "series species means news physics mathematics economics politics ethics statistics analysis basis"
    " thesis crisis status bus process class access success loss business less this its his has was is"
    " data media criteria phenomena people police staff"
)
_FUNCTION_WORDS = wordset(
    "will would can could should may might must shall is was are were has have had does did not also only"
    " way one time means case kind type sort point for with from into about and but because when since after"
    " before without through over under again here there too yet then than led made took gave got had did"
    " meant became came went left kept found brought seem make mean need help work show"
)

# Words after a determiner that are not a noun heading the subject, or take either number
# ("the following are", "the rest is", "the majority are").
_NOT_SUBJECT = wordset(
    "same following first last best other former latter rest majority number remaining total whole next"
    " previous above below latest most least few many all both some none each every one own only very more"
)


def plural_verb(verb: str) -> str | None:
    """The verb's form after a singular subject ("show" → "shows", "are" → "is"), or None."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb not in _VERBS:
        return None
    if re.search(r"(?:s|sh|ch|x|o)$", verb):
        return verb + "es"
    return verb[:-1] + "ies" if re.search(r"[^aeiou]y$", verb) else verb + "s"


def singular_verb(verb: str) -> str | None:
    """The base form of a 3rd-person singular verb ("shows" → "show", "is" → "are"), or None."""
    back = {v: k for k, v in _IRREGULAR.items()}
    if verb in back:
        return back[verb]
    return next((v for v in _VERBS if plural_verb(v) == verb), None)


def _plural_noun(word: str) -> bool:
    w = word.lower()
    return len(w) > 3 and w.endswith("s") and not re.search(r"(?:ss|us|is|ics)$", w) and w not in _NOT_PLURAL


def _singular_noun(word: str) -> bool:
    """A lowercase word after "this" that is likely its noun: not a verb, an adverb or a function
    word ("this helped" → "these helped" would still be English)."""
    plain = word.isalpha() and word.islower() and not re.search(r"(?:s|ed|ly)$", word)
    return plain and word not in _FUNCTION_WORDS and singular_verb(word) is None


def _agreement_sites(text: str, spans: list[tuple[int, int]]) -> list[Site]:
    sites = []

    def add(m: re.Match[str], group: int, new: str, kind: str) -> None:
        # the site is the whole phrase, so that no other edit lands in it ("this task is" must not
        # become "these task are": two changes that agree with each other again)
        start, end = m.span(group)
        if is_free(m.start(), m.end(), spans):
            changed = text[m.start() : start] + match_case(m.group(group), new) + text[end : m.end()]
            sites.append(Site(m.start(), m.end(), changed, f"{kind}: «{m.group()}» → «{changed}»"))

    for m in re.finditer(
        r"\b(he|she|it|this|they|we|you|I) (is|was|has|does|are|were|have|do|am|doesn't|don't)\b", text, re.I
    ):
        verbs = PRONOUN_VERBS[m.group(1).lower()]
        if m.group(2).lower() in verbs:
            add(m, 2, verbs[m.group(2).lower()], "subject–verb")
    for m in re.finditer(r"\b(these|those|this)\b (\w{3,})\b", text, re.I):
        det, noun = m.group(1).lower(), m.group(2)
        if det != "this" and _plural_noun(noun):
            add(m, 1, "this" if det == "these" else "that", "determiner–noun")
        elif det == "this" and _singular_noun(noun):
            add(m, 1, "these", "determiner–noun")
    det = r"\b(?:the|these|those|our|their|such|many|all|both|some|most|its|his|her|my|your|this|that|each|every)"
    for m in re.finditer(rf"{det} ([a-z]{{3,}}) ([a-z]+)\b", text, re.I):
        noun, verb = m.group(1), m.group(2).lower()
        if noun.lower() in _NOT_PLURAL or noun.lower() in _FUNCTION_WORDS or noun.lower() in _NOT_SUBJECT:
            continue
        if (_plural_noun(noun) and (new := plural_verb(verb))) or (
            not noun.lower().endswith("s") and (new := singular_verb(verb))
        ):
            add(m, 2, new, "subject–verb")
    return sites


def _agreement(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Break subject–verb agreement ("the results show" → "the results shows", "it is" → "it are",
    "he has" → "he have") or determiner–noun number ("these results" → "this results")."""
    return corrupt(text, _agreement_sites(text, protected_spans(text)), dose, rng)


operator("agreement", "en")(_agreement)

# ---------------------------------------------------------------------------------------------
# Spelling

MISSPELLINGS: dict[str, str] = {
    "receiv": "reciev", "separat": "seperat", "definitely": "definately", "definite": "definate",
    "occurrence": "occurence", "occurred": "occured", "occurring": "occuring", "necessar": "neccessar",
    "accommodat": "accomodat", "achiev": "acheiv", "believ": "beleiv", "beginning": "begining",
    "calendar": "calender", "committee": "comittee", "environment": "enviroment", "government": "goverment",
    "independen": "independan", "maintenance": "maintainance", "recommend": "reccomend",
    "successful": "succesful", "until": "untill", "weird": "wierd", "tomorrow": "tommorow", "truly": "truely",
    "argument": "arguement", "existence": "existance", "publicly": "publically", "address": "adress",
    "immediately": "immediatly", "different": "diffrent", "business": "buisness", "because": "becuase",
    "which": "wich", "apparent": "apparant", "embarrass": "embarass", "possess": "posess", "length": "lenght",
    "category": "catagory", "conscious": "concious", "familiar": "familar", "foreign": "foriegn",
    "grammar": "grammer", "guarantee": "garantee", "interrupt": "interupt", "library": "libary",
    "noticeable": "noticable", "persistent": "persistant", "privilege": "priviledge", "referred": "refered",
    "relevant": "relevent", "rhythm": "rythm", "sentence": "sentance", "similar": "similer",
    "tendency": "tendancy", "threshold": "threshhold",
}  # fmt: skip
"""Common misspellings, as a stem or a word: a word that starts with the key is misspelled the
same way ("receives" → "recieves")."""
CONFUSED: dict[str, str] = {
    "their": "there", "there": "their", "its": "it's", "it's": "its", "your": "you're", "you're": "your",
    "than": "then", "whose": "who's", "lose": "loose", "affect": "effect", "affects": "effects",
}  # fmt: skip
"""Words written as their homophone (or near one): real words, wrong here."""
_WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?:'[a-z]+)?(?![\w'’-])")


def _spelling(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Misspell words: common misspellings ("receive" → "recieve", "separate" → "seperate"),
    confused homophones (their/there, its/it's), and, when the text has none of those, swapped
    letters inside a long word ("between" → "bewteen")."""
    spans = protected_spans(text)
    sites, swaps = [], []
    for m in _WORD.finditer(text):
        w = m.group()
        if not is_free(m.start(), m.end(), spans) or (len(w) > 1 and w.isupper()):
            continue
        low = w.lower()
        right = next((k for k in MISSPELLINGS if low.startswith(k)), None)
        if right is not None:
            new = match_case(w, MISSPELLINGS[right] + low[len(right) :])
            sites.append(Site(m.start(), m.end(), new, f"misspelling: «{w}» → «{new}»"))
        elif low in CONFUSED:
            new = match_case(w, CONFUSED[low])
            sites.append(Site(m.start(), m.end(), new, f"confused word: «{w}» → «{new}»"))
        elif len(w) >= 7 and w.isalpha() and w[1:].islower():
            places = [i for i in range(1, len(w) - 2) if w[i] != w[i + 1]]
            if places:
                i = rng.choice(places)
                new = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
                swaps.append(Site(m.start(), m.end(), new, f"letters swapped: «{w}» → «{new}»"))
    return corrupt(text, sites, dose, rng, fallback=swaps)


operator("spelling", "en")(_spelling)

# ---------------------------------------------------------------------------------------------
# Russian words

RUSSIAN: dict[str, str] = {
    "important": "важный", "example": "пример", "examples": "примеры", "result": "результат",
    "results": "результаты", "problem": "проблема", "problems": "проблемы", "question": "вопрос",
    "questions": "вопросы", "solution": "решение", "solutions": "решения", "information": "информация",
    "method": "метод", "methods": "методы", "system": "система", "systems": "системы", "process": "процесс",
    "step": "шаг", "steps": "шаги", "task": "задача", "tasks": "задачи", "idea": "идея", "ideas": "идеи",
    "function": "функция", "functions": "функции", "value": "значение", "values": "значения",
    "number": "число", "numbers": "числа", "user": "пользователь", "users": "пользователи", "file": "файл",
    "files": "файлы", "list": "список", "error": "ошибка", "errors": "ошибки", "however": "однако",
    "therefore": "поэтому", "also": "также", "very": "очень", "always": "всегда", "usually": "обычно",
    "often": "часто", "simple": "простой", "easy": "лёгкий", "quickly": "быстро", "especially": "особенно",
    "together": "вместе", "approach": "подход", "time": "время", "people": "люди", "company": "компания",
    "money": "деньги", "city": "город", "water": "вода", "house": "дом", "friend": "друг", "friends": "друзья",
}  # fmt: skip
"""English word -> Russian word, as a Russian writer's slips into their first language."""

_THEY = r"(?P<subj>I|we|they|you)"
CALQUES: list[tuple[str, str, str]] = [
    (r"\b(?P<v>take|takes|took|taken|taking) (?P<rest>(?:a|the) (?:photo|picture)s?)\b", "make a photo", "make"),
    (r"\bin (?P<rest>the (?:photo|picture|image))\b", "on the photo", "on"),
    (rf"\b{_THEY} agree\b", "I am agree", "be"),
    (r"\b(?P<v>depend|depends|depended|depending) on\b", "depend from", "from"),
    (r"\b(?P<v>discuss|discussed|discusses|discussing) (?P<rest>the|this|that|these|those|how|what|it)\b",
     "discuss about", "about"),
    (r"\b(?P<v>explain|explained|explains|explaining) to (?P<rest>me|us|him|her|them)\b", "explain me", "drop"),
    (r"\b(?P<v>listen|listened|listens|listening) to\b", "listen music", "drop"),
    (r"\b(?P<v>wait|waited|waits|waiting) for\b", "wait somebody", "drop"),
    (r"\bon (?P<rest>the internet)\b", "in the internet", "in"),
    (r"\bat the moment\b", "in this moment", "moment"),
    (r"\b(?P<v>married) to\b", "married on", "on"),
    (r"\b(?P<v>enter|entered|enters|entering) (?P<rest>the)\b", "enter into", "into"),
]  # fmt: skip
"""(pattern, the calque it makes, how): Russian constructions written in English words
(«сделать фото», «на фото», «я согласен», «зависеть от», «обсуждать о», «объяснить мне»)."""
_MAKE = {"take": "make", "takes": "makes", "took": "made", "taken": "made", "taking": "making"}
_BE = {"i": "am", "we": "are", "they": "are", "you": "are"}


def _calque(m: re.Match[str], how: str) -> str:
    g = m.groupdict()
    v, rest = g.get("v") or "", g.get("rest") or ""
    if how == "make":
        return f"{match_case(v, _MAKE[v.lower()])} {rest}"
    if how == "be":
        return f"{g['subj']} {_BE[g['subj'].lower()]} agree"
    if how in ("on", "in"):
        return f"{match_case(m.group(), how)} {rest}" if rest else f"{v} {how}"
    if how == "drop":
        return f"{v} {rest}".strip()
    if how == "moment":
        return match_case(m.group(), "in this moment")
    return f"{v} {how} {rest}".strip()


def _russian_words(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Swap English words for Russian ones ("important" → «важный») or write Russian constructions
    in English words: "take a photo" → "make a photo", "in the photo" → "on the photo", "I agree" →
    "I am agree", "depends on" → "depends from", "discuss the" → "discuss about the"."""
    spans = protected_spans(text)
    sites = []
    for pattern, _, how in CALQUES:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            if is_free(m.start(), m.end(), spans):
                new = _calque(m, how)
                sites.append(Site(m.start(), m.end(), new, f"calque: «{m.group()}» → «{new}»"))
    for m in _WORD.finditer(text):
        w = m.group()
        if w.lower() in RUSSIAN and is_free(m.start(), m.end(), spans) and not (len(w) > 1 and w.isupper()):
            new = match_case(w, RUSSIAN[w.lower()])
            sites.append(Site(m.start(), m.end(), new, f"Russian word: «{w}» → «{new}»"))
    return corrupt(text, sites, dose, rng)


operator("russian_words", "en")(_russian_words)
