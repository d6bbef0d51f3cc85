"""Answers produced elsewhere (`judge import-answers`): stored like generated ones, exactly once.

Why: a model that `judge` cannot query (an API run last month, a colleague's Arena-Hard answer
file) must still be gradable and comparable. Its answers become generations of a model entry of
their own, with provenance (the source file and line, the model id the file names); their keys
hash the model name, prompt and sample, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.config import Config, qualify, stable_hash
from judge.dataset import load_items
from judge.dataset.answers import AnswerFormat, read_answers
from judge.errors import ConfigError, DatasetError, problem
from judge.generate import prompt_key, prompt_row
from judge.store import Store, now


@dataclass
class ImportSummary:
    run_id: str
    model: str
    read: int = 0
    stored: int = 0
    """New answers written (a re-import writes none)."""
    already: int = 0
    """Answers of this model and prompt that were stored before."""


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_entry(name: str, source: Path, model_id: str | None) -> dict[str, Any]:
    """The `models` row of an imported model: its own variant, no endpoint, provenance as metadata."""
    content = stable_hash({"imported": name})
    return {
        "name": name,
        "variant": qualify(content, name),
        "model_id": model_id or name,
        "base_url": json.dumps([]),
        "params_json": json.dumps({}),
        "extra_body_json": json.dumps({}),
        "system_prompt": None,
        "quantization": None,
        "params_total": None,
        "params_active": None,
        "base_model": None,
        "tags_json": json.dumps(["imported"]),
        "metadata_json": json.dumps({"imported_from": str(source)}, ensure_ascii=False),
    }


def import_answers(
    cfg: Config,
    path: str | Path,
    *,
    model: str,
    fmt: AnswerFormat = "jsonl",
    dataset: str | Path | None = None,
    argv: list[str] | None = None,
) -> ImportSummary:
    """Store the answers of `path` as the model `model`; every problem is reported before any write."""
    path = Path(path)
    if any(m.name == model for m in cfg.models):
        raise ConfigError(
            [f"--model {model!r} is a [[models]] entry of {cfg.path}: imported answers need a name of their own"]
        )
    answers = read_answers(path, fmt)
    ds_path = Path(dataset) if dataset else cfg.resolve(cfg.dataset)
    items = {it.id: it for it in load_items(ds_path)}
    unknown = [a for a in answers if a.prompt_id not in items]
    if unknown:
        hint = "import the prompts first: judge dataset import --format arena-hard ..." if fmt != "jsonl" else None
        probs = [
            problem(
                path,
                a.line,
                "prompt_id" if fmt == "jsonl" else "question_id",
                f"no item {a.prompt_id!r} in the dataset {ds_path}",
            )
            for a in unknown[:20]
        ]
        if len(unknown) > 20:
            probs.append(f"{path}: ... and {len(unknown) - 20} more answers to prompts not in the dataset")
        raise DatasetError(probs, hints=[hint] if hint else [])

    model_ids = {a.model_id for a in answers if a.model_id}
    entry = model_entry(model, path.resolve(), model_ids.pop() if len(model_ids) == 1 else None)
    sha = _file_sha(path)
    rows = []
    for a in answers:
        it = items[a.prompt_id]
        pk = prompt_key(it)
        content = stable_hash({"imported": model, "prompt": pk, "sample": 0})
        rows.append(
            {
                "gen_id": qualify(content, model),
                "content_id": content,
                "variant": entry["variant"],
                "prompt_key": pk,
                "sample": 0,
                "status": "ok",
                "answer": a.answer,
                "reasoning": a.reasoning,
                "attempts": 0,
                "response_model": a.model_id,
                "request_json": json.dumps(
                    {"imported_from": str(path.resolve()), "line": a.line, "sha256": sha}, ensure_ascii=False
                ),
                "created_at": now(),
            }
        )
    run_id = uuid.uuid4().hex[:16]
    summary = ImportSummary(run_id=run_id, model=model, read=len(answers))
    with Store.open(cfg.db_path) as store:
        before = store.generation_status([r["gen_id"] for r in rows])
        summary.already = len(before)
        summary.stored = len(rows) - len(before)
        if not summary.stored:
            return summary
        store.start_run(run_id, "import", argv or [], {"model": model, "file": str(path), "format": fmt, "sha256": sha})
        store.register_models([entry])
        store.upsert_prompts([prompt_row(items[a.prompt_id], str(ds_path)) for a in answers])
        for r in rows:
            r["run_id"] = run_id
        store.write_generations([r for r in rows if r["gen_id"] not in before])
        store.finish_run(run_id, "done", {"stored": summary.stored, "already": summary.already})
    return summary
