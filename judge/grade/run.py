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

from judge.config import Config
from judge.errors import ConfigError
from judge.grade.logprobs import ExpectedScore, dist_json, expected_scores
from judge.model import CircuitOpen, storable, storable_row
from judge.prompts import check_templates, prompts_version, render_pairwise, render_single
from judge.rubric import NA, max_tokens_for, pairwise_verdict_model, single_verdict_model
from judge.store import BatchWriter, Store, now
from judge.store.progress import track
from judge.store.summary import StageSummary

from .applicable import criterion_reasons, na_rows, not_applicable_reason
from .call import JudgeClient, failure
from .plan import (
    Gap,
    PairJob,
    SingleJob,
    StoredAnswer,
    _judge_ident,
    check_rows,
    coverage_gaps,
    load_rubrics,
    plan_pairwise,
    plan_single,
    rubric_row,
    stored_answers,
)
from .record import recorded

__all__ = ["GradeSummary", "JudgeClient", "failure", "grade", "grade_checks"]


@dataclass
class GradeSummary(StageSummary):
    checks: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    """Prompts whose answers no configured rubric grades (never silently left out)."""


_VERDICT_MODELS: dict[tuple[str, str, str, int], type] = {}


def verdict_model(kind: str, r: Any, cap: int) -> type:
    """The response model for a rubric, built once per (rubric version, cap): building a pydantic
    model costs milliseconds, and the judge client keeps per-model work keyed on the class."""
    key = (kind, r.name, r.version, cap)
    model = _VERDICT_MODELS.get(key)
    if model is None:
        build = single_verdict_model if kind == "single" else pairwise_verdict_model
        model = _VERDICT_MODELS[key] = build(r, cap)
    return model


def _storable(text: str | None, criterion: str, notes: list[str]) -> str | None:
    """A rationale as stored: the judge's JSON may carry a \\u0000 (or worse) that parsing decoded."""
    if text is None:
        return None
    fixed = storable(text)
    if fixed is not text:
        notes.append(f"{criterion}.rationale: lone surrogates replaced by U+FFFD, NUL characters removed")
    return fixed


def response_notes(notes: list[str]) -> str | None:
    """The `raw` column of a verdict row that succeeded: NULL, or what was repaired in the reply."""
    return "response notes: " + "; ".join(notes) if notes else None


async def _single(
    jc: JudgeClient, job: SingleJob, cap: int, prompts_dir: str | None, run_id: str
) -> list[dict[str, Any]]:
    r, a = job.rubric, job.answer
    lang = r.judge_lang(a.item.lang)
    base: dict[str, Any] = {
        "verdict_id": job.key,
        "generation_id": a.generation_id,
        "mode": "single",
        "rubric": r.name,
        "rubric_version": r.version,
        "judge": jc.cfg.name,
        "judge_variant": jc.cfg.variant(),
        "judge_model_id": jc.cfg.model,
        "self_judged": jc.cfg.model == a.model_id or jc.cfg.name == a.model,
        "prompts_version": jc.prompts_version,
        "run_id": run_id,
        "created_at": now(),
        "not_applicable": False,
        "instruction_lang": lang,
    }
    reason = not_applicable_reason(r, a.item, a.answer)
    if reason is not None:
        return [storable_row(row) for row in na_rows(base, r, reason, single=True)]
    messages = render_single(
        r,
        a.item,
        a.answer,
        reasoning=a.reasoning,
        lang=lang,
        rationale_cap=cap,
        prompts_dir=prompts_dir,
    )
    try:
        reply = await jc.ask(messages, verdict_model("single", r, cap), max_tokens_for(r, cap))
    except CircuitOpen:
        raise  # the judge is down, not this verdict: it stays pending
    except Exception as e:
        err, attempts, raw = failure(e)
        return [
            storable_row(
                {**base, "criterion": c.id, "weight": c.weight, "error": err, "attempts": attempts, "raw": raw}
            )
            for c in r.criteria
        ]
    scores = reply.verdict.by_criterion()
    exp: dict[str, ExpectedScore] = expected_scores(
        reply.completion, [c.id for c in r.criteria], r.scale.min, r.scale.max
    )
    pt, ct = reply.prompt_tokens, reply.completion_tokens
    notes = list(reply.notes)
    why = {c.id: _storable(scores[c.id].rationale, c.id, notes) for c in r.criteria}
    rows = []
    ruled_out = criterion_reasons(r, a.item)
    for c in r.criteria:
        s = scores[c.id]
        na = s.score == NA or c.id in ruled_out
        es = None if na else exp.get(c.id)
        rows.append(
            {
                **base,
                "criterion": c.id,
                "weight": c.weight,
                "score": None if na else float(s.score),
                "not_applicable": na,
                "rationale": ruled_out.get(c.id, why[c.id]),
                "expected_score": es.expected if es else None,
                "score_dist_json": dist_json(es),
                "logprob_coverage": es.coverage if es else None,
                "attempts": reply.attempts,
                "prompt_tokens": pt,
                "completion_tokens": ct,
                "latency_ms": reply.latency_ms,
                "raw": response_notes(notes),
            }
        )
    return [storable_row(row) for row in rows]


