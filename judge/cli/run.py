"""`judge generate` and `judge grade`: the two stages, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from judge.errors import WorkFailedError

if TYPE_CHECKING:
    from judge.grade.plan import Gap
    from judge.store.summary import StageSummary

from .app import (
    ConfigOpt,
    DatasetOpt,
    ModelsOpt,
    ProgressOpt,
    Tracker,
    app,
    err,
    require_dataset,
    split_names,
)

ShardOpt = Annotated[
    Optional[str],
    typer.Option(
        "--shard",
        metavar="I/N",
        help="Take shard I of N: the prompts whose content key hashes to I (every model's answers to them); "
        "run the N shards on N machines, then `judge merge` their databases.",
    ),
]


@app.command()
def generate(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    dataset: DatasetOpt = None,
    limit: Annotated[Optional[int], typer.Option(help="Use only the first N prompts.", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Answers per model and prompt.", min=1)] = 1,
    concurrency: Annotated[
        Optional[int], typer.Option(help="Requests in flight per endpoint (overrides the config).", min=1)
    ] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Call again the items stored as errors.")
    ] = False,
    shard: ShardOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Ask every model every prompt of the dataset; store answers, reasoning, usage and latency.

    Resumable: stored answers are never requested again, so a killed run continues where it stopped.

    Example: judge generate --models qwen3-30b-a3b,gpt-oss-120b --limit 20
    Example: judge generate --shard 2/3 --config shard2.toml    (one of three machines; then judge merge)
    """
    from judge.config import load_config
    from judge.generate import generate as run
    from judge.shard import parse_shard

    part = parse_shard(shard)
    cfg = load_config(config)
    if dataset is None:
        require_dataset(cfg)
    with Tracker("generate", progress) as t:
        s = run(
            cfg,
            models=split_names(models),
            dataset=dataset,
            limit=limit,
            samples=samples,
            concurrency=concurrency,
            retry_errors=retry_errors,
            argv=sys.argv[1:],
            on_plan=t.on_plan,
            on_done=t.on_done,
            shard=part,
        )
    err.print(f"generate: {s.ok} answers, {s.errors} errors, {s.skipped} already stored (run {s.run_id})")
    fail_on_unfinished(
        s,
        "items",
        "call them again with: judge generate --retry-errors",
        'see them with: judge sql "SELECT model, prompt_id, error FROM answers WHERE error IS NOT NULL"',
    )


