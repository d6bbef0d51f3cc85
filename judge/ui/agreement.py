"""Agreement page: judge against human labels and humans among themselves, per criterion × language.

The figures are the report's own (`judge.report.human`, through `build_report`), computed on the
snapshot the page reads, so the page and `judge report` never disagree. They are cached per
snapshot: the bootstrap is the slow part.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from judge.errors import ConfigError
from judge.store.ui import annotators

from .app import page, ui_of

router = APIRouter()
N_BOOT = 500
"""Bootstrap resamples for the page's CIs (the report's default is 2000; the page favours speed)."""
_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()


def _compute(ui: Any) -> dict[str, Any]:
    from judge.report.build import build_report
    from judge.report.human import human_views

    with ui.read() as rd:
        key = str(rd.store.path)
        with _LOCK:
            if key in _CACHE:
                return {**_CACHE[key], "reading": rd}
        try:
            report = build_report(rd.store, n_boot=N_BOOT)
            rel = report.sections.judge_reliability
            views = human_views(rel)
        except ConfigError:  # nothing graded yet
            views = []
        result = {"views": views, "annotators": annotators(rd.store)}
    with _LOCK:
        _CACHE.clear()
        _CACHE[key] = result
    return {**result, "reading": rd}


@router.get("/agreement", response_class=HTMLResponse)
async def agreement_page(request: Request) -> Any:
    ui = ui_of(request)
    ctx = await run_in_threadpool(_compute, ui)
    return page(request, "agreement.html", ctx)
