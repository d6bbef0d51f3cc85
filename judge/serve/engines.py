"""Is a server's engine installed? Checked before anything is spawned, so a missing vLLM or
llama.cpp is one clear message naming the install step, not a raw FileNotFoundError."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

from judge.errors import EngineMissingError

from .commands import ServeCommand

ENGINE_MODULE = {"vllm": "vllm", "llamacpp": "xllamacpp"}
"""The package a `python -m ...` server command needs (judge.serve.llamacpp_worker imports xllamacpp)."""


def _engine_missing(cmd: ServeCommand, what: str) -> EngineMissingError:
    if cmd.engine == "vllm":
        chosen = os.environ.get("JUDGE_VLLM_PYTHON")
        return EngineMissingError(
            f"model {cmd.name!r}: vLLM is not installed: {what}" + (f" (JUDGE_VLLM_PYTHON={chosen})" if chosen else ""),
            hints=[
                "on a CPU: make vllm-env (runs scripts/setup_vllm_cpu.sh: vLLM in .vllm-venv, where judge looks)",
                "on a GPU: pip install vllm, in this environment or in the one JUDGE_VLLM_PYTHON points at",
            ],
        )
    return EngineMissingError(
        f"model {cmd.name!r}: the embedded llama.cpp server is not installed: {what}",
        hints=["pip install 'judge[serve]' (the xllamacpp wheel)"],
    )


def _has_module(python: str, module: str, env: dict[str, str]) -> bool:
    """Whether `python` can import `module` (find_spec: importing vLLM takes seconds). An interpreter
    that cannot even be asked counts as having it: the spawn then reports what is wrong."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return importlib.util.find_spec(module) is not None
    probe = "import importlib.util as u, sys; sys.exit(u.find_spec(sys.argv[1]) is None)"
    try:
        r = subprocess.run([python, "-c", probe, module], env=env, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return True
    return r.returncode != 1


def check_engine(cmd: ServeCommand) -> None:
    """Raise EngineMissingError when the server's program, or the package its `python -m` form
    needs, is not installed: a clear message before anything is spawned or recorded."""
    env = {**os.environ, **cmd.env}
    exe = cmd.argv[0]
    if os.sep in exe:
        if not os.path.exists(exe):
            raise _engine_missing(cmd, f"{exe} does not exist")
        if not os.access(exe, os.X_OK):
            raise _engine_missing(cmd, f"{exe} is not executable")
    elif shutil.which(exe, path=env.get("PATH")) is None:
        raise _engine_missing(cmd, f"the `{exe}` command is not on PATH")
    if cmd.argv[1:2] == ["-m"]:
        module = ENGINE_MODULE[cmd.engine]
        if not _has_module(exe, module, env):
            raise _engine_missing(cmd, f"{exe} has no `{module}` package")
