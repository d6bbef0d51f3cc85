"""Seed dataset, part A (arithmetic, logic, planning, causal, russian-language): every checkable
answer is re-derived here independently — arithmetic recomputed from the problem statement,
puzzles brute-forced (the solution must be unique), regexes tried on the reference and on
plausible wrong answers through the product's answer checker (`judge.checks`). The table
VERIFIERS must cover exactly the checkable ids of part A."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, timedelta
from fractions import Fraction as F
from itertools import combinations, permutations, product
from math import isclose
from pathlib import Path

import pytest

from judge.checks import get_check, normalize_exact
from judge.dataset import Item, load_items

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "datasets" / "seed.jsonl"
PREFIXES = ("arith-", "logic-", "plan-", "causal-", "ruslang-")
TASKS_PER_CATEGORY = {"arithmetic": 11, "logic": 11, "planning": 10, "causal": 10, "russian-language": 10}


@pytest.fixture(scope="module")
def items() -> dict[str, Item]:
    mine = [it for it in load_items(SEED) if it.id.startswith(PREFIXES)]
    return {it.id: it for it in mine}


# ---------------------------------------------------------------------------------------------
# The answer convention is the product's own `check:answer` (judge.checks), so that the dataset's
# verification and the checker cannot drift apart: each reference must pass its own answer.

_ANSWER_CHECK = get_check("answer")


def passes(item: Item, text: str) -> bool:
    """True when the real `check:answer` accepts `text` as an answer to `item`."""
    rows = _ANSWER_CHECK(item, text)
    return bool(rows) and all(r.passed for r in rows)


# ---------------------------------------------------------------------------------------------
# Verifiers: id -> function(item) that re-derives the answer and asserts it.

VERIFIERS: dict[str, Callable[[Item], None]] = {}


def verifies(*ids: str):
    def deco(fn):
        for i in ids:
            assert i not in VERIFIERS, i
            VERIFIERS[i] = fn
        return fn

    return deco


def assert_number(item: Item, computed: float | F) -> None:
    assert item.answer is not None and item.answer.type == "number"
    assert isclose(float(computed), float(item.answer.value), abs_tol=1e-9), (item.id, float(computed))


def assert_exact(item: Item, computed: str) -> None:
    assert item.answer is not None and item.answer.type == "exact"
    assert normalize_exact(computed) == normalize_exact(str(item.answer.value)), (item.id, computed)


def assert_choice(item: Item, computed: str) -> None:
    assert item.answer is not None and item.answer.type == "choice"
    assert computed == item.answer.value, (item.id, computed)


def assert_regex(item: Item, good: list[str], bad: list[str]) -> None:
    """The regex accepts every right final line (and the reference) and rejects the wrong ones."""
    assert item.answer is not None and item.answer.type == "regex"
    for text in good + [item.reference or ""]:
        assert passes(item, text), (item.id, "should match", text)
    for text in bad:
        assert not passes(item, text), (item.id, "should not match", text)


def options(prompt: str) -> dict[str, str]:
    """Lines `A) …` of a multiple-choice prompt."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^([A-E])\) (.+)$", prompt, re.MULTILINE)}


def lang_of(item: Item) -> str:
    return item.lang


# --- arithmetic -------------------------------------------------------------------------------


@verifies("arith-001-ru", "arith-001-en")
def _arith_001(item: Item) -> None:
    notebook, pen = (F(48), F(35)) if item.lang == "ru" else (F("2.40"), F("1.75"))
    total = (6 * notebook + 4 * pen) * (1 - F(10, 100))
    assert_number(item, total)


@verifies("arith-002-ru", "arith-002-en")
def _arith_002(item: Item) -> None:
    if item.lang == "ru":  # Moscow 23:40 + 4 h 50 min, Novosibirsk = Moscow + 4 h
        land = datetime(2025, 1, 1, 23, 40) + timedelta(hours=4, minutes=50) + timedelta(hours=4)
        hhmm = land.strftime("%H:%M")
        assert hhmm == "08:30"
        good = [f"Ответ: {hhmm}", "**Ответ:** 8:30", "Ответ: 08.30 по местному времени"]
        bad = ["Ответ: 04:30", "Ответ: 00:30", "Ответ: 18:30"]
    else:  # New York 19:30 + 6 h 55 min, London = New York + 5 h
        land = datetime(2025, 1, 1, 19, 30) + timedelta(hours=6, minutes=55) + timedelta(hours=5)
        hhmm = land.strftime("%H:%M")
        assert hhmm == "07:25"
        good = [f"Answer: {hhmm}", "**Answer:** 7:25 a.m.", "Final answer: 07:25"]
        bad = ["Answer: 02:25", "Answer: 21:25", "Answer: 17:25"]
    assert_regex(item, good, bad)


