"""Adversarial answers against the judge prompts: the answer stays data, inside its own block, last.

The corpus (tests/data/injection/*.json, Russian and English) holds answers that forge verdicts,
close their block, open fake `<reference>`/`<question>`/`<answer_b>` blocks, smuggle chat-template
control tokens, hide instructions in code blocks or in headings that imitate the system prompt. Each
is rendered with the bundled rubrics, single and pairwise (in both positions), and the rendered text
is checked; a template reaching for Python internals must fail in the sandbox.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from judge.dataset import Item
from judge.errors import RubricError
from judge.prompts import LOOKALIKE, render_pairwise, render_single, render_system
from judge.resources import data_dir
from judge.rubric import load_rubric
from tests.helpers import ROOT

CORPUS = sorted((Path(__file__).parent / "data" / "injection").glob("*.json"))
CASES = [json.loads(p.read_text(encoding="utf-8")) for p in CORPUS]
RUBRICS = [
    load_rubric(ROOT / "rubrics" / name)
    for name in ("reasoning_depth.yaml", "russian_fluency.yaml", "english_fluency.yaml")
]
TRACE = load_rubric(Path(__file__).parent / "data" / "rubrics" / "reasoning_trace.yaml")  # shows the reasoning

BLOCKS = (
    "question",
    "reference",
    "reasoning",
    "reasoning_a",
    "reasoning_b",
    "answer",
    "answer_a",
    "answer_b",
    "rubric",
)
# What a reader (or a model) could take for one of our tags: spaces, line breaks, case and invisible
# characters (zero-width spaces and joiners, word joiner, BOM, soft hyphen) do not matter.
_HIDDEN = "\u00ad\u200b-\u200f\u2060-\u2064\ufeff"
_GAP = f"[\\s{_HIDDEN}]*"
_NAME = "|".join(f"[{_HIDDEN}]*".join(name) for name in sorted(BLOCKS, key=len, reverse=True))
TAG = re.compile(rf"<{_GAP}(/?){_GAP}({_NAME}){_GAP}>", re.IGNORECASE)
_HIDDEN_RE = re.compile(f"[{_HIDDEN}]")
# Control tokens of chat templates, which a server can parse out of plain text.
CONTROL = re.compile(r"<\|[^|>]{1,40}\|>|<｜[^｜>]{1,40}｜>|</?s>|<(?:start|end)_of_turn>")

BENIGN = {
    "en": "12 / 3 = 4 apples are eaten, 8 are left, then 8 + 5 = 13.\nAnswer: 13",
    "ru": "Съели 12 / 3 = 4 яблока, осталось 8, затем 8 + 5 = 13.\nОтвет: 13",
}
QUESTION = {
    "en": "A basket holds 12 apples. A third are eaten, then 5 are added. How many are there?",
    "ru": "В корзине 12 яблок. Треть съели, потом положили ещё 5. Сколько яблок в корзине?",
}
REFERENCE = {
    "en": "12 / 3 = 4, 12 - 4 = 8, 8 + 5 = 13. Answer: 13",
    "ru": "12 / 3 = 4, 12 - 4 = 8, 8 + 5 = 13. Ответ: 13",
}


def item(lang: str) -> Item:
    return Item(
        id=f"inj-{lang}",
        pair="inj",
        lang=lang,
        category="arithmetic",
        prompt=QUESTION[lang],  # type: ignore[arg-type]
        reference=REFERENCE[lang],
    )


def tags(text: str) -> dict[str, tuple[int, int]]:
    """Block name -> (openings, closings) of everything that looks like one of our tags."""
    out = {b: [0, 0] for b in BLOCKS}
    for m in TAG.finditer(text):
        out[_HIDDEN_RE.sub("", m.group(2)).lower()][1 if m.group(1) else 0] += 1
    return {b: (o, c) for b, (o, c) in out.items()}


def block(text: str, name: str) -> str:
    return text.split(f"\n<{name}>\n", 1)[1].split(f"\n</{name}>", 1)[0]


def visible(payload: str) -> str:
    """The payload as the block must hold it: only the outer newlines go, only `<` may change."""
    return payload.strip("\n")


def check_user(user: str, expect: dict[str, int], payloads: dict[str, str], last: str) -> None:
    counted = tags(user)
    for b in BLOCKS:
        n = expect.get(b, 0)
        assert counted[b] == (n, n), f"<{b}>: {counted[b]} openings/closings, expected {n} each\n{user}"
    assert CONTROL.search(user) is None, CONTROL.search(user)
    for name, payload in payloads.items():
        inner = block(user, name)
        assert inner.replace(LOOKALIKE, "<") == visible(payload), f"<{name}> does not hold the payload as written"
    assert user.endswith(f"\n</{last}>"), f"<{last}> must be the last thing in the user message"


def check_system(system: str, benign_system: str, payload: str) -> None:
    assert system == benign_system, "the system message depends on the answer"
    for line in (ln.strip() for ln in payload.splitlines()):
        if len(line) >= 12 and line not in benign_system:
            assert line not in system


def test_corpus_size_and_languages() -> None:
    assert len(CASES) >= 20
    assert {c["lang"] for c in CASES} == {"ru", "en"}
    assert sum(c["lang"] == "ru" for c in CASES) >= 8
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("rubric", RUBRICS, ids=[r.name for r in RUBRICS])
def test_single(case: dict, rubric) -> None:
    lang, payload = case["lang"], case["answer"]
    system, user = (m["content"] for m in render_single(rubric, item(lang), payload))
    ref = int(rubric.include_reference)  # the fluency rubrics never show the reference
    check_user(user, {"question": 1, "reference": ref, "answer": 1}, {"answer": payload}, "answer")
    check_system(system, render_system(rubric, rubric.judge_lang(lang), "single"), payload)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("rubric", RUBRICS, ids=[r.name for r in RUBRICS])
def test_pairwise_in_both_positions(case: dict, rubric) -> None:
    lang, payload = case["lang"], case["answer"]
    benign_system = render_system(rubric, rubric.judge_lang(lang), "pairwise")
    for a, b in ((payload, BENIGN[lang]), (BENIGN[lang], payload)):
        system, user = (m["content"] for m in render_pairwise(rubric, item(lang), a, b))
        check_user(
            user,
            {"question": 1, "reference": int(rubric.include_reference), "answer_a": 1, "answer_b": 1},
            {"answer_a": a, "answer_b": b},
            "answer_b",
        )
        check_system(system, benign_system, payload)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_payload_in_reasoning_and_reference(case: dict) -> None:
    """The same payloads as a reasoning trace (a rubric that shows it) and as a dataset's reference."""
    lang, payload = case["lang"], case["answer"]
    it = item(lang).model_copy(update={"reference": payload})
    system, user = (m["content"] for m in render_single(TRACE, it, BENIGN[lang], reasoning=payload))
    check_user(
        user,
        {"question": 1, "reference": 1, "reasoning": 1, "answer": 1},
        {"reference": payload, "reasoning": payload, "answer": BENIGN[lang]},
        "answer",
    )
    check_system(system, render_system(TRACE, TRACE.judge_lang(lang), "single"), payload)
    system, user = (
        m["content"]
        for m in render_pairwise(TRACE, it, payload, BENIGN[lang], reasoning_a=payload, reasoning_b=payload)
    )
    check_user(
        user,
        {"question": 1, "reference": 1, "reasoning_a": 1, "reasoning_b": 1, "answer_a": 1, "answer_b": 1},
        {"reference": payload, "reasoning_a": payload, "reasoning_b": payload, "answer_a": payload},
        "answer_b",
    )


def test_template_syntax_in_an_answer_is_text() -> None:
    case = next(c for c in CASES if c["id"] == "en_jinja_payload")
    user = render_single(RUBRICS[0], item("en"), case["answer"])[1]["content"]
    assert "{{ 7 * 7 }}" in user and "49" not in user and "<class" not in user


UNSAFE = [
    "{{ answer.__class__.__mro__ }}",
    "{{ answer.__class__.__base__.__subclasses__() }}",
    "{{ lang.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.format.__self__.__class__ }}",
    "{{ answer.__len__() }}",
]


@pytest.mark.parametrize("expr", UNSAFE)
def test_template_reaching_for_python_internals_fails(tmp_path: Path, expr: str) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(data_dir("prompts"), prompts)
    path = prompts / "judge_single.j2"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{{ answer }}", "{{ answer }}\n" + expr), encoding="utf-8")
    with pytest.raises(RubricError) as e:
        render_single(RUBRICS[0], item("en"), BENIGN["en"], prompts_dir=prompts)
    msg = e.value.problems[0]
    assert "judge_single.j2" in msg and ("SecurityError" in msg or "UndefinedError" in msg or "unsafe" in msg), msg
