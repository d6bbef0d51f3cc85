"""The `judge` command line: parse, call one library function, render. Errors are rendered in main()."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .errors import JudgeError, WorkFailedError

if TYPE_CHECKING:
    from .config import Config

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

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Path to judge.toml.", envvar="JUDGE_CONFIG")]
ModelsOpt = Annotated[Optional[str], typer.Option("--models", "-m", help="Comma-separated model names (default: all).")]
DatasetOpt = Annotated[Optional[Path], typer.Option("--dataset", "-d", help="Dataset JSONL (default: from the config).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or markdown.")]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]


def _names(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def _require_dataset(cfg: Config) -> None:
    """A missing dataset is a config problem: point at the `dataset =` line, not only the path."""
    from .config import file_problem
    from .errors import ConfigError

    path = cfg.resolve(cfg.dataset)
    if not path.exists():
        raise ConfigError([file_problem(cfg, ("dataset",), path, "dataset file")])


class _Tracker:
    """A Rich progress bar (rate, errors, ETA) fed by a stage's on_plan/on_done callbacks."""

    def __init__(self, label: str, enabled: bool) -> None:
        import time

        self._time = time.monotonic
        self.t0 = time.monotonic()
        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TextColumn("[red]{task.fields[errors]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=not (enabled and sys.stderr.isatty()),
        )
        self.task = self.bar.add_task(label, total=None, rate="", errors="")
        self.done = self.errors = 0

    def __enter__(self) -> _Tracker:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]

    def step(self, label: str) -> None:
        self.t0, self.done, self.errors = self._time(), 0, 0
        self.bar.update(self.task, description=label, completed=0, total=None, rate="", errors="")

    def on_plan(self, n: int) -> None:
        self.bar.update(self.task, total=n, completed=0)

    def on_done(self, _what: str, ok: bool) -> None:
        self.done += 1
        self.errors += not ok
        rate = self.done / max(self._time() - self.t0, 1e-9)
        self.bar.update(self.task, advance=1, rate=f"{rate:.2f}/s", errors=f"{self.errors} errors" if self.errors else "")


@app.command()
def generate(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    dataset: DatasetOpt = None,
    limit: Annotated[Optional[int], typer.Option(help="Use only the first N prompts.", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Answers per model and prompt.", min=1)] = 1,
    concurrency: Annotated[Optional[int], typer.Option(help="Requests in flight per endpoint (overrides the config).", min=1)] = None,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Call again the items stored as errors.")] = False,
    progress: ProgressOpt = True,
) -> None:
    """Ask every model every prompt of the dataset; store answers, reasoning, usage and latency.

    Resumable: stored answers are never requested again, so a killed run continues where it stopped.

    Example: judge generate --models qwen3-30b-a3b,gpt-oss-120b --limit 20
    """
    from .config import load_config
    from .generate import generate as run

    cfg = load_config(config)
    if dataset is None:
        _require_dataset(cfg)
    with _Tracker("generate", progress) as t:
        s = run(cfg, models=_names(models), dataset=dataset, limit=limit, samples=samples, concurrency=concurrency,
                retry_errors=retry_errors, argv=sys.argv[1:], on_plan=t.on_plan, on_done=t.on_done)
    err.print(f"generate: {s.ok} answers, {s.errors} errors, {s.skipped} already stored (run {s.run_id})")
    if s.errors:
        raise WorkFailedError(f"{s.errors} items failed after retries; they are stored as errors",
                              hints=["see them with: judge sql \"SELECT model, prompt_id, error FROM answers WHERE error IS NOT NULL\"",
                                     "call them again with: judge generate --retry-errors"])


@app.command()
def grade(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    rubric: Annotated[Optional[str], typer.Option("--rubric", "-r", help="Comma-separated rubric names (default: all configured).")] = None,
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="A [[models]] name to judge with (overrides [judge].model).")] = None,
    mode: Annotated[Optional[str], typer.Option(help="single, pairwise or both (default: from the config).")] = None,
    regrade: Annotated[bool, typer.Option("--regrade", help="Grade again even where a verdict is stored.")] = False,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Grade again the verdicts stored as errors.")] = False,
    concurrency: Annotated[Optional[int], typer.Option(help="Judge requests in flight.", min=1)] = None,
    limit: Annotated[Optional[int], typer.Option(help="Grade only the first N prompts.", min=1)] = None,
    no_checks: Annotated[bool, typer.Option("--no-checks", help="Skip the deterministic checks.")] = False,
    progress: ProgressOpt = True,
) -> None:
    """Score stored answers with the judge model against the rubric files; run the deterministic checks.

    Single mode gives each answer a score per criterion; pairwise mode compares two models' answers to
    the same prompt in both orders (position swap). Only answers without a verdict for the current
    rubric version are graded, so editing one rubric re-grades that rubric only.

    Example: judge grade --mode both --rubric russian_fluency
    """
    from .config import load_config
    from .grade import grade as run

    cfg = load_config(config)
    if judge:
        from .errors import ConfigError

        if cfg.judge is None or judge not in {m.name for m in cfg.models}:
            raise ConfigError([f"--judge: {judge!r} is not a [[models]] name in {config}"])
        cfg.judge.model = judge
    if mode and mode not in ("single", "pairwise", "both"):
        from .errors import ConfigError

        raise ConfigError([f"--mode: {mode!r} is not single, pairwise or both"])
    with _Tracker("grade", progress) as t:
        s = run(cfg, mode=mode, rubrics=_names(rubric), models=_names(models), regrade=regrade, retry_errors=retry_errors,
                concurrency=concurrency, limit=limit, checks=False if no_checks else None, argv=sys.argv[1:],
                on_plan=t.on_plan, on_done=t.on_done)
    err.print(f"grade: {s.ok} verdicts, {s.errors} errors, {s.checks} answers checked (run {s.run_id})")
    if s.errors:
        raise WorkFailedError(f"{s.errors} verdicts failed after retries; they are stored as errors (no score)",
                              hints=["see them with: judge sql \"SELECT model, prompt_id, rubric, error FROM scores WHERE error IS NOT NULL\"",
                                     "grade them again with: judge grade --retry-errors"])


