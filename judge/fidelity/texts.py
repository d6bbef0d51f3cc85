"""The texts whose token distributions are compared: the dataset's references, a model's stored
answers, or a JSONL file of `{"text": ..., "lang": ...}` objects (an optional `id`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from judge.config import Config, file_problem
from judge.dataset import load_items
from judge.dataset.jsonl import read_objects
from judge.errors import ConfigError, DatasetError, problem

if TYPE_CHECKING:
    from judge.store import Store

REFERENCES = "references"
ANSWERS = "answers"


@dataclass(frozen=True)
class Text:
    source: str
    """`references`, `answers:<model>` or the file's path."""
    source_id: str
    """The item id, the generation id or `<file>:<line>` (or the line's `id`)."""
    lang: str
    text: str

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


def answers_of(spec: str, base: str) -> str | None:
    """The model whose answers `--texts` names (`answers`: the base's; `answers:NAME`), else None."""
    if spec == ANSWERS:
        return base
    if spec.startswith(ANSWERS + ":"):
        return spec.split(":", 1)[1]
    return None


def per_lang(texts: list[Text], limit: int | None) -> list[Text]:
    """The first `limit` texts of each language (all without a limit), each text once."""
    seen: set[str] = set()
    count: dict[str, int] = {}
    out = []
    for t in texts:
        if t.text_hash in seen or (limit is not None and count.get(t.lang, 0) >= limit):
            continue
        seen.add(t.text_hash)
        count[t.lang] = count.get(t.lang, 0) + 1
        out.append(t)
    return out


def reference_texts(cfg: Config) -> list[Text]:
    path = cfg.resolve(cfg.dataset)
    if not path.exists():
        raise ConfigError([file_problem(cfg, ("dataset",), path, "dataset file")])
    return [
        Text(REFERENCES, it.id, it.answer_lang or it.lang, it.reference)
        for it in load_items(path)
        if it.reference and it.reference.strip()
    ]


def file_texts(path: Path) -> list[Text]:
    """`{"text": "...", "lang": "ru", "id": "..."}` per line; every bad line is reported at once."""
    problems: list[str] = []
    out = []
    for lineno, obj in read_objects(path, problems):
        text, lang, ident = obj.get("text"), obj.get("lang"), obj.get("id")
        if not isinstance(text, str) or not text.strip():
            problems.append(problem(path, lineno, "text", "required: the text whose tokens are compared"))
            continue
        if not isinstance(lang, str) or not lang.strip():
            problems.append(problem(path, lineno, "lang", "required: the text's language, e.g. ru or en"))
            continue
        if ident is not None and not isinstance(ident, str):
            problems.append(problem(path, lineno, "id", "must be a string"))
            continue
        out.append(Text(str(path), ident or f"{path.name}:{lineno}", lang.strip(), text))
    if problems:
        raise DatasetError(problems)
    if not out:
        raise DatasetError([problem(path, None, None, "no texts in the file")])
    return out


def answer_texts(store: Store, model: str) -> list[Text]:
    rows = store.successful_answers([model])
    texts = [Text(f"{ANSWERS}:{model}", r[0], r[19] or r[9], r[3]) for r in rows if r[3] and r[3].strip()]
    if not texts:
        from judge.store.probes import source_models

        have = source_models(store)
        raise ConfigError(
            [f"--texts: no stored answers of a model {model!r} (models with answers: {', '.join(have) or 'none'})"],
            hints=[f"use --texts {REFERENCES}, or run `judge generate` first"],
        )
    return texts
