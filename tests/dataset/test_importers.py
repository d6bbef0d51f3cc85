"""Importers: MT-Bench and Arena-Hard question files -> Items; write_jsonl round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.dataset import load_items
from judge.dataset.importers import import_arena_hard, import_mtbench, write_jsonl
from judge.errors import DatasetError


def _write(path: Path, rows: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MTBENCH = [
    {
        "question_id": 81,
        "category": "writing",
        "turns": ["Compose a travel blog post.", "Rewrite it so every sentence starts with A."],
    },
    {"question_id": 111, "category": "math", "turns": ["What is 3 + 4?", "And times 2?"], "reference": ["7", "14"]},
    {"question_id": 131, "category": "extraction", "turns": ["Extract the dates."]},
    {"question_id": 141, "category": "stem", "turns": ["Why do leaves change colour?"]},
    {"question_id": 151, "category": "humanities", "turns": ["Explain GDP."]},
    {"question_id": 91, "category": "roleplay", "turns": ["Pretend to be Elon."]},
    {"question_id": 101, "category": "reasoning", "turns": ["Who is taller?"]},
    {"question_id": 121, "category": "coding", "turns": ["Write a function."]},
    {"question_id": "x9", "category": "trivia", "turns": ["Name a river."]},
]


def test_mtbench_maps_fields(tmp_path: Path) -> None:
    items = import_mtbench(_write(tmp_path / "question.jsonl", MTBENCH))
    by_id = {it.id: it for it in items}
    assert list(by_id) == [f"mtbench-{r['question_id']}" for r in MTBENCH]  # type: ignore[index]
    cats = {it.id: it.category for it in items}
    assert cats == {
        "mtbench-81": "writing",
        "mtbench-111": "arithmetic",
        "mtbench-131": "reading",
        "mtbench-141": "causal",
        "mtbench-151": "causal",
        "mtbench-91": "writing",
        "mtbench-101": "logic",
        "mtbench-121": "code",
        "mtbench-x9": "trivia",  # unknown kept as-is
    }
    first = by_id["mtbench-81"]
    assert first.prompt == "Compose a travel blog post."  # only the first turn
    assert "Rewrite" not in first.prompt
    assert "multi-turn" in first.tags and "source-category:writing" in first.tags
    assert "multi-turn" not in by_id["mtbench-131"].tags
    assert by_id["mtbench-111"].reference == "7"
    assert by_id["mtbench-131"].reference is None
    assert all(it.lang == "en" and it.source == "mt-bench" and it.answer is None for it in items)


def test_mtbench_lang_parameter(tmp_path: Path) -> None:
    rows = [{"question_id": 1, "category": "writing", "turns": ["Напишите письмо другу."]}]
    (item,) = import_mtbench(_write(tmp_path / "q.jsonl", rows), lang="ru")
    assert item.lang == "ru" and item.prompt == "Напишите письмо другу."
    with pytest.raises(DatasetError, match="unknown language"):
        import_mtbench(tmp_path / "q.jsonl", lang="de")


def test_mtbench_bad_lines_report_file_line_field(tmp_path: Path) -> None:
    rows: list[object] = [
        MTBENCH[0],
        "{not json",
        {"question_id": 2, "category": "math", "turns": []},
        {"category": "math", "turns": ["hi"]},
        {"question_id": 3, "category": "math", "turns": ["hi"], "reference": "7"},
        [1, 2],
        {"question_id": 81, "category": "writing", "turns": ["dup"]},
    ]
    path = _write(tmp_path / "question.jsonl", rows)
    with pytest.raises(DatasetError) as exc:
        import_mtbench(path)
    problems = exc.value.problems
    assert f"{path}:2: invalid JSON" in problems[0]
    expected = [
        f"{path}:3: turns: ",
        f"{path}:4: question_id: ",
        f"{path}:5: reference: ",
        f"{path}:6: each line must be a JSON object",
        f"{path}:7: id: duplicate id 'mtbench-81' (first on line 1)",
    ]
    for want in expected:
        assert any(p.startswith(want) for p in problems), (want, problems)
    assert len(problems) == 6


def test_mtbench_missing_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="file not found"):
        import_mtbench(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no questions found"):
        import_mtbench(empty)


def test_arena_hard_v01_and_v2(tmp_path: Path) -> None:
    rows = [
        {
            "question_id": "328c149ed45a41c0",
            "category": "arena-hard-v0.1",
            "cluster": "Python Coding",
            "turns": [{"content": "Write a Python parser."}],
        },
        {"uid": "a1b2c3", "category": "creative_writing", "subcategory": "poetry", "prompt": "Write a sonnet."},
        {"uid": "d4e5", "cluster": "Math puzzles", "turns": [{"content": "First."}, {"content": "Second."}]},
    ]
    items = import_arena_hard(_write(tmp_path / "question.jsonl", rows))
    a, b, c = items
    assert (a.id, a.category, a.prompt) == ("arena-328c149ed45a41c0", "arena-hard-v0.1", "Write a Python parser.")
    assert "cluster:Python Coding" in a.tags
    assert (b.id, b.category, b.prompt) == ("arena-a1b2c3", "writing", "Write a sonnet.")
    assert "subcategory:poetry" in b.tags and "source-category:creative_writing" in b.tags
    assert (c.id, c.category, c.prompt) == ("arena-d4e5", "Math puzzles", "First.")
    assert "multi-turn" in c.tags
    assert all(it.source == "arena-hard" and it.lang == "en" for it in items)


def test_arena_hard_bad_lines(tmp_path: Path) -> None:
    rows: list[object] = [
        {"uid": "ok1", "category": "hard_prompt", "prompt": "Fine."},
        {"category": "hard_prompt", "prompt": "no id"},
        {"uid": "x2", "category": "hard_prompt"},
        {"uid": "x3", "category": "hard_prompt", "turns": [{"role": "user"}]},
        {"uid": "x4", "prompt": "no category"},
        {"uid": "bad id!", "category": "hard_prompt", "prompt": "Bad id."},
        '{"uid": "x5", "category": ',
    ]
    path = _write(tmp_path / "q.jsonl", rows)
    with pytest.raises(DatasetError) as exc:
        import_arena_hard(path)
    problems = exc.value.problems
    for want in [
        f"{path}:2: uid: ",
        f"{path}:3: prompt: missing",
        f"{path}:4: turns.0.content: ",
        f"{path}:5: category: ",
        f"{path}:6: id: ",
        f"{path}:7: invalid JSON",
    ]:
        assert any(p.startswith(want) for p in problems), (want, problems)
    assert len(problems) == 6


def test_write_jsonl_round_trip(tmp_path: Path) -> None:
    rows = [{"question_id": 7, "category": "writing", "turns": ["Опишите ёжика в «тумане»."]}]
    items = import_mtbench(_write(tmp_path / "q.jsonl", rows), lang="ru")
    out = tmp_path / "sub" / "imported.jsonl"
    write_jsonl(items, out)
    text = out.read_text(encoding="utf-8")
    assert "ёжика в «тумане»" in text  # ensure_ascii=False
    obj = json.loads(text.splitlines()[0])
    assert "reference" not in obj and "answer" not in obj and "system" not in obj  # None fields excluded
    assert obj["id"] == "mtbench-7" and obj["source"] == "mt-bench"
    assert load_items(out) == items
    assert not list(out.parent.glob("*.tmp"))
