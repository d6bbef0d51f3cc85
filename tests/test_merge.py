"""`judge merge`: conflicts are reported and never overwrite, failed rows give way to successes, exactly once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.store import Store
from judge.store.merge import merge_databases
from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import ROOT, make_items, write_config, write_jsonl
from tests.test_shards import judge_reply


def _db(tmp_path: Path, faults: FaultPlan | None = None) -> Path:
    shutil.copytree(ROOT / "rubrics", tmp_path / "rubrics", dirs_exist_ok=True)
    write_jsonl(tmp_path / "data.jsonl", make_items(3))
    models = [
        {"name": "alpha", "base_url": "", "model": "alpha-model"},
        {"name": "judge", "base_url": "", "model": "judge-model", "max_attempts": 1},
    ]
    with FakeServer(reply=judge_reply, faults=faults) as srv:
        for m in models:
            m["base_url"] = srv.base_url
        cfg = load_config(write_config(tmp_path / "judge.toml", models, judge={"model": "judge"}))
        generate(cfg, models=["alpha"])
        grade(cfg, checks=False)
    return tmp_path / "judge.duckdb"


def _rows(db: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(db) as s:
        return s.query(sql)[1]


VERDICTS = "SELECT verdict_id, criterion, score, error FROM verdicts ORDER BY 1, 2"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "judge.cli", "merge", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_a_conflict_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    a = _db(tmp_path / "a")
    b = tmp_path / "b.duckdb"
    shutil.copyfile(a, b)
    with duckdb.connect(str(b)) as con:  # the same verdict key, another score: a conflict
        vid, crit = con.execute("SELECT verdict_id, criterion FROM verdicts WHERE score IS NOT NULL LIMIT 1").fetchone()
        con.execute("UPDATE verdicts SET score = score + 0.5 WHERE verdict_id = ? AND criterion = ?", [vid, crit])
    into = tmp_path / "all.duckdb"
    assert merge_databases([a], into).written
    before = _rows(into, VERDICTS)
    r = _cli(str(b), "--into", str(into), cwd=tmp_path)
    assert r.returncode == 1
    assert "conflict: " in r.stderr and "verdicts" in r.stderr and vid in r.stderr and "score" in r.stderr
    assert "nothing was written" in r.stderr
    assert _rows(into, VERDICTS) == before
    # --skip-conflicts merges the rest and keeps the stored row; still exit 1 (the conflict is reported)
    c = tmp_path / "c.duckdb"
    shutil.copyfile(b, c)
    with duckdb.connect(str(c)) as con:
        con.execute("UPDATE runs SET run_id = run_id || '-c'")  # a row only c has
    r = _cli(str(c), "--into", str(into), "--skip-conflicts", cwd=tmp_path)
    assert r.returncode == 1 and "kept the --into rows" in r.stderr
    assert _rows(into, VERDICTS) == before
    assert _rows(into, "SELECT count(*) FROM runs WHERE run_id LIKE '%-c'")[0][0] > 0


def test_failed_rows_give_way_to_successes_never_the_reverse(tmp_path: Path) -> None:
    ok = _db(tmp_path / "ok")
    failed = _db(tmp_path / "failed", FaultPlan.mixed(1.0, kinds=("500",)))  # every call fails: error rows
    n_err = _rows(failed, "SELECT count(*) FROM generations WHERE status = 'error'")[0][0]
    assert n_err == 6
    into = tmp_path / "all.duckdb"
    s = merge_databases([failed, ok], into)
    assert s.written and not s.conflicts and s.replaced.get("generations") == n_err
    assert _rows(into, "SELECT count(*), count(*) FILTER (status = 'error') FROM generations")[0] == (6, 0)
    assert _rows(into, VERDICTS) == _rows(ok, VERDICTS)
    # the reverse order: the failed database adds nothing over the successes
    again = merge_databases([failed], into)
    assert again.added == {} and again.replaced == {} and not again.conflicts
    assert _rows(into, VERDICTS) == _rows(ok, VERDICTS)


def test_merge_refuses_its_own_target_and_a_missing_file(tmp_path: Path) -> None:
    a = _db(tmp_path / "a")
    r = _cli(str(a), "--into", str(a), cwd=tmp_path)
    assert r.returncode == 2 and "--into database itself" in r.stderr
    r = _cli(str(tmp_path / "nope.duckdb"), "--into", str(tmp_path / "x.duckdb"), cwd=tmp_path)
    assert r.returncode == 2 and "no such database" in r.stderr
    r = _cli(str(a), "--into", str(tmp_path / "x.duckdb"), cwd=tmp_path)
    assert r.returncode == 0 and "added" in r.stderr and "generations 6" in r.stderr