@verifies("arith-003-ru", "arith-003-en")
def _arith_003(item: Item) -> None:
    now = F(3640) if item.lang == "ru" else F("45.50")
    original = now / ((1 + F(30, 100)) * (1 - F(30, 100)))
    assert original.denominator == 1
    assert_number(item, original)


@verifies("arith-004-ru", "arith-004-en")
def _arith_004(item: Item) -> None:
    p1, p2, drain = F(1, 4), F(1, 6), -F(1, 8)
    level, t = F(0), F(0)
    for hours, rate in ((F(1), p1 + p2), (F(1, 2), p1 + p2 + drain)):
        level += hours * rate
        t += hours
    assert 0 < level < 1
    t += (1 - level) / (p2 + drain)
    assert_number(item, t)


@verifies("arith-005-ru", "arith-005-en")
def _arith_005(item: Item) -> None:
    d, up, down, rest_min = F(12), F(10), F(30), F(24)
    avg = 2 * d / (d / up + rest_min / 60 + d / down)
    assert_number(item, avg)


@verifies("arith-006-ru", "arith-006-en")
def _arith_006(item: Item) -> None:
    n = sum(1 for k in range(1, 1001) if (k % 3 == 0 or k % 5 == 0) and k % 15 != 0)
    assert_number(item, n)


@verifies("arith-007-ru", "arith-007-en")
def _arith_007(item: Item) -> None:
    assert date(2025, 1, 1).weekday() == 2  # the premise: a Wednesday
    wd = date(2028, 3, 1).weekday()
    ru = ["понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"]
    en = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    if item.lang == "ru":
        good = [f"Ответ: {ru[wd]}", "Ответ: в среду", "**Ответ:** среда."]
        bad = ["Ответ: вторник", "Ответ: в четверг", "Ответ: не вторник, а среда"]
    else:
        good = [f"Answer: {en[wd]}", "**Answer:** It will be a Wednesday."]
        bad = ["Answer: Tuesday", "Answer: Thursday", "Answer: Tuesday (not Wednesday)"]
    assert wd == 2
    assert_regex(item, good, bad)


@verifies("arith-008-ru", "arith-008-en")
def _arith_008(item: Item) -> None:
    sols = [(3 * d, d) for d in range(1, 100) if 3 * d + 12 == 2 * (d + 12)]
    assert len(sols) == 1
    mother, daughter = sols[0]
    assert_number(item, mother + (mother - daughter))


@verifies("arith-009-ru", "arith-009-en")
def _arith_009(item: Item) -> None:
    unit = F(1) if item.lang == "ru" else F(100)  # kg in Russian, 100 g in English
    salt = F(20, 100) * 3 * unit + F(45, 100) * 2 * unit
    mass = salt / F(40, 100)  # after boiling off water
    salt -= F(40, 100) * unit  # pour off one unit of the 40% solution
    mass -= unit
    salt += F(10, 100) * unit  # add one unit of a 10% solution
    mass += unit
    assert_number(item, salt / mass * 100)


@verifies("arith-010-ru", "arith-010-en")
def _arith_010(item: Item) -> None:
    if item.lang == "ru":
        tiers, fee = (F("5.20"), F("6.80"), F("9.10")), F(120)
        m = re.search(r"заплатила (\d[\d ]*,\d\d) ₽", item.prompt)
    else:
        tiers, fee = (F("0.12"), F("0.15"), F("0.21")), F(12)
        m = re.search(r"comes to \$(\d+\.\d\d)", item.prompt)
    assert m, "the bill is stated in the prompt"
    bill = F(m.group(1).replace(" ", "").replace(",", "."))

    def cost(kwh: int) -> F:
        return fee + tiers[0] * min(kwh, 150) + tiers[1] * max(0, min(kwh, 300) - 150) + tiers[2] * max(0, kwh - 300)

    sols = [k for k in range(0, 3000) if cost(k) == bill]
    assert len(sols) == 1
    assert_number(item, sols[0])


