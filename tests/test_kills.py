"""SIGKILL `judge generate` and `judge grade` early, midway and late; the rerun's database equals an uninterrupted one.

Each scenario runs the real CLI in a subprocess against in-process fake servers with some latency,
watches the servers' request counts, kills the process with SIGKILL once 10 %, 50 % or 90 % of the
requests have reached the server, runs the same command again to completion, and compares the database with the
one of an uninterrupted run in another folder (through the library): same keys, same statuses and values, whole verdicts
only, no duplicates. The four scenarios run side by side (each has its own servers and folder).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.model import retry
from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Slow (SIGKILL at three points, each run to the end and resumed): runs in `make test` and with `pytest --slow`, not in plain pytest.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

N_TASKS = 6  # 12 items x 2 models = 24 answers, graded with reasoning_depth: 24 verdicts + 2 x 12 comparisons
N_GEN = 4 * N_TASKS
N_JUDGE = 4 * N_TASKS + 2 * 2 * N_TASKS
POINTS = {"early": 0.1, "middle": 0.5, "late": 0.9}
CLI = [sys.executable, "-m", "judge.cli"]


@dataclass
class Scenario:
    name: str
    folder: Path
    kill_at: float | None
    log: dict[str, object] = field(default_factory=dict)


def _project(folder: Path, gen_url: str, judge_url: str) -> None:
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "rubrics", folder / "rubrics")
    write_jsonl(folder / "data.jsonl", make_items(N_TASKS))
    models = [
        {"name": "a", "base_url": gen_url, "model": "model-a", "concurrency": 2},
        {"name": "b", "base_url": gen_url, "model": "model-b", "params": {"temperature": 0.3}, "concurrency": 2},
        {"name": "judge", "base_url": judge_url, "model": "judge-model", "concurrency": 4},
    ]
    write_config(
        folder / "judge.toml",
        models,
        judge={"model": "judge", "mode": "both", "rubrics": ["rubrics/reasoning_depth.yaml"]},
    )


def _cli(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args, "--no-progress"], cwd=folder, capture_output=True, text=True, timeout=180)


def _kill_when(args: list[str], folder: Path, srv: FakeServer, answered: int) -> dict[str, object]:
    """Start the command, SIGKILL it once `answered` requests reached the server, report what happened."""
    proc = subprocess.Popen(
        [*CLI, *args, "--no-progress"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while srv.counts["ok"] < answered and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    err = proc.stderr.read() if proc.stderr else ""
    return {"alive_at_kill": alive, "returncode": proc.returncode, "answered": srv.counts["ok"], "stderr": err}


def _scenario(s: Scenario) -> Scenario:
    with FakeServer(faults=FaultPlan(latency_s=0.15)) as gen, FakeServer(faults=FaultPlan(latency_s=0.15)) as jdg:
        _project(s.folder, gen.base_url, jdg.base_url)
        for stage, srv, total in (("generate", gen, N_GEN), ("grade", jdg, N_JUDGE)):
            args = [stage, "--models", "a,b"]  # the judge is a [[models]] entry too, not a contestant here
            before = srv.counts["ok"]
            if s.kill_at is None:  # the uninterrupted reference, through the library (one start-up less)
                run = generate if stage == "generate" else grade
                summary = run(load_config(s.folder / "judge.toml"), models=["a", "b"])
                s.log[f"{stage}_rerun"] = (0 if summary.errors == 0 else 1, repr(summary))
            else:
                s.log[f"{stage}_kill"] = _kill_when(args, s.folder, srv, int(total * s.kill_at))
                before = srv.counts["ok"]
                r = _cli(args, s.folder)
                s.log[f"{stage}_rerun"] = (r.returncode, r.stderr[-2000:])
            s.log[f"{stage}_rerun_requests"] = srv.counts["ok"] - before
    return s


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    root = tmp_path_factory.mktemp("kills")
    todo = [Scenario("baseline", root / "baseline", None)]
    todo += [Scenario(name, root / name, at) for name, at in POINTS.items()]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUDGE_HOME", str(root / "judge-home"))
        mp.delenv("JUDGE_DEBUG", raising=False)
        mp.setattr(retry, "BACKOFF", retry.Backoff(initial=0, maximum=0, retry_after_cap=0))
        with ThreadPoolExecutor(max_workers=len(todo) + 1) as pool:
            slow = pool.submit(_slow_scenario, root / "slow")
            done = {s.name: s for s in pool.map(_scenario, todo)}
            done["slow"] = Scenario("slow", root / "slow", None, slow.result())
            return done


def _snapshot(folder: Path) -> dict[str, object]:
    con = duckdb.connect(str(folder / "judge.duckdb"), read_only=True)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        return {
            "generations": sorted(q("SELECT gen_id, status, answer, error FROM generations")),
            "verdicts": sorted(
                q("SELECT verdict_id, criterion, generation_id, rubric, judge, score, error IS NULL FROM verdicts")
            ),
            "comparisons": sorted(
                q("SELECT comparison_id, criterion, pair_id, swap, winner, error IS NULL FROM comparisons")
            ),
            "dup_generations": q("SELECT count(*) - count(DISTINCT gen_id) FROM generations")[0][0]
            + q("SELECT count(*) - count(DISTINCT (variant, prompt_key, sample)) FROM generations")[0][0],
            "dup_verdicts": q("SELECT count(*) - count(DISTINCT (verdict_id, criterion)) FROM verdicts")[0][0]
            + q("SELECT count(*) - count(DISTINCT (generation_id, rubric, judge, criterion)) FROM verdicts")[0][0],
            "dup_comparisons": q("SELECT count(*) - count(DISTINCT (comparison_id, criterion)) FROM comparisons")[0][0],
            # a verdict or comparison with fewer rows than its rubric has criteria is partial
            "partial": q("""
                SELECT t.id, t.n, r.criteria_json FROM (
                    SELECT verdict_id AS id, rubric, rubric_version, count(*) AS n FROM verdicts WHERE judge = 'judge' GROUP BY ALL
                    UNION ALL
                    SELECT comparison_id, rubric, rubric_version, count(*) FROM comparisons GROUP BY ALL) t
                JOIN rubrics r ON r.name = t.rubric AND r.version = t.rubric_version
                WHERE t.n <> json_array_length(r.criteria_json)"""),
            "models": sorted(q("SELECT name, variant, retired_at IS NULL FROM models")),
            "prompts": sorted(q("SELECT prompt_key, id FROM prompts")),
            "stages_done": sorted(q("SELECT stage, status FROM runs WHERE status LIKE 'done%'")),
        }
    finally:
        con.close()


def test_baseline_is_complete(scenarios: dict[str, Scenario]) -> None:
    base = scenarios["baseline"]
    assert base.log["generate_rerun"][0] == 0 and base.log["grade_rerun"][0] == 0, base.log
    snap = _snapshot(base.folder)
    assert len(snap["generations"]) == N_GEN and all(g[1] == "ok" for g in snap["generations"])
    assert len({v[0] for v in snap["verdicts"] if v[4] == "judge"}) == N_GEN
    assert len({c[0] for c in snap["comparisons"]}) == N_JUDGE - N_GEN
    assert all(v[6] for v in snap["verdicts"]) and all(c[5] for c in snap["comparisons"])
    assert (snap["dup_generations"], snap["dup_verdicts"], snap["dup_comparisons"], snap["partial"]) == (0, 0, 0, [])


@pytest.mark.parametrize("point", list(POINTS))
def test_killed_then_resumed_equals_uninterrupted(scenarios: dict[str, Scenario], point: str) -> None:
    s = scenarios[point]
    for stage, total in (("generate", N_GEN), ("grade", N_JUDGE)):
        kill = s.log[f"{stage}_kill"]
        assert kill["alive_at_kill"] and kill["returncode"] == -signal.SIGKILL, (stage, kill)
        code, err = s.log[f"{stage}_rerun"]
        assert code == 0, (stage, err)
        assert 0 < s.log[f"{stage}_rerun_requests"] <= total, (stage, kill)  # the kill left work to do
    got, want = _snapshot(s.folder), _snapshot(scenarios["baseline"].folder)
    for key in ("generations", "verdicts", "comparisons", "models", "prompts"):
        assert got[key] == want[key], f"{key} differ after a kill at {point}"
    assert (got["dup_generations"], got["dup_verdicts"], got["dup_comparisons"], got["partial"]) == (0, 0, 0, [])
    # the rerun finished both stages and asked for exactly what the killed run had not stored
    assert ("generate", "done") in got["stages_done"] and ("grade", "done") in got["stages_done"]
    kept = _kept_from_killed_runs(s.folder)
    assert s.log["generate_rerun_requests"] == N_GEN - kept["generate"], kept
    assert s.log["grade_rerun_requests"] == N_JUDGE - kept["grade"], kept


def _kept_from_killed_runs(folder: Path) -> dict[str, int]:
    """Work items stored by the killed runs (the rerun found their run rows 'running' and marked them 'stale')."""
    con = duckdb.connect(str(folder / "judge.duckdb"), read_only=True)
    try:
        killed = dict(con.execute("SELECT stage, run_id FROM runs WHERE status = 'stale'").fetchall())
        assert set(killed) == {"generate", "grade"}, killed
        gen = con.execute("SELECT count(*) FROM generations WHERE run_id = ?", [killed["generate"]]).fetchone()[0]
        ver = con.execute(
            "SELECT count(DISTINCT verdict_id) FROM verdicts WHERE judge = 'judge' AND run_id = ?", [killed["grade"]]
        ).fetchone()[0]
        cmp = con.execute(
            "SELECT count(DISTINCT comparison_id) FROM comparisons WHERE run_id = ?", [killed["grade"]]
        ).fetchone()[0]
        return {"generate": gen, "grade": ver + cmp}
    finally:
        con.close()


# ---------------------------------------------------------------- slow endpoints

SLOW_S = 0.4  # one request at a time, 0.4 s each: at most 3 finish within any second


def _slow_stage(folder: Path, srv: FakeServer, args: list[str], received: int) -> tuple[dict[str, object], int]:
    """Kill once `received` requests arrived (so received - 1 are finished); count what was stored."""
    kill = _kill_when(args, folder, srv, received)
    con = duckdb.connect(str(folder / "judge.duckdb"), read_only=True)
    try:
        n = con.execute(
            "SELECT (SELECT count(*) FROM generations) + (SELECT count(DISTINCT verdict_id) FROM verdicts"
            " WHERE judge = 'judge')"
        ).fetchone()[0]
    finally:
        con.close()
    return kill, n


def _slow_scenario(folder: Path) -> dict[str, object]:
    n_items, received = 10, 8
    out: dict[str, object] = {"finished": received - 1}
    with FakeServer(faults=FaultPlan(latency_s=SLOW_S)) as srv:
        _project(folder, srv.base_url, srv.base_url)
        write_jsonl(folder / "data.jsonl", make_items(n_items // 2))
        out["generate"] = _slow_stage(folder, srv, ["generate", "--models", "a", "--concurrency", "1"], received)
        out["generate_rerun"] = generate(load_config(folder / "judge.toml"), models=["a"], concurrency=8).errors
        srv.reset()
        kill, kept = _slow_stage(
            folder, srv, ["grade", "--models", "a", "--mode", "single", "--concurrency", "1", "--no-checks"], received
        )
        out["grade"] = (kill, kept - n_items)  # minus the answers
    return out


def test_a_kill_loses_at_most_about_a_second_of_finished_work(scenarios: dict[str, Scenario]) -> None:
    """With a slow endpoint, finished answers and verdicts reach the database within about a second.

    A buffer flushed only every 64 rows would hold minutes of a slow judge's work, all of it lost to
    a kill; a time bound keeps the loss to what finished in the last second or so (at most 3 here,
    plus one finishing as the kill lands).
    """
    slow = scenarios["slow"].log
    finished = slow["finished"]
    assert slow["generate_rerun"] == 0
    for stage in ("generate", "grade"):
        kill, kept = slow[stage]
        assert kill["alive_at_kill"], (stage, kill)
        assert kept >= finished - 4, f"{stage}: {kept} of {finished} finished items were stored before the kill"
