"""Planning `judge probe`: the clean texts, the operators asked for, and the probe items still missing.

A probe item is one text the judge grades under one rubric: the clean text, or a corrupted copy
(operator, dose, seed). Its key is a hash of the judge setup (model identity and name, prompt
templates, rationale cap), the rubric version, what the judge sees beside the text (the item) and
the clean text, plus operator, dose and seed for a copy: a rerun plans only what is not stored, and
a clean text is graded once whatever the operators and doses.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from judge.config import Config, ModelConfig, file_problem
from judge.dataset import Item, load_items
from judge.errors import ConfigError
from judge.grade.applicable import not_applicable_reason
from judge.grade.plan import stored_answers
from judge.keys import stable_hash
from judge.rubric import Rubric, applies
from judge.store import Store
from judge.store.probes import source_models

from .operators import DOSES, Corruption, Operator, operators_for

REFERENCES = "references"
LANGS = ("ru", "en")


@dataclass(frozen=True)
class ProbeText:
    """A clean text to probe with, and the item it answers."""

    source: str
    """`references` or the model label whose answer it is."""
    source_id: str
    """The item id (references) or the generation id (a model's answer)."""
    item: Item
    """The item as the judge is shown it (for references: without the reference, which is the text)."""
    original: Item
    """The item as stored (criteria with `applies_if` rules read its tags and reference)."""
    text: str
    reasoning: str | None
    lang: str
    """The text's language: the item's `answer_lang`, else its prompt's."""
    text_hash: str


@dataclass
class ProbeJob:
    """One probe item: a text the judge grades under one rubric."""

    key: str
    clean_key: str | None
    """The clean item's key (None for the clean item itself)."""
    rubric: Rubric
    text: ProbeText
    judged: str
    """The text the judge sees: the clean text, or the corrupted copy."""
    judged_hash: str
    op: Operator | None = None
    dose: int | None = None
    seed: int | None = None
    edits: list[str] = field(default_factory=list)


@dataclass
class Plan:
    jobs: list[ProbeJob] = field(default_factory=list)
    texts: int = 0
    no_place: int = 0
    """(text, operator, dose) combinations the operator found no place in (the operator returned None)."""
    not_applicable: int = 0
    """(text, rubric) combinations the rubric's not-applicable rule rules out (language, length)."""


def text_hash(text: str) -> str:
    return stable_hash({"text": text})


def judge_ident(judge: ModelConfig, prompts_version: str, cap: int) -> str:
    """The judge setup a probe item is keyed by (the entry's name too: two entries serving one
    model id on two servers are two judges)."""
    return stable_hash({"judge": judge.identity(), "name": judge.name, "prompts": prompts_version, "cap": cap})


# -- inputs ---------------------------------------------------------------------------------------


def parse_doses(doses: Iterable[int] | None) -> tuple[int, ...]:
    out = tuple(sorted(set(doses))) if doses is not None else DOSES
    bad = [d for d in out if d < 1]
    if not out or bad:
        raise ConfigError([f"--doses: doses are whole numbers of edits, 1 or more (got {', '.join(map(str, out))})"])
    return out


def select_operators(names: list[str] | None) -> dict[str, list[Operator]]:
    """Language -> the operators to apply: `names` (each registered for some language), or all."""
    by_lang = {lang: operators_for(lang) for lang in LANGS}
    if not names:
        return by_lang
    known = sorted({op.name for ops in by_lang.values() for op in ops})
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            [f"--operators: unknown operator {u!r} (known: {', '.join(known) or 'none registered'})" for u in unknown]
        )
    return {lang: [op for op in ops if op.name in names] for lang, ops in by_lang.items()}


def _lang(item: Item) -> str:
    return item.answer_lang or item.lang


def _per_lang(texts: list[ProbeText], limit: int | None) -> list[ProbeText]:
    """The first `limit` texts of each language (all without a limit), each text once."""
    seen: set[tuple[str, str]] = set()
    count: dict[str, int] = {}
    out = []
    for t in texts:
        if (t.original.id, t.text_hash) in seen or (limit is not None and count.get(t.lang, 0) >= limit):
            continue
        seen.add((t.original.id, t.text_hash))
        count[t.lang] = count.get(t.lang, 0) + 1
        out.append(t)
    return out


