"""The demo's time, phase by phase, with and without the rubric prefix shared across llama.cpp slots.

Writes the `judge demo` project (full, or `--quick`), starts the embedded llama.cpp server as the demo
does, generates the answers once (timed), then grades the same answers alternately with prefix
sharing off (each slot reads the rubric itself: the baseline) and on (judge/model/prefix.py), a
fresh server for every grading run so no run inherits another's cache. Prints seconds per phase and
the ratio on/off measured in the same run.

    .venv/bin/python bench/demo_grading.py --quick --rounds 1
    .venv/bin/python bench/demo_grading.py --rounds 1          # the full demo: tens of minutes
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judge.config import load_config  # noqa: E402
from judge.demo import CTX_PER_SLOT, PARALLEL, write_demo_project  # noqa: E402
from judge.generate import generate  # noqa: E402
from judge.grade import grade  # noqa: E402
from judge.model import prefix  # noqa: E402
from judge.serve.embedded import LlamaCppServer, free_port, model_path  # noqa: E402


def _server(port: int, log: Path) -> LlamaCppServer:
    return LlamaCppServer(
        model_path("qwen2.5-0.5b"),
        alias="qwen2.5-0.5b",
        port=port,
        n_parallel=PARALLEL,
        ctx_per_slot=CTX_PER_SLOT,
        log=log,
        exit_with_parent=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the quick demo's three pairs")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="default: a new temp dir")
    args = ap.parse_args()
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="demo-grading-"))).resolve()
    port = free_port()
    cfg_path = write_demo_project(work, quick=args.quick, port=port)
    cfg = load_config(cfg_path)
    t0 = time.perf_counter()
    with _server(port, work / "server-generate.log"):
        started = time.perf_counter()
        g = generate(cfg, models=["qwen0.5b-plain", "qwen0.5b-stepwise"])
        gen_s = time.perf_counter() - started
    print(f"server start + generate: {time.perf_counter() - t0:.0f} s (generate {gen_s:.0f} s, {g.ok} answers)")
    answers_db = work / "answers.duckdb"
    shutil.copy(cfg.db_path, answers_db)

    real_share = prefix.PrefixSharer.share

    async def no_share(self: prefix.PrefixSharer, messages: object, model: str) -> bool:
        return False

    times: dict[str, list[float]] = {"off": [], "on": []}
    shared: dict[str, int] = {}
    for rnd in range(args.rounds):
        for variant in ("off", "on"):
            shutil.copy(answers_db, cfg.db_path)
            prefix.PrefixSharer.share = real_share if variant == "on" else no_share  # type: ignore[method-assign]
            with _server(port, work / f"server-grade-{variant}-{rnd}.log"):
                started = time.perf_counter()
                r = grade(cfg)
                secs = time.perf_counter() - started
            times[variant].append(secs)
            shared[variant] = r.ok + r.errors
            print(f"round {rnd + 1} sharing {variant:3}: grade {secs:6.0f} s, {r.ok} verdicts, {r.errors} errors")
    prefix.PrefixSharer.share = real_share  # type: ignore[method-assign]
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"\n{'demo' if not args.quick else 'quick demo'}: {g.ok} answers, {shared['on']} verdicts per grading run")
    print(f"{'phase':32} {'seconds':>8}")
    print(f"{'generate (4 slots)':32} {gen_s:8.0f}")
    print(f"{'grade, prefix read per slot':32} {off:8.0f}")
    print(f"{'grade, prefix shared':32} {on:8.0f}   ratio on/off {on / off:.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; work dir {work}")


if __name__ == "__main__":
    main()
