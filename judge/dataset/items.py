"""Prompt items: the JSONL format of DESIGN.md, strict validation with file:line errors, RU/EN pairs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from judge.errors import DatasetError, problem

from .jsonl import read_objects

LANGS = ("ru", "en")
CATEGORIES = (
    "arithmetic",
    "logic",
    "planning",
    "causal",
    "code",
    "reading",
    "instruction",
    "writing",
    "russian-language",
    "translation",
    "summarisation",
    "official-style",
    "grammar",
    "idioms",
    "russian-knowledge",
    "code-cyrillic",
)
DIFFICULTIES = ("easy", "medium", "hard")


class AnswerSpec(BaseModel):
    """A machine-checkable answer: checked by `check:answer` without any LLM."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["number", "exact", "choice", "regex"]
    """number: numeric value within `tolerance`; exact: normalized string; choice: a letter; regex."""
    value: float | int | str
    """The expected value (for regex: the pattern, searched case-insensitively)."""
    tolerance: float = 0.0
    """Absolute tolerance for numbers."""

    @model_validator(mode="after")
    def _value_fits_type(self) -> AnswerSpec:
        if self.type == "number" and not isinstance(self.value, (int, float)):
            raise ValueError("a number answer needs a numeric value")
        if self.type in ("exact", "choice", "regex") and not isinstance(self.value, str):
            raise ValueError(f"a {self.type} answer needs a string value")
        if self.type == "choice" and not (len(self.value) == 1 and str(self.value).isalpha()):  # type: ignore[arg-type]
            raise ValueError("a choice answer is a single letter")
        if self.type == "regex":
            import re

            try:
                re.compile(str(self.value))
            except re.error as e:
                raise ValueError(f"invalid regex: {e}") from e
        if self.tolerance < 0:
            raise ValueError("tolerance must be >= 0")
        return self


