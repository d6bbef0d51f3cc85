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
    for key in (
        "by_lang",
        "unpaired_by_lang",
        "tasks_by_category",
        "by_category",
        "tasks_by_difficulty",
        "by_difficulty",
        "by_answer_type",
        "choice_positions",
    ):
        render_rows([key, "count"], list(st[key].items()), format, out)


@dataset_app.command("import")
def dataset_import(
    file: Annotated[Path, typer.Argument(help="The question file to import.")],
    format: Annotated[str, typer.Option("--format", help="mtbench or arena-hard.")],
    out_file: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Where to write our JSONL (default: standard output).")
    ] = None,
    lang: Annotated[
        Optional[str],
        typer.Option(help="Language of the imported prompts (ru or en; default en). Not with --pair-with."),
    ] = None,
    pair_with: Annotated[
        Optional[Path],
        typer.Option(
            "--pair-with",
            help="The same questions in the other language (same format): join both files by question_id "
            "into RU/EN pairs. Each file's language is detected from its prompts.",
        ),
    ] = None,
) -> None:
    """Convert an MT-Bench question.jsonl or Arena-Hard question file into our JSONL format.

    Items are `arena-<question_id>` or `mtbench-<question_id>`. With --pair-with, both files are
    joined by question_id: each question becomes a pair of that name with two items, `<pair>-ru`
    and `<pair>-en`. One file must be Russian and the other English (told from the prompts); a
    question in only one file, a repeated question_id or a bad line is reported as
    file:line: field: message, exit code 2, and nothing is written.

    Example: judge dataset import --format mtbench question.jsonl --out datasets/mtbench.jsonl

    Example: judge dataset import --format arena-hard hard_ru.jsonl --pair-with hard_en.jsonl -o datasets/arena_hard_ru_en.jsonl
    """
    from judge.dataset import importers
    from judge.errors import DatasetError

    fmt = importers.FORMAT_ALIASES.get(format, format)
    if fmt not in importers.FORMATS:
        raise DatasetError([f"--format: unknown format {format!r} (known: mtbench, arena-hard)"])
    if pair_with is not None:
        if lang is not None:
            raise DatasetError(["--lang: not with --pair-with: the language of each file is detected from its prompts"])
        paired = importers.import_paired(file, pair_with, fmt=fmt)
        for path, vote in paired.langs.items():
            err.print(f"{path}: {vote.lang} ({vote.describe()})", markup=False, highlight=False)
        items, what = paired.items, f"{len(paired.items)} items ({paired.pairs} RU/EN pairs)"
    else:
        reader = importers.import_mtbench if fmt == "mtbench" else importers.import_arena_hard
        items = reader(file, lang=lang or "en")
        what = f"{len(items)} items"
    if out_file is None:
        text = importers.dumps_jsonl(items)
        buffer = getattr(sys.stdout, "buffer", None)  # UTF-8 whatever the locale says
        if buffer is not None:
            sys.stdout.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        else:
            sys.stdout.write(text)
        err.print(f"wrote {what} to standard output", markup=False, highlight=False)
        return
    importers.write_jsonl(items, out_file)
    out.print(escape(f"wrote {what} to {out_file}"), highlight=False, soft_wrap=True)


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
