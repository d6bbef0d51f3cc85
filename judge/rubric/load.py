"""Rubric YAML -> `Rubric`: every problem reported at once as `file:line: path: msg`.

Why: linguists edit rubrics by hand; lines come from ruamel's round-trip nodes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.scalarbool import ScalarBoolean

from judge.dataset import CATEGORIES
from judge.errors import RubricError, problem
from judge.files import read_capped

from .model import (
    _DEFER,
    AppliesTo,
    Bilingual,
    Criterion,
    Rubric,
    Scale,
    _path,
    _semantic_issues,
)

# ---------------------------------------------------------------- loading

MAX_RUBRIC_BYTES = 1_000_000
"""A rubric is a few kilobytes of text; a bigger file is refused before it is parsed."""
MAX_DEPTH = 64
"""Mappings and lists nested deeper than this are refused (a rubric needs about five levels);
ruamel's scanner slows quadratically with flow nesting and its composer recurses."""
_MAX_NUMBER_CHARS = 40
# A plain scalar that YAML would read as a number: a long one is refused before int() sees it
# (int() raises a bare ValueError at 4,300 digits).
_NUMBERISH = re.compile(r"[-+]?[0-9.][0-9a-fA-FxXoObB_.:eE+-]*")


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a linguist's long lines on save
    return y


def _plain(node: Any) -> Any:
    """ruamel round-trip nodes -> plain Python values (ScalarFloat -> float, CommentedMap -> dict)."""
    if isinstance(node, Mapping):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(v) for v in node]
    if isinstance(node, (bool, ScalarBoolean)):  # an anchored `true` loads as ScalarBoolean(int)
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _read_text(path: Path) -> str:
    data = read_capped(path, RubricError, MAX_RUBRIC_BYTES)  # not a directory, device or FIFO
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise RubricError([problem(path, None, None, f"not UTF-8 ({e.reason} at byte {e.start})")]) from e
    return text


def _parse_document(text: str, path: object) -> Any:
    if len(text) > MAX_RUBRIC_BYTES:  # a stored version or a string: the same cap as a file
        raise RubricError([problem(path, None, None, f"rubric is {len(text)} characters, over the limit")])
    try:
        _check_events(text, path)
        return _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        raise RubricError([problem(path, line, None, f"invalid YAML: {what}")]) from e
    except YAMLError as e:
        raise RubricError([problem(path, None, None, f"invalid YAML: {e}")]) from e
    except (ValueError, RecursionError) as e:  # the checks above should leave none; never a traceback
        raise RubricError([problem(path, None, None, f"invalid YAML: {type(e).__name__}: {e}")]) from e


