#!/usr/bin/env python3
"""Dequantize a GGUF checkpoint into a Hugging Face folder that vLLM can load (vLLM 0.32 has no GGUF loader).

usage: gguf_to_hf.py SRC.gguf OUT_DIR [--dtype bfloat16]

Needs torch, transformers, gguf and accelerate (the vLLM venv has them). Idempotent: does nothing
when OUT_DIR/model.safetensors already exists. Writes into OUT_DIR.tmp first and renames, so an
interrupted run leaves no half-written folder behind. Nothing is fetched from a model hub.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path


def convert(src: Path, out: Path, dtype: str = "bfloat16") -> Path:
    if (out / "model.safetensors").exists():
        return out
    if not src.is_file():
        raise SystemExit(f"gguf_to_hf: {src}: no such GGUF file")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    td = getattr(torch, dtype)
    tok = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
    model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name, dtype=td)  # dequantizes
    cfg = model.config
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")  # otherwise vLLM looks for a GGUF/bnb loader
    fresh = AutoModelForCausalLM.from_config(cfg, dtype=td)
    fresh.load_state_dict(model.state_dict())
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    fresh.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    if not (tmp / "model.safetensors").exists():
        raise SystemExit(f"gguf_to_hf: {tmp}: save_pretrained wrote no model.safetensors (sharded?)")
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="the .gguf file")
    ap.add_argument("out", type=Path, help="the Hugging Face folder to write")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    a = ap.parse_args(argv)
    print(convert(a.src.resolve(), a.out.resolve(), a.dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())
