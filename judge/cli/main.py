"""The entry point: the one place where errors become messages and exit codes."""

from __future__ import annotations

import os
import sys
from typing import Protocol, cast

import typer
from rich.markup import escape

from judge.errors import JudgeError
from judge.interrupts import Interruption, interrupt_on_signals

# The order of these imports is the order of the commands in `judge --help`.
# isort: off
from . import run, probe, fidelity, servers, reports, plan, project, rubrics, datasets, labels, merge, ui, api  # noqa: F401  (they register the commands)

# isort: on
from .app import app, err, reflow_help

reflow_help(app)  # once every command is registered (the imports above)


def _render_error(e: JudgeError) -> None:
    # Messages quote file names, ids and values from user files: never rich markup.
    from judge.secrets import redact

    err.print("[bold red]Error:[/]", escape(redact(e.message)), highlight=False, soft_wrap=True)
    for h in e.hints:
        err.print(f"  hint: {escape(redact(h))}", highlight=False, soft_wrap=True)


def _usage_error_bases() -> tuple[type[Exception], ...]:
    """The classes of typer's and click's usage errors (unknown option or command, missing argument,
    bad value). typer >= 0.2x raises its own copy of click's exceptions, all based on the public
    `typer.TyperException`; older typer raises click's own, based on `click.ClickException`."""
    bases: list[type[Exception]] = []
    typer_base = getattr(typer, "TyperException", None)
    if isinstance(typer_base, type) and issubclass(typer_base, Exception):
        bases.append(typer_base)
    try:
        import click
    except ImportError:  # typer >= 0.2x does not need click
        pass
    else:
        bases.append(click.ClickException)
    return tuple(bases)


def _is_no_args_help(e: Exception) -> bool:
    """A group called without a command (`judge`, `judge dataset`): click >= 8.2 raises
    NoArgsIsHelpError, which sits in the same module as the usage error classes it derives from."""
    cls = getattr(sys.modules.get(type(e).__module__), "NoArgsIsHelpError", None)
    return isinstance(cls, type) and isinstance(e, cls)


class _ClickError(Protocol):
    """What click's and typer's exception classes share (ClickException's interface)."""

    def format_message(self) -> str: ...

    def show(self) -> None: ...


def _render_usage_error(e: Exception) -> None:
    """One line (the message) and a hint at the command's --help, instead of click's usage block."""
    ce = cast(_ClickError, e)
    if _is_no_args_help(e):
        # typer has already printed the help (its message is then empty); plain click carries it.
        if ce.format_message().strip():
            ce.show()
        return
    ctx = getattr(e, "ctx", None)
    command = getattr(ctx, "command_path", None) or _command_path(sys.argv[1:])
    _render_error(JudgeError(" ".join(ce.format_message().splitlines()), hints=[f"see `{command} --help`"]))


def _command_path(args: list[str]) -> str:
    """`judge status` for `judge status --samples`: some parser errors (an option missing its value)
    carry no context, so the command is found by walking the command groups along the arguments."""
    import typer.main

    cmd: object = typer.main.get_command(app)
    path = ["judge"]
    for a in args:
        sub = getattr(cmd, "commands", {}).get(a)
        if sub is None:
            break
        path.append(a)
        cmd = sub
    return " ".join(path)


def main() -> None:
    """Entry point: the one place where errors become messages and exit codes."""
    # SIGTERM and SIGHUP stop a command as Ctrl-C does (finished work stored, run `interrupted`);
    # the exit code names the signal: 143 for SIGTERM, 129 for SIGHUP, 130 for Ctrl-C.
    with interrupt_on_signals() as caught:
        _main(caught)


def _main(caught: Interruption) -> None:
    if os.environ.get("JUDGE_DEBUG") == "1":
        app(prog_name="judge")
        return
    usage_errors = _usage_error_bases()
    try:
        # prog_name: usage hints say `judge ...` also under `python -m judge.cli`
        rc = app(standalone_mode=False, prog_name="judge")
        if rc == 130:  # Typer turns Ctrl-C into Exit(130) and, in this mode, returns the code
            raise KeyboardInterrupt
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except JudgeError as e:
        _render_error(e)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted: finished work is stored; run the same command again to resume")
        sys.exit(caught.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(caught.exit_code)
    except usage_errors as e:  # in non-standalone mode typer re-raises them instead of printing
        _render_usage_error(e)
        sys.exit(2)


if __name__ == "__main__":
    main()
