"""check:constraints: word, sentence and paragraph counts and banned/required words, the same way in
Russian and English; then the counts on real answers nobody here wrote (ru_llm_arena, see
tests/checks/test_language_real.py for where the data lives)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from judge.checks import CHECKS, CheckRow, get_check, run_checks
from judge.checks.constraints import count_words, find_word, paragraphs, sentences, words
from judge.dataset import Constraints, Item

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ru_llm_arena"
MODELS = ("gpt-4-1106-preview", "gpt-3.5-turbo-0125", "hermes-2-pro-llama-3-8b")


def item(lang: str = "ru", **constraints: object) -> Item:
    c = Constraints.model_validate(constraints) if constraints else None
    return Item(id=f"t-{lang}", lang=lang, category="instruction", prompt="?", constraints=c)


def rows(text: str, lang: str = "ru", **constraints: object) -> dict[str, CheckRow]:
    out = get_check("constraints")(item(lang, **constraints), text)
    return {r.criterion: r for r in out}


# --------------------------------------------------------------------------------------------
# Words


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Кое-что случилось из-за дождя.", 4),  # hyphenated words are one word
        ("Говорите по-русски, пожалуйста.", 3),
        ("Это, т. е. вот это, работает.", 5),  # «т. е.» is one word
        ("Яблоки, груши и т. д.", 3),  # «и т. д.» too, with its «и»
        ("Книги, журналы и т.п.", 3),
        ("Учёные, врачи и др.", 3),
        ("В 2,5 раза больше — 3.5 единицы.", 6),  # decimals are one word; a dash is none
        ("Встреча в 10:30 на сайте https://example.ru/a-b.", 6),
        ("It's John's sun-light, isn't it?", 5),  # an apostrophe joins; so does a hyphen
        ("Mr. Smith paid 3.5 dollars for e.g. apples, i.e. fruit.", 10),
        ("The U.S. team won at 5 p.m. today.", 8),
        ("Bring a B2 pencil and 6ix9ine.", 6),  # letters and digits written together
        ("# Заголовок\n\n**Жирный** текст и _курсив_.\n- пункт один\n1. пункт два", 9),  # markup is not words
        ("[ссылка](https://example.com/very/long) и `код`", 3),
        ("<think>тут много слов рассуждения</think>Ответ: два слова.", 3),
        ("", 0),
        ("— … !!! ***", 0),
    ],
)
def test_word_count(text: str, n: int) -> None:
    assert count_words(text) == n, words(text)


def test_abbreviations_are_one_word_each() -> None:
    assert words("т. е. т. д. т. п. и т. п. н. э.") == ["т. е.", "т. д.", "т. п.", "и т. п.", "н. э."]
    assert words("Т. Е. Лоуренс") == ["Т", "Е", "Лоуренс"]  # initials, not «т. е.»


# --------------------------------------------------------------------------------------------
# Sentences and paragraphs


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Это, т. е. вот это, работает. Второе предложение.", 2),
        ("Это т.е. работает. Второе.", 2),
        ("А. С. Пушкин родился в Москве. Потом жил в Петербурге.", 2),  # initials
        ("Число 3.14 больше, чем 2,5. Это очевидно.", 2),  # decimals
        ("Я купил яблоки, груши и т. д. Потом пошёл домой.", 2),  # «и т. д.» can end a sentence
        ("Смотрите рис. 3 и табл. 2. Также см. гл. 5.", 2),
        ("Привет!!! Как дела?.. Всё хорошо... Правда?! Да.", 5),
        ("«Привет!» — сказал он. Второе.", 2),
        ("Mr. Smith went to Washington. He arrived at 3 p.m. yesterday.", 2),
        ("Use e.g. Paris. Or i.e. London.", 2),
        ("The value is 3.5. The next is 4.25 percent.", 2),
        ("See Fig. 2 and p. 5. Next.", 2),
        ("Prof. Smith came. Approx. 10 people were there.", 2),
        ("I said no. He left. No. 5 stayed.", 3),
        ("утро в москве шумит. люди спешат, т. е. бегут. всё.", 3),  # lowercase on request
        ("# Заголовок\n\n- пункт один\n- пункт два", 3),  # a heading and list items are sentences
        ("<think>Раз. Два. Три.</think>Одно.", 1),
        ("", 0),
    ],
)
def test_sentence_count(text: str, n: int) -> None:
    assert len(sentences(text)) == n, sentences(text)


def test_paragraphs() -> None:
    assert len(paragraphs("Первый абзац.\nЕщё строка.\n\n  \nВторой абзац.\n\n")) == 2
    assert len(paragraphs("One paragraph only.")) == 1
    assert paragraphs("  \n\n") == []


# --------------------------------------------------------------------------------------------
# Banned and required words


def found(listed: str, text: str) -> float:
    f = find_word(listed, words(text))
    return 0.0 if f is None else f.strength


@pytest.mark.parametrize(
    ("listed", "text", "expected"),
    [
        # English: whole words and regular inflections, never inside another word
        ("light", "The sky is slightly blue.", False),
        ("light", "Sunlight is white.", False),
        ("light", "The lights were lighter than before.", True),
        ("light", "It is the sun-light.", True),  # a part of a hyphenated word counts
        ("light", "The LIGHT'S colour.", True),
        ("stop", "He stopped and was stopping.", True),
        ("happy", "She is happier now.", True),
        ("price", "Prices went up.", True),
        ("price", "Priceless advice.", False),
        ("light*", "Lightning struck.", True),  # a stem
        ("money*", "Moneyed people.", True),
        ("unfortunately", "Unfortunately, no.", True),
        # Russian: any form of the same lemma (pymorphy3), never a substring of another word
        ("свет", "Светом залит весь двор.", True),
        ("свет", "Рассвет был ранним.", False),
        ("свет", "Солнце светит ярко.", False),  # another lemma: «светить»
        ("свет*", "Солнце светит ярко.", True),  # the stem covers the family
        ("свет*", "Небо светло-голубое.", True),
        ("деньги", "На эти деньгами не купишь.", True),
        ("деньги", "Денежный вопрос.", False),  # «денежный» is a word of its own
        ("весна", "Весной тепло.", True),
        ("цены", "Рост цен.", True),
        ("рыжий", "Пропал рыжего окраса кот.", True),
        ("ошейник", "Кот в синем ошейнике.", True),
        ("лучший", "Это лучшая бутылка.", True),
        ("лучший", "Это хорошая бутылка.", False),  # suppletive: «лучший» is not a form of «хороший»
        ("хороший", "Это лучшая бутылка.", False),
        ("к сожалению", "Я, к сожалению, занят.", True),  # several words in a row
        ("к сожалению", "К моему сожалению, нет.", False),
        ("Спасибо", "спасибо!", True),  # case-insensitive, ё/е alike
        ("ещё", "Еще раз.", True),
    ],
)
def test_find_word(listed: str, text: str, expected: bool) -> None:
    assert (found(listed, text) >= 0.5) is expected, find_word(listed, words(text))


def test_unlikely_readings_are_undecided() -> None:
    # «стали» is almost always «стать»; pymorphy3 reads it as «сталь» with a small probability
    assert 0 < found("сталь", "Они стали друзьями.") < 0.5
    r = rows("Они стали друзьями.", banned=["сталь"])["banned"]
    assert r.passed is None and r.score is None and "стали" in r.detail
    assert rows("Они стали друзьями.", banned=["стать"])["banned"].passed is False
    r = rows("Она зажгла свечу.", required=["светить"])["required"]
    assert r.passed is None


# --------------------------------------------------------------------------------------------
# The check


def test_registered_and_no_rows_without_constraints() -> None:
    assert "constraints" in CHECKS
    assert get_check("constraints")(item(), "Ответ") == []
    assert "constraints" not in run_checks(item(), "Ответ")
    assert [r.criterion for r in run_checks(item(words={"max": 3}), "Раз два")["constraints"]] == ["words"]


def test_rows_in_order_with_details() -> None:
    c = {
        "words": {"min": 3, "max": 10},
        "sentences": {"min": 1, "max": 1},
        "paragraphs": {"max": 1},
        "banned": ["свет*"],
        "required": ["цена"],
        "starts_with": "Спасибо",
        "ends_with": "дня!",
    }
    text = "Спасибо, цены растут, т. е. всё дорожает, хорошего дня!"
    out = get_check("constraints")(item(**c), text)
    assert [r.criterion for r in out] == list(c)
    assert all(r.passed is True and r.score == 1.0 for r in out), out
    by = {r.criterion: r.detail for r in out}
    assert by["words"] == "8 words (allowed 3–10)"
    assert by["sentences"] == "1 sentence (exactly 1)"
    assert by["paragraphs"] == "1 paragraph (at most 1)"
    assert by["required"] == "«цена» found as «цены»"


def test_failures_say_what_was_found() -> None:
    r = rows("Солнце светит, и светлое небо.", banned=["свет*", "луна"])["banned"]
    assert (r.passed, r.score) == (False, 0.0)
    assert r.detail == "banned «свет*» found as «светит»"
    r = rows("The sky is slightly blue.", "en", banned=["light"])["banned"]
    assert r.passed is True and r.detail == "none of «light» found"
    r = rows("The lights are on.", "en", banned=["light"])["banned"]
    assert r.detail == "banned «light» found as «lights»"
    r = rows("Рыжий кот.", required=["рыжий", "ошейник"])["required"]
    assert (r.passed, r.detail) == (False, "missing «ошейник»")
    r = rows(" ".join(["слово"] * 52), words={"min": 10, "max": 50})["words"]
    assert (r.passed, r.detail) == (False, "52 words (allowed 10–50)")


def test_starts_and_ends_with() -> None:
    c = {"starts_with": "Thanks", "ends_with": "Have a good day!"}
    ok = rows("  **Thanks** for the invite.\nHave a  good day!\n", "en", **c)
    assert ok["starts_with"].passed and ok["ends_with"].passed
    bad = rows("Thanksgiving is near. Have a good day!\nSam", "en", **c)
    assert bad["starts_with"].passed is False and "Thanksgiving" in bad["starts_with"].detail
    assert bad["ends_with"].passed is False
    assert rows("thanks!", "en", starts_with="Thanks")["starts_with"].passed is False  # case-sensitive
    assert rows("Спасибо! Хорошего дня!", ends_with="дня!")["ends_with"].passed
    assert rows("Спасибо! Нехорошего дня!", ends_with="Хорошего дня!")["ends_with"].passed is False
    assert rows("<think>Thanks</think>Hi", "en", starts_with="Thanks")["starts_with"].passed is False


def test_same_rules_in_both_languages() -> None:
    """A pair of answers that say the same thing gets the same verdicts."""
    c_ru = {"words": {"max": 12}, "sentences": {"min": 2, "max": 2}, "banned": ["свет*"], "required": ["небо"]}
    c_en = {"words": {"max": 12}, "sentences": {"min": 2, "max": 2}, "banned": ["light"], "required": ["sky"]}
    ru = rows("Небо голубое, т. е. синее. Оно чуть светлее у горизонта.", **c_ru)
    en = rows("The sky is blue, i.e. azure. It is slightly lighter lower down.", "en", **c_en)
    verdicts = {"words": True, "sentences": True, "banned": False, "required": True}
    assert {k: r.passed for k, r in ru.items()} == verdicts
    assert {k: r.passed for k, r in en.items()} == verdicts
    assert ru["words"].detail == "9 words (at most 12)" and en["words"].detail == "12 words (at most 12)"
    assert ru["banned"].detail == "banned «свет*» found as «светлее»"
    assert en["banned"].detail == "banned «light» found as «lighter»"


# --------------------------------------------------------------------------------------------
# Real answers (ru_llm_arena): counts agree with an independent count, sentences are sane

real = pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found: {DATA} (shared/ beside the checkout)")
# Characters of code, formulas and markup: answers with them have no agreed word count.
_NOT_PROSE = re.compile(r"[`<>$=|{}\[\]\\+*/^#_~]")
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,3}[.)]\s")


def real_answers() -> Iterator[str]:
    for model in MODELS:
        with (DATA / "answers" / f"{model}.jsonl").open(encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)["choices"][0]["turns"][0]["content"]


def independent_count(text: str) -> int:
    """Whitespace-separated pieces with a letter or digit, less numbered-list markers."""
    pieces = [p for p in text.split() if re.search(r"[^\W_]", p)]
    return len(pieces) - len(_LIST_MARKER.findall(text))


@real
def test_real_word_counts_agree_with_an_independent_count() -> None:
    prose = [t for t in real_answers() if not _NOT_PROSE.search(t)]
    assert len(prose) > 900
    exact = 0
    for text in prose:
        mine, theirs = count_words(text), independent_count(text)
        # abbreviations («и т. д.» is 1 word, 3 pieces) make the only differences, a few per answer
        assert abs(mine - theirs) <= max(2, 0.06 * theirs), (mine, theirs, text[:300])
        exact += mine == theirs
    assert exact >= 0.95 * len(prose)


# An abbreviation that never ends a sentence, at the end of a sentence that is not the last one.
_NEVER_LAST = re.compile(r"(?:\bт\.\s?[екн]\.|\b[eE]\.g\.|\bi\.e\.|\b(?:Mr|Mrs|Dr|[А-ЯЁ])\.)$")


@real
def test_real_sentences_are_sane() -> None:
    seen = {"т. д.": 0, "т.д.": 0}
    total = decimals = 0
    for text in real_answers():
        found = sentences(text)
        total += len(found)
        if re.search(r"[^\W_]", text):
            assert found, text[:200]
        ends = len(re.findall(r"[.!?…]+", text))
        assert len(found) <= ends + text.count("\n") + 1
        for line in text.splitlines():  # the sentences of one line are in one block
            in_line = sentences(line)
            for s, following in zip(in_line, in_line[1:]):
                assert not _NEVER_LAST.search(s), (s[-80:], following[:40])
        if not _NOT_PROSE.search(text):  # no decimal is cut in two
            joined = "\n".join(found)
            for number in re.findall(r"(?<![\d.,])\d+[.,]\d+(?![\d.,])", text):
                assert number in joined, (number, text[:300])
                decimals += 1
        for abbr in seen:
            seen[abbr] += sum(abbr in s[:-1] or s.endswith(abbr) for s in found)
    assert seen["т. д."] and seen["т.д."]  # the data has them, so the checks above mean something
    assert decimals >= 30
    assert 10_000 < total < 40_000


def test_a_listed_word_means_its_own_lemma_not_another_it_can_be_a_form_of() -> None:
    # «данный» is also a participle of «дать»: a ban on the adjective must not catch «Дайте»
    item = Item(id="d", lang="ru", category="c", prompt="p", constraints=Constraints(banned=["данный"]))
    check = get_check("constraints")
    assert [r.passed for r in check(item, "Дайте мне этот отчёт.")] == [True]
    assert [r.passed for r in check(item, "Данная задача решена.")] == [False]