@verifies("arith-011-ru", "arith-011-en")
def _arith_011(item: Item) -> None:
    dist = F(410)

    def slow(t: F) -> F:  # distance from A, t in minutes after 9:00
        return F(80) * t / 60

    def express(t: F) -> F:  # distance from A
        if t <= 90:
            return dist
        run = F(100) * (t - 90) / 60
        if run >= 50:  # the 15-minute stop 50 km/miles out of B
            run = F(50) + max(F(0), F(100) * (t - 90 - 30 - 15) / 60)
        return dist - run

    t = next(F(m) for m in range(0, 24 * 60) if slow(F(m)) >= express(F(m)))
    assert slow(t) == express(t)  # they meet exactly on a whole minute
    assert_number(item, slow(t))


# --- logic ------------------------------------------------------------------------------------


@verifies("logic-001-ru", "logic-001-en")
def _logic_001(item: Item) -> None:
    def statements(k: tuple[bool, ...]) -> list[bool]:
        a, b, c, d = k  # True = knight
        return [sum(not x for x in k) == 2, a != d, not b, c]

    sols = [k for k in product((True, False), repeat=4) if statements(k) == list(k)]
    assert len(sols) == 1
    names = ["Аня", "Борис", "Вера", "Глеб"] if item.lang == "ru" else ["Alice", "Ben", "Chloe", "Dan"]
    knights = [n for n, k in zip(names, sols[0]) if k]
    knaves = [n for n, k in zip(names, sols[0]) if not k]
    key = "Ответ" if item.lang == "ru" else "Answer"
    good = [
        f"{key}: {', '.join(knights)}",
        f"**{key}:** {' и '.join(knights) if item.lang == 'ru' else ' and '.join(knights)}",
    ]
    bad = [f"{key}: {', '.join(knaves)}", f"{key}: {', '.join(knights + knaves[:1])}", f"{key}: {knights[0]}"]
    assert_regex(item, good, bad)


@verifies("logic-002-ru", "logic-002-en")
def _logic_002(item: Item) -> None:
    people = "ABCDE"  # Аня/Amy, Борис/Ben, Вика/Cora, Гоша/Dev, Даша/Ella

    def ok(p: dict[str, int]) -> bool:
        return (
            abs(p["A"] - p["B"]) > 1
            and p["E"] not in (1, 5)
            and p["A"] < p["C"]
            and abs(p["B"] - p["E"]) == 2
            and p["B"] != 5
            and p["E"] > p["D"]
        )

    sols = [perm for perm in permutations(people) if ok({x: i + 1 for i, x in enumerate(perm)})]
    assert len(sols) == 1
    names = dict(
        zip(
            people,
            ["Аня", "Борис", "Вика", "Гоша", "Даша"] if item.lang == "ru" else ["Amy", "Ben", "Cora", "Dev", "Ella"],
        )
    )
    order = [names[x] for x in sols[0]]
    key = "Ответ" if item.lang == "ru" else "Answer"
    swapped = order[:3] + [order[4], order[3]]
    assert_regex(
        item,
        [f"{key}: {', '.join(order)}", f"{key}: " + " — ".join(order)],
        [f"{key}: {', '.join(swapped)}", f"{key}: {', '.join(reversed(order))}"],
    )


@verifies("logic-003-ru", "logic-003-en")
def _logic_003(item: Item) -> None:
    people = "PRTQSU"
    sols = []
    for perm in permutations(range(1, 7)):
        s = dict(zip(people, perm))
        if (
            s["Q"] >= 4
            and s["R"] == s["P"] + 1
            and (s["Q"] != 4 or s["S"] == 5)
            and s["U"] > s["Q"] + 1
            and s["R"] != 3
        ):
            sols.append(s)
    assert len(sols) == 1
    at_noon = next(x for x, slot in sols[0].items() if slot == 3)  # 10:00, 11:00, 12:00 -> slot 3
    names = dict(
        zip(
            people,
            ["Павлов", "Рябова", "Тарасов", "Кузнецова", "Соколов", "Ульянова"]
            if item.lang == "ru"
            else ["Patel", "Reyes", "Turner", "Quinn", "Shaw", "Upton"],
        )
    )
    assert_exact(item, names[at_noon])


