"""`kill -9` of a real `judge api` process during a batch; after a restart the batch finishes, exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from judge.store import Store
from tests.api.conftest import AUTH, grade_body, project
from tests.fakes.server import FakeServer, FaultPlan, schema_reply

pytestmark = pytest.mark.slow
N = 24


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(cfg_path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "judge.cli", "api", "--config", str(cfg_path), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "judge api exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("judge api did not start")


def test_kill_9_during_a_batch_then_restart_finishes_it_exactly_once(tmp_path: Path) -> None:
    # A slow judge (0.3 s a call, 2 at a time): the batch takes a few seconds, so the kill lands mid-way.
    with FakeServer(reply=schema_reply(score=4), faults=FaultPlan(latency_s=0.3)) as srv:
        cfg = project(tmp_path, srv.base_url, concurrency=2)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / "api.log"
        proc = _serve(cfg.path, port, log)  # type: ignore[arg-type]
        try:
            _wait_up(url, proc)
            items = [grade_body(answer=f"Item {i}: four.\nAnswer: 4") for i in range(N)]
            r = httpx.post(f"{url}/v1/batches", json={"items": items}, headers=AUTH, timeout=30)
            assert r.status_code == 202, r.text
            batch_id = r.json()["batch_id"]
            deadline = time.monotonic() + 60
            done: set[int] = set()
            while len(done) < 4 and time.monotonic() < deadline:
                st = httpx.get(f"{url}/v1/batches/{batch_id}", headers=AUTH, timeout=30).json()
                done = {it["index"] for it in st["items"] if it["status"] == "done"}
                time.sleep(0.05)
            assert 4 <= len(done) < N, "the kill must come mid-batch"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        calls_before = len(srv.requests)
        proc = _serve(cfg.path, port, log)  # type: ignore[arg-type]
        try:
            _wait_up(url, proc)
            deadline = time.monotonic() + 120
            while True:
                st = httpx.get(f"{url}/v1/batches/{batch_id}", headers=AUTH, timeout=30).json()
                if st["status"] == "done" or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(30)
        answers = [m["content"] for req in srv.requests for m in req["messages"] if m["role"] == "user"]
    assert st["status"] == "done" and (st["n_done"], st["n_error"]) == (N, 0), log.read_text()
    assert calls_before < len(srv.requests)  # the restarted server did the rest
    # Each item graded by the judge once, except those in flight at the kill (their reply was lost)
    for i in range(N):
        n = sum(f"Item {i}: four." in a for a in answers)
        assert n == 1 if i in done else 1 <= n <= 2, (i, n)
    assert sum(f"Item {i}: four." in a for a in answers for i in range(N)) <= N + 2  # 2 judge calls in flight
    with Store.open_readonly(cfg.db_path) as s:
        per = s.query("SELECT verdict_id, count(*) FROM verdicts WHERE source = 'api' GROUP BY verdict_id")[1]
        crit = s.query("SELECT count(DISTINCT criterion) FROM verdicts WHERE source = 'api'")[1][0][0]
        items = s.query("SELECT count(*), count(DISTINCT verdict_id) FROM api_batch_items WHERE status = 'done'")[1]
        batches = s.query("SELECT count(*), min(status) FROM api_batches")[1]
    assert len(per) == N and all(n == crit for _, n in per)  # one verdict per item, each criterion once
    assert items == [(N, N)] and batches == [(1, "done")]
