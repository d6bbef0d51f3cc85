"""Verify every machine-checkable item of seed part B (code, reading, instruction, writing).

Code items are run; bug-finding items are checked by running the buggy and the fixed code;
instruction constraints and regexes must accept a compliant answer and reject non-compliant ones
(each on the right row); reading answers must be supported by the passage. Answers go through the
product's own checks (`check:answer`, `check:constraints`; judge.checks), so the references' final
lines are checked exactly as a model's answer would be.
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
    # `hard` means four or more dependent steps (or a trap plus steps); open writing tasks are not hard.
    hard = {it.pair for it in ITEMS if it.difficulty == "hard"}
    assert len(hard) * 4 >= sum(OURS.values())
    assert not any(it.difficulty == "hard" for it in ITEMS if it.category == "writing")
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


def _verify_chunks(item: Item) -> None:
    """Exactly one option's call disagrees with the spec (chunks of n, the last one may be shorter)."""
    ns = exec_ns(code_of(item))
    buggy = ns["chunks"]

    def spec(items: list[int], n: int) -> list[list[int]]:
        out: list[list[int]] = []
        for x in items:
            if not out or len(out[-1]) == n:
                out.append([])
            out[-1].append(x)
        return out

    opts = _options(item)
    assert sorted(opts) == ["A", "B", "C", "D", "E"]
    wrong = set()
    for letter, text in opts.items():
        call = text.strip("`")
        if eval(call, {"chunks": buggy}) != eval(call, {"chunks": spec}):
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
    "code-004": _verify_chunks,
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


# The option the worked solution argues for (the options were reordered to spread the letters,
# so the answer letter must still point at this text).
READING_KEY: dict[str, tuple[str, str]] = {
    "read-001": ("Родственник из Саратова; на улице идёт дождь", "A relative from Aberdeen; it is raining"),
    "read-002": ("ни диском, ни корпоративной почтой", "neither the shared drive nor company email"),
    "read-003": ("Между двумя и шестью", "Between 2am and 6am"),
    "read-004": ("Виляющий, с прямым отрезком, направленным вверх", "straight run pointing up"),
    "read-006": ("В целом отрицательное", "Largely negative"),
    "read-007": ("заголовок газеты преувеличивает", "headline overstates"),
    "read-008": ("Игорь полил", "Ian watered"),
    "read-009": ("Осенью", "Autumn"),
    "read-010": ("рукопись", "manuscript"),
}


def _verify_reading(item: Item) -> None:
    for phrase in READING_EVIDENCE[item.id]:
        assert phrase in item.prompt, f"{item.id}: evidence {phrase!r} missing from the passage"
    if item.answer.type == "choice":  # type: ignore[union-attr]
        opts = _options(item)
        assert sorted(opts) == ["A", "B", "C", "D"], item.id
        key = READING_KEY[item.pair or ""][0 if item.lang == "ru" else 1]
        assert [k for k, v in opts.items() if key in v] == [item.answer.value], item.id  # type: ignore[union-attr]


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


# ---------------------------------------------------------------- instruction: constraints and regexes

_EXAMPLE = re.compile(r"^(?:Пример ответа|Example answer):\n", re.MULTILINE)
_CONSTRAINTS_CHECK = get_check("constraints")


def example_of(item: Item) -> str:
    parts = _EXAMPLE.split(item.reference or "")
    assert len(parts) == 2, f"{item.id}: reference needs one 'Пример ответа:'/'Example answer:' section"
    return parts[1].strip("\n")


def verdicts(item: Item, text: str) -> dict[str, bool | None]:
    """Every row the product's checks give an instruction answer: `regex` (the structural regex of
    `check:answer`) and one per constraint of `check:constraints` (`words`, `banned`, ...)."""
    rows = (_ANSWER_CHECK(item, text) if item.answer else []) + _CONSTRAINTS_CHECK(item, text)
    return {"regex" if r.criterion == "correct" else r.criterion: r.passed for r in rows}


