"""While generate runs, status shows its progress (exit 0) and sql says who holds the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from judge.store.progress import progress_path
from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import JUDGE_CTRL_C, make_items, write_config, write_jsonl

JUDGE = [sys.executable, "-m", "judge.cli"]


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*JUDGE, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_status_during_a_run_shows_progress(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data.jsonl", make_items(10))
    # 20 answers at 0.5 s each, one at a time: a run of about 10 s, ended early by Ctrl-C below
    with FakeServer(faults=FaultPlan(latency_s=0.5)) as srv:
        write_config(tmp_path / "judge.toml", [{"name": "a", "base_url": srv.base_url, "model": "m", "concurrency": 1}])
        run = subprocess.Popen(
            [*JUDGE_CTRL_C, "generate", "--no-progress"],
            cwd=tmp_path,
            env={**os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        live = progress_path(tmp_path / "judge.duckdb")
        try:
            deadline = time.monotonic() + 30
            while not live.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert live.exists(), "the run wrote no progress file"
            st = _judge("status", cwd=tmp_path)
            assert st.returncode == 0, st.stderr
            assert "live: generate run" in st.stderr and "of 20 done" in st.stderr
            sql = _judge("sql", "SELECT 1", cwd=tmp_path)
            assert sql.returncode == 2 and "in use by another judge process" in sql.stderr
            assert "generate run" in sql.stderr and "of 20 done" in sql.stderr  # who holds it, how far
        finally:
            run.send_signal(signal.SIGINT)
            _out, errs = run.communicate(timeout=60)
        assert run.returncode == 130, errs
    assert not live.exists()  # the file goes with the run, however it ends
    st = _judge("status", "--format", "csv", cwd=tmp_path)
    done, failed, pending, total = (int(x) for x in st.stdout.splitlines()[1].split(",")[1:5])
    assert (failed, total) == (0, 20) and done + pending == 20 and pending > 0


def test_a_progress_file_left_by_a_killed_run_is_ignored(tmp_path: Path) -> None:
    from judge.store.progress import Progress, ProgressFile, read_progress

    db = tmp_path / "judge.duckdb"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pf = ProgressFile(db, Progress("r1", "generate", planned=5, pid=int(dead.stdout)))
    pf.update(force=True)
    assert progress_path(db).exists() and read_progress(db) is None
    ProgressFile(db, Progress("r2", "grade", planned=5)).update(force=True)  # this process: alive
    live = read_progress(db)
    assert live is not None and live.run_id == "r2" and "grade run r2: 0 of 5 done" in live.line()
