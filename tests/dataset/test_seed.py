"""The bundled datasets as a whole: valid, big enough, and every checkable item has a verifier."""

from __future__ import annotations

import json

from judge.dataset import dataset_stats, load_items
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
}


def test_seed_meets_the_bar() -> None:
    st = dataset_stats(load_items(ROOT / "datasets" / "seed.jsonl"))
    assert st["pairs"] >= 80
    big = [c for c, n in st["tasks_by_category"].items() if n >= 8]
    assert len(big) >= 8
    assert {"easy", "medium", "hard"} <= set(st["by_difficulty"])


def test_every_item_belongs_to_a_verifying_module() -> None:
    for it in load_items(ROOT / "datasets" / "seed.jsonl"):
        assert any(it.id.startswith(p) for p in VERIFIED_BY), f"{it.id}: no verifier module covers this prefix"


def test_demo_is_a_paired_subset_of_seed() -> None:
    seed = {json.dumps(i.model_dump(), sort_keys=True) for i in load_items(ROOT / "datasets" / "seed.jsonl")}
    demo = load_items(ROOT / "datasets" / "demo.jsonl")
    assert 10 <= len(demo) <= 16
    assert all(json.dumps(i.model_dump(), sort_keys=True) in seed for i in demo)
    assert dataset_stats(demo)["unpaired"] == 0
