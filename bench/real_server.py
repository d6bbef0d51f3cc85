"""Real-server throughput: `judge generate` beside a bare AsyncOpenAI loop against llama.cpp (and vLLM).

Starts the embedded llama.cpp server (`judge.serve.embedded.LlamaCppServer`, SmolLM2-135M, 4 slots) and,
with `--vllm`, vLLM on the CPU (the command `judge.serve.serve_command` builds, SmolLM2 dequantized
in .vllm-venv/models/smollm2-hf). Both sides send the same prompts (the first seed items) with the
same concurrency, temperature 0, `max_tokens` and `extra_body={"ignore_eos": true}`, so every request
decodes exactly `max_tokens` tokens and both sides do equal work. The sides alternate; the median
of each is reported, in completion tokens/s and requests/s. Every server started here is stopped.

- judge: `judge.generate.generate` with a config in a temp dir, a fresh database per trial;
  completion tokens are summed from the stored rows.
- bare: `openai.AsyncOpenAI(max_retries=0)` and an `asyncio.Semaphore(C)`; tokens from `usage`.

    .venv/bin/python bench/real_server.py                        # llama.cpp: 32 requests x 64 tokens, 3 rounds
    .venv/bin/python bench/real_server.py --vllm                 # and then vLLM (64 requests by default)
    .venv/bin/python bench/real_server.py --base-url http://127.0.0.1:8080/v1 --model smollm2   # a running server

Target: judge/bare >= 0.95 (completion tokens/s, medians). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judge.dataset import load_items  # noqa: E402


def _prompts(n: int) -> list[dict]:
    rows = [it.model_dump(exclude_none=True) for it in load_items(ROOT / "datasets" / "seed.jsonl")]
    return (rows * (n // len(rows) + 1))[:n] if n > len(rows) else rows[:n]


def _project(d: Path, url: str, model: str, rows: list[dict], conc: int, max_tokens: int) -> Path:
    (d / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    cfg = d / "judge.toml"
    cfg.write_text(
        'db = "judge.duckdb"\ndataset = "data.jsonl"\n\n[[models]]\nname = "bench"\n'
        f'base_url = "{url}"\nmodel = "{model}"\nconcurrency = {conc}\nmax_attempts = 1\ntimeout = 900\n'
        f"params = {{temperature = 0.0, max_tokens = {max_tokens}}}\nextra_body = {{ignore_eos = true}}\n",
        encoding="utf-8",
    )
    return cfg


def run_judge(url: str, model: str, rows: list[dict], conc: int, max_tokens: int) -> dict:
    from judge.config import load_config
    from judge.generate import generate
    from judge.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = _project(Path(tmp), url, model, rows, conc, max_tokens)
        t0 = time.perf_counter()
        s = generate(load_config(cfg_path))
        wall = time.perf_counter() - t0
        with Store.open_readonly(Path(tmp) / "judge.duckdb") as st:
            toks = st.query("SELECT coalesce(sum(completion_tokens), 0) FROM generations WHERE status = 'ok'")[1][0][0]
    return {"wall": wall, "tokens": int(toks), "ok": s.ok, "errors": s.errors}


def run_bare(url: str, model: str, rows: list[dict], conc: int, max_tokens: int) -> dict:
    from openai import AsyncOpenAI

    async def go() -> dict:
        client = AsyncOpenAI(base_url=url, api_key="sk-no-key", max_retries=0, timeout=900)
        sem = asyncio.Semaphore(conc)
        toks = ok = err = 0

        async def one(r: dict) -> None:
            nonlocal toks, ok, err
            msgs = ([{"role": "system", "content": r["system"]}] if r.get("system") else []) + [
                {"role": "user", "content": r["prompt"]}
            ]
            async with sem:
                try:
                    resp = await client.chat.completions.create(
                        model=model,
                        messages=msgs,
                        temperature=0.0,
                        max_tokens=max_tokens,
                        extra_body={"ignore_eos": True},
                    )
                    toks += resp.usage.completion_tokens if resp.usage else 0
                    ok += 1
                except Exception:
                    err += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(r) for r in rows))
        wall = time.perf_counter() - t0
        await client.close()
        return {"wall": wall, "tokens": toks, "ok": ok, "errors": err}

    return asyncio.run(go())


def compare(label: str, url: str, model: str, args: argparse.Namespace, n: int) -> dict:
    rows = _prompts(n)
    # Warm-up (untimed): every prompt once with a 1-token answer, so the first timed trial does not
    # pay the server's cold start and both sides find the same caches.
    run_bare(url, model, rows, args.concurrency, 1)
    res: dict[str, list[dict]] = {"judge": [], "bare": []}
    for i in range(args.rounds):
        for side in ("judge", "bare") if i % 2 == 0 else ("bare", "judge"):
            f = (run_judge if side == "judge" else run_bare)(url, model, rows, args.concurrency, args.max_tokens)
            res[side].append(f)
            print(
                f"  {label} round {i + 1} {side:5} {f['tokens'] / f['wall']:7.1f} tok/s  {f['ok'] / f['wall']:6.2f} req/s"
                f"  wall {f['wall']:6.1f} s  tokens {f['tokens']}  ok {f['ok']} err {f['errors']}",
                flush=True,
            )
    med = {
        s: {
            "tps": statistics.median(f["tokens"] / f["wall"] for f in res[s]),
            "rps": statistics.median(f["ok"] / f["wall"] for f in res[s]),
        }
        for s in res
    }
    ratio = med["judge"]["tps"] / med["bare"]["tps"]
    print(
        f"{label:9} {n} requests x {args.max_tokens} tokens (ignore_eos), concurrency {args.concurrency}, "
        f"{args.rounds} rounds each side"
    )
    print(f"{'':9} bare  {med['bare']['tps']:7.1f} tok/s  {med['bare']['rps']:6.2f} req/s")
    print(f"{'':9} judge {med['judge']['tps']:7.1f} tok/s  {med['judge']['rps']:6.2f} req/s")
    print(f"{'':9} ratio judge/bare = {ratio:.3f} (tokens/s; target >= 0.95)", flush=True)
    return med


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def bench_vllm(args: argparse.Namespace) -> None:
    from judge.config import ModelConfig, ServeSpec
    from judge.serve import serve_command
    from judge.serve.embedded import free_port, wait_ready

    port = free_port()
    hf = ROOT / ".vllm-venv" / "models" / "smollm2-hf"
    m = ModelConfig(
        name="smollm2-vllm",
        base_url=f"http://127.0.0.1:{port}/v1",
        model="smollm2",
        serve=ServeSpec(engine="vllm", model=str(hf), args=["--max-model-len", "2048"]),
    )
    cmd = serve_command(m)
    log = Path(tempfile.gettempdir()) / f"bench-vllm-{port}.log"
    print(f"vllm      starting: {cmd.shell()[:160]}… (log {log})", flush=True)
    t0 = time.perf_counter()
    with log.open("wb") as logf:
        proc = subprocess.Popen(
            cmd.argv,
            env={**os.environ, **cmd.env},
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(cmd.base_url, proc, 900, log)
        print(f"vllm      ready in {time.perf_counter() - t0:.0f} s", flush=True)
        compare("vllm", cmd.base_url, "smollm2", args, args.vllm_requests)
    finally:
        _stop_group(proc)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--requests", type=int, default=32, help="requests per trial against llama.cpp (default 32)")
    ap.add_argument("--max-tokens", type=int, default=64, help="completion tokens per request (default 64)")
    ap.add_argument("--concurrency", type=int, default=4, help="requests in flight, both sides (default 4 = slots)")
    ap.add_argument("--rounds", type=int, default=3, help="trials per side, alternating (default 3)")
    ap.add_argument("--vllm", action="store_true", help="also benchmark vLLM on the CPU (.vllm-venv)")
    ap.add_argument("--vllm-requests", type=int, default=64, help="requests per trial against vLLM (default 64)")
    ap.add_argument("--no-llamacpp", action="store_true", help="skip llama.cpp (with --vllm: vLLM only)")
    ap.add_argument("--base-url", help="benchmark this running server instead of starting llama.cpp")
    ap.add_argument("--model", default="smollm2", help="model id for --base-url (default smollm2)")
    args = ap.parse_args()

    if args.base_url:
        compare("server", args.base_url, args.model, args, args.requests)
    elif not args.no_llamacpp:
        from judge.serve.embedded import LlamaCppServer, model_path

        srv = LlamaCppServer(model_path("smollm2"), alias="smollm2", n_parallel=4)
        t0 = time.perf_counter()
        srv.start()
        try:
            print(
                f"llama.cpp ready in {time.perf_counter() - t0:.0f} s at {srv.base_url} (SmolLM2-135M Q4_1, 4 slots)",
                flush=True,
            )
            compare("llama.cpp", srv.base_url, "smollm2", args, args.requests)
        finally:
            srv.stop()
    if args.vllm:
        bench_vllm(args)


if __name__ == "__main__":
    main()
