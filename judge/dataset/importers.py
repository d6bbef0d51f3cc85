"""Importers: public prompt sets (MT-Bench, Arena-Hard-Auto) -> Items, and writing Items as JSONL.

Each importer reads a JSONL file, reports every bad line as `file:line: field: message` in one
DatasetError, and returns validated `Item`s. Multi-turn conversations are not supported yet: only the
first turn becomes the prompt, and the item is tagged `multi-turn` so the loss is visible.

`import_paired` joins the same questions in two languages (a file and its translation) by question
id into RU/EN pairs; the language of each file is told from its prompts, not from a flag.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
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


FieldsOf = Callable[[dict[str, Any], int, _Problems], dict[str, Any] | None]
"""Reads the Item fields (all but `lang`) of one line, or reports its problems and returns None."""


@dataclass
class _Parsed:
    """One file read by `_parse`: its items (with line and question id) and its problems."""

    path: Path
    entries: list[tuple[int, str, Item]] = field(default_factory=list)
    """(line, question id, item) of each good line, in file order."""
    keys: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Question id -> (first line, field) for every line whose id could be read, good or bad."""
    problems: list[str] = field(default_factory=list)


def _question_key(obj: dict[str, Any], names: tuple[str, ...]) -> tuple[str, str] | None:
    """(question id, the field it is in) of a raw object: the first of `names` it has."""
    for name in names:
        if name in obj:
            key = _key(obj[name])
            return (key, name) if key is not None else None
    return None


def _parse(path: str | Path, lang: str, fields_of: FieldsOf, key_names: tuple[str, ...]) -> _Parsed:
    """The shared import loop: each JSON object of `path` -> `fields_of` -> a validated Item.

    Every problem is collected as `file:line: field: message`; a file with no question at all
    (and no other problem) is a problem too. `key_names`: the fields the question id is read from.
    """
    _check_lang(lang)
    path = Path(path)
    probs = _Problems(path)
    parsed = _Parsed(path, problems=probs.items)
    seen: dict[str, int] = {}
    for lineno, obj in _records(path, probs):
        found = _question_key(obj, key_names)
        if found is not None:
            parsed.keys.setdefault(found[0], (lineno, found[1]))
        fields = fields_of(obj, lineno, probs)
        if fields is None:
            continue
        item = _build({**fields, "lang": lang}, lineno, probs, seen)
        if item is not None:
            parsed.entries.append((lineno, found[0] if found else item.id, item))
    if not parsed.entries and not probs.items:
        probs.add(None, None, "no questions found")
    return parsed


def _import_jsonl(path: str | Path, lang: str, fmt: str) -> list[Item]:
    """`_parse` a file of format `fmt`, raising a DatasetError with every problem."""
    parsed = _parse(path, lang, *FORMATS[fmt])
    if parsed.problems:
        raise DatasetError(parsed.problems)
    return [item for _, _, item in parsed.entries]


def import_mtbench(path: str | Path, *, lang: str = "en") -> list[Item]:
    """Read an MT-Bench `question.jsonl` (question_id, category, turns, optional reference).

    The first turn becomes the prompt and the first reference turn the reference; ids are
    `mtbench-<question_id>`. Raise DatasetError listing every bad line.
    """
    return _import_jsonl(path, lang, "mtbench")


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
    return _import_jsonl(path, lang, "arena-hard")


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
        value = obj.get(extra)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # ru_llm_arena's general set numbers its 50 clusters
        if _nonempty_str(value) and value != raw_cat:
            tags.append(f"{extra}:{value}")
    if n_turns > 1:
        tags.append("multi-turn")
    return {
        "id": f"arena-{uid}",
        "category": ARENA_CATEGORIES.get(str(raw_cat), raw_cat),
        "prompt": prompt,
        "tags": tags,
        "source": "arena-hard",
    }


FORMATS: dict[str, tuple[FieldsOf, tuple[str, ...]]] = {
    "mtbench": (_mtbench_fields, ("question_id",)),
    "arena-hard": (_arena_fields, ("uid", "question_id")),
}
"""Question-file format -> the reader of one line, and the fields its question id is read from."""
FORMAT_ALIASES = {"arena_hard": "arena-hard", "arenahard": "arena-hard", "mt-bench": "mtbench"}

LANG_SHARE = 0.8
"""The share of a file's prompts that must be identified as one language for the file to count as
written in it. The real files are far above it (ru_llm_arena: hard_en 98 %, hard_ru 98.6 %,
general_ru 96 %; the rest are prompts that are mostly code, or a few words lingua confuses with
Bulgarian or French); a file that mixes two languages is below it."""


@dataclass(frozen=True)
class LangVote:
    """The language of a file, told from its prompts: how many prompts lingua put in each language."""

    lang: str | None
    """`ru` or `en` when at least `LANG_SHARE` of the prompts are in it; None when it cannot be told."""
    counts: tuple[tuple[str, int], ...]
    """(language, prompts) most first; `none` counts prompts with too little text to tell."""

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def describe(self) -> str:
        """`ru 493, en 4, fr 2, none 1 of 500 prompts`."""
        return ", ".join(f"{c} {n}" for c, n in self.counts) + f" of {self.total} prompts"


