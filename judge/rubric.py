"""Rubric YAML -> `Rubric` model -> version hash and the verdict models handed to instructor.

Why: linguists edit rubrics by hand, so every problem is reported at once as `file:line: path: msg`
(lines come from ruamel's round-trip nodes), and the version is a hash of the parsed content so a
comment or whitespace edit does not trigger regrading while any change of text or numbers does.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from .dataset import CATEGORIES, LANGS, Item
from .errors import RubricError, problem

Lang = Literal["ru", "en"]
DEFAULT_RATIONALE_CAP = 300
VERSION_PREFIX = "r1:"
_ID = r"^[a-z0-9_]+$"
_STRICT_STR = Annotated[str, Field(strict=True)]
# Passed as validation context by load_rubric, which runs the cross-field checks itself so it can
# give each problem its own line.
_DEFER = "defer_semantic_checks"


class Bilingual(BaseModel):
    """A text in Russian and English; one of them may be missing (a warning, not an error)."""

    model_config = ConfigDict(extra="forbid")

    ru: _STRICT_STR | None = None
    """Russian text."""
    en: _STRICT_STR | None = None
    """English text."""

    @model_validator(mode="after")
    def _some_text(self) -> Bilingual:
        if not (self.ru or "").strip() and not (self.en or "").strip():
            raise ValueError("needs text in ru or en")
        return self

    def get(self, lang: str) -> str:
        """The text in `lang`, falling back to the other language when it is missing."""
        own = self.ru if lang == "ru" else self.en
        other = self.en if lang == "ru" else self.ru
        return (own or "").strip() or (other or "").strip()

    def missing(self) -> list[str]:
        """Languages with no (or only blank) text."""
        return [lang for lang in LANGS if not (getattr(self, lang) or "").strip()]


class Scale(BaseModel):
    """The integer score range; min < max is checked with the rubric."""

    model_config = ConfigDict(extra="forbid")

    min: Annotated[int, Field(strict=True)]
    """Lowest score."""
    max: Annotated[int, Field(strict=True)]
    """Highest score."""

    def levels(self) -> range:
        """Every score level, min..max inclusive."""
        return range(self.min, self.max + 1)


class AppliesTo(BaseModel):
    """Which items a rubric grades; an omitted list means every language or category."""

    model_config = ConfigDict(extra="forbid")

    langs: Annotated[list[Lang], Field(min_length=1)] | None = None
    """Item languages (ru, en)."""
    categories: Annotated[list[_STRICT_STR], Field(min_length=1)] | None = None
    """Item categories."""


class Criterion(BaseModel):
    """One graded aspect, with texts for some score levels."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(strict=True, pattern=_ID)]
    """Unique within the rubric; the key in the verdict JSON."""
    title: Bilingual
    """Short name."""
    description: Bilingual | None = None
    """What the criterion looks at."""
    anchors: dict[Annotated[int, Field(strict=True)], Bilingual]
    """Score level -> what an answer at that level looks like; must include scale min and max."""
    weight: Annotated[float, Field(strict=True, gt=0)] = 1.0
    """Relative weight when criteria are combined."""


class Rubric(BaseModel):
    """A validated rubric; `source_text`/`source_path` are kept for the store (every version's text)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(strict=True, pattern=_ID)]
    """Stable name; verdict rows carry it."""
    title: Bilingual
    """Display title."""
    description: Bilingual | None = None
    """What the rubric is for."""
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    """Which items it grades; omitted = all."""
    scale: Scale
    """Score range of every criterion."""
    include_reasoning: Annotated[bool, Field(strict=True)] = False
    """Whether the judge also sees the model's reasoning trace."""
    criteria: Annotated[list[Criterion], Field(min_length=1)]
    """The graded aspects."""

    _source_text: str | None = PrivateAttr(default=None)
    _source_path: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Rubric:
        if info.context and info.context.get(_DEFER):
            return self
        issues = _semantic_issues(self.model_dump())
        if issues:
            raise ValueError("; ".join(f"{_path(loc)}: {msg}" for loc, msg in issues))
        return self

    @property
    def source_text(self) -> str | None:
        """The YAML text this rubric was parsed from (None when built in Python)."""
        return self._source_text

    @property
    def source_path(self) -> str | None:
        """The file it was loaded from."""
        return self._source_path

    @property
    def version(self) -> str:
        """Content hash; see `rubric_version`."""
        return rubric_version(self)

    def criterion(self, cid: str) -> Criterion:
        """The criterion with id `cid` (KeyError if none)."""
        for c in self.criteria:
            if c.id == cid:
                return c
        raise KeyError(cid)


