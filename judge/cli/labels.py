"""`judge labels export|import`: a blind sample for linguists to label, and their labels back in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from .app import ConfigOpt, app, err, out

labels_app = typer.Typer(
    help="Labels from linguists: export a blind sample of graded answers, import the filled files.",
    no_args_is_help=True,
)
app.add_typer(labels_app, name="labels")


@labels_app.command("export")
def labels_export(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="x.csv or x.jsonl writes that file; any other path writes both <path>.csv and <path>.jsonl.",
        ),
    ],
    config: ConfigOpt = Path("judge.toml"),
    rubric: Annotated[
        Optional[list[str]],
        typer.Option("--rubric", "-r", help="A rubric name (repeat the option), or `all` (the default)."),
    ] = None,
    n: Annotated[
        Optional[int], typer.Option("--n", help="Items per stratum (model × language × criterion); default 20.")
    ] = None,
    total: Annotated[
        Optional[int], typer.Option("--total", help="Items in all, spread evenly over the strata (instead of --n).")
    ] = None,
    seed: Annotated[int, typer.Option(help="The sample and its order: the same seed gives the same file.")] = 0,
    skip_exported: Annotated[
        bool, typer.Option("--skip-exported", help="Leave out items an earlier export already holds (to add labels).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Write a blind, shuffled sample of graded answers for linguists to score.

    Stratified by model × language × criterion; each row has an opaque label_id, the prompt, the
    answer, the criterion's text and the rubric's anchors (in the language the rubric instructs the
    judge in), and empty score, comment and annotator columns. No model name, no judge score. The
    CSV opens in a spreadsheet (UTF-8 with BOM; cells that look like formulas get a leading
    apostrophe); the JSONL holds the exact texts. Give the same file to two linguists to measure
    their own agreement, the ceiling for the judge's.

    Example: judge labels export --rubric russian_fluency --n 30 --out labels/batch1
    """
    from judge.config import load_config
    from judge.labels import export_labels
    from judge.labels.export import describe

    s = export_labels(
        load_config(config),
        out_path,
        rubrics=rubric,
        per_stratum=n,
        total=total,
        seed=seed,
        skip_exported=skip_exported,
        force=force,
        argv=sys.argv[1:],
    )
    for stratum, asked, got in s.short:
        err.print(f"note: {describe(stratum)}: {got} of {asked} (no more graded)", markup=False, highlight=False)
    if s.naming:
        err.print(
            f"warning: {s.naming} exported answers name a model in their own text (self-identification); "
            "they are exported as written",
            markup=False,
            highlight=False,
        )
    files = " and ".join(str(p) for p in s.files)
    out.print(
        escape(f"wrote {s.rows} rows ({s.answers} answers, {s.strata} strata) to {files}; export {s.export_id}"),
        highlight=False,
        soft_wrap=True,
    )


@labels_app.command("import")
def labels_import(
    files: Annotated[list[Path], typer.Argument(help="Filled label files: CSV or JSONL, as exported.")],
    annotator: Annotated[
        Optional[str],
        typer.Option("--annotator", "-a", help="Who labelled them (for rows whose annotator column is empty)."),
    ] = None,
    config: ConfigOpt = Path("judge.toml"),
) -> None:
    """Store the scores linguists filled in, after checking every row of every file.

    Each problem is printed as file:line: field: message (unknown label_id, a score off the scale or
    not an integer, n/a where the criterion does not allow it, no annotator, an item labelled twice,
    a rubric changed since the export) and nothing is stored (exit code 2). Rows with an empty score
    are skipped. Importing a file again replaces its labels, never duplicates them. `judge report`
    then shows the judge's agreement with them in Judge reliability.

    Example: judge labels import labels/batch1.csv --annotator anna
    """
    from judge.config import load_config
    from judge.labels import import_labels

    s = import_labels(load_config(config), files, annotator=annotator)
    for note in s.notes:
        err.print(f"note: {note}", markup=False, highlight=False)
    out.print(
        escape(
            f"stored {s.new + s.replaced} labels ({s.new} new, {s.replaced} replaced); "
            f"{s.empty} rows without a score skipped"
        ),
        highlight=False,
        soft_wrap=True,
    )
