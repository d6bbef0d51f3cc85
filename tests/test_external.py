"""`judge import-answers`: answers written elsewhere, stored exactly once with provenance, then graded.

The real case: the ru_llm_arena prompts (imported with `judge dataset import --format arena-hard`)
and three models' real answers in Arena-Hard format, none written by this project.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.config import load_config
from judge.dataset.importers import import_arena_hard, write_jsonl
from judge.errors import ConfigError, DatasetError
from judge.external import import_answers
from judge.grade import grade
from judge.store import Store
from tests.helpers import ROOT, make_items, write_config
from tests.helpers import write_jsonl as write_rows
from tests.inproc import run_judge

ARENA = ROOT.parent / "shared" / "data" / "ru_llm_arena"
MODELS = ("gpt-4-1106-preview", "gpt-3.5-turbo-0125", "hermes-2-pro-llama-3-8b")


def _rows(db: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(db) as s:
        return s.query(sql)[1]


def _project(tmp_path: Path, items: list[dict] | None = None) -> Path:
    write_rows(tmp_path / "data.jsonl", items if items is not None else make_items(3))
    return write_config(tmp_path / "judge.toml", [{"name": "local", "base_url": "http://127.0.0.1:9/v1", "model": "m"}])


@pytest.mark.skipif(not ARENA.is_dir(), reason=f"{ARENA} is missing (shared/ beside the checkout)")
def test_real_arena_answers_import_once_and_grade_with_checks(tmp_path: Path) -> None:
    write_jsonl(import_arena_hard(ARENA / "general_ru.jsonl", lang="ru"), tmp_path / "data.jsonl")
    cfg = load_config(write_config(tmp_path / "judge.toml", [], dataset="data.jsonl"))
    for m in MODELS:
        s = import_answers(cfg, ARENA / "answers" / f"{m}.jsonl", model=m, fmt="arena-hard")
        assert (s.read, s.stored, s.already) == (500, 500, 0)
    db = cfg.db_path
    assert _rows(db, "SELECT count(*) FROM generations")[0][0] == 1500
    assert _rows(db, "SELECT model, count(*) FROM answers GROUP BY model ORDER BY model") == sorted(
        (m, 500) for m in MODELS
    )
    # a second import of the same file changes nothing
    again = import_answers(cfg, ARENA / "answers" / f"{MODELS[0]}.jsonl", model=MODELS[0], fmt="arena-hard")
    assert (again.stored, again.already) == (0, 500)
    assert _rows(db, "SELECT count(*) FROM answers")[0][0] == 1500
    # provenance: the file and line of each answer, the model id the file names
    req, resp = _rows(
        db,
        f"SELECT g.request_json, g.response_model FROM generations g JOIN answers a "
        f"ON a.generation_id = g.gen_id WHERE a.model = '{MODELS[0]}' LIMIT 1",
    )[0]
    rec = json.loads(req)
    assert rec["imported_from"].endswith(f"{MODELS[0]}.jsonl") and rec["line"] >= 1 and len(rec["sha256"]) == 64
    assert resp == MODELS[0]
    runs = _rows(db, "SELECT stage, status FROM runs ORDER BY started_at")
    assert runs == [("import", "done")] * 3
    # graded like any other answers: the deterministic checks alone, no judge configured
    g = grade(cfg, checks_only=True, models=[MODELS[2]])
    assert g.checks > 0
    checked = _rows(
        db, f"SELECT count(DISTINCT generation_id) FROM scores WHERE judge = 'check:language' AND model = '{MODELS[2]}'"
    )
    assert checked[0][0] == 500


def test_plain_jsonl_with_reasoning(tmp_path: Path) -> None:
    cfg = load_config(_project(tmp_path))
    f = tmp_path / "answers.jsonl"
    f.write_text(
        json.dumps({"prompt_id": "t000-en", "answer": "Answer: 0", "reasoning": "0 + 0"})
        + "\n"
        + json.dumps({"prompt_id": "t001-ru", "answer": "Ответ: 2"})
        + "\n",
        encoding="utf-8",
    )
    s = import_answers(cfg, f, model="elsewhere")
    assert s.stored == 2
    rows = _rows(cfg.db_path, "SELECT prompt_id, answer, reasoning, status FROM answers ORDER BY prompt_id")
    assert rows == [("t000-en", "Answer: 0", "0 + 0", "ok"), ("t001-ru", "Ответ: 2", None, "ok")]
    g = grade(cfg, checks_only=True)
    assert g.checks == 4  # check:answer and check:language for each answer
    assert _rows(cfg.db_path, "SELECT min(score) FROM scores WHERE judge = 'check:answer'") == [(1.0,)]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['{"prompt_id": "t000-en"}'], "answers.jsonl:1: answer: missing or not a string"),
        (['{"prompt_id": "t000-en", "answer": "x"}', "not json"], "answers.jsonl:2: invalid JSON"),
        (['{"prompt_id": "nope", "answer": "x"}'], "answers.jsonl:1: prompt_id: no item 'nope' in the dataset"),
        (
            ['{"prompt_id": "t000-en", "answer": "x"}', '{"prompt_id": "t000-en", "answer": "y"}'],
            "answers.jsonl:2: prompt_id: a second answer to 't000-en' (first on line 1)",
        ),
    ],
)
def test_bad_answer_files_exit_2_and_write_nothing(tmp_path: Path, lines: list[str], expected: str) -> None:
    cfg_path = _project(tmp_path)
    f = tmp_path / "answers.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_judge("import-answers", str(f), "--model", "x", "-c", str(cfg_path), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert not load_config(cfg_path).db_path.exists()  # nothing half-written


def test_a_configured_name_is_refused(tmp_path: Path) -> None:
    cfg = load_config(_project(tmp_path))
    f = tmp_path / "a.jsonl"
    f.write_text('{"prompt_id": "t000-en", "answer": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="local"):
        import_answers(cfg, f, model="local")
    with pytest.raises(DatasetError, match="unknown answer format"):
        import_answers(cfg, f, model="x", fmt="csv")  # type: ignore[arg-type]