@app.command()
def grade(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    rubric: Annotated[
        Optional[str], typer.Option("--rubric", "-r", help="Comma-separated rubric names (default: all configured).")
    ] = None,
    judge: Annotated[
        Optional[list[str]],
        typer.Option(
            "--judge", "-j", help="A [[models]] name to judge with, instead of [judge]; repeat (or a,b) for a jury."
        ),
    ] = None,
    mode: Annotated[Optional[str], typer.Option(help="single, pairwise or both (default: from the config).")] = None,
    regrade: Annotated[bool, typer.Option("--regrade", help="Grade again even where a verdict is stored.")] = False,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Grade again the verdicts stored as errors.")
    ] = False,
    concurrency: Annotated[Optional[int], typer.Option(help="Judge requests in flight.", min=1)] = None,
    limit: Annotated[Optional[int], typer.Option(help="Grade only the first N prompts.", min=1)] = None,
    no_checks: Annotated[bool, typer.Option("--no-checks", help="Skip the deterministic checks.")] = False,
    checks_only: Annotated[
        bool, typer.Option("--checks-only", help="Run only the deterministic checks: no judge call, no [judge] needed.")
    ] = False,
    repeats: Annotated[
        int,
        typer.Option(
            "--repeats",
            min=1,
            max=100,
            help="Grade each answer K times to measure the judge's stability, at the judge's configured "
            "temperature; repeat r is sent seed = the judge's params.seed + r (r when no seed is configured). "
            "Means use repeat 0 only.",
        ),
    ] = 1,
    shard: ShardOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Score stored answers with the judge model against the rubric files; run the deterministic checks.

    Single mode gives each answer a score per criterion; pairwise mode compares two models' answers to
    the same prompt in both orders (position swap). Only answers without a verdict for the current
    rubric version are graded, so editing one rubric re-grades that rubric only.

    Example: judge grade --mode both --rubric russian_fluency
    Example: judge grade --checks-only    (answer and language checks alone, e.g. on imported answers)
    Example: judge grade --repeats 3    (each answer graded three times: the report shows the judge's stability)
    Example: judge grade --shard 2/3    (the answers to the prompts of shard 2 of 3; then judge merge)
    """
    from judge.config import load_config
    from judge.grade import grade as run
    from judge.shard import parse_shard

    part = parse_shard(shard)
    cfg = load_config(config)
    if judge:
        from judge.config_jury import override

        override(cfg, [n for j in judge for n in split_names(j) or []])
    if mode and mode not in ("single", "pairwise", "both"):
        from judge.errors import ConfigError

        raise ConfigError([f"--mode: {mode!r} is not single, pairwise or both"])
    with Tracker("grade", progress) as t:
        s = run(
            cfg,
            mode=mode,
            rubrics=split_names(rubric),
            models=split_names(models),
            regrade=regrade,
            retry_errors=retry_errors,
            concurrency=concurrency,
            limit=limit,
            checks=False if no_checks else None,
            checks_only=checks_only,
            repeats=repeats,
            shard=part,
            argv=sys.argv[1:],
            on_plan=t.on_plan,
            on_done=t.on_done,
        )
    err.print(f"grade: {s.ok} verdicts, {s.errors} errors, {s.checks} check verdicts written (run {s.run_id})")
    if len(s.by_model) > 1:  # a jury: each judge's share
        for name, c in sorted(s.by_model.items()):
            err.print(f"  judge {name}: {c['ok']} verdicts, {c['errors']} errors", markup=False)
    print_gaps(s.gaps)
    fail_on_unfinished(
        s,
        "verdicts",
        "grade them again with: judge grade --retry-errors",
        'see them with: judge sql "SELECT model, prompt_id, rubric, error FROM scores WHERE error IS NOT NULL"',
    )


def fail_on_unfinished(s: StageSummary, what: str, retry: str, see: str) -> None:
    """Exit 1 with one line when work is left: pending (endpoint down), failed now, or failed before."""
    if s.pending:
        raise WorkFailedError(
            f"{s.pending} {what} were not attempted: {'; '.join(s.unreachable.values())}",
            hints=["they are pending, not errors: run the same command again once the endpoint is back"],
        )
    if s.earlier_errors and not s.errors:
        raise WorkFailedError(f"{s.earlier_errors} {what} are stored as errors from an earlier run", hints=[retry])
    if s.errors:
        raise WorkFailedError(
            f"{s.errors} {what} failed after retries; they are stored as errors (no score is made up)",
            hints=[see, retry],
        )


def print_gaps(gaps: list[Gap], limit: int = 10) -> None:
    """Say which prompts no rubric grades, grouped by language, category and reason."""
    if not gaps:
        return
    groups: dict[tuple[str, str, str], list[Gap]] = {}
    for g in gaps:
        groups.setdefault((g.lang, g.category, g.reason), []).append(g)
    n_answers = sum(len(g.models) for g in gaps)
    err.print(f"not graded: {len(gaps)} prompts ({n_answers} answers) that no configured rubric covers:")
    for (lang, category, reason), gs in list(groups.items())[:limit]:
        ids = ", ".join(g.item_id for g in gs[:3]) + (f" and {len(gs) - 3} more" if len(gs) > 3 else "")
        models = sorted({m for g in gs for m in g.models})
        err.print(f"  {lang}/{category}: {ids} (models {', '.join(models)}): {reason}", markup=False)
    if len(groups) > limit:
        err.print(f"  ... and {len(groups) - limit} more groups", markup=False)
