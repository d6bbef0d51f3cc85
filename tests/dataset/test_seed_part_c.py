"""Seed dataset, part C (translation, summarisation, official-style, idioms).

Shape: 8 bilingual pairs per category, references everywhere, at least 8 hard pairs. Translation
sources are 60–200 words in the other language; summarisation inputs are at least 450 words, and
the sample summary in each reference meets the item's `constraints` (counted here independently).
Every checkable answer is re-derived from data in this module — tables of which sentence misuses
which idiom, which equivalents are right, dates and temperatures parsed from the source texts — and
tried through the product's own `check:answer` on the reference and on plausible wrong answers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from judge.checks import CHECKS, get_check
from judge.dataset import Item, load_items

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "datasets" / "seed.jsonl"
PREFIXES = ("transl-", "summ-", "offic-", "idiom-")
CATEGORIES = {"translation": "transl-", "summarisation": "summ-", "official-style": "offic-", "idioms": "idiom-"}
PAIRS_PER_CATEGORY = 8

ITEMS: dict[str, Item] = {it.id: it for it in load_items(SEED) if it.id.startswith(PREFIXES)}

WORD = re.compile(r"\w+(?:[-'’]\w+)*")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def words(text: str) -> int:
    return len(WORD.findall(text))


def sentences(text: str) -> int:
    """Sentences of prose: split after . ! ? … before a capital or a digit; decimals are not ends."""
    text = re.sub(r"(\d)[.,](\d)", r"\1\2", text.strip())
    parts = re.split(r"(?<=[.!?…])[»\"”“]?\s+(?=[«\"„“(]?[A-ZА-ЯЁ0-9])", text)
    return len([p for p in parts if p.strip()])


def paragraphs(text: str) -> int:
    return len([p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()])


def source_block(prompt: str) -> str:
    """The text between the first two `---` lines of a prompt."""
    m = re.search(r"^---\n(.*?)\n---$", prompt, re.MULTILINE | re.DOTALL)
    assert m, "the prompt quotes its text between --- lines"
    return m.group(1)


def options(prompt: str) -> dict[str, str]:
    """Lines `A) …` of a multiple-choice prompt."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^([A-E])\) (.+)$", prompt, re.MULTILINE)}


def numbered(prompt: str) -> dict[int, str]:
    """Lines `1. …` of a prompt."""
    return {int(m.group(1)): m.group(2).strip() for m in re.finditer(r"^(\d+)\. (.+)$", prompt, re.MULTILINE)}


def only_key(text: str, table: dict[str, object]) -> str:
    """The one key of `table` that occurs in `text` (each option must name exactly one)."""
    found = [k for k in table if k.casefold() in text.casefold()]
    assert len(found) == 1, (text, found)
    return found[0]


# ---------------------------------------------------------------------------------------------
# The answer convention is the product's own `check:answer`.

_ANSWER_CHECK = get_check("answer")


def passes(item: Item, text: str) -> bool:
    rows = _ANSWER_CHECK(item, text)
    return bool(rows) and all(r.passed for r in rows)


def assert_choice(item: Item, computed: str, wrong: list[str]) -> None:
    assert item.answer is not None and item.answer.type == "choice"
    assert computed == item.answer.value, (item.id, computed)
    key = "Ответ" if item.lang == "ru" else "Answer"
    assert passes(item, item.reference or "")
    assert passes(item, f"{key}: {computed}")
    for letter in wrong:
        assert not passes(item, f"{key}: {letter}"), (item.id, letter)


def assert_regex(item: Item, good: list[str], bad: list[str]) -> None:
    assert item.answer is not None and item.answer.type == "regex"
    for text in good + [item.reference or ""]:
        assert passes(item, text), (item.id, "should match", text)
    for text in bad:
        assert not passes(item, text), (item.id, "should not match", text)


VERIFIERS: dict[str, Callable[[Item], None]] = {}


def verifies(*ids: str):
    def deco(fn):
        for i in ids:
            assert i not in VERIFIERS, i
            VERIFIERS[i] = fn
        return fn

    return deco


# --- translation ------------------------------------------------------------------------------

RU_MONTHS_GEN = [
    "",
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]


