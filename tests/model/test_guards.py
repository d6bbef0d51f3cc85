"""Time and reachability guards end to end: the total deadline, the circuit breaker, pending work."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.model import retry
from judge.store import Store
from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Timing-sensitive (deadlines, trickling servers): runs alone in `make test` (Makefile).
pytestmark = pytest.mark.serial


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _project(tmp: Path, url: str, n_tasks: int, judge_url: str | None = None, **model: object) -> Path:
    shutil.copytree(ROOT / "rubrics", tmp / "rubrics", dirs_exist_ok=True)
    write_jsonl(tmp / "data.jsonl", make_items(n_tasks))
    models = [{"name": "m", "base_url": url, "model": "model-m", **model}]
    models.append({"name": "judge", "base_url": judge_url or url, "model": "judge-model", **model})
    judge = {"model": "judge", "mode": "single", "rubrics": ["rubrics/reasoning_depth.yaml"], "checks": False}
    return write_config(tmp / "judge.toml", models, judge=judge)


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def test_a_trickling_server_is_cut_at_the_deadline(tmp_path: Path) -> None:
    """One byte every 0.2 s never trips a per-read timeout; the 2 s deadline cuts the request."""
    plan = FaultPlan(trickle_s=0.2).always_fail_for(lambda r: True, "trickle")
    with FakeServer(faults=plan) as srv:
        cfg = _project(tmp_path, srv.base_url, 1, timeout=2.0, max_attempts=1)
        t0 = time.perf_counter()
        s = generate(load_config(cfg), models=["m"], limit=1)
        took = time.perf_counter() - t0
    assert (s.ok, s.errors) == (0, 1)
    [(error, attempts)] = _q(cfg, "SELECT error, attempts FROM generations")
    assert attempts == 1 and "within the 2 s deadline" in error, error
    print(f"trickle cut after {took:.2f} s (deadline 2 s, whole generate run)")
    assert 1.9 < took < 3.0


@pytest.fixture
def real_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production backoff (0.5 s, doubling, jittered) instead of the tests' instant retries."""
    monkeypatch.setattr(retry, "BACKOFF", retry.Backoff())


def test_a_dead_server_costs_seconds_and_leaves_the_items_pending(tmp_path: Path, real_backoff: None) -> None:
    port = _free_port()  # nothing listens there: every connection is refused
    url = f"http://127.0.0.1:{port}/v1"
    cfg = _project(tmp_path, url, 25)  # 50 items, default concurrency (8) and attempts (6)
    t0 = time.perf_counter()
    s = generate(load_config(cfg), models=["m"])
    took = time.perf_counter() - t0
    print(f"dead server, 50 items: {took:.2f} s, {s.pending} pending, {s.errors} errors")
    assert (s.ok, s.errors, s.pending) == (0, 0, 50)
    assert "endpoint 'm' unreachable" in s.unreachable["m"] and "connection error" in s.unreachable["m"]
    assert took < 3.0
    assert _q(cfg, "SELECT count(*) FROM generations") == [(0,)]
    assert _q(cfg, f"SELECT status, counts_json FROM runs WHERE run_id = '{s.run_id}'")[0][0] == "incomplete"
    # the server comes back: the rerun does all fifty
    with FakeServer(port=port) as srv:
        again = generate(load_config(cfg), models=["m"])
        assert (again.planned, again.ok, again.pending) == (50, 50, 0) and srv.counts["ok"] == 50
    assert _q(cfg, "SELECT count(*), count(DISTINCT gen_id) FROM generations WHERE status = 'ok'") == [(50, 50)]


def test_a_hung_server_costs_one_deadline(tmp_path: Path, real_backoff: None) -> None:
    """A server that accepts and never answers: the first wave times out together, the breaker opens."""
    plan = FaultPlan(timeout_sleep_s=30).always_fail_for(lambda r: True, "timeout")
    with FakeServer(faults=plan) as srv:
        cfg = _project(tmp_path, srv.base_url, 25, timeout=0.5)
        t0 = time.perf_counter()
        s = generate(load_config(cfg), models=["m"])
        took = time.perf_counter() - t0
        asked = sum(srv.counts.values())
    print(f"hung server, 50 items: {took:.2f} s, {asked} requests")
    assert (s.ok, s.errors, s.pending) == (0, 0, 50)
    # about one wave of the endpoint's concurrency (8), cut at the deadline: a slot freed by the first
    # failure can still start a request before the eighth failure opens the breaker
    assert asked < 16 and took < 2.5
    assert "deadline exceeded" in s.unreachable["m"]


def test_a_dead_judge_leaves_the_verdicts_pending(tmp_path: Path) -> None:
    port = _free_port()
    with FakeServer() as gen:
        cfg = _project(tmp_path, gen.base_url, 10, judge_url=f"http://127.0.0.1:{port}/v1")
        assert generate(load_config(cfg), models=["m"]).ok == 20
    s = grade(load_config(cfg), models=["m"])
    assert (s.ok, s.errors, s.pending) == (0, 0, 20) and "endpoint 'judge' unreachable" in s.unreachable["judge"]
    assert _q(cfg, "SELECT count(*) FROM verdicts") == [(0,)]
    assert _q(cfg, f"SELECT status FROM runs WHERE run_id = '{s.run_id}'") == [("incomplete",)]
    with FakeServer(port=port):
        assert grade(load_config(cfg), models=["m"]).ok == 20
