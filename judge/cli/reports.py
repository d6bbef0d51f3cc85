"""`judge report`, `judge status` and `judge sql`: reading the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import (
    ConfigOpt,
    DatasetOpt,
    FormatOpt,
    ModelsOpt,
    app,
    err,
    out,
    require_dataset,
    split_names,
)
from .run import print_gaps


@app.command()
def report(
    config: ConfigOpt = Path("judge.toml"),
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default: from the config).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="terminal, md, html or json.")] = "terminal",
    out_file: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of the terminal.")
    ] = None,
    models: ModelsOpt = None,
    rubric: Annotated[
        Optional[str], typer.Option("--rubric", "-r", help="Rubric names (name@version for an older one).")
    ] = None,
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
    caveats, after the answers to the questions above (precision cost, reasoning effort, Russian,
    English, the RU−EN gap, which model to run), decided only where the judge passes the validity
    gate ([report.gate] in judge.toml). Sections without data are skipped with the reason.

    Example: judge report --format html --out report.html
    """
    from judge.errors import ConfigError
    from judge.report import build_report, render
    from judge.store import Store

    format = {"markdown": "md", "table": "terminal"}.get(format, format)  # the words `sql --format` uses
    if format not in ("terminal", "md", "html", "json"):
        raise ConfigError([f"--format: {format!r} is not terminal, md (markdown), html or json"])
    from judge.config import load_config

    # The validity gate's thresholds come from [report.gate]; with --db and no config file, the defaults.
    cfg = None
    if db is None or config.is_file():
        cfg = load_config(config)
        db = db or cfg.db_path
    with Store.open_readonly(db) as store:
        rep = build_report(
            store,
            models=split_names(models),
            rubric=split_names(rubric),
            judge=split_names(judge),
            lang=None if lang in (None, "both") else lang,
            category=split_names(category),
            seed=seed,
            n_boot=n_boot,
            note=note,
            gate=cfg.report.gate if cfg else None,
            consensus=cfg.judge.consensus if cfg and cfg.judge else "mean",
        )
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
    from judge.cli.output import render_rows
    from judge.config import load_config
    from judge.generate import status as run

    cfg = load_config(config)
    if dataset is None:
        require_dataset(cfg)
    from judge.errors import StoreError
    from judge.store.progress import read_progress

    try:
        rows = run(cfg, dataset=dataset, samples=samples, models=split_names(models))
    except StoreError:
        # A running generate or grade holds the file; it writes its progress beside it.
        live = read_progress(cfg.db_path)
        if live is None:
            raise
        err.print(f"live: {live.line()}", markup=False)
        cols = ["model", "ok", "errors"]
        by = sorted(live.by_model.items())
        render_rows(
            cols, [(m, c.get("ok", 0), c.get("errors", 0)) for m, c in by], format, out, title="this run so far"
        )
        return
    cols = ["model", "done", "failed", "pending", "total", "variant"]
    render_rows(cols, [tuple(r[c] for c in cols) for r in rows], format, out, title="generation status")
    if cfg.judge is not None:
        from judge.dataset import load_items
        from judge.grade.plan import item_gaps, load_rubrics

        items = load_items(dataset or cfg.resolve(cfg.dataset))
        print_gaps(item_gaps(items, load_rubrics(cfg), [r["model"] for r in rows]))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL over the views answers, scores, pairwise and the tables.")],
    config: ConfigOpt = Path("judge.toml"),
    db: Annotated[Optional[Path], typer.Option(help="DuckDB file (default: from the config).")] = None,
    format: FormatOpt = "table",
) -> None:
    """Run a read-only SQL query against the store (writes are refused).

    SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN and PRAGMA table_info / show_tables run;
    anything that writes (a file, another database, a setting) is refused before it runs.

    Example: judge sql "SELECT model, lang, avg(score) FROM scores GROUP BY ALL" --format csv
    """
    from judge.cli.output import render_rows
    from judge.store.readonly import check_read_only, user_query

    # Before anything is opened: the read-only connection guards the database file, not the
    # files COPY TO would write or the databases ATTACH would open.
    check_read_only(query)
    if db is None:
        from judge.config import load_config

        db = load_config(config).db_path
    cols, rows = user_query(db, query)
    render_rows(cols, rows, format, out)
