"""Two entries with one model id and params (a BF16 and an FP8 build under one served name) never
share, overwrite or merge answers; moving a server keeps its answers; an old database migrates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.store import Store
from tests.fakes.server import FakeServer, Reply, schema_reply
from tests.helpers import ROOT, make_items, write_config, write_jsonl

LEGACY = ROOT / "tests" / "data" / "legacy_m002"


def _contestant(tag: str):
    """Each server says which build it is, so a merged or overwritten answer shows."""

    def reply(req: dict) -> Reply:
        q = req["messages"][-1]["content"]
        n = int(q.split("+")[0].split()[-1])
        word = "Ответ" if "Сколько" in q else "Answer"
        return Reply(content=f"[{tag}] {n} + {n} = {2 * n}.\n{word}: {2 * n}")

    return reply


def _rows(db: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(db) as s:
        return s.query(sql)[1]


def _models(bf16: str, fp8: str, judge: str) -> list[dict]:
    return [
        {"name": "qwen-bf16", "base_url": bf16, "model": "qwen", "params": {"temperature": 0.0}},
        {"name": "qwen-fp8", "base_url": fp8, "model": "qwen", "params": {"temperature": 0.0}},
        {"name": "judge", "base_url": judge, "model": "judge-model"},
    ]


def test_same_model_id_and_params_on_two_servers_keep_their_own_answers(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rubrics", tmp_path / "rubrics")
    write_jsonl(tmp_path / "data.jsonl", make_items(5))
    judge = {"model": "judge", "mode": "both", "rubrics": ["rubrics/reasoning_depth.yaml"]}
    with (
        FakeServer(reply=_contestant("bf16")) as a,
        FakeServer(reply=_contestant("fp8")) as b,
        FakeServer(reply=schema_reply(score=4, winner="tie")) as j,
    ):
        cfg = write_config(tmp_path / "judge.toml", _models(a.base_url, b.base_url, j.base_url), judge=judge)
        s = generate(load_config(cfg), models=["qwen-bf16", "qwen-fp8"])
        assert (s.ok, s.errors) == (20, 0)
        again = generate(load_config(cfg), models=["qwen-bf16", "qwen-fp8"])  # regenerate: nothing to do
        assert (again.planned, again.skipped) == (0, 20)
        g = grade(load_config(cfg))
        assert g.errors == 0 and g.ok > 0
        db = load_config(cfg).db_path
        stored = _rows(db, "SELECT count(*) FROM generations")[0][0]
        assert stored == 20
        assert _rows(db, "SELECT count(*) FROM answers")[0][0] == stored
        by_model = dict(
            _rows(db, "SELECT model, list(DISTINCT split_part(answer, chr(32), 1)) FROM answers GROUP BY model")
        )
        assert by_model == {"qwen-bf16": ["[bf16]"], "qwen-fp8": ["[fp8]"]}
        # each answer has its own verdicts; the pair of the two builds was judged
        per_gen = _rows(db, "SELECT count(DISTINCT generation_id) FROM scores WHERE judge = 'judge'")[0][0]
        assert per_gen == 20
        assert _rows(db, "SELECT count(DISTINCT pair_id) FROM pairwise")[0][0] == 10

    # the FP8 server moves to another port: its answers are kept, nothing is asked again
    with FakeServer(reply=_contestant("moved")) as a2, FakeServer(reply=_contestant("moved")) as b2:
        cfg = write_config(tmp_path / "judge.toml", _models(a2.base_url, b2.base_url, "http://127.0.0.1:9/v1"))
        moved = generate(load_config(cfg), models=["qwen-bf16", "qwen-fp8"])
        assert (moved.planned, moved.skipped) == (0, 20)
        assert not a2.requests and not b2.requests


def _import_legacy(db: Path) -> None:
    con = duckdb.connect(str(db))
    con.execute((LEGACY / "schema.sql").read_text())
    con.execute((LEGACY / "load.sql").read_text().replace("{dir}", str(LEGACY)))
    con.close()


def test_a_database_written_before_m003_migrates_without_losing_or_regrading(tmp_path: Path) -> None:
    db = tmp_path / "judge.duckdb"
    _import_legacy(db)
    legacy = duckdb.connect(str(db))
    gens = legacy.execute("SELECT count(*) FROM generations").fetchone()[0]
    verdicts = legacy.execute("SELECT count(*) FROM verdicts").fetchone()[0]
    comparisons = legacy.execute("SELECT count(*) FROM comparisons").fetchone()[0]
    assert legacy.execute("SELECT count(*) FROM answers").fetchone()[0] > gens  # the old bug, in the fixture
    rubric_text = legacy.execute("SELECT text FROM rubrics WHERE name = 'reasoning_depth'").fetchone()[0]
    legacy.close()

    with Store.open(db) as st:
        assert "m003_variant_per_entry" in st.applied()
    assert _rows(db, "SELECT count(*) FROM generations")[0][0] == gens
    assert _rows(db, "SELECT count(*) FROM answers")[0][0] == gens
    assert _rows(db, "SELECT count(*) FROM verdicts")[0][0] == verdicts
    assert _rows(db, "SELECT count(*) FROM comparisons")[0][0] == comparisons
    # the first registered entry owns the shared answers
    assert dict(_rows(db, "SELECT model, count(*) FROM answers GROUP BY model")) == {"qwen-bf16": 4, "other": 4}

    # the same project today: nothing is regenerated or regraded for the entries that had answers;
    # the FP8 entry now gets answers of its own
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "reasoning_depth.yaml").write_text(rubric_text, encoding="utf-8")
    shutil.copytree(LEGACY / "prompts", tmp_path / "prompts")
    write_jsonl(tmp_path / "data.jsonl", make_items(2))
    with (
        FakeServer(reply=_contestant("bf16")) as a,
        FakeServer(reply=_contestant("fp8")) as b,
        FakeServer(reply=schema_reply(score=4, winner="tie")) as j,
    ):
        models = [
            *_models(a.base_url, b.base_url, j.base_url),
            {"name": "other", "base_url": a.base_url, "model": "other-model"},
        ]
        judge = {
            "model": "judge",
            "mode": "both",
            "rubrics": ["rubrics/reasoning_depth.yaml"],
            "prompts_dir": "prompts",
        }
        cfg = write_config(tmp_path / "judge.toml", models, judge=judge)
        s = generate(load_config(cfg), models=["qwen-bf16", "other", "qwen-fp8"])
        assert s.by_model["qwen-fp8"]["ok"] == 4 and not s.by_model["qwen-fp8"]["errors"] and s.skipped == 8
        assert set(s.by_model) == {"qwen-fp8"}
        before = len(j.requests)
        g = grade(load_config(cfg), models=["qwen-bf16", "other"])
        assert g.planned == 0 and len(j.requests) == before  # the migrated verdicts are found
        assert _rows(db, "SELECT count(*) FROM answers")[0][0] == gens + 4
        labels = json.loads(json.dumps(_rows(db, "SELECT model, current FROM model_labels ORDER BY model")))
        assert labels == [["other", True], ["qwen-bf16", True], ["qwen-fp8", True]]
