"""The CLI end to end in subprocesses: exit codes, untouched database on bad input, SIGKILL + resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import JUDGE_CTRL_C, make_items, write_config, write_jsonl

JUDGE = [sys.executable, "-m", "judge.cli"]


def _judge(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JUDGE, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def _setup(tmp_path: Path, url: str, n: int = 10) -> None:
    write_jsonl(tmp_path / "data.jsonl", make_items(n))
    write_config(
        tmp_path / "judge.toml",
        [
            {"name": "a", "base_url": url, "model": "fake-model", "concurrency": 4},
            {"name": "b", "base_url": url, "model": "fake-model", "params": {"temperature": 0.5}, "concurrency": 4},
        ],
    )


def test_generate_status_sql_roundtrip(tmp_path: Path) -> None:
    with FakeServer() as srv:
        _setup(tmp_path, srv.base_url, n=2)
        r = _judge("generate", "--no-progress", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "8 answers, 0 errors" in r.stderr
    r = _judge("status", "--format", "csv", cwd=tmp_path)
    assert r.returncode == 0 and "a,4,0,0,4" in r.stdout, r.stdout
    r = _judge(
        "sql",
        "SELECT model, count(*) AS n FROM answers GROUP BY model ORDER BY model",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert '"n": 4' in r.stdout and '"model": "b"' in r.stdout
    r = _judge("sql", "DELETE FROM generations", cwd=tmp_path)
    assert r.returncode == 2 and "read-only" in r.stderr
    r = _judge("sql", "SELECT count(*) FROM generations", "--format", "csv", cwd=tmp_path)
    assert r.stdout.splitlines()[1] == "8"


def test_bad_input_exit_2_and_database_untouched(tmp_path: Path) -> None:
    with FakeServer() as srv:
        _setup(tmp_path, srv.base_url, n=2)
        assert _judge("generate", "--no-progress", cwd=tmp_path).returncode == 0
        db = tmp_path / "judge.duckdb"
        before = db.read_bytes()
        with (tmp_path / "data.jsonl").open("a") as f:
            f.write('{"id": "x-en", "lang": "en", "category": "logic", "prompt": 5}\n')
        r = _judge("generate", "--no-progress", cwd=tmp_path)
        assert r.returncode == 2
        assert "data.jsonl:5: prompt:" in r.stderr, r.stderr
        assert db.read_bytes() == before
        cfg = (tmp_path / "judge.toml").read_text()
        (tmp_path / "judge.toml").write_text(cfg.replace("concurrency = 4", "concurrency = 0", 1))
        r = _judge("generate", "--no-progress", cwd=tmp_path)
        assert r.returncode == 2 and "judge.toml:8: models[0].concurrency:" in r.stderr, r.stderr
        assert db.read_bytes() == before
        assert srv.counts["ok"] == 8  # nothing was sent for the bad runs


def test_second_writer_gets_a_clear_message(tmp_path: Path) -> None:
    with FakeServer() as srv:
        _setup(tmp_path, srv.base_url, n=1)
        assert _judge("generate", "--no-progress", cwd=tmp_path).returncode == 0
        holder = duckdb.connect(str(tmp_path / "judge.duckdb"))  # another process-level writer
        try:
            r = _judge("generate", "--no-progress", "--samples", "2", cwd=tmp_path)
        finally:
            holder.close()
        assert r.returncode == 2
        assert "in use by another judge process" in r.stderr


def test_sigkill_midway_then_resume_gives_exactly_40_rows(tmp_path: Path) -> None:
    """Done-when 3: kill -9 part-way, run again, exactly 40 rows and no duplicates."""
    with FakeServer(faults=FaultPlan(latency_s=0.05)) as srv:
        _setup(tmp_path, srv.base_url, n=10)
        db = tmp_path / "judge.duckdb"
        proc = subprocess.Popen(
            [*JUDGE, "generate", "--no-progress", "--concurrency", "2"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while srv.counts["ok"] < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = srv.counts["ok"]
        assert partial < 40
        r = _judge("generate", "--no-progress", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    con = duckdb.connect(str(db), read_only=True)
    n, distinct, errors = con.execute(
        "SELECT count(*), count(DISTINCT gen_id), count(error) FROM generations"
    ).fetchone()
    con.close()
    assert (n, distinct, errors) == (40, 40, 0)


def test_ctrl_c_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    """SIGINT mid-run: exit 130, finished answers kept, nothing half-written; a rerun completes."""
    with FakeServer(faults=FaultPlan(latency_s=0.05)) as srv:
        _setup(tmp_path, srv.base_url, n=10)
        proc = subprocess.Popen(
            [*JUDGE_CTRL_C, "generate", "--no-progress", "--concurrency", "2"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while srv.counts["ok"] < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "interrupted" in stderr
        con = duckdb.connect(str(tmp_path / "judge.duckdb"), read_only=True)
        kept, bad = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status <> 'ok' OR answer IS NULL) FROM generations"
        ).fetchone()
        status = con.execute("SELECT status FROM runs").fetchone()[0]
        con.close()
        assert 0 < kept < 40 and bad == 0
        assert status == "interrupted"
        sent = srv.counts["ok"]
        assert _judge("generate", "--no-progress", cwd=tmp_path).returncode == 0
        assert srv.counts["ok"] - sent == 40 - kept  # only the missing ones were asked again
