"""The embedded judges side by side: Qwen2.5-Coder 0.5B against 1.5B on llama.cpp (CPU).

For each model, one after the other, starts the project's `LlamaCppServer` (one slot, 2 threads)
and records its load time (start until `/v1/models` answers) and RSS, then sends a real judge
prompt (a demo item's reference answer, a bundled rubric, the demo's rationale cap) in Russian and
in English:

- `schema` — the verdict's JSON schema as grading sends it, with the prompt cache off, so
  llama.cpp's `timings` give the prefill speed of the whole prompt and the constrained decode speed;
- `free` — the same prompt without `response_format`, `--free-tokens` long (free-text decode speed;
  its prompt comes from the cache).

Each reply is validated against the verdict model (what grading would accept). Runs each request
once; say what else the machine was doing (the load average is printed).

    python bench/embedded_judges.py                                  # both models
    python bench/embedded_judges.py --models qwen2.5-coder-1.5b --items arith-001-ru
"""

from __future__ import annotations

import argparse
import json
import os
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


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB."""
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            vals[k] = int(v.split()[0]) / 1024
    return vals["VmRSS"], vals["VmHWM"]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def validates(model: type, text: str) -> bool:
    try:
        model.model_validate_json(text)
        return True
    except ValueError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", default="qwen2.5-0.5b,qwen2.5-coder-1.5b")
    ap.add_argument("--items", default="arith-001-ru,arith-001-en")
    ap.add_argument("--rubric", default="reasoning_depth")
    ap.add_argument("--cap", type=int, default=100, help="rationale cap in characters (the demo's)")
    ap.add_argument("--free-tokens", type=int, default=64, help="max_tokens of the free-text request (its speed only)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    rubric = load_rubric(ROOT / "rubrics" / f"{args.rubric}.yaml")
    items = {i.id: i for i in load_items(ROOT / "datasets" / "demo.jsonl")}
    vmodel = verdict_model("single", rubric, args.cap)
    schema = vmodel.model_json_schema(by_alias=True)
    fmt = {"type": "json_schema", "json_schema": {"name": vmodel.__name__, "schema": schema}}
    budget = max_tokens_for(rubric, args.cap)
    results: list[dict[str, Any]] = []
    for key in args.models.split(","):
        gguf = model_path(key)
        before = loadavg()
        t0 = time.perf_counter()
        srv = LlamaCppServer(gguf, alias="judge", n_parallel=1, ctx_per_slot=8192, threads=2)
        srv.start(timeout=600)
        try:
            load_s = time.perf_counter() - t0
            assert srv.proc is not None
            rss_loaded = rss_mib(srv.proc.pid)[0]
            print(f"{key}: ready in {load_s:.1f} s, RSS {rss_loaded:.0f} MiB, load average {before}", flush=True)
            url = srv.base_url + "/chat/completions"
            for item_id in args.items.split(","):
                item = items[item_id]
                messages = render_single(rubric, item, item.reference or "42", rationale_cap=args.cap)
                for variant in ("schema", "free"):
                    body: dict[str, Any] = {
                        "model": "judge",
                        "messages": messages,
                        "max_tokens": budget if variant == "schema" else args.free_tokens,
                        "temperature": 0.0,
                        "seed": 1,
                    }
                    if variant == "schema":
                        body["response_format"] = fmt
                        body["cache_prompt"] = False  # prefill the whole prompt: its speed is measured
                    t1 = time.perf_counter()
                    out = post(url, body)
                    wall = time.perf_counter() - t1
                    t = out.get("timings", {})
                    text = out["choices"][0]["message"].get("content") or ""
                    row = {
                        "model": key,
                        "item": item_id,
                        "variant": variant,
                        "wall_s": round(wall, 1),
                        "prompt_n": t.get("prompt_n"),
                        "prefill_tps": round(t.get("prompt_per_second", 0.0), 1),
                        "decode_n": t.get("predicted_n"),
                        "decode_tps": round(t.get("predicted_per_second", 0.0), 2),
                        "finish": out["choices"][0].get("finish_reason"),
                        "valid": validates(vmodel, text) if variant == "schema" else None,
                        "loadavg": loadavg(),
                        "reply": text,
                    }
                    results.append(row)
                    print(
                        f"  {item_id:13} {variant:6} {wall:6.1f} s  prefill {row['prompt_n']} tok "
                        f"{row['prefill_tps']:7.1f} tok/s  decode {row['decode_n']} tok {row['decode_tps']:6.2f} tok/s  "
                        f"{row['finish']}  valid={row['valid']}  load {row['loadavg']}",
                        flush=True,
                    )
            rss_end, hwm = rss_mib(srv.proc.pid)
            results.append({"model": key, "load_s": round(load_s, 1), "rss_mib": round(rss_end), "hwm_mib": round(hwm)})
            print(f"{key}: RSS {rss_end:.0f} MiB at the end (peak {hwm:.0f} MiB)", flush=True)
        finally:
            srv.stop()
    for r in results:
        if "reply" in r and r["variant"] == "schema":
            print(f"\n{r['model']} {r['item']}: {r['reply']}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nload average at the end: {loadavg()} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
