"""Label page: blind, keyboard-first labeling (1-5, n for n/a, s to skip, u to undo) with progress.

Labels go to the spool first (fsynced), then to `human_labels` through the same upsert as
`judge labels import`, with the rubric version; see `judge.ui.labeling` and `judge.store.snapshot`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from judge.errors import InputError
from judge.labels.importer import MAX_ANNOTATOR
from judge.store.labels import rubric_names

from . import labeling as lb
from .app import Ui, form_of, page, ui_of

router = APIRouter()
ANNOTATOR_COOKIE = "judge_ui_annotator"

# Per annotator, in this process: what they skipped and what they labelled (for undo), newest last.
_SKIPPED: dict[str, set[lb.Key]] = {}
_HISTORY: dict[str, list[lb.Key]] = {}


def _annotator(value: str | None) -> str:
    name = (value or "").strip()
    if not name or len(name) > MAX_ANNOTATOR:
        raise InputError([f"annotator: give your name (at most {MAX_ANNOTATOR} characters)"])
    return name


async def _label_form(request: Request) -> tuple[dict[str, str], str, str | None]:
    """(the form, its annotator, the rubric filter the page was showing)."""
    form = await form_of(request)
    return form, _annotator(form.get("annotator")), form.get("rubric_filter") or None


def _key(form: dict[str, str]) -> lb.Key:
    try:
        return (form["generation_id"], form["rubric"], form["rubric_version"], form["criterion"])
    except KeyError as e:
        raise InputError([f"{e.args[0]}: missing from the form"]) from e


def _render(
    request: Request,
    ui: Ui,
    annotator: str,
    rubric: str | None,
    fragment: bool,
    note: str = "",
    prefer: lb.Key | None = None,
) -> Any:
    with ui.read() as rd:
        skipped = _SKIPPED.get(annotator, set())
        card, progress = lb.next_card(rd.store, annotator, ui.spool.pending(), skipped, rubric, prefer)
        rubrics = rubric_names(rd.store)
    ctx = {
        "annotator": annotator,
        "rubric": rubric or "",
        "card": card,
        "progress": progress,
        "reading": rd,
        "note": note,
        "can_undo": bool(_HISTORY.get(annotator)),
        "rubrics": rubrics,
    }
    resp = page(request, "_label_card.html" if fragment else "label.html", ctx)
    resp.set_cookie(ANNOTATOR_COOKIE, annotator, httponly=True, samesite="strict")
    return resp


@router.get("/label", response_class=HTMLResponse)
async def label_page(request: Request) -> Any:
    ui = ui_of(request)
    name = request.query_params.get("annotator") or request.cookies.get(ANNOTATOR_COOKIE)
    rubric = request.query_params.get("rubric") or None
    if not name or request.query_params.get("switch"):
        return page(request, "label_start.html", {"rubric": rubric or ""})
    return _render(request, ui, _annotator(name), rubric, fragment=False)


@router.post("/label", response_class=HTMLResponse)
async def label_submit(request: Request) -> Any:
    ui = ui_of(request)
    form, annotator, rubric = await _label_form(request)
    key = _key(form)
    action = form.get("action", "")
    note = ""
    if action == "skip":
        _SKIPPED.setdefault(annotator, set()).add(key)
        note = "skipped"
    else:
        with ui.read() as rd:
            scale = lb.card(rd.store, key).scale
        na = action == "na"
        try:
            score = None if na else int(action)
            op = lb.label_op(key, annotator, score, na, scale)
        except ValueError as e:
            raise InputError([f"score: {e}"]) from e
        ui.spool.append(op)  # durable before we answer
        _HISTORY.setdefault(annotator, []).append(key)
        written = await run_in_threadpool(ui.drain)
        note = "saved" if written else "queued: the database is busy, the label is kept and written when it is free"
    return _after(request, ui, annotator, rubric, note)


@router.post("/label/undo", response_class=HTMLResponse)
async def label_undo(request: Request) -> Any:
    ui = ui_of(request)
    _, annotator, rubric = await _label_form(request)
    history = _HISTORY.get(annotator) or []
    note = "nothing to undo"
    key: lb.Key | None = None
    if history:
        key = history.pop()
        ui.spool.append(
            {
                "op": "delete",
                "generation_id": key[0],
                "rubric": key[1],
                "rubric_version": key[2],
                "criterion": key[3],
                "annotator": annotator,
            }
        )
        _SKIPPED.get(annotator, set()).discard(key)
        await run_in_threadpool(ui.drain)
        note = "undone: label it again"
    return _after(request, ui, annotator, rubric, note, prefer=key)


def _after(
    request: Request, ui: Ui, annotator: str, rubric: str | None, note: str, prefer: lb.Key | None = None
) -> Any:
    if request.headers.get("hx-request"):
        return _render(request, ui, annotator, rubric, fragment=True, note=note, prefer=prefer)
    q = {"annotator": annotator, **({"rubric": rubric} if rubric else {})}
    return RedirectResponse("/label?" + urlencode(q), status_code=303)
