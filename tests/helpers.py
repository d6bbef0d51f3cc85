"""Builders shared by tests: configs, dataset items, JSONL files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_config(
    path: Path, models: list[dict], *, db: str = "judge.duckdb", dataset: str = "data.jsonl", judge: dict | None = None
) -> Path:
    """Write a judge.toml from Python dicts (a tiny TOML writer is enough for tests)."""

    def val(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    lines = [f"db = {val(db)}", f"dataset = {val(dataset)}", ""]
    for m in models:
        lines.append("[[models]]")
        lines += [f"{k} = {val(v)}" for k, v in m.items()]
        lines.append("")
    if judge:
        lines.append("[judge]")
        lines += [f"{k} = {val(v)}" for k, v in judge.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_items(n: int, *, langs: tuple[str, ...] = ("en", "ru"), category: str = "arithmetic") -> list[dict]:
    """n paired tasks (2n items) with numeric answers."""
    items = []
    for i in range(n):
        for lang in langs:
            q = (
                f"What is {i} + {i}? End with 'Answer: N'."
                if lang == "en"
                else f"Сколько будет {i} + {i}? Закончите строкой «Ответ: N»."
            )
            items.append(
                {
                    "id": f"t{i:03d}-{lang}",
                    "pair": f"t{i:03d}",
                    "lang": lang,
                    "category": category,
                    "prompt": q,
                    "reference": f"{2 * i}",
                    "answer": {"type": "number", "value": 2 * i},
                    "difficulty": "easy",
                }
            )
    return items


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# `python -m judge.cli` that answers SIGINT as Ctrl-C even when the suite runs in the background:
# a shell starts background commands with SIGINT ignored, an ignored signal survives exec, and a
# Python started that way installs no KeyboardInterrupt handler. The child restores it itself (a
# preexec_fn is not safe while the test's server threads run).
JUDGE_CTRL_C = [
    sys.executable,
    "-c",
    "import runpy, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "sys.argv = ['judge', *sys.argv[1:]]\n"
    "runpy.run_module('judge.cli', run_name='__main__', alter_sys=True)\n",
]


def vllm_model_folder() -> Path:
    """The SmolLM2 weights of the vLLM CPU venv, for tests that start a real vLLM server. Missing:
    a failure under CI (which installs it; a silent skip there would hide a broken set-up), a skip
    elsewhere."""
    import os

    import pytest

    from judge import serve

    folder = Path(serve.vllm_python()).parent.parent / "models" / "smollm2-hf"
    if not (folder / "model.safetensors").exists():
        msg = "vLLM on the CPU is not set up: run scripts/setup_vllm_cpu.sh (about 4 minutes)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return folder
