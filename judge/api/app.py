"""The ASGI application of `judge api`: routes, bearer tokens, limits, and errors as status codes.

The routes hold no grading logic (judge.api.service does, through judge.grade); this module turns
requests into calls and outcomes into responses:
- a field the request got wrong: 422 with the field's path, never the value or a stack trace;
- a judge that failed after its retries: 502 with Retry-After, the error verdict stored;
- a judge that is down, or a database another process holds: 503 with Retry-After;
- anything unforeseen: 500 with one line, never a trace (and the fuzzing test says there is none).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from judge import __version__
from judge.config import Config
from judge.config_api import verify
from judge.errors import JudgeError, StoreError
from judge.keys import stable_hash
from judge.secrets import redact
from judge.store import api as db

from .batches import BatchRunner, batch_body
from .docs import docs_page
from .limits import BodyLimit, InFlight
from .schemas import (
    BatchAccepted,
    BatchRequest,
    BatchStatus,
    CompareRequest,
    Comparison,
    ErrorBody,
    GradeRequest,
    Health,
    RubricInfo,
    ValidationErrorBody,
    Verdict,
    field_errors,
)
from .service import ApiFailure, Grader, KeyedLocks

log = logging.getLogger("judge.api")
LOCAL = "local"
"""The caller's id when no token is configured (loopback binds only)."""
DB_RETRY_AFTER = 2
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be read (not UTF-8 JSON)."},
    401: {"model": ErrorBody, "description": "No bearer token, or not an accepted one."},
    413: {"model": ErrorBody, "description": "The request body is larger than [api] max_body_bytes."},
    422: {"model": ValidationErrorBody, "description": "A field is invalid: its path and what is wrong."},
    429: {"model": ErrorBody, "description": "This token has [api] concurrency_per_token requests in flight."},
    503: {"model": ErrorBody, "description": "The judge is unreachable or the database is in use: see Retry-After."},
}
JUDGE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be read (not UTF-8 JSON)."},
    **ERRORS,
    409: {"model": ErrorBody, "description": "This Idempotency-Key was used for a different request."},
    502: {"model": ErrorBody, "description": "The judge failed after its retries; the error verdict is stored."},
}
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="A retried request with the same key gets the first response, not a second verdict or batch.",
    ),
]


class State:
    """What the routes share: the grader, the database, the batch runner and the limits."""

    def __init__(self, cfg: Config, accepted: set[str]) -> None:
        self.cfg = cfg
        self.accepted = accepted
        self.grader = Grader(cfg)
        self.store = db.ServiceStore(cfg.db_path, cfg.api.idle_close_seconds)
        self.in_flight = InFlight(cfg.api.concurrency_per_token)
        self.runner: BatchRunner | None = None
        self.key_locks = KeyedLocks()


