"""`judge dataset check|stats|import`: validate, summarise and import prompt files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .app import (
    FormatOpt,
    dataset_app,
    out,
)


@dataset_app.command("check")
def dataset_check(files: Annotated[list[Path], typer.Argument(help="JSONL files to validate.")]) -> None:
    """Validate datasets: JSON, known fields and types, unique ids, pairs, languages.

    Each problem is printed as file:line: field: message; exit code 2 if any.

    Example: judge dataset check datasets/seed.jsonl
    """
    from judge.dataset import load_items
    from judge.errors import DatasetError

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
    from judge.cli.output import render_rows
    from judge.dataset import dataset_stats as stats
    from judge.dataset import load_items

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
    from judge.dataset import importers
    from judge.errors import DatasetError

    if format == "mtbench":
        items = importers.import_mtbench(file, lang=lang)
    elif format in ("arena-hard", "arena_hard", "arenahard"):
        items = importers.import_arena_hard(file, lang=lang)
    else:
        raise DatasetError([f"--format: unknown format {format!r} (known: mtbench, arena-hard)"])
    importers.write_jsonl(items, out_file)
    out.print(f"wrote {len(items)} items to {out_file}")
