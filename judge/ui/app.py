"""The ASGI application of `judge ui`: settings, templates (autoescaped), static files, the label drain.

Routes live in small modules (`rubrics`, `trial`, `verdicts`, `label`, `agreement`), each an
APIRouter; this module wires them and owns what they share (`Ui`, reachable as `request.app.state.ui`).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from judge.config import Config
from judge.errors import JudgeError
from judge.secrets import redact
from judge.store.snapshot import Reading, Spool, reading, try_writing
from judge.store.ui import apply_label_ops

from .security import Guard

HERE = Path(__file__).parent
DRAIN_EVERY = 2.0
"""Seconds between attempts to write queued labels while a writer holds the database."""


@dataclass
class Ui:
    """What every route needs: the configuration and the label queue."""

    cfg: Config
    spool: Spool
    templates: Jinja2Templates
    stop: threading.Event = field(default_factory=threading.Event)

    @contextmanager
    def read(self) -> Iterator[Reading]:
        with reading(self.cfg.db_path) as r:
            yield r

    def drain(self) -> int:
        """Write the queued labels if the database is free; how many were written (0 when busy or none)."""
        if not self.spool.pending():
            return 0

        def apply(ops: list[dict[str, Any]]) -> bool:
            ok, _ = try_writing(self.cfg.db_path, lambda store: apply_label_ops(store, ops))
            return ok

        return self.spool.drain(apply)


def _environment() -> Environment:
    # Autoescape everything: model answers are untrusted text, and every template is HTML.
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def create_app(cfg: Config, *, token: str | None = None) -> Any:
    """The `judge ui` application for `cfg`, wrapped in the security middleware (see `security`)."""
    templates = Jinja2Templates(env=_environment())
    ui = Ui(cfg=cfg, spool=Spool(cfg.db_path), templates=templates)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        t = threading.Thread(target=_drain_loop, args=(ui,), name="judge-ui-drain", daemon=True)
        t.start()
        try:
            yield
        finally:
            ui.stop.set()
            t.join(timeout=10)

    app = FastAPI(title="judge ui", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.ui = ui
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from . import agreement, label, rubrics, trial, verdicts

    for mod in (rubrics, trial, verdicts, label, agreement):
        app.include_router(mod.router)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Any:
        return page(request, "home.html", {})

    @app.exception_handler(JudgeError)
    async def judge_error(request: Request, e: JudgeError) -> Any:
        problems = getattr(e, "problems", None) or [e.message]
        status = 409 if "in use" in e.message else 400
        if request.headers.get("hx-request"):
            return PlainTextResponse("\n".join(redact(p) for p in problems), status_code=status)
        return page(request, "error.html", {"problems": [redact(p) for p in problems], "hints": e.hints}, status)

    return Guard(app, token=token)


def ui_of(request: Request) -> Ui:
    ui: Ui = request.app.state.ui
    return ui


async def form_of(request: Request) -> dict[str, str]:
    """A POST's form fields as text (no page here takes a file upload)."""
    return {k: str(v) for k, v in (await request.form()).items()}


def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Any:
    """Render a template with what every page shows (CSRF token, queued labels)."""
    ui = ui_of(request)
    base = {
        "request": request,
        "csrf": request.scope.get("state", {}).get("csrf", ""),
        "queued": len(ui.spool.pending()),
        "reading": None,
    }
    return ui.templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)


def _drain_loop(ui: Ui) -> None:
    while not ui.stop.wait(DRAIN_EVERY):
        try:
            ui.drain()
        except Exception:  # a failed drain keeps the queue; the next attempt tries again
            continue