# ---------------------------------------------------------------- loading


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
    if not path.is_file():
        raise RubricError([problem(path, None, None, "file not found")])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise RubricError([problem(path, None, None, f"not UTF-8 ({e.reason} at byte {e.start})")]) from e
    return text


def _parse_document(text: str, path: object) -> Any:
    try:
        return _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        raise RubricError([problem(path, line, None, f"invalid YAML: {what}")]) from e
    except YAMLError as e:
        raise RubricError([problem(path, None, None, f"invalid YAML: {e}")]) from e


def _validate(text: str, path: object) -> tuple[Rubric, Any]:
    doc = _parse_document(text, path)
    if doc is None:
        raise RubricError([problem(path, None, None, "file is empty")])
    if not isinstance(doc, Mapping):
        kind = "a list" if isinstance(doc, list) else f"a {type(doc).__name__}"
        raise RubricError([problem(path, 1, None, f"a rubric must be a mapping of keys (name, title, ...), got {kind}")])
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


def _semantic_issues(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-field checks over raw or dumped data; defensive, since the data may also be invalid."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if not isinstance(data, Mapping):
        return out
    scale = data.get("scale")
    lo = hi = None
    if isinstance(scale, Mapping):
        lo, hi = scale.get("min"), scale.get("max")
        if not (_is_int(lo) and _is_int(hi)):
            lo = hi = None
        elif lo >= hi:
            out.append((("scale",), f"inverted scale: min ({lo}) must be less than max ({hi})"))
            lo = hi = None
    criteria = data.get("criteria")
    if not isinstance(criteria, list):
        return out
    first_seen: dict[str, int] = {}
    for i, c in enumerate(criteria):
        if not isinstance(c, Mapping):
            continue
        cid = c.get("id")
        if isinstance(cid, str):
            if cid in first_seen:
                out.append((("criteria", i, "id"), f"duplicate criterion id {cid!r} (also criteria[{first_seen[cid]}])"))
            else:
                first_seen[cid] = i
        anchors = c.get("anchors")
        if lo is None or not isinstance(anchors, Mapping):
            continue
        levels = [k for k in anchors if _is_int(k)]
        for k in levels:
            if not lo <= k <= hi:
                out.append((("criteria", i, "anchors", k), f"anchor {k} is outside the scale {lo}..{hi}"))
        missing = [str(x) for x in (lo, hi) if x not in levels]
        if missing:
            out.append(
                (("criteria", i, "anchors"), f"anchors must include the scale min and max; missing {', '.join(missing)}")
            )
    return out


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# ---------------------------------------------------------------- error locations


def _path(loc: Sequence[Any]) -> str:
    """('criteria', 0, 'anchors', 5, 'en') -> 'criteria[0].anchors.5.en'."""
    out = ""
    prev = None
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int) and prev in ("criteria", "langs", "categories"):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
        prev = part
    return out or "(top)"


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
                problem(path, _line(doc, ("name",)), "name", f"rubric {rubric.name!r} is also defined in {names[rubric.name]}")
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
            out.append((("applies_to", "categories", i), f"category {cat!r} is not a bundled category ({', '.join(CATEGORIES)})"))
    for i, c in enumerate(rubric.criteria):
        text(("criteria", i, "title"), c.title)
        text(("criteria", i, "description"), c.description)
        for level, anchor in sorted(c.anchors.items()):
            text(("criteria", i, "anchors", level), anchor)
        gaps = [str(x) for x in rubric.scale.levels() if x not in c.anchors]
        if gaps:
            levels = "level" if len(gaps) == 1 else "levels"
            out.append((("criteria", i, "anchors"), f"no anchor for score {levels} {', '.join(gaps)} of criterion {c.id!r}"))
    return out


# ---------------------------------------------------------------- version


