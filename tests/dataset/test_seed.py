"""The bundled datasets as a whole: valid, big enough, and every checkable item has a verifier."""

from __future__ import annotations

import json
from collections import Counter

from judge.dataset import CATEGORIES, Item, dataset_stats, load_items
from tests.helpers import ROOT

# Each prefix's items are verified in its own module (recomputed arithmetic, brute-forced puzzles,
# executed code, regexes tried against compliant and non-compliant answers).
VERIFIED_BY = {
    "arith-": "test_seed_part_a",
    "logic-": "test_seed_part_a",
    "plan-": "test_seed_part_a",
    "causal-": "test_seed_part_a",
    "ruslang-": "test_seed_part_a",
    "code-": "test_seed_part_b",
    "read-": "test_seed_part_b",
    "instr-": "test_seed_part_b",
    "write-": "test_seed_part_b",
    "transl-": "test_seed_part_c",
    "summ-": "test_seed_part_c",
    "offic-": "test_seed_part_c",
    "idiom-": "test_seed_part_c",
    "gram-": "test_seed_part_d",
    "ruknow-": "test_seed_part_d",
    "codecyr-": "test_seed_part_d",
}


def _seed() -> list[Item]:
    return load_items(ROOT / "datasets" / "seed.jsonl")


def _tasks(items: list[Item]) -> dict[str, list[Item]]:
    """Items by task: a pair counts once, an unpaired item counts once."""
    out: dict[str, list[Item]] = {}
    for it in items:
        out.setdefault(it.pair or it.id, []).append(it)
    return out


def test_seed_meets_the_bar() -> None:
    items = _seed()
    st = dataset_stats(items)
    assert st["pairs"] >= 130
    russian_only = [it for it in items if it.lang == "ru" and not it.pair]
    assert len(russian_only) >= 20
    assert {"easy", "medium", "hard"} <= set(st["by_difficulty"])


def test_every_category_has_enough_tasks() -> None:
    tasks = dataset_stats(_seed())["tasks_by_category"]
    short = {c: tasks.get(c, 0) for c in CATEGORIES if tasks.get(c, 0) < 8}
    assert not short, f"categories with fewer than 8 tasks: {short}"


def test_choice_answers_are_spread_over_the_letters() -> None:
    """A model that always answers B must not score: no letter holds more than 30 % of the choice tasks."""
    letters: dict[str, str] = {}
    for task, members in _tasks(_seed()).items():
        values = {it.answer.value for it in members if it.answer and it.answer.type == "choice"}
        if values:
            assert len(values) == 1, f"{task}: the RU and EN versions name different letters {values}"
            letters[task] = str(values.pop())
    counts = Counter(letters.values())
    assert counts["E"] > 0, "no choice task has E as its answer"
    for letter, n in counts.items():
        assert n * 10 <= len(letters) * 3, f"{letter} is the answer of {n} of {len(letters)} choice tasks"


def test_enough_hard_tasks() -> None:
    """`hard` means four or more dependent steps (or a real trap plus steps); a pair counts once."""
    tasks = _tasks(_seed())
    hard = [t for t, members in tasks.items() if all(it.difficulty == "hard" for it in members)]
    assert len(hard) >= 40, f"{len(hard)} hard tasks"
    for t, members in tasks.items():
        assert len({it.difficulty for it in members}) == 1, f"{t}: RU and EN differ in difficulty"


def test_every_item_belongs_to_a_verifying_module() -> None:
    for it in load_items(ROOT / "datasets" / "seed.jsonl"):
        assert any(it.id.startswith(p) for p in VERIFIED_BY), f"{it.id}: no verifier module covers this prefix"


def test_demo_is_a_paired_subset_of_seed() -> None:
    seed = {json.dumps(i.model_dump(), sort_keys=True) for i in load_items(ROOT / "datasets" / "seed.jsonl")}
    demo = load_items(ROOT / "datasets" / "demo.jsonl")
    assert 10 <= len(demo) <= 16
    assert all(json.dumps(i.model_dump(), sort_keys=True) in seed for i in demo)
    assert dataset_stats(demo)["unpaired"] == 0
