"""The corruption operators of `judge probe` make the error they claim, at the dose asked for.

Each operator's edits are checked by a rule of its own (`operator_rules.verify`), independent of
how the operator found them where possible; `check:answer` must fail a wrong number and pass the
neutral changes. The same rules run on the seed references (the probe's default clean texts) and
on real text nobody here wrote: Russian answers of three models from ru_llm_arena and English
Arena-Hard prompts.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

import pytest

from judge.checks import get_check, latin_share
from judge.dataset import Item
from judge.probe.operators import DOSES, get_operator, operators_for

from .operator_rules import verify

ROOT = Path(__file__).resolve().parents[2]
ARENA = ROOT.parent / "shared" / "data" / "ru_llm_arena"
SEED = ROOT / "datasets" / "seed.jsonl"
RU_OPS = ("agreement", "case", "spelling", "punctuation", "english_words", "homoglyph")
EN_OPS = ("agreement", "spelling", "russian_words")
COMMON = ("wrong_number", "drop_step", "padding", "markdown")

# ---------------------------------------------------------------------------------------------
# Texts


@cache
def seed_items() -> tuple[Item, ...]:
    return tuple(
        Item.model_validate_json(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def seed_texts(lang: str) -> list[str]:
    return [it.reference for it in seed_items() if it.lang == lang and it.reference]


@cache
def arena_ru() -> tuple[str, ...]:
    """100 Russian answers: the first 34 of each of the three models."""
    out: list[str] = []
    for path in sorted((ARENA / "answers").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:34]]
        out += [r["choices"][0]["turns"][0]["content"] for r in rows]
    return tuple(out[:100])


@cache
def arena_en() -> tuple[str, ...]:
    """The first 100 Arena-Hard prompts in English."""
    rows = (json.loads(line) for line in (ARENA / "hard_en.jsonl").read_text(encoding="utf-8").splitlines()[:100])
    return tuple(r["turns"][0]["content"] for r in rows)


needs_arena = pytest.mark.skipif(not ARENA.is_dir(), reason=f"real data not found: {ARENA}")

# ---------------------------------------------------------------------------------------------
# The registry


def test_every_operator_is_registered_in_its_languages() -> None:
    assert [op.name for op in operators_for("ru")] == sorted(RU_OPS + COMMON)
    assert [op.name for op in operators_for("en")] == sorted(EN_OPS + COMMON)
    assert {op.name for op in operators_for("ru") if op.expect == "same"} == {"padding", "markdown"}
    assert all(op.doc for op in operators_for("ru") + operators_for("en"))
    with pytest.raises(KeyError, match="homoglyph"):
        get_operator("en", "homoglyph")


# ---------------------------------------------------------------------------------------------
# Each operator on a text written for it


RU_TEXT = (
    "Новая книга лежит на большом столе. Согласно приказу директора мы работаем в городе, "
    "который стоит у реки. Я также не знаю, что делается в течение дня в агентстве. "
    "Важно решить проблему, если это имеет смысл. Студенты, сдавшие экзамен, получают новые задания."
)
EN_TEXT = (
    "The results show that it is fine. He has these results, and this method works. We receive "
    "a separate report because their office definitely needs it. I agree that it depends on the photo. "
    "This is important."
)


@pytest.mark.parametrize("name", RU_OPS)
def test_russian_operator_on_its_text(name: str) -> None:
    op = get_operator("ru", name)
    for dose in DOSES:
        c = op.apply(RU_TEXT, dose, random.Random(dose))
        assert c is not None and 1 <= len(c.edits) <= dose
        verify(op, RU_TEXT, c)


@pytest.mark.parametrize("name", EN_OPS)
def test_english_operator_on_its_text(name: str) -> None:
    op = get_operator("en", name)
    for dose in DOSES:
        c = op.apply(EN_TEXT, dose, random.Random(dose))
        assert c is not None and 1 <= len(c.edits) <= dose
        verify(op, EN_TEXT, c)


def test_the_examples_of_the_brief() -> None:
    def every(lang: str, name: str, text: str) -> set[str]:
        """Every edit the operator makes on `text` over many seeds."""
        op = get_operator(lang, name)
        return {e for seed in range(40) for c in [op.apply(text, 1, random.Random(seed))] if c for e in c.edits}

    assert "agreement: «новая книга» → «новый книга»" in every("ru", "agreement", "Это новая книга.")
    assert "case: «согласно приказу» → «согласно приказа»" in every("ru", "case", "Сделано согласно приказу.")
    assert every("ru", "case", "Мы живём в городе.") <= {
        f"case: «в городе» → «в {w}»" for w in ("города", "городу", "городом")
    }
    assert "spelling (не with a verb): «не знаю» → «незнаю»" in every("ru", "spelling", "Я не знаю.")
    assert "spelling (list): «агентство» → «агенство»" in every("ru", "spelling", "Это агентство.")
    assert every("ru", "english_words", "Это важный вопрос.") == {
        "English word: «важный» → «important»",
        "English word: «вопрос» → «question»",
    }
    text = "Это очень важный вопрос для нашей команды."
    c = get_operator("ru", "english_words").apply(text, 3, random.Random(0))
    assert c is not None and latin_share(c.text) > latin_share(text) == 0.0  # as check:language counts them
    assert "calque: «решить проблему» → «адресовать проблему»" in every("ru", "english_words", "Надо решить проблему.")
    assert "calque: «имеет смысл» → «делает смысл»" in every("ru", "english_words", "Это имеет смысл.")
    assert every("en", "agreement", "The results show it.") == {
        "subject–verb: «The results show» → «The results shows»"
    }
    assert every("en", "agreement", "So it is.") == {"subject–verb: «it is» → «it are»"}
    assert every("en", "agreement", "Yes, he has.") == {"subject–verb: «he has» → «he have»"}
    assert every("en", "agreement", "Read these results.") == {"determiner–noun: «these results» → «this results»"}
    assert every("en", "spelling", "I receive it.") == {"misspelling: «receive» → «recieve»"}
    assert every("en", "spelling", "It is their car.") == {"confused word: «their» → «there»"}
    assert every("en", "russian_words", "It is important.") == {"Russian word: «important» → «важный»"}
    assert every("en", "russian_words", "Take a photo.") == {"calque: «Take a photo» → «Make a photo»"}
    assert every("en", "russian_words", "Yes, I agree.") == {"calque: «I agree» → «I am agree»"}


# ---------------------------------------------------------------------------------------------
# Dose, None, determinism


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_dose_is_the_number_of_edits_where_the_text_allows(lang: str) -> None:
    texts = seed_texts(lang) + [RU_TEXT if lang == "ru" else EN_TEXT]
    for op in operators_for(lang):
        full = 0
        for i, text in enumerate(texts):
            got = {d: op.apply(text, d, random.Random(i)) for d in DOSES}
            counts = {d: len(c.edits) if c else 0 for d, c in got.items()}
            assert all(counts[d] <= d for d in DOSES), (op.name, i)
            assert counts[1] <= counts[3] <= counts[6], (op.name, i)
            if counts[6] == 6:
                full += 1
                assert counts[1] == 1 and counts[3] == 3, (op.name, i)
        assert full >= 1, f"{op.name} ({lang}) never reaches dose 6 on the seed references"


EMPTY = {
    # (lang, operator): a text that offers no place for the error
    ("ru", "agreement"): "Привет, мир.",
    ("ru", "case"): "Привет, мир.",
    ("ru", "spelling"): "Привет, мир.",
    ("ru", "punctuation"): "Текст без единой запятой. Совсем.",
    ("ru", "english_words"): "Привет, мир.",
    ("ru", "homoglyph"): "Hello world, 42.",
    ("en", "agreement"): "Hello world.",
    ("en", "spelling"): "Hi, ok.",
    ("en", "russian_words"): "Hello world.",
    ("ru", "wrong_number"): "Ответ: Б.\nЧисел здесь нет.",
    ("en", "wrong_number"): "No numbers here.",
    ("ru", "drop_step"): "Здесь нет ни одного вычисления.\nОтвет: 12",
    ("en", "drop_step"): "Nothing is computed here.",
    ("ru", "markdown"): "Да.",
    ("en", "markdown"): "Yes.",
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_none_when_the_text_offers_no_place(lang: str) -> None:
    for op in operators_for(lang):
        for d in DOSES:
            assert op.apply("", d, random.Random(0)) is None, op.name
            if (lang, op.name) in EMPTY:
                assert op.apply(EMPTY[(lang, op.name)], d, random.Random(0)) is None, op.name


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_same_seed_gives_the_same_corruption(lang: str) -> None:
    texts = seed_texts(lang)[::10] + [RU_TEXT if lang == "ru" else EN_TEXT]
    for op in operators_for(lang):
        for i, text in enumerate(texts):
            assert op.apply(text, 3, random.Random(i)) == op.apply(text, 3, random.Random(i)), op.name


# ---------------------------------------------------------------------------------------------
# check:answer


def number_items() -> list[Item]:
    return [it for it in seed_items() if it.answer is not None and it.answer.type == "number" and it.reference]


def passes(item: Item, text: str) -> bool | None:
    rows = get_check("answer")(item, text)
    return rows[0].passed


def test_a_wrong_number_fails_check_answer() -> None:
    items = [it for it in number_items() if passes(it, it.reference or "")]
    assert len(items) >= 40
    op = {lang: get_operator(lang, "wrong_number") for lang in ("ru", "en")}
    for it in items:
        for d in DOSES:
            c = op[it.lang].apply(it.reference or "", d, random.Random(d))
            assert c is not None, it.id
            verify(op[it.lang], it.reference or "", c)
            assert passes(it, c.text) is False, (it.id, c.edits)


def test_neutral_changes_and_dropped_steps_keep_the_answer() -> None:
    items = [it for it in seed_items() if it.answer is not None and it.reference and passes(it, it.reference)]
    assert len(items) >= 100
    for it in items:
        for name in ("padding", "markdown", "drop_step"):
            op = get_operator(it.lang, name)
            for d in DOSES:
                c = op.apply(it.reference or "", d, random.Random(d))
                if c is not None:
                    verify(op, it.reference or "", c)
                    assert passes(it, c.text), (it.id, name, c.edits)


# ---------------------------------------------------------------------------------------------
# Real text

# The share of texts each operator applies to (dose 1), measured, with a margin of about 10 points.
SEED_SHARE = {
    "ru": {"agreement": 0.8, "case": 0.8, "drop_step": 0.5, "english_words": 0.6, "homoglyph": 0.95,
           "markdown": 0.95, "padding": 1.0, "punctuation": 0.35, "spelling": 0.75, "wrong_number": 0.45},
    "en": {"agreement": 0.55, "drop_step": 0.55, "markdown": 0.95, "padding": 1.0, "russian_words": 0.55,
           "spelling": 0.95, "wrong_number": 0.45},
}  # fmt: skip
ARENA_SHARE = {
    "ru": {"agreement": 0.85, "case": 0.8, "drop_step": 0.15, "english_words": 0.75, "homoglyph": 0.85,
           "markdown": 0.9, "padding": 1.0, "punctuation": 0.7, "spelling": 0.8, "wrong_number": 0.15},
    "en": {"agreement": 0.3, "drop_step": 0.15, "markdown": 0.9, "padding": 1.0, "russian_words": 0.35,
           "spelling": 0.9, "wrong_number": 0.2},
}  # fmt: skip


def run_on(lang: str, texts: list[str] | tuple[str, ...], shares: dict[str, float]) -> None:
    for op in operators_for(lang):
        applied = 0
        for i, text in enumerate(texts):
            for d in DOSES:
                c = op.apply(text, d, random.Random(i * 10 + d))
                if c is None:
                    continue
                assert 1 <= len(c.edits) <= d, (op.name, i)
                verify(op, text, c)
                applied += d == 1
        share = applied / len(texts)
        assert share >= shares[op.name], f"{op.name} ({lang}) applies to {share:.0%} of the texts"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_on_the_seed_references(lang: str) -> None:
    run_on(lang, seed_texts(lang), SEED_SHARE[lang])


@needs_arena
def test_on_russian_answers_of_three_models() -> None:
    assert len(arena_ru()) == 100
    run_on("ru", arena_ru(), ARENA_SHARE["ru"])


@needs_arena
def test_on_english_arena_hard_prompts() -> None:
    assert len(arena_en()) == 100
    run_on("en", arena_en(), ARENA_SHARE["en"])
