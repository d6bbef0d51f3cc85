"""`judge rubric check|show`: what linguists run after editing a rubric."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .app import (
    err,
    out,
    rubric_app,
)


@rubric_app.command("check")
def rubric_check(files: Annotated[list[Path], typer.Argument(help="Rubric YAML files.")]) -> None:
    """Validate rubric files: every problem as file:line: path: message (exit 2); warn on missing translations.

    Example: judge rubric check rubrics/*.yaml
    """
    from judge.errors import RubricError
    from judge.rubric import check_rubric_files

    res = check_rubric_files(files)
    for w in res.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if not res.ok:
        raise RubricError(res.problems)
    for r in res.rubrics:
        out.print(
            escape(f"{r.source_path}: {r.name} OK ({len(r.criteria)} criteria, version {r.version})"),
            highlight=False,
            soft_wrap=True,
        )


@rubric_app.command("show")
def rubric_show(
    file: Annotated[Path, typer.Argument(help="A rubric YAML file.")],
    lang: Annotated[str, typer.Option(help="ru or en: the language of the judged item.")] = "ru",
    mode: Annotated[str, typer.Option(help="single or pairwise.")] = "single",
) -> None:
    """Print the exact prompt the judge sees for a sample answer, so a linguist can read it.

    Example: judge rubric show rubrics/russian_fluency.yaml --lang ru
    """
    from judge.errors import RubricError
    from judge.prompts import show_prompt

    if lang not in ("ru", "en") or mode not in ("single", "pairwise"):
        raise RubricError([f"--lang must be ru or en and --mode single or pairwise (got {lang!r}, {mode!r})"])
    out.out(show_prompt(file, lang, mode), highlight=False)  # type: ignore[arg-type]
