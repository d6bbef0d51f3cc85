"""Verify every machine-checkable item of seed part B (code, reading, instruction, writing).

Code items are run; bug-finding items are checked by running the buggy and the fixed code;
instruction regexes must accept a compliant answer and reject non-compliant ones; reading answers
must be supported by the passage. Answers go through the product's own `check:answer`
(judge.checks), so the references' final lines are checked exactly as a model's answer would be.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from judge.checks import get_check, normalize_exact
from judge.dataset import Item, load_items

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "datasets" / "seed.jsonl"
PART_B = ROOT / "datasets" / "src" / "part_b.jsonl"
PREFIXES = ("code-", "read-", "instr-", "write-")
OURS = {"code": 11, "reading": 11, "instruction": 10, "writing": 10}


def _load() -> list[Item]:
    path = SEED if SEED.exists() else PART_B
    return [it for it in load_items(path) if it.id.startswith(PREFIXES)]


ITEMS = _load()
BY_ID = {it.id: it for it in ITEMS}


# ---------------------------------------------------------------- the answer convention

_ANSWER_CHECK = get_check("answer")


def passes(item: Item, text: str) -> bool:
    """True when the product's `check:answer` accepts `text` (a whole model answer) for `item`."""
    rows = _ANSWER_CHECK(item, text)
    return bool(rows) and all(r.passed for r in rows)


# ---------------------------------------------------------------- coverage and shape


def test_part_b_shape() -> None:
    cats = {}
    for it in ITEMS:
        cats.setdefault(it.category, set()).add(it.pair)
        assert it.reference and it.reference.strip(), it.id
        assert it.difficulty, it.id
        assert it.id == f"{it.pair}-{it.lang}", it.id
    assert {c: len(p) for c, p in cats.items()} == OURS
    pairs: dict[str, set[str]] = {}
    for it in ITEMS:
        pairs.setdefault(it.pair or "", set()).add(it.lang)
    assert all(langs == {"ru", "en"} for langs in pairs.values())
    hard = {it.pair for it in ITEMS if it.difficulty == "hard"}
    assert len(hard) * 3 >= sum(OURS.values())
    for it in ITEMS:
        if it.category != "writing":
            continue
        assert it.answer is None or it.answer.type == "regex", it.id


def test_final_line_instruction_in_prompt() -> None:
    """Every number/exact/choice prompt asks for the final `Ответ:`/`Answer:` line in its language."""
    for it in ITEMS:
        if it.answer is None or it.answer.type == "regex":
            continue
        word = "Ответ:" if it.lang == "ru" else "Answer:"
        assert word in it.prompt, it.id
        assert passes(it, it.reference or ""), f"{it.id}: reference's final line fails the check"


def test_russian_typography() -> None:
    for it in ITEMS:
        if it.lang != "ru":
            continue
        prose = re.sub(r"```[\s\S]*?```|`[^`]*`", "", it.prompt + "\n" + (it.reference or ""))
        prose = re.sub(r"(?m)^\{.*$", "", prose)  # a JSON example answer keeps its ASCII quotes
        assert '"' not in prose, f"{it.id}: use «ёлочки» in Russian prose"
        assert not re.search(r"\S[ \t]+-[ \t]", prose), f"{it.id}: use an em dash — with spaces"
        assert not re.search(r"\d\.\d", prose), f"{it.id}: use a decimal comma"
        assert re.search(r"[а-яё]", it.prompt, re.IGNORECASE), it.id


# ---------------------------------------------------------------- code: run it

_CODE = re.compile(r"```python\n([\s\S]*?)```")


def code_of(item: Item) -> str:
    blocks = _CODE.findall(item.prompt)
    assert len(blocks) == 1, f"{item.id}: expected one python block"
    return blocks[0]


def run_py(src: str) -> str:
    proc = subprocess.run([sys.executable, "-I", "-c", src], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def exec_ns(src: str) -> dict[str, object]:
    ns: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(src, "<item>", "exec"), ns)
    return ns


