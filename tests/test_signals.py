"""SIGTERM and SIGHUP act as Ctrl-C: finished work is stored, the run is `interrupted`, the exit code
names the signal (143, 129), and a rerun completes with nothing duplicated.

The in-process tests drive `judge.interrupts.interrupt_on_signals` around the stages themselves;
the subprocess tests send the signal to `python -m judge.cli generate`, and pass once the CLI
wraps its commands in it (see the module's docstring).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.interrupts import interrupt_on_signals
from tests.fakes.server import FakeServer, FaultPlan, Reply, echo_reply, schema_reply
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Slow (subprocess runs stopped by signals and resumed): runs in `make test` and with `pytest --slow`, not in plain pytest.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

N_TASKS = 10  # 20 items
CLI = [sys.executable, "-m", "judge.cli"]


def _project(tmp: Path, url: str) -> Path:
    import shutil

    shutil.copytree(ROOT / "rubrics", tmp / "rubrics", dirs_exist_ok=True)
    write_jsonl(tmp / "data.jsonl", make_items(N_TASKS))
    models = [
        {"name": "m", "base_url": url, "model": "model-m", "concurrency": 2},
        {"name": "judge", "base_url": url, "model": "judge-model", "concurrency": 2},
    ]
    judge = {"model": "judge", "mode": "single", "rubrics": ["rubrics/reasoning_depth.yaml"], "checks": False}
    return write_config(tmp / "judge.toml", models, judge=judge)


def _db(cfg: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(cfg.parent / "judge.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _signal_after(n: int, signum: int, inner=echo_reply):  # type: ignore[no-untyped-def]
    """A reply callable that sends `signum` to this process once `n` requests have come in."""
    seen = {"n": 0}
    lock = threading.Lock()

    def reply(req: dict) -> Reply:
        with lock:
            seen["n"] += 1
            if seen["n"] == n:
                os.kill(os.getpid(), signum)
        return inner(req)

    return reply


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_generate_interrupted_by_a_signal_keeps_finished_work(tmp_path: Path, signum: int) -> None:
    with FakeServer(reply=_signal_after(8, signum), faults=FaultPlan(latency_s=0.05)) as srv:
        cfg = _project(tmp_path, srv.base_url)
        with pytest.raises(KeyboardInterrupt), interrupt_on_signals() as caught:
            generate(load_config(cfg), models=["m"])
        assert caught.signum == signum and caught.exit_code == 128 + signum
        kept = _db(cfg, "SELECT count(*) FROM generations WHERE status = 'ok'")[0][0]
        assert 0 < kept < 20
        assert _db(cfg, "SELECT stage, status FROM runs") == [("generate", "interrupted")]
        srv.reply = echo_reply
        sent = srv.counts["ok"]
        s = generate(load_config(cfg), models=["m"])
        assert (s.planned, s.ok) == (20 - kept, 20 - kept) and srv.counts["ok"] - sent == 20 - kept
    assert _db(cfg, "SELECT count(*), count(DISTINCT gen_id) FROM generations") == [(20, 20)]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the previous handler is back


def test_grade_interrupted_by_sigterm_keeps_finished_verdicts(tmp_path: Path) -> None:
    with FakeServer(faults=FaultPlan(latency_s=0.05)) as srv:
        cfg = _project(tmp_path, srv.base_url)
        assert generate(load_config(cfg), models=["m"]).ok == 20
        srv.reply = _signal_after(8, signal.SIGTERM, schema_reply(score=3))
        with pytest.raises(KeyboardInterrupt), interrupt_on_signals() as caught:
            grade(load_config(cfg), models=["m"])
        assert caught.exit_code == 143
        kept = _db(cfg, "SELECT count(DISTINCT verdict_id) FROM verdicts")[0][0]
        assert 0 < kept < 20
        assert _db(cfg, "SELECT status FROM runs WHERE stage = 'grade'") == [("interrupted",)]
        srv.reply = schema_reply(score=3)
        assert grade(load_config(cfg), models=["m"]).ok == 20 - kept
    assert _db(
        cfg, "SELECT count(DISTINCT verdict_id), count(*) - count(DISTINCT (verdict_id, criterion)) FROM verdicts"
    ) == [(20, 0)]


def test_an_ignored_sighup_stays_ignored() -> None:
    """`nohup judge generate ...` must survive the terminal closing, as it always did."""
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with interrupt_on_signals() as caught:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert caught.signum is None and caught.exit_code == 130
    finally:
        signal.signal(signal.SIGHUP, before)


def test_outside_the_main_thread_nothing_is_installed() -> None:
    seen = []

    def run() -> None:
        with interrupt_on_signals() as caught:
            seen.append((caught.signum, signal.getsignal(signal.SIGTERM)))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == [(None, signal.SIG_DFL)]


def test_cli_generate_stops_on_sigterm_and_resumes(tmp_path: Path) -> None:
    """Needs the CLI wired to `interrupt_on_signals` (judge/cli/main.py). SIGHUP takes the same
    path (in-process test above), with exit code 129."""
    signum, code = signal.SIGTERM, 143
    with FakeServer(faults=FaultPlan(latency_s=0.1)) as srv:
        cfg = _project(tmp_path, srv.base_url)
        proc = subprocess.Popen(
            [*CLI, "generate", "--models", "m", "--no-progress"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while srv.counts["ok"] < 6 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == code, stderr
        assert "interrupted" in stderr and "run the same command again" in stderr, stderr
        kept = _db(cfg, "SELECT count(*) FROM generations WHERE status = 'ok'")[0][0]
        assert 0 < kept < 20
        assert _db(cfg, "SELECT status FROM runs") == [("interrupted",)]
        sent = srv.counts["ok"]
        r = subprocess.run(
            [*CLI, "generate", "--models", "m", "--no-progress"], cwd=tmp_path, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr
        assert srv.counts["ok"] - sent == 20 - kept
    assert _db(cfg, "SELECT count(*), count(DISTINCT gen_id), count(error) FROM generations") == [(20, 20, 0)]
    assert sorted(_db(cfg, "SELECT status FROM runs")) == [("done",), ("interrupted",)]