def reference_texts(cfg: Config, limit: int | None) -> list[ProbeText]:
    """The dataset items' references as clean texts (items without one are left out)."""
    path = cfg.resolve(cfg.dataset)
    if not path.exists():
        raise ConfigError([file_problem(cfg, ("dataset",), path, "dataset file")])
    texts = []
    for it in load_items(path):
        ref = (it.reference or "").strip()
        if not ref:
            continue
        # Shown its own reference, a judge would grade the copy by diffing it against the clean text.
        shown = it.model_copy(update={"reference": None})
        texts.append(ProbeText(REFERENCES, it.id, shown, it, ref, None, _lang(it), text_hash(ref)))
    return _per_lang(texts, limit)


def answer_texts(store: Store, model: str, limit: int | None) -> list[ProbeText]:
    """A model's stored answers (current variant, succeeded) as clean texts."""
    answers = [a for a in stored_answers(store, [model]) if a.answer.strip()]
    if not answers:
        have = source_models(store)
        raise ConfigError(
            [f"--source: no stored answers of a model {model!r} (models with answers: {', '.join(have) or 'none'})"],
            hints=[f"use --source {REFERENCES}, or run `judge generate` first"],
        )
    texts = [
        ProbeText(model, a.generation_id, a.item, a.item, a.answer, a.reasoning, _lang(a.item), text_hash(a.answer))
        for a in answers
    ]
    return _per_lang(texts, limit)


# -- plan -----------------------------------------------------------------------------------------


def _rng(seed: int, t: ProbeText, op: Operator, dose: int) -> random.Random:
    """The corruption's own RNG: the same text, operator, dose and seed give the same copy."""
    h = hashlib.sha256(f"{seed}\0{t.text_hash}\0{op.lang}\0{op.name}\0{dose}".encode()).hexdigest()
    return random.Random(int(h[:16], 16))


def corrupt(t: ProbeText, op: Operator, dose: int, seed: int) -> Corruption | None:
    """The corrupted copy, or None when the operator found no place for its error (an operator that
    hands back the text unchanged counts as none: it would be a clean text scored twice)."""
    c = op.apply(t.text, dose, _rng(seed, t, op, dose))
    if c is None or c.text == t.text:
        return None
    return c


def _context(r: Rubric, t: ProbeText) -> str:
    """What the judge is shown besides the text: the item (and the reasoning, where the rubric shows it)."""
    return stable_hash(
        {"item": t.item.model_dump(mode="json"), "reasoning": t.reasoning if r.include_reasoning else None}
    )


def plan_probe(
    texts: list[ProbeText],
    rubrics: list[Rubric],
    ops: dict[str, list[Operator]],
    doses: tuple[int, ...],
    seed: int,
    ident: str,
) -> Plan:
    """Every probe item for `texts`: the clean text and each operator x dose copy, per rubric that
    applies (by language and category, and the rubric's not-applicable rule on the clean text)."""
    plan = Plan(texts=len(texts))
    for t in texts:
        graded = []
        for r in rubrics:
            if not applies(r, t.original):
                continue
            if not_applicable_reason(r, t.original, t.text) is not None:
                plan.not_applicable += 1
                continue
            graded.append(r)
        if not graded:
            continue
        copies = [(op, dose, corrupt(t, op, dose, seed)) for op in ops.get(t.lang, []) for dose in doses]
        plan.no_place += sum(c is None for _, _, c in copies)
        if all(c is None for _, _, c in copies):
            continue  # a clean verdict with no copy to compare would be a call for nothing
        for r in graded:
            ctx = _context(r, t)
            clean_key = stable_hash({"probe": "clean", "j": ident, "r": r.version, "ctx": ctx, "t": t.text_hash})
            plan.jobs.append(ProbeJob(clean_key, None, r, t, t.text, t.text_hash))
            for op, dose, c in copies:
                if c is None:
                    continue
                key = stable_hash({"clean": clean_key, "op": op.name, "lang": op.lang, "dose": dose, "seed": seed})
                plan.jobs.append(
                    ProbeJob(key, clean_key, r, t, c.text, text_hash(c.text), op, dose, seed, list(c.edits))
                )
    return plan


def describe(texts: list[ProbeText]) -> dict[str, Any]:
    """Texts per language (for the run's config record)."""
    out: dict[str, int] = {}
    for t in texts:
        out[t.lang] = out.get(t.lang, 0) + 1
    return out
