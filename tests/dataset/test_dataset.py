from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.dataset import dataset_stats, load_items
from judge.errors import DatasetError
from tests.helpers import make_items, write_jsonl

GOOD = {"id": "a-ru", "pair": "a", "lang": "ru", "category": "logic", "prompt": "Вопрос?"}


def _problems(path: Path) -> list[str]:
    with pytest.raises(DatasetError) as e:
        load_items(path)
    assert e.value.exit_code == 2
    return e.value.problems


def test_valid_dataset_and_stats(tmp_path: Path) -> None:
    items = load_items(write_jsonl(tmp_path / "d.jsonl", make_items(3)))
    st = dataset_stats(items)
    assert st["items"] == 6 and st["pairs"] == 3 and st["checkable"] == 6
    assert st["by_lang"] == {"en": 3, "ru": 3}


def test_stats_count_tasks_positions_and_unpaired_languages(tmp_path: Path) -> None:
    rows = make_items(2)
    assert [r["lang"] for r in rows] == ["en", "ru", "en", "ru"]
    rows[0]["difficulty"] = "hard"  # one item of a pair: the task counts as hard, once
    rows[2]["answer"] = rows[3]["answer"] = {"type": "choice", "value": "e"}
    rows.append({**rows[1], "id": "solo-ru", "pair": None, "lang": "ru", "answer": {"type": "choice", "value": "B"}})
    st = dataset_stats(load_items(write_jsonl(tmp_path / "d.jsonl", rows)))
    assert st["tasks_by_difficulty"] == {"hard": 1, "easy": 2}
    assert st["choice_positions"] == {"B": 1, "E": 2}
    assert st["unpaired_by_lang"] == {"ru": 1}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['{"id": "x"'], ":1: invalid JSON"),
        (["[1, 2]"], ":1: each line must be a JSON object"),
        ([json.dumps({**GOOD, "lang": "de"})], ":1: lang:"),
        ([json.dumps({k: v for k, v in GOOD.items() if k != "prompt"})], ":1: prompt: Field required"),
        ([json.dumps({**GOOD, "prompt": 5})], ":1: prompt:"),
        ([json.dumps({**GOOD, "colour": "red"})], ":1: colour: Extra inputs"),
        ([json.dumps(GOOD), json.dumps(GOOD)], ":2: id: duplicate id 'a-ru' (first on line 1)"),
        ([json.dumps(GOOD), json.dumps({**GOOD, "id": "b-ru"})], ":2: pair: pair 'a' has 2 items in 'ru'"),
        ([json.dumps({**GOOD, "answer": {"type": "number", "value": "x"}})], ":1: answer:"),
        ([json.dumps({**GOOD, "answer": {"type": "regex", "value": "(["}})], "invalid regex"),
        ([json.dumps({**GOOD, "answer": {"type": "choice", "value": "AB"}})], "single letter"),
        ([json.dumps({**GOOD, "id": "has space"})], ":1: id:"),
        ([json.dumps({**GOOD, "difficulty": "extreme"})], ":1: difficulty:"),
        ([json.dumps({**GOOD, "tags": "multi-step"})], ":1: tags:"),
        ([], "dataset is empty"),
        (["", "   "], "dataset is empty"),
    ],
)
def test_each_problem_names_file_line_and_field(tmp_path: Path, lines: list[str], expected: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    problems = _problems(p)
    assert any(x.startswith(str(p)) and expected in x for x in problems), problems


def test_bom_crlf_are_accepted_and_huge_or_binary_lines_refused(tmp_path: Path) -> None:
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n")
    assert load_items(p)[0].id == "a-ru"
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps({**GOOD, "prompt": "x" * 10_000_000}) + "\n")
    assert "over the" in _problems(big)[0]
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe{}\n")
    assert "not UTF-8" in _problems(binary)[0]
    assert "file not found" in _problems(tmp_path / "missing.jsonl")[0]


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text("{\n" + json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "z", "lang": "xx"}) + "\n")
    problems = _problems(p)
    assert [x.split(":")[1] for x in problems] == ["1", "3"]