def _sub(old: str, new: str) -> Callable[[str], str]:
    def f(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return f


def _const(text: str) -> Callable[[str], str]:
    return lambda _ex: text


# Each entry turns the compliant example into an answer that breaks exactly one constraint, and
# names the row that must fail.
NONCOMPLIANT: dict[str, list[tuple[str, Callable[[str], str]]]] = {
    "instr-001-ru": [
        ("regex", lambda ex: ex + "\n- Возьмите фонарик."),
        ("regex", lambda ex: "Вот мои советы:\n" + ex),
        ("regex", lambda ex: "\n".join(ex.splitlines()[:2])),
        ("regex", lambda ex: ex + "\n\nУдачного похода!"),
    ],
    "instr-001-en": [
        ("regex", lambda ex: ex + "\n- Bring a torch."),
        ("regex", lambda ex: "Here are my tips:\n" + ex),
        ("regex", lambda ex: "\n".join(ex.splitlines()[:2])),
        ("regex", lambda ex: ex + "\n\nHave a great trip!"),
    ],
    "instr-002-ru": [
        ("banned", _const("Инфляция — это рост цен, из-за которого деньги дешевеют.")),
        ("banned", _const("Инфляция — это рост цен: за год на ту же сумму денег можно купить меньше.")),
        ("banned", _const("Инфляция — это рост цен и обесценивание денежных сбережений.")),
        ("required", _const("Инфляция — это когда на ту же зарплату со временем можно купить меньше товаров.")),
        ("words", lambda ex: ex + " " + ex),
    ],
    "instr-002-en": [
        ("banned", _const("Inflation is a rise in prices that makes money worth less.")),
        ("banned", _const("Inflation is a rise in prices that leaves moneyed savers poorer.")),
        ("required", _const("Inflation means your pay buys fewer things over time.")),
        ("words", lambda ex: ex + " " + ex),
    ],
    "instr-003-ru": [
        ("regex", lambda ex: "У" + ex[1:]),
        ("regex", _sub("москве", "Москве")),
        ("starts_with", lambda ex: "в большом городе " + ex),
        ("starts_with", _sub("утро в москве", "утром в москве")),
        ("sentences", lambda ex: ex + " потом всё стихает. и снова шумит."),
        ("sentences", lambda ex: ex.split(". ")[0] + "."),
    ],
    "instr-003-en": [
        ("regex", _sub(" i watch", " I watch")),
        ("regex", lambda ex: "M" + ex[1:]),
        ("starts_with", lambda ex: "in the " + ex),
        ("starts_with", _sub("morning in london", "mornings in london")),
        ("sentences", lambda ex: ex + " then it rains. then it stops."),
        ("sentences", lambda ex: ex.split(". ")[0] + "."),
    ],
    "instr-004-ru": [
        ("regex", lambda ex: "```json\n" + ex + "\n```"),
        ("regex", lambda ex: "Вот рецепт:\n" + ex),
        ("regex", _sub('"minutes": 10', '"minutes": "10"')),
        ("regex", _sub('"яйца", ', "")),
        ("regex", _sub("Омлет с помидорами", "Omelette")),
    ],
    "instr-004-en": [
        ("regex", lambda ex: "```json\n" + ex + "\n```"),
        ("regex", lambda ex: ex + "\nEnjoy your breakfast!"),
        ("regex", _sub('"minutes": 10', '"minutes": "ten"')),
        ("regex", _sub('"eggs", "bread", "butter"', '"eggs", "bread", "butter", "salt"')),
    ],
    "instr-005-ru": [
        ("paragraphs", lambda ex: ex.replace("\n\n", "\n")),
        ("paragraphs", lambda ex: ex + "\n\nСпасибо всем неравнодушным."),
        ("required", _sub("вознаграждение", "награда")),
        ("required", _sub("рыжий", "полосатый")),
        ("regex", _sub("колокольчиком.", "колокольчиком!")),
    ],
    "instr-005-en": [
        ("paragraphs", lambda ex: ex.replace("\n\n", " ")),
        ("paragraphs", lambda ex: "LOST CAT\n\n" + ex),
        ("required", _sub("reward", "thank-you gift")),
        ("required", _sub("blue collar", "blue harness")),
        ("regex", _sub("for anyone who finds him.", "for anyone who finds him!")),
    ],
    "instr-006-ru": [
        ("regex", lambda ex: "\n".join(ex.splitlines()[1:])),
        ("regex", lambda ex: "Весна\n" + ex),
        ("regex", lambda ex: ex + "\nИ всё вокруг поёт и звенит."),
        ("regex", _sub("Синеет небо", "И синее небо")),
        ("banned", _sub("На ветках почки", "На ветках весенние почки")),
        ("banned", _sub("Синеет небо над сторонкой", "Синеет небо весной над сторонкой")),
    ],
    "instr-006-en": [
        ("regex", lambda ex: "\n".join(ex.splitlines()[:-1])),
        ("regex", lambda ex: "Spring\n" + ex),
        ("regex", _sub("Robins shout", "The robins shout")),
        ("banned", _sub("New green leaves", "New spring leaves")),
        ("banned", _sub("Puddles shine", "Puddles and springs shine")),
    ],
    "instr-007-ru": [
        (
            "ends_with",
            _sub("Возьмёте её с собой на тренировку или в офис?", "Берите её с собой на тренировку и в офис."),
        ),
        ("banned", _sub("Бутылка из", "Идеальная бутылка из")),
        ("banned", _sub("заменяет сотни", "лучше всего заменяет сотни")),
        ("banned", _sub("Одна такая бутылка", "Одна лучшая бутылка")),
        ("words", lambda ex: " ".join(ex.split()[:30]) + "?"),
        ("words", lambda ex: ex.replace("?", ".") + " " + ex),
    ],
    "instr-007-en": [
        ("ends_with", _sub("Where will you take yours first?", "Take it everywhere.")),
        ("banned", _sub("this 750 ml bottle", "this perfect 750 ml bottle")),
        ("banned", _sub("easy to clean", "the best to clean")),
        ("banned", _sub("seals tightly", "seals perfectly")),
        ("words", lambda ex: " ".join(ex.split()[:30]) + "?"),
        ("words", lambda ex: ex.replace("?", ".") + " " + ex),
    ],
    "instr-008-ru": [
        ("banned", _sub("Солнечные лучи только", "Солнечный свет и лучи только")),
        ("banned", _sub("сквозь воздух", "сквозь залитый светом воздух")),
        ("banned", _sub("Эти лучи долетают", "На рассвете эти лучи долетают")),
        ("regex", _sub("Поэтому, когда они", "Когда они")),
        ("sentences", lambda ex: ex + " Вот и всё."),
        ("sentences", lambda ex: ex.rsplit(" Эти лучи", 1)[0]),
    ],
    "instr-008-en": [
        ("banned", _sub("Sunshine looks white", "Sunlight looks white")),
        ("banned", _sub("bounce the blue part", "bounce the blue lights")),
        ("banned", _sub("Sunshine looks white", "Sun-light looks white")),
        ("regex", _sub("So when it passes", "When it passes")),
        ("sentences", lambda ex: ex + " Cool, right?"),
        ("sentences", lambda ex: ex.rsplit(" That scattered", 1)[0]),
    ],
    "instr-009-ru": [
        ("ends_with", lambda ex: ex + "\nИван"),
        ("starts_with", lambda ex: "Добрый день! " + ex),
        ("banned", _sub("В четверг в 15:00 у меня", "К сожалению, в четверг в 15:00 у меня")),
        ("ends_with", _sub("Хорошего дня!", "Хорошего вечера!")),
        (
            "words",
            _sub(
                "Подстроюсь под ваш вариант.",
                "Подстроюсь под ваш вариант. " + "Очень жду встречи и уверен, что мы обсудим все вопросы. " * 3,
            ),
        ),
    ],
    "instr-009-en": [
        ("ends_with", lambda ex: ex + "\nBest, Sam"),
        ("starts_with", lambda ex: "Hi! " + ex),
        ("banned", _sub("I've already got", "Unfortunately, I've already got")),
        ("ends_with", _sub("Have a good day!", "Have a good evening!")),
        (
            "words",
            _sub(
                "Happy to fit around you.",
                "Happy to fit around you. " + "Looking forward to catching up on everything then. " * 4,
            ),
        ),
    ],
    "instr-010-ru": [
        ("regex", lambda ex: ex + "\n\nУдачного выступления!"),
        ("regex", lambda ex: "План выступления:\n" + ex),
        ("regex", _sub("- Аудиокниги в дороге до школы", "")),
        ("regex", lambda ex: ex + "\n## Итог\n- Читайте\n- Обсуждайте"),
        ("regex", lambda ex: ex.replace("# Зачем", "## Зачем", 1)),
    ],
    "instr-010-en": [
        ("regex", lambda ex: ex + "\n\nThanks for listening!"),
        ("regex", _sub("- Audiobooks on the bus to school", "")),
        ("regex", lambda ex: ex.replace("- Start with", "- Ask a librarian\n- Start with", 1)),
    ],
}

# Answers that still comply: the counts and matches must not trip on them (inflected required
# words, words that merely contain a banned one, abbreviations and initials inside a sentence).
STILL_COMPLIANT: dict[str, list[Callable[[str], str]]] = {
    "instr-002-ru": [_sub("через год", "через триста шестьдесят пять дней")],  # «дней» is not «деньги»
    "instr-002-en": [_sub("savings slowly", "monetary savings slowly")],  # not "money*"
    "instr-003-ru": [_sub("люди с наушниками", "люди, т. е. пассажиры с наушниками,")],
    "instr-003-en": [_sub("commuters with headphones", "commuters, e.g. students with headphones,")],
    "instr-005-ru": [_sub("крупный, рыжий,", "крупный, рыжего окраса,")],
    "instr-005-en": [_sub("There is a reward for", "Rewards await")],
    "instr-007-ru": [_sub("вмещает 750 мл", "вмещает 0,75 л, т. е. 750 мл,")],
    "instr-007-en": [_sub("this 750 ml bottle", "this 0.75 l (i.e. 750 ml) bottle")],
    "instr-008-ru": [
        _sub("на самом деле", "на самом деле, т. е. по правде, как объяснил лорд Д. Рэлей,"),
        _sub("Солнечные лучи", "Солнечные (а также звёздные) лучи"),
    ],
    "instr-008-en": [
        _sub("much more than the red part", "much more than the red part, which they only nudge slightly"),
        _sub("mixed together", "mixed together, as Dr. J. W. Strutt showed in 1871"),
    ],
    "instr-009-ru": [_sub("Спасибо за приглашение!", "Спасибо за приглашение, т. е. за внимание!")],
    "instr-009-en": [_sub("Thanks for the invite!", "Thanks for the invite, Mr. Smith!")],
}


def _verify_instruction(item: Item) -> None:
    ex = example_of(item)
    ok = verdicts(item, ex)
    assert ok and all(v is True for v in ok.values()), f"{item.id}: the compliant example fails: {ok}"
    if item.pair == "instr-004":
        json.loads(ex)
    for i, variant in enumerate(STILL_COMPLIANT.get(item.id, [])):
        text = variant(ex)
        got = verdicts(item, text)
        assert all(v is True for v in got.values()), f"{item.id}: compliant variant #{i} fails {got}:\n{text}"
    for i, (criterion, breaker) in enumerate(NONCOMPLIANT[item.id]):
        bad = breaker(ex)
        assert bad != ex
        got = verdicts(item, bad)
        assert got.get(criterion) is False, (
            f"{item.id}: non-compliant answer #{i} not failed by {criterion}: {got}\n{bad}"
        )


def test_instruction_pairs_are_symmetric() -> None:
    """The Russian and English versions of an instruction item are checked by the same kinds of rows."""
    for it in ITEMS:
        if it.category != "instruction" or it.lang != "ru":
            continue
        en = BY_ID[f"{it.pair}-en"]
        assert verdicts(it, example_of(it)).keys() == verdicts(en, example_of(en)).keys(), it.pair
        assert it.constraints == en.constraints or (
            it.constraints is not None
            and en.constraints is not None
            and it.constraints.model_dump(exclude_defaults=True).keys()
            == en.constraints.model_dump(exclude_defaults=True).keys()
        ), it.pair


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
    checkable = {it.id for it in ITEMS if it.answer is not None or it.constraints is not None}
    assert set(VERIFIERS) == checkable


@pytest.mark.parametrize("item_id", sorted(VERIFIERS))
def test_answer_verified(item_id: str) -> None:
    item = BY_ID[item_id]
    assert item.answer is not None or item.constraints is not None
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
