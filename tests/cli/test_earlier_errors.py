"""A rerun that leaves earlier error rows alone says so and exits 1, instead of a silent 0."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fakes.server import FakeServer, FaultPlan
from tests.helpers import make_items, write_config, write_jsonl
from tests.inproc import run_judge


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_judge(*args, cwd=cwd)


def test_errors_left_from_an_earlier_run_are_reported(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data.jsonl", make_items(2))
    with FakeServer(faults=FaultPlan(fail_first_n=1, fail_first_kind="500")) as srv:
        write_config(
            tmp_path / "judge.toml",
            [{"name": "a", "base_url": srv.base_url, "model": "m", "max_attempts": 1, "concurrency": 1}],
        )
        first = _judge("generate", "--no-progress", cwd=tmp_path)
        assert first.returncode == 1 and "4 items failed after retries" in first.stderr
        again = _judge("generate", "--no-progress", cwd=tmp_path)
        assert again.returncode == 1, again.stderr
        assert "4 items are stored as errors from an earlier run" in again.stderr
        assert "judge generate --retry-errors" in again.stderr
        retried = _judge("generate", "--no-progress", "--retry-errors", cwd=tmp_path)
        assert retried.returncode == 0, retried.stderr
        assert "4 answers, 0 errors" in retried.stderr


def test_verdicts_left_as_errors_are_reported_by_a_rerun(tmp_path: Path) -> None:
    import shutil

    from tests.fakes.server import Reply, invalid_json_reply, schema_reply
    from tests.helpers import ROOT

    shutil.copytree(ROOT / "rubrics", tmp_path / "rubrics")
    write_jsonl(tmp_path / "data.jsonl", make_items(1, langs=("en",)))
    broken = {"on": True}
    good = schema_reply(score=4)

    def judge(req: dict) -> Reply:
        return invalid_json_reply(req) if broken["on"] else good(req)

    with FakeServer() as gen, FakeServer(reply=judge) as jsrv:
        write_config(
            tmp_path / "judge.toml",
            [
                {"name": "a", "base_url": gen.base_url, "model": "m"},
                {"name": "judge", "base_url": jsrv.base_url, "model": "j", "max_attempts": 1},
            ],
            judge={"model": "judge", "rubrics": ["rubrics/reasoning_depth.yaml"]},
        )
        assert _judge("generate", "--no-progress", "--models", "a", cwd=tmp_path).returncode == 0
        first = _judge("grade", "--no-progress", cwd=tmp_path)
        assert first.returncode == 1 and "1 verdicts failed after retries" in first.stderr, first.stderr
        broken["on"] = False
        again = _judge("grade", "--no-progress", cwd=tmp_path)
        assert again.returncode == 1 and "1 verdicts are stored as errors from an earlier run" in again.stderr
        retried = _judge("grade", "--no-progress", "--retry-errors", cwd=tmp_path)
        assert retried.returncode == 0, retried.stderr
