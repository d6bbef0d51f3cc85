"""Harness overhead: `judge generate` against a zero-latency fake server, beside a bare AsyncOpenAI loop.

The fake server (`python -m tests.fakes.server --port 0 --latency-ms 0`) runs as a separate process so
it does not share the client's GIL. Each trial runs in a fresh child process (so neither side
inherits the other's heap or warm caches); the sides alternate, and the median of each is reported.

- judge: `judge.generate.generate(load_config(tmp/judge.toml))` on a fresh database: the whole call
  (load and validate the dataset, plan and hash, open and migrate DuckDB, register, send, store).
  The send phase alone (from the plan callback to the return) is printed too.
- bare: `openai.AsyncOpenAI(max_retries=0)` and an `asyncio.Semaphore(C)`, the same requests
  (model, messages, max_tokens), results discarded.

    .venv/bin/python bench/harness_overhead.py                       # 5,000 requests, concurrency 64, 3 rounds
    .venv/bin/python bench/harness_overhead.py --requests 20000 --rounds 5
    .venv/bin/python bench/harness_overhead.py --profile judge.prof   # cProfile one judge run, then exit

Target: judge/bare >= 0.97 (throughput, medians). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# --judge-root DIR (children only) imports `judge` from another tree, for before/after comparisons.
_alt = sys.argv[sys.argv.index("--judge-root") + 1] if "--judge-root" in sys.argv[:-1] else None
sys.path.insert(0, _alt or str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MODEL = "fake-model"
MAX_TOKENS = 64


def _items(n: int) -> list[dict]:
    """n distinct prompts, alternately English and Russian (pairs), as dataset rows."""
    rows = []
    for i in range(n):
        pair, lang = divmod(i, 2)
        lang_s = ("en", "ru")[lang]
        q = (
            f"What is {pair} + {pair}? End with 'Answer: N'."
            if lang_s == "en"
            else f"Сколько будет {pair} + {pair}? Закончите строкой «Ответ: N»."
        )
        rows.append(
            {
                "id": f"t{pair:06d}-{lang_s}",
                "pair": f"t{pair:06d}",
                "lang": lang_s,
                "category": "arithmetic",
                "prompt": q,
                "reference": str(2 * pair),
                "answer": {"type": "number", "value": 2 * pair},
                "difficulty": "easy",
            }
        )
    return rows


def _write_project(d: Path, url: str, n: int, conc: int) -> Path:
    (d / "data.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _items(n)), encoding="utf-8"
    )
    cfg = d / "judge.toml"
    cfg.write_text(
        'db = "judge.duckdb"\ndataset = "data.jsonl"\n\n[[models]]\nname = "fake"\n'
        f'base_url = "{url}"\nmodel = "{MODEL}"\nconcurrency = {conc}\nmax_attempts = 1\n'
        f"params = {{temperature = 0.0, max_tokens = {MAX_TOKENS}}}\n",
        encoding="utf-8",
    )
    return cfg


# -- the two sides, each run in a child process --------------------------------------------------


def _child_judge(url: str, n: int, conc: int, profile: str | None, store: str = "as-is") -> dict:
    if store == "null":  # diagnostic: the harness without persistence
        from judge.store import Store

        Store.write_generations = lambda self, rows: None  # type: ignore[method-assign]
        Store.upsert_prompts = lambda self, rows: None  # type: ignore[method-assign]
    from judge.config import load_config
    from judge.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = _write_project(Path(tmp), url, n, conc)
        marks: dict[str, float] = {}
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        c0, t0 = time.process_time(), time.perf_counter()
        s = generate(load_config(cfg_path), on_plan=lambda k: marks.setdefault("plan", time.perf_counter()))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if prof is not None:
            prof.disable()
            prof.dump_stats(profile)
    send = wall - (marks["plan"] - t0)
    return {"side": "judge", "wall": wall, "send": send, "cpu": cpu, "ok": s.ok, "errors": s.errors}


def _child_bare(url: str, n: int, conc: int, profile: str | None = None) -> dict:
    import asyncio

    from openai import AsyncOpenAI

    rows = _items(n)

    async def run() -> tuple[int, int]:
        client = AsyncOpenAI(base_url=url, api_key="sk-no-key", max_retries=0)
        sem = asyncio.Semaphore(conc)
        ok = err = 0

        async def one(prompt: str) -> None:
            nonlocal ok, err
            async with sem:
                try:
                    r = await client.chat.completions.create(
                        model=MODEL,
                        messages=[{"role": "user", "content": prompt}],
                        temperature=0.0,
                        max_tokens=MAX_TOKENS,
                    )
                    _ = r.choices[0].message.content
                    ok += 1
                except Exception:
                    err += 1

        await asyncio.gather(*(one(r["prompt"]) for r in rows))
        await client.close()
        return ok, err

    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    c0, t0 = time.process_time(), time.perf_counter()
    ok, err = asyncio.run(run())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    return {"side": "bare", "wall": wall, "send": wall, "cpu": cpu, "ok": ok, "errors": err}


# -- driver ---------------------------------------------------------------------------------------


def _start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.server", "--port", "0", "--latency-ms", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"the fake server did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, url


def _stop_server(proc: subprocess.Popen[str]) -> dict:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    for line in reversed((err or "").splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def _trial(side: str, url: str, args: argparse.Namespace) -> dict:
    cmd = (
        [
            sys.executable,
            __file__,
            "--child",
            side,
            "--url",
            url,
            "--requests",
            str(args.requests),
            "--concurrency",
            str(args.concurrency),
        ]
        + ["--store", getattr(args, "store", "as-is")]
        + (["--judge-root", args.judge_root] if getattr(args, "judge_root", None) and side == "judge" else [])
    )
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{side} trial failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--requests", type=int, default=5000, help="requests per trial (default 5000)")
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    ap.add_argument("--rounds", type=int, default=3, help="trials per side, alternating (default 3)")
    ap.add_argument("--profile", metavar="FILE", help="cProfile one trial into FILE and print the top functions")
    ap.add_argument("--profile-side", choices=("judge", "bare"), default="judge", help="the side --profile runs")
    ap.add_argument(
        "--store",
        choices=("as-is", "null"),
        default="as-is",
        help="judge side's Store writes: as-is (default); null = answer/prompt writes skipped "
        "(diagnostic: the harness without persistence)",
    )
    ap.add_argument(
        "--judge-root",
        metavar="DIR",
        help="import the judge package from DIR (e.g. an export of an older commit) for the judge side",
    )
    ap.add_argument("--child", choices=("judge", "bare"), help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        fig = (
            _child_judge(args.url, args.requests, args.concurrency, args.profile_out, args.store)
            if args.child == "judge"
            else _child_bare(args.url, args.requests, args.concurrency, args.profile_out)
        )
        print(json.dumps(fig))
        return

    proc, url = _start_server()
    try:
        if args.profile:
            cmd = [
                sys.executable,
                __file__,
                "--child",
                args.profile_side,
                "--url",
                url,
                "--requests",
                str(args.requests),
                "--concurrency",
                str(args.concurrency),
                "--profile-out",
                args.profile,
            ]
            cmd += ["--store", args.store] + (["--judge-root", args.judge_root] if args.judge_root else [])
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            import pstats

            pstats.Stats(args.profile).sort_stats("tottime").print_stats(30)
            return
        # One untimed warm-up of each side: page cache, the server's first connections.
        _trial("bare", url, argparse.Namespace(requests=min(500, args.requests), concurrency=args.concurrency))
        _trial("judge", url, argparse.Namespace(requests=min(500, args.requests), concurrency=args.concurrency))
        res: dict[str, list[dict]] = {"judge": [], "bare": []}
        for i in range(args.rounds):
            for side in ("judge", "bare") if i % 2 == 0 else ("bare", "judge"):
                f = _trial(side, url, args)
                res[side].append(f)
                print(
                    f"  round {i + 1} {side:5}  {args.requests / f['wall']:8,.0f} req/s  wall {f['wall']:.2f} s"
                    f"  send {f['send']:.2f} s  cpu {1e6 * f['cpu'] / args.requests:6.0f} us/req"
                    f"  ok {f['ok']} err {f['errors']}",
                    flush=True,
                )
    finally:
        server = _stop_server(proc)

    n = args.requests
    med = {s: {k: statistics.median(f[k] for f in res[s]) for k in ("wall", "send", "cpu")} for s in res}
    j, b = n / med["judge"]["wall"], n / med["bare"]["wall"]
    js = n / med["judge"]["send"]
    print(
        f"machine      {os.cpu_count()} cores; server in its own process (cpu {server.get('server_cpu_s', '?')} s "
        f"over all trials, counts {server.get('counts', {})})"
    )
    print(f"judge store  {args.store}" + (f"; judge imported from {args.judge_root}" if args.judge_root else ""))
    print(f"workload     {n:,} requests, concurrency {args.concurrency}, {args.rounds} rounds each side, alternating")
    print(
        f"bare         {b:8,.0f} req/s  (median wall {med['bare']['wall']:.2f} s, "
        f"client cpu {1e6 * med['bare']['cpu'] / n:.0f} us/req)"
    )
    print(
        f"judge        {j:8,.0f} req/s  (median wall {med['judge']['wall']:.2f} s, of which send phase "
        f"{med['judge']['send']:.2f} s = {js:,.0f} req/s; client cpu {1e6 * med['judge']['cpu'] / n:.0f} us/req)"
    )
    print(f"ratio        judge/bare = {j / b:.3f} end to end; {js / b:.3f} send phase only  (target >= 0.97)")


if __name__ == "__main__":
    main()
