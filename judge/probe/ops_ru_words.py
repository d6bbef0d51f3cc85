"""Russian operators that change words: `spelling` (misspellings of kinds Russian writers make)
and `english_words` (English words and English calques in a Russian text, as LLMs write them)."""

from __future__ import annotations

import random
import re

from judge.probe._ru import cyrillic, morph, pairs, parses, tokens
from judge.probe._text import Site, corrupt, is_free, match_case, protected_spans
from judge.probe.operators import Corruption, operator

__all__ = ["CALQUE_PHRASES", "CALQUE_VERBS", "ENGLISH", "MISSPELLINGS", "STEM_MISSPELLINGS"]

# ---------------------------------------------------------------------------------------------
# Spelling

MISSPELLINGS: dict[str, str] = {
    "также": "так же",
    "тоже": "то же",
    "вследствие": "в следствии",
    "впоследствии": "в последствии",
    "в течение": "в течении",
    "несмотря": "не смотря",
    "в общем": "вообщем",
    "в принципе": "впринципе",
    "вряд ли": "врядли",
    "всё-таки": "всё таки",
    "все-таки": "все таки",
    "что-то": "что то",
    "кто-то": "кто то",
    "как-то": "как то",
    "где-то": "где то",
    "по-моему": "по моему",
    "по-другому": "по другому",
    "по-прежнему": "по прежнему",
    "потому что": "потому-что",
    "в виду": "ввиду",  # «иметь в виду»
    "вместе": "в месте",
    "сначала": "с начала",
    "вообще": "вобще",
    "пожалуйста": "пожалуйсто",
    "здравствуйте": "здраствуйте",
    "извините": "извените",
    "расстояние": "растояние",
    "лестница": "лесница",
}
"""Whole words or phrases and their common misspellings (a wrongly split, joined or hyphenated
word keeps every letter: pymorphy3 knows «течении», yet «в течении» is an error)."""

STEM_MISSPELLINGS: dict[str, str] = {
    "агентств": "агенств",
    "чувств": "чуств",
    "участв": "учавств",
    "преимуществ": "приимуществ",
    "привилеги": "привелеги",
    "аккуратн": "акуратн",
    "интеллект": "интелект",
    "коммуникац": "комуникац",
    "эффективн": "эфективн",
    "профессионал": "професионал",
    "рассчит": "расчит",
    "ассоциац": "асоциац",
    "прецедент": "прецендент",
    "инцидент": "инциндент",
    "бесплатн": "безплатн",
    "территори": "територи",
    "миллион": "милион",
    "миллиард": "милиард",
    "коллег": "колег",
    "коллектив": "колектив",
    "программ": "програм",
    "аппарат": "апарат",
    "эксперимент": "эксперемент",
    "искусств": "искуств",
    "иллюстр": "илюстр",
    "дилемм": "дилем",
}
"""Stems misspelled in any form of the word («агентство», «агентства» → «агенство», «агенства»);
used only when pymorphy3 does not know the result."""

_TSYA = re.compile(r"(ть?)(ся)$")
_SINGLE_N = re.compile(
    r"(?<=[аяеиё])н(?=(?:ый|ая|ое|ые|ого|ой|ому|ом|ую|ым|ыми|ых|ий|ее|ие|его|ей|ему|ем|юю|им|ими|их)$)"
)


def _known(word: str) -> bool:
    return bool(morph().word_is_known(word.lower()))


