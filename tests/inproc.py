"""`judge ...` inside the test process, for the tests that check what a command prints and exits with.

A `python -m judge.cli` child costs about a second of imports (duckdb, openai, pydantic, rich) before
it does anything; over a few hundred calls that was most of plain pytest's time. `run_judge` calls the
same entry point (`judge.cli.main.main`: the one place where errors become messages and exit codes)
with the child's conditions: its own argv, working directory, environment (replaced, as
`subprocess.run(env=...)` does), empty stdin, and consoles that are not terminals, 80 columns wide
unless COLUMNS says otherwise. It returns a `CompletedProcess`, so a test reads the same either way.

What still needs a real process stays one: signals, Ctrl-C, kills, the installed wheel, the console
script (tests/cli/test_usage_errors.py keeps a subprocess twin of the in-process checks).
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_judge(
    *args: str, cwd: str | Path | None = None, env: Mapping[str, str] | None = None, input: str = ""
) -> subprocess.CompletedProcess[str]:
    """`judge *args` in this process; `env`, when given, replaces the environment for the call."""
    from judge.cli.main import main

    app_module = importlib.import_module("judge.cli.app")  # the module: `judge.cli.app` is also the Typer app
    consoles = (app_module.out, app_module.err)
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_io = (sys.argv, sys.stdin, sys.stdout, sys.stderr)
    saved_console = [(c._width, c._height, c._color_system, c._force_terminal) for c in consoles]
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    code: int | str | None = 0
    try:
        if env is not None:
            replacement = dict(env)  # a copy first: `env` may be os.environ itself
            os.environ.clear()
            os.environ.update(replacement)
        os.environ.pop("JUDGE_DEBUG", None)  # main() would let exceptions escape as tracebacks
        if cwd is not None:
            os.chdir(cwd)
        columns = os.environ.get("COLUMNS", "")
        lines = os.environ.get("LINES", "")
        for c in consoles:  # what a child's fresh Console() would see: no terminal, COLUMNS or 80
            c._width = int(columns) if columns.isdigit() else 80
            c._height = int(lines) if lines.isdigit() else 25
            c._color_system = None
            c._force_terminal = None
        sys.argv = ["judge", *args]
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(input), out, err
        try:
            main()
        except SystemExit as e:
            code = e.code
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved_io
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for c, (w, h, cs, ft) in zip(consoles, saved_console, strict=True):
            c._width, c._height, c._color_system, c._force_terminal = w, h, cs, ft
        gc.collect()  # a child's exit closes every DuckDB handle; here, drop the unreachable ones now
    if isinstance(code, str):  # sys.exit("message"): printed to stderr, exit code 1, as in a child
        err.write(code + "\n")
        code = 1
    return subprocess.CompletedProcess(["judge", *args], int(code or 0), _text(out), _text(err))


def _text(stream: io.TextIOWrapper) -> str:
    """Decoded as `subprocess.run(text=True)` does: UTF-8 with universal newlines."""
    stream.flush()
    raw = stream.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    return raw.replace("\r\n", "\n").replace("\r", "\n")