@verifies("transl-002-ru")
def _transl_002_ru(item: Item) -> None:
    src = source_block(item.prompt)
    raw = re.search(r"\b(\d\d/\d\d/\d{4})\b", src)
    money = re.search(r"\$(\d+\.\d+) million", src)
    assert raw and money and "CHICAGO" in src  # an American text: month/day/year
    us = datetime.strptime(raw.group(1), "%m/%d/%Y")
    misread = datetime.strptime(raw.group(1), "%d/%m/%Y")  # the trap: read it the Russian way
    assert (us.month, us.day) != (misread.month, misread.day)
    right = f"{us.day} {RU_MONTHS_GEN[us.month]}"
    wrong = f"{misread.day} {RU_MONTHS_GEN[misread.month]}"
    amount = money.group(1).replace(".", ",")
    good = [
        f"Компания откроет центр {right} {us.year} года. Стоимость — {amount} млн долларов.",
        f"Открытие — 1-го февраля {us.year} г.; комплекс стоимостью {amount} млн долларов.",
        f"Дата открытия: {us:%d.%m.%Y}.",
    ]
    bad = [
        f"Компания откроет центр {wrong} {us.year} года. Стоимость — {amount} млн долларов.",
        f"Компания откроет центр {right} {us.year} года. Стоимость — {money.group(1)} млн долларов.",
        f"Открытие — {right} (или {wrong}).",
        f"Компания откроет центр {raw.group(1)}.",
    ]
    assert_regex(item, good, bad)


@verifies("transl-002-en")
def _transl_002_en(item: Item) -> None:
    src = source_block(item.prompt)
    raw = re.search(r"\b(\d\d\.\d\d\.\d{4})\b", src)
    money = re.search(r"(\d+,\d+) млрд руб\.", src)
    assert raw and money
    ru = datetime.strptime(raw.group(1), "%d.%m.%Y")
    misread = datetime.strptime(raw.group(1), "%m.%d.%Y")
    assert (ru.month, ru.day) != (misread.month, misread.day)
    amount = money.group(1).replace(",", ".")
    good = [
        f"SibAgroLogistik will open the hub on {ru:%-d %B %Y}. The project is worth RUB {amount} billion.",
        f"The hub opens on {ru:%B %-d, %Y}, at a cost of {amount} billion roubles.",
        f"Opening date: {ru:%b}. {ru.day}st, {ru.year}.",
    ]
    bad = [
        f"SibAgroLogistik will open the hub on {misread:%-d %B %Y}. The project is worth RUB {amount} billion.",
        f"The hub opens on {misread:%B %-d, %Y}.",
        f"The hub opens on {ru:%-d %B %Y} at a cost of RUB {money.group(1)} billion.",
        f"The hub opens on {raw.group(1)}.",
    ]
    assert_regex(item, good, bad)


