"""Rubric files as the web page edits them: found by name, edited field by field, saved round trip.

Why: linguists edit the Russian and English texts of each criterion and anchor in a form; the file
must keep every comment, the key order and the quoting of what they did not touch, so the edit is
applied to ruamel's round-trip document, not to a re-serialized model. A rubric is addressed by its
file name (`russian_fluency`) inside the configured rubric folders only: no path ever comes from
the browser.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from judge.config import Config
from judge.errors import InputError, RubricError
from judge.rubric import Rubric, parse_rubric
from judge.rubric.load import _yaml

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
"""A rubric's file name without `.yaml`: letters, digits, `_` and `-` (no dots, no slashes)."""
FIELD_PREFIX = "f:"
"""Form fields that edit the document are named `f:<dotted path>` (`f:criteria.0.anchors.3.ru`)."""


@dataclass
class RubricFile:
    name: str
    path: Path
    configured: bool
    """Graded by `judge grade` (listed in [judge] rubrics)."""


def folders(cfg: Config) -> list[Path]:
    """The folders holding the configured rubric files (the bundled `rubrics/` when none is configured)."""
    paths = cfg.judge.rubrics if cfg.judge else []
    out: list[Path] = []
    for p in paths:
        d = cfg.resolve(p).parent.resolve()
        if d not in out:
            out.append(d)
    if not out:
        out.append(cfg.resolve("rubrics").resolve())
    return out


def rubric_files(cfg: Config) -> list[RubricFile]:
    """Every `*.yaml` rubric in the rubric folders, by name (the first folder wins a name clash)."""
    configured = {cfg.resolve(p).resolve() for p in (cfg.judge.rubrics if cfg.judge else [])}
    seen: dict[str, RubricFile] = {}
    for d in folders(cfg):
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.yaml")):
            # A symlink out of the folder is not a rubric of this folder.
            if NAME.fullmatch(p.stem) and p.stem not in seen and p.is_file() and p.resolve().parent == d:
                seen[p.stem] = RubricFile(p.stem, p, p.resolve() in configured)
    return sorted(seen.values(), key=lambda r: (not r.configured, r.name))


def find(cfg: Config, name: str) -> RubricFile:
    """The rubric file called `name`; InputError for anything that is not one (never a path)."""
    if not NAME.fullmatch(name):
        raise InputError([f"{name!r} is not a rubric name (letters, digits, _ and - only)"])
    for r in rubric_files(cfg):
        # The file must really lie in its folder: a symlink pointing elsewhere is not a rubric here.
        if r.name == name and any(r.path.resolve().parent == d for d in folders(cfg)):
            return r
    raise InputError([f"no rubric {name!r} in the rubric folders"])


def read(r: RubricFile) -> str:
    return r.path.read_text(encoding="utf-8-sig")


INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 0), (4, 6, 2), (4, 4, 2), (2, 3, 1))
"""(mapping, sequence, offset) indentations tried in turn: ruamel does not record a file's own."""


def _dumper(text: str) -> Any:
    """A round-trip YAML whose indentation reproduces `text` unchanged (the closest one if none does),
    so saving an edit changes only the edited lines."""
    best: tuple[int, Any] | None = None
    for mapping, sequence, offset in INDENTS:
        y = _yaml()
        y.indent(mapping=mapping, sequence=sequence, offset=offset)
        out = _dump(y, y.load(text))
        if out == text:
            return y
        dist = sum(1 for line in difflib.ndiff(text.splitlines(), out.splitlines()) if line[:1] in "+-")
        if best is None or dist < best[0]:
            best = (dist, y)
    assert best is not None
    return best[1]


def _dump(y: Any, doc: Any) -> str:
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def _child(node: Any, part: str) -> Any:
    if isinstance(node, CommentedSeq):
        return int(part) if part.isdigit() and int(part) < len(node) else None
    if isinstance(node, CommentedMap):
        for k in node:
            if str(k) == part:  # anchors are keyed by integers in YAML, by text in a form
                return k
    return None


def apply_fields(text: str, fields: dict[str, str]) -> str:
    """`text` with the texts in `fields` (`f:criteria.0.anchors.3.ru` -> value) set, everything else
    (comments, key order, quoting of untouched values) kept. Only texts that exist as a mapping
    `{ru, en}` can be set; a missing language is added to its mapping."""
    y = _dumper(text)
    doc = y.load(text)
    changed = False
    for name, value in fields.items():
        if not name.startswith(FIELD_PREFIX):
            continue
        parts = name[len(FIELD_PREFIX) :].split(".")
        lang = parts[-1]
        if lang not in ("ru", "en"):
            continue
        node = doc
        for part in parts[:-1]:
            key = _child(node, part)
            if key is None:
                raise InputError([f"{name}: no such field in the rubric"])
            node = node[key]
        if not isinstance(node, CommentedMap):
            raise InputError([f"{name}: not a text with ru and en"])
        value = value.replace("\r\n", "\n")
        old = node.get(lang)
        if old is not None and str(old) == value:
            continue
        # Keep the scalar's style (quoted, literal block) when the value is replaced.
        node[lang] = type(old)(value) if isinstance(old, str) and type(old) is not str else value
        changed = True
    return _dump(y, doc) if changed else text


def check(text: str, r: RubricFile) -> tuple[Rubric | None, list[str]]:
    """(the rubric, []) or (None, problems as `file:line: path: message`), as `judge rubric check` says."""
    try:
        return parse_rubric(text, r.path), []
    except RubricError as e:
        return None, list(e.problems)


def save(r: RubricFile, text: str) -> Rubric:
    """Validate and write `text` to the rubric's file atomically (fsynced, then renamed into place)."""
    rubric, problems = check(text, r)
    if rubric is None:
        raise RubricError(problems)
    tmp = r.path.with_name(f".{r.path.name}.ui-tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, r.path)
    return rubric


def diff(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line): kind is add, del, hunk or same (for the template to colour)."""
    out = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2):
        kind = "hunk" if line.startswith("@@") else "add" if line[:1] == "+" else "del" if line[:1] == "-" else "same"
        out.append((kind, line))
    return out


def form_fields(rubric: Rubric) -> list[dict[str, Any]]:
    """The editable texts, grouped for the side-by-side editor: one group per rubric/criterion."""

    def pair(path: str, label: str, b: Any) -> dict[str, Any]:
        return {
            "path": path,
            "label": label,
            "ru": b.ru if b else "",
            "en": b.en if b else "",
            "present": b is not None,
        }

    groups = [
        {
            "title": "rubric",
            "rows": [
                pair("title", "title", rubric.title),
                *([pair("description", "description", rubric.description)] if rubric.description else []),
            ],
        }
    ]
    for i, c in enumerate(rubric.criteria):
        rows = [pair(f"criteria.{i}.title", "title", c.title)]
        if c.description:
            rows.append(pair(f"criteria.{i}.description", "description", c.description))
        for level, a in sorted(c.anchors.items()):
            rows.append(pair(f"criteria.{i}.anchors.{level}", f"score {level}", a))
        groups.append({"title": f"criterion {c.id}", "rows": rows})
    return groups
