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
from judge.config import Config, ModelConfig, file_problem, stable_hash
from judge.dataset import AnswerSpec, Item
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
        )
        out.append(StoredAnswer(r[0], r[1], r[2], r[3] or "", r[4], r[5], r[6], item))
    return out


# -- plan ---------------------------------------------------------------------------------------


@dataclass
class SingleJob:
    key: str
    rubric: Rubric
    answer: StoredAnswer


@dataclass
class PairJob:
    key: str
    pair_id: str
    swap: int
    rubric: Rubric
    first: StoredAnswer
    second: StoredAnswer


def _judge_ident(judge: ModelConfig, pv: str, cap: int) -> dict[str, Any]:
    return {"judge": judge.identity(), "prompts": pv, "cap": cap}


def plan_single(answers: list[StoredAnswer], rubrics: list[Rubric], ident: dict[str, Any]) -> list[SingleJob]:
    return [
        SingleJob(stable_hash({"g": a.generation_id, "r": r.version, "j": ident, "mode": "single"}), r, a)
        for a in answers
        for r in rubrics
        if applies(r, a.item)
    ]


def plan_pairwise(answers: list[StoredAnswer], rubrics: list[Rubric], ident: dict[str, Any]) -> list[PairJob]:
    """Every two models' first samples of a prompt, judged in both orders."""
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
                pid = stable_hash(
                    {"a": x.generation_id, "b": y.generation_id, "r": r.version, "j": ident, "mode": "pairwise"}
                )
                for swap, (first, second) in enumerate(((x, y), (y, x))):
                    jobs.append(PairJob(stable_hash({"pair": pid, "swap": swap}), pid, swap, r, first, second))
    return jobs


# -- rows ---------------------------------------------------------------------------------------


def check_rows(a: StoredAnswer, run_id: str) -> list[dict[str, Any]]:
    rows = []
    for name, crit_rows in run_checks(a.item, a.answer).items():
        vid = stable_hash({"g": a.generation_id, "check": name, "v": CHECKS_VERSION})
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
    }
