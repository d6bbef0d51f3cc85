"""The API key never leaves the environment: not in the database, its WAL, output, logs or reports.

A recognisable key sits in the variable named by `api_key_env`. The contestants and the judge use
it; one endpoint fails with a 401 whose body echoes the Authorization header back (as some proxies
do), so error rows carry the server's words. Every command runs through the real CLI, without and
with JUDGE_DEBUG=1, and every byte they leave behind is searched for the key.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Slow (every command run in subprocesses against fake servers): runs in `make test` and with `pytest --slow`, not in plain pytest.
pytestmark = pytest.mark.slow

KEY_ENV = "JUDGE_SECRETS_TEST_KEY"
KEY = "sk-judgetest-9f3Kq2ZxR7vW-DO-NOT-LEAK"
NEEDLES = [KEY, "9f3Kq2ZxR7vW"]  # the whole key, and its core in case something truncates or masks the ends
CLI = [sys.executable, "-m", "judge.cli"]
REPORTS = {"md": "report.md", "html": "report.html", "json": "report.json"}


class _EchoAuth(BaseHTTPRequestHandler):
    """An endpoint that refuses the key and quotes it back in the error body."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps(
            {
                "error": {
                    "message": f"Incorrect API key provided: {self.headers.get('authorization')}",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        ).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _leaks(data: bytes | str) -> list[str]:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return [n for n in NEEDLES if n in text]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("secrets")
    proj = root / "proj"
    proj.mkdir()
    shutil.copytree(ROOT / "rubrics", proj / "rubrics")
    write_jsonl(proj / "data.jsonl", make_items(3))
    echo = ThreadingHTTPServer(("127.0.0.1", 0), _EchoAuth)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    echo_url = f"http://127.0.0.1:{echo.server_address[1]}/v1"
    with FakeServer(faults=FaultPlan(latency_s=0.8)) as slow, FakeServer() as fast:
        key = {"api_key_env": KEY_ENV, "concurrency": 2}
        models = [
            {"name": "good", "base_url": slow.base_url, "model": "good-model", **key, "concurrency": 1},
            {"name": "refused", "base_url": echo_url, "model": "refused-model", **key},
            {"name": "judge", "base_url": fast.base_url, "model": "judge-model", **key},
        ]
        write_config(
            proj / "judge.toml",
            models,
            judge={"model": "judge", "mode": "both", "rubrics": ["rubrics/reasoning_depth.yaml"]},
        )
        env = {k: v for k, v in os.environ.items() if k != "JUDGE_DEBUG"}
        env.update({KEY_ENV: KEY, "JUDGE_HOME": str(root / "home"), "COLUMNS": "200"})
        yield {"root": root, "proj": proj, "env": env, "slow": slow, "fast": fast}
    echo.shutdown()


@pytest.fixture(scope="module")
def outputs(project) -> dict:
    proj, env, slow = project["proj"], project["env"], project["slow"]
    res: dict = {"runs": {}, "wal": None}
    # 1. a generate killed after its first batches were committed leaves them in the WAL
    proc = subprocess.Popen(
        [*CLI, "generate", "--no-progress", "--models", "good,refused"],
        cwd=proj,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    # one answer each 0.8 s: by the 4th request, the writer's one-second flush has committed the
    # refused model's error rows and the first answers
    while slow.counts["ok"] < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    res["runs"]["generate (killed)"] = (proc.returncode, out.decode(), err.decode())
    wal = proj / "judge.duckdb.wal"
    res["wal"] = wal.read_bytes() if wal.exists() else None
    res["db_after_kill"] = (proj / "judge.duckdb").read_bytes()
    # 2. every command, without and with JUDGE_DEBUG; the writers one after the other, then the
    #    readers side by side (read-only connections share the file)
    for debug in (False, True):
        e = {**env, "JUDGE_DEBUG": "1"} if debug else env
        tag = " [debug]" if debug else ""
        writers = {"generate": ["generate", "--no-progress", "--models", "good,refused", "--retry-errors"]}
        if not debug:
            writers["grade"] = ["grade", "--no-progress", "--models", "good,refused"]
        writers["grade (refused judge)"] = [
            "grade",
            "--no-progress",
            "--judge",
            "refused",
            "--retry-errors",
            "--mode",
            "single",
        ]
        readers = {
            "status": ["status"],
            "sql": [
                "sql",
                "SELECT a.*, s.errors FROM answers a, (SELECT string_agg(error || coalesce(raw, ''), ' | ')"
                " AS errors FROM verdicts) s",
                "--format",
                "json",
            ],
        }
        if debug:
            readers["report json"] = ["report", "--n-boot", "200", "--format", "json"]
        else:
            readers["report"] = ["report", "--n-boot", "200"]
            for fmt, name in REPORTS.items():
                readers[f"report {fmt}"] = ["report", "--n-boot", "200", "--format", fmt, "--out", name]
        for name, args in writers.items():
            r = _run(args, proj, e)
            res["runs"][name + tag] = (r.returncode, r.stdout, r.stderr)
        with ThreadPoolExecutor(max_workers=3) as pool:
            done = {name: pool.submit(_run, args, proj, e) for name, args in readers.items()}
            for name, f in done.items():
                r = f.result()
                res["runs"][name + tag] = (r.returncode, r.stdout, r.stderr)
    res["reports"] = {fmt: (proj / name).read_bytes() for fmt, name in REPORTS.items() if (proj / name).exists()}
    res["db"] = (proj / "judge.duckdb").read_bytes()
    res["home"] = {str(p): p.read_bytes() for p in (project["root"] / "home").rglob("*") if p.is_file()}
    return res


def test_commands_ran_and_recorded_errors(project, outputs: dict) -> None:
    runs = outputs["runs"]
    assert runs["generate (killed)"][0] == -signal.SIGKILL
    assert runs["grade"][0] == 0, runs["grade"]
    for tag in ("", " [debug]"):
        assert runs["generate" + tag][0] != 0  # the refused model's items are stored as errors
        assert runs["grade (refused judge)" + tag][0] != 0
        assert runs["status" + tag][0] == 0 and "refused" in runs["status" + tag][1]
        assert runs["sql" + tag][0] == 0
    assert "Traceback" in runs["grade (refused judge) [debug]"][2]  # JUDGE_DEBUG shows the traceback
    assert "401" in runs["sql"][1] and "Incorrect API key provided" in runs["sql"][1]  # the server's words are kept
    assert set(outputs["reports"]) == set(REPORTS)


def test_key_is_nowhere(outputs: dict) -> None:
    found = []
    for name, (_, out, err) in outputs["runs"].items():
        found += [(name, "stdout", n) for n in _leaks(out)] + [(name, "stderr", n) for n in _leaks(err)]
    found += [("db after kill", "", n) for n in _leaks(outputs["db_after_kill"])]
    found += [("db", "", n) for n in _leaks(outputs["db"])]
    for fmt, data in outputs["reports"].items():
        found += [(f"report.{fmt}", "", n) for n in _leaks(data)]
    for path, data in outputs["home"].items():
        found += [(path, "", n) for n in _leaks(data)]
    assert not found, "the key leaked into:\n" + "\n".join(map(str, found))


def test_key_is_not_in_the_wal(outputs: dict) -> None:
    wal = outputs["wal"]
    assert wal is not None, "the killed run left no WAL to inspect"
    assert b"refused" in wal or b"error" in wal  # it holds the committed rows
    assert _leaks(wal) == []


def test_missing_key_variable_names_the_variable_not_a_value(project, tmp_path: Path) -> None:
    proj = tmp_path / "p"
    shutil.copytree(project["proj"], proj)
    text = (proj / "judge.toml").read_text(encoding="utf-8")
    (proj / "judge.toml").write_text(
        text.replace(f'api_key_env = "{KEY_ENV}"', 'api_key_env = "JUDGE_UNSET_KEY_VAR"', 1), encoding="utf-8"
    )
    db = proj / "judge.duckdb"
    before = db.read_bytes()
    env = {k: v for k, v in project["env"].items() if k != "JUDGE_UNSET_KEY_VAR"}
    # unset, then set but empty (with JUDGE_DEBUG: the message is the same, under a traceback)
    for e, debug in ((env, False), ({**env, "JUDGE_UNSET_KEY_VAR": "", "JUDGE_DEBUG": "1"}, True)):
        r = _run(["generate", "--no-progress", "--models", "good"], proj, e)
        assert r.returncode != 0
        assert "environment variable JUDGE_UNSET_KEY_VAR is not set" in r.stderr, r.stderr[-2000:]
        assert _leaks(r.stdout + r.stderr) == []
        if not debug:
            assert r.returncode == 2 and "Traceback" not in r.stderr
    assert db.read_bytes() == before  # nothing was sent or written
