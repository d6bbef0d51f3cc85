"""Harness overhead: `judge generate` against a zero-latency fake server, beside a bare AsyncOpenAI loop.

The fake server (`python -m tests.fakes.server --port 0 --latency-ms 0`) runs as a separate process so
it does not share the client's GIL. Each trial is a fresh process of its own; the sides alternate
(judge first in odd rounds, bare first in even ones) and the median of each side is reported.

Whole processes (the default, what the target is about): the clock runs from the process's start to
its exit, and CPU is the child's own user + system time (from `wait4`), imports and set-up included.

- judge: `python -m judge generate --no-progress` in a fresh project (a JSONL dataset, a judge.toml,
  no database yet): start-up and imports, config, dataset validation, plan and hash, open and migrate
  DuckDB, register, send, store every answer, record the run, exit.
- bare: `python -c <a bare loop>`: `openai.AsyncOpenAI(max_retries=0)` and an `asyncio.Semaphore(C)`
  over the same dataset file (model, messages, max_tokens), results discarded.

    .venv/bin/python bench/harness_overhead.py                        # 2,000 and 5,000 requests, conc. 64
    .venv/bin/python bench/harness_overhead.py --requests 5000 --rounds 5
    .venv/bin/python bench/harness_overhead.py --store null           # persistence off: the harness alone
    .venv/bin/python bench/harness_overhead.py --judge-root DIR       # judge from another tree (before/after)
    .venv/bin/python bench/harness_overhead.py --in-process           # old figure: timed after the imports
    .venv/bin/python bench/harness_overhead.py --profile judge.prof   # cProfile one judge process, then exit
    .venv/bin/python bench/harness_overhead.py --callgrind --requests 300 --before DIR   # instruction counts

Targets (issue 16): judge/bare throughput >= 0.97 and judge/bare client CPU per request <= 1.10.
Figures only; nothing is asserted.
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

# The bare side as a whole process: what a user would write with the SDK alone.
BARE = """
import asyncio, json, sys
from openai import AsyncOpenAI

url, path, conc, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(path, encoding="utf-8") as f:
    prompts = [json.loads(line)["prompt"] for line in f]

async def run():
    client = AsyncOpenAI(base_url=url, api_key="sk-no-key", max_retries=0)
    sem = asyncio.Semaphore(conc)
    ok = err = 0

    async def one(prompt):
        nonlocal ok, err
        async with sem:
            try:
                r = await client.chat.completions.create(
                    model=MODEL_ID, messages=[{"role": "user", "content": prompt}],
                    temperature=0.0, max_tokens=max_tokens)
                _ = r.choices[0].message.content
                ok += 1
            except Exception:
                err += 1

    await asyncio.gather(*(one(p) for p in prompts))
    await client.close()
    return ok, err

ok, err = asyncio.run(run())
print(f"bare: {ok} ok, {err} errors", file=sys.stderr)
""".replace("MODEL_ID", repr(MODEL))

# The judge side with persistence switched off (diagnostic): the CLI with the Store's writes stubbed.
JUDGE_NULL_STORE = """
import sys
from judge.store import Store
Store.write_generations = lambda self, rows, **kw: None
Store.upsert_prompts = lambda self, rows: None
sys.argv = ["judge", *sys.argv[1:]]
from judge.cli.main import main
main()
"""


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


# -- whole processes -------------------------------------------------------------------------------


def _env(side: str, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    if getattr(args, "pycache", None):
        # Both sides run from bytecode, as installed packages do (pip compiles them): openai's .pyc
        # ship in site-packages, while a shell with PYTHONDONTWRITEBYTECODE=1 would have judge
        # compile its ~50 modules from source at every start. The cache lives outside the tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = args.pycache
    if side != "bare":
        first = args.before if side == "before" else args.judge_root
        env["PYTHONPATH"] = os.pathsep.join(p for p in (first, str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _process_cmd(side: str, d: Path, url: str, args: argparse.Namespace) -> list[str]:
    if side == "bare":
        return [sys.executable, "-c", BARE, url, str(d / "data.jsonl"), str(args.concurrency), str(MAX_TOKENS)]
    cli = ["generate", "--config", str(d / "judge.toml"), "--no-progress"]
    if args.store == "null":
        return [sys.executable, "-c", JUDGE_NULL_STORE, *cli]
    return [sys.executable, "-m", "judge", *cli]


def _process_trial(side: str, url: str, n: int, args: argparse.Namespace) -> dict:
    """One side as a whole process in a fresh project; wall clock and the child's own CPU."""
    with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
        d = Path(tmp)
        _write_project(d, url, n, args.concurrency)
        cmd = _process_cmd(side, d, url, args)
        with open(d / "out.txt", "wb") as out, open(d / "err.txt", "wb") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=d, env=_env(side, args), stdout=out, stderr=err)
            _, status, ru = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
        code = proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, with its rusage
        text = (d / "err.txt").read_text(errors="replace")
        if code != 0:
            raise SystemExit(f"{side} trial failed ({code}):\n{text}")
        ok = _count(text, "ok" if side == "bare" else "answers")
        errors = _count(text, "errors")
    return {"side": side, "wall": wall, "send": wall, "cpu": ru.ru_utime + ru.ru_stime, "ok": ok, "errors": errors}


