"""Builders shared by tests: configs, dataset items, JSONL files."""

from __future__ import annotations

import json
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