@rubric_app.command("check")
def rubric_check(files: Annotated[list[Path], typer.Argument(help="Rubric YAML files.")]) -> None:
    """Validate rubric files: every problem as file:line: path: message (exit 2); warn on missing translations.

    Example: judge rubric check rubrics/*.yaml
    """
    from .errors import RubricError
    from .rubric import check_rubric_files

    res = check_rubric_files(files)
    for w in res.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    if not res.ok:
        raise RubricError(res.problems)
    for r in res.rubrics:
        out.print(escape(f"{r.source_path}: {r.name} OK ({len(r.criteria)} criteria, version {r.version})"), highlight=False, soft_wrap=True)


@rubric_app.command("show")
def rubric_show(
    file: Annotated[Path, typer.Argument(help="A rubric YAML file.")],
    lang: Annotated[str, typer.Option(help="ru or en: the language of the judged item.")] = "ru",
    mode: Annotated[str, typer.Option(help="single or pairwise.")] = "single",
) -> None:
    """Print the exact prompt the judge sees for a sample answer, so a linguist can read it.

    Example: judge rubric show rubrics/russian_fluency.yaml --lang ru
    """
    from .errors import RubricError
    from .prompts import show_prompt

    if lang not in ("ru", "en") or mode not in ("single", "pairwise"):
        raise RubricError([f"--lang must be ru or en and --mode single or pairwise (got {lang!r}, {mode!r})"])
    out.out(show_prompt(file, lang, mode), highlight=False)  # type: ignore[arg-type]


@app.command()
def serve(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the server commands instead of running them.")] = False,
    detach: Annotated[bool, typer.Option("--detach", help="Start the servers in the background and return.")] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the servers started with --detach.")] = False,
    show_status: Annotated[bool, typer.Option("--status", help="List the servers started by judge.")] = False,
) -> None:
    """Start the model servers described by `serve = {...}` in judge.toml (vLLM or llama.cpp).

    vLLM gets the right reasoning parser per family (gpt-oss: openai_gptoss, Qwen3: qwen3,
    Qwen3 Thinking-2507: deepseek_r1). Without --detach it runs until Ctrl-C, then stops them.

    Example: judge serve --dry-run
    """
    from . import serve as srv

    if stop:
        names = srv.stop(names=_names(models))
        err.print(f"stopped: {', '.join(names) or 'nothing was running'}")
        return
    if show_status:
        from .render import render_rows

        rows = [(s.name, s.pid, s.base_url, s.alive, s.ready) for s in srv.status()]
        render_rows(["name", "pid", "base_url", "alive", "answering"], rows, "table", out)
        return
    from .config import load_config

    cfg = load_config(config)
    if dry_run:
        for line in srv.dry_run(cfg, _names(models)):
            out.out(line, highlight=False)
        return
    if detach:
        for r in srv.start(cfg, _names(models)):
            err.print(f"{r.name}: {r.base_url} ({'started' if r.started else 'already running'}); log {r.log}")
        return

    def ready(running: list) -> None:
        for r in running:
            err.print(f"{r.name}: {r.base_url} ({'started' if r.started else 'already running'}); log {r.log}")
        err.print("serving; Ctrl-C stops the servers started here")

    srv.foreground(cfg, _names(models), on_ready=ready)