def canonical_json(rubric: Rubric) -> str:
    """The normalized content that the version hashes: sorted keys, defaults filled in, no comments."""
    return json.dumps(rubric.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def rubric_version(rubric: Rubric) -> str:
    """`r1:` + 16 hex chars of sha256 over `canonical_json`; comments, key order and whitespace don't count."""
    return VERSION_PREFIX + hashlib.sha256(canonical_json(rubric).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- applies


def applies(rubric: Rubric, item: Item) -> bool:
    """Whether `rubric` grades `item` (by its language and category)."""
    at = rubric.applies_to
    if at.langs is not None and item.lang not in at.langs:
        return False
    return at.categories is None or item.category in at.categories


# ---------------------------------------------------------------- round trip


@dataclass
class RubricDocument:
    """A rubric as ruamel's round-trip tree (comments, quotes and layout kept) for programmatic edits."""

    data: Any
    """The CommentedMap; edit it like a dict."""
    mapping_indent: int = 2
    sequence_indent: int = 4
    sequence_offset: int = 2


def load_document(path: str | Path) -> RubricDocument:
    """Read a rubric for editing; `save_document` writes it back with comments and layout preserved."""
    path = Path(path)
    text = _read_text(path)
    data = _parse_document(text, path)
    return RubricDocument(data, *_guess_indent(text))


def save_document(doc: RubricDocument, path: str | Path) -> None:
    """Write `doc` to `path` atomically (a reader never sees a half-written rubric)."""
    path = Path(path)
    y = _yaml()
    y.indent(mapping=doc.mapping_indent, sequence=doc.sequence_indent, offset=doc.sequence_offset)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            y.dump(doc.data, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_KEY_ONLY = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file uses them; defaults 2, 4, 2."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping = offset = None
    for prev, nxt in zip(lines, lines[1:]):
        m = _KEY_ONLY.match(prev)
        if not m:
            continue
        base = len(m.group(1))
        ind = len(nxt) - len(nxt.lstrip(" "))
        if nxt.lstrip().startswith("- "):
            offset = ind - base if offset is None and ind >= base else offset
        elif ind > base and mapping is None:
            mapping = ind - base
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, offset + 2, offset


# ---------------------------------------------------------------- verdict models


class _Verdict(BaseModel):
    """Base of the generated verdict models; fields are aliased to criterion ids."""

    model_config = ConfigDict(extra="forbid")

    def by_criterion(self) -> dict[str, Any]:
        """Criterion id -> its CriterionScore / CriterionPreference."""
        return {(f.alias or name): getattr(self, name) for name, f in type(self).model_fields.items()}


def _criterion_fields(rubric: Rubric, inner: type[BaseModel]) -> dict[str, Any]:
    # Python names are neutral (c0, c1, ...) so an id such as `model_config` or `schema` cannot
    # clash with BaseModel attributes; the JSON keys are the ids through aliases.
    return {f"c{i}": (inner, Field(alias=c.id)) for i, c in enumerate(rubric.criteria)}


def single_verdict_model(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP) -> type[_Verdict]:
    """Response model for single-answer grading: `{criterion_id: {rationale, score}}`, rationale first."""
    score = create_model(
        "CriterionScore",
        __config__=ConfigDict(extra="forbid"),
        rationale=(str, Field(max_length=rationale_cap)),
        # strict: a JSON `true` or "4" is not a score
        score=(int, Field(ge=rubric.scale.min, le=rubric.scale.max, strict=True)),
    )
    return create_model("SingleVerdict", __base__=_Verdict, **_criterion_fields(rubric, score))


def pairwise_verdict_model(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP) -> type[_Verdict]:
    """Response model for pairwise grading: `{criterion_id: {rationale, winner: A|B|tie}}`."""
    pref = create_model(
        "CriterionPreference",
        __config__=ConfigDict(extra="forbid"),
        rationale=(str, Field(max_length=rationale_cap)),
        winner=(Literal["A", "B", "tie"], Field()),
    )
    return create_model("PairwiseVerdict", __base__=_Verdict, **_criterion_fields(rubric, pref))


def max_tokens_for(rubric: Rubric, rationale_cap: int = DEFAULT_RATIONALE_CAP, *, reasoning_tokens: int = 0) -> int:
    """A `max_tokens` large enough that the verdict JSON is never cut off.

    Counts a full token per rationale character: Cyrillic often costs one token or more per
    character on small models' tokenizers, and shared/LOCAL_MODEL.md measured criteria x cap as the
    budget that never truncated. Add the judge's reasoning budget for reasoning models.
    """
    per_criterion = rationale_cap + 48  # key, braces, quotes, score, escapes
    return len(rubric.criteria) * per_criterion + 128 + reasoning_tokens