@verifies("logic-004-ru", "logic-004-en")
def _logic_004(item: Item) -> None:
    fams, pets = "ABCD", ("cat", "dog", "parrot", "fish")
    sols = []
    for fp in permutations(range(1, 5)):
        f = dict(zip(fams, fp))
        for pp in permutations(range(1, 5)):
            p = dict(zip(pets, pp))
            if (
                p["dog"] == p["cat"] + 1
                and f["A"] in (2, 3)
                and f["B"] < p["parrot"]
                and f["B"] > f["A"]
                and p["fish"] < f["D"]
                and f["C"] != p["cat"]
            ):
                sols.append((f, p))
    assert len(sols) == 1
    f, p = sols[0]
    owner = next(x for x in fams if f[x] == p["fish"])
    if item.lang == "ru":
        names = dict(zip(fams, ["Алексеевы", "Беловы", "Волковы", "Громовы"]))
        good = [f"Ответ: {names[owner]}", "Ответ: у Волковых", "**Ответ:** семья Волковых"]
        bad = [f"Ответ: {names[x]}" for x in fams if x != owner]
    else:
        names = dict(zip(fams, ["Adamses", "Bakers", "Carters", "Dixons"]))
        good = [f"Answer: the {names[owner]}", "Answer: Carters", "**Answer:** The Carter family"]
        bad = [f"Answer: the {names[x]}" for x in fams if x != owner]
    assert_regex(item, good, bad)


