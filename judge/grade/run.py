"""The judge stage: score stored answers against rubric files, single and pairwise with swap.

Reads a pipeline of named steps (as instructor's patch does): plan the missing verdicts from the
store, render the prompt (prompts.py), build the response model (rubric.py), call the judge through
instructor with the one retry policy (call.py), record criterion rows (store.py). A verdict that
still fails is stored as error rows with NULL scores: never a default score.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from judge.config import Config, ModelConfig
from judge.config_price import configured_prices
from judge.errors import ConfigError
from judge.model import CircuitOpen
from judge.prompts import check_templates, prompts_version
from judge.shard import Shard
from judge.store import BatchWriter, Store
from judge.store.cost import record_prices
from judge.store.progress import track
from judge.store.summary import StageSummary

from .call import JudgeClient, failure
from .groups import in_groups, prompt_groups, system_messages
from .plan import (
    Gap,
    PairJob,
    SingleJob,
    StoredAnswer,
    check_rows,
    coverage_gaps,
    judge_ident,
    load_rubrics,
    plan_pairwise,
    plan_single,
    rubric_row,
    stored_answers,
)
from .record import recorded
from .verdicts import pair_verdict, single_verdict

__all__ = ["GradeSummary", "JudgeClient", "failure", "grade", "grade_checks"]


@dataclass
class GradeSummary(StageSummary):
    checks: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    """Prompts whose answers no configured rubric grades (never silently left out)."""
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    """Verdicts ok and failed per judge (the progress file's `by_model`: here the models called are judges)."""


# -- the stage ----------------------------------------------------------------------------------

Progress = Callable[[str, bool], None]


def grade(
    cfg: Config,
    *,
    mode: str | None = None,
    rubrics: list[str] | None = None,
    models: list[str] | None = None,
    regrade: bool = False,
    retry_errors: bool = False,
    concurrency: int | None = None,
    limit: int | None = None,
    checks: bool | None = None,
    argv: list[str] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_done: Progress | None = None,
    checks_only: bool = False,
    repeats: int = 1,
    shard: Shard | None = None,
) -> GradeSummary:
    """Grade every stored answer that lacks a verdict for the current rubric versions and judge.

    `checks_only`: run the deterministic checks alone, with no judge call (no [judge] table needed).
    `repeats`: grade each answer K times (repeat r seeded with the judge's seed + r; see `JudgeClient.seed_for`).
    `shard`: only the answers to the prompts this shard owns (judge.shard), after `limit`.
    """
    if repeats < 1:
        raise ConfigError([f"--repeats: {repeats} is not a number of gradings (1 or more)"])
    if checks_only:
        return grade_checks(cfg, models=models, regrade=regrade, limit=limit, argv=argv, shard=shard)
    jcfg = cfg.judge
    if jcfg is None:
        raise ConfigError([f"{cfg.path}: judge: no [judge] table in the config"])
    mode = mode or jcfg.mode
    judges = cfg.judge_models()  # a jury, or the one judge: each grades everything
    rubric_list = load_rubrics(cfg, rubrics)
    prompts_dir = str(cfg.resolve(jcfg.prompts_dir)) if jcfg.prompts_dir else None
    check_templates(prompts_dir, rubric_list)  # a broken template is found before a run is recorded
    pv = prompts_version(prompts_dir)
    cap = jcfg.rationale_max_chars
    for jm in judges:
        jm.api_key()
    run_checks_too = jcfg.checks if checks is None else checks
    if not cfg.db_path.exists():
        raise ConfigError([f"{cfg.db_path}: no database yet"], hints=["run `judge generate` first"])
    run_id = uuid.uuid4().hex[:16]
    summary = GradeSummary(run_id=run_id)
    store = Store.open(cfg.db_path)
    try:
        store.register_rubrics([rubric_row(r) for r in rubric_list])
        record_prices(store, configured_prices(cfg))
        answers = stored_answers(store, models)
        if limit is not None:
            keep = sorted({a.prompt_key for a in answers})[:limit]
            answers = [a for a in answers if a.prompt_key in set(keep)]
        answers = in_shard(answers, shard)
        summary.gaps = coverage_gaps(answers, rubric_list)

        def wanted(st: str | None) -> bool:
            return st is None or regrade or (retry_errors and st == "error")

        # Each judge's verdicts have keys of their own (the key hashes the judge's identity), so
        # the judges of a jury plan, resume and retry independently.
        work: list[tuple[ModelConfig, list[SingleJob], list[PairJob]]] = []
        for jm in judges:
            ident = judge_ident(jm, pv, cap)
            singles = plan_single(answers, rubric_list, ident, repeats) if mode in ("single", "both") else []
            pairs = plan_pairwise(answers, rubric_list, ident, repeats) if mode in ("pairwise", "both") else []
            done_v = store.verdict_status([j.key for j in singles])
            done_c = store.comparison_status([j.key for j in pairs])
            if not (regrade or retry_errors):
                summary.earlier_errors += sum(1 for st in (*done_v.values(), *done_c.values()) if st == "error")
            # Jobs sharing a system prompt (rubric, language, mode) run back to back, so a server's
            # prefix cache reuses the rubric's KV instead of re-reading thousands of tokens per call.
            singles = sorted(
                (j for j in singles if wanted(done_v.get(j.key))), key=lambda j: (j.rubric.name, j.answer.item.lang)
            )
            pairs = sorted(
                (j for j in pairs if wanted(done_c.get(j.key))), key=lambda j: (j.rubric.name, j.first.item.lang)
            )
            work.append((jm, singles, pairs))
        if run_checks_too:
            summary.checks = _write_checks(store, answers, run_id, regrade)
        summary.planned = sum(len(s) + len(p) for _, s, p in work)
        if on_plan:
            on_plan(summary.planned)
        store.start_run(
            run_id,
            "grade",
            argv or [],
            {
                "mode": mode,
                "judge": judges[0].name,
                "judges": [jm.name for jm in judges],
                "rubrics": {r.name: r.version for r in rubric_list},
                "prompts": pv,
                "repeats": repeats,
                **({"shard": str(shard)} if shard else {}),
            },
        )
        progress, on_done = track(cfg.db_path, run_id, "grade", summary.planned, summary, on_done)

        def counts() -> dict[str, Any]:
            return {
                "ok": summary.ok,
                "errors": summary.errors,
                "pending": summary.pending,
                "checks": summary.checks,
            }

        with recorded(store, run_id, summary, counts, progress.close):
            clients = []
            for jm, singles, pairs in work:
                in_flight = concurrency or jcfg.concurrency
                jc = JudgeClient(jm, concurrency=in_flight, logprobs=jcfg.logprobs, thinking=jcfg.thinking_retry)
                jc.repeats = repeats
                jc.prompts_version = pv
                clients.append((jc, singles, pairs))
            asyncio.run(_run(clients, cap, prompts_dir, run_id, store, summary, regrade, on_done))
    finally:
        store.close()
    return summary


def in_shard(answers: list[StoredAnswer], shard: Shard | None) -> list[StoredAnswer]:
    """The answers whose prompt the shard owns (all without a shard)."""
    return answers if shard is None else [a for a in answers if shard.takes(a.prompt_key)]


def _write_checks(store: Store, answers: list[StoredAnswer], run_id: str, regrade: bool) -> int:
    # Checks are cheap, but rewriting stored ones would make every grade run touch the file.
    crow = [row for a in answers for row in check_rows(a, run_id)]
    seen = store.verdict_status(sorted({r["verdict_id"] for r in crow}))
    return store.write_verdicts([r for r in crow if regrade or r["verdict_id"] not in seen])


def grade_checks(
    cfg: Config,
    *,
    models: list[str] | None = None,
    regrade: bool = False,
    limit: int | None = None,
    argv: list[str] | None = None,
    shard: Shard | None = None,
) -> GradeSummary:
    """The deterministic checks alone (check:answer, check:language) on every stored answer."""
    if not cfg.db_path.exists():
        raise ConfigError(
            [f"{cfg.db_path}: no database yet"], hints=["run `judge generate` or `judge import-answers` first"]
        )
    run_id = uuid.uuid4().hex[:16]
    summary = GradeSummary(run_id=run_id)
    with Store.open(cfg.db_path) as store:
        answers = stored_answers(store, models)
        if limit is not None:
            keep = set(sorted({a.prompt_key for a in answers})[:limit])
            answers = [a for a in answers if a.prompt_key in keep]
        answers = in_shard(answers, shard)
        store.start_run(run_id, "grade", argv or [], {"mode": "checks"})
        summary.checks = _write_checks(store, answers, run_id, regrade)
        store.finish_run(run_id, "done", {"ok": 0, "errors": 0, "checks": summary.checks})
    return summary


async def _run(
    clients: list[tuple[JudgeClient, list[SingleJob], list[PairJob]]],
    cap: int,
    prompts_dir: str | None,
    run_id: str,
    store: Store,
    summary: GradeSummary,
    regrade: bool,
    on_done: Progress | None,
) -> None:
    # One unit per verdict (all its criterion rows): a verdict split across two batches would be
    # replaced by its second half, since a verdict's rows are replaced whole.
    def write(units: list[tuple[str, list[dict[str, Any]]]]) -> None:
        verdicts = [r for kind, rows in units if kind == "single" for r in rows]
        comparisons = [r for kind, rows in units if kind == "pair" for r in rows]
        if verdicts:
            store.write_verdicts(verdicts)
        if comparisons:
            store.write_comparisons(comparisons)

    writer = BatchWriter(write)  # one for every judge: the connection is never used by two threads

    async def handle(jc: JudgeClient, kind: str, job: Any) -> None:
        try:
            if kind == "single":
                rows = await single_verdict(jc, job, cap, prompts_dir, run_id)
            else:
                rows = await pair_verdict(jc, job, cap, prompts_dir, run_id)
        except CircuitOpen as e:
            # The judge is down: store nothing for this verdict, so the next run grades it.
            summary.pending += 1
            summary.unreachable.setdefault(jc.cfg.name, str(e))
            return
        writer.add((kind, rows))
        ok = rows[0].get("error") is None
        summary.ok += ok
        summary.errors += not ok
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
        tally = summary.by_model.setdefault(jc.cfg.name, {"ok": 0, "errors": 0})
        tally["ok" if ok else "errors"] += 1
        if on_done:
            on_done(jc.cfg.name, ok)  # progress names the judge, as generate names the model

    async def judge_all(jc: JudgeClient, singles: list[SingleJob], pairs: list[PairJob]) -> None:
        # One group of verdicts sharing a system prompt at a time, its prefix copied into every slot
        # of a llama.cpp judge first (groups.py): the rubric is read once, not once per slot.
        groups = [
            (
                system_messages(r, lang, "single" if kind == "single" else "pairwise", cap, prompts_dir),
                [(kind, j) for j in jobs],
            )
            for (kind, r, lang), jobs in prompt_groups(singles, pairs)
        ]
        await in_groups(jc.endpoint, jc.cfg.model, groups, lambda kj: handle(jc, *kj))

    # The judges of a jury grade at once, each with its own endpoint's workers.
    tasks = [asyncio.create_task(judge_all(jc, singles, pairs)) for jc, singles, pairs in clients]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        interrupted = writer.flush()  # finished verdicts are kept whatever stops the run
        for jc, _, _ in clients:
            await jc.endpoint.aclose()
        if interrupted:
            raise KeyboardInterrupt