def _spelling_sites(text: str, spans: list[tuple[int, int]]) -> list[Site]:
    sites = []
    for right, wrong in MISSPELLINGS.items():
        for m in re.finditer(rf"(?<![\w-]){re.escape(right)}(?![\w-])", text, re.IGNORECASE):
            if is_free(m.start(), m.end(), spans):
                new = match_case(m.group(), wrong)
                sites.append(Site(m.start(), m.end(), new, f"spelling (list): «{m.group()}» → «{new}»"))
    for tok in tokens(text):
        w = tok.text
        if not (cyrillic(w) and is_free(tok.start, tok.stop, spans)):
            continue
        low = w.lower()
        for right, wrong in STEM_MISSPELLINGS.items():
            i = low.find(right)
            if i >= 0 and not _known(low.replace(right, wrong, 1)):
                new = w[:i] + match_case(w[i : i + len(right)], wrong) + w[i + len(right) :]
                sites.append(Site(tok.start, tok.stop, new, f"spelling (list): «{w}» → «{new}»"))
                break
        best = parses(w)[0]
        tsya = _TSYA.search(low)
        # «-тся» is the third person, «-ться» the infinitive: a swap is an error even though both
        # spellings are words.
        infinitive = tsya is not None and tsya.group(1) == "ть" and best.tag.POS == "INFN"
        if tsya and (infinitive or (tsya.group(1) == "т" and best.tag.POS == "VERB")):
            new = w[: tsya.start()] + ("тся" if infinitive else "ться")
            sites.append(Site(tok.start, tok.stop, new, f"spelling (-тся/-ться): «{w}» → «{new}»"))
        elif best.tag.POS in ("ADJF", "PRTF"):
            if "нн" in low:
                i = low.rfind("нн")
                new = w[:i] + w[i + 1 :]
            else:
                nm = _SINGLE_N.search(low)
                new = w[: nm.start()] + "н" + w[nm.start() :] if nm and best.tag.POS == "ADJF" else w
            if new != w and not _known(new):
                sites.append(Site(tok.start, tok.stop, new, f"spelling (н/нн): «{w}» → «{new}»"))
    for ne, verb in pairs(text, spans):
        joined = ne.text + verb.text
        if ne.text.lower() == "не" and parses(verb.text)[0].tag.POS in ("VERB", "INFN") and not _known(joined):
            note = f"spelling (не with a verb): «{ne.text} {verb.text}» → «{joined}»"
            sites.append(Site(ne.start, verb.stop, joined, note))
    return sites


