"""The bundled russian_fluency's not-applicable rule on real answers nobody here wrote (ru_llm_arena:
500 Russian chat prompts, three models' answers). The answers not in Russian were read one by one
for check:language (NOT_RUSSIAN there); the rule must make exactly those not applicable by
language, and call "too short" only answers that really have almost no words."""

from __future__ import annotations

import re

import pytest

from judge.dataset import Item
from judge.grade.applicable import not_applicable_reason
from judge.rubric import load_rubric
from tests.checks.test_language_real import DATA, MODELS, NOT_RUSSIAN, answers, prompts
from tests.helpers import ROOT

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found: {DATA}")

FLUENCY = load_rubric(ROOT / "rubrics" / "russian_fluency.yaml")
ENGLISH = load_rubric(ROOT / "rubrics" / "english_fluency.yaml")


def _reasons(model: str) -> dict[int, str]:
    out = {}
    for qid, text in answers(model).items():
        item = Item(id=f"q{qid}", lang="ru", category="arena", prompt=prompts()[qid])
        why = not_applicable_reason(FLUENCY, item, text)
        if why is not None:
            out[qid] = why
    return out


@pytest.mark.parametrize("model", MODELS)
def test_exactly_the_answers_not_in_russian_are_not_applicable_by_language(model: str) -> None:
    reasons = _reasons(model)
    by_language = {q for q, why in reasons.items() if why.startswith("the answer is not in ru")}
    assert by_language == NOT_RUSSIAN[model]
    no_prose = {q for q, why in reasons.items() if why.startswith("no prose")}
    for q in no_prose:  # code only: Russian appears in comments and strings of code lines, if at all
        text = answers(model)[q]
        russian_lines = [ln for ln in text.splitlines() if re.search(r"[а-яё]{3}", ln, re.I)]
        assert "```" in text or all(any(c in ln for c in "#\"'(=") for ln in russian_lines), q
    too_short = {q: why for q, why in reasons.items() if why.startswith("too short")}
    assert len(too_short) + len(no_prose) <= 10  # "42", «Да», code only…
    for q, why in too_short.items():
        words = [w for w in re.findall(r"\w+", answers(model)[q]) if any(c.isalpha() for c in w)]
        assert int(why.split(": ")[1].split()[0]) < FLUENCY.not_applicable.min_words  # type: ignore[union-attr]
        assert len(words) < 40, (q, why)  # what the rule calls short is short (code aside)
    assert set(reasons) == by_language | set(too_short) | no_prose


def test_english_fluency_does_not_apply_to_russian_answers() -> None:
    model = MODELS[0]
    texts = answers(model)
    sample = [q for q in sorted(texts) if q not in NOT_RUSSIAN[model]][:40]
    item = Item(id="q", lang="en", category="arena", prompt="Question?")
    reasons = [not_applicable_reason(ENGLISH, item, texts[q]) for q in sample]
    assert sum(r is not None for r in reasons) >= 38  # Russian answers: not graded for English fluency
