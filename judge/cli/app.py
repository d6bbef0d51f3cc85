"""The Typer app, its command groups and what the commands share: options, consoles, the progress bar."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from judge.config import Config

app = typer.Typer(
    name="judge",
    help="Bilingual (Russian/English) LLM-as-judge: generate answers from local models, grade them "
    "with rubric files, and report which model to run.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals can hold API keys
    add_completion=False,
)


dataset_app = typer.Typer(help="Validate, summarise and import prompt datasets (JSONL).", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")
rubric_app = typer.Typer(help="Check and preview rubric files (for the linguists who edit them).", no_args_is_help=True)
app.add_typer(rubric_app, name="rubric")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages carry paths and SQL: never wrap them


def _print_version(value: bool) -> None:
    if value:
        from judge import __version__

        out.print(f"judge {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    # No docstring: Typer would show it instead of the app's help. Eager, so no command is needed.
    pass


ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Path to judge.toml.", envvar="JUDGE_CONFIG")]
ModelsOpt = Annotated[Optional[str], typer.Option("--models", "-m", help="Comma-separated model names (default: all).")]
DatasetOpt = Annotated[
    Optional[Path], typer.Option("--dataset", "-d", help="Dataset JSONL (default: from the config).")
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or markdown.")]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]


def reflow_help(typer_app: typer.Typer) -> None:
    """Give every command its docstring as help with the source's line wrapping taken out.

    Why: Typer's rich help keeps every newline after the first paragraph, so a docstring wrapped
    at 100 columns printed as ragged half-lines in an 80-column terminal. Paragraphs stay apart,
    and each `Example:` line stays a line of its own.
    """
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _reflow(inspect.getdoc(info.callback) or "")
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)


def _reflow(doc: str) -> str:
    paragraphs = []
    for para in doc.split("\n\n"):
        lines: list[str] = []
        for line in para.splitlines():
            if lines and not line.startswith("Example:"):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def split_names(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def require_dataset(cfg: Config) -> None:
    """A missing dataset is a config problem: point at the `dataset =` line, not only the path."""
    from judge.config import file_problem
    from judge.errors import ConfigError

    path = cfg.resolve(cfg.dataset)
    if not path.exists():
        raise ConfigError([file_problem(cfg, ("dataset",), path, "dataset file")])


class Tracker:
    """A Rich progress bar (rate, errors, ETA) fed by a stage's on_plan/on_done callbacks."""

    def __init__(self, label: str, enabled: bool) -> None:
        import time

        self._time = time.monotonic
        self.t0 = time.monotonic()
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[by]}", markup=False),  # names are text, never markup
            TextColumn("{task.fields[rate]}"),
            TextColumn("[red]{task.fields[errors]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not (enabled and sys.stderr.isatty()),
        )
        self.task = self.bar.add_task(label, total=None, rate="", errors="", by="")
        self.done = self.errors = 0
        self.by: dict[str, int] = {}
        """Items done per model (generate) or judge (grade): shown once there are several."""

    def __enter__(self) -> Tracker:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]

    def step(self, label: str) -> None:
        self.t0, self.done, self.errors, self.by = self._time(), 0, 0, {}
        self.bar.update(self.task, description=label, completed=0, total=None, rate="", errors="", by="")

    def on_plan(self, n: int) -> None:
        self.bar.update(self.task, total=n, completed=0)

    def on_done(self, what: str, ok: bool) -> None:
        self.done += 1
        self.errors += not ok
        self.by[what] = self.by.get(what, 0) + 1
        by = " · ".join(f"{k} {n}" for k, n in sorted(self.by.items())) if len(self.by) > 1 else ""
        rate = self.done / max(self._time() - self.t0, 1e-9)
        self.bar.update(
            self.task, advance=1, rate=f"{rate:.2f}/s", errors=f"{self.errors} errors" if self.errors else "", by=by
        )