@verifies("logic-005-ru", "logic-005-en")
def _logic_005(item: Item) -> None:
    first_liar, second_liar = {0, 2, 4}, {1, 3, 5}  # Mon=0 … Sun=6

    def honest(liar_days: set[int], day: int) -> bool:
        return day % 7 not in liar_days

    sols = []
    for d in range(7):
        said = [
            (first_liar, not honest(first_liar, d - 1)),  # "Yesterday I lied."
            (second_liar, not honest(second_liar, d + 1)),  # "Tomorrow I will lie."
            (second_liar, honest(second_liar, d - 1)),  # "Yesterday I told the truth."
        ]
        if all(value == honest(who, d) for who, value in said):
            sols.append(d)
    assert len(sols) == 1
    days = (
        ["понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"]
        if item.lang == "ru"
        else ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
    assert_exact(item, days[sols[0]])


@verifies("logic-006-ru", "logic-006-en")
def _logic_006(item: Item) -> None:
    names = ["Оля", "Петя", "Рома", "Саша", "Тоня"] if item.lang == "ru" else ["Olivia", "Peter", "Ryan", "Sam", "Tina"]
    o, p, r, s, t = names
    taller = [(o, p), (r, o), (p, s), (t, r)]  # (x, y): x is taller than y
    sols = [perm for perm in permutations(names) if all(perm.index(x) < perm.index(y) for x, y in taller)]
    assert len(sols) == 1
    assert_exact(item, sols[0][2])


@verifies("logic-007-ru", "logic-007-en")
def _logic_007(item: Item) -> None:
    # Every model with up to 3 individuals, each (chess, math, violin) in {0,1}^3.
    can_a_fail = can_a_hold = can_d_fail = False
    for size in range(1, 4):
        for people in product(product((0, 1), repeat=3), repeat=size):
            if not all(m for c, m, v in people if c) or not any(m and v for c, m, v in people):
                continue  # premises: chess ⊆ math, some math member plays violin
            some_chess_violin = any(c and v for c, m, v in people)
            can_a_hold |= some_chess_violin
            can_a_fail |= not some_chess_violin
            can_d_fail |= not all(c for c, m, v in people if v)
    assert can_a_hold and can_a_fail and can_d_fail  # "some", "none" and "every violinist" do not follow
    opts = options(item.prompt)
    undecided = [k for k, v in opts.items() if "нельзя" in v or "does not settle" in v]
    assert len(undecided) == 1
    assert_choice(item, undecided[0])


@verifies("logic-008-ru", "logic-008-en")
def _logic_008(item: Item) -> None:
    sols = []
    for prize in "ABC":  # A gold, B silver, C lead
        a = prize != "B"
        b = prize in ("B", "C")
        c = not a
        if a + b + c == 1:
            sols.append(prize)
    assert len(sols) == 1
    assert_choice(item, sols[0])


@verifies("logic-009-ru", "logic-009-en")
def _logic_009(item: Item) -> None:
    kids = "ABCD"  # Аня/Amy, Боря/Ben, Вика/Cleo, Гриша/Dan
    sols = []
    for g in kids:
        ben_true = g == "D"
        said = [g == "B", ben_true, g != "C", not ben_true]
        if sum(said) == 1:
            sols.append(g)
    assert len(sols) == 1
    names = dict(zip(kids, ["Аня", "Боря", "Вика", "Гриша"] if item.lang == "ru" else ["Amy", "Ben", "Cleo", "Dan"]))
    assert_exact(item, names[sols[0]])


@verifies("logic-010-ru", "logic-010-en")
def _logic_010(item: Item) -> None:
    def feedback(code: str, guess: str) -> tuple[int, int]:
        right = sum(a == b for a, b in zip(code, guess))
        return right, len(set(code) & set(guess)) - right

    clues = [("836", (0, 1)), ("624", (1, 1)), ("925", (0, 0)), ("154", (0, 1)), ("672", (1, 0))]
    codes = ["".join(p) for p in permutations("0123456789", 3)]
    sols = [c for c in codes if all(feedback(c, g) == f for g, f in clues)]
    assert len(sols) == 1
    for g, _ in clues:  # the prompt states these clues
        assert g in item.prompt
    assert_number(item, int(sols[0]))


@verifies("logic-011-ru", "logic-011-en")
def _logic_011(item: Item) -> None:
    teams = "MSZT"  # Метеор/Rovers 5, Сокол/Wanderers 4, Заря/Athletic 4, Титан/United 2
    target = {"M": 5, "S": 4, "Z": 4, "T": 2}
    matches = list(combinations(teams, 2))
    tables = []
    for results in product("HDA", repeat=len(matches)):
        pts = dict.fromkeys(teams, 0)
        for (x, y), r in zip(matches, results):
            if r == "H":
                pts[x] += 3
            elif r == "A":
                pts[y] += 3
            else:
                pts[x] += 1
                pts[y] += 1
        if pts == target:
            tables.append(dict(zip(matches, results)))
    assert len(tables) == 2  # the full table is not determined …
    outcomes = {t[("M", "T")] for t in tables}
    assert outcomes == {"D"}  # … but this match is: a draw
    opts = options(item.prompt)
    letter = next(k for k, v in opts.items() if "ничь" in v.lower() or "draw" in v.lower())
    assert_choice(item, letter)


# --- planning ---------------------------------------------------------------------------------


@verifies("plan-001-ru", "plan-001-en")
def _plan_001(item: Item) -> None:
    jobs = {  # job: (days, prerequisites)
        1: (2, []),
        2: (3, [1]),
        3: (4, [1]),
        4: (5, [2]),
        5: (2, [3]),
        6: (6, [5]),
        7: (4, [3, 4]),
        8: (3, [4]),
        9: (2, [6, 8]),
        10: (1, [7, 9]),
    }
    finish: dict[int, int] = {}
    for j in sorted(jobs):  # numbered in a topological order
        days, pre = jobs[j]
        finish[j] = max((finish[p] for p in pre), default=0) + days
    assert sum(d for d, _ in jobs.values()) == 32  # the trap mentioned in the reference
    assert_number(item, max(finish.values()))


@verifies("plan-002-ru", "plan-002-en")
def _plan_002(item: Item) -> None:
    tasks = {"A": (2, ""), "B": (4, "A"), "C": (3, "A"), "D": (5, ""), "E": (3, "BCD"), "F": (2, "E"), "G": (2, "BC")}
    best = None
    # Serial schedule generation over every precedence-feasible order: each task starts as early
    # as its predecessors and the earliest-free of the two workers allow (with idle time allowed).
    # Active schedules, which include an optimal one, are all generated this way.
    for order in permutations(tasks):
        pos = {t: i for i, t in enumerate(order)}
        if any(pos[p] > pos[t] for t, (_, pre) in tasks.items() for p in pre):
            continue
        workers = [0, 0]
        end: dict[str, int] = {}
        for t in order:
            dur, pre = tasks[t]
            ready = max((end[p] for p in pre), default=0)
            w = min(range(2), key=lambda i: max(workers[i], ready))
            start = max(workers[w], ready)
            end[t] = start + dur
            workers[w] = end[t]
        span = max(end.values())
        best = span if best is None else min(best, span)
    assert best is not None
    total = sum(d for d, _ in tasks.values())
    assert F(total, 2) < best and best > 11  # the lower bounds in the reference are not tight
    assert_number(item, best)


@verifies("plan-003-ru", "plan-003-en")
def _plan_003(item: Item) -> None:
    fare, pass_price = (F(62), F(2900)) if item.lang == "ru" else (F("3.10"), F(145))

    def card(n: int) -> F:
        return fare * min(n, 20) + fare * F(9, 10) * max(0, n - 20)

    n = next(k for k in range(1, 1000) if pass_price < card(k))
    assert n != next(k for k in range(1, 1000) if pass_price < fare * k)  # the trap differs
    assert_number(item, n)


@verifies("plan-005-ru", "plan-005-en")
def _plan_005(item: Item) -> None:
    assert item.answer is not None
    if item.lang == "ru":
        estimates = [40075 / 5 / 24, 40000 / 5 / 24]
    else:
        estimates = [24901 / 3 / 24, 25000 / 3 / 24]
    assert_number(item, round(estimates[0]))
    for e in estimates:  # both usual equator figures are accepted
        assert abs(e - float(item.answer.value)) <= item.answer.tolerance


@verifies("plan-006-ru", "plan-006-en")
def _plan_006(item: Item) -> None:
    assert item.answer is not None

    def beats(bpm: int, years: int) -> float:
        return bpm * 60 * 24 * 365.25 * years / 1e9

    assert round(beats(70, 75), 1) == item.answer.value
    for bpm, years in ((60, 70), (80, 80), (70, 75)):  # reasonable assumptions pass …
        assert abs(beats(bpm, years) - float(item.answer.value)) <= item.answer.tolerance
    assert abs(beats(70, 75) * 10 - float(item.answer.value)) > item.answer.tolerance  # … a slip of 10× fails


@verifies("plan-007-ru", "plan-007-en")
def _plan_007(item: Item) -> None:
    S, B, C, D = (
        "start",
        "mid",
        "junction",
        "dest",
    )  # Берёзовка/Ashford, Сосновка/Brookfield, Ключи/Clayton, Озёрск/Dunmore
    legs = [  # (mode, from, dep, to, arr, weekdays_only)
        ("bus", S, "07:10", B, "08:05", False),
        ("train", S, "07:40", C, "09:20", False),
        ("train", S, "08:00", D, "11:00", False),
        ("bus", B, "08:15", D, "10:40", False),
        ("train", B, "08:20", C, "09:05", False),
        ("train", B, "08:35", D, "10:30", True),
        ("bus", C, "09:15", D, "10:25", False),
        ("bus", C, "09:30", D, "10:50", False),
    ]

    def mins(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 60 + int(m)

    saturday = True

    def min_change(place: str, arrived_by: str, leaving_by: str) -> int:
        if place == C and arrived_by == "train" and leaving_by == "bus":
            return 25
        return 10

    best = None
    # Depth-first over journeys: (place, time, mode we arrived by)
    stack = [(S, mins("07:00"), None)]
    while stack:
        place, t, mode = stack.pop()
        if place == D:
            best = t if best is None else min(best, t)
            continue
        for m, frm, dep, to, arr, weekdays in legs:
            if frm != place or (weekdays and saturday):
                continue
            need = 0 if mode is None else min_change(place, mode, m)
            if mins(dep) >= t + need:
                stack.append((to, mins(arr), m))
    assert best is not None
    hhmm = f"{best // 60:02d}:{best % 60:02d}"
    key = "Ответ" if item.lang == "ru" else "Answer"
    assert_regex(
        item,
        [f"{key}: {hhmm}", f"**{key}:** {hhmm}"],
        [f"{key}: 10:25", f"{key}: 10:30", f"{key}: 10:50", f"{key}: 11:00"],
    )


@verifies("plan-008-ru", "plan-008-en")
def _plan_008(item: Item) -> None:
    medium, large, combo = (590, 790, 1790) if item.lang == "ru" else (13, 18, 42)
    need = 23 * 3
    best = min(
        k * combo + m * medium + n * large
        for k in range(0, 6)
        for m in range(0, 12)
        for n in range(0, 12)
        if k * (2 * 12 + 8) + m * 8 + n * 12 >= need
    )
    assert best < 6 * large  # all-large (the trap) is not optimal
    assert_number(item, best)


@verifies("plan-010-ru", "plan-010-en")
def _plan_010(item: Item) -> None:
    a, b, goal = 7, 11, 6
    dist = {(0, 0): 0}
    queue = deque([(0, 0)])
    found = None
    while queue:
        x, y = queue.popleft()
        if goal in (x, y):
            found = dist[(x, y)]
            break
        p, q = min(x, b - y), min(y, a - x)
        for nxt in ((a, y), (x, b), (0, y), (x, 0), (x - p, y + p), (x + q, y - q)):
            if nxt not in dist:
                dist[nxt] = dist[(x, y)] + 1
                queue.append(nxt)
    assert found is not None
    assert_number(item, found)


# --- causal -----------------------------------------------------------------------------------


@verifies("causal-003-ru", "causal-003-en")
def _causal_003(item: Item) -> None:
    big = {"mild": (87, 90), "severe": (147, 210)}  # Областная / County
    small = {"mild": (228, 240), "severe": (39, 60)}  # Городская / Community

    def rate(s: tuple[int, int]) -> F:
        return F(s[0], s[1])

    def overall(h: dict[str, tuple[int, int]]) -> F:
        return F(sum(s for s, _ in h.values()), sum(n for _, n in h.values()))

    assert all(rate(big[g]) > rate(small[g]) for g in big)  # better in every stratum
    assert overall(big) < overall(small)  # worse overall: Simpson's paradox
    for g in big:  # the numbers are those of the prompt
        assert str(big[g][1]) in item.prompt and str(small[g][0]) in item.prompt
    opts = options(item.prompt)
    letter = next(k for k, v in opts.items() if v.startswith(("Областную", "County")))
    assert_choice(item, letter)


# --- russian-language -------------------------------------------------------------------------


@verifies("ruslang-002")
def _ruslang_002(item: Item) -> None:
    key = ["ни", "ни", "не", "ни", "не"]  # куда бы ни; ни один; не могу не; сколько ни; кто не мечтал!
    opts = {k: [w.strip() for w in v.split(",")] for k, v in options(item.prompt).items()}
    matching = [k for k, v in opts.items() if v == key]
    assert len(matching) == 1
    assert_choice(item, matching[0])


def _numbered(prompt: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2).strip() for m in re.finditer(r"^(\d)\. (.+)$", prompt, re.MULTILINE)}


def _errors_by_key(item: Item, correct: dict[int, str]) -> list[int]:
    given = _numbered(item.prompt)
    assert set(given) == set(correct)
    return sorted(n for n in given if given[n] != correct[n])


@verifies("ruslang-003")
def _ruslang_003(item: Item) -> None:
    correct = {
        1: "Ему не нравится просыпаться рано.",
        2: "Мы договорились встретиться у метро.",
        3: "Поезд отправляется в семь.",
        4: "Тебе нужно научиться терпению.",
        5: "Кажется, дождь скоро закончится.",
        6: "Ребёнок учится кататься на коньках.",
    }
    wrong = _errors_by_key(item, correct)
    assert wrong == [2, 4, 5]
    good = ["Ответ: " + ", ".join(map(str, wrong)), "**Ответ:** предложения 2, 4 и 5"]
    bad = ["Ответ: 2, 4", "Ответ: 2, 4, 5, 6", "Ответ: 1, 3, 6", "Ответ: 2, 5"]
    assert_regex(item, good, bad)


@verifies("ruslang-005")
def _ruslang_005(item: Item) -> None:
    norm_stress = {"звонИт", "тОрты", "каталОг", "красИвее", "щавЕль"}
    wrong = [k for k, v in options(item.prompt).items() if v not in norm_stress]
    assert len(wrong) == 1
    assert_choice(item, wrong[0])


@verifies("ruslang-006")
def _ruslang_006(item: Item) -> None:
    prompt_sentence = re.search(r"«(К счастью[^»]+)»", item.prompt)
    fixed = re.search(r"«(К счастью[^»]+)»", item.reference or "")
    assert prompt_sentence and fixed
    assert "," not in prompt_sentence.group(1)
    assert fixed.group(1).replace(",", "") == prompt_sentence.group(1)  # same words, only commas added
    assert_number(item, fixed.group(1).count(","))


@verifies("ruslang-008")
def _ruslang_008(item: Item) -> None:
    correct_sentence = "По окончании конференции участникам вручили сертификаты."
    matching = [k for k, v in options(item.prompt).items() if v == correct_sentence]
    assert len(matching) == 1
    assert_choice(item, matching[0])


@verifies("ruslang-009")
def _ruslang_009(item: Item) -> None:
    good = [
        "Ответ: трёмстам сорока восьми; тысячей пятьюстами сорока семью; девяноста",
        "Ответ: тремстам сорока восьми; тысячью пятьюстами сорока семью; девяноста",
        "**Ответ:** трёмстам сорока восьми, (с) тысячей пятьюстами сорока семью, (о) девяноста",
    ]
    bad = [
        "Ответ: тремстам сорок восемь; тысячей пятьюстами сорока семью; девяноста",
        "Ответ: трёмстам сорока восьми; тысячей пятистами сорока семи; девяноста",
        "Ответ: трёмстам сорока восьми; тысячей пятьюстами сорока семью; девяносто",
    ]
    assert_regex(item, good, bad)


@verifies("ruslang-010")
def _ruslang_010(item: Item) -> None:
    correct = {
        1: "Он надел куртку и вышел на улицу.",
        2: "Мама одела ребёнка потеплее.",
        3: "Компания предоставила клиентам скидку.",
        4: "Докладчик представил свой проект на суд коллег.",
        5: "Певица совершила эффектный выход на сцену в сверкающем платье.",
        6: "Новая методика оказалась весьма эффективной.",
    }
    wrong = _errors_by_key(item, correct)
    assert wrong == [1, 4, 5]
    good = ["Ответ: " + ", ".join(map(str, wrong)), "Ответ: 1, 4 и 5."]
    bad = ["Ответ: 1, 4", "Ответ: 1, 2, 4, 5", "Ответ: 4, 5", "Ответ: 2, 3, 6"]
    assert_regex(item, good, bad)


# ---------------------------------------------------------------------------------------------
# The tests


def test_verifiers_cover_exactly_the_checkable_items(items: dict[str, Item]) -> None:
    checkable = {i for i, it in items.items() if it.answer is not None}
    assert set(VERIFIERS) == checkable


@pytest.mark.parametrize("item_id", sorted(VERIFIERS))
def test_answer_is_verified(items: dict[str, Item], item_id: str) -> None:
    VERIFIERS[item_id](items[item_id])


@pytest.mark.parametrize("item_id", sorted(VERIFIERS))
def test_reference_passes_its_own_answer(items: dict[str, Item], item_id: str) -> None:
    it = items[item_id]
    assert it.reference and passes(it, it.reference)


def test_task_counts_and_pairs(items: dict[str, Item]) -> None:
    tasks: dict[str, set[str]] = {}
    for it in items.values():
        tasks.setdefault(it.category, set()).add(it.pair or it.id)
    assert {c: len(v) for c, v in tasks.items()} == TASKS_PER_CATEGORY
    for it in items.values():
        if it.category == "russian-language":
            assert it.pair is None and it.lang == "ru" and it.id.startswith("ruslang-")
        else:
            assert it.pair and it.id == f"{it.pair}-{it.lang}"
            other = items[f"{it.pair}-{'en' if it.lang == 'ru' else 'ru'}"]
            assert other.category == it.category and other.difficulty == it.difficulty
            assert (other.answer is None) == (it.answer is None)
            if it.answer and other.answer and it.answer.model_dump() != other.answer.model_dump():
                assert it.id in VERIFIERS and other.id in VERIFIERS  # adapted, each verified


def test_difficulty_mix_and_references(items: dict[str, Item]) -> None:
    diffs = [it.difficulty for it in items.values()]
    assert None not in diffs
    assert diffs.count("hard") * 3 >= len(diffs)
    assert diffs.count("easy") > 0 and diffs.count("medium") > 0
    for it in items.values():
        assert it.reference and len(it.reference) > 40, it.id
        assert it.tags, it.id


def test_prompts_ask_for_the_final_line(items: dict[str, Item]) -> None:
    for it in items.values():
        if it.answer and it.answer.type in ("number", "exact", "choice"):
            key = "«Ответ:" if it.lang == "ru" else '"Answer:'
            assert key in it.prompt, it.id
        if it.answer and it.answer.type == "choice":
            labels = set(re.findall(r"^([A-E])[) ]", it.prompt, re.MULTILINE))
            assert labels >= {"A", "B", "C"} and it.answer.value in labels, it.id


def test_typography(items: dict[str, Item]) -> None:
    cyr = re.compile(r"[А-Яа-яЁё]")
    for it in items.values():
        text = it.prompt + "\n" + (it.reference or "")
        if it.lang == "en":
            assert not cyr.search(text), it.id
            continue
        assert '"' not in text, it.id  # «ёлочки», not straight quotes
        assert " - " not in text, it.id  # an em dash with spaces, not a hyphen
        assert not re.search(r"(?<![\d.])\d+\.\d+(?![\d.])", text), it.id  # decimal comma
        for word in ("еще", "ее", "ребенок", "ребенка", "трем", "вдвое старше ее"):
            assert not re.search(rf"(?<!\w){word}(?!\w)", text), (it.id, word)  # ё where it belongs
