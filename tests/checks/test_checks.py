"""Deterministic checks: check:answer (number, exact, choice, regex), check:language, the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.checks import (
    CHECKS,
    CheckRow,
    answer_segment,
    detect_language,
    find_choice,
    get_check,
    judge_name,
    latin_share,
    mixed_script_words,
    normalize_exact,
    parse_numbers,
    run_checks,
)
from judge.dataset import AnswerSpec, Item
from judge.errors import JudgeError, RubricError

ROOT = Path(__file__).resolve().parents[2]


def item(answer: dict | None = None, lang: str = "ru") -> Item:
    return Item(id=f"t-{lang}", lang=lang, category="arithmetic", prompt="?", answer=answer)


def correct(answer: dict, text: str, lang: str = "ru") -> CheckRow:
    rows = get_check("answer")(item(answer, lang), text)
    assert len(rows) == 1 and rows[0].criterion == "correct"
    return rows[0]


def num(value: float, tolerance: float = 0) -> dict:
    return {"type": "number", "value": value, "tolerance": tolerance}


# --------------------------------------------------------------------------------------------
# Number parsing


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("42", [42]),
        ("3.14", [3.14]),
        ("3,14", [3.14]),  # Russian decimal comma
        ("1,5", [1.5]),
        ("1 234,5", [1234.5]),  # space as thousands separator, decimal comma
        ("1\u00a0234\u00a0567", [1234567]),  # no-break spaces
        ("1\u2009234", [1234]),  # thin space
        ("1\u202f000,25", [1000.25]),  # narrow no-break space
        ("1,234.5", [1234.5]),  # English thousands with a decimal point
        ("1,234,567", [1234567]),  # two comma groups: thousands
        ("1.234,5", [1234.5]),
        ("1.234.567", [1234567]),
        ("-5", [-5]),
        ("\u22123,5", [-3.5]),  # Unicode minus
        ("\u201312", [-12]),  # en dash used as a minus
        ("50%", [50]),
        ("\\boxed{42}", [42]),
        ("$42$", [42]),
        ("$x = -7$", [-7]),
        ("3/4", [0.75]),
        ("\\frac{3}{4}", [0.75]),
        ("-\\dfrac{1}{2}", [-0.5]),
        ("1{,}5", [1.5]),  # LaTeX decimal comma
        ("1\\,000", [1000]),  # LaTeX thin space
        ("3-4", [3, 4]),  # a hyphen between numbers is not a minus
        ("2023 год, 150 человек", [2023, 150]),
        ("1 2 3", [1, 2, 3]),  # groups of one digit are separate numbers
        ("12,5 и 7", [12.5, 7]),
        ("v1.2.3 и GPT4", []),  # numbers glued to letters are not numbers
        ("", []),
    ],
)
def test_parse_numbers(text: str, values: list[float]) -> None:
    assert [n.value for n in parse_numbers(text)] == pytest.approx(values)


def test_ambiguous_comma_reads_decimal_and_accepts_thousands() -> None:
    (n,) = parse_numbers("1,234")
    assert n.value == pytest.approx(1.234) and n.alt == 1234
    (n,) = parse_numbers("0,500")  # a leading zero is never a thousands group
    assert n.value == 0.5 and n.alt is None
    (n,) = parse_numbers("1234,567")  # four digits before the comma: decimal only
    assert n.value == pytest.approx(1234.567) and n.alt is None


# --------------------------------------------------------------------------------------------
# Answer segment


@pytest.mark.parametrize(
    ("text", "segment", "source"),
    [
        ("Считаем...\nОтвет: 42", "42", "answer line"),
        ("Reasoning.\nAnswer: 42", "42", "answer line"),
        ("**Ответ:** 42", "42", "answer line"),
        ("**Ответ**: 42", "42", "answer line"),
        ("### Final Answer: 7", "7", "answer line"),
        ("> Окончательный ответ: 5", "5", "answer line"),
        ("Итоговый ответ： 9", "9", "answer line"),  # full-width colon
        ("ОТВЕТ: 3", "3", "answer line"),
        ("- Answer: B", "B", "answer line"),
        ("«Ответ: 2 2 1»", "2 2 1»", "answer line"),
        ("Ответ: 1\nпроверка...\nОтвет: 2", "2", "answer line"),  # the LAST answer line wins
        ("**Ответ:**\n\n42", "42", "answer line"),  # the value on the next line
        ("## Ответ\n\n```\n2 2 1\n```", "2 2 1", "answer line"),  # bare heading, value in a fence
        ("Answer: $\\boxed{12}$", "12", "answer line"),
        ("Итак, x = \\boxed{5}.\nПроверка верна.", "5", "boxed"),
        ("Первая строка\nпоследняя строка\n\n", "последняя строка", "last line"),
        ("```python\nprint('Answer: 1')\n```\nВывод равен 2", "Вывод равен 2", "last line"),  # code skipped
        ("<think>Answer: 1</think>\nAnswer: 2", "2", "answer line"),
        ("", "", "empty"),
    ],
)
def test_answer_segment(text: str, segment: str, source: str) -> None:
    seg = answer_segment(text)
    assert (seg.text, seg.source) == (segment, source)


def test_answer_word_inside_a_sentence_is_not_an_answer_line() -> None:
    assert answer_segment("Answer the question first.\nThe result is 4").source == "last line"
    assert answer_segment("Ответы: см. выше\n5").text == "5"


# --------------------------------------------------------------------------------------------
# check:answer, number


@pytest.mark.parametrize(
    ("spec", "text", "lang"),
    [
        (num(42), "Складываем 40 и 2.\nОтвет: 42", "ru"),
        (num(42), "Adding 40 and 2.\nAnswer: 42", "en"),
        (num(42), "**Ответ:** 42", "ru"),
        (num(42), "**Answer:** **42**", "en"),
        (num(42), "Ответ: 42 яблока.", "ru"),
        (num(1.5), "Ответ: 1,5 литра", "ru"),  # decimal comma
        (num(1.5), "Answer: 1.5 liters", "en"),
        (num(1234.5), "Ответ: 1 234,5 руб.", "ru"),
        (num(1234.5), "Answer: $1,234.50", "en"),
        (num(1234), "Answer: 1,234", "en"),  # ambiguous comma: thousands reading accepted
        (num(1000000), "Ответ: 1\u00a0000\u00a0000", "ru"),
        (num(-3), "Ответ: −3", "ru"),  # Unicode minus
        (num(-4), "Answer: x = -4", "en"),
        (num(25), "Ответ: 25%", "ru"),
        (num(0.75), "Ответ: $\\frac{3}{4}$", "ru"),
        (num(12), "Answer: $\\boxed{12}$", "en"),
        (num(90), "Сумма равна 30 + 30 + 30 = 90", "ru"),  # no answer line: the concluding sentence
        (num(90), "So the program prints \\boxed{90}, not 60.", "en"),  # no answer line: the box
        (num(3.14, 0.01), "Ответ: примерно 3,1416", "ru"),  # within the tolerance
        (num(21), "<think>f(6) = 20? no.</think>\nОтвет: 21", "ru"),
        (num(18), "Ответ:\n18", "ru"),
        (num(42), "Final answer: 42\n\nHope this helps!", "en"),
    ],
)
def test_number_passes(spec: dict, text: str, lang: str) -> None:
    row = correct(spec, text, lang)
    assert row.passed is True and row.score == 1.0, row.detail


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (num(42), "Ответ: 41"),
        (num(1.5), "Ответ: 15"),
        (num(3), "Ответ: -3"),  # the sign matters
        (
            num(90),
            "Answer: 60 (10 + 20 + 30), and certainly not 90",
        ),  # the value the line stands by; the one it rejects is skipped
        (num(90), "Сначала думал 90, но нет: 30 + 30 = 60"),  # no answer line: the concluding value
        (num(3.14, 0.001), "Ответ: 3,15"),
        (num(42), "Ответ: сорок один"),  # numbers in words are read: 41
        (num(21), "Ответ: 21\n\nНет, пересчитаю.\nОтвет: 22"),
    ],
)
def test_number_fails(spec: dict, text: str) -> None:
    row = correct(spec, text)
    assert row.passed is False and row.score == 0.0, row.detail


def test_number_details() -> None:
    assert correct(num(42), "Ответ: 41").detail == "expected 42, found 41 in 'Ответ: 41'"
    assert correct(num(42), "Ответ: не знаю").detail == "expected 42, no number in 'Ответ: не знаю'"
    assert "found 1 234,5 (= 1234.5)" in correct(num(1234.5), "Ответ: 1 234,5").detail
    assert "± 0.01" in correct(num(3.14, 0.01), "Ответ: 3,14").detail
    assert "(no answer line)" in correct(num(90), "Итого 90").detail


# --------------------------------------------------------------------------------------------
# check:answer, exact


def exact(value: str) -> dict:
    return {"type": "exact", "value": value}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Пётр", "Ответ: Пётр"),
        ("Пётр", "Ответ: Петр"),  # ё = е
        ("Петр", "Ответ: ПЁТР."),
        ("Пётр", "Ответ: «Пётр»"),
        ("Пётр", "**Ответ:** **Пётр**!"),
        ("Пётр", "Ответ: это был Пётр"),  # whole-word phrase inside the segment
        ("2 2 1", "Рассуждение...\nОтвет: 2 2 1"),
        ("2 2 1", "Answer: `2 2 1`"),
        ("2 2 1", "Answer: 2  2   1"),  # whitespace collapsed
        ("-4 1 -3", "Answer: -4 1 -3"),
        ("-4 1 -3", "Ответ: −4 1 −3"),  # Unicode minus signs
        ("5 4 8", "Ответ:\u00a05\u00a04\u00a08"),  # no-break spaces
        ("2 2 1", "Ответ: программа выведет `2 2 1`."),
        ("C", "Answer: C) `tail_sum([4, 8, 15], 0)`"),  # an exact letter works too
        ("and bat", "Ответ: and bat"),
        ("finally try 2", 'The output is:\n\nAnswer: "finally try 2"'),
        ("Paris", "answer: paris;"),
        ("New York", "Answer: “New York”"),
        ("2 2 1", "## Ответ\n```\n2 2 1\n```"),
    ],
)
def test_exact_passes(value: str, text: str) -> None:
    row = correct(exact(value), text)
    assert row.passed is True, row.detail


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Пётр", "Ответ: Павел"),
        ("Пётр", "Ответ: Петров"),  # not a whole word
        ("2 2 1", "Answer: 1 2 1"),
        ("2 2 1", "Answer: 12 2 1"),
        ("30 0", "Ответ: 30 5"),
        ("and bat", "Answer: and cat"),
        ("-4 1 -3", "Answer: -4 1 3"),
        ("Paris", "I think it is Paris.\nAnswer: London"),  # only the segment counts
    ],
)
def test_exact_fails(value: str, text: str) -> None:
    row = correct(exact(value), text)
    assert row.passed is False, row.detail


def test_normalize_exact() -> None:
    assert normalize_exact("  «Ёлка»,  **Пётр** …") == "елка, петр"
    assert normalize_exact("“Hello”  World!!") == "hello world"
    assert normalize_exact("-4 1 -3") == normalize_exact("\u22124 1 \u20133") == "-4 1 -3"
    assert normalize_exact("Ответ...  ") == "ответ"


# --------------------------------------------------------------------------------------------
# check:answer, choice


def choice(value: str) -> dict:
    return {"type": "choice", "value": value}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("C", "Ответ: C"),
        ("C", "Answer: (C)"),
        ("C", "Answer: C) `tail_sum([4, 8, 15], 0)`"),
        ("C", "**Ответ:** **C**"),
        ("C", "Ответ: С"),  # Cyrillic С
        ("B", "Варианты A и C отпадают.\nОтвет: вариант В"),  # Cyrillic В among Latin letters: a look-alike B
        ("A", "Ответ: А."),  # Cyrillic А
        ("E", "Ответ: Е"),  # Cyrillic Е
        ("B", "Answer: b"),
        ("B", "Answer: (b)"),
        ("A", "Answer: A. change range(len(values) - k) to range(len(values) - k + 1)"),
        ("C", "Ответ: В случае n = 0 неверен вариант C"),  # Latin C wins over the preposition «В»
        ("C", "Answer: The correct option is C."),
        ("D", "Разбор вариантов A, B, C...\nОтвет: D"),
    ],
)
def test_choice_passes(value: str, text: str) -> None:
    row = correct(choice(value), text)
    assert row.passed is True, row.detail


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("C", "Ответ: B"),
        ("C", "D не подходит.\nОтвет: В"),  # Cyrillic В among Latin letters is B, not C
        ("A", "Answer: (D)"),
        ("C", "Ответ: Б"),  # a Russian option letter that has no Latin look-alike
        ("C", "Answer: none of them"),
    ],
)
def test_choice_fails(value: str, text: str) -> None:
    row = correct(choice(value), text)
    assert row.passed is False, row.detail


def test_find_choice() -> None:
    assert find_choice("вариант (С)") == "C"
    assert find_choice("none of them") is None
    assert correct(choice("C"), "Ответ: B").detail == "expected C, found B in 'Ответ: B'"


# --------------------------------------------------------------------------------------------
# check:answer, regex and odd output


def test_regex_searches_the_whole_answer() -> None:
    spec = {"type": "regex", "value": r"^def \w+\(n\):"}
    text = "Вот решение:\n\n```python\ndef fib(n):\n    return n\n```\nГотово."
    row = correct(spec, text)
    assert row.passed is True and "def fib(n):" in row.detail
    assert correct({"type": "regex", "value": r"\bO\(n log n\)"}, "Сложность: o(N LOG N).").passed is True
    assert correct(spec, "Не знаю.").passed is False


@pytest.mark.parametrize("text", ["", "   \n\t", "<think>только размышления</think>"])
@pytest.mark.parametrize("spec", [num(1), exact("x"), choice("A"), {"type": "regex", "value": "x"}])
def test_empty_answer_fails(spec: dict, text: str) -> None:
    row = correct(spec, text)
    assert (row.passed, row.score, row.detail) == (False, 0.0, "empty answer")


ODD = [
    "Ответ:",
    "Answer: ",
    "**",
    "```",
    "```python\nprint(1)",
    "\\boxed{",
    "\\boxed{\\frac{1}{0}}",
    "1/0",
    "Ответ: 9" * 10_000,
    "\x00\ufeff\u200b",
    "$$$$",
    "Ответ: \u2212",
    "Answer: ((((",
    "<think>",
    "</think>",
    "🙂" * 50,
    "Ответ: 1e309",
    "9" * 400,
    # inputs that make naive regexes quadratic (each must finish in well under a second)
    "\\(" * 20_000,
    "a" * 50_000,
    "<a" * 20_000,
    "<think>" * 20_000,
    "Answer: " + " " * 20_000 + "x",
    "Ответ: вариант" + " " * 20_000 + "zz",
    "Ответ: x" + "." * 50_000,
]


@pytest.mark.parametrize("text", ODD)
@pytest.mark.parametrize("spec", [num(1), exact("x"), choice("A"), {"type": "regex", "value": "x"}])
def test_odd_output_never_raises(spec: dict, text: str) -> None:
    row = correct(spec, text)
    assert row.passed in (True, False, None)


def test_no_answer_spec_no_rows() -> None:
    assert get_check("answer")(item(None), "Ответ: 42") == []


# --------------------------------------------------------------------------------------------
# check:language

RU = "Чтобы найти сумму, сложим оба числа. Получается сорок два, и это правильный ответ на вопрос."
EN = "To find the sum, add both numbers. We get forty-two, which is the correct answer to the question."
RU_TECH = (
    "Используйте библиотеку `requests`: в Python она заметно проще, чем стандартный модуль `urllib`. "
    "Запрос отправляется методом `get`, а ответ сервера приходит в формате JSON, который удобно "
    "разбирать встроенными средствами языка, не подключая дополнительных зависимостей."
)
CODE_HEAVY_RU = (
    'Вот решение задачи:\n\n```python\ndef fibonacci(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n'
    "    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\n\nif __name__ == '__main__':\n"
    "    print(fibonacci(10))\n```\n\nФункция `fibonacci` работает за линейное время. Подробнее: "
    "https://docs.python.org/3/tutorial/controlflow.html или напишите на help@example.com."
)
CODE_HEAVY_EN = "Here is the code:\n\n```\nпривет = 'мир'\nprint(привет)\n```\nIt prints a greeting."


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (RU, "ru"),
        (EN, "en"),
        (RU_TECH, "ru"),
        (CODE_HEAVY_RU, "ru"),  # code, URL and e-mail are ignored
        (CODE_HEAVY_EN, "en"),  # Cyrillic identifiers inside code are ignored
        ("Ответ: $x^2 + y^2 = z^2$, где $x, y, z$ — стороны треугольника.", "ru"),  # math ignored
        ("答案是四十二。这是正确的。", "zh"),  # a model drifting into Chinese
        ("```\nprint(1)\n```", None),  # no prose letters
        ("", None),
        ("12345 + 678 = 13023", None),
    ],
)
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text).lang == lang


def test_detect_language_mixed() -> None:
    guess = detect_language(RU)
    assert guess.lang == "ru" and guess.confidence > 0.99
    assert detect_language(EN + " " + "Коротко: сорок два.").lang == "en"
    assert detect_language(RU + " " + EN).lang == "en"  # about half and half: the Latin letters have it
    assert detect_language(RU + " " + RU + " " + EN).lang == "ru"


def test_mixed_script_words() -> None:
    assert mixed_script_words("пpивет, как дела") == ["пpивет"]  # Latin p
    assert mixed_script_words("Hеllo world") == ["Hеllo"]  # Cyrillic е
    assert mixed_script_words("H2О is water") == ["H2О"]  # Cyrillic О after a digit
    assert mixed_script_words(RU_TECH) == []
    assert mixed_script_words("IT-компания и Wi-Fi, интернет‑магазин, за́мок") == []  # hyphens split words
    assert mixed_script_words("Код `пpивет = 1` не считается") == []  # inline code ignored


def test_latin_share() -> None:
    assert latin_share(RU) == 0.0
    assert latin_share(EN) == 1.0
    assert latin_share("Используем Python и API для запросов к серверу") == 0.0  # a name and an acronym
    assert latin_share("Используем python и api для запросов к серверу") == 0.25  # 2 of 8
    assert latin_share("") == 0.0
    assert latin_share("Смотрите https://example.com/very/long/english/path и `some code here`") == 0.0


def rows(lang: str, text: str) -> dict[str, CheckRow]:
    return {r.criterion: r for r in get_check("language")(item(None, lang), text)}


def test_language_check_russian_answer() -> None:
    r = rows("ru", RU)
    assert list(r) == ["language_match", "mixed_script_words", "latin_share"]
    assert r["language_match"].passed is True and r["language_match"].score == 1.0
    assert r["mixed_script_words"].passed is True and r["mixed_script_words"].score == 0.0
    assert r["latin_share"].passed is True and r["latin_share"].score == 0.0
    assert rows("ru", RU_TECH)["latin_share"].passed is True  # a few terms are fine


def test_language_check_english_answer_to_russian_prompt() -> None:
    r = rows("ru", EN)
    assert r["language_match"].passed is False and r["language_match"].score == 0.0
    assert r["language_match"].detail.startswith("expected ru, detected en")
    assert r["latin_share"].passed is False and r["latin_share"].score == 1.0


def test_language_check_english_prompt_has_no_latin_share() -> None:
    r = rows("en", EN)
    assert list(r) == ["language_match", "mixed_script_words"]
    assert r["language_match"].passed is True
    assert rows("en", RU)["language_match"].passed is False


def test_language_check_mixed_script_detail() -> None:
    r = rows("ru", "Пpивет! Этот тeкст набран с ошибками в раскладке: пpивет.")
    mixed = r["mixed_script_words"]
    assert mixed.score == 3.0 and mixed.passed is False
    assert "'Пpивет' (Latin p)" in mixed.detail and "'тeкст' (Latin e)" in mixed.detail
    assert rows("en", "Hеllo world")["mixed_script_words"].detail.endswith("'Hеllo' (Cyrillic е)")


def test_language_check_no_prose_is_not_scored() -> None:
    r = rows("ru", "```python\nprint(1)\n```")
    assert r["language_match"].score is None and r["language_match"].passed is None
    assert r["latin_share"].score is None
    r = rows("ru", "")
    assert r["language_match"].passed is False and r["language_match"].detail == "empty answer"


@pytest.mark.parametrize("text", ODD)
def test_language_odd_output_never_raises(text: str) -> None:
    assert len(rows("ru", text)) == 3


# --------------------------------------------------------------------------------------------
# Registry and run_checks


def test_registry() -> None:
    assert {"answer", "language"} <= set(CHECKS)
    assert judge_name("answer") == "check:answer"
    fn = get_check("language", latin_share_max=0.5)
    text = "Используем python и api для запросов"  # 2 of 6 words in Latin script
    assert {r.criterion: r.passed for r in fn(item(None), text)}["latin_share"] is True
    assert rows("ru", text)["latin_share"].passed is False


def test_unknown_check_lists_known_names() -> None:
    with pytest.raises(RubricError) as e:
        get_check("langauge")
    assert isinstance(e.value, JudgeError) and not isinstance(e.value, KeyError)
    assert "'langauge'" in e.value.message and "answer, constraints, language" in e.value.message


@pytest.mark.parametrize(
    ("options", "message"),
    [({"nope": 1}, "nope"), ({"latin_share_max": 2.0}, "between 0 and 1"), ({"max_examples": -1}, ">= 0")],
)
def test_bad_options_are_rubric_errors(options: dict, message: str) -> None:
    with pytest.raises(RubricError, match=message):
        get_check("language", **options)


def test_run_checks() -> None:
    out = run_checks(item(num(42), "ru"), "Считаем: 40 + 2.\nОтвет: 42")
    assert list(out) == ["answer", "language"]
    assert out["answer"][0].passed is True
    assert [r.criterion for r in out["language"]] == ["language_match", "mixed_script_words", "latin_share"]
    out = run_checks(item(None, "en"), "The answer is 42.")
    assert list(out) == ["language"]
    assert all(isinstance(r, CheckRow) for rs in out.values() for r in rs)


def test_check_rows_are_records() -> None:
    row = CheckRow(criterion="correct", score=1.0, passed=True, detail="ok")
    assert CheckRow.model_validate(row.model_dump()) == row
    with pytest.raises(ValueError):
        CheckRow(criterion="correct", score=1.0, passed=True, detail="ok", extra=1)  # type: ignore[call-arg]


def _dataset_items() -> list[Item]:
    out = []
    for path in sorted((ROOT / "datasets").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                it = Item.model_validate(json.loads(line))
            except ValueError:
                continue  # the dataset's own tests report bad lines
            if it.answer is not None and it.reference and it.answer.type != "regex":
                out.append(it)
    return out


@pytest.mark.parametrize("it", _dataset_items(), ids=lambda it: it.id)
def test_dataset_references_pass_their_own_answer_check(it: Item) -> None:
    """A worked reference ends with the same `Ответ:`/`Answer:` line the models are asked for."""
    (row,) = get_check("answer")(it, it.reference or "")
    assert row.passed, row.detail
    assert AnswerSpec.model_validate(it.answer.model_dump()) == it.answer  # type: ignore[union-attr]