def _verify_output(item: Item) -> None:
    out = run_py(code_of(item)).strip()
    assert "\n" not in out, f"{item.id}: output should be one line, got {out!r}"
    assert passes(item, f"Answer: {out}"), f"{item.id}: program prints {out!r}, answer {item.answer}"
    if item.answer.type == "number":  # type: ignore[union-attr]
        assert float(out) == float(item.answer.value)  # type: ignore[union-attr]
    else:
        assert normalize_exact(out) == normalize_exact(str(item.answer.value))  # type: ignore[union-attr]


def _options(item: Item) -> dict[str, str]:
    return dict(re.findall(r"^([A-E])\) (.+)$", item.prompt, re.MULTILINE))


def _verify_tail_sum(item: Item) -> None:
    """Exactly one option's call disagrees with the spec (sum of the last n elements)."""
    ns = exec_ns(code_of(item))
    buggy = ns["tail_sum"]

    def spec(nums: list[int], n: int) -> int:
        return sum(nums[max(len(nums) - n, 0) :]) if n > 0 else 0

    wrong = set()
    for letter, text in _options(item).items():
        call = text.strip("`")
        if eval(call, {"tail_sum": buggy}) != eval(call, {"tail_sum": spec}):
            wrong.add(letter)
    assert wrong == {item.answer.value}  # type: ignore[union-attr]


def _verify_moving_max(item: Item) -> None:
    """The buggy code misses a window; exactly one proposed edit yields every window's maximum."""
    src = code_of(item)
    body = src.split("\nprint(")[0]
    data, k = [3, 1, 4, 1, 5, 9, 2, 6], 3
    expected = [max(data[i : i + k]) for i in range(len(data) - k + 1)]
    assert exec_ns(body)["moving_max"](data, k) != expected  # type: ignore[operator]
    assert run_py(src).strip() == "[4, 4, 5, 9, 9]"
    good = set()
    for letter, text in _options(item).items():
        old, new = re.findall(r"`([^`]+)`", text)
        assert old in body, (letter, old)
        fixed = exec_ns(body.replace(old, new))["moving_max"]
        for case, kk in ((data, k), ([5, 1, 2, 8, 3], 2), ([1, 2, 3], 3), ([7, 7, 1, 0], 1)):
            want = [max(case[i : i + kk]) for i in range(len(case) - kk + 1)]
            if fixed(case, kk) != want:  # type: ignore[operator]
                break
        else:
            good.add(letter)
    assert good == {item.answer.value}  # type: ignore[union-attr]


CODE_VERIFIERS: dict[str, Callable[[Item], None]] = {
    "code-004": _verify_tail_sum,
    "code-010": _verify_moving_max,
}


# ---------------------------------------------------------------- reading: the answer is supported

# Phrases of the passage that the worked solution relies on (the evidence must be in the text).
READING_EVIDENCE: dict[str, list[str]] = {
    "read-001-ru": ["мокрый зонт", "из Саратова"],
    "read-001-en": ["umbrella, still dripping", "from Aberdeen"],
    "read-002-ru": ["будут недоступны", "будет не к чему", "только в пятницу"],
    "read-002-en": ["will all be down", "won't be anything to connect to", "on Friday only"],
    "read-003-ru": ["около двух часов", "не занесённые снегом", "поверх следов"],
    "read-003-en": ["stopped at about two", "no fresh snow in them", "on top of the footprints"],
    "read-004-ru": ["до пятидесяти метров", "строго вверх", "вяло и недолго"],
    "read-004-en": ["within roughly fifty metres", "pointing straight up", "half-heartedly and only briefly"],
    "read-005-ru": ["Лёши к этому времени уже не было", "проводить Нину", "обратно уже не вернулся"],
    "read-005-en": ["Jake had already gone", "walk Nina to the Tube", "never came back"],
    "read-006-ru": ["уже выносят", "груши в нём не нашлось", "по-настоящему хорош"],
    "read-006-en": ["just coming out", "no pear to be found", "genuinely lovely"],
    "read-007-ru": ["чаще живут с родителями", "случайным образом"],
    "read-007-en": ["live with their parents", "randomly assigned"],
    "read-008-ru": ["только водой из общей бочки", "наполнил водой у себя в квартире"],
    "read-008-en": ["only be watered from the shared water butt", "filled at his kitchen tap"],
    "read-009-ru": ["с последних веток", "журавлиный клин", "скоро ляжет снег"],
    "read-009-en": ["last of the branches", "V of geese", "first snow wasn't far off"],
    "read-010-ru": ["полгода назад", "в апреле", "последнюю субботу августа", "с начала месяца"],
    "read-010-en": ["six months before", "in April", "last Saturday in August", "since the start of the month"],
}


