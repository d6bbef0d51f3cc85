"""check:language, rule by rule: code lines, running text, Latin terms, mixed scripts, language_match.

Real answers and prompts nobody here wrote are in test_language_real.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest

from judge.checks import (
    CheckRow,
    detect_language,
    expected_language,
    get_check,
    langid,
    latin_share,
    mixed_script_words,
)
from judge.checks.scripts import explain, is_notation, mixed_words
from judge.checks.terms import is_code_line, latin_words, running_text, term_kind
from judge.dataset import Item, load_items
from judge.errors import RubricError

ROOT = Path(__file__).resolve().parents[2]

RU = "Чтобы найти сумму, сложим оба числа. Получается сорок два, и это правильный ответ на вопрос."
EN = "To find the sum, add both numbers. We get forty-two, which is the correct answer to the question."
ES = "Había una vez un gato llamado Pepe que vivía en una pequeña casa en las afueras de la ciudad."


def rows(
    text: str, lang: Literal["ru", "en"] = "ru", answer_lang: str | None = None, prompt: str = "?"
) -> dict[str, CheckRow]:
    item = Item(id="t", lang=lang, answer_lang=answer_lang, category="writing", prompt=prompt)
    return {r.criterion: r for r in get_check("language")(item, text)}


# --------------------------------------------------------------------------------------------
# Code-like lines


@pytest.mark.parametrize(
    "line",
    [
        "def is_even_and_prime(n):",
        "    for i in range(3, int(n ** 0.5) + 1, 2):",
        "        return False",
        "import numpy as np",
        "from transformers import GPTNano",
        "    x -= step_size * gradient",
        "result = variable_step_gradient_descent(example_func, x0)",
        "    main()",
        "}",
        "SELECT users.key FROM users WHERE id = 1",
        "$ pip install lingua-language-detector",
        "pip install transformers",
        '[{"text":"Visma","coords":[[20,732],[20,709]]}]',
        '{"name": "Иван", "age": 30}',  # data, whatever the script of its strings
        '"age": 30,',
        "    h = 1e-4  # шаг для приближения производной",  # a Russian comment after code
        "- print(x)",
    ],
)
def test_code_lines(line: str) -> None:
    assert is_code_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Для этого возьмём x = 5, и тогда всё сойдётся.",
        "For each item in the list, check the price:",  # capitalised: an English sentence, not `for`
        "Return the book to the library.",
        "Это обычное предложение; оно продолжается.",
        "ΣΩ. Τοίνυν δύνασαι μοι εἰπεῖν τί ἐστιν ἀρετή;",  # a Greek question mark is `;`
        "1. Ubuntu (с GNOME Shell)",
        "... и так далее",
        "- make sure you restart the server",
        '"Привет": сказал он.',
        "[1] Смирнов А. Книга, 2020.",
        "| Название | Значение |",
    ],
)
def test_prose_lines(line: str) -> None:
    assert not is_code_line(line)


# --------------------------------------------------------------------------------------------
# Running text (what the language identifier reads)


def test_running_text_leaves_out_code_titles_mentions_and_terms() -> None:
    text = (
        "Конечно! Вот список игр, похожих на Hollow Knight:\n"
        "1. Ori and the Blind Forest\n"
        "2. Dust: An Elysian Tail\n"
        "def main():\n"
        '    print("hi")\n'
        'Слово "Ketchup" пишется через API, GPU и PyTorch, а переменная x_1 равна 2.'
    )
    out = running_text(text)
    for gone in ("Ori", "Elysian", "def", "print", "Ketchup", "API", "GPU", "PyTorch", "x_1"):
        assert gone not in out
    assert "Вот список игр" in out and "пишется через" in out
    assert "Москва — столица России." in running_text("Москва — столица России.")  # a sentence, not a title
    long_quote = '"Lamp oil? Rope? Bombs? You want it? It is yours, my friend"'
    assert "Lamp oil" in running_text(long_quote)  # a long quotation is text, not a mention


# --------------------------------------------------------------------------------------------
# Latin terms and latin_share


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("snake_case", "identifier"),
        ("camelCase", "name"),
        ("os.path", "identifier"),
        ("README.md", "identifier"),
        ("GPT4", "identifier"),
        ("x", "letter"),
        ("B", "letter"),
        ("API", "acronym"),
        ("GPUs", "acronym"),
        ("JSON", "acronym"),
        ("XIX", "acronym"),
        ("PyTorch", "name"),
        ("iPhone", "name"),
        ("Linux", "name"),
        ("the", None),
        ("properties", None),
    ],
)
def test_term_kind(token: str, kind: str | None) -> None:
    assert term_kind(token) == kind


def test_latin_share_counts_ordinary_latin_words_only() -> None:
    assert latin_share(RU) == 0.0
    assert latin_share(EN) > 0.9
    assert latin_share("") == 0.0
    assert latin_share("Используем Python и API для запросов к серверу") == 0.0  # a name and an acronym
    assert latin_share("Обучаем на GPU через PyTorch, переменная my_var и ключ `id`") == 0.0
    assert latin_share("Модель дала хороший result, and the accuracy was high") == pytest.approx(6 / 9)
    assert latin_share("Ответ: B") == 0.0  # an option letter
    assert latin_share("Для настройки nginx нужен доступ", prompt="Как настроить nginx?") == 0.0  # the prompt's word
    assert latin_share("Для настройки nginx нужен доступ") == pytest.approx(1 / 5)
    assert latin_share("Столица Словении — Любляна (Ljubljana), это (англ. capital city).") == 0.0  # glosses
    assert latin_share('Его фраза "Lamp oil? Rope? Bombs? You want it?" стала мемом.') == 0.0  # a quotation
    long_aside = "Это плохо (because the model is very large and it needs more memory)."
    assert latin_share(long_aside) > 0.5  # a long English aside is not a gloss
    code = "Решение:\ndef solve(items):\n    return sorted(items)\nФункция сортирует список."
    assert latin_share(code) == 0.0  # unfenced code


def test_latin_words_explains_what_it_left_out() -> None:
    words = latin_words("Ставим PyTorch и my_lib, затем the model на nginx", prompt="что такое nginx?")
    assert words.latin == ["the", "model"]
    assert words.terms == {"PyTorch": "name", "my_lib": "identifier", "nginx": "prompt"}
    assert words.words == 6  # Ставим, и, затем, the, model, на


# --------------------------------------------------------------------------------------------
# Mixed scripts


def test_mixed_script_words_in_any_script() -> None:
    assert mixed_script_words("пpивет, как дела") == ["пpивет"]  # Latin p in Cyrillic
    assert mixed_script_words("Это тοчка") == ["тοчка"]  # Greek ο in Cyrillic
    assert mixed_script_words("Please sοlve it") == ["sοlve"]  # Greek ο in Latin
    assert mixed_script_words("Say hellօ") == ["hellօ"]  # Armenian օ in Latin
    assert mixed_script_words("H2О is water") == ["H2О"]  # Cyrillic О after a digit
    assert mixed_script_words("IT-компания и Wi-Fi, интернет‑магазин, за́мок") == []  # hyphens split words
    assert mixed_script_words("Код `пpивет = 1` не считается") == []  # inline code


def test_notation_and_cjk_are_not_mixed_words() -> None:
    assert is_notation("aΨ1") and is_notation("ΔT") and is_notation("Φx")
    assert not is_notation("sοlve")  # ο looks like o: a homoglyph, not notation
    assert mixed_words("Ψ = aΨ1 + bΨ2, ΔT и Φx") == []
    assert mixed_words("使用Python编程, お茶をカップに注ぐ, α線, ภาษาPython") == []  # no spaces in CJK or Thai
    assert mixed_words("хранить и共享 ваши, параметр强制 удаление") == ["и共享", "параметр强制"]  # a slip into Chinese


def test_intruding_letters_are_named() -> None:
    assert explain("тοчка") == "'тοчка' (Greek ο)"
    assert explain("пpивeт") == "'пpивeт' (Latin p, e)"
    assert explain("Hеllo") == "'Hеllo' (Cyrillic е)"
    assert explain("инSTRUMENTами") == "'инSTRUMENTами' (Cyrillic ин, ами)"
    assert explain("H2О", home="LATIN") == "'H2О' (Cyrillic О)"  # a tie: the text's main script is home
    r = rows("Это тοчка, а это пpивет и ещё раз пpивет в тексте.")["mixed_script_words"]
    assert (r.passed, r.score) == (False, 3.0)
    assert r.detail == "3 mixed-script word(s): 'тοчка' (Greek ο), 'пpивет' (Latin p)"


# --------------------------------------------------------------------------------------------
# language_match


def test_language_match_names_the_detected_language() -> None:
    r = rows(RU)["language_match"]
    assert (r.passed, r.score) == (True, 1.0) and r.detail.startswith("expected ru, detected ru (ru 1.00")
    r = rows(EN)["language_match"]
    assert (r.passed, r.score) == (False, 0.0) and r.detail.startswith("expected ru, detected en (en ")
    r = rows(ES)["language_match"]
    assert r.passed is False and r.detail.startswith("expected ru, detected es")
    assert rows(EN, lang="en")["language_match"].passed is True
    assert rows(RU, lang="en")["language_match"].detail.startswith("expected en, detected ru")


def test_answer_lang_sets_the_expected_language() -> None:
    r = rows(ES, answer_lang="es")
    assert r["language_match"].passed is True and r["language_match"].detail.startswith("expected es, detected es")
    assert "latin_share" not in r  # latin_share is for answers expected in Russian
    assert rows(ES, answer_lang="spa")["language_match"].passed is True  # ISO 639-3 works too
    r = rows(RU, lang="en", answer_lang="ru")
    assert r["language_match"].passed is True and "latin_share" in r
    item = Item(id="t", lang="ru", answer_lang="spa", category="writing", prompt="?")
    assert expected_language(item) == "es"


def test_an_expected_language_outside_the_default_set_gets_its_own_detector() -> None:
    text = "Dit is een korte Nederlandse tekst over het weer in Amsterdam en de fiets."
    assert "nl" not in langid.LANGUAGES
    assert rows(text, answer_lang="nl")["language_match"].passed is True
    r = rows(text, lang="en")["language_match"]  # without nl among the candidates: `de 0.76, en 0.11`
    assert r.passed is not True and "detected en" not in r.detail


@pytest.mark.parametrize(
    ("text", "passed", "reason"),
    [
        ("", False, "empty answer"),
        ("```python\nprint(1)\n```", None, "no letters outside code"),
        ("42", None, "no letters outside code"),
        ("Ответ: 42", None, "too short to tell"),
        ("Ответ: B", None, "too short to tell"),
        ("1. Oxygen Not Included\n2. Dwarf Fortress", None, "too short to tell"),  # titles only
        ("Столица Словении — Любляна.", None, "undecidable"),  # 22 letters: Bulgarian or Russian?
    ],
)
def test_language_match_is_not_a_guess(text: str, passed: bool | None, reason: str) -> None:
    r = rows(text)["language_match"]
    assert r.passed is passed and r.score == (None if passed is None else 0.0)
    assert reason in r.detail


def test_a_script_of_no_candidate_language_fails() -> None:
    r = rows("இது ஒரு தமிழ் வாக்கியம், இது சோதனைக்காக எழுதப்பட்டது.")["language_match"]  # Tamil
    assert r.passed is False and "outside the candidates" in r.detail and "Tamil 1.00" in r.detail


def test_unknown_expected_language_is_not_scored() -> None:
    r = rows(RU, answer_lang="tt")["language_match"]  # Tatar: lingua has no model
    assert r.passed is None and "no language model" in r.detail


def test_a_neighbour_in_the_same_script_needs_a_clear_win() -> None:
    # A list of made-up Cyrillic words: lingua leans Belarusian (0.69) but is not sure. Not scored.
    r = rows("ретмак, ретмас, ретмад, ретмам, ретмап, ретмаку, ретмасу, ретмаду, ретмаму, ретмапу.")["language_match"]
    assert r.passed is None and r.detail.startswith("expected ru, undecidable (be ")
    # Short English has no clear winner among Latin-script languages, yet is surely not Russian. Failed.
    r = rows("I'm sorry, but I can't fulfill that request.")["language_match"]
    assert r.passed is False and r.detail.startswith("expected ru, detected en")


def test_detect_language_returns_lingua_scores() -> None:
    guess = detect_language(ES)
    assert guess.lang == "es" and guess.confidence > 0.9 and guess.confidence_of("ru") == 0.0
    assert guess.describe().startswith("es 1.00")
    empty = detect_language("```\nprint(1)\n```")
    assert (empty.lang, empty.letters, empty.scores) == (None, 0, ())


def test_options() -> None:
    with pytest.raises(RubricError, match="min_letters"):
        get_check("language", min_letters=0)
    with pytest.raises(RubricError, match="ru_min_share"):
        get_check("language", ru_min_share=0.5)  # gone with the script-only detection
    item = Item(id="t", lang="ru", category="writing", prompt="?")
    short = "Привет! Чем могу помочь?"  # 19 letters
    assert get_check("language")(item, short)[0].passed is None
    assert get_check("language", min_letters=10)(item, short)[0].passed is True


# --------------------------------------------------------------------------------------------
# The detector is built lazily, once


def test_importing_the_checks_does_not_load_lingua() -> None:
    code = "import sys, judge.checks; print('lingua' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_the_detector_is_cached() -> None:
    assert langid.detector() is langid.detector()
    assert langid.detector("nl") is langid.detector("nl") is not langid.detector()


# --------------------------------------------------------------------------------------------
# Our own exemplary Russian


def _russian_references() -> list[Item]:
    seen: dict[str, Item] = {}
    for path in sorted((ROOT / "datasets").glob("*.jsonl")):
        for item in load_items(path):
            if item.lang == "ru" and item.reference:
                seen.setdefault(item.id, item)
    return list(seen.values())


def test_every_russian_reference_of_the_datasets_passes() -> None:
    items = _russian_references()
    assert len(items) >= 94
    check = get_check("language")
    failures = [
        f"{it.id}: {r.criterion}: {r.detail}"
        for it in items
        for r in check(it, it.reference or "")
        # a task that asks for passages in another language is not measured for latin_share
        if r.passed is not True and not (r.criterion == "latin_share" and "mixed-language" in it.tags)
    ]
    assert failures == []


def test_a_task_asking_for_another_language_is_not_measured_for_latin_share() -> None:
    text = "«Когда рак на горе свистнет» — when pigs fly: the idiom means never, once in a blue moon means rarely."
    item = Item(id="i", lang="ru", category="idioms", prompt="Подберите английские эквиваленты.")
    check = get_check("language")
    assert {r.criterion: r.passed for r in check(item, text)}["latin_share"] is False
    tagged = item.model_copy(update={"tags": ["mixed-language"]})
    row = {r.criterion: r for r in check(tagged, text)}["latin_share"]
    assert row.passed is None and row.score is None and "mixed-language" in row.detail
