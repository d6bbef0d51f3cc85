"""One verdict: render the judge prompt, call the judge, and turn its reply into criterion rows.

Single answers (`single`) and ordered pairs (`pair`); n/a decided by the program comes first, a
failed call becomes error rows with NULL scores, never a default score.
"""

from __future__ import annotations

from typing import Any

from judge.grade.logprobs import ExpectedScore, dist_json, expected_scores
from judge.model import CircuitOpen, storable, storable_row
from judge.prompts import render_pairwise, render_single
from judge.rubric import NA, max_tokens_for, pairwise_verdict_model, single_verdict_model
from judge.store import now

from .applicable import criterion_reasons, na_rows, not_applicable_reason
from .call import JudgeClient, failure_columns
from .plan import PairJob, SingleJob

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


async def single_verdict(
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
        "repeat": job.repeat,
        "reasoning_reasked": False,
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
        reply = await jc.ask(
            messages, verdict_model("single", r, cap), max_tokens_for(r, cap), seed=jc.seed_for(job.repeat)
        )
    except CircuitOpen:
        raise  # the judge is down, not this verdict: it stays pending
    except Exception as e:
        failed = failure_columns(e)
        return [storable_row({**base, "criterion": c.id, "weight": c.weight, **failed}) for c in r.criteria]
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
                **reply.thinking_columns(),
            }
        )
    return [storable_row(row) for row in rows]


async def pair_verdict(
    jc: JudgeClient, job: PairJob, cap: int, prompts_dir: str | None, run_id: str
) -> list[dict[str, Any]]:
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
        "repeat": job.repeat,
        "reasoning_reasked": False,
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
        reply = await jc.ask(
            messages, verdict_model("pair", r, cap), max_tokens_for(r, cap), seed=jc.seed_for(job.repeat)
        )
    except CircuitOpen:
        raise
    except Exception as e:
        failed = failure_columns(e)
        return [storable_row({**base, "criterion": c.id, **failed}) for c in r.criteria]
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
                **reply.thinking_columns(),
            }
        )
        for c in r.criteria
    ]
