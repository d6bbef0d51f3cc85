"""While generate runs, status shows its progress (exit 0) and sql says who holds the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from judge.store.progress import progress_path
from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import make_items, write_config, write_jsonl

JUDGE = [sys.executable, "-m", "judge.cli"]


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*JUDGE, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_status_during_a_run_shows_progress(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data.jsonl", make_items(10))
    with FakeServer(faults=FaultPlan(latency_s=0.25)) as srv:
        write_config(tmp_path / "judge.toml", [{"name": "a", "base_url": srv.base_url, "model": "m", "concurrency": 2}])
        run = subprocess.Popen(
            [*JUDGE, "generate", "--no-progress"],
            cwd=tmp_path,
            env={**os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            live = progress_path(tmp_path / "judge.duckdb")
            deadline = time.monotonic() + 30
            while not live.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert live.exists(), "the run wrote no progress file"
            time.sleep(1.2)  # a few answers in
            st = _judge("status", cwd=tmp_path)
            assert st.returncode == 0, st.stderr
            assert "live: generate run" in st.stderr and "of 20 done" in st.stderr
            sql = _judge("sql", "SELECT 1", cwd=tmp_path)
            assert sql.returncode == 2 and "in use by another judge process" in sql.stderr
            assert "generate run" in sql.stderr and "of 20 done" in sql.stderr  # who holds it, how far
        finally:
            _out, errs = run.communicate(timeout=60)
        assert run.returncode == 0, errs
    assert not live.exists()  # the file goes with the run
    st = _judge("status", "--format", "csv", cwd=tmp_path)
    assert st.returncode == 0 and "a,20,0,0,20" in st.stdout