@app.command()
def report(
    config: ConfigOpt = Path("judge.toml"),
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default: from the config).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="terminal, md, html or json.")] = "terminal",
    out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of the terminal.")] = None,
    models: ModelsOpt = None,
    rubric: Annotated[Optional[str], typer.Option("--rubric", "-r", help="Rubric names (name@version for an older one).")] = None,
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="Judge names.")] = None,
    lang: Annotated[Optional[str], typer.Option(help="ru, en or both (default).")] = None,
    category: Annotated[Optional[str], typer.Option(help="Comma-separated categories.")] = None,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (the report is reproducible).")] = 0,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples.", min=100)] = 2000,
    note: Annotated[Optional[str], typer.Option(help="A sentence printed at the top of the report.")] = None,
) -> None:
    """Show the comparison: which model, in which language, at what cost, and how far to trust the judge.

    Scores with 95 % CIs per model and language, the RU−EN gap, model and variant deltas, depth of
    thinking, pairwise ratings, accuracy, language fidelity, cost and speed, judge reliability and
    caveats. Sections without data are skipped with the reason.

    Example: judge report --format html --out report.html
    """
    from .errors import ConfigError
    from .report import build_report, render
    from .store import Store

    if format not in ("terminal", "md", "html", "json"):
        raise ConfigError([f"--format: {format!r} is not terminal, md, html or json"])
    if db is None:
        from .config import load_config

        db = load_config(config).db_path
    with Store.open_readonly(db) as store:
        rep = build_report(store, models=_names(models), rubric=_names(rubric), judge=_names(judge),
                           lang=None if lang in (None, "both") else lang, category=_names(category),
                           seed=seed, n_boot=n_boot, note=note)
    if out_file is None and format == "terminal":
        render(rep, "terminal", console=out)
        return
    text = render(rep, format) or ""  # type: ignore[arg-type]
    if out_file is None:
        out.out(text, highlight=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"report written to {out_file}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the starter files if they exist.")] = False,
) -> None:
    """Start a project folder: a commented judge.toml, the rubrics, prompts and seed dataset.

    The judge.toml compares gpt-oss-120b (MXFP4) with Qwen3-30B-A3B (BF16) served by vLLM, with both
    reasoning efforts of gpt-oss and both thinking modes of Qwen3 as variants.

    Example: judge init myeval && cd myeval && judge serve --dry-run
    """
    from .project import init_project

    files = init_project(directory, force=force)
    err.print(f"wrote {len(files)} files to {directory}; next: cd {directory} && judge serve --dry-run")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Project folder for the demo.")] = Path("judge-demo"),
    quick: Annotated[bool, typer.Option("--quick", help="Three prompt pairs instead of six (CI runs this).")] = False,
    progress: ProgressOpt = True,
) -> None:
    """Run the whole pipeline on this CPU with a small embedded model, and print the report.

    Starts Qwen2.5-0.5B (shipped in a PyPI package) under llama.cpp, generates answers from two
    settings of it, grades them with it, prints the report and writes report.html.

    The verdicts of a 0.5B model show the pipeline working, not a real ranking.

    Example: judge demo --quick
    """
    import time

    from .demo import DEMO_NOTE, run_demo
    from .report import build_report, render
    from .store import Store

    t0 = time.monotonic()
    with _Tracker("demo", progress) as t:

        def step(msg: str) -> None:
            t.step(msg.split(" (")[0])
            if not (progress and sys.stderr.isatty()):
                err.print(f"[{time.monotonic() - t0:5.0f} s] {msg}")

        res = run_demo(directory, quick=quick, step=step, on_plan=t.on_plan, on_done=t.on_done)
    with Store.open_readonly(res.db) as store:
        render(build_report(store, note=DEMO_NOTE), "terminal", console=out)
    err.print(f"demo finished in {time.monotonic() - t0:.0f} s: {res.generated} answers, {res.graded} verdicts, "
              f"{res.errors} errors")
    err.print(f"HTML report: {res.html}")
    err.print(f"explore: cd {directory} && judge sql \"SELECT model, lang, criterion, avg(score) FROM scores GROUP BY ALL ORDER BY ALL\"")


