"""Importers: MT-Bench and Arena-Hard question files -> Items; RU/EN pairs; write_jsonl round trip; the shipped sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from judge.config import load_config
from judge.dataset import Item, check_files, load_items
from judge.dataset.importers import (
    PairedImport,
    dumps_jsonl,
    import_arena_hard,
    import_mtbench,
    import_paired,
    write_jsonl,
)
from judge.errors import DatasetError
from judge.generate import generate
from judge.grade import grade
from judge.store import Store
from tests.fakes.server import FakeServer, Reply, schema_reply
from tests.helpers import ROOT, write_config
from tests.inproc import run_judge


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


# --- RU/EN pairs: two question files joined by question_id ---------------------------------------

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ru_llm_arena"
real_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found: {DATA} (shared/ beside the checkout)")
SHIPPED = ROOT / "datasets"

# Long enough for the language identification to be sure of every prompt.
RU_PROMPTS = {
    "q1": "Используйте нотацию ABC, чтобы записать мелодию в стиле народной песни.",
    "q2": "Объясните, почему небо днём голубое, а на закате становится красным.",
    "q3": "Напишите функцию на Python, которая проверяет, является ли строка палиндромом.",
}
EN_PROMPTS = {
    "q1": "Use ABC notation to write a melody in the style of a folk tune.",
    "q2": "Explain why the sky is blue during the day and turns red at sunset.",
    "q3": "Write a Python function that checks whether a string is a palindrome.",
}


def _arena_rows(prompts: dict[str, str], cluster: str = "Everyday questions") -> list[object]:
    return [
        {"question_id": q, "category": "arena-hard-v0.1", "cluster": cluster, "turns": [{"content": p}]}
        for q, p in prompts.items()
    ]


def _pair_files(tmp_path: Path, ru: list[object] | None = None, en: list[object] | None = None) -> tuple[Path, Path]:
    return (
        _write(tmp_path / "ru.jsonl", ru if ru is not None else _arena_rows(RU_PROMPTS)),
        _write(tmp_path / "en.jsonl", en if en is not None else _arena_rows(EN_PROMPTS)),
    )


def _assert_well_paired(items: list[Item], n_pairs: int) -> None:
    assert len(items) == 2 * n_pairs
    assert len({it.id for it in items}) == len(items)
    groups: dict[str, list[Item]] = {}
    for it in items:
        assert it.pair is not None
        groups.setdefault(it.pair, []).append(it)
    assert len(groups) == n_pairs
    for pair, members in groups.items():
        assert sorted(m.lang for m in members) == ["en", "ru"], pair
        assert len({m.category for m in members}) == 1, pair
        assert {m.id for m in members} == {f"{pair}-ru", f"{pair}-en"}


def test_paired_import_joins_by_question_id(tmp_path: Path) -> None:
    en_rows = _arena_rows(EN_PROMPTS)
    en_rows.reverse()  # the partner file's order does not matter
    ru, en = _pair_files(tmp_path, en=en_rows)
    # either file may come first: the languages are told from the prompts, not from the order
    for first, second in ((ru, en), (en, ru)):
        result = import_paired(first, second)
        assert {p: v.lang for p, v in result.langs.items()} == {ru: "ru", en: "en"}
        assert result.pairs == 3
        _assert_well_paired(result.items, 3)
    items = import_paired(ru, en).items
    assert [it.id for it in items] == [f"arena-{q}-{lang}" for q in ("q1", "q2", "q3") for lang in ("ru", "en")]
    by_id = {it.id: it for it in items}
    q1ru, q1en = by_id["arena-q1-ru"], by_id["arena-q1-en"]
    assert (q1ru.pair, q1ru.lang, q1ru.prompt) == ("arena-q1", "ru", RU_PROMPTS["q1"])
    assert (q1en.pair, q1en.lang, q1en.prompt) == ("arena-q1", "en", EN_PROMPTS["q1"])
    assert (q1ru.source, q1en.source) == ("arena-hard:ru.jsonl", "arena-hard:en.jsonl")
    assert q1ru.category == q1en.category == "arena-hard-v0.1"  # mapped as a plain import maps it
    assert "cluster:Everyday questions" in q1ru.tags and q1ru.reference is None
    out = tmp_path / "paired.jsonl"
    write_jsonl(items, out)
    assert load_items(out) == items  # a valid dataset: pairs checked by the loader too


def test_paired_import_problems_are_all_reported_with_file_and_line(tmp_path: Path) -> None:
    ru_rows = _arena_rows(RU_PROMPTS) + [
        {"question_id": "q1", "category": "arena-hard-v0.1", "turns": [{"content": "Повтор вопроса номер один."}]},
        '{"question_id": "q9", "category": ',
    ]
    en_rows = _arena_rows({k: v for k, v in EN_PROMPTS.items() if k != "q3"}) + _arena_rows(
        {"q4": "Name three rivers that flow into the Caspian Sea."}
    )
    ru, en = _pair_files(tmp_path, ru_rows, en_rows)
    with pytest.raises(DatasetError) as exc:
        import_paired(ru, en)
    problems = exc.value.problems
    for want in [
        f"{ru}:4: id: duplicate id 'arena-q1' (first on line 1)",
        f"{ru}:5: invalid JSON",
        f"{ru}:3: question_id: 'q3' has no partner: it is not in {en}",
        f"{en}:3: question_id: 'q4' has no partner: it is not in {ru}",
    ]:
        assert any(p.startswith(want) for p in problems), (want, problems)
    assert len(problems) == 4


def test_paired_import_category_mismatch_and_int_ids(tmp_path: Path) -> None:
    ru_rows = [
        {"question_id": 7, "category": "creative_writing", "turns": [{"content": RU_PROMPTS["q1"]}]},
        {"question_id": 8, "category": "hard_prompt", "turns": [{"content": RU_PROMPTS["q2"]}]},
    ]
    en_rows = [
        {"question_id": "7", "category": "creative_writing", "turns": [{"content": EN_PROMPTS["q1"]}]},
        {"question_id": 8, "category": "math", "turns": [{"content": EN_PROMPTS["q2"]}]},
    ]
    ru, en = _pair_files(tmp_path, ru_rows, en_rows)
    with pytest.raises(DatasetError) as exc:
        import_paired(ru, en)
    assert exc.value.problems == [f"{en}:2: category: 'math', but 'hard_prompt' in its partner at {ru}:2"]
    en_rows[1]["category"] = "hard_prompt"  # type: ignore[index]
    _write(en, en_rows)
    items = import_paired(ru, en).items
    assert [(it.id, it.category) for it in items] == [
        ("arena-7-ru", "writing"),  # 7 and "7" are the same question
        ("arena-7-en", "writing"),
        ("arena-8-ru", "hard_prompt"),
        ("arena-8-en", "hard_prompt"),
    ]


def test_paired_import_language_problems(tmp_path: Path) -> None:
    _, en = _pair_files(tmp_path)
    en2 = _write(tmp_path / "en2.jsonl", _arena_rows(EN_PROMPTS))
    with pytest.raises(DatasetError) as exc:
        import_paired(en, en2)
    assert exc.value.problems == [
        f"{en2}: lang: in English like {en} (en 3 of 3 prompts; {en}: en 3 of 3 prompts): "
        "a paired import needs one Russian and one English file"
    ]
    with pytest.raises(DatasetError) as exc:
        import_paired(en, tmp_path / "." / "en.jsonl")
    assert exc.value.problems == [f"{tmp_path / 'en.jsonl'}: the same file as {en}: pair a file with its translation"]
    mixed = _write(tmp_path / "mixed.jsonl", _arena_rows({"q1": RU_PROMPTS["q1"], "q2": EN_PROMPTS["q2"]}))
    other = _write(tmp_path / "other.jsonl", _arena_rows({"q1": EN_PROMPTS["q1"], "q2": RU_PROMPTS["q2"]}))
    with pytest.raises(DatasetError) as exc:
        import_paired(mixed, other)
    assert [p.split(" (")[0] for p in exc.value.problems] == [
        f"{mixed}: lang: cannot tell the language of the prompts",
        f"{other}: lang: cannot tell the language of the prompts",
    ]
    german = _write(tmp_path / "de.jsonl", _arena_rows({"q1": "Schreibe eine Melodie im Stil eines Volkslieds."}))
    with pytest.raises(DatasetError, match=r"de\.jsonl: lang: cannot tell .*\(de 1 of 1 prompts\)"):
        import_paired(german, en)


def test_paired_import_missing_file_is_not_a_list_of_missing_partners(tmp_path: Path) -> None:
    ru, _ = _pair_files(tmp_path)
    with pytest.raises(DatasetError) as exc:
        import_paired(ru, tmp_path / "nope.jsonl")
    assert len(exc.value.problems) == 1 and "file not found" in exc.value.problems[0]


def test_paired_mtbench(tmp_path: Path) -> None:
    ru = _write(tmp_path / "ru.jsonl", [{"question_id": 81, "category": "math", "turns": [RU_PROMPTS["q2"]]}])
    en = _write(tmp_path / "en.jsonl", [{"question_id": 81, "category": "math", "turns": [EN_PROMPTS["q2"]]}])
    items = import_paired(en, ru, fmt="mtbench").items
    assert [(it.id, it.pair, it.category, it.source) for it in items] == [
        ("mtbench-81-ru", "mtbench-81", "arithmetic", "mt-bench:ru.jsonl"),
        ("mtbench-81-en", "mtbench-81", "arithmetic", "mt-bench:en.jsonl"),
    ]


# --- the CLI -------------------------------------------------------------------------------------

JUDGE = [sys.executable, "-m", "judge.cli"]


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_judge(*args, cwd=cwd, env=os.environ)


def test_cli_pair_with_writes_pairs_to_a_file_or_stdout(tmp_path: Path) -> None:
    _pair_files(tmp_path)
    r = _judge(
        "dataset",
        "import",
        "--format",
        "arena-hard",
        "ru.jsonl",
        "--pair-with",
        "en.jsonl",
        "-o",
        "out.jsonl",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "wrote 6 items (3 RU/EN pairs) to out.jsonl" in r.stdout
    assert "ru.jsonl: ru (ru 3 of 3 prompts)" in r.stderr and "en.jsonl: en (en 3 of 3 prompts)" in r.stderr
    _assert_well_paired(load_items(tmp_path / "out.jsonl"), 3)
    r = _judge("dataset", "import", "--format", "arena-hard", "ru.jsonl", "--pair-with", "en.jsonl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (tmp_path / "out.jsonl").read_text(encoding="utf-8")  # without -o: the JSONL on stdout
    assert "wrote 6 items (3 RU/EN pairs) to standard output" in r.stderr


BAD_PAIRS: dict[str, tuple[list[object], list[object], list[str]]] = {
    # every problem of both files at once: a question without partner, a repeated one, a bad line
    "missing-partner-duplicate-malformed": (
        [*_arena_rows(RU_PROMPTS), _arena_rows({"q2": "Ещё раз про голубое небо и красный закат."})[0], "[1, 2]"],
        _arena_rows({k: v for k, v in EN_PROMPTS.items() if k != "q3"}),
        [
            "ru.jsonl:3: question_id: 'q3' has no partner: it is not in en.jsonl",
            "ru.jsonl:4: id: duplicate id 'arena-q2' (first on line 2)",
            "ru.jsonl:5: each line must be a JSON object",
        ],
    ),
    "same-language": (
        _arena_rows(EN_PROMPTS),
        _arena_rows(EN_PROMPTS),
        ["en.jsonl: lang: in English like ru.jsonl"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_PAIRS))
def test_cli_pair_with_problems_exit_2_and_write_nothing(tmp_path: Path, case: str) -> None:
    ru_rows, en_rows, expected = BAD_PAIRS[case]
    _pair_files(tmp_path, ru_rows, en_rows)
    r = _judge(
        "dataset",
        "import",
        "--format",
        "arena-hard",
        "ru.jsonl",
        "--pair-with",
        "en.jsonl",
        "-o",
        "out.jsonl",
        cwd=tmp_path,
    )
    assert r.returncode == 2, (r.stdout, r.stderr)
    for want in expected:
        assert any(line.strip().startswith(want) or f"Error: {want}" in line for line in r.stderr.splitlines()), (
            want,
            r.stderr,
        )
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out.jsonl").exists() and not list(tmp_path.glob("*.tmp"))


def test_cli_lang_and_pair_with_do_not_mix(tmp_path: Path) -> None:
    _pair_files(tmp_path)
    r = _judge(
        "dataset",
        "import",
        "--format",
        "arena-hard",
        "ru.jsonl",
        "--pair-with",
        "en.jsonl",
        "--lang",
        "ru",
        "-o",
        "o.jsonl",
        cwd=tmp_path,
    )
    assert r.returncode == 2 and "--lang: not with --pair-with" in r.stderr
    assert not (tmp_path / "o.jsonl").exists()


# --- the real files and the shipped datasets -----------------------------------------------------


@pytest.fixture(scope="module")
def real_pairs() -> PairedImport:
    return import_paired(DATA / "hard_ru.jsonl", DATA / "hard_en.jsonl")


@real_data
def test_real_arena_hard_pairs(real_pairs: PairedImport) -> None:
    assert {p.name: v.lang for p, v in real_pairs.langs.items()} == {"hard_ru.jsonl": "ru", "hard_en.jsonl": "en"}
    assert real_pairs.pairs == 500
    _assert_well_paired(real_pairs.items, 500)
    # every prompt is the source's text, unchanged, in the item of its language
    for name, lang in (("hard_ru.jsonl", "ru"), ("hard_en.jsonl", "en")):
        raw = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
        got = {it.pair: it.prompt for it in real_pairs.items if it.lang == lang}
        assert got == {f"arena-{r['question_id']}": r["turns"][0]["content"] for r in raw}


@real_data
def test_shipped_datasets_equal_a_fresh_import(real_pairs: PairedImport) -> None:
    """datasets/arena_hard_ru_en.jsonl and ru_arena_general.jsonl are exactly what the importer makes."""
    paired = SHIPPED / "arena_hard_ru_en.jsonl"
    assert paired.read_text(encoding="utf-8") == dumps_jsonl(real_pairs.items), (
        "rebuild: judge dataset import --format arena-hard ../shared/data/ru_llm_arena/hard_ru.jsonl "
        "--pair-with ../shared/data/ru_llm_arena/hard_en.jsonl -o datasets/arena_hard_ru_en.jsonl"
    )
    general = import_arena_hard(DATA / "general_ru.jsonl", lang="ru")
    assert (SHIPPED / "ru_arena_general.jsonl").read_text(encoding="utf-8") == dumps_jsonl(general), (
        "rebuild: judge dataset import --format arena-hard ../shared/data/ru_llm_arena/general_ru.jsonl --lang ru "
        "-o datasets/ru_arena_general.jsonl"
    )


def test_shipped_datasets_pass_check() -> None:
    checks = check_files(
        [SHIPPED / "arena_hard_ru_en.jsonl", SHIPPED / "ru_arena_general.jsonl", SHIPPED / "seed.jsonl"]
    )
    assert [fc.problems for fc in checks] == [[], [], []]
    paired, general, _ = (fc.items for fc in checks)
    _assert_well_paired(paired, 500)
    assert len(general) == 500 and {it.lang for it in general} == {"ru"} and not any(it.pair for it in general)
    assert len({t for it in general for t in it.tags if t.startswith("cluster:")}) == 50  # the 50 topic clusters
    assert all(it.reference is None and it.answer is None for it in paired + general)


# --- grading an imported pair, offline against the fake server -----------------------------------


HELPFULNESS_RUBRIC = """\
name: helpfulness
title: {ru: "Полезность", en: "Helpfulness"}
description:
  ru: "Насколько ответ решает задачу пользователя."
  en: "How well the answer solves the user's task."