def _spelling(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Misspell words: -тся/-ться swaps, н/нн, «не» written together with a verb, and common
    misspellings («также» → «так же», «в течение» → «в течении», «агентство» → «агенство»)."""
    return corrupt(text, _spelling_sites(text, protected_spans(text)), dose, rng)


operator("spelling", "ru")(_spelling)

# ---------------------------------------------------------------------------------------------
# English words

_NOUNS = {
    "проблема": ("problem", "problems"), "задача": ("task", "tasks"), "решение": ("solution", "solutions"),
    "результат": ("result", "results"), "пример": ("example", "examples"), "вопрос": ("question", "questions"),
    "информация": ("information", "information"), "метод": ("method", "methods"), "система": ("system", "systems"),
    "процесс": ("process", "processes"), "способ": ("way", "ways"), "функция": ("function", "functions"),
    "возможность": ("opportunity", "opportunities"), "шаг": ("step", "steps"), "цель": ("goal", "goals"),
    "идея": ("idea", "ideas"), "опыт": ("experience", "experience"), "качество": ("quality", "quality"),
    "уровень": ("level", "levels"), "вариант": ("option", "options"), "подход": ("approach", "approaches"),
    "совет": ("tip", "tips"), "ошибка": ("mistake", "mistakes"), "пользователь": ("user", "users"),
    "клиент": ("client", "clients"), "команда": ("team", "teams"), "навык": ("skill", "skills"),
    "рынок": ("market", "markets"), "продукт": ("product", "products"), "компания": ("company", "companies"),
    "проект": ("project", "projects"), "встреча": ("meeting", "meetings"), "отзыв": ("feedback", "feedback"),
    "преимущество": ("advantage", "advantages"), "недостаток": ("drawback", "drawbacks"),
    "особенность": ("feature", "features"), "инструмент": ("tool", "tools"), "правило": ("rule", "rules"),
    "причина": ("reason", "reasons"), "стратегия": ("strategy", "strategies"),
}  # fmt: skip
_OTHER = {
    "важный": "important", "основной": "main", "главный": "main", "эффективный": "effective",
    "полезный": "useful", "необходимый": "necessary", "простой": "simple", "сложный": "complex",
    "хороший": "good", "плохой": "bad", "новый": "new", "быстрый": "fast", "удобный": "convenient",
    "интересный": "interesting", "возможный": "possible", "правильный": "correct", "различный": "various",
    "конкретный": "specific", "ключевой": "key", "дополнительный": "additional",
    "очень": "very", "всегда": "always", "часто": "often", "обычно": "usually", "особенно": "especially",
    "быстро": "quickly", "например": "for example", "однако": "however", "поэтому": "therefore",
    "также": "also", "конечно": "of course", "важно": "important", "сначала": "first",
    "помочь": "help", "помогать": "help", "понять": "understand", "понимать": "understand",
    "улучшить": "improve", "улучшать": "improve", "проверить": "check", "проверять": "check",
    "рассмотреть": "consider", "объяснить": "explain", "использовать": "use", "создать": "create",
    "выбрать": "choose",
}  # fmt: skip
ENGLISH: dict[str, tuple[str, str]] = {**_NOUNS, **{k: (v, v) for k, v in _OTHER.items()}}
"""Russian lemma -> English word (singular, plural)."""

CALQUE_VERBS: list[tuple[dict[str, str], frozenset[str]]] = [
    ({"решить": "адресовать", "решать": "адресовать"}, frozenset({"проблему", "проблемы", "проблем"})),
    ({"иметь": "делать"}, frozenset({"смысл"})),
    ({"принять": "сделать", "принимать": "делать"}, frozenset({"решение", "решения"})),
    ({"обратить": "заплатить", "обращать": "платить"}, frozenset({"внимание"})),
    ({"задать": "спросить", "задавать": "спрашивать"}, frozenset({"вопрос", "вопросы", "вопросов"})),
    ({"сделать": "нарисовать", "делать": "рисовать"}, frozenset({"вывод", "выводы", "выводов"})),
]
"""Verb + object collocations and the verb of the English one, rendered in Russian («решить
проблему» → «адресовать проблему», "address the problem"; «имеет смысл» → «делает смысл»)."""
CALQUE_PHRASES: dict[str, str] = {
    "на самом деле": "актуально",
    "в любом случае": "в любом кейсе",
    "в конце концов": "в конце дня",
    "с другой стороны": "на другой руке",
    "по моему мнению": "в моём мнении",
    "другими словами": "в других словах",
    "имеет значение": "делает разницу",
}
"""Fixed phrases and their word-for-word English ("actually", "in any case", "at the end of the day",
"on the other hand", "in my opinion", "in other words", "makes a difference")."""
_VERB_GRAMMEMES = ("POS", "tense", "person", "number", "gender", "mood", "case", "voice")


def _calque_verb(verb: str, lemma: str) -> str | None:
    """`lemma` in the form of the verb `verb` («имеет», «делать» → «делает»)."""
    reading = parses(verb)[0]
    target = next((p for p in parses(lemma) if p.tag.POS == "INFN"), None)
    grams = {g for g in (getattr(reading.tag, a) for a in _VERB_GRAMMEMES) if g} - {"INFN"}
    if target is None:
        return None
    form = target if not grams else target.inflect(grams)
    return form.word if form is not None else None


def _english_sites(text: str, spans: list[tuple[int, int]]) -> list[Site]:
    sites = []
    for right, calque in CALQUE_PHRASES.items():
        for m in re.finditer(rf"(?<![\w-]){right}(?![\w-])", text, re.IGNORECASE):
            if is_free(m.start(), m.end(), spans):
                new = match_case(m.group(), calque)
                sites.append(Site(m.start(), m.end(), new, f"calque: «{m.group()}» → «{new}»"))
    for verb, obj in pairs(text, spans):
        lemma = parses(verb.text)[0].normal_form
        for verbs, objects in CALQUE_VERBS:
            if lemma in verbs and obj.text.lower() in objects:
                form = _calque_verb(verb.text, verbs[lemma])
                if form:
                    new = match_case(verb.text, form)
                    note = f"calque: «{verb.text} {obj.text}» → «{new} {obj.text}»"
                    sites.append(Site(verb.start, verb.stop, new, note))
    for tok in tokens(text):
        if not (cyrillic(tok.text) and is_free(tok.start, tok.stop, spans)):
            continue
        best = parses(tok.text)[0]
        lemma = best.normal_form if best.tag.POS != "ADVB" else tok.text.lower()
        # a suppletive comparative or superlative («лучший» of «хороший») is not the English word
        if lemma in ENGLISH and best.score >= 0.4 and not {"COMP", "Supr"} & best.tag.grammemes:
            sing, plur = ENGLISH[lemma]
            new = match_case(tok.text, plur if best.tag.number == "plur" else sing)
            sites.append(Site(tok.start, tok.stop, new, f"English word: «{tok.text}» → «{new}»"))
    return sites


def _english_words(text: str, dose: int, rng: random.Random) -> Corruption | None:
    """Swap Russian words for English ones («важный» → «important») or English calques («решить
    проблему» → «адресовать проблему», «имеет смысл» → «делает смысл», «на самом деле» → «актуально»)."""
    return corrupt(text, _english_sites(text, protected_spans(text)), dose, rng)


operator("english_words", "ru")(_english_words)