def _verify_reading(item: Item) -> None:
    for phrase in READING_EVIDENCE[item.id]:
        assert phrase in item.prompt, f"{item.id}: evidence {phrase!r} missing from the passage"
    if item.answer.type == "choice":  # type: ignore[union-attr]
        opts = _options(item)
        assert sorted(opts) == ["A", "B", "C", "D"], item.id
        assert item.answer.value in opts  # type: ignore[union-attr]


def _verify_party(item: Item) -> None:
    """Replay the arrivals and departures of the passage: who is there when the cake comes out."""
    _verify_reading(item)
    names = (
        ["Аня", "Лёша", "Катя", "Дима", "Света", "Нина"]
        if item.lang == "ru"
        else ["Emma", "Jake", "Chloe", "Dan", "Sarah", "Nina"]
    )
    host, a, b, cousin, late, friend = names
    for n in names:
        assert (n[:-1] if item.lang == "ru" else n) in item.prompt, n  # Russian names decline
    present = {host, a, b, cousin}  # by seven
    present |= {late, friend}  # just after eight
    present -= {a}  # already gone by then
    present |= {"neighbour"}  # around nine
    present -= {cousin, friend}  # half past nine, he walks her out and never returns
    assert len(present) == item.answer.value  # type: ignore[union-attr]


def _verify_timeline(item: Item) -> None:
    """Month of each event, from the passage: the wedding (late August) anchors the relative dates."""
    _verify_reading(item)
    wedding = 8
    months = {
        "manuscript": wedding - 6,  # letter two days before the wedding; manuscript six months before it
        "notice": 4,  # April
        "call": 5,  # a month after the notice; May, when the ticket was bought
        "resignation": wedding,  # on the director's desk since the start of the (wedding) month
    }
    first = min(months, key=months.__getitem__)
    opts = _options(item)
    key = {"manuscript": ("рукопись", "manuscript")}[first]
    letter = next(k for k, v in opts.items() if any(w in v for w in key))
    assert letter == item.answer.value  # type: ignore[union-attr]


# ---------------------------------------------------------------- instruction: regexes accept/reject

_EXAMPLE = re.compile(r"^(?:Пример ответа|Example answer):\n", re.MULTILINE)


def example_of(item: Item) -> str:
    parts = _EXAMPLE.split(item.reference or "")
    assert len(parts) == 2, f"{item.id}: reference needs one 'Пример ответа:'/'Example answer:' section"
    return parts[1].strip("\n")


