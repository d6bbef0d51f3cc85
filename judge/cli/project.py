"""`judge init` and `judge demo`: a starter project, and the whole pipeline on a tiny model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import (
    ProgressOpt,
    Tracker,
    app,
    err,
    out,
)


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
    from judge.project import init_project

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

    from judge.demo import DEMO_NOTE, run_demo
    from judge.report import build_report, render
    from judge.store import Store

    t0 = time.monotonic()
    with Tracker("demo", progress) as t:

        def step(msg: str) -> None:
            t.step(msg.split(" (")[0])
            if not (progress and sys.stderr.isatty()):
                err.print(f"[{time.monotonic() - t0:5.0f} s] {msg}")

        res = run_demo(directory, quick=quick, step=step, on_plan=t.on_plan, on_done=t.on_done)
    with Store.open_readonly(res.db) as store:
        render(build_report(store, note=DEMO_NOTE), "terminal", console=out)
    err.print(
        f"demo finished in {time.monotonic() - t0:.0f} s: {res.generated} answers, {res.graded} verdicts, "
        f"{res.errors} errors"
    )
    err.print(f"reports: {res.html} (HTML), {res.markdown} (Markdown)")
    err.print(
        f'explore: cd {directory} && judge sql "SELECT model, lang, criterion, avg(score) FROM scores GROUP BY ALL ORDER BY ALL"'
    )
