"""Grading one answer (or one pair) for the HTTP service, through the same code as `judge grade`.

An answer sent over HTTP becomes what `judge import-answers` makes of a file: a prompt row, a model
entry of its own (`api` unless the caller names one) and a generation, keyed by content. The verdict
is planned by `plan_single`/`plan_pairwise`, obtained by `grade.verdicts` (one retry policy, error
rows, never a default score) and stored in `verdicts`/`comparisons` with `source = 'api'`. Its key
is the CLI's key, so the same answer graded twice is the same verdict: the second request reads it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from judge.config import Config, ModelConfig, qualify, stable_hash
from judge.dataset import Item
from judge.errors import JudgeError
from judge.generate import prompt_key, prompt_row
from judge.grade.call import JudgeClient
from judge.grade.plan import PairJob, SingleJob, StoredAnswer, judge_ident, load_rubrics, plan_pairwise, plan_single
from judge.grade.verdicts import pair_verdict, single_verdict
from judge.model import CircuitOpen
from judge.prompts import check_templates, prompts_version
from judge.rubric import Rubric, applies
from judge.secrets import redact
from judge.store import api as db
from judge.store import now

from .schemas import CompareRequest, GradeRequest

JUDGE_RETRY_AFTER = 5
"""Seconds a client is told to wait after a judge failure (the judge's own retries are spent)."""


class ApiFailure(Exception):
    """A request that cannot be answered with a verdict: an HTTP status, a message, maybe Retry-After."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        retry_after: int | None = None,
        verdict_id: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, redact(detail), field
        self.retry_after, self.verdict_id = retry_after, verdict_id


@dataclass
class Answer:
    """An answer as the store keeps it: the StoredAnswer the grader reads, and its three rows."""

    stored: StoredAnswer
    rows: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Grader:
    """The configured rubrics and judges, with one JudgeClient per judge (made in the running loop)."""

    def __init__(self, cfg: Config) -> None:
        if cfg.judge is None:
            raise JudgeError(f"{cfg.path}: judge: no [judge] table in the config: `judge api` grades with it")
        self.cfg = cfg
        self.jcfg = cfg.judge
        self.rubrics = {r.name: r for r in load_rubrics(cfg)}
        self.prompts_dir = str(cfg.resolve(self.jcfg.prompts_dir)) if self.jcfg.prompts_dir else None
        check_templates(self.prompts_dir, list(self.rubrics.values()))
        self.pv = prompts_version(self.prompts_dir)
        self.cap = self.jcfg.rationale_max_chars
        judges = cfg.judge_models()
        self.default_judge = judges[0].name
        self.judges: dict[str, ModelConfig] = {m.name: m for m in cfg.models}
        self.judges.update({m.name: m for m in judges})
        for jm in judges:
            jm.api_key()  # a missing key fails at start-up, not as error verdicts
        self.contestants = {m.name for m in cfg.models}
        self.clients: dict[str, JudgeClient] = {}
        self.in_progress = KeyedLocks()
        """One grading per verdict key at a time: the same answer sent twice at once is graded once."""
        self.run_id = uuid.uuid4().hex[:16]

    def client(self, name: str) -> JudgeClient:
        jc = self.clients.get(name)
        if jc is None:
            jm = self.judges[name]
            jc = JudgeClient(
                jm, concurrency=self.jcfg.concurrency, logprobs=self.jcfg.logprobs, thinking=self.jcfg.thinking_retry
            )
            jc.prompts_version = self.pv
            self.clients[name] = jc
        return jc

    async def aclose(self) -> None:
        for jc in self.clients.values():
            await jc.endpoint.aclose()
        self.clients.clear()

    # -- building what the grader reads ---------------------------------------------------------

    def _rubric(self, name: str) -> Rubric:
        r = self.rubrics.get(name)
        if r is None:
            known = ", ".join(sorted(self.rubrics))
            raise ApiFailure(422, f"unknown rubric {name!r} (configured: {known})", field="body.rubric")
        return r

    def _judge(self, name: str | None) -> str:
        name = name or self.default_judge
        if name not in self.judges:
            raise ApiFailure(
                422, f"unknown judge {name!r} (configured: {', '.join(sorted(self.judges))})", field="body.judge"
            )
        return name

    def _item(self, req: GradeRequest | CompareRequest, r: Rubric) -> Item:
        cats = r.applies_to.categories
        category = req.category or (cats[0] if cats else "general")
        pid = req.prompt_id or "api-" + stable_hash({"prompt": req.prompt})[3:15]
        try:
            item = Item(id=pid, lang=req.lang, category=category, prompt=req.prompt, reference=req.reference)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ApiFailure(422, f"{where}: {err['msg']}", field=f"body.{where}") from None
        if not applies(r, item):
            at = r.applies_to
            if at.langs is not None and req.lang not in at.langs:
                raise ApiFailure(422, f"rubric {r.name!r} grades {'/'.join(at.langs)} only", field="body.lang")
            raise ApiFailure(
                422, f"rubric {r.name!r} grades the categories {', '.join(cats or [])} only", field="body.category"
            )
        return item

    def _answer(self, item: Item, label: str, text: str, reasoning: str | None, field: str) -> Answer:
        if label in self.contestants:
            raise ApiFailure(
                422,
                f"{label!r} is a [[models]] entry of the config: answers sent over HTTP need a label of their own",
                field=field,
            )
        pk = prompt_key(item)
        content = stable_hash({"api": label, "prompt": pk, "answer": text, "reasoning": reasoning})
        gen_id = qualify(content, label)
        variant = qualify(stable_hash({"api": label}), label)
        model = {
            "name": label,
            "variant": variant,
            "model_id": label,
            "tags_json": json.dumps(["api"]),
            "metadata_json": json.dumps({"source": "api"}),
        }
        gen = {
            "gen_id": gen_id,
            "content_id": content,
            "variant": variant,
            "prompt_key": pk,
            "sample": 0,
            "run_id": self.run_id,
            "status": "ok",
            "answer": text,
            "reasoning": reasoning,
            "attempts": 0,
            "response_model": label,
            "request_json": json.dumps({"source": "api"}),
            "created_at": now(),
        }
        sa = StoredAnswer(gen_id, label, label, text, reasoning, pk, 0, item, content, label)
        return Answer(sa, (prompt_row(item, "api", pk), model, gen))

    # -- grading --------------------------------------------------------------------------------

    def _prepare(self, req: GradeRequest) -> tuple[str, Answer, SingleJob]:
        r = self._rubric(req.rubric)
        judge = self._judge(req.judge)
        item = self._item(req, r)
        ans = self._answer(item, req.model or "api", req.answer, req.reasoning, "body.model")
        (job,) = plan_single([ans.stored], [r], judge_ident(self.judges[judge], self.pv, self.cap))
        return judge, ans, job

    def check(self, req: GradeRequest) -> None:
        """Raise the ApiFailure (422) that grading `req` would raise for its content, without grading."""
        self._prepare(req)

    async def grade(
        self, store: db.ServiceStore, req: GradeRequest, item_ref: tuple[str, int] | None = None
    ) -> dict[str, Any]:
        """The verdict for one answer (stored, or obtained and stored); ApiFailure when there is none.

        `item_ref`: the batch item (batch_id, index) this grading finishes, in the verdict's transaction.
        """
        judge, ans, job = self._prepare(req)
        async with self.in_progress.hold(job.key):
            return await self._grade(store, judge, ans, job, item_ref)

    async def _grade(
        self, store: db.ServiceStore, judge: str, ans: Answer, job: SingleJob, item_ref: tuple[str, int] | None
    ) -> dict[str, Any]:
        stored = await store.run(db.verdict_rows, job.key)
        if stored and all(row[5] is None for row in stored):
            if item_ref is not None:  # a batch item whose verdict exists: finished without a call
                await store.write(db.VerdictWrite([], "verdicts", [], (*item_ref, job.key, None, None)))
            return verdict_body(job.key, stored, stored_before=True)
        try:
            rows = await single_verdict(self.client(judge), job, self.cap, self.prompts_dir, self.run_id)
        except CircuitOpen as e:
            raise ApiFailure(503, f"the judge {judge!r} is unreachable: {e}", retry_after=JUDGE_RETRY_AFTER) from None
        error = rows[0].get("error")
        ref = (*item_ref, job.key, 502 if error else None, redact(str(error)) if error else None) if item_ref else None
        await store.write(db.VerdictWrite([ans.rows], "verdicts", rows, ref))
        if error:
            raise ApiFailure(
                502,
                f"the judge failed after {rows[0].get('attempts')} attempts: {error}",
                retry_after=JUDGE_RETRY_AFTER,
                verdict_id=job.key,
            )
        return verdict_body(job.key, _read_back(rows, db.VERDICT_READ), stored_before=False)

    async def compare(self, store: db.ServiceStore, req: CompareRequest) -> dict[str, Any]:
        """Both orders of a pair (stored, or obtained and stored); ApiFailure when either failed."""
        if req.model_a == req.model_b:
            raise ApiFailure(422, "model_a and model_b must differ (they label the two answers)", field="body.model_b")
        r = self._rubric(req.rubric)
        judge = self._judge(req.judge)
        item = self._item(req, r)
        a = self._answer(item, req.model_a, req.answer_a, req.reasoning_a, "body.model_a")
        b = self._answer(item, req.model_b, req.answer_b, req.reasoning_b, "body.model_b")
        jobs = plan_pairwise([a.stored, b.stored], [r], judge_ident(self.judges[judge], self.pv, self.cap))
        async with self.in_progress.hold(jobs[0].pair_id):
            return await self._compare(store, req, judge, a, b, jobs)

    async def _compare(
        self, store: db.ServiceStore, req: CompareRequest, judge: str, a: Answer, b: Answer, jobs: list[PairJob]
    ) -> dict[str, Any]:
        keys = [j.key for j in jobs]
        stored = await store.run(db.comparison_rows, keys)
        if stored and len({row[0] for row in stored}) == 2 and all(row[6] is None for row in stored):
            return comparison_body(jobs, stored, req.model_a, stored_before=True)
        jc = self.client(judge)
        try:
            results = await asyncio.gather(
                *(pair_verdict(jc, j, self.cap, self.prompts_dir, self.run_id) for j in jobs)
            )
        except CircuitOpen as e:
            raise ApiFailure(503, f"the judge {judge!r} is unreachable: {e}", retry_after=JUDGE_RETRY_AFTER) from None
        rows = [row for rs in results for row in rs]
        await store.write(db.VerdictWrite([a.rows, b.rows], "comparisons", rows))
        failed = next((row for row in rows if row.get("error")), None)
        if failed is not None:
            raise ApiFailure(
                502,
                f"the judge failed after {failed.get('attempts')} attempts: {failed['error']}",
                retry_after=JUDGE_RETRY_AFTER,
                verdict_id=jobs[0].pair_id,
            )
        rows.sort(key=lambda r: (r["swap"], r["criterion"]))
        return comparison_body(jobs, _read_back(rows, db.COMPARISON_READ), req.model_a, stored_before=False)


def _read_back(rows: list[dict[str, Any]], columns: str) -> list[tuple[Any, ...]]:
    """Rows just written, as a read of `columns` would return them (text redacted as stored)."""
    names = [c.strip().removeprefix("coalesce(").split(",")[0].strip() for c in _split(columns)]
    out = []
    for r in sorted(rows, key=lambda r: (r.get("swap", 0), r["criterion"])):
        vals = {**r, "source": "api", "not_applicable": bool(r.get("not_applicable"))}
        out.append(tuple(redact(v) if isinstance(v := vals.get(n), str) else v for n in names))
    return out


def _split(columns: str) -> list[str]:
    """`a, coalesce(b, false), c` -> ['a', 'coalesce(b, false)', 'c'] (commas inside parentheses kept)."""
    parts, depth, cur = [], 0, ""
    for ch in columns:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p.strip() for p in [*parts, cur]]


def verdict_body(verdict_id: str, rows: list[tuple[Any, ...]], *, stored_before: bool) -> dict[str, Any]:
    """The `Verdict` response from a verdict's stored rows (see store.api.VERDICT_READ)."""
    first = rows[0]
    return {
        "verdict_id": verdict_id,
        "generation_id": first[9],
        "rubric": first[6],
        "rubric_version": first[7],
        "judge": first[8],
        "source": first[11] or "cli",
        "stored_before": stored_before,
        "criteria": [
            {"criterion": r[0], "score": r[1], "expected_score": r[2], "rationale": r[3], "not_applicable": bool(r[4])}
            for r in rows
        ],
    }


def comparison_body(
    jobs: list[Any], rows: list[tuple[Any, ...]], model_a: str, *, stored_before: bool
) -> dict[str, Any]:
    """The `Comparison` response: per criterion, the answer both orders preferred (as the `pairwise` view)."""
    side_of = {}  # comparison_id -> {position letter: request side}
    for j in jobs:
        first = "a" if j.first.model == model_a else "b"
        side_of[j.key] = {"A": first, "B": "b" if first == "a" else "a", "tie": "tie"}
    by: dict[str, dict[str, tuple[Any, ...]]] = {}
    for row in rows:
        by.setdefault(row[2], {})[row[0]] = row
    order1 = next(j.key for j in jobs if j.first.model == model_a)
    order2 = next(j.key for j in jobs if j.key != order1)
    criteria = []
    for crit, pair in by.items():
        o1, o2 = pair.get(order1), pair.get(order2)
        na = bool((o1 and o1[5]) or (o2 and o2[5]))
        w1 = side_of[order1].get(o1[3]) if o1 and o1[3] else None
        w2 = side_of[order2].get(o2[3]) if o2 and o2[3] else None
        decided = not na and w1 is not None and w2 is not None
        criteria.append(
            {
                "criterion": crit,
                "winner": (w1 if w1 == w2 else "tie") if decided else None,
                "consistent": (w1 == w2) if decided else None,
                "winner_order1": o1[3] if o1 else None,
                "winner_order2": o2[3] if o2 else None,
                "not_applicable": na,
                "rationale_order1": o1[4] if o1 else None,
                "rationale_order2": o2[4] if o2 else None,
            }
        )
    head = rows[0]
    return {
        "pair_id": head[10],
        "comparison_ids": [order1, order2],
        "rubric": head[7],
        "rubric_version": head[8],
        "judge": head[9],
        "stored_before": stored_before,
        "criteria": criteria,
    }
