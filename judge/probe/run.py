"""`judge probe`: does the judge notice planted errors? Graded clean and corrupted, no human labels.

The stage: take clean texts (the dataset's references, or a model's stored answers), plant errors
with the corruption operators at each dose, have the configured judge grade the clean text once
and every copy with the same rubric, in single mode, through the same machinery as `judge grade`
(prompts.render_single, the verdict model built from the rubric, JudgeClient with the one retry
policy). A failed call is stored as error rows (NULL score), never a score; "n/a" is stored as not
applicable; both are left out of the statistics. Work is keyed by content (see plan.py), so a
rerun does only what is missing and a killed run resumes with no duplicates. At the end, the
bootstrap CIs of p_detect are written per cell (summary.py); `probe_results` reads them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from judge.config import Config
from judge.errors import ConfigError
from judge.grade.applicable import criterion_reasons
from judge.grade.call import JudgeClient, failure
from judge.grade.groups import in_groups, system_messages
from judge.grade.plan import load_rubrics, rubric_row
from judge.grade.record import recorded
from judge.grade.verdicts import response_notes, verdict_model
from judge.model import CircuitOpen, storable, storable_row
from judge.prompts import check_templates, prompts_version, render_single
from judge.rubric import NA, max_tokens_for
from judge.store import BatchWriter, Store, now
from judge.store.probes import probe_status, set_probe_judge, write_probe_texts, write_probe_verdicts
from judge.store.progress import track
from judge.store.summary import StageSummary

from .plan import (
    REFERENCES,
    ProbeJob,
    ProbeText,
    answer_texts,
    describe,
    judge_ident,
    parse_doses,
    plan_probe,
    reference_texts,
    select_operators,
)
from .summary import write_summary

__all__ = ["ProbeSummary", "probe"]

Progress = Callable[[str, bool], None]


@dataclass
class ProbeSummary(StageSummary):
    judge: str = ""
    rubrics: list[str] = field(default_factory=list)
    texts: int = 0
    no_place: int = 0
    """(text, operator, dose) combinations where the operator found no place for its error."""
    not_applicable: int = 0
    """(text, rubric) combinations the rubric's not-applicable rule rules out."""
    cells: int = 0
    """Cells whose bootstrap CI was written at the end of the run."""
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class _Setup:
    jc: JudgeClient
    cap: int
    prompts_dir: str | None
    run_id: str
    ident: str


def _base(s: _Setup, job: ProbeJob, lang: str) -> dict[str, Any]:
    t, op = job.text, job.op
    return {
        "probe_key": job.key,
        "clean_key": job.clean_key,
        "run_id": s.run_id,
        "judge": s.jc.cfg.name,
        "judge_variant": s.jc.cfg.variant(),
        "judge_model_id": s.jc.cfg.model,
        "judge_ident": s.ident,
        "prompts_version": s.jc.prompts_version,
        "rubric": job.rubric.name,
        "rubric_version": job.rubric.version,
        "lang": t.lang,
        "operator": op.name if op else None,
        "expect": op.expect if op else None,
        "dose": job.dose,
        "dose_reached": len(job.edits) if op else None,
        "seed": job.seed,
        "edits_json": json.dumps(job.edits, ensure_ascii=False) if op else None,
        "source": t.source,
        "source_id": t.source_id,
        "item_id": t.original.id,
        "text_hash": t.text_hash,
        "corrupted_hash": job.judged_hash if op else None,
        "created_at": now(),
        "not_applicable": False,
        "instruction_lang": lang,
    }


async def _grade(s: _Setup, job: ProbeJob) -> list[dict[str, Any]]:
    """The criterion rows of one probe item: scores, "n/a", or the error of a call that failed."""
    r, t = job.rubric, job.text
    lang = r.judge_lang(t.item.lang)
    base = _base(s, job, lang)
    messages = render_single(
        r, t.item, job.judged, reasoning=t.reasoning, lang=lang, rationale_cap=s.cap, prompts_dir=s.prompts_dir
    )
    try:
        reply = await s.jc.ask(messages, verdict_model("single", r, s.cap), max_tokens_for(r, s.cap))
    except CircuitOpen:
        raise  # the judge is down, not this item: it stays pending
    except Exception as e:
        err, attempts, raw = failure(e)
        return [
            storable_row({**base, "criterion": c.id, "error": err, "attempts": attempts, "raw": raw})
            for c in r.criteria
        ]
    scores = reply.verdict.by_criterion()
    ruled_out = criterion_reasons(r, t.original)
    rows = []
    for c in r.criteria:
        sc = scores[c.id]
        na = sc.score == NA or c.id in ruled_out
        why = ruled_out.get(c.id, sc.rationale)
        rows.append(
            storable_row(
                {
                    **base,
                    "criterion": c.id,
                    "score": None if na else float(sc.score),
                    "not_applicable": na,
                    "rationale": storable(why) if why is not None else None,
                    "attempts": reply.attempts,
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                    "latency_ms": reply.latency_ms,
                    "raw": response_notes(reply.notes),
                }
            )
        )
    return rows


