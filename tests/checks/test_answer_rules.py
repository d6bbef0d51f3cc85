"""check:answer, rule by rule in Russian and English, and the answer corpus.

The corpus (`data/answer_corpus.jsonl`) holds answer texts with the verdict the check must give:
`true`/`false`, or `null` where it must say it cannot decide. Lines with a `source` are endings of
real model answers (ru_llm_arena) with verdicts decided by hand; `truth` notes the right verdict
where the check may only say "undecided".
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judge.checks import CheckRow, answer_segment, find_choice, get_check
from judge.checks.choice import find_letters, prompt_options, readings, scheme
from judge.checks.claims import pick
from judge.checks.numbers import find_numbers, prepare
from judge.checks.numwords import find_word_numbers
from judge.dataset import Item

CORPUS_PATH = Path(__file__).parent / "data" / "answer_corpus.jsonl"
CORPUS: list[dict[str, Any]] = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()]
SCORE = {True: 1.0, False: 0.0, None: None}


def verdict(answer: dict[str, Any], text: str, lang: str = "ru", prompt: str = "?") -> CheckRow:
    item = Item.model_validate(
        {"id": f"t-{lang}", "lang": lang, "category": "arithmetic", "prompt": prompt, "answer": answer}
    )
    (row,) = get_check("answer")(item, text)
    return row


def num(value: float, tolerance: float = 0) -> dict[str, Any]:
    return {"type": "number", "value": value, "tolerance": tolerance}


def choice(value: str) -> dict[str, Any]:
    return {"type": "choice", "value": value}


def exact(value: str) -> dict[str, Any]:
    return {"type": "exact", "value": value}


# --------------------------------------------------------------------------------------------
# The corpus


@pytest.mark.parametrize("case", CORPUS, ids=[f"{n}-{c['lang']}-{c['class']}" for n, c in enumerate(CORPUS)])
def test_corpus(case: dict[str, Any]) -> None:
    row = verdict(case["answer"], case["text"], case["lang"])
    assert row.passed is case["expect"], row.detail
    assert row.score == SCORE[case["expect"]]
    if case["class"] == "hedge" and case["expect"] is False and case["answer"]["type"] == "number":
        assert row.detail.startswith("hedged: "), row.detail


def test_corpus_covers_every_rule_in_both_languages() -> None:
    langs = Counter(c["lang"] for c in CORPUS)
    assert langs["ru"] >= 60 and langs["en"] >= 60
    classes = {"negation", "hedge", "number_words", "currency", "dash_line", "last_number", "cyrillic_letter"}
    classes |= {"boxed", "bold", "plain", "answer_phrase", "range", "undecided"}
    for lang in ("ru", "en"):
        have = {c["class"] for c in CORPUS if c["lang"] == lang}
        assert classes <= have, (lang, classes - have)
        for expect in (True, False, None):
            assert any(c["expect"] is expect for c in CORPUS if c["lang"] == lang)
    real = [c for c in CORPUS if c.get("source", "").startswith("ru_llm_arena")]
    assert len(real) >= 10 and {c["expect"] for c in real} == {True, False, None}


# --------------------------------------------------------------------------------------------
# Numbers in words (number-parser for the cardinals; полтора, fractions and halves are ours)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("двенадцать", 12),
        ("двенадцати", 12),
        ("сорок два", 42),
        ("сорока двух", 42),
        ("сто двадцать пять", 125),
        ("четыре тысячи", 4000),
        ("четырём тысячам", 4000),
        ("две тысячи триста сорок пять", 2345),
        ("трёхсот", 300),
        ("двумястами", 200),
        ("девяноста", 90),
        ("одиннадцатью", 11),
        ("три миллиона", 3_000_000),
        ("два миллиарда", 2_000_000_000),
        ("ноль", 0),
        ("ДВЕНАДЦАТЬ", 12),
        ("полтора", 1.5),
        ("полутора", 1.5),
        ("полторы тысячи", 1500),
        ("семь с половиной", 7.5),
        ("тридцать пять целых две десятых", 35.2),
        ("две целых пять сотых", 2.05),
        ("twelve", 12),
        ("forty-two", 42),
        ("forty two", 42),
        ("one hundred twenty-five", 125),
        ("one thousand two hundred and thirty-four", 1234),
        ("four thousand", 4000),
        ("a hundred", 100),
        ("three million", 3_000_000),
        ("one and a half", 1.5),
        ("two point five", 2.5),
        ("zero", 0),
        ("seventeen", 17),
        ("Twelve", 12),
    ],
)
def test_number_words(text: str, value: float) -> None:
    (found,) = find_word_numbers(text)
    assert found.value == pytest.approx(value)
    assert (found.start, found.end) == (0, len(text))


@pytest.mark.parametrize(
    "text",
    [
        "двадцать первый век",  # an ordinal
        "twenty first",
        "ни один вариант не подходит",  # pronouns
        "одна из них",
        "один и тот же брат",
        "no one knows",
        "one of them",
        "the first one",
        "y desde ese día tenía",  # Spanish "tenía" is not "ten"
    ],
)
def test_words_that_are_not_counts(text: str) -> None:
    assert find_word_numbers(text) == []


def test_number_word_runs_split_where_the_library_says() -> None:
    assert [w.value for w in find_word_numbers("пять шесть")] == [5, 6]
    assert [w.value for w in find_word_numbers("один раз, два раза")] == [1, 2]


# --------------------------------------------------------------------------------------------
# Numbers with scale words, currency, expressions


def readings_of(text: str) -> list[tuple[float, ...]]:
    return [tuple(float(r) for r in m.readings) for m in find_numbers(prepare(text))]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("385 руб. 20 коп.", (385.2,)),
        ("385 рублей 20 копеек", (385.2,)),
        ("5 dollars 30 cents", (5.3,)),
        ("4 тыс.", (4000, 4)),
        ("1,5 млн", (1_500_000, 1.5)),
        ("2 млрд", (2_000_000_000, 2)),
        ("3 thousand", (3000, 3)),
        ("1.5 million", (1_500_000, 1.5)),
        ("USD19.26", (19.26,)),
        ("$1,234.50", (1234.5,)),
        ("19,26 ₽", (19.26,)),
        ("1209600 / 524288", (1209600 / 524288,)),
        ("\\frac{3}{4}", (0.75,)),
    ],
)
def test_numbers_with_units(text: str, first: tuple[float, ...]) -> None:
    assert readings_of(text)[0] == pytest.approx(first)


@pytest.mark.parametrize("text", ["π/2", "2π", "√5", "10^17", "\\frac{\\pi}{2}", "2x", "21:00"])
def test_expressions_are_one_opaque_value(text: str) -> None:
    (m,) = find_numbers(prepare(text))
    assert m.opaque


def test_names_with_numbers_are_not_numbers() -> None:
    assert readings_of("PDP-1 и COVID-19") == []
    assert readings_of("v1.2.3, GPT4") == []


# --------------------------------------------------------------------------------------------
# Where the answer is


@pytest.mark.parametrize(
    ("text", "segment", "source"),
    [
        ("Ответ — 12", "12", "answer line"),
        ("Answer - 12", "12", "answer line"),
        ("**Ответ** — 12 яблок", "12 яблок", "answer line"),
        ("Итак, ответ: 12", "12", "answer line"),
        ("Итак, ответ 12", "12", "answer line"),
        ("So, the answer is 12.", "12.", "answer line"),
        ("Thus the final answer: 12", "12", "answer line"),
        ("Итак, ответ на задачу 35 - 33 равен 68.", "68.", "answer line"),
        ("Ответом будет 12.", "12.", "answer line"),
        ("Ответ на вопрос: 12", "12", "answer line"),
        ("The answer to the puzzle is 12", "12", "answer line"),
        (
            "Ответ на этот вопрос зависит от многих факторов: 3",
            "Ответ на этот вопрос зависит от многих факторов: 3",
            "last line",
        ),
        ("Ответ 2: для второго случая", "Ответ 2: для второго случая", "last line"),  # numbers answers
        ("Answer the question first.\nIt is 4", "It is 4", "last line"),
        ("Счёт.\nТаким образом, всего 12 яблок.", "Таким образом, всего 12 яблок.", "conclusion"),
        ("Therefore, we get 12.\nHope this helps!", "Therefore, we get 12.", "conclusion"),
        ("Итого 12.\nНадеюсь, это поможет!", "Итого 12.", "conclusion"),
    ],
)
def test_answer_segment_forms(text: str, segment: str, source: str) -> None:
    seg = answer_segment(text)
    assert (seg.text, seg.source) == (segment, source)


def test_a_closing_line_that_names_numbers_is_read() -> None:
    seg = answer_segment("Планет восемь.\nЕсли у вас есть данные о 18 планетах, их всё равно восемь.")
    assert "18 планетах" in seg.text


# --------------------------------------------------------------------------------------------
# Which value the answer stands by


def picked(text: str) -> tuple[str, str | None]:
    prepared = prepare(text)
    p = pick(prepared, find_numbers(prepared))
    return p.status, (p.mention.text if p.mention else None)


@pytest.mark.parametrize(
    ("text", "status", "value"),
    [
        ("12, а не 15", "found", "12"),
        ("не 15, а 12", "found", "12"),
        ("12 (а не 15)", "found", "12"),
        ("12, not 15", "found", "12"),
        ("not 15 but 12", "found", "12"),
        ("12 rather than 15", "found", "12"),
        ("12 или 15", "hedged", "12"),
        ("12 or 15", "hedged", "12"),
        ("12 (или 15)", "hedged", "12"),
        ("12 (or maybe 15)", "hedged", "12"),
        ("3 коробки по 4 = 12", "found", "12"),
        ("3 boxes of 4 = 12", "found", "12"),
        ("3 коробки по 4, итого 12", "found", "12"),
        ("3 boxes of 4, 12 in total", "found", "12"),
        ("12 коробок; 12 × 4 = 48", "ambiguous", None),
        ("12 boxes; 12 × 4 = 48", "ambiguous", None),
        ("значение x в уравнении 2x - 3 = -7 равно -2", "found", "-2"),
        ("the value of x in 2x - 3 = -7 is -2", "found", "-2"),
        ("x = (-3 + √5) / 2", "ambiguous", None),
        ("3–4", "range", "3"),
        ("от 3 до 4", "range", "3"),
        ("between 3 and 4", "range", "3"),
        ("12 часов или 720 минут", "ambiguous", None),
        ("12 hours or 720 minutes", "ambiguous", None),
        ("f(4) равно 17", "found", "17"),
        ("f(4) is 17", "found", "17"),
        ("не 15", "none", None),
        ("not 15", "none", None),
    ],
)
def test_pick(text: str, status: str, value: str | None) -> None:
    assert picked(text) == (status, value)


def test_or_elsewhere_in_a_sentence_is_not_a_hedge() -> None:
    text = "Итак, 41 положительное целое число, не превышающее 100, кратно 2 или 3, но не 4."
    prepared = prepare(text)
    assert pick(prepared, find_numbers(prepared), leading=True).status == "found"
    assert pick(prepared, find_numbers(prepared), leading=False).status == "ambiguous"


# --------------------------------------------------------------------------------------------
# Option letters


def test_cyrillic_letters_by_position_and_look_alike() -> None:
    assert readings("Б", "both") == ("B",)
    assert readings("Г", "both") == ("D",)
    assert readings("Д", "both") == ("E",)
    assert readings("С", "both") == ("C",)
    assert readings("А", "both") == ("A",)
    assert readings("В", "both") == ("B", "C")
    assert readings("В", "positional") == ("C",)
    assert readings("В", "lookalike") == ("B",)
    assert readings("Е", "both") == ("E",)  # F only when the prompt lists six options
    assert readings("Е", "both", "ABCDEF") == ("E", "F")


def test_scheme_evidence() -> None:
    assert scheme("Варианты Б и Г неверны. Ответ: В") == "positional"
    assert scheme("Options C and D are wrong. Answer: В") == "lookalike"
    assert scheme("Ответ: В") == "both"
    assert scheme("Ответ: В", "Выберите:\nА) один\nБ) два\nВ) три") == "positional"
    assert prompt_options("Pick one:\nA) 55\nB) 87\nC) 69\nD) 103") == ("ABCD", False)


def test_russian_one_letter_words_are_not_options() -> None:
    assert [m.text for m in find_letters("В случае n = 0 неверен вариант C")] == ["C"]
    assert [m.text for m in find_letters("А также C")] == ["C"]
    assert [m.text for m in find_letters("A good choice is C")] == ["C"]
    assert [m.text for m in find_letters("А или Б")] == ["А", "Б"]


@pytest.mark.parametrize(
    ("value", "text", "prompt", "passed"),
    [
        ("C", "Ответ: В", "Варианты:\nА) 1\nБ) 2\nВ) 3\nГ) 4", True),  # the prompt letters its options in Russian
        ("B", "Ответ: В", "Options:\nA) 1\nB) 2\nC) 3\nD) 4", None),  # Latin options: В is B or C
        ("D", "Answer: В", "Options:\nA) 1\nB) 2\nC) 3\nD) 4", False),
        ("C", "Ответ: A и C", "?", False),  # several options for one answer
        ("C", "Answer: A, C", "?", False),
        ("C", "Answer: none of them", "?", False),
        ("C", "Ответ: ни один из вариантов", "?", False),
        ("C", "Answer: C is correct, A and B are not", "?", True),
    ],
)
def test_choice_verdicts(value: str, text: str, prompt: str, passed: bool | None) -> None:
    row = verdict(choice(value), text, prompt=prompt)
    assert row.passed is passed, row.detail


def test_find_choice_says_none_when_unclear() -> None:
    assert find_choice("вариант Г") == "D"
    assert find_choice("D (не B)") == "D"
    assert find_choice("В") is None  # B or C
    assert find_choice("A или B") is None


# --------------------------------------------------------------------------------------------
# Exact answers


@pytest.mark.parametrize(
    ("value", "text", "passed"),
    [
        ("Пётр", "Ответ: Пётр, а не Павел", True),
        ("Пётр", "Ответ: Павел, а не Пётр", False),
        ("Пётр", "Ответ: не Пётр", False),
        ("Пётр", "Ответ: Пётр или Павел", False),
        ("Пётр", "Ответ: Пётр не виноват", None),
        ("Paris", "Answer: Paris, not London", True),
        ("Paris", "Answer: London, not Paris", False),
        ("Paris", "Answer: Paris or London", False),
        ("Paris", "Answer: Paris is not the capital", None),
        ("чёт или нечет", "Ответ: чёт или нечет", True),  # the expected text itself has an "or"
        ("Любляна", "Столица Словении — Любляна.", True),  # no answer line: the last sentence
        ("Любляна", "Столица Словении не Любляна.", False),
        ("Любляна", "Ответ: Любляна.\nБольше ничего не скажу.", True),
        ("Любляна", "Думаю, Любляна.\nБольше ничего не скажу.", None),  # named, but not in the last sentence
        ("Пётр", "Ответ: " + "очень " * 60 + "долго думал, но это Павел, а не Пётр", False),  # a long line
    ],
)
def test_exact_verdicts(value: str, text: str, passed: bool | None) -> None:
    row = verdict(exact(value), text)
    assert row.passed is passed, row.detail


# --------------------------------------------------------------------------------------------
# Details and speed


def test_details_say_what_was_found() -> None:
    assert verdict(num(42), "Ответ: 41").detail == "expected 42, found 41 in 'Ответ: 41'"
    assert verdict(num(12), "Answer: 12 or 15").detail == "hedged: 12 or 15 in 'Answer: 12 or 15' (expected 12)"
    row = verdict(num(12), "Ответ: двенадцать")
    assert row.detail == "expected 12, found двенадцать (= 12) in 'Ответ: двенадцать'"
    row = verdict(num(12), "Ответ: 12 коробок; 12 × 4 = 48 яблок")
    assert row.score is None and "undecided" in row.detail
    row = verdict(num(1.5708, 0.001), "Answer: π/2")
    assert row.score is None and "cannot evaluate" in row.detail
    assert "the answer rejects 15" in verdict(num(15), "Ответ: не 15").detail
    assert verdict(num(12), "Первая строка.\nВсего 12 штук.").detail.endswith("(no answer line)")
    assert verdict(choice("D"), "Ответ: Г").detail == "expected D, found Г (= D) in 'Ответ: Г'"


@pytest.mark.parametrize(
    ("spec", "text", "passed"),
    [
        (num(12), "Ответ: не 15. Правильно 12.", True),  # the first sentence only rejects
        (num(12), "Answer: not 15. It is 12.", True),
        (num(15), "Ответ: 15? Нет, 12.", None),  # the answer line takes it back
        (num(200), "Это заняло 3-4 часа. Он проехал 200 км.", None),  # no answer line: the sentences disagree
        (num(200), "It took 3-4 hours. It covered 200 km.", None),
        (num(12), "Ответ: 12 или больше", None),  # a bound
        (num(12), "Answer: at least 12", None),
        (num(0.25), "Answer: 25%", True),  # a percentage is a fraction too
    ],
)
def test_sentences_and_bounds(spec: dict[str, Any], text: str, passed: bool | None) -> None:
    row = verdict(spec, text)
    assert row.passed is passed, row.detail


def test_long_answers_stay_fast() -> None:
    text = ("Считаем 3 + 4 = 7, а не 8, или 9 (или 10). " * 2000) + "\nОтвет: 12"
    start = time.perf_counter()
    assert verdict(num(12), text).passed is True
    assert verdict(num(12), text.replace("\nОтвет: 12", "")).passed is not True
    assert time.perf_counter() - start < 5