@app.command()
def status(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    dataset: DatasetOpt = None,
    samples: Annotated[int, typer.Option(min=1, help="Samples per prompt to count against.")] = 1,
    format: FormatOpt = "table",
) -> None:
    """Done / failed / pending generations per model, against the dataset.

    Example: judge status --format markdown
    """
    from .config import load_config
    from .generate import status as run
    from .render import render_rows

    cfg = load_config(config)
    if dataset is None:
        _require_dataset(cfg)
    rows = run(cfg, dataset=dataset, samples=samples, models=_names(models))
    cols = ["model", "done", "failed", "pending", "total", "variant"]
    render_rows(cols, [tuple(r[c] for c in cols) for r in rows], format, out, title="generation status")  # type: ignore[arg-type]


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL over the views answers, scores, pairwise and the tables.")],
    config: ConfigOpt = Path("judge.toml"),
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default: from the config).")] = None,
    format: FormatOpt = "table",
) -> None:
    """Run a read-only SQL query against the store (writes are refused).

    Example: judge sql "SELECT model, lang, avg(score) FROM scores GROUP BY ALL" --format csv
    """
    from .render import render_rows
    from .store import Store

    if db is None:
        from .config import load_config

        db = load_config(config).db_path
    store = Store.open_readonly(db)
    try:
        cols, rows = store.query(query)
    finally:
        store.close()
    render_rows(cols, rows, format, out)  # type: ignore[arg-type]


@dataset_app.command("check")
def dataset_check(files: Annotated[list[Path], typer.Argument(help="JSONL files to validate.")]) -> None:
    """Validate datasets: JSON, known fields and types, unique ids, pairs, languages.

    Each problem is printed as file:line: field: message; exit code 2 if any.

    Example: judge dataset check datasets/seed.jsonl
    """
    from .dataset import load_items
    from .errors import DatasetError

    problems: list[str] = []
    for f in files:
        try:
            items = load_items(f)
            out.print(escape(f"{f}: {len(items)} items OK"), highlight=False, soft_wrap=True)
        except DatasetError as e:
            problems.extend(e.problems)
    if problems:
        raise DatasetError(problems)


@dataset_app.command("stats")
def dataset_stats(
    file: Annotated[Path, typer.Argument(help="Dataset JSONL.")],
    format: FormatOpt = "table",
) -> None:
    """Counts by language, category, difficulty; checkable and paired items.

    Example: judge dataset stats datasets/seed.jsonl
    """
    from .dataset import dataset_stats as stats, load_items
    from .render import render_rows

    st = stats(load_items(file))
    if format == "json":
        out.print_json(json.dumps(st, ensure_ascii=False))
        return
    rows = [(k, v) for k, v in st.items() if not isinstance(v, dict)]
    render_rows(["measure", "value"], rows, format, out, title=str(file))  # type: ignore[arg-type]
    for key in ("by_lang", "tasks_by_category", "by_category", "by_difficulty", "by_answer_type"):
        render_rows([key, "count"], list(st[key].items()), format, out)  # type: ignore[arg-type]


@dataset_app.command("import")
def dataset_import(
    file: Annotated[Path, typer.Argument(help="The file to import.")],
    format: Annotated[str, typer.Option("--format", help="mtbench or arena-hard.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Where to write our JSONL.")],
    lang: Annotated[str, typer.Option(help="Language of the imported prompts (ru or en).")] = "en",
) -> None:
    """Convert an MT-Bench question.jsonl or Arena-Hard question file into our JSONL format.

    Example: judge dataset import --format mtbench question.jsonl --out datasets/mtbench.jsonl
    """
    from . import importers
    from .errors import DatasetError

    if format == "mtbench":
        items = importers.import_mtbench(file, lang=lang)
    elif format in ("arena-hard", "arena_hard", "arenahard"):
        items = importers.import_arena_hard(file, lang=lang)
    else:
        raise DatasetError([f"--format: unknown format {format!r} (known: mtbench, arena-hard)"])
    importers.write_jsonl(items, out_file)
    out.print(f"wrote {len(items)} items to {out_file}")


def _render_error(e: JudgeError) -> None:
    # Messages quote file names, ids and values from user files: never rich markup.
    from .config import redact

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
