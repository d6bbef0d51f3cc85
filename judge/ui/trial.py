"""Try: grade a few answers with the unsaved draft and the configured judge, beside the stored scores.

Nothing is stored: the verdict rows are built by the same code `judge grade` uses (`single_verdict`) and
shown, so a linguist sees what an edit would do before saving it. A failed call shows its error,
never a score.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from judge.errors import ConfigError, InputError
from judge.rubric import Rubric, applies
from judge.store.ui import answer_ids, scores_of

from .app import page, ui_of
from .rubrics import stored, valid_draft

router = APIRouter()
MAX_TRY = 20
"""Answers one Try grades at most: a page request, not a grading run."""


async def grade_draft(cfg: Any, rubric: Rubric, answers: list[Any]) -> list[list[dict[str, Any]]]:
    """Each answer's criterion rows under `rubric`, graded by the configured (first) judge."""
    import asyncio

    from judge.grade.call import JudgeClient
    from judge.grade.plan import SingleJob, judge_ident
    from judge.grade.verdicts import single_verdict
    from judge.model import CircuitOpen
    from judge.prompts import prompts_version

    jcfg = cfg.judge
    if jcfg is None:
        raise ConfigError([f"{cfg.path}: judge: no [judge] table in the config"])
    jm = cfg.judge_models()[0]
    prompts_dir = str(cfg.resolve(jcfg.prompts_dir)) if jcfg.prompts_dir else None
    cap = jcfg.rationale_max_chars
    jc = JudgeClient(jm, concurrency=jcfg.concurrency or 4, logprobs=jcfg.logprobs, thinking=jcfg.thinking_retry)
    jc.prompts_version = prompts_version(prompts_dir)
    ident = judge_ident(jm, jc.prompts_version, cap)
    run_id = "ui-try-" + uuid.uuid4().hex[:8]

    async def one(job: SingleJob) -> list[dict[str, Any]]:
        try:
            return await single_verdict(jc, job, cap, prompts_dir, run_id)
        except CircuitOpen as e:  # the judge is down: said per criterion, never a score
            return [{"criterion": c.id, "score": None, "error": f"judge unreachable: {e}"} for c in rubric.criteria]

    try:
        jobs = [SingleJob(a.key(r=rubric.version, j=ident, mode="single"), rubric, a) for a in answers]
        return list(await asyncio.gather(*(one(j) for j in jobs)))
    finally:
        await jc.endpoint.aclose()


@router.post("/rubrics/{name}/try", response_class=HTMLResponse)
async def rubric_try(request: Request, name: str) -> Any:
    ui = ui_of(request)
    rubric, form = await valid_draft(request, name)
    try:
        n = max(1, min(MAX_TRY, int(form.get("n") or 3)))
    except ValueError as e:
        raise InputError([f"n: {form.get('n')!r} is not a number of answers"]) from e
    chosen = [x.strip() for x in (form.get("ids") or "").replace(",", " ").split() if x.strip()][:MAX_TRY]
    with ui.read() as rd:
        if not chosen:
            pool = [
                i[0] for i in answer_ids(rd.store) if not rubric.applies_to.langs or i[2] in rubric.applies_to.langs
            ]
            seed = form.get("seed") or None
            chosen = random.Random(seed).sample(pool, min(n, len(pool)))
        answers = [a for a in stored(rd.store, chosen) if applies(rubric, a.item)]
        old = scores_of(rd.store, [a.generation_id for a in answers], rubric.name)
    if not answers:
        raise InputError([f"no stored answer that rubric {rubric.name!r} applies to"])
    graded = await grade_draft(ui.cfg, rubric, answers)
    rows = []
    for a, verdict in zip(answers, graded):
        for row in verdict:
            rows.append(
                {
                    "generation_id": a.generation_id,
                    "prompt_id": a.item.id,
                    "lang": a.item.lang,
                    "criterion": row["criterion"],
                    "old": old.get((a.generation_id, row["criterion"])),
                    "new": row.get("score"),
                    "na": row.get("not_applicable"),
                    "error": row.get("error"),
                    "rationale": row.get("rationale"),
                }
            )
    return page(request, "_try.html", {"rows": rows, "rubric": rubric})