class Bounds(BaseModel):
    """An inclusive count range; either end may be open."""

    model_config = ConfigDict(extra="forbid")

    min: Annotated[int, Field(strict=True, ge=0, le=100_000)] | None = None
    max: Annotated[int, Field(strict=True, ge=0, le=100_000)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Constraints(BaseModel):
    """Instruction constraints that `check:constraints` verifies without an LLM, the same way in
    both languages: words and sentences are counted by a Russian-aware tokenizer, and banned or
    required words match whole words in any inflected form, never a substring of another word."""

    model_config = ConfigDict(extra="forbid")

    words: Bounds | None = None
    """How many words the answer has."""
    sentences: Bounds | None = None
    """How many sentences."""
    paragraphs: Bounds | None = None
    """How many paragraphs (blocks separated by a blank line)."""
    banned: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    """Words that must not appear, in any form (Russian: any inflection of the same lemma)."""
    required: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    """Words that must appear, in some form."""
    starts_with: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The answer's first word(s), compared case-sensitively after leading whitespace."""
    ends_with: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The answer's last characters, compared after trailing whitespace."""


class Item(BaseModel):
    """One prompt of a dataset (one line of JSONL)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")]
    """Unique id within the dataset."""
    pair: str | None = None
    """Links the Russian and English versions of the same task."""
    lang: Literal["ru", "en"]
    """Language of the prompt."""
    answer_lang: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None
    """The language the answer should be in (ISO 639-1), when it differs from the prompt's: a
    Russian prompt that asks for a story in Spanish says `es`. Default: the prompt's language."""
    category: Annotated[str, Field(min_length=1, max_length=100)]
    """Task category (see CATEGORIES for the bundled set; others are allowed)."""
    prompt: Annotated[str, Field(min_length=1)]
    """The user message sent to the model."""
    system: str | None = None
    """An optional per-item system prompt (appended after the model's own)."""
    reference: str | None = None
    """A worked solution or the key facts; the judge sees it (reference-guided grading)."""
    answer: AnswerSpec | None = None
    """A machine-checkable answer."""
    constraints: Constraints | None = None
    """Instruction constraints checked by `check:constraints` (word counts, banned words...)."""
    difficulty: Literal["easy", "medium", "hard"] | None = None
    tags: list[str] = Field(default_factory=list)
    source: str | None = None
    """Where the item came from (for imported sets)."""

    @field_validator("prompt", "category")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        # A prompt of spaces would be sent to every model and graded as if it asked something.
        if not v.strip():
            raise PydanticCustomError("blank_string", "must contain text, not only whitespace")
        return v


class LoadedItem(BaseModel):
    """An item and where it was read from (for error messages downstream)."""

    item: Item
    file: str
    line: int


def _format_validation(path: Path, lineno: int, err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "(line)"
        out.append(problem(path, lineno, field, e["msg"]))
    return out


def load_items(path: str | Path) -> list[Item]:
    """Load and validate a dataset; raise DatasetError listing every problem as file:line: field: msg."""
    return [li.item for li in load_located(path)]


def load_located(path: str | Path) -> list[LoadedItem]:
    path = Path(path)
    problems: list[str] = []
    items: list[LoadedItem] = []
    seen: dict[str, int] = {}
    for lineno, obj in read_objects(path, problems):
        try:
            item = Item.model_validate(obj)
        except ValidationError as e:
            problems.extend(_format_validation(path, lineno, e))
            continue
        if item.id in seen:
            problems.append(problem(path, lineno, "id", f"duplicate id {item.id!r} (first on line {seen[item.id]})"))
            continue
        seen[item.id] = lineno
        items.append(LoadedItem(item=item, file=str(path), line=lineno))
    if not items and not problems:
        problems.append(problem(path, None, None, "dataset is empty"))
    problems.extend(problem(path, li.line, field, msg) for li, field, msg in _check_pairs(items))
    if problems:
        raise DatasetError(problems)
    return items


def _check_pairs(items: list[LoadedItem], *, across_files: bool = False) -> list[tuple[LoadedItem, str, str]]:
    """A pair holds at most one item per language, and its items share a category.

    Returns (item to blame, field, message). `across_files`: only pairs whose items come from
    several files are checked (each file's own pairs were checked when it was loaded), and each
    message names the other file.
    """
    groups: dict[str, list[LoadedItem]] = {}
    for li in items:
        if li.item.pair:
            groups.setdefault(li.item.pair, []).append(li)
    out = []
    for pair, members in groups.items():
        if across_files and len({m.file for m in members}) < 2:
            continue
        langs = Counter(m.item.lang for m in members)
        for lang, n in langs.items():
            if n > 1:
                first, dup = [m for m in members if m.item.lang == lang][:2]
                out.append((dup, "pair", f"pair {pair!r} has {n} items in {lang!r}" + _elsewhere(first, dup)))
        cats = {m.item.category for m in members}
        if len(cats) > 1:
            last = members[-1]
            other = next(m for m in members if m.item.category != last.item.category)
            out.append((last, "category", f"pair {pair!r} mixes categories {sorted(cats)}" + _elsewhere(other, last)))
    return out


def _elsewhere(other: LoadedItem, this: LoadedItem) -> str:
    return f" (also {other.file}:{other.line})" if other.file != this.file else ""


@dataclass
class FileCheck:
    """One file of `check_files`: its items when it loaded, and its problems (own and across files)."""

    path: Path
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_files(paths: Iterable[str | Path]) -> list[FileCheck]:
    """Validate several datasets as one set, for `judge dataset check a.jsonl b.jsonl`.

    Why across files: items are keyed by id in the store and grouped by pair in reports, so one id
    naming two different tasks in two files, or one pair name used by two files for different
    tasks, would merge them. A file that repeats another's item unchanged (a subset, a copy) is fine.
    Cross-file problems are reported on the later file.
    """
    checks: list[FileCheck] = []
    by_id: dict[str, LoadedItem] = {}
    union: list[LoadedItem] = []
    for p in paths:
        fc = FileCheck(Path(p))
        checks.append(fc)
        try:
            loaded = load_located(fc.path)
        except DatasetError as e:
            fc.problems.extend(e.problems)
            continue
        fc.items = [li.item for li in loaded]
        for li in loaded:
            first = by_id.get(li.item.id)
            if first is None:
                by_id[li.item.id] = li
                union.append(li)
            elif first.item != li.item:
                fc.problems.append(
                    problem(
                        fc.path,
                        li.line,
                        "id",
                        f"id {li.item.id!r} is also in {first.file}:{first.line} with different content",
                    )
                )
    owner: dict[str, FileCheck] = {}
    for fc in checks:
        owner.setdefault(str(fc.path), fc)  # a file named twice: its items count once, as the first
    for li, fld, msg in _check_pairs(union, across_files=True):
        owner[li.file].problems.append(problem(li.file, li.line, fld, msg))
    return checks


def dataset_stats(items: list[Item]) -> dict[str, Any]:
    """Counts by language, category, difficulty; checkable (an answer or constraints) and paired items."""
    pairs: dict[str, set[str]] = {}
    for it in items:
        if it.pair:
            pairs.setdefault(it.pair, set()).add(it.lang)
    complete = sum(1 for langs in pairs.values() if set(LANGS) <= langs)
    cats: dict[str, int] = Counter(it.category for it in items)
    task_cats: dict[str, set[str]] = {}
    for it in items:
        task_cats.setdefault(it.category, set()).add(it.pair or it.id)
    return {
        "items": len(items),
        "by_lang": dict(Counter(it.lang for it in items)),
        "by_category": dict(sorted(cats.items())),
        "tasks_by_category": {c: len(v) for c, v in sorted(task_cats.items())},
        "by_difficulty": dict(Counter(it.difficulty or "unset" for it in items)),
        "checkable": sum(1 for it in items if it.answer is not None or it.constraints is not None),
        "by_answer_type": dict(Counter(it.answer.type for it in items if it.answer)),
        "pairs": complete,
        "unpaired": sum(1 for it in items if not it.pair or pairs.get(it.pair, set()) != set(LANGS)),
        "unpaired_by_lang": dict(
            Counter(it.lang for it in items if not it.pair or pairs.get(it.pair, set()) != set(LANGS))
        ),
        "tasks_by_difficulty": dict(Counter(diff for diff in _task_difficulty(items).values())),
        "choice_positions": dict(
            sorted(
                Counter(
                    str(it.answer.value).upper() for it in items if it.answer and it.answer.type == "choice"
                ).items()
            )
        ),
    }


def _task_difficulty(items: list[Item]) -> dict[str, str]:
    """A task (a RU/EN pair counts once) -> its difficulty; the harder one if the two differ."""
    rank = {d: i for i, d in enumerate(DIFFICULTIES)}
    out: dict[str, str] = {}
    for it in items:
        d = it.difficulty or "unset"
        task = it.pair or it.id
        prev = out.get(task)
        if prev is None or rank.get(d, -1) > rank.get(prev, -1):
            out[task] = d
    return out
