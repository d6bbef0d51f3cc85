"""The blind labeling queue: what an annotator labels next, and the label operations queued for the store.

Items are those `judge labels export` samples from (answer × current rubric version × criterion
that an LLM judge scored), in an order of their own per annotator (a hash, so two linguists do not
see the same sequence and nobody sees models grouped). No model name or judge score is shown.
A label is first appended to the spool (durable), then written when the database is free; what
is queued counts as labelled here, so progress and the next item are right while `judge grade` runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from judge.store import Store
from judge.store import labels as lsql
from judge.store import ui as usql

Key = tuple[str, str, str, str]
"""(generation_id, rubric, rubric_version, criterion)."""


def order(annotator: str, key: Key) -> str:
    return hashlib.sha256(json.dumps([annotator, *key]).encode()).hexdigest()


def net_queued(ops: list[dict[str, Any]], annotator: str) -> dict[Key, dict[str, Any] | None]:
    """Queued operations of `annotator` folded per key: the label to store, or None (deleted)."""
    out: dict[Key, dict[str, Any] | None] = {}
    for o in ops:
        if o.get("annotator") != annotator:
            continue
        key = (o["generation_id"], o["rubric"], o["rubric_version"], o["criterion"])
        out[key] = None if o.get("op") == "delete" else o
    return out


@dataclass
class Progress:
    done: int
    total: int


@dataclass
class Card:
    key: Key
    prompt: str
    answer: str
    lang: str
    criterion: dict[str, Any]
    """The criterion's title, description and anchors in the item's language."""
    scale: list[int]
    na_allowed: bool


def _text(b: Any, lang: str) -> str:
    if not isinstance(b, dict):
        return ""
    return str(b.get(lang) or b.get("en" if lang == "ru" else "ru") or "")


def next_card(
    store: Store,
    annotator: str,
    ops: list[dict[str, Any]],
    skipped: set[Key],
    rubric: str | None,
    prefer: Key | None = None,
) -> tuple[Card | None, Progress]:
    """The annotator's next unlabelled item (None when all are done) and their progress; `prefer`
    (the item just undone) comes first when it is still to do."""
    cands = lsql.candidates(store, [rubric] if rubric else None)
    keys = sorted({(c["generation_id"], c["rubric"], c["rubric_version"], c["criterion"]) for c in cands})
    queued = net_queued(ops, annotator)
    done = usql.labelled(store, annotator)
    done = {k for k in done if queued.get(k, True) is not None} | {k for k, v in queued.items() if v is not None}
    todo = sorted((k for k in keys if k not in done and k not in skipped), key=lambda k: order(annotator, k))
    progress = Progress(sum(1 for k in keys if k in done), len(keys))
    if not todo:
        return None, progress
    return card(store, prefer if prefer in todo else todo[0]), progress


def card(store: Store, key: Key) -> Card:
    gid, rubric, version, criterion = key
    texts = lsql.texts(store, [gid])[gid]
    data = json.loads(lsql.rubric_json(store, [(rubric, version)]).get((rubric, version)) or "{}")
    lang = texts["lang"]
    crit: dict[str, Any] = next((c for c in data.get("criteria", []) if c.get("id") == criterion), {})
    scale = data.get("scale") or {"min": 1, "max": 5}
    anchors = crit.get("anchors") or {}
    return Card(
        key=key,
        prompt=texts["prompt"],
        answer=texts["answer"] or "",
        lang=lang,
        criterion={
            "id": criterion,
            "title": _text(crit.get("title"), lang),
            "description": _text(crit.get("description"), lang),
            "anchors": [(int(k), _text(v, lang)) for k, v in sorted(anchors.items(), key=lambda kv: int(kv[0]))],
        },
        scale=list(range(int(scale["min"]), int(scale["max"]) + 1)),
        na_allowed=bool(crit.get("not_applicable_when")),
    )


def label_op(key: Key, annotator: str, score: int | None, na: bool, rubric_scale: list[int]) -> dict[str, Any]:
    """A queued `set` operation (checked: a score of the scale, or n/a)."""
    if not na and score not in rubric_scale:
        raise ValueError(f"score {score!r} is not on the scale {rubric_scale[0]}..{rubric_scale[-1]}")
    return {
        "op": "set",
        "generation_id": key[0],
        "rubric": key[1],
        "rubric_version": key[2],
        "criterion": key[3],
        "annotator": annotator,
        "score": None if na else float(score),  # type: ignore[arg-type]
        "not_applicable": na,
    }