@verifies("transl-008-ru", "transl-008-en")
def _transl_008(item: Item) -> None:
    src = source_block(item.prompt)
    if item.lang == "ru":
        f = int(re.search(r"(\d+)°F", src).group(1))  # type: ignore[union-attr]
        c = (f - 32) * 5 / 9
        oven = round(c / 5) * 5  # ovens are set in steps of 5 or 10 degrees
        assert oven == 190
        good = [f"Разогрейте духовку до {oven} °C.", f"Разогрейте духовку до {c:.0f}°С.", "до 180–190 градусов"]
        bad = [f"Разогрейте духовку до {f} °F.", f"Разогрейте духовку до {f} градусов.", "Выпекайте 20–25 минут."]
    else:
        c = int(re.search(r"при (\d+) °C", src).group(1))  # type: ignore[union-attr]
        f = c * 9 / 5 + 32
        oven = int(f // 50 * 50)  # US recipes round to the familiar 350
        assert (oven, f) == (350, 356)
        good = [f"finish in the oven at {oven}°F", f"bake at {f:.0f} °F", f"at {oven} degrees Fahrenheit ({c}°C)"]
        bad = [f"finish in the oven at {c}°F", f"bake at {c} degrees", "Fry for 2–3 minutes a side."]
    assert_regex(item, good, bad)


# --- idioms: choice items, each established from a table --------------------------------------

# idiom -> (what it means, does it fit the sentence it appears in?)
IDIOM_001 = {
    "ru": {
        "засучив рукава": ("усердно, энергично", True),
        "собаку съел": ("большой знаток", True),
        "кот наплакал": ("очень мало", True),
        "медвежью услугу": ("помощь, которая вредит", True),
        "пиррова победа": ("победа ценой огромных потерь — не лёгкая победа без потерь", False),
    },
    "en": {
        "burning the midnight oil": ("working late into the night", True),
        "a piece of cake": ("very easy", True),
        "let the cat out of the bag": ("revealed a secret", True),
        "spill the beans": ("give a secret away", True),
        "baptism of fire": ("a hard first experience — not a calm week", False),
    },
}

# the gap needs "once committed, see it through"
IDIOM_004 = {
    "ru": {
        "после дождичка в четверг": "never",
        "взялся за гуж": "see it through",
        "цыплят по осени считают": "judge by results",
        "на воре и шапка горит": "the guilty give themselves away",
        "из пушки по воробьям": "overkill",
    },
    "en": {
        "once in a blue moon": "very rarely",
        "in for a penny, in for a pound": "see it through",
        "don't count your chickens": "judge by results",
        "the pot calling the kettle black": "shared fault",
        "a sledgehammer to crack a nut": "overkill",
    },
}
NEEDED_004 = "see it through"

# idiom -> the renderings in the other language that really mean the same
IDIOM_006 = {
    "ru": {
        "как с гуся вода": {"like water off a duck's back"},
        "делать из мухи слона": {"to make a mountain out of a molehill"},
        "лезть из кожи вон": {"to go all out", "to bend over backwards"},
        "с глазу на глаз": {"in private", "one-to-one", "face to face"},
        "водой не разольёшь": {"joined at the hip", "as thick as thieves"},
    },
    "en": {
        "to let the cat out of the bag": {"проболтаться, выдать секрет"},
        "to be in the same boat": {"быть в одной лодке"},
        "to hit the nail on the head": {"попасть в точку"},
        "to blow one's own trumpet": {"хвалить самого себя", "заниматься самовосхвалением"},
        "to kill time": {"убивать время"},
    },
}

# the set phrase as it stands in the sentence -> is it right in meaning and form there?
IDIOM_008 = {
    "ru": {
        "ни шатко ни валко": True,
        "не выдерживают никакой критики, поэтому их приняли": False,  # meaning clash
        "зарубил себе на лбу": False,  # зарубить на носу
        "окажут значительную роль": False,  # сыграть роль / оказать влияние
        "на широкую ногу и никогда не тратил": False,  # meaning clash
    },
    "en": {
        "buried the hatchet": True,
        "doesn't hold water, so it was approved": False,
        "so nervous before the exam that she was as cool as a cucumber": False,
        "play it by year": False,  # play it by ear
        "play devil's advocate and sign": False,
    },
}


@verifies("idiom-001-ru", "idiom-001-en")
def _idiom_001(item: Item) -> None:
    table = IDIOM_001[item.lang]
    opts = options(item.prompt)
    misused = [k for k, text in opts.items() if not table[only_key(text, table)][1]]
    assert len(misused) == 1
    assert_choice(item, misused[0], [k for k in opts if k != misused[0]])


@verifies("idiom-004-ru", "idiom-004-en")
def _idiom_004(item: Item) -> None:
    table = IDIOM_004[item.lang]
    opts = options(item.prompt)
    fits = [k for k, text in opts.items() if table[only_key(text, table)] == NEEDED_004]
    assert len(fits) == 1
    assert "___" in item.prompt  # the gap the idiom fills
    assert_choice(item, fits[0], [k for k in opts if k != fits[0]])


@verifies("idiom-006-ru", "idiom-006-en")
def _idiom_006(item: Item) -> None:
    table = IDIOM_006[item.lang]
    false_pairs = []
    for letter, text in options(item.prompt).items():
        idiom, rendering = (s.strip() for s in text.split(" — ", 1))
        assert idiom in table, idiom
        if rendering not in table[idiom]:
            false_pairs.append(letter)
    assert len(false_pairs) == 1
    assert_choice(item, false_pairs[0], [k for k in "ABCDE" if k != false_pairs[0]])


@verifies("idiom-008-ru", "idiom-008-en")
def _idiom_008(item: Item) -> None:
    table = IDIOM_008[item.lang]
    opts = options(item.prompt)
    correct = [k for k, text in opts.items() if table[only_key(text, table)]]
    assert len(correct) == 1
    assert_choice(item, correct[0], [k for k in opts if k != correct[0]])


# --- idioms: garbled set phrases (regex over the list of sentence numbers) --------------------

# the set phrase as it stands in the sentence -> the correct phrase, or None when it is right
GARBLED_003 = {
    "ru": {
        "играла для нашего отдела огромное значение": "имела огромное значение / играла огромную роль",
        "львиную часть": "львиную долю",
        "ни свет ни заря": None,
        "скрипя сердцем": "скрепя сердце",
        "ничтоже сумняшеся": None,
        "без сучка и задоринки": None,
        "не в бровь, а в глаз": None,
        "уделит должное значение": "уделит должное внимание / придаст должное значение",
    },
    "en": {
        "for all intensive purposes": "for all intents and purposes",
        "nip the problem in the bud": None,
        "tow the company line": "toe the line",
        "a case in point": None,
        "peaked my interest": "piqued my interest",
        "make do with": None,
        "a mute point": "a moot point",
        "a storm in a teacup": None,
    },
}


@verifies("idiom-003-ru", "idiom-003-en")
def _idiom_003(item: Item) -> None:
    table = GARBLED_003[item.lang]
    sents = numbered(item.prompt)
    assert sorted(sents) == list(range(1, 9))
    wrong = [n for n, text in sents.items() if table[only_key(text, table)] is not None]
    right = [n for n in sents if n not in wrong]
    assert wrong and right
    key = "Ответ" if item.lang == "ru" else "Answer"
    listed = ", ".join(map(str, wrong))
    conj = "и" if item.lang == "ru" else "and"
    good = [f"{key}: {listed}", f"**{key}:** {', '.join(map(str, wrong[:-1]))} {conj} {wrong[-1]}."]
    bad = [
        f"{key}: {', '.join(map(str, wrong[:-1]))}",  # one missed
        f"{key}: {listed}, {right[0]}",  # a correct sentence "fixed"
        f"{key}: {', '.join(map(str, right))}",
    ]
    assert_regex(item, good, bad)


# ---------------------------------------------------------------------------------------------
# Summaries: the sample summary in each reference meets the item's constraints.

SAMPLE_MARK = {"ru": "Пример резюме:\n", "en": "Sample summary:\n"}

# a lemma of `banned`/`required` -> a stem that matches its inflected forms
STEMS = {
    "частота": r"частот\w*",
    "децибел": r"децибел\w*",
    "frequency": r"frequenc\w*",
    "decibel": r"decibel\w*",
    "посещаемость": r"посещаемост\w*",
    "visit": r"visit\w*",
    "прошу": r"прош\w*|прос\w*",
    "отпуск": r"отпуск\w*",
    "leave": r"leave\w*",
    "функционировать": r"функционир\w*",
    "осуществление": r"осуществлени\w*",
    "вышеуказанный": r"вышеуказанн\w*",
    "facilitate": r"facilitat\w*",
    "leverage": r"leverag\w*",
    "aforementioned": r"aforementioned",
    "commencement": r"commencements?",
}


def has_word(text: str, lemma: str) -> bool:
    return re.search(rf"(?<!\w)(?:{STEMS[lemma]})(?!\w)", text, re.IGNORECASE) is not None


def sample_summary(item: Item) -> str:
    ref = item.reference or ""
    assert SAMPLE_MARK[item.lang] in ref, item.id
    return ref.split(SAMPLE_MARK[item.lang], 1)[1].strip()


def within(n: int, bounds) -> bool:
    return bounds is None or ((bounds.min is None or n >= bounds.min) and (bounds.max is None or n <= bounds.max))


SUMMARIES = sorted(i for i, it in ITEMS.items() if it.category == "summarisation")


@pytest.mark.parametrize("item_id", SUMMARIES)
def test_summarisation_input_is_long_and_the_sample_fits(item_id: str) -> None:
    it = ITEMS[item_id]
    text = source_block(it.prompt)
    assert words(text) >= 450, (item_id, words(text))
    assert bool(CYRILLIC.search(text)) == (it.lang == "ru")
    c = it.constraints
    assert c is not None and (c.words or c.sentences), item_id
    sample = sample_summary(it)
    assert within(words(sample), c.words), (item_id, words(sample))
    if c.words and c.words.max:
        assert words(sample) <= c.words.max - 2, "a margin for tokenizers that count a little differently"
        assert str(c.words.max) in it.prompt  # the limit is stated in the prompt
    assert within(sentences(sample), c.sentences), (item_id, sentences(sample))
    assert within(paragraphs(sample), c.paragraphs), item_id
    for w in c.banned:
        assert not has_word(sample, w), (item_id, w)
        assert w in it.prompt
    for w in c.required:
        assert has_word(sample, w), (item_id, w)
        assert w in it.prompt
    assert len(sample) < len(text) / 3


@pytest.mark.skipif("constraints" not in CHECKS, reason="check:constraints is not registered yet")
@pytest.mark.parametrize("item_id", SUMMARIES)
def test_sample_summary_passes_the_product_constraints_check(item_id: str) -> None:
    it = ITEMS[item_id]
    check = get_check("constraints")
    rows = check(it, sample_summary(it))
    assert rows and all(r.passed for r in rows), [(r.criterion, r.detail) for r in rows]
    # and the limits bite: the sample written out twice is too long (or has too many sentences or
    # paragraphs), and a banned word or a missing required word is caught
    doubled = sample_summary(it) + "\n\n" + sample_summary(it)
    assert any(r.passed is False for r in check(it, doubled)), item_id
    assert it.constraints is not None
    for w in it.constraints.banned:
        assert any(r.passed is False for r in check(it, sample_summary(it) + " " + w.capitalize() + ".")), w
    for w in it.constraints.required:
        without = re.sub(rf"(?<!\w)(?:{STEMS[w]})(?!\w)", "", sample_summary(it), flags=re.IGNORECASE)
        assert any(r.passed is False for r in check(it, without)), w


def test_banned_words_are_stated_in_the_prompt() -> None:
    for it in ITEMS.values():
        if it.constraints is None:
            continue
        assert it.category in ("summarisation", "official-style"), it.id
        for w in it.constraints.banned:
            assert w in it.prompt, (it.id, w)  # the model is told what it may not use


def official_samples() -> dict[str, str]:
    """Model answers from the references of the official-style items that carry constraints."""
    out = {}
    for lang in ("ru", "en"):
        ref = ITEMS[f"offic-008-{lang}"].reference or ""
        mark, end = ("Образец:\n", "\nЛовушки") if lang == "ru" else ("Model rewrite:\n", "\nTraps")
        out[f"offic-008-{lang}"] = ref.split(mark, 1)[1].split(end, 1)[0]
        ref = ITEMS[f"offic-006-{lang}"].reference or ""
        out[f"offic-006-{lang}"] = ref.split("Образец:\n" if lang == "ru" else "Sample email:\n", 1)[1]
    return out


def test_official_style_bans_hold_in_the_reference_samples() -> None:
    """offic-008 bans officialese; the model rewrite in its reference must respect the ban."""
    for lang in ("ru", "en"):
        it = ITEMS[f"offic-008-{lang}"]
        rewrite = official_samples()[it.id]
        original = re.search(r"\n\n[«\"](.+)[»\"]\s*$", it.prompt, re.DOTALL)
        assert original and it.constraints
        assert words(rewrite) < words(original.group(1))
        for w in it.constraints.banned:
            assert not has_word(rewrite, w), (it.id, w)
            assert has_word(original.group(1), w), (it.id, w)  # the ban targets what the original overuses
    for lang in ("ru", "en"):
        it = ITEMS[f"offic-006-{lang}"]
        assert it.constraints and all(has_word(official_samples()[it.id], w) for w in it.constraints.required)


@pytest.mark.skipif("constraints" not in CHECKS, reason="check:constraints is not registered yet")
@pytest.mark.parametrize("item_id", ["offic-006-ru", "offic-006-en", "offic-008-ru", "offic-008-en"])
def test_official_samples_pass_the_product_constraints_check(item_id: str) -> None:
    rows = get_check("constraints")(ITEMS[item_id], official_samples()[item_id])
    assert rows and all(r.passed for r in rows), [(r.criterion, r.detail) for r in rows]


# ---------------------------------------------------------------------------------------------
# Shape of part C


def test_pairs_per_category() -> None:
    tasks: dict[str, set[str]] = {}
    for it in ITEMS.values():
        assert it.id.startswith(CATEGORIES[it.category]), it.id
        assert it.pair and it.id == f"{it.pair}-{it.lang}", it.id
        tasks.setdefault(it.category, set()).add(it.pair)
    assert {c: len(v) for c, v in tasks.items()} == dict.fromkeys(CATEGORIES, PAIRS_PER_CATEGORY)
    for pairs in tasks.values():
        for pair in pairs:
            ru, en = ITEMS[f"{pair}-ru"], ITEMS[f"{pair}-en"]
            assert ru.lang == "ru" and en.lang == "en"
            assert ru.category == en.category and ru.difficulty == en.difficulty, pair
            assert (ru.answer is None) == (en.answer is None), pair
            assert (ru.constraints is None) == (en.constraints is None), pair
            assert ru.prompt != en.prompt and ru.reference != en.reference


def test_difficulty_references_tags() -> None:
    hard_pairs = {it.pair for it in ITEMS.values() if it.difficulty == "hard"}
    assert len(hard_pairs) >= 8
    assert {it.difficulty for it in ITEMS.values()} == {"easy", "medium", "hard"}
    for it in ITEMS.values():
        assert it.reference and len(it.reference) > 200, it.id
        assert it.tags, it.id


@pytest.mark.parametrize("item_id", sorted(i for i, it in ITEMS.items() if it.category == "translation"))
def test_translation_sources(item_id: str) -> None:
    it = ITEMS[item_id]
    src = source_block(it.prompt)
    assert 60 <= words(src) <= 200, (item_id, words(src))
    if it.lang == "ru":  # English into Russian
        assert not CYRILLIC.search(src)
        assert it.prompt.startswith("Переведите")
    else:  # Russian into English
        assert len(CYRILLIC.findall(src)) > len(src) // 3
        assert it.prompt.startswith("Translate") and "English" in it.prompt
    outside = it.prompt.replace(src, "")
    assert bool(CYRILLIC.search(outside)) == (it.lang == "ru")  # instructions in the item's language


def test_choice_letters_are_spread() -> None:
    letters = Counter(str(it.answer.value) for it in ITEMS.values() if it.answer and it.answer.type == "choice")
    assert letters and max(letters.values()) <= 2 and "E" in letters, letters
    for it in ITEMS.values():
        if it.answer and it.answer.type in ("choice", "number", "exact"):
            assert ("«Ответ:" if it.lang == "ru" else '"Answer:') in it.prompt, it.id
        if it.answer and it.answer.type == "choice":
            assert set(options(it.prompt)) == set("ABCDE"), it.id


def test_verifiers_cover_exactly_the_checkable_items() -> None:
    assert set(VERIFIERS) == {i for i, it in ITEMS.items() if it.answer is not None}


@pytest.mark.parametrize("item_id", sorted(VERIFIERS))
def test_answer_is_verified(item_id: str) -> None:
    VERIFIERS[item_id](ITEMS[item_id])


@pytest.mark.parametrize("item_id", sorted(VERIFIERS))
def test_reference_passes_its_own_answer(item_id: str) -> None:
    it = ITEMS[item_id]
    assert it.reference and passes(it, it.reference)


def russian_parts(it: Item) -> str:
    """The Russian text of a Russian item (an English source text to translate is left out)."""
    text = it.prompt + "\n" + (it.reference or "")
    if it.category == "translation":
        text = text.replace(source_block(it.prompt), "")
    return text


@pytest.mark.parametrize("item_id", sorted(i for i, it in ITEMS.items() if it.lang == "ru"))
def test_russian_typography(item_id: str) -> None:
    it = ITEMS[item_id]
    text = russian_parts(it)
    assert '"' not in text, item_id  # «ёлочки», not straight quotes
    assert " - " not in text, item_id  # an em dash with spaces, not a hyphen
    assert not re.search(r"(?<![\d.])(?<!п\. )\d+\.\d+(?![\d.])", text), item_id  # decimal comma (not «п. 7.2»)
    for word in ("еще", "ее", "ребенок", "ребенка", "трем", "пришел", "ушел", "нашел", "подошел", "берет"):
        assert not re.search(rf"(?<!\w){word}(?!\w)", text), (item_id, word)  # ё where it belongs
    depth = 0
    for ch in text:  # nested quotes are „лапки“ inside «ёлочек»
        depth += {"«": 1, "»": -1}.get(ch, 0)
        assert 0 <= depth <= 1, item_id
    assert depth == 0, item_id
