"""`judge labels import`: the linguists' filled files, checked whole before anything is stored.

Every problem of every file is reported as `file:line: field: message` and nothing is written
(exit code 2) unless all rows pass: an unknown `label_id`, a score that is not an integer of the
rubric's scale, "n/a" where the criterion has no `not_applicable_when`, a row without an annotator,
one item labelled twice by one annotator, a label exported under a rubric version that is no longer
current (the criterion's text or anchors changed since: label the new version). A row with an empty
score is not labelled yet and is skipped. Labels are stored with the annotator and the rubric
version, one per (item, annotator): importing a file again replaces, never duplicates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.config import Config
from judge.errors import InputError, StoreError, problem
from judge.store import Store
from judge.store import labels as sql

from .files import FilledRow, read_filled

NA_WORDS = ("n/a", "na", "н/п", "н/д")
"""What a linguist may write for "not applicable" (case does not matter)."""
MAX_ANNOTATOR = 100
MAX_COMMENT = 10_000


@dataclass
class ImportSummary:
    files: list[Path]
    read: int = 0
    """Rows read (labelled or not)."""
    new: int = 0
    replaced: int = 0
    """Labels stored before under the same item and annotator (a file imported again)."""
    empty: int = 0
    """Rows with no score yet: skipped."""
    notes: list[str] = field(default_factory=list)
    """How files were read (encoding, delimiter)."""


@dataclass
class _Checked:
    row: FilledRow
    annotator: str
    score: float | None
    na: bool
    comment: str | None


def import_labels(cfg: Config, files: list[Path], *, annotator: str | None = None) -> ImportSummary:
    """Check every row of `files`, then store their labels in one transaction (or raise InputError)."""
    summary = ImportSummary(files=list(files))
    problems: list[str] = []
    if annotator is not None and not _text(annotator, MAX_ANNOTATOR):
        problems.append(f"--annotator: must be a non-empty name of at most {MAX_ANNOTATOR} characters")
    rows: list[FilledRow] = []
    for f in files:
        got, note = read_filled(Path(f), problems)
        rows += got
        if note:
            summary.notes.append(f"{f}: {note}")
    summary.read = len(rows)
    if not cfg.db_path.exists():
        raise StoreError(f"{cfg.db_path}: no database yet", hints=["labels belong to an exported database"])
    with Store.open(cfg.db_path) as store:
        found = sql.resolve(store, [_id(r) for r in rows if _id(r)])
        checked: list[tuple[_Checked, dict[str, Any]]] = []
        first: dict[tuple[str, str, str, str, str], FilledRow] = {}
        for r in rows:
            c = _check(r, annotator, found, problems)
            if c is None:
                continue
            if isinstance(c, str):
                summary.empty += 1
                continue
            item = found[_id(r)]
            key = (item["generation_id"], item["rubric"], item["rubric_version"], item["criterion"], c.annotator)
            if key in first:
                f0 = first[key]
                problems.append(
                    problem(
                        r.path,
                        r.line,
                        "label_id",
                        f"a second label of this item by {c.annotator!r} (first at {f0.path}:{f0.line})",
                    )
                )
                continue
            first[key] = r
            checked.append((c, item))
        if not problems and not checked:
            problems.append(
                f"{', '.join(map(str, files))}: no labels: every row's score is empty"
                if rows
                else f"{', '.join(map(str, files))}: no rows"
            )
        if problems:
            raise InputError(problems, hints=["nothing was stored; fix the rows above and import again"])
        summary.new, summary.replaced = sql.upsert_labels(
            store,
            [
                {
                    "generation_id": item["generation_id"],
                    "rubric": item["rubric"],
                    "rubric_version": item["rubric_version"],
                    "criterion": item["criterion"],
                    "annotator": c.annotator,
                    "score": c.score,
                    "not_applicable": c.na,
                    "comment": c.comment,
                    "label_id": _id(c.row),
                    "source": f"{c.row.path}:{c.row.line}",
                }
                for c, item in checked
            ],
        )
    return summary


def _check(r: FilledRow, annotator: str | None, found: dict[str, dict[str, Any]], problems: list[str]) -> Any:
    """A `_Checked` label, "empty" for a row not labelled yet, or None after adding its problems."""
    n = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(problem(r.path, r.line, field, message))

    comment = r.comment
    if comment is not None and not isinstance(comment, str):
        bad("comment", "must be text")
    elif comment is not None and len(comment) > MAX_COMMENT:
        bad("comment", f"longer than {MAX_COMMENT} characters")
    if _blank(r.score):
        if not _blank(r.label_id) and isinstance(comment, str) and comment.strip():
            bad("score", "empty, but the row has a comment: give a score (or n/a where the criterion allows it)")
        return None if len(problems) > n else "empty"
    if not _id(r):
        bad("label_id", "missing (every row needs the label_id it was exported with)")
        return None
    item = found.get(_id(r))
    if item is None:
        bad("label_id", f"unknown label id {r.label_id!r}: not exported from this database")
        return None
    who = _annotator(r, annotator, bad)
    if item["current_version"] != item["rubric_version"]:
        now = f"now {item['current_version']}" if item["current_version"] else "no version is current"
        bad(
            "label_id",
            f"rubric {item['rubric']} changed since this item was exported (exported under "
            f"{item['rubric_version']}, {now}): export again and label the current version",
        )
    score, na = _score(r.score, item, bad)
    if len(problems) > n or who is None:
        return None
    return _Checked(r, who, score, na, comment.strip() if isinstance(comment, str) and comment.strip() else None)


def _annotator(r: FilledRow, given: str | None, bad: Any) -> str | None:
    own = r.annotator
    if own is not None and not _text(own, MAX_ANNOTATOR):
        bad("annotator", f"must be a non-empty name of at most {MAX_ANNOTATOR} characters")
        return None
    if isinstance(own, str) and own.strip():
        if given is not None and given.strip() != own.strip():
            bad("annotator", f"{own.strip()!r} in the file, but --annotator says {given.strip()!r}")
            return None
        return own.strip()
    if given is not None and given.strip():
        return given.strip()
    bad("annotator", "missing: fill the annotator column or pass --annotator NAME")
    return None


def _score(value: Any, item: dict[str, Any], bad: Any) -> tuple[float | None, bool]:
    lo, hi = item["scale_min"], item["scale_max"]
    scale = f"an integer {lo}..{hi}" if lo is not None else "an integer of the rubric's scale"
    if isinstance(value, str) and value.strip().lower() in NA_WORDS:
        if _na_allowed(item):
            return None, True
        bad(
            "score",
            f"'n/a' is not allowed for {item['rubric']}.{item['criterion']} (its rubric gives no "
            f"not_applicable_when): give {scale}",
        )
        return None, False
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))  # a spreadsheet in a Russian locale writes 4,0
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        bad("score", f"{value!r} is not a score: give {scale}, or n/a where the criterion allows it")
        return None, False
    if number != int(number):
        bad("score", f"{value!r} is not an integer: give {scale}")
        return None, False
    if lo is not None and hi is not None and not lo <= number <= hi:
        bad("score", f"{int(number)} is outside the scale {lo}..{hi}")
        return None, False
    return float(int(number)), False


def _na_allowed(item: dict[str, Any]) -> bool:
    """Whether the criterion, at the exported version, lets a grader answer "not applicable"."""
    try:
        data = json.loads(item["canonical_json"] or "{}")
    except ValueError:
        return False
    crits = data.get("criteria") if isinstance(data, dict) else None
    for c in crits if isinstance(crits, list) else []:
        if isinstance(c, dict) and c.get("id") == item["criterion"]:
            return bool(c.get("not_applicable_when"))
    return False


def _id(r: FilledRow) -> str:
    """The row's label id, trimmed ("" when missing or not text)."""
    return r.label_id.strip() if isinstance(r.label_id, str) else ""


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any, cap: int) -> bool:
    return isinstance(v, str) and 0 < len(v.strip()) <= cap
