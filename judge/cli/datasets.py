"""`judge dataset check|stats|import` and `judge import-answers`: prompt files and answers from elsewhere."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from .app import (
    ConfigOpt,
    DatasetOpt,
    FormatOpt,
    app,
    dataset_app,
    err,
    out,
)


@dataset_app.command("check")
def dataset_check(
    files: Annotated[list[Path], typer.Argument(help="JSONL files to validate.")],
    rubrics: Annotated[
        Optional[list[Path]],
        typer.Option("--rubrics", help="Rubric files: warn about items none of them grades (repeat the option)."),
    ] = None,
) -> None:
    """Validate datasets: JSON, known fields and types, unique ids, pairs, languages.

    Each problem is printed as file:line: field: message; exit code 2 if any. With --rubrics, items
    that no given rubric applies to (by language and category) are listed as warnings: they would
    never be graded.

    Example: judge dataset check datasets/seed.jsonl --rubrics rubrics/reasoning_depth.yaml
    """
    from judge.dataset import check_files
    from judge.errors import DatasetError
    from judge.rubric import applies, load_rubric

    loaded = [load_rubric(r) for r in rubrics or []]
    problems: list[str] = []
    # together: the same id with other content, or one pair name, in two files is a problem
    for fc in check_files(files):
        if not fc.ok:
            problems.extend(fc.problems)
            continue
        f, items = fc.path, fc.items
        out.print(escape(f"{f}: {len(items)} items OK"), highlight=False, soft_wrap=True)
        if loaded:
            uncovered: dict[tuple[str, str], int] = {}
            for it in items:
                if not any(applies(r, it) for r in loaded):
                    uncovered[(it.lang, it.category)] = uncovered.get((it.lang, it.category), 0) + 1
            for (lang, category), n in sorted(uncovered.items()):
                names = ", ".join(r.name for r in loaded)
                err.print(
                    f"warning: {f}: {n} {lang} items of category {category!r} are graded by no rubric ({names})",
                    markup=False,
                )
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
    render_rows(["measure", "value"], rows, format, out, title=str(file))
    for key in ("by_lang", "tasks_by_category", "by_category", "by_difficulty", "by_answer_type"):
        render_rows([key, "count"], list(st[key].items()), format, out)


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


@app.command("import-answers")
def import_answers(
    file: Annotated[Path, typer.Argument(help="Answers: JSONL, or an Arena-Hard / MT-Bench model-answer file.")],
    model: Annotated[str, typer.Option("--model", help="The name the answers are stored and reported under.")],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl, arena-hard or mtbench.")] = "jsonl",
    config: ConfigOpt = Path("judge.toml"),
    dataset: DatasetOpt = None,
) -> None:
    """Store answers that judge did not generate, to grade and report them like any other.

    JSONL lines are {"prompt_id": ..., "answer": ..., "reasoning": ...?}; Arena-Hard and MT-Bench answer
    files are matched by question_id to the items `judge dataset import` made of their questions.
    A second import of the same file changes nothing.

    Example: judge import-answers answers/gpt-4.jsonl --model gpt-4 --format arena-hard
    """
    from judge.config import load_config
    from judge.dataset.answers import FORMATS
    from judge.errors import DatasetError
    from judge.external import import_answers as run

    if format not in FORMATS:
        raise DatasetError([f"--format: unknown format {format!r} (known: {', '.join(FORMATS)})"])
    s = run(load_config(config), file, model=model, fmt=format, dataset=dataset, argv=sys.argv[1:])  # type: ignore[arg-type]
    err.print(
        f"import-answers: {s.stored} answers stored for {s.model}, {s.already} already stored"
        + (f" (run {s.run_id})" if s.stored else ""),
        markup=False,
    )