def probe(
    cfg: Config,
    *,
    source: str = REFERENCES,
    rubrics: list[str] | None = None,
    operators: list[str] | None = None,
    doses: Iterable[int] | None = None,
    limit: int | None = None,
    seed: int = 0,
    concurrency: int | None = None,
    retry_errors: bool = False,
    n_boot: int = 2000,
    argv: list[str] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_done: Progress | None = None,
) -> ProbeSummary:
    """Grade clean texts and their corrupted copies with the configured judge; store the verdicts and
    the per-cell CIs that `probe_results` shows. Bad input raises a ConfigError before anything is
    written (the database is created or upgraded at most)."""
    jcfg = cfg.judge
    if jcfg is None:
        raise ConfigError([f"{cfg.path}: judge: no [judge] table in the config"])
    judge_model = cfg.judge_model()
    rubric_list = load_rubrics(cfg, rubrics)
    dose_list = parse_doses(doses)
    ops = select_operators(operators)
    prompts_dir = str(cfg.resolve(jcfg.prompts_dir)) if jcfg.prompts_dir else None
    check_templates(prompts_dir, rubric_list)
    pv = prompts_version(prompts_dir)
    cap = jcfg.rationale_max_chars
    judge_model.api_key()
    if source != REFERENCES and not cfg.db_path.exists():
        raise ConfigError(
            [f"{cfg.db_path}: no database yet, so no answers of {source!r} to probe with"],
            hints=[f"use --source {REFERENCES}, or run `judge generate` first"],
        )
    texts: list[ProbeText] = []
    if source == REFERENCES:
        texts = reference_texts(cfg, limit)  # a bad dataset is reported before the database is opened
    ident = judge_ident(judge_model, pv, cap)
    run_id = uuid.uuid4().hex[:16]
    summary = ProbeSummary(run_id=run_id, judge=judge_model.name, rubrics=[r.name for r in rubric_list])
    store = Store.open(cfg.db_path)
    try:
        if source != REFERENCES:
            texts = answer_texts(store, source, limit)
        plan = plan_probe(texts, rubric_list, ops, dose_list, seed, ident)
        summary.texts, summary.no_place, summary.not_applicable = plan.texts, plan.no_place, plan.not_applicable
        done = probe_status(store, [j.key for j in plan.jobs])

        def wanted(st: str | None) -> bool:
            return st is None or (retry_errors and st == "error")

        if not retry_errors:
            summary.earlier_errors = sum(1 for st in done.values() if st == "error")
        jobs = [j for j in plan.jobs if wanted(done.get(j.key))]
        summary.skipped = len(plan.jobs) - len(jobs)
        # Clean texts first (a copy's pair is complete only with its clean verdict), and jobs sharing a
        # system prompt (rubric, language) back to back, for the server's prefix cache.
        jobs.sort(key=lambda j: (j.op is not None, j.rubric.name, j.text.lang))
        summary.planned = len(jobs)
        if on_plan:
            on_plan(summary.planned)
        store.register_rubrics([rubric_row(r) for r in rubric_list])
        store.start_run(
            run_id,
            "probe",
            argv or [],
            {
                "judge": judge_model.name,
                "judge_ident": ident,
                "source": source,
                "rubrics": {r.name: r.version for r in rubric_list},
                "operators": {lang: [o.name for o in v] for lang, v in ops.items()},
                "doses": list(dose_list),
                "seed": seed,
                "limit": limit,
                "texts": describe(texts),
                "prompts": pv,
            },
        )
        set_probe_judge(store, judge_model.name, ident, judge_model.variant(), pv, run_id)
        progress, on_done = track(cfg.db_path, run_id, "probe", summary.planned, summary, on_done)

        def counts() -> dict[str, Any]:
            return {
                "ok": summary.ok,
                "errors": summary.errors,
                "pending": summary.pending,
                "skipped": summary.skipped,
                "no_place": summary.no_place,
                "not_applicable": summary.not_applicable,
                "cells": summary.cells,
            }

        with recorded(store, run_id, summary, counts, progress.close):
            if jobs:
                jc = JudgeClient(judge_model, concurrency=concurrency or jcfg.concurrency, logprobs=False)
                jc.prompts_version = pv
                asyncio.run(_run(_Setup(jc, cap, prompts_dir, run_id, ident), jobs, store, summary, on_done))
            summary.cells = write_summary(store, ident, run_id, n_boot=n_boot)
    finally:
        store.close()
    return summary


def _group(job: ProbeJob) -> tuple[str, str, str]:
    r = job.rubric
    return r.name, r.version, r.judge_lang(job.text.item.lang)


async def _run(s: _Setup, jobs: list[ProbeJob], store: Store, summary: ProbeSummary, on_done: Progress | None) -> None:
    # One unit per probe item (all its criterion rows): an item's rows are replaced whole.
    def write(units: list[tuple[list[dict[str, Any]], str, str]]) -> None:
        write_probe_texts(store, {h: storable(text) for _, h, text in units})
        write_probe_verdicts(store, [r for rows, _, _ in units for r in rows])

    writer = BatchWriter(write)

    async def handle(job: ProbeJob) -> None:
        try:
            rows = await _grade(s, job)
        except CircuitOpen as e:
            # The judge is down: store nothing for this item, so the next run grades it.
            summary.pending += 1
            summary.unreachable.setdefault(s.jc.cfg.name, str(e))
            return
        writer.add((rows, job.judged_hash, job.judged))
        ok = rows[0].get("error") is None
        summary.ok += ok
        summary.errors += not ok
        kind = "clean" if job.op is None else "corrupted"
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
        if on_done:
            on_done(kind, ok)

    # Every probe item of a rubric and instruction language shares one system prompt: one group.
    groups: dict[tuple[str, str, str], list[ProbeJob]] = {}
    for job in jobs:
        groups.setdefault(_group(job), []).append(job)
    warm = [(system_messages(g[0].rubric, key[2], "single", s.cap, s.prompts_dir), g) for key, g in groups.items()]
    task = asyncio.create_task(in_groups(s.jc.endpoint, s.jc.cfg.model, warm, handle))
    try:
        await task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        interrupted = writer.flush()  # finished items are kept whatever stops the run
        await s.jc.endpoint.aclose()
        if interrupted:
            raise KeyboardInterrupt