def detect_lang(prompts: Iterable[str]) -> LangVote:
    """Identify each prompt's running text (code lines and identifiers left out) with the project's
    language identification (`judge.checks.langid`) and take the language most of them are in."""
    from judge.checks.langid import identify
    from judge.checks.terms import running_text

    counts = Counter(identify(running_text(p)).lang or "none" for p in prompts)
    ordered = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    total = sum(counts.values())
    top = next(((c, n) for c, n in ordered if c != "none"), None)
    lang = top[0] if top and top[0] in LANGS and top[1] >= LANG_SHARE * total else None
    return LangVote(lang, ordered)


LANG_NAMES = {"ru": "Russian", "en": "English"}


@dataclass(frozen=True)
class PairedImport:
    """What `import_paired` made: the items (each pair Russian first) and each file's language."""

    items: list[Item]
    langs: dict[Path, LangVote]

    @property
    def pairs(self) -> int:
        return len(self.items) // 2


def import_paired(
    path: str | Path,
    other: str | Path,
    *,
    fmt: str = "arena-hard",
) -> PairedImport:
    """Join two question files of format `fmt` by question id into RU/EN pairs.

    The pair of question `q` is `<prefix>-<q>` (`arena-<q>`, the id a plain import gives it), its
    items `<pair>-ru` and `<pair>-en`; `source` names the format and the file the item came from.
    The language of each file is detected from its prompts: one must be Russian and the other
    English. A question in only one file, a question id twice in one file, a bad line, a file
    whose language cannot be told, two files in one language, a pair whose two categories differ:
    every problem is raised at once in a DatasetError, as `file:line: field: message`.
    """
    reader = FORMATS[FORMAT_ALIASES.get(fmt, fmt)]
    if Path(path).resolve() == Path(other).resolve():
        raise DatasetError([problem(other, None, None, f"the same file as {path}: pair a file with its translation")])
    files = (_parse(path, "en", *reader), _parse(other, "en", *reader))  # the language is set below
    problems = [p for f in files for p in f.problems]
    langs: dict[Path, LangVote] = {}
    for f in files:
        if f.entries:
            langs[f.path] = vote = detect_lang(item.prompt for _, _, item in f.entries)
            if vote.lang is None:
                problems.append(
                    problem(
                        f.path,
                        None,
                        "lang",
                        f"cannot tell the language of the prompts ({vote.describe()}): a paired import needs "
                        f"at least {LANG_SHARE:.0%} of a file's prompts in Russian, or in English",
                    )
                )
    a, b = files
    va, vb = langs.get(a.path), langs.get(b.path)
    if va and vb and va.lang and va.lang == vb.lang:
        problems.append(
            problem(
                b.path,
                None,
                "lang",
                f"in {LANG_NAMES[va.lang]} like {a.path} ({vb.describe()}; {a.path}: {va.describe()}): "
                "a paired import needs one Russian and one English file",
            )
        )
    for f, g in ((a, b), (b, a)) if a.entries and b.entries else ():  # else the file itself is the problem
        for key, (line, name) in f.keys.items():
            if key not in g.keys:
                problems.append(problem(f.path, line, name, f"{key!r} has no partner: it is not in {g.path}"))
    if problems or not (va and va.lang and vb and vb.lang):  # no problem left: both languages were told
        raise DatasetError(problems)
    partners = {key: (line, item) for line, key, item in b.entries}
    items: list[Item] = []
    for line, key, item in a.entries:
        line_b, item_b = partners[key]
        if item.category != item_b.category:
            problems.append(
                problem(
                    b.path,
                    line_b,
                    "category",
                    f"{item_b.category!r}, but {item.category!r} in its partner at {a.path}:{line}",
                )
            )
            continue
        made = [
            _paired(item, item.id, va.lang, a.path, line, problems),
            _paired(item_b, item.id, vb.lang, b.path, line_b, problems),
        ]
        items.extend(sorted((m for m in made if m is not None), key=lambda it: it.lang != "ru"))
    if problems:
        raise DatasetError(problems)
    return PairedImport(items, langs)


def _paired(item: Item, pair: str, lang: str, path: Path, line: int, problems: list[str]) -> Item | None:
    """`item` as the `lang` half of pair `pair`, or None after reporting why it cannot be."""
    fields = item.model_dump(exclude_none=True)
    fields.update(id=f"{pair}-{lang}", pair=pair, lang=lang, source=f"{item.source}:{path.name}")
    try:
        return Item.model_validate(fields)
    except ValidationError as e:
        problems.extend(problem(path, line, ".".join(map(str, err["loc"])) or None, err["msg"]) for err in e.errors())
        return None


def dumps_jsonl(items: list[Item]) -> str:
    """Items as UTF-8 JSONL text (one object a line, Cyrillic unescaped, None fields left out)."""
    return "".join(
        json.dumps(item.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n" for item in items
    )


def write_jsonl(items: list[Item], path: str | Path) -> None:
    """Write items as UTF-8 JSONL (one object a line, Cyrillic unescaped, None fields left out)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        f.write(dumps_jsonl(items))
    tmp.replace(path)
