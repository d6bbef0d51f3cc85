"""The rubric model: bilingual texts, scale, criteria; cross-field checks, version hash, applicability.

Why a hash of the parsed content: a comment or whitespace edit must not trigger regrading, while
any change of text or numbers does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from judge.dataset import LANGS, Item

Lang = Literal["ru", "en"]
VERSION_PREFIX = "r1:"
_ID = r"^[a-z0-9_]+$"
_STRICT_STR = Annotated[str, Field(strict=True)]
# Passed as validation context by load_rubric, which runs the cross-field checks itself so it can
# give each problem its own line.
_DEFER = "defer_semantic_checks"
SCALE_BOUND = 1000
"""Scale min and max lie within ±SCALE_BOUND: scores are stored and compared as small integers."""
MAX_LEVELS = 100
"""At most this many score levels: the judge reads an anchor per level, the report a column."""
MAX_WEIGHT = 1000.0
"""Weights are relative; a bound keeps weighted sums finite."""


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

    min: Annotated[int, Field(strict=True, ge=-SCALE_BOUND, le=SCALE_BOUND)]
    """Lowest score."""
    max: Annotated[int, Field(strict=True, ge=-SCALE_BOUND, le=SCALE_BOUND)]
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


class AppliesIf(BaseModel):
    """Which items a criterion grades, decided by the program: an item carrying one of `tags_any`,
    or whose reference matches `reference_matches` (a regular expression). Other items get "not
    applicable" for this criterion without the judge deciding it."""

    model_config = ConfigDict(extra="forbid")

    tags_any: list[Annotated[str, Field(strict=True, min_length=1, max_length=100)]] = Field(default_factory=list)
    """Item tags, any of which makes the criterion apply (e.g. `trap`)."""
    reference_matches: Annotated[str, Field(strict=True, min_length=1, max_length=500)] | None = None
    """A regular expression searched in the item's reference (e.g. a line naming the trap)."""

    @model_validator(mode="after")
    def _some_condition(self) -> AppliesIf:
        if not self.tags_any and self.reference_matches is None:
            raise ValueError("needs tags_any or reference_matches")
        if self.reference_matches is not None:
            try:
                re.compile(self.reference_matches)
            except re.error as e:
                raise ValueError(f"reference_matches: invalid regular expression: {e}") from e
        return self

    def holds(self, tags: Sequence[str], reference: str | None) -> bool:
        """Whether an item with these tags and reference is graded on the criterion."""
        if set(self.tags_any) & set(tags):
            return True
        return bool(self.reference_matches and reference and re.search(self.reference_matches, reference))


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
    weight: Annotated[float, Field(strict=True, gt=0, le=MAX_WEIGHT, allow_inf_nan=False)] = 1.0
    """Relative weight when criteria are combined."""
    not_applicable_when: Bilingual | None = None
    """When the judge may answer "n/a" instead of a score (e.g. "a one-step task has no edge
    cases"); without it the criterion always takes a score. "n/a" is stored as not applicable, with
    the judge's rationale as the reason: never a score, never an error."""
    applies_if: AppliesIf | None = None
    """Which items the criterion grades at all, decided by the program (see `AppliesIf`)."""


class NotApplicableRule(BaseModel):
    """When a whole verdict is "not applicable" without asking the judge: the text to grade is not
    in the rubric's language, or too short to grade. Decided by `check:language` and a word count,
    so a small judge cannot give an English answer 5 for Russian grammar."""

    model_config = ConfigDict(extra="forbid")

    answer_lang: Lang
    """The language the graded text must be in; an answer identified as another language, or an
    item whose `answer_lang` is another language, gets "not applicable" on every criterion."""
    min_words: Annotated[int, Field(strict=True, ge=0, le=1000)] = 0
    """Answers with fewer words than this are too short to grade (not applicable)."""


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
    include_reference: Annotated[bool, Field(strict=True)] = True
    """Whether the judge sees the item's reference (worked solution, key facts). False for rubrics
    that grade language, not content: a judge told that "a discrepancy with the reference is an
    error" lets content errors leak into fluency scores."""
    criteria: Annotated[list[Criterion], Field(min_length=1)]
    """The graded aspects."""
    not_applicable: NotApplicableRule | None = None
    """When the whole rubric does not apply to an answer (decided before any judge call)."""
    instruction_lang: Literal["item", "ru", "en"] | None = None
    """The language of the judge's instructions: `ru`/`en` for every item, `item` for the item's
    own language. Default: the rubric's only language when `applies_to.langs` names one, else
    `en`, so both items of a RU/EN pair are judged under the same instructions and the RU−EN gap
    does not include the judge's own language effect (see `judge_lang`)."""

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

    def judge_lang(self, item_lang: str) -> str:
        """The language of the judge's instructions for an item in `item_lang` (see `instruction_lang`)."""
        il = self.instruction_lang
        if il in ("ru", "en"):
            return il
        if il == "item":
            return item_lang
        langs = self.applies_to.langs
        return langs[0] if langs and len(langs) == 1 else "en"

    def criterion(self, cid: str) -> Criterion:
        """The criterion with id `cid` (KeyError if none)."""
        for c in self.criteria:
            if c.id == cid:
                return c
        raise KeyError(cid)


def _semantic_issues(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-field checks over raw or dumped data; defensive, since the data may also be invalid."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if not isinstance(data, Mapping):
        return out
    scale = data.get("scale")
    lo: Any = None  # the scale's ints once they are known to be usable, else None
    hi: Any = None
    if isinstance(scale, Mapping):
        lo, hi = scale.get("min"), scale.get("max")
        if not (_is_int(lo) and _is_int(hi)):
            lo = hi = None
        elif lo >= hi:
            out.append((("scale",), f"inverted scale: min ({lo}) must be less than max ({hi})"))
            lo = hi = None
        elif max(abs(lo), abs(hi)) > SCALE_BOUND:  # reported by the field bounds
            lo = hi = None
        elif hi - lo + 1 > MAX_LEVELS:
            out.append((("scale",), f"scale {lo}..{hi} has {hi - lo + 1} levels, more than {MAX_LEVELS}"))
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
                out.append(
                    (("criteria", i, "id"), f"duplicate criterion id {cid!r} (also criteria[{first_seen[cid]}])")
                )
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
                (
                    ("criteria", i, "anchors"),
                    f"anchors must include the scale min and max; missing {', '.join(missing)}",
                )
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


# ---------------------------------------------------------------- version


# Fields added after rubrics were first stored: left out of the hash while unset, so a rubric that
# does not use them keeps the version (and the verdicts) it had.
_LATER_FIELDS: dict[str, Any] = {"not_applicable": None, "instruction_lang": None, "include_reference": True}
_LATER_CRITERION_FIELDS: dict[str, Any] = {"not_applicable_when": None, "applies_if": None}


def canonical_json(rubric: Rubric) -> str:
    """The normalized content that the version hashes: sorted keys, defaults filled in, no comments."""
    data = rubric.model_dump(mode="json")
    for k, default in _LATER_FIELDS.items():
        if data.get(k) == default:
            data.pop(k, None)
    for c in data["criteria"]:
        for k, default in _LATER_CRITERION_FIELDS.items():
            if c.get(k) == default:
                c.pop(k, None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


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
