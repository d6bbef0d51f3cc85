"""`judge plan`: how many prompts a comparison needs, from a pilot database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import FormatOpt, ModelsOpt, app, err, out, split_names


@app.command()
def plan(
    pilot: Annotated[
        Path, typer.Option("--pilot", help="A pilot database: a small `judge generate` + `judge grade` run.")
    ],
    effect: Annotated[
        float, typer.Option(help="The smallest true difference worth finding, in rubric points (weighted total).")
    ] = 0.2,
    power: Annotated[float, typer.Option(help="The chance of finding a difference of that size.")] = 0.8,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    models: ModelsOpt = None,
    rubric: Annotated[Optional[str], typer.Option("--rubric", "-r", help="Rubric names.")] = None,
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="Judge names.")] = None,
    format: FormatOpt = "table",
) -> None:
    """Estimate, from a pilot, how many prompts each comparison needs to detect a target effect.

    For every paired comparison the report makes (model A − model B per rubric and language, each
    model's RU − EN gap) the pilot's SD of per-prompt differences gives the prompts (or RU/EN task
    pairs) a two-sided paired test needs to find a true difference of --effect points with
    probability --power. The pilot's own minimum detectable effect is shown beside it.

    Example: judge plan --pilot pilot.duckdb --effect 0.2 --power 0.8
    """
    from judge.cli.output import render_rows, table_format
    from judge.errors import ConfigError
    from judge.report.plan import plan as estimate
    from judge.store import Store

    table_format(format)  # a bad --format exits 2 before the database is opened
    problems = []
    if not effect > 0:
        problems.append(f"--effect: must be above 0 (rubric points), got {effect}")
    for name, v in (("--power", power), ("--alpha", alpha)):
        if not 0 < v < 1:
            problems.append(f"{name}: must be between 0 and 1, got {v}")
    if not pilot.is_file():
        problems.append(f"--pilot: no such database file: {pilot}")
    if problems:
        raise ConfigError(problems)
    with Store.open_readonly(pilot) as store:
        rows = estimate(
            store,
            effect=effect,
            power=power,
            alpha=alpha,
            models=split_names(models),
            rubric=split_names(rubric),
            judge=split_names(judge),
        )
    if not rows:
        raise ConfigError([f"--pilot: {pilot} has no two models scored on the same prompts (run `judge grade`)"])
    cols = ["comparison", "judge", "rubric", "lang", "n_pilot", "diff_pilot", "sd", "mde_pilot", "n_needed"]
    render_rows(cols, [tuple(getattr(r, c) for c in cols) for r in rows], format, out, title="sample size")
    err.print(
        "n_needed: prompts (lang all: prompts of every language together; ru−en: RU/EN task pairs) for a "
        "two-sided paired test "
        f"at alpha {alpha} to find a true difference of {effect} points with power {power}; from the pilot's SD "
        "of per-unit differences, itself an estimate: plan with margin.",
        highlight=False,
        markup=False,
    )
