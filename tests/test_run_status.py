"""A run's record tells the truth: `failed` when an exception ended it (finished work still kept),
`stale` when a later run finds it `running` with its process gone."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import duckdb
import pytest

import judge.generate
import judge.grade.run
from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.store import Store
from tests.fakes.server import FakeServer
from tests.helpers import ROOT, make_items, write_config, write_jsonl


def _project(tmp: Path, url: str) -> Path:
    shutil.copytree(ROOT / "rubrics", tmp / "rubrics")
    write_jsonl(tmp / "data.jsonl", make_items(10))
    models = [
        {"name": "m", "base_url": url, "model": "model-m", "concurrency": 1},
        {"name": "judge", "base_url": url, "model": "judge-model", "concurrency": 1},
    ]
    judge = {"model": "judge", "mode": "single", "rubrics": ["rubrics/reasoning_depth.yaml"], "checks": False}
    return write_config(tmp / "judge.toml", models, judge=judge)


def _db(cfg: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(cfg.parent / "judge.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_crashed_generate_is_failed_and_keeps_what_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = judge.generate._row

    def row(w, *args):  # type: ignore[no-untyped-def]
        if w.item.id == "t005-en":
            raise RuntimeError("a bug in the row builder")
        return real(w, *args)

    monkeypatch.setattr(judge.generate, "_row", row)
    with FakeServer() as srv:
        cfg = _project(tmp_path, srv.base_url)
        with pytest.raises(RuntimeError, match="a bug"):
            generate(load_config(cfg), models=["m"])
    [(status, counts)] = _db(cfg, "SELECT status, counts_json FROM runs")
    assert status == "failed" and "RuntimeError: a bug in the row builder" in json.loads(counts)["failure"]
    kept = _db(cfg, "SELECT count(*) FROM generations")[0][0]
    assert kept == json.loads(counts)["ok"] > 0  # finished answers before the crash were flushed


def test_a_crashed_grade_is_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*args: object) -> list[dict]:
        raise RuntimeError("a bug in the verdict builder")

    with FakeServer() as srv:
        cfg = _project(tmp_path, srv.base_url)
        assert generate(load_config(cfg), models=["m"]).ok == 20
        monkeypatch.setattr(judge.grade.run, "single_verdict", boom)
        with pytest.raises(RuntimeError, match="a bug"):
            grade(load_config(cfg), models=["m"])
    assert _db(cfg, "SELECT status, json_extract_string(counts_json, '$.failure') FROM runs WHERE stage = 'grade'") == [
        ("failed", "RuntimeError: a bug in the verdict builder")
    ]


def test_runs_left_running_by_a_dead_process_are_marked_stale(tmp_path: Path) -> None:
    with FakeServer() as srv:
        cfg = _project(tmp_path, srv.base_url)
        assert generate(load_config(cfg), models=["m"], limit=2).ok == 2
        host = socket.gethostname()
        gone = {"process": {"pid": 2**22 + 12345, "host": host}}
        ours = {"process": {"pid": os.getpid(), "host": host}}  # a run of this very process (another thread)
        with Store.open(load_config(cfg).db_path) as store:
            for run_id, config in (("killed", gone), ("older-judge", {"models": ["m"]}), ("live", ours)):
                store.con.execute(
                    "INSERT INTO runs (run_id, stage, started_at, status, config_json) VALUES (?, 'generate', now(), 'running', ?)",
                    [run_id, json.dumps(config)],
                )
        s = generate(load_config(cfg), models=["m"])  # the next start marks them
        assert s.ok == 18
    rows = dict(_db(cfg, "SELECT run_id, status FROM runs"))
    assert (rows["killed"], rows["older-judge"], rows["live"], rows[s.run_id]) == ("stale", "stale", "running", "done")
    process = _db(cfg, f"SELECT json_extract(config_json, '$.process') FROM runs WHERE run_id = '{s.run_id}'")[0][0]
    assert json.loads(process) == {"pid": os.getpid(), "host": host}