def _check_events(text: str, path: object) -> None:
    """Refuse what would make loading explode, from the parser's events, before anything is built.

    Aliases: an 800-byte "billion laughs" of nested aliases expands to gigabytes when the document
    is turned into plain values; no rubric needs one. Depth and long numbers: see the constants.
    The events come lazily, so an over-deep document stops here after its first levels.
    """
    depth = 0
    for ev in _yaml().parse(text):
        line = ev.start_mark.line + 1 if ev.start_mark is not None else None
        if isinstance(ev, AliasEvent):
            raise RubricError(
                [
                    problem(
                        path,
                        line,
                        None,
                        f"YAML aliases (*{ev.anchor}) are not allowed in a rubric; write the value out",
                    )
                ]
            )
        if isinstance(ev, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise RubricError(
                    [problem(path, line, None, f"mappings and lists nested deeper than {MAX_DEPTH} levels")]
                )
        elif isinstance(ev, CollectionEndEvent):
            depth -= 1
        elif (
            isinstance(ev, ScalarEvent)
            and ev.style is None
            and len(ev.value) > _MAX_NUMBER_CHARS
            and _NUMBERISH.fullmatch(ev.value)
        ):
            raise RubricError([problem(path, line, None, f"number of {len(ev.value)} characters is too long")])


def _validate(text: str, path: object) -> tuple[Rubric, Any]:
    doc = _parse_document(text, path)
    if doc is None:
        raise RubricError([problem(path, None, None, "file is empty")])
    if not isinstance(doc, Mapping):
        kind = "a list" if isinstance(doc, list) else f"a {type(doc).__name__}"
        raise RubricError(
            [problem(path, 1, None, f"a rubric must be a mapping of keys (name, title, ...), got {kind}")]
        )
    data = _plain(doc)
    issues: list[tuple[tuple[Any, ...], str]] = []
    rubric: Rubric | None = None
    try:
        rubric = Rubric.model_validate(data, context={_DEFER: True})
    except ValidationError as e:
        issues.extend((tuple(err["loc"]), _message(err)) for err in e.errors())
    issues.extend(_semantic_issues(data))
    if issues:
        located = sorted({(_line(doc, loc), _path(loc), msg) for loc, msg in issues})
        raise RubricError([problem(path, line, field, msg) for line, field, msg in located])
    assert rubric is not None  # no issues means validation succeeded
    rubric._source_text = text
    rubric._source_path = str(path)
    return rubric, doc


def parse_rubric(text: str, path: str | Path = "<string>") -> Rubric:
    """Parse rubric YAML text (e.g. a stored version); raise RubricError listing every problem."""
    return _validate(text, path)[0]


def load_rubric(path: str | Path) -> Rubric:
    """Load and validate a rubric file; raise RubricError with every problem as `file:line: path: msg`."""
    path = Path(path)
    return _validate(_read_text(path), path)[0]


def _line(doc: Any, loc: Sequence[Any]) -> int:
    """1-based line of the deepest node on `loc` that exists in the document (its key, or list item)."""
    node = doc
    line = node.lc.line + 1 if hasattr(node, "lc") and node.lc.line is not None else 1
    for part in loc:
        if isinstance(node, CommentedMap):
            key = _find_key(node, part)
            if key is _MISSING:
                break
            pos = node.lc.key(key)
            if pos is not None:
                line = pos[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.lc.item(part)
            if pos is not None:
                line = pos[0] + 1
            node = node[part]
        else:
            break
    return line


_MISSING = object()


def _find_key(node: CommentedMap, part: Any) -> Any:
    if part in node:
        return part
    for k in node:  # pydantic reports dict keys as given or as str; match either way
        if str(k) == str(part):
            return k
    return _MISSING


def _message(err: Any) -> str:
    kind, msg, loc = err["type"], err["msg"], err["loc"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
        return f"unknown key {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return f"{err.get('input')!r} must use only lowercase latin letters, digits and _"
    if kind == "bool_type":
        return "must be true or false"
    if kind == "literal_error" and "langs" in loc:
        return f"unknown language {err.get('input')!r}: use ru or en"
    if kind in ("int_parsing", "int_type") and "[key]" in loc:
        return f"anchor key {err.get('input')!r} must be an integer score level"
    return msg


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    """Keys allowed in the mapping at `loc` (list indices and anchor levels drop out of the shape)."""
    shape = tuple(p for p in loc if not isinstance(p, int))
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): Rubric,
        ("applies_to",): AppliesTo,
        ("scale",): Scale,
        ("criteria",): Criterion,
    }
    model = models.get(shape) or (Bilingual if shape and shape[-1] in ("title", "description", "anchors") else None)
    return list(model.model_fields) if model else []


# ---------------------------------------------------------------- check (problems and warnings)


class RubricCheck(BaseModel):
    """The result of `judge rubric check`: problems make a rubric unusable, warnings do not."""

    model_config = ConfigDict(extra="forbid")

    problems: list[str] = Field(default_factory=list)
    """Errors, each `file:line: path: message`."""
    warnings: list[str] = Field(default_factory=list)
    """Missing translations, scale levels without an anchor, unknown categories."""
    rubrics: list[Rubric] = Field(default_factory=list)
    """The rubrics that loaded."""

    @property
    def ok(self) -> bool:
        """True when there are no problems (warnings allowed)."""
        return not self.problems


def check_rubric_files(paths: Iterable[str | Path]) -> RubricCheck:
    """Validate rubric files, collecting every problem and warning instead of stopping at the first."""
    result = RubricCheck()
    names: dict[str, str] = {}
    for p in paths:
        path = Path(p)
        try:
            rubric, doc = _validate(_read_text(path), path)
        except RubricError as e:
            result.problems.extend(e.problems)
            continue
        if rubric.name in names:
            result.problems.append(
                problem(
                    path,
                    _line(doc, ("name",)),
                    "name",
                    f"rubric {rubric.name!r} is also defined in {names[rubric.name]}",
                )
            )
            continue
        names[rubric.name] = str(path)
        result.rubrics.append(rubric)
        result.warnings.extend(problem(path, _line(doc, loc), _path(loc), msg) for loc, msg in _warnings(rubric))
    return result


def _warnings(rubric: Rubric) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []

    def text(loc: tuple[Any, ...], b: Bilingual | None) -> None:
        if b is not None:
            for lang in b.missing():
                out.append(((*loc, lang), f"missing {lang} translation"))

    text(("title",), rubric.title)
    text(("description",), rubric.description)
    for i, cat in enumerate(rubric.applies_to.categories or []):
        if cat not in CATEGORIES:
            out.append(
                (
                    ("applies_to", "categories", i),
                    f"category {cat!r} is not a bundled category ({', '.join(CATEGORIES)})",
                )
            )
    for i, c in enumerate(rubric.criteria):
        text(("criteria", i, "title"), c.title)
        text(("criteria", i, "description"), c.description)
        for level, anchor in sorted(c.anchors.items()):
            text(("criteria", i, "anchors", level), anchor)
        gaps = [str(x) for x in rubric.scale.levels() if x not in c.anchors]
        if gaps:
            levels = "level" if len(gaps) == 1 else "levels"
            out.append(
                (("criteria", i, "anchors"), f"no anchor for score {levels} {', '.join(gaps)} of criterion {c.id!r}")
            )
    return out