def _count(text: str, word: str) -> int:
    """N from the first "N word" in the child's closing line (-1 when missing)."""
    toks = text.replace(",", " ").split()
    for i in range(1, len(toks)):
        if toks[i] == word and toks[i - 1].isdigit():
            return int(toks[i - 1])
    return -1


# -- in-process (diagnostic): each trial a child process, timed after its imports -----------------


def _child_judge(url: str, n: int, conc: int, profile: str | None, store: str = "as-is") -> dict:
    if store == "null":  # diagnostic: the harness without persistence
        from judge.store import Store

        Store.write_generations = lambda self, rows, **kw: None  # type: ignore[method-assign]
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


def _child_cmd(side: str, url: str, n: int, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, __file__, "--child", side, "--url", url, "--requests", str(n)]
    cmd += ["--concurrency", str(args.concurrency), "--store", args.store]
    if args.judge_root and side == "judge":
        cmd += ["--judge-root", args.judge_root]
    return cmd


def _in_process_trial(side: str, url: str, n: int, args: argparse.Namespace) -> dict:
    out = subprocess.run(_child_cmd(side, url, n, args), cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{side} trial failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- driver ---------------------------------------------------------------------------------------


def _start_server() -> tuple[subprocess.Popen[str], str]:
    from tests.fakes.server import spawn

    try:
        return spawn("--latency-ms", "0")
    except RuntimeError as e:
        raise SystemExit(str(e)) from None


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


def _profile(url: str, args: argparse.Namespace) -> None:
    n = args.requests[0]
    if args.in_process:
        cmd = _child_cmd(args.profile_side, url, n, args) + ["--profile-out", args.profile]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    else:
        with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
            d = Path(tmp)
            _write_project(d, url, n, args.concurrency)
            cmd = _process_cmd(args.profile_side, d, url, args)
            cmd[1:1] = ["-m", "cProfile", "-o", str(Path(args.profile).resolve())]
            if cmd[5] == "-c":  # cProfile runs a file or a module, not -c
                script = d / "side.py"
                script.write_text(cmd[6], encoding="utf-8")
                cmd[5:7] = [str(script)]
            env = _env(args.profile_side, args)
            subprocess.run(cmd, cwd=d, env=env, check=True, capture_output=True)
    import pstats

    pstats.Stats(args.profile).sort_stats("tottime").print_stats(30)


def _callgrind(url: str, n: int, sides: list[str], args: argparse.Namespace) -> None:
    """Each side once under callgrind (instructions executed, threads included): a count that does
    not move with the machine's load, unlike times. A warm-up run of each side fills the bytecode
    cache first; then the same fresh project is measured."""
    import re
    import shutil

    if shutil.which("valgrind") is None:
        raise SystemExit("--callgrind needs valgrind on PATH")
    for side in sides:
        with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
            d = Path(tmp)
            _write_project(d, url, n, args.concurrency)
            cmd = _process_cmd(side, d, url, args)
            env = _env(side, args)
            subprocess.run(cmd, cwd=d, env=env, check=True, capture_output=True)  # warm the bytecode cache
            (d / "judge.duckdb").unlink(missing_ok=True)
            (d / "judge.duckdb.wal").unlink(missing_ok=True)
            out = d / "callgrind.out"
            vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
            r = subprocess.run(vg + cmd, cwd=d, env=env, capture_output=True, text=True, check=False)
            m = re.findall(r"Collected : (\d+)", r.stderr)
            if r.returncode != 0 or not m:
                raise SystemExit(f"{side} under callgrind failed ({r.returncode}):\n{r.stderr[-2000:]}")
            ir = int(m[-1])
            print(
                f"{n:>6} req   {side:6} {ir / 1e9:7.3f} G instructions  ({ir / n / 1e6:6.2f} M per request)", flush=True
            )


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument(
        "--requests", type=int, nargs="+", default=[2000, 5000], help="requests per trial (default 2000 5000)"
    )
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    ap.add_argument("--rounds", type=int, default=3, help="trials per side and size, alternating (default 3)")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="time each side from after its imports (child processes running generate() in-process) "
        "instead of whole processes",
    )
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
    ap.add_argument(
        "--before",
        metavar="DIR",
        help="a third side, alternating with the other two: judge imported from DIR (e.g. `git archive HEAD judge`"
        " unpacked there), so one run gives the before and after figures (whole processes only)",
    )
    ap.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run the children with the caller's bytecode settings (by default both sides get a shared "
        "PYTHONPYCACHEPREFIX in a temp dir, warmed by the untimed first trials, and PYTHONDONTWRITEBYTECODE unset)",
    )
    ap.add_argument(
        "--callgrind",
        action="store_true",
        help="count the instructions of one process of each side under valgrind's callgrind (load-independent;"
        " about 50x slower: use --requests 300)",
    )
    ap.add_argument("--child", choices=("judge", "bare"), help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        n = args.requests[0]
        fig = (
            _child_judge(args.url, n, args.concurrency, args.profile_out, args.store)
            if args.child == "judge"
            else _child_bare(args.url, n, args.concurrency, args.profile_out)
        )
        print(json.dumps(fig))
        return

    trial = _in_process_trial if args.in_process else _process_trial
    pycache = None if args.no_bytecode_cache else tempfile.TemporaryDirectory(prefix="judge-bench-pycache-")
    args.pycache = pycache.name if pycache else None
    if args.before and args.in_process:
        ap.error("--before compares whole processes: drop --in-process")
    sides = ["judge", "bare", *(["before"] if args.before else [])]
    proc, url = _start_server()
    load_before = _loadavg()
    results: dict[int, dict[str, list[dict]]] = {}
    try:
        if args.profile:
            _profile(url, args)
            return
        if args.callgrind:
            for n in args.requests:
                _callgrind(url, n, sides, args)
            return
        # One untimed warm-up of each side: page cache, bytecode cache, the server's first connections.
        for side in sides:
            trial(side, url, min(500, min(args.requests)), args)
        for n in args.requests:
            res = results[n] = {side: [] for side in sides}
            for i in range(args.rounds):
                # the order rotates: each side goes first (and last) in turn
                for side in sides[i % len(sides) :] + sides[: i % len(sides)]:
                    f = trial(side, url, n, args)
                    res[side].append(f)
                    print(
                        f"  {n:>6} req  round {i + 1} {side:5}  {n / f['wall']:8,.0f} req/s  wall {f['wall']:.2f} s"
                        f"  cpu {f['cpu']:.2f} s = {1e6 * f['cpu'] / n:6.0f} us/req  ok {f['ok']} err {f['errors']}",
                        flush=True,
                    )
    finally:
        server = _stop_server(proc)
        if pycache is not None:
            pycache.cleanup()

    print(f"machine      {os.cpu_count()} cores; load average {load_before} before, {_loadavg()} after")
    print(f"server       its own process; cpu {server.get('server_cpu_s', '?')} s, counts {server.get('counts', {})}")
    print(
        f"judge        {'in-process (timed after imports)' if args.in_process else 'whole processes'}; store "
        f"{args.store}"
        + (f"; judge imported from {args.judge_root}" if args.judge_root else "")
        + (f"; before = judge imported from {args.before}" if args.before else "")
    )
    print(
        f"bytecode     {'as the caller has it' if args.no_bytecode_cache else 'cached for both sides (PYTHONPYCACHEPREFIX)'}"
    )
    print(f"workload     concurrency {args.concurrency}, {args.rounds} rounds each side, alternating; medians")
    print(
        "ratios       of the medians; [in brackets: the median of each round's own ratio, the sides run back to back]"
    )
    for n, res in results.items():
        med = {s: {k: statistics.median(f[k] for f in res[s]) for k in ("wall", "send", "cpu")} for s in res}
        b, bc = n / med["bare"]["wall"], 1e6 * med["bare"]["cpu"] / n
        print(f"{n:>6} req   bare   {b:6,.0f} req/s {bc:5,.0f} us/req")
        for side in [s for s in res if s != "bare"]:
            j, jc = n / med[side]["wall"], 1e6 * med[side]["cpu"] / n
            paired_t = statistics.median(b_["wall"] / j_["wall"] for j_, b_ in zip(res[side], res["bare"]))
            paired_c = statistics.median(j_["cpu"] / b_["cpu"] for j_, b_ in zip(res[side], res["bare"]))
            extra = f"; send phase only {n / med[side]['send'] / b:.3f}" if args.in_process else ""
            print(
                f"{n:>6} req   {side:6} {j:6,.0f} req/s {jc:5,.0f} us/req | throughput ratio {j / b:.3f} [{paired_t:.3f}]"
                f" (>= 0.97)  cpu/req ratio {jc / bc:.3f} [{paired_c:.3f}] (<= 1.10){extra}"
            )


if __name__ == "__main__":
    main()
