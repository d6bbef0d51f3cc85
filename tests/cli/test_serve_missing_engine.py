"""`judge serve` without the engine installed: exit 2 naming what is missing and how to install it,
no traceback, nothing spawned and no state file left (the check runs before anything is started)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from judge.errors import EngineMissingError
from judge.serve import ServeCommand, engines
from judge.serve.embedded import free_port
from tests.helpers import write_config
from tests.inproc import run_judge

JUDGE = [sys.executable, "-m", "judge.cli"]
MISSING = "/nonexistent/vllm-venv/bin/python"


def _project(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: judge would start a server
    write_config(
        tmp_path / "judge.toml",
        [
            {
                "name": "qwen",
                "base_url": f"http://127.0.0.1:{port}/v1",
                "model": "Qwen/Qwen3-0.6B",
                "serve": {"engine": "vllm", "model": "Qwen/Qwen3-0.6B"},
            }
        ],
    )


def _serve(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "JUDGE_HOME": str(tmp_path / "home"), "JUDGE_VLLM_PYTHON": MISSING, **env}
    return run_judge("serve", *args, cwd=tmp_path, env=full)


@pytest.mark.parametrize("args", [["--detach"], []], ids=["detach", "foreground"])
def test_vllm_python_missing(tmp_path: Path, args: list[str]) -> None:
    """The CPU form (`python -m vllm...`) with JUDGE_VLLM_PYTHON pointing nowhere."""
    _project(tmp_path)
    r = _serve(tmp_path, *args, env={"JUDGE_VLLM_CPU": "1"})
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert f"Error: model 'qwen': vLLM is not installed: {MISSING} does not exist" in r.stderr, r.stderr
    assert f"JUDGE_VLLM_PYTHON={MISSING}" in r.stderr
    assert "make vllm-env" in r.stderr and "scripts/setup_vllm_cpu.sh" in r.stderr
    assert "pip install vllm" in r.stderr
    sdir = tmp_path / "home" / "serve"
    assert not list(sdir.glob("*.json")) and not list(sdir.glob("*.log")), list(sdir.iterdir())


def test_vllm_command_not_on_path(tmp_path: Path) -> None:
    """The GPU form (`vllm serve`): no `vllm` beside the interpreter and none on PATH."""
    _project(tmp_path)
    empty = tmp_path / "bin"
    empty.mkdir()
    r = _serve(tmp_path, "--detach", env={"JUDGE_VLLM_CPU": "0", "PATH": str(empty)})
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert "vLLM is not installed: the `vllm` command is not on PATH" in r.stderr, r.stderr
    assert "pip install vllm" in r.stderr
    assert not list((tmp_path / "home" / "serve").glob("*.json"))


def test_status_and_stop_need_no_engine(tmp_path: Path) -> None:
    _project(tmp_path)
    r = _serve(tmp_path, "--stop", env={"JUDGE_VLLM_CPU": "1"})
    assert r.returncode == 0 and "nothing was running" in r.stderr, r.stderr


def test_interpreter_without_the_package(tmp_path: Path) -> None:
    """A Python that exists but lacks vLLM (a half-made .vllm-venv): asked, not spawned."""
    cmd = ServeCommand([sys.executable, "-m", "vllm.entrypoints.openai.api_server"], {}, 1, "vllm", "qwen")
    if engines._has_module(sys.executable, "vllm", dict(os.environ)):
        pytest.skip("vLLM is installed in this interpreter")
    with pytest.raises(EngineMissingError, match=r"vLLM is not installed: .* has no `vllm` package") as e:
        engines.check_engine(cmd)
    assert any("make vllm-env" in h for h in e.value.hints)


def test_other_interpreter_without_the_package(tmp_path: Path) -> None:
    """The same through a separate interpreter (how JUDGE_VLLM_PYTHON is asked)."""
    python = tmp_path / "python"
    python.symlink_to(sys.executable)
    assert engines._has_module(str(python), "json", dict(os.environ))
    assert not engines._has_module(str(python), "no_such_package_for_judge", dict(os.environ))


def test_llamacpp_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded llama.cpp server's worker needs the xllamacpp wheel (the `serve` extra)."""
    monkeypatch.setitem(engines.ENGINE_MODULE, "llamacpp", "no_such_package_for_judge")
    cmd = ServeCommand([sys.executable, "-m", "judge.serve.llamacpp_worker"], {}, 1, "llamacpp", "smol")
    with pytest.raises(EngineMissingError, match=r"embedded llama\.cpp server is not installed") as e:
        engines.check_engine(cmd)
    assert e.value.exit_code == 2
    assert e.value.hints == ["pip install 'judge[serve]' (the xllamacpp wheel)"]


def test_not_executable(tmp_path: Path) -> None:
    exe = tmp_path / "vllm"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o644)
    cmd = ServeCommand([str(exe), "serve", "m"], {}, 1, "vllm", "qwen")
    with pytest.raises(EngineMissingError, match="is not executable"):
        engines.check_engine(cmd)