def _sub(old: str, new: str) -> Callable[[str], str]:
    def f(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return f


def _const(text: str) -> Callable[[str], str]:
    return lambda _ex: text


# Each entry turns the compliant example into an answer that breaks exactly one constraint.
NONCOMPLIANT: dict[str, list[Callable[[str], str]]] = {
    "instr-001-ru": [
        lambda ex: ex + "\n- Возьмите фонарик.",
        lambda ex: "Вот мои советы:\n" + ex,
        lambda ex: "\n".join(ex.splitlines()[:2]),
        lambda ex: ex + "\n\nУдачного похода!",
    ],
    "instr-001-en": [
        lambda ex: ex + "\n- Bring a torch.",
        lambda ex: "Here are my tips:\n" + ex,
        lambda ex: "\n".join(ex.splitlines()[:2]),
        lambda ex: ex + "\n\nHave a great trip!",
    ],
    "instr-002-ru": [
        _const("Инфляция — это рост цен, из-за которого деньги дешевеют."),
        _const("Инфляция — это рост цен и обесценивание денежных сбережений."),
        _const("Инфляция — это когда на ту же зарплату со временем можно купить меньше товаров."),
        lambda ex: ex + " " + ex,
    ],
    "instr-002-en": [
        _const("Inflation is a rise in prices that makes money worth less."),
        _const("Inflation means your pay buys fewer things over time."),
        lambda ex: ex + " " + ex,
    ],
    "instr-003-ru": [
        lambda ex: "У" + ex[1:],
        _sub("москве", "Москве"),
        lambda ex: "в большом городе " + ex,
        lambda ex: ex + " потом всё стихает. и снова шумит.",
        lambda ex: ex.split(". ")[0] + ".",
    ],
    "instr-003-en": [
        _sub(" i watch", " I watch"),
        lambda ex: "M" + ex[1:],
        lambda ex: "in the " + ex,
        lambda ex: ex + " then it rains. then it stops.",
    ],
    "instr-004-ru": [
        lambda ex: "```json\n" + ex + "\n```",
        lambda ex: "Вот рецепт:\n" + ex,
        _sub('"minutes": 10', '"minutes": "10"'),
        _sub('"яйца", ', ""),
        _sub("Омлет с помидорами", "Omelette"),
    ],
    "instr-004-en": [
        lambda ex: "```json\n" + ex + "\n```",
        lambda ex: ex + "\nEnjoy your breakfast!",
        _sub('"minutes": 10', '"minutes": "ten"'),
        _sub('"eggs", "bread", "butter"', '"eggs", "bread", "butter", "salt"'),
    ],
    "instr-005-ru": [
        lambda ex: ex.replace("\n\n", "\n"),
        lambda ex: ex + "\n\nСпасибо всем неравнодушным.",
        _sub("вознаграждение", "награда"),
        _sub("рыжий", "полосатый"),
        _sub("колокольчиком.", "колокольчиком!"),
    ],
    "instr-005-en": [
        lambda ex: ex.replace("\n\n", " "),
        lambda ex: "LOST CAT\n\n" + ex,
        _sub("reward", "thank-you gift"),
        _sub("blue collar", "blue harness"),
        _sub("for anyone who finds him.", "for anyone who finds him!"),
    ],
    "instr-006-ru": [
        lambda ex: "\n".join(ex.splitlines()[1:]),
        lambda ex: "Весна\n" + ex,
        lambda ex: ex + "\nИ всё вокруг поёт и звенит.",
        _sub("Синеет небо", "И синее небо"),
        _sub("На ветках почки", "На ветках весенние почки"),
    ],
    "instr-006-en": [
        lambda ex: "\n".join(ex.splitlines()[:-1]),
        lambda ex: "Spring\n" + ex,
        _sub("Robins shout", "The robins shout"),
        _sub("New green leaves", "New spring leaves"),
    ],
    "instr-007-ru": [
        _sub("Возьмёте её с собой на тренировку или в офис?", "Берите её с собой на тренировку и в офис."),
        _sub("Бутылка из", "Идеальная бутылка из"),
        _sub("заменяет сотни", "лучше всего заменяет сотни"),
        lambda ex: " ".join(ex.split()[:30]) + "?",
        lambda ex: ex.replace("?", ".") + " " + ex,
    ],
    "instr-007-en": [
        _sub("Where will you take yours first?", "Take it everywhere."),
        _sub("this 750 ml bottle", "this perfect 750 ml bottle"),
        _sub("easy to clean", "the best to clean"),
        lambda ex: " ".join(ex.split()[:30]) + "?",
    ],
    "instr-008-ru": [
        _sub("Солнечные лучи только", "Солнечный свет и лучи только"),
        _sub("Поэтому, когда они", "Когда они"),
        lambda ex: ex + " Вот и всё.",
        lambda ex: ex.rsplit(" Эти лучи", 1)[0],
    ],
    "instr-008-en": [
        _sub("Sunshine looks white", "Sunlight looks white"),
        _sub("So when it passes", "When it passes"),
        lambda ex: ex + " Cool, right?",
    ],
    "instr-009-ru": [
        lambda ex: ex + "\nИван",
        lambda ex: "Добрый день! " + ex,
        _sub("В четверг в 15:00 у меня", "К сожалению, в четверг в 15:00 у меня"),
        _sub("Хорошего дня!", "Хорошего вечера!"),
        _sub(
            "Подстроюсь под ваш вариант.",
            "Подстроюсь под ваш вариант. " + "Очень жду встречи и уверен, что мы обсудим все вопросы. " * 3,
        ),
    ],
    "instr-009-en": [
        lambda ex: ex + "\nBest, Sam",
        lambda ex: "Hi! " + ex,
        _sub("I've already got", "Unfortunately, I've already got"),
        _sub(
            "Happy to fit around you.",
            "Happy to fit around you. " + "Looking forward to catching up on everything then. " * 4,
        ),
    ],
    "instr-010-ru": [
        lambda ex: ex + "\n\nУдачного выступления!",
        lambda ex: "План выступления:\n" + ex,
        _sub("- Аудиокниги в дороге до школы", ""),
        lambda ex: ex + "\n## Итог\n- Читайте\n- Обсуждайте",
        lambda ex: ex.replace("# Зачем", "## Зачем", 1),
    ],
    "instr-010-en": [
        lambda ex: ex + "\n\nThanks for listening!",
        _sub("- Audiobooks on the bus to school", ""),
        lambda ex: ex.replace("- Start with", "- Ask a librarian\n- Start with", 1),
    ],
}


def _verify_instruction(item: Item) -> None:
    ex = example_of(item)
    assert passes(item, ex), f"{item.id}: the regex rejects the reference's compliant example"
    if item.pair == "instr-004":
        json.loads(ex)
    for i, breaker in enumerate(NONCOMPLIANT[item.id]):
        bad = breaker(ex)
        assert bad != ex
        assert not passes(item, bad), f"{item.id}: non-compliant answer #{i} accepted:\n{bad}"


# ---------------------------------------------------------------- the verifier table

_BY_PAIR: dict[str, Callable[[Item], None]] = {
    **{f"code-{n:03d}": CODE_VERIFIERS.get(f"code-{n:03d}", _verify_output) for n in range(1, 12)},
    **{f"read-{n:03d}": _verify_reading for n in range(1, 11)},
    "read-005": _verify_party,
    "read-010": _verify_timeline,
    **{f"instr-{n:03d}": _verify_instruction for n in range(1, 11)},
}
VERIFIERS = {f"{pair}-{lang}": fn for pair, fn in _BY_PAIR.items() for lang in ("ru", "en")}


def test_verifier_table_covers_exactly_the_checkable_items() -> None:
    checkable = {it.id for it in ITEMS if it.answer is not None}
    assert set(VERIFIERS) == checkable


@pytest.mark.parametrize("item_id", sorted(VERIFIERS))
def test_answer_verified(item_id: str) -> None:
    item = BY_ID[item_id]
    assert item.answer is not None
    VERIFIERS[item_id](item)


def test_regex_answers_are_fast_on_long_failures() -> None:
    """A pathological regex would hang the checker on a long answer; these must fail quickly."""
    import time

    junk = ("слово word, " * 800 + "\n") * 3
    for it in ITEMS:
        if it.answer is not None and it.answer.type == "regex":
            t = time.perf_counter()
            re.search(str(it.answer.value), junk, re.IGNORECASE | re.MULTILINE)
            assert time.perf_counter() - t < 0.5, it.id