applies_to: {langs: [ru, en], categories: [arena-hard-v0.1]}
scale: {min: 1, max: 5}
criteria:
  - id: task
    title: {ru: "Задача решена", en: "Task solved"}
    anchors:
      1: {ru: "Не решает задачу.", en: "Does not solve the task."}
      5: {ru: "Полностью решает задачу.", en: "Solves the task completely."}
  - id: clarity
    title: {ru: "Ясность", en: "Clarity"}
    anchors:
      1: {ru: "Непонятно.", en: "Unclear."}
      5: {ru: "Ясно и по делу.", en: "Clear and to the point."}
"""


def test_grading_an_imported_pair_without_reference(tmp_path: Path) -> None:
    """generate + grade one imported RU/EN pair: verdicts stored for both languages, no <reference> block.

    The rubric is the test's own, for the imported category (the bundled ones grade our categories
    or one language); the question is modelled on the first one of the real hard_ru/hard_en files.
    """
    ru, en = _pair_files(tmp_path, _arena_rows({"q1": RU_PROMPTS["q1"]}), _arena_rows({"q1": EN_PROMPTS["q1"]}))
    write_jsonl(import_paired(ru, en).items, tmp_path / "data.jsonl")
    (tmp_path / "helpfulness.yaml").write_text(HELPFULNESS_RUBRIC, encoding="utf-8")

    def answer(req: dict) -> Reply:
        russian = any("а" <= ch <= "я" for ch in req["messages"][-1]["content"])
        return Reply(content="X:1\nT:Народная мелодия\nK:D\nDEF GAB|" if russian else "X:1\nT:Folk tune\nK:D\nDEF GAB|")

    with FakeServer(reply=answer) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        models = [
            {"name": "m", "base_url": gen.base_url, "model": "m"},
            {"name": "judge", "base_url": jsrv.base_url, "model": "judge-model"},
        ]
        judge = {"model": "judge", "rubrics": ["helpfulness.yaml"]}
        cfg = load_config(write_config(tmp_path / "judge.toml", models, judge=judge))
        assert generate(cfg, models=["m"]).ok == 2
        s = grade(cfg)
        assert (s.ok, s.errors) == (2, 0)  # one verdict per language
        users = [r["messages"][-1]["content"] for r in jsrv.requests]
        assert len(users) == 2 and all("<question>" in u and "<reference>" not in u for u in users)
    with Store.open_readonly(cfg.db_path) as store:
        rows = store.query(
            "SELECT lang, prompt_id, pair, count(*), count(score), count(error) FROM scores"
            " WHERE judge = 'judge' AND rubric = 'helpfulness' GROUP BY ALL ORDER BY lang"
        )[1]
    assert rows == [("en", "arena-q1-en", "arena-q1", 2, 2, 0), ("ru", "arena-q1-ru", "arena-q1", 2, 2, 0)]
