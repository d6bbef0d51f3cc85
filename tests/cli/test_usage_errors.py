"""Usage errors through the real entry point: exit 2, one line and a hint, never a traceback; --version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from judge import __version__
from tests.inproc import run_judge

JUDGE = [sys.executable, "-m", "judge.cli"]


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_judge(*args, cwd=cwd)  # the same entry point in this process (see the twin test at the end)


@pytest.mark.parametrize(
    ("args", "message", "command"),
    [
        (["--bogus"], "No such option: --bogus", "judge"),
        (["report", "--bogus"], "No such option: --bogus", "judge report"),
        (["nosuch"], "No such command 'nosuch'", "judge"),
        (["dataset", "import"], "Missing argument 'file'", "judge dataset import"),
        (["dataset", "--bogus"], "No such option: --bogus", "judge dataset"),
        (["dataset", "imprt"], "No such command 'imprt'", "judge dataset"),
        (["rubric", "check", "--bogus"], "No such option: --bogus", "judge rubric check"),
        (["report", "--n-boot", "abc"], "Invalid value for '--n-boot'", "judge report"),
        (["report", "--n-boot", "5"], "Invalid value for '--n-boot'", "judge report"),
        (["status", "--samples"], "Option '--samples' requires an argument", "judge status"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_usage_error_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str, command: str) -> None:
    r = _judge(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == 2, r.stderr  # the message, then the hint
    assert lines[0].startswith("Error: ") and message in lines[0], r.stderr
    assert lines[1] == f"  hint: see `{command} --help`", r.stderr
    assert r.stdout == ""


def test_version(tmp_path: Path) -> None:
    r = _judge("--version", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"judge {__version__}\n"
    assert r.stderr == ""


def test_version_needs_no_config_and_wins_over_a_command(tmp_path: Path) -> None:
    r = _judge("--version", "report", cwd=tmp_path)  # eager: no judge.toml is read
    assert r.returncode == 0 and r.stdout == f"judge {__version__}\n", r.stderr


@pytest.mark.parametrize("args", [[], ["dataset"], ["rubric"]], ids=["judge", "dataset", "rubric"])
def test_a_group_without_a_command_shows_its_help(tmp_path: Path, args: list[str]) -> None:
    r = _judge(*args, cwd=tmp_path)
    assert r.returncode == 2  # as click does: no command is a usage error, answered with the help
    assert "Traceback" not in r.stderr + r.stdout
    assert f"Usage: judge {' '.join(args)}".rstrip() in r.stdout + r.stderr


def test_help_still_exits_0(tmp_path: Path) -> None:
    r = _judge("report", "--help", cwd=tmp_path)
    assert r.returncode == 0 and "Usage: judge report" in r.stdout, r.stderr


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["status", "--samples"], ["--version"], ["dataset"], ["report", "--help"]],
    ids=lambda v: " ".join(v),
)
def test_a_real_process_prints_and_exits_as_the_in_process_run(tmp_path: Path, args: list[str]) -> None:
    """The tests above call the entry point in this process; `python -m judge.cli` gives the same bytes."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = subprocess.run([*JUDGE, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    here = run_judge(*args, cwd=tmp_path, env=env)
    assert (here.returncode, here.stdout, here.stderr) == (child.returncode, child.stdout, child.stderr)
    assert child.stdout + child.stderr  # something was printed: the comparison is not of two empty runs
