"""Local model servers from judge.toml (`serve = {engine = "vllm" | "llamacpp", ...}`).

`commands` builds each server's command line (pure, so `judge serve --dry-run` and the GPU recipes
are testable on a CPU); `process` starts, stops and watches them; `embedded` runs llama.cpp with a
model shipped in a PyPI package.
"""

from .commands import (
    REASONING_PARSER,
    STRUCTURED_OUTPUTS,
    ServeCommand,
    detect_family,
    dry_run,
    plan,
    serve_command,
    vllm_is_cpu,
    vllm_python,
)
from .process import RunningServer, ServerStatus, foreground, start, status, stop

__all__ = [
    "REASONING_PARSER",
    "STRUCTURED_OUTPUTS",
    "RunningServer",
    "ServeCommand",
    "ServerStatus",
    "detect_family",
    "dry_run",
    "foreground",
    "plan",
    "serve_command",
    "start",
    "status",
    "stop",
    "vllm_is_cpu",
    "vllm_python",
]
