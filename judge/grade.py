"""The judge stage: score stored answers against rubric files, single and pairwise with swap.

Reads a pipeline of named steps (as instructor's patch does): plan the missing verdicts from the
store, render the prompt (prompts.py), build the response model (rubric.py), call the judge through
instructor with the one retry policy (client.py), record criterion rows (store.py). A verdict that
still fails is stored as error rows with NULL scores: never a default score.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from json import JSONDecodeError
from typing import Any

import instructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import ValidationError

from .checks import CheckRow, judge_name, run_checks
from .client import Endpoint, describe_error, retry_policy
from .config import Config, ModelConfig, file_problem, stable_hash
from .dataset import AnswerSpec, Item
from .errors import ConfigError
from .logprobs import ExpectedScore, dist_json, expected_scores
from .prompts import prompts_version, render_pairwise, render_single
from .rubric import Rubric, applies, load_rubric, max_tokens_for, pairwise_verdict_model, single_verdict_model
from .store import Store, now

# instructor logs every failed attempt at ERROR level; we record failures as rows instead, and its
# messages would interleave with the progress bar.
logging.getLogger("instructor").setLevel(logging.CRITICAL)

CHECKS_VERSION = "c1"
FLUSH_EVERY = 64
FLUSH_SECONDS = 1.0  # a slow judge's finished verdicts reach the database within about a second
_MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
# Schema errors are re-asked at once; transport errors back off (client.retry_policy decides).
PARSE_ERRORS = (ValidationError, JSONDecodeError, IncompleteOutputException)


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


@dataclass
class GradeSummary:
    run_id: str
    planned: int = 0
    skipped: int = 0
    ok: int = 0
    errors: int = 0
    checks: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def load_rubrics(cfg: Config, rubric_filter: list[str] | None = None) -> list[Rubric]:
    """The configured rubric files (validated before the database is opened)."""
    paths = cfg.judge.rubrics if cfg.judge else []
    missing = [file_problem(cfg, ("judge", "rubrics", i), cfg.resolve(p), "rubric file")
               for i, p in enumerate(paths) if not cfg.resolve(p).is_file()]
    if missing:
        raise ConfigError(missing)
    rubrics = [load_rubric(cfg.resolve(p)) for p in paths]
    if rubric_filter:
        names = {r.name for r in rubrics}
        unknown = [n for n in rubric_filter if n not in names]
        if unknown:
            raise ConfigError([f"--rubric: unknown rubric {u!r} (configured: {', '.join(sorted(names))})" for u in unknown])
        rubrics = [r for r in rubrics if r.name in rubric_filter]
    return rubrics


def rubric_row(r: Rubric) -> dict[str, Any]:
    from .rubric import canonical_json

    return {
        "name": r.name, "version": r.version, "path": r.source_path, "text": r.source_text,
        "canonical_json": canonical_json(r), "scale_min": r.scale.min, "scale_max": r.scale.max,
        "criteria_json": json.dumps([c.id for c in r.criteria]),
    }


def stored_answers(store: Store, models: list[str] | None) -> list[StoredAnswer]:
    """Current-variant answers that succeeded, with their prompt as an Item."""
    sql = """
        SELECT a.generation_id, a.model, m.model_id, a.answer, a.reasoning, a.prompt_key, a.sample,
               p.id, p.pair, p.lang, p.category, p.prompt, p.system, p.reference, p.answer_json, p.difficulty, p.tags_json
        FROM answers a
        JOIN model_labels m ON m.variant = a.variant AND m.name = a.model_name
        JOIN prompts p ON p.prompt_key = a.prompt_key
        WHERE a.status = 'ok' AND a.current
    """
    params: list[Any] = []
    if models:
        sql += f" AND a.model IN ({', '.join('?' * len(models))})"
        params = list(models)
    out = []
    for r in store.query(sql + " ORDER BY a.model, p.id, a.sample", params)[1]:
        item = Item(id=r[7], pair=r[8], lang=r[9], category=r[10], prompt=r[11], system=r[12], reference=r[13],
                    answer=AnswerSpec.model_validate_json(r[14]) if r[14] else None, difficulty=r[15],
                    tags=json.loads(r[16] or "[]"))
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
        for a in answers for r in rubrics if applies(r, a.item)
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
                pid = stable_hash({"a": x.generation_id, "b": y.generation_id, "r": r.version, "j": ident, "mode": "pairwise"})
                for swap, (first, second) in enumerate(((x, y), (y, x))):
                    jobs.append(PairJob(stable_hash({"pair": pid, "swap": swap}), pid, swap, r, first, second))
    return jobs


# -- rows ---------------------------------------------------------------------------------------

def _usage(completion: Any) -> tuple[int | None, int | None]:
    u = getattr(completion, "usage", None)
    return (getattr(u, "prompt_tokens", None), getattr(u, "completion_tokens", None)) if u else (None, None)


def _raw_text(completion: Any) -> str | None:
    try:
        return (completion.choices[0].message.content or "")[:4000]
    except (AttributeError, IndexError):
        return None


def check_rows(a: StoredAnswer, run_id: str) -> list[dict[str, Any]]:
    rows = []
    for name, crit_rows in run_checks(a.item, a.answer).items():
        vid = stable_hash({"g": a.generation_id, "check": name, "v": CHECKS_VERSION})
        for c in crit_rows:
            rows.append(_check_row(vid, a, name, c, run_id))
    return rows


def _check_row(vid: str, a: StoredAnswer, name: str, c: CheckRow, run_id: str) -> dict[str, Any]:
    return {
        "verdict_id": vid, "criterion": c.criterion, "generation_id": a.generation_id, "mode": "check",
        "rubric": judge_name(name), "rubric_version": CHECKS_VERSION, "judge": judge_name(name),
        "judge_variant": CHECKS_VERSION, "judge_model_id": None, "score": c.score, "passed": c.passed,
        "rationale": c.detail, "weight": 1.0, "self_judged": False, "run_id": run_id, "created_at": now(),
    }


# -- the call -----------------------------------------------------------------------------------

class JudgeClient:
    """The judge endpoint wrapped by instructor once per replica."""

    def __init__(self, cfg: ModelConfig, *, concurrency: int | None, logprobs: bool) -> None:
        self.cfg = cfg
        self.endpoint = Endpoint(cfg, concurrency=concurrency)
        mode = _MODES[cfg.instructor_mode]
        self.wrapped = {id(c): instructor.from_openai(c, mode=mode) for c in self.endpoint.clients}
        self.logprobs = logprobs
        self.prompts_version: str | None = None

    async def call(self, messages: list[dict[str, str]], model: type, max_tokens: int) -> tuple[Any, Any, int, float]:
        """(verdict, completion, attempts, latency_ms); raises InstructorRetryException or an API error."""
        params = self.cfg.params.request_kwargs()
        params.setdefault("temperature", 0.0)
        params["max_tokens"] = max(params.get("max_tokens", 0), max_tokens)
        params.pop("max_completion_tokens", None)
        if self.logprobs:
            params.update(logprobs=True, top_logprobs=max(params.get("top_logprobs") or 0, 5))
        if self.cfg.extra_body:
            params["extra_body"] = self.cfg.extra_body
        policy = retry_policy(self.cfg.max_attempts, also=PARSE_ERRORS)
        try:
            async with self.endpoint.slot() as client:
                t0 = time.perf_counter()
                verdict, completion = await self.wrapped[id(client)].chat.completions.create_with_completion(
                    model=self.cfg.model, messages=messages, response_model=model, max_retries=policy, **params
                )
                latency = (time.perf_counter() - t0) * 1000
        except Exception as e:
            e.judge_attempts = policy.statistics.get("attempt_number", 1)  # type: ignore[attr-defined]
            raise
        return verdict, completion, policy.statistics.get("attempt_number", 1), latency


def _failure(e: BaseException) -> tuple[str, int, str | None]:
    """Error text, attempts and the last raw output of a verdict that could not be obtained."""
    attempts = getattr(e, "judge_attempts", 1)
    if isinstance(e, IncompleteOutputException):
        return "judge output truncated (max_tokens reached)", attempts, _raw_text(getattr(e, "last_completion", None))
    if isinstance(e, InstructorRetryException):
        cause = e.__cause__ or (e.failed_attempts[-1].exception if getattr(e, "failed_attempts", None) else None)
        what = describe_error(cause) if cause else str(e)
        if isinstance(cause, IncompleteOutputException):
            what = "judge output truncated (max_tokens reached)"
        elif isinstance(cause, (ValidationError, JSONDecodeError)):
            what = f"invalid verdict JSON: {str(cause).splitlines()[0][:300]}"
        return what, max(e.n_attempts, attempts), _raw_text(e.last_completion)
    return describe_error(e), attempts, None


async def _single(jc: JudgeClient, job: SingleJob, cap: int, prompts_dir: str | None, run_id: str) -> list[dict[str, Any]]:
    r, a = job.rubric, job.answer
    base = {
        "verdict_id": job.key, "generation_id": a.generation_id, "mode": "single", "rubric": r.name,
        "rubric_version": r.version, "judge": jc.cfg.name, "judge_variant": jc.cfg.variant(),
        "judge_model_id": jc.cfg.model, "self_judged": jc.cfg.model == a.model_id or jc.cfg.name == a.model,
        "prompts_version": jc.prompts_version, "run_id": run_id, "created_at": now(),
    }
    messages = render_single(r, a.item, a.answer, reasoning=a.reasoning, rationale_cap=cap, prompts_dir=prompts_dir)
    try:
        verdict, completion, attempts, latency = await jc.call(messages, single_verdict_model(r, cap), max_tokens_for(r, cap))
    except Exception as e:  # noqa: BLE001 - every failure becomes error rows, none a score
        err, attempts, raw = _failure(e)
        return [{**base, "criterion": c.id, "weight": c.weight, "error": err, "attempts": attempts, "raw": raw}
                for c in r.criteria]
    scores = verdict.by_criterion()
    exp: dict[str, ExpectedScore] = expected_scores(completion, [c.id for c in r.criteria], r.scale.min, r.scale.max)
    pt, ct = _usage(completion)
    rows = []
    for c in r.criteria:
        s = scores[c.id]
        e = exp.get(c.id)
        rows.append({**base, "criterion": c.id, "weight": c.weight, "score": float(s.score), "rationale": s.rationale,
                     "expected_score": e.expected if e else None, "score_dist_json": dist_json(e),
                     "logprob_coverage": e.coverage if e else None, "attempts": attempts,
                     "prompt_tokens": pt, "completion_tokens": ct, "latency_ms": latency})
    return rows


async def _pair(jc: JudgeClient, job: PairJob, cap: int, prompts_dir: str | None, run_id: str) -> list[dict[str, Any]]:
    r = job.rubric
    base = {
        "comparison_id": job.key, "pair_id": job.pair_id, "swap": job.swap, "position_a": job.first.generation_id,
        "position_b": job.second.generation_id, "rubric": r.name, "rubric_version": r.version, "judge": jc.cfg.name,
        "judge_variant": jc.cfg.variant(), "judge_model_id": jc.cfg.model, "prompts_version": jc.prompts_version,
        "run_id": run_id, "created_at": now(),
    }
    messages = render_pairwise(r, job.first.item, job.first.answer, job.second.answer, reasoning_a=job.first.reasoning,
                               reasoning_b=job.second.reasoning, rationale_cap=cap, prompts_dir=prompts_dir)
    try:
        verdict, completion, attempts, latency = await jc.call(messages, pairwise_verdict_model(r, cap), max_tokens_for(r, cap))
    except Exception as e:  # noqa: BLE001 - recorded, never turned into a winner
        err, attempts, raw = _failure(e)
        return [{**base, "criterion": c.id, "error": err, "attempts": attempts, "raw": raw} for c in r.criteria]
    prefs = verdict.by_criterion()
    pt, ct = _usage(completion)
    return [{**base, "criterion": c.id, "winner": prefs[c.id].winner, "rationale": prefs[c.id].rationale,
             "attempts": attempts, "prompt_tokens": pt, "completion_tokens": ct, "latency_ms": latency}
            for c in r.criteria]


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
) -> GradeSummary:
    """Grade every stored answer that lacks a verdict for the current rubric versions and judge."""
    jcfg = cfg.judge
    if jcfg is None:
        raise ConfigError([f"{cfg.path}: judge: no [judge] table in the config"])
    mode = mode or jcfg.mode
    judge_model = cfg.judge_model()
    rubric_list = load_rubrics(cfg, rubrics)
    prompts_dir = str(cfg.resolve(jcfg.prompts_dir)) if jcfg.prompts_dir else None
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
        ident = _judge_ident(judge_model, pv, cap)
        singles = plan_single(answers, rubric_list, ident) if mode in ("single", "both") else []
        pairs = plan_pairwise(answers, rubric_list, ident) if mode in ("pairwise", "both") else []
        done_v = store.verdict_status([j.key for j in singles])
        done_c = store.comparison_status([j.key for j in pairs])

        def wanted(st: str | None) -> bool:
            return st is None or regrade or (retry_errors and st == "error")

        # Jobs sharing a system prompt (rubric, language, mode) run back to back, so a server's
        # prefix cache reuses the rubric's KV instead of re-reading thousands of tokens per call.
        singles = sorted((j for j in singles if wanted(done_v.get(j.key))), key=lambda j: (j.rubric.name, j.answer.item.lang))
        pairs = sorted((j for j in pairs if wanted(done_c.get(j.key))), key=lambda j: (j.rubric.name, j.first.item.lang))
        if run_checks_too:
            # Checks are cheap, but rewriting stored ones would make every grade run touch the file.
            crow = [row for a in answers for row in check_rows(a, run_id)]
            seen = store.verdict_status(sorted({r["verdict_id"] for r in crow}))
            summary.checks = store.write_verdicts([r for r in crow if regrade or r["verdict_id"] not in seen])
        summary.planned = len(singles) + len(pairs)
        if on_plan:
            on_plan(summary.planned)
        store.start_run(run_id, "grade", argv or [], {"mode": mode, "judge": judge_model.name,
                                                      "rubrics": {r.name: r.version for r in rubric_list}, "prompts": pv})
        jc = JudgeClient(judge_model, concurrency=concurrency or jcfg.concurrency, logprobs=jcfg.logprobs)
        jc.prompts_version = pv
        status = "interrupted"
        try:
            asyncio.run(_run(jc, singles, pairs, cap, prompts_dir, run_id, store, summary, regrade, on_done))
            status = "done" if summary.errors == 0 else "done_with_errors"
        finally:
            store.finish_run(run_id, status, {"ok": summary.ok, "errors": summary.errors, "checks": summary.checks})
    finally:
        store.close()
    return summary


async def _run(jc: JudgeClient, singles: list[SingleJob], pairs: list[PairJob], cap: int, prompts_dir: str | None,
               run_id: str, store: Store, summary: GradeSummary, regrade: bool, on_done: Progress | None) -> None:
    vbuf: list[dict[str, Any]] = []
    cbuf: list[dict[str, Any]] = []
    last = time.monotonic()

    def flush() -> None:
        nonlocal vbuf, cbuf, last
        if vbuf:
            store.write_verdicts(vbuf)
        if cbuf:
            store.write_comparisons(cbuf)
        vbuf, cbuf = [], []
        last = time.monotonic()

    queue: list[tuple[str, Any]] = [("single", j) for j in singles] + [("pair", j) for j in pairs]
    queue.reverse()

    async def worker() -> None:
        while queue:
            kind, job = queue.pop()
            if kind == "single":
                rows = await _single(jc, job, cap, prompts_dir, run_id)
                vbuf.extend(rows)
            else:
                rows = await _pair(jc, job, cap, prompts_dir, run_id)
                cbuf.extend(rows)
            ok = rows[0].get("error") is None
            summary.ok += ok
            summary.errors += not ok
            summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
            if len(vbuf) + len(cbuf) >= FLUSH_EVERY or time.monotonic() - last > FLUSH_SECONDS:
                flush()
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
        flush()  # finished verdicts are kept whatever stops the run
        await jc.endpoint.aclose()
