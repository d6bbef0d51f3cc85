"""Planning the judge stage: which answers each rubric grades, and the verdicts still missing.

Work is keyed by content (answer, rubric version, judge identity, prompt templates), so a rerun
plans only what is not stored and a rubric edit regrades only what it affects.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from judge.checks import CheckRow, judge_name, run_checks
from judge.config import Config, ModelConfig, file_problem, qualify, stable_hash
from judge.dataset import AnswerSpec, Constraints, Item
from judge.errors import ConfigError
from judge.rubric import Rubric, applies, load_rubric
from judge.store import Store, now

CHECKS_VERSION = "c1"


@dataclass
class StoredAnswer:
    generation_id: str
    model: str
    model_id: str
    answer: str
    reasoning: str | None
    prompt_key: str
    sample: int
    item: Item
    content_id: str = ""
    """The generation's key before it was made private to its model's name."""
    model_name: str = ""
    """The config entry's name (`model` is its label, `name@variant` for a retired variant)."""

    def key(self, **parts: Any) -> str:
        """A verdict key for this answer: `parts` hashed with the content key, then made private to
        the model's name, the same wrapping as the generation key (see `judge.config.qualify`)."""
        return qualify(stable_hash({"g": self.content_id, **parts}), self.model_name)


def load_rubrics(cfg: Config, rubric_filter: list[str] | None = None) -> list[Rubric]:
    """The configured rubric files (validated before the database is opened)."""
    paths = cfg.judge.rubrics if cfg.judge else []
    missing = [
        file_problem(cfg, ("judge", "rubrics", i), cfg.resolve(p), "rubric file")
        for i, p in enumerate(paths)
        if not cfg.resolve(p).is_file()
    ]
    if missing:
        raise ConfigError(missing)
    rubrics = [load_rubric(cfg.resolve(p)) for p in paths]
    if rubric_filter:
        names = {r.name for r in rubrics}
        unknown = [n for n in rubric_filter if n not in names]
        if unknown:
            raise ConfigError(
                [f"--rubric: unknown rubric {u!r} (configured: {', '.join(sorted(names))})" for u in unknown]
            )
        rubrics = [r for r in rubrics if r.name in rubric_filter]
    return rubrics


def rubric_row(r: Rubric) -> dict[str, Any]:
    from judge.rubric import canonical_json

    return {
        "name": r.name,
        "version": r.version,
        "path": r.source_path,
        "text": r.source_text,
        "canonical_json": canonical_json(r),
        "scale_min": r.scale.min,
        "scale_max": r.scale.max,
        "criteria_json": json.dumps([c.id for c in r.criteria]),
    }


def stored_answers(store: Store, models: list[str] | None) -> list[StoredAnswer]:
    """Current-variant answers that succeeded, with their prompt as an Item."""
    out = []
    for r in store.successful_answers(models):
        item = Item(
            id=r[7],
            pair=r[8],
            lang=r[9],
            category=r[10],
            prompt=r[11],
            system=r[12],
            reference=r[13],
            answer=AnswerSpec.model_validate_json(r[14]) if r[14] else None,
            difficulty=r[15],
            tags=json.loads(r[16] or "[]"),
            answer_lang=r[19],
            constraints=Constraints.model_validate_json(r[20]) if r[20] else None,
        )
        out.append(StoredAnswer(r[0], r[1], r[2], r[3] or "", r[4], r[5], r[6], item, r[17], r[18]))
    return out


# -- plan ---------------------------------------------------------------------------------------


@dataclass
class SingleJob:
    key: str
    rubric: Rubric
    answer: StoredAnswer
    repeat: int = 0
    """Which of the `--repeats K` gradings of this answer (0 = the verdict every run has)."""


@dataclass
class PairJob:
    key: str
    pair_id: str
    swap: int
    rubric: Rubric
    first: StoredAnswer
    second: StoredAnswer
    repeat: int = 0


def judge_ident(judge: ModelConfig, pv: str, cap: int) -> dict[str, Any]:
    return {"judge": judge.identity(), "prompts": pv, "cap": cap}


def repeat_parts(repeat: int) -> dict[str, Any]:
    """What a repeat adds to a key: nothing for repeat 0, so the verdicts stored before repeats
    existed (and every run with `--repeats 1`) keep their keys, and resume."""
    return {"repeat": repeat} if repeat else {}


