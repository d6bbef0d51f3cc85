"""The entry point: the one place where errors become messages and exit codes."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from judge.errors import JudgeError

# isort: off  (the order of these imports is the order of the commands in `judge --help`)
from . import datasets, project, reports, rubrics, run, servers  # noqa: F401  (they register the commands)

# isort: on
from .app import app, err


def _render_error(e: JudgeError) -> None:
    # Messages quote file names, ids and values from user files: never rich markup.
    from judge.config import redact

    err.print("[bold red]Error:[/]", escape(redact(e.message)), highlight=False, soft_wrap=True)
    for h in e.hints:
        err.print(f"  hint: {escape(redact(h))}", highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point: the one place where errors become messages and exit codes."""
    if os.environ.get("JUDGE_DEBUG") == "1":
        app()
        return
    try:
        rc = app(standalone_mode=False)
        if rc == 130:  # Typer turns Ctrl-C into Exit(130) and, in this mode, returns the code
            raise KeyboardInterrupt
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except JudgeError as e:
        _render_error(e)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted: finished work is stored; run the same command again to resume")
        sys.exit(130)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
