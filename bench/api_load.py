"""Load on `judge api` (loopback, zero-latency fake judge) beside calling the judge directly, in one run.

Three processes: the fake judge (`python -m tests.fakes.server --latency-ms 0`), a real `judge api`
(uvicorn) on 127.0.0.1, and this load client (httpx, `--concurrency` requests in flight). Each
side sends `--requests` requests with distinct answers (each one a real grading, not a read-back):

- direct: the judge's own request (the rubric's system and user messages, the verdict's JSON
  schema, logprobs) posted to the fake judge: what a client calling the judge itself would pay;
- api: `POST /v1/grade` with the same answers: validation, planning, the judge call through
  instructor and the retry policy, the verdict's rows written to DuckDB, the response.

Printed: requests/s, p50/p99 latency of each side, their ratio, the overhead per request
(p50 difference), and the service's CPU per request (from /proc). Figures only; nothing asserted.

    .venv/bin/python bench/api_load.py                       # 400 requests, 16 in flight
    .venv/bin/python bench/api_load.py --requests 2000 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _body(i: int) -> dict[str, Any]:
    return {
        "prompt": f"What is {i} + {i}? Explain, then end with 'Answer: N'.",
        "answer": f"Adding {i} to itself doubles it, so the sum is {2 * i}.\nAnswer: {2 * i}",
        "lang": "en",
        "rubric": "reasoning_depth",
    }


def _judge_request(project: Path, i: int) -> dict[str, Any]:
    """The chat request the judge gets for answer i, built by the grading code (no service involved)."""
    from judge.config import load_config
    from judge.dataset import Item
    from judge.grade.plan import load_rubrics
    from judge.grade.verdicts import verdict_model
    from judge.prompts import render_single
    from judge.rubric import max_tokens_for

    cfg = load_config(project / "judge.toml")
    (r,) = load_rubrics(cfg, ["reasoning_depth"])
    b = _body(i)
    item = Item(id=f"b{i}", lang="en", category=r.applies_to.categories[0], prompt=b["prompt"])  # type: ignore[index]
    cap = 300
    schema = verdict_model("single", r, cap).model_json_schema()
    return {
        "model": "judge-model",
        "messages": render_single(r, item, b["answer"], lang="en", rationale_cap=cap),
        "response_format": {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}},
        "max_tokens": max_tokens_for(r, cap),
        "temperature": 0.0,
        "logprobs": True,
        "top_logprobs": 5,
    }


async def _load(url: str, bodies: list[dict[str, Any]], concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every body (POST), `concurrency` at a time: (seconds, latencies in ms, count by status)."""
    lat: list[float] = []
    codes: dict[int, int] = {}
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(body: dict[str, Any]) -> None:
            async with sem:
                t0 = time.perf_counter()
                r = await client.post(url, json=body)
                lat.append((time.perf_counter() - t0) * 1000)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - t0, lat, codes


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=16)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="judge-api-load-"))
    procs: list[subprocess.Popen[str]] = []
    try:
        from tests.fakes.server import spawn

        fake, judge_url = spawn("--latency-ms", "0")
        procs.append(fake)
        shutil.copytree(ROOT / "rubrics", tmp / "rubrics")
        (tmp / "judge.toml").write_text(
            f'db = "judge.duckdb"\n\n[[models]]\nname = "judge"\nbase_url = "{judge_url}"\nmodel = "judge-model"\n'
            f'concurrency = {a.concurrency}\n\n[judge]\nmodel = "judge"\n'
            'rubrics = ["rubrics/reasoning_depth.yaml"]\n\n[api]\ntoken_envs = []\n',
            encoding="utf-8",
        )
        port = _free_port()
        api = subprocess.Popen(
            [sys.executable, "-m", "judge.cli", "api", "--config", str(tmp / "judge.toml"), "--port", str(port)],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        procs.append(api)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        n, c = a.requests, a.concurrency
        direct_bodies = [_judge_request(tmp, i) for i in range(n + 20)]
        api_bodies = [_body(i) for i in range(n + 20)]
        # warm-up: connections, the service's first database open, instructor's first schema build
        asyncio.run(_load(f"{judge_url}/chat/completions", direct_bodies[n:], c))
        asyncio.run(_load(f"{base}/v1/grade", api_bodies[n:], c))
        d_s, d_lat, d_codes = asyncio.run(_load(f"{judge_url}/chat/completions", direct_bodies[:n], c))
        cpu0 = _cpu_seconds(api.pid)
        a_s, a_lat, a_codes = asyncio.run(_load(f"{base}/v1/grade", api_bodies[:n], c))
        cpu = _cpu_seconds(api.pid) - cpu0
        rows = [("direct (fake judge)", d_s, d_lat, d_codes), ("api (POST /v1/grade)", a_s, a_lat, a_codes)]
        print(f"{n} requests, {c} in flight, loopback, zero-latency fake judge")
        print(f"{'side':22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
        for name, secs, lat, codes in rows:
            print(f"{name:22} {n / secs:8.1f} {_pct(lat, 50):8.2f} {_pct(lat, 99):8.2f}  {json.dumps(codes)}")
        print(f"throughput api/direct: {d_s / a_s:.3f}")
        print(f"overhead per request (p50 api - p50 direct): {_pct(a_lat, 50) - _pct(d_lat, 50):.2f} ms")
        print(f"service CPU per request: {cpu / n * 1000:.2f} ms")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