def plan_single(
    answers: list[StoredAnswer], rubrics: list[Rubric], ident: dict[str, Any], repeats: int = 1
) -> list[SingleJob]:
    return [
        SingleJob(a.key(r=r.version, j=ident, mode="single", **repeat_parts(k)), r, a, k)
        for a in answers
        for r in rubrics
        if applies(r, a.item)
        for k in range(repeats)
    ]


def pair_name(first: str, second: str) -> str:
    """What a pair key is made private to: both entries' names, in the pair's order."""
    return f"{first} | {second}"


def plan_pairwise(
    answers: list[StoredAnswer], rubrics: list[Rubric], ident: dict[str, Any], repeats: int = 1
) -> list[PairJob]:
    """Every two models' first samples of a prompt, judged in both orders (`repeats` times).

    A repeat is a pair of its own (its id hashes the repeat index), so the `pairwise` views join
    the two orders of one repeat, never an order of one repeat with the other order of another.
    """
    by_prompt: dict[str, list[StoredAnswer]] = {}
    for a in answers:
        if a.sample == 0:
            by_prompt.setdefault(a.prompt_key, []).append(a)
    jobs = []
    for group in by_prompt.values():
        for x, y in itertools.combinations(sorted(group, key=lambda a: a.model), 2):
            for r in rubrics:
                if not applies(r, x.item):
                    continue
                for k in range(repeats):
                    content = stable_hash(
                        {
                            "a": x.content_id,
                            "b": y.content_id,
                            "r": r.version,
                            "j": ident,
                            "mode": "pairwise",
                            **repeat_parts(k),
                        }
                    )
                    pid = qualify(content, pair_name(x.model_name, y.model_name))
                    for swap, (first, second) in enumerate(((x, y), (y, x))):
                        key = stable_hash({"pair": pid, "swap": swap})
                        jobs.append(PairJob(key, pid, swap, r, first, second, k))
    return jobs


# -- rows ---------------------------------------------------------------------------------------


def check_rows(a: StoredAnswer, run_id: str) -> list[dict[str, Any]]:
    rows = []
    for name, crit_rows in run_checks(a.item, a.answer).items():
        vid = a.key(check=name, v=CHECKS_VERSION)
        for c in crit_rows:
            rows.append(_check_row(vid, a, name, c, run_id))
    return rows


def _check_row(vid: str, a: StoredAnswer, name: str, c: CheckRow, run_id: str) -> dict[str, Any]:
    return {
        "verdict_id": vid,
        "criterion": c.criterion,
        "generation_id": a.generation_id,
        "mode": "check",
        "rubric": judge_name(name),
        "rubric_version": CHECKS_VERSION,
        "judge": judge_name(name),
        "judge_variant": CHECKS_VERSION,
        "judge_model_id": None,
        "score": c.score,
        "passed": c.passed,
        "rationale": c.detail,
        "weight": 1.0,
        "self_judged": False,
        "run_id": run_id,
        "created_at": now(),
        "repeat": 0,  # a check is deterministic: graded once
    }


@dataclass(frozen=True)
class Gap:
    """A prompt whose answers no configured rubric grades, and why."""

    item_id: str
    lang: str
    category: str
    models: tuple[str, ...]
    reason: str


def _why_not(r: Rubric, item: Item) -> str:
    at = r.applies_to
    if at.langs is not None and item.lang not in at.langs:
        return f"{r.name} grades {'/'.join(at.langs)} only"
    return f"{r.name} lists no category {item.category!r}"


def coverage_gaps(answers: list[StoredAnswer], rubrics: list[Rubric]) -> list[Gap]:
    """Prompts with answers that no rubric applies to (by language and category), with the reason.

    Why: such answers are silently never graded; `judge grade`, `judge status` and the report say so.
    """
    by_prompt: dict[str, tuple[Item, set[str]]] = {}
    for a in answers:
        by_prompt.setdefault(a.item.id, (a.item, set()))[1].add(a.model)
    return _gaps(by_prompt, rubrics)


def item_gaps(items: list[Item], rubrics: list[Rubric], models: list[str]) -> list[Gap]:
    """Items of a dataset that no rubric applies to, for the models that will answer them."""
    return _gaps({it.id: (it, set(models)) for it in items}, rubrics)


def _gaps(by_prompt: dict[str, tuple[Item, set[str]]], rubrics: list[Rubric]) -> list[Gap]:
    gaps = []
    for pid, (item, models) in sorted(by_prompt.items()):
        if any(applies(r, item) for r in rubrics):
            continue
        reason = "; ".join(_why_not(r, item) for r in rubrics) or "no rubric is configured"
        gaps.append(Gap(pid, item.lang, item.category, tuple(sorted(models)), reason))
    return gaps
