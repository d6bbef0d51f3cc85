"""Importers: public prompt sets (MT-Bench, Arena-Hard-Auto) -> Items, and writing Items as JSONL.

Each importer reads a JSONL file, reports every bad line as `file:line: field: message` in one
DatasetError, and returns validated `Item`s. Multi-turn conversations are not supported yet: only the
first turn becomes the prompt, and the item is tagged `multi-turn` so the loss is visible.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from judge.errors import DatasetError, problem

from .items import LANGS, Item
from .jsonl import read_objects

MTBENCH_CATEGORIES = {
    "math": "arithmetic",
    "reasoning": "logic",
    "coding": "code",
    "extraction": "reading",
    "writing": "writing",
    "roleplay": "writing",
    "stem": "causal",
    "humanities": "causal",
}
"""MT-Bench category -> our category; unknown categories are kept as they are."""

ARENA_CATEGORIES = {"creative_writing": "writing"}
"""Arena-Hard category -> our category; unknown categories are kept as they are."""


class _Problems:
    """Collects problems for one file; raises them all at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int | None, field: str | None, message: str) -> None:
        self.items.append(problem(self.path, line, field, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise DatasetError(self.items)


def _records(path: Path, probs: _Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line that is a JSON object."""
    yield from read_objects(path, probs.items)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise DatasetError([problem("lang", None, None, f"unknown language {lang!r}; expected one of {list(LANGS)}")])


def _key(value: Any) -> str | None:
    """A question id as text (ints are common), or None when absent or not scalar."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, str)) and str(value).strip():
        return str(value).strip()
    return None


def _build(fields: dict[str, Any], lineno: int, probs: _Problems, seen: dict[str, int]) -> Item | None:
    try:
        item = Item.model_validate(fields)
    except ValidationError as e:
        for err in e.errors():
            probs.add(lineno, ".".join(str(p) for p in err["loc"]) or None, err["msg"])
        return None
    if item.id in seen:
        probs.add(lineno, "id", f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        return None
    seen[item.id] = lineno
    return item


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _import_jsonl(
    path: str | Path, lang: str, fields_of: Callable[[dict[str, Any], int, _Problems], dict[str, Any] | None]
) -> list[Item]:
    """The shared import loop: each JSON object of `path` -> `fields_of` -> a validated Item.

    Every problem is collected as `file:line: field: message` and raised at once in a DatasetError;
    a file with no question at all is an error too.
    """
    _check_lang(lang)
    path = Path(path)
    probs = _Problems(path)
    items: list[Item] = []
    seen: dict[str, int] = {}
    for lineno, obj in _records(path, probs):
        fields = fields_of(obj, lineno, probs)
        if fields is None:
            continue
        item = _build({**fields, "lang": lang}, lineno, probs, seen)
        if item is not None:
            items.append(item)
    probs.raise_if_any()
    if not items:
        raise DatasetError([problem(path, None, None, "no questions found")])
    return items


def import_mtbench(path: str | Path, *, lang: str = "en") -> list[Item]:
    """Read an MT-Bench `question.jsonl` (question_id, category, turns, optional reference).

    The first turn becomes the prompt and the first reference turn the reference; ids are
    `mtbench-<question_id>`. Raise DatasetError listing every bad line.
    """
    return _import_jsonl(path, lang, _mtbench_fields)


def _mtbench_fields(obj: dict[str, Any], lineno: int, probs: _Problems) -> dict[str, Any] | None:
    """The Item fields (but `lang`) of one MT-Bench question, or None after reporting its problems."""
    qid = _key(obj.get("question_id"))
    if qid is None:
        probs.add(lineno, "question_id", "missing or not a string/integer")
    category = obj.get("category")
    if not _nonempty_str(category):
        probs.add(lineno, "category", "missing or not a non-empty string")
    turns = obj.get("turns")
    if not (isinstance(turns, list) and turns and all(_nonempty_str(t) for t in turns)):
        probs.add(lineno, "turns", "must be a non-empty list of non-empty strings")
        turns = None
    reference = obj.get("reference")
    if reference is not None and not (isinstance(reference, list) and all(isinstance(r, str) for r in reference)):
        probs.add(lineno, "reference", "must be a list of strings")
        reference = None
    if qid is None or not _nonempty_str(category) or turns is None:
        return None
    tags = ["mt-bench", f"source-category:{category}"]
    if len(turns) > 1:
        tags.append("multi-turn")
    ref = reference[0] if reference and reference[0].strip() else None
    return {
        "id": f"mtbench-{qid}",
        "category": MTBENCH_CATEGORIES.get(str(category), category),
        "prompt": turns[0],
        "reference": ref,
        "tags": tags,
        "source": "mt-bench",
    }


def _arena_prompt(obj: dict[str, Any], lineno: int, probs: _Problems) -> tuple[str | None, int]:
    """The prompt text and the number of turns: v2 has `prompt`, v0.1 has `turns: [{content}]`."""
    if "prompt" in obj:
        if _nonempty_str(obj["prompt"]):
            return obj["prompt"], 1
        probs.add(lineno, "prompt", "must be a non-empty string")
        return None, 0
    turns = obj.get("turns")
    if turns is None:
        probs.add(lineno, "prompt", "missing (expected `prompt` or `turns`)")
        return None, 0
    if not (isinstance(turns, list) and turns and all(isinstance(t, dict) for t in turns)):
        probs.add(lineno, "turns", "must be a non-empty list of objects with `content`")
        return None, 0
    first = turns[0].get("content")
    if not _nonempty_str(first):
        probs.add(lineno, "turns.0.content", "missing or not a non-empty string")
        return None, 0
    return first, len(turns)


def import_arena_hard(path: str | Path, *, lang: str = "en") -> list[Item]:
    """Read an Arena-Hard-Auto question file (v0.1 `question_id`/`turns` or v2 `uid`/`prompt`).

    Ids are `arena-<uid>`; the category is `category` (else `cluster`), and the cluster and
    subcategory are kept as tags. Raise DatasetError listing every bad line.
    """
    return _import_jsonl(path, lang, _arena_fields)


def _arena_fields(obj: dict[str, Any], lineno: int, probs: _Problems) -> dict[str, Any] | None:
    """The Item fields (but `lang`) of one Arena-Hard question, or None after reporting its problems."""
    uid = _key(obj.get("uid", obj.get("question_id")))
    if uid is None:
        probs.add(lineno, "uid", "missing (expected `uid` or `question_id`)")
    raw_cat = obj.get("category", obj.get("cluster"))
    if not _nonempty_str(raw_cat):
        probs.add(lineno, "category", "missing (expected `category` or `cluster`)")
    prompt, n_turns = _arena_prompt(obj, lineno, probs)
    if uid is None or not _nonempty_str(raw_cat) or prompt is None:
        return None
    tags = ["arena-hard", f"source-category:{raw_cat}"]
    for extra in ("cluster", "subcategory"):
        if _nonempty_str(obj.get(extra)) and obj[extra] != raw_cat:
            tags.append(f"{extra}:{obj[extra]}")
    if n_turns > 1:
        tags.append("multi-turn")
    return {
        "id": f"arena-{uid}",
        "category": ARENA_CATEGORIES.get(str(raw_cat), raw_cat),
        "prompt": prompt,
        "tags": tags,
        "source": "arena-hard",
    }


def write_jsonl(items: list[Item], path: str | Path) -> None:
    """Write items as UTF-8 JSONL (one object a line, Cyrillic unescaped, None fields left out)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for item in items:
            f.write(json.dumps(item.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n")
    tmp.replace(path)
