"""What each feature of the verdict's JSON schema costs the embedded llama.cpp judge.

Sends the same real judge prompt (a demo item, a bundled rubric) to one llama.cpp slot with
different `response_format`s and reads llama.cpp's own `timings` (prefill and decode tokens/s):

- `schema` — the verdict schema as grading sent it before (rationale `maxLength`, nested objects,
  integer score with minimum/maximum);
- `no_maxlength` — the same without `maxLength` (what grading sends now: the cap is an
  instruction plus a bounded `max_tokens`, and the stored rationale is cut at the cap);
- `enum_score` — no `maxLength` and the score as an enum of its values;
- `flat` — no `maxLength`, one object per verdict instead of one per criterion;
- `json_object` — any JSON object (no schema);
- `free` — no `response_format` at all (free text).

Every variant's replies are validated against the verdict model afterwards (what grading would
accept). Prints a table; runs variants alternately, `--rounds` times, to spread machine noise.

    python bench/grammar_cost.py --rounds 3 --rubric reasoning_depth
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judge.dataset.items import load_items  # noqa: E402
from judge.grade.run import verdict_model  # noqa: E402
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rubric", default="reasoning_depth")
    ap.add_argument("--item", default="arith-001-en")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cap", type=int, default=100, help="rationale cap in characters (the demo's)")
    ap.add_argument("--only", default="", help="comma-separated variants to run (default: all)")
    ap.add_argument("--model", default="qwen2.5-0.5b")
    args = ap.parse_args()

    rubric = load_rubric(ROOT / "rubrics" / f"{args.rubric}.yaml")
    item = next(i for i in load_items(ROOT / "datasets" / "demo.jsonl") if i.id == args.item)
    answer = item.reference or "42"
    messages = render_single(rubric, item, answer, rationale_cap=args.cap)
    model = verdict_model("single", rubric, args.cap)
    fmts = variants(rubric, args.cap)
    if args.only:
        fmts = {k: v for k, v in fmts.items() if k in args.only.split(",")}
    budget = max_tokens_for(rubric, args.cap)
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in fmts}
    with LlamaCppServer(model_path(args.model), alias="judge", n_parallel=1, ctx_per_slot=12288) as srv:
        url = srv.base_url + "/chat/completions"
        post(url, {"model": "judge", "messages": messages, "max_tokens": 1})  # warm the prompt cache
        for rnd in range(args.rounds):
            for name, fmt in fmts.items():
                body: dict[str, Any] = {
                    "model": "judge",
                    "messages": messages,
                    "max_tokens": budget,
                    "temperature": 0.0,
                    "seed": rnd,
                }
                if fmt is not None:
                    body["response_format"] = fmt
                t0 = time.perf_counter()
                out = post(url, body)
                wall = time.perf_counter() - t0
                t = out.get("timings", {})
                text = out["choices"][0]["message"].get("content") or ""
                rows[name].append(
                    {
                        "wall": wall,
                        "n": t.get("predicted_n", 0),
                        "tps": t.get("predicted_per_second", 0.0),
                        "prefill_ms": t.get("prompt_ms", 0.0),
                        "ok": float(valid(model, text, name == "flat")),
                    }
                )
                print(f"round {rnd + 1} {name:13} {wall:6.1f} s  {t.get('predicted_n', 0):4} tok", flush=True)
    print(f"\nrubric {args.rubric}, item {args.item}, {len(messages[0]['content'])} chars of system prompt")
    print(f"{'variant':13} {'decode tok/s':>12} {'tokens':>7} {'prefill s':>9} {'wall s':>7} {'valid':>6}")
    base = statistics.median(r["tps"] for r in rows["free"]) if rows.get("free") else None
    for name, rs in rows.items():
        tps = statistics.median(r["tps"] for r in rs)
        ratio = f"  ({tps / base:.2f}x free)" if base else ""
        print(
            f"{name:13} {tps:12.1f} {statistics.median(r['n'] for r in rs):7.0f} "
            f"{statistics.median(r['prefill_ms'] for r in rs) / 1000:9.1f} "
            f"{statistics.median(r['wall'] for r in rs):7.1f} {sum(r['ok'] for r in rs):.0f}/{len(rs)}{ratio}"
        )


if __name__ == "__main__":
    main()