def create_app(cfg: Config, *, accepted: set[str] | None = None) -> FastAPI:
    """The service for `cfg`. `accepted`: token digests (default: those of `cfg.api`); empty = no
    token needed, which only a loopback bind allows (judge.cli.api checks the bind)."""
    state = State(cfg, cfg.api.accepted() if accepted is None else accepted)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        g = state.grader
        await state.store.run(_start_run, g.run_id)
        state.runner = BatchRunner(g, state.store, (cfg.judge.concurrency if cfg.judge else None) or 8)
        state.runner.start()  # batches a killed server accepted are finished first
        try:
            yield
        finally:
            await state.runner.stop()
            await g.aclose()
            try:
                await state.store.run(_finish_run, g.run_id)
            except StoreError:
                pass
            state.store.close()

    app = FastAPI(
        title="judge",
        version=__version__,
        description="Grade answers against the rubrics of judge.toml; verdicts are stored with the CLI's.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.judge = state
    _handlers(app)
    _routes(app, state)
    app.add_middleware(BodyLimit, max_bytes=cfg.api.max_body_bytes)
    return app


def _start_run(store: Any, run_id: str) -> None:
    store.start_run(run_id, "api", [], {"source": "api"})


def _finish_run(store: Any, run_id: str) -> None:
    store.finish_run(run_id, "done", {})


# -- errors ---------------------------------------------------------------------------------------


def _error(status: int, detail: str, *, retry_after: int | None = None, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse({"detail": redact(detail), **extra}, status_code=status, headers=headers)


def _failure(e: ApiFailure) -> JSONResponse:
    if e.status == 422:
        loc = (e.field or "body").split(".")
        err = {"loc": loc, "field": e.field or "body", "msg": e.detail, "type": "value_error"}
        return JSONResponse({"detail": [err]}, status_code=422)
    extra = {"verdict_id": e.verdict_id} if e.verdict_id else {}
    return _error(e.status, e.detail, retry_after=e.retry_after, **extra)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": field_errors(list(e.errors()))}, status_code=422)

    @app.exception_handler(ApiFailure)
    async def failed(_: Request, e: ApiFailure) -> JSONResponse:
        return _failure(e)

    @app.exception_handler(StoreError)
    async def busy(_: Request, e: StoreError) -> JSONResponse:
        return _error(503, f"the database is unavailable: {e.message}", retry_after=DB_RETRY_AFTER)

    @app.exception_handler(HTTPException)
    async def http(_: Request, e: HTTPException) -> JSONResponse:
        return _error(e.status_code, str(e.detail))

    @app.exception_handler(JudgeError)
    async def judge_error(_: Request, e: JudgeError) -> JSONResponse:
        return _error(503, e.message, retry_after=DB_RETRY_AFTER)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, e: Exception) -> JSONResponse:
        log.error("internal error: %s", redact(f"{type(e).__name__}: {e}"))
        return _error(500, "internal error")


# -- the caller ------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="A token of [api] tokens or token_envs.")


def _caller(state: State) -> Callable[..., AsyncIterator[str]]:
    async def caller(cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> AsyncIterator[str]:
        if state.accepted:
            who = verify(cred.credentials if cred else None, state.accepted)
            if who is None:
                raise HTTPException(401, "a valid bearer token is required (Authorization: Bearer ...)")
        else:
            who = LOCAL
        if not state.in_flight.enter(who):
            raise ApiFailure(429, f"{state.in_flight.limit} requests of this token are in flight", retry_after=1)
        try:
            yield who
        finally:
            state.in_flight.leave(who)

    return caller


async def _idempotent(
    state: State,
    who: str,
    key: str | None,
    endpoint: str,
    body: Any,
    produce: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
) -> JSONResponse:
    """The first response to (token, key) again, or `produce()`'s, remembered when it succeeded.

    Only successes are remembered: a retry after a 502 or 503 should try again, and a verdict key
    already makes a second grading of the same answer read the stored verdict.
    """
    if key is None:
        status, out = await produce()
        return JSONResponse(out, status_code=status)
    req_hash = stable_hash({"endpoint": endpoint, "body": body.model_dump(mode="json")})
    async with state.key_locks.hold((who, key)):  # the same key twice at once: the second replays the first
        prev = await state.store.run(db.idempotent_response, who, key)
        if prev is not None:
            if (prev[0], prev[1]) != (endpoint, req_hash):
                raise ApiFailure(409, "this Idempotency-Key was used for a different request")
            return JSONResponse(json.loads(prev[3]), status_code=prev[2], headers={"Idempotent-Replayed": "true"})
        status, out = await produce()
        if 200 <= status < 300 and endpoint != "batches":  # a batch stores its key itself
            await state.store.run(db.remember_response, who, key, endpoint, req_hash, status, db.dumps(out))
        return JSONResponse(out, status_code=status)


# -- routes ----------------------------------------------------------------------------------------


def _routes(app: FastAPI, state: State) -> None:
    caller = Depends(_caller(state))
    g = state.grader

    @app.get("/healthz", response_model=Health, tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Liveness: no token needed, nothing about the configuration beyond counts."""
        return {
            "status": "ok",
            "version": __version__,
            "rubrics": len(g.rubrics),
            "database_open": state.store.is_open,
        }

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(app.openapi()))

    @app.get("/v1/rubrics", response_model=list[RubricInfo], responses=ERRORS, tags=["rubrics"])
    async def rubrics(who: str = caller) -> list[dict[str, Any]]:
        """The configured rubrics, with their current versions and criteria."""
        return [_rubric_info(r) for r in g.rubrics.values()]

    @app.get(
        "/v1/rubrics/{name}",
        response_model=RubricInfo,
        responses={**ERRORS, 404: {"model": ErrorBody}},
        tags=["rubrics"],
    )
    async def rubric(name: str, who: str = caller) -> dict[str, Any]:
        """One configured rubric."""
        r = g.rubrics.get(name)
        if r is None:
            raise HTTPException(404, f"no rubric {name!r} is configured")
        return _rubric_info(r)

    @app.post("/v1/grade", response_model=Verdict, responses=JUDGE_ERRORS, tags=["grading"])
    async def grade(req: GradeRequest, who: str = caller, idempotency_key: IdemKey = None) -> JSONResponse:
        """Grade one answer against one rubric: a score and rationale per criterion.

        The verdict is stored with the CLI's (`scores` view, source `api`). The same answer, rubric
        version and judge always give the same verdict_id; grading it again reads the stored verdict.
        """

        async def produce() -> tuple[int, dict[str, Any]]:
            return 200, await g.grade(state.store, req)

        return await _idempotent(state, who, idempotency_key, "grade", req, produce)

    @app.post("/v1/compare", response_model=Comparison, responses=JUDGE_ERRORS, tags=["grading"])
    async def compare(req: CompareRequest, who: str = caller, idempotency_key: IdemKey = None) -> JSONResponse:
        """Compare two answers to one prompt, judged in both orders (position swap): the winner per criterion."""

        async def produce() -> tuple[int, dict[str, Any]]:
            return 200, await g.compare(state.store, req)

        return await _idempotent(state, who, idempotency_key, "compare", req, produce)

    @app.post(
        "/v1/batches",
        response_model=BatchAccepted,
        status_code=202,
        responses={**ERRORS, 409: JUDGE_ERRORS[409]},
        tags=["grading"],
    )
    async def submit(req: BatchRequest, who: str = caller, idempotency_key: IdemKey = None) -> JSONResponse:
        """Grade many answers in the background; poll GET /v1/batches/{batch_id}.

        The batch is stored before the 202, so a server killed meanwhile finishes it after a restart.
        """
        if len(req.items) > state.cfg.api.max_batch_items:
            raise ApiFailure(422, f"at most {state.cfg.api.max_batch_items} items", field="body.items")
        for i, item in enumerate(req.items):
            try:
                g.check(item)
            except ApiFailure as e:
                e.field = f"body.items.{i}." + (e.field or "body").removeprefix("body.")
                raise
        batch_id = "b-" + uuid.uuid4().hex[:20]
        out = {"batch_id": batch_id, "status": "pending", "n_items": len(req.items)}
        items = [it.model_dump_json() for it in req.items]

        async def produce() -> tuple[int, dict[str, Any]]:
            idem = None
            if idempotency_key is not None:
                req_hash = stable_hash({"endpoint": "batches", "body": req.model_dump(mode="json")})
                idem = (idempotency_key, "batches", req_hash, 202, db.dumps(out))
            await state.store.run(db.create_batch, batch_id, who, items, idem)
            if state.runner is not None:
                state.runner.wake()
            return 202, out

        return await _idempotent(state, who, idempotency_key, "batches", req, produce)

    @app.get(
        "/v1/batches/{batch_id}",
        response_model=BatchStatus,
        responses={**ERRORS, 404: {"model": ErrorBody}},
        tags=["grading"],
    )
    async def batch(batch_id: str, who: str = caller) -> dict[str, Any]:
        """A batch's progress and, for each finished item, its verdict or its error."""
        found = await state.store.run(db.batch_state, batch_id, who)
        if found is None:
            raise HTTPException(404, "no such batch for this token")
        head, items = found
        verdicts = await state.store.run(db.verdicts_of, sorted({it[2] for it in items if it[2]}))
        return batch_body(head, items, verdicts)


def _rubric_info(r: Any) -> dict[str, Any]:
    def both(b: Any) -> dict[str, str]:
        return {k: v for k, v in (b.model_dump() if b else {}).items() if v}

    return {
        "name": r.name,
        "version": r.version,
        "title": both(r.title),
        "scale_min": r.scale.min,
        "scale_max": r.scale.max,
        "langs": r.applies_to.langs,
        "categories": r.applies_to.categories,
        "criteria": [{"id": c.id, "title": both(c.title), "description": both(c.description)} for c in r.criteria],
    }