async def _pair(jc: JudgeClient, job: PairJob, cap: int, prompts_dir: str | None, run_id: str) -> list[dict[str, Any]]:
    r = job.rubric
    lang = r.judge_lang(job.first.item.lang)
    base: dict[str, Any] = {
        "comparison_id": job.key,
        "pair_id": job.pair_id,
        "swap": job.swap,
        "position_a": job.first.generation_id,
        "position_b": job.second.generation_id,
        "rubric": r.name,
        "rubric_version": r.version,
        "judge": jc.cfg.name,
        "judge_variant": jc.cfg.variant(),
        "judge_model_id": jc.cfg.model,
        "prompts_version": jc.prompts_version,
        "run_id": run_id,
        "created_at": now(),
        "not_applicable": False,
        "instruction_lang": lang,
    }
    # Comparing two answers on a criterion that does not apply to one of them would crown the
    # other by default: the whole comparison is not applicable, with the reason for each answer.
    reasons = [
        f"answer {side}: {na_why}"
        for side, ans in (("A", job.first), ("B", job.second))
        if (na_why := not_applicable_reason(r, ans.item, ans.answer)) is not None
    ]
    if reasons:
        return [storable_row(row) for row in na_rows(base, r, "; ".join(reasons), single=False)]
    messages = render_pairwise(
        r,
        job.first.item,
        job.first.answer,
        job.second.answer,
        reasoning_a=job.first.reasoning,
        reasoning_b=job.second.reasoning,
        lang=lang,
        rationale_cap=cap,
        prompts_dir=prompts_dir,
    )
    try:
        reply = await jc.ask(messages, verdict_model("pair", r, cap), max_tokens_for(r, cap))
    except CircuitOpen:
        raise
    except Exception as e:
        err, attempts, raw = failure(e)
        return [
            storable_row({**base, "criterion": c.id, "error": err, "attempts": attempts, "raw": raw})
            for c in r.criteria
        ]
    prefs = reply.verdict.by_criterion()
    pt, ct = reply.prompt_tokens, reply.completion_tokens
    notes = list(reply.notes)
    why = {c.id: _storable(prefs[c.id].rationale, c.id, notes) for c in r.criteria}
    ruled_out = criterion_reasons(r, job.first.item)
    na = {c.id: prefs[c.id].winner == NA or c.id in ruled_out for c in r.criteria}
    return [
        storable_row(
            {
                **base,
                "criterion": c.id,
                "winner": None if na[c.id] else prefs[c.id].winner,
                "not_applicable": na[c.id],
                "rationale": ruled_out.get(c.id, why[c.id]),
                "attempts": reply.attempts,
                "prompt_tokens": pt,
                "completion_tokens": ct,
                "latency_ms": reply.latency_ms,
                "raw": response_notes(notes),
            }
        )
        for c in r.criteria
    ]


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
) -> GradeSummary:
    """Grade every stored answer that lacks a verdict for the current rubric versions and judge.

    `checks_only`: run the deterministic checks alone, with no judge call (no [judge] table needed).
    """
    if checks_only:
        return grade_checks(cfg, models=models, regrade=regrade, limit=limit, argv=argv)
    jcfg = cfg.judge
    if jcfg is None:
        raise ConfigError([f"{cfg.path}: judge: no [judge] table in the config"])
    mode = mode or jcfg.mode
    judge_model = cfg.judge_model()
    rubric_list = load_rubrics(cfg, rubrics)
    prompts_dir = str(cfg.resolve(jcfg.prompts_dir)) if jcfg.prompts_dir else None
    check_templates(prompts_dir, rubric_list)  # a broken template is found before a run is recorded
    pv = prompts_version(prompts_dir)
    cap = jcfg.rationale_max_chars
    judge_model.api_key()
    run_checks_too = jcfg.checks if checks is None else checks
    if not cfg.db_path.exists():
        raise ConfigError([f"{cfg.db_path}: no database yet"], hints=["run `judge generate` first"])
    run_id = uuid.uuid4().hex[:16]
    summary = GradeSummary(run_id=run_id)
    store = Store.open(cfg.db_path)
    try:
        store.register_rubrics([rubric_row(r) for r in rubric_list])
        answers = stored_answers(store, models)
        if limit is not None:
            keep = sorted({a.prompt_key for a in answers})[:limit]
            answers = [a for a in answers if a.prompt_key in set(keep)]
        summary.gaps = coverage_gaps(answers, rubric_list)
        ident = _judge_ident(judge_model, pv, cap)
        singles = plan_single(answers, rubric_list, ident) if mode in ("single", "both") else []
        pairs = plan_pairwise(answers, rubric_list, ident) if mode in ("pairwise", "both") else []
        done_v = store.verdict_status([j.key for j in singles])
        done_c = store.comparison_status([j.key for j in pairs])

        def wanted(st: str | None) -> bool:
            return st is None or regrade or (retry_errors and st == "error")

        if not (regrade or retry_errors):
            summary.earlier_errors = sum(1 for st in (*done_v.values(), *done_c.values()) if st == "error")

        # Jobs sharing a system prompt (rubric, language, mode) run back to back, so a server's
        # prefix cache reuses the rubric's KV instead of re-reading thousands of tokens per call.
        singles = sorted(
            (j for j in singles if wanted(done_v.get(j.key))), key=lambda j: (j.rubric.name, j.answer.item.lang)
        )
        pairs = sorted(
            (j for j in pairs if wanted(done_c.get(j.key))), key=lambda j: (j.rubric.name, j.first.item.lang)
        )
        if run_checks_too:
            summary.checks = _write_checks(store, answers, run_id, regrade)
        summary.planned = len(singles) + len(pairs)
        if on_plan:
            on_plan(summary.planned)
        store.start_run(
            run_id,
            "grade",
            argv or [],
            {
                "mode": mode,
                "judge": judge_model.name,
                "rubrics": {r.name: r.version for r in rubric_list},
                "prompts": pv,
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
            jc = JudgeClient(judge_model, concurrency=concurrency or jcfg.concurrency, logprobs=jcfg.logprobs)
            jc.prompts_version = pv
            asyncio.run(_run(jc, singles, pairs, cap, prompts_dir, run_id, store, summary, regrade, on_done))
    finally:
        store.close()
    return summary


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
        store.start_run(run_id, "grade", argv or [], {"mode": "checks"})
        summary.checks = _write_checks(store, answers, run_id, regrade)
        store.finish_run(run_id, "done", {"ok": 0, "errors": 0, "checks": summary.checks})
    return summary


async def _run(
    jc: JudgeClient,
    singles: list[SingleJob],
    pairs: list[PairJob],
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

    writer = BatchWriter(write)

    queue: list[tuple[str, Any]] = [("single", j) for j in singles] + [("pair", j) for j in pairs]
    queue.reverse()

    async def worker() -> None:
        while queue:
            kind, job = queue.pop()
            try:
                if kind == "single":
                    rows = await _single(jc, job, cap, prompts_dir, run_id)
                else:
                    rows = await _pair(jc, job, cap, prompts_dir, run_id)
            except CircuitOpen as e:
                # The judge is down: store nothing for this verdict, so the next run grades it.
                summary.pending += 1
                summary.unreachable.setdefault(jc.cfg.name, str(e))
                continue
            writer.add((kind, rows))
            ok = rows[0].get("error") is None
            summary.ok += ok
            summary.errors += not ok
            summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
            if on_done:
                on_done(kind, ok)

    n = min(len(queue), jc.endpoint.limit * len(jc.endpoint.clients) + 2)
    tasks = [asyncio.create_task(worker()) for _ in range(n)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        interrupted = writer.flush()  # finished verdicts are kept whatever stops the run
        await jc.endpoint.aclose()
        if interrupted:
            raise KeyboardInterrupt
