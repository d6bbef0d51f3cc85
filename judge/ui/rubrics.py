"""Rubrics pages: the list, the side-by-side editor, live checking, the judge prompt, save, history."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from judge.errors import InputError, RubricError, StoreError
from judge.rubric import Rubric
from judge.store.ui import answer_ids, rubric_versions

from . import rubric_edit as re_
from .app import form_of, page, ui_of

router = APIRouter()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def draft_of(request: Request, r: re_.RubricFile) -> tuple[str, dict[str, str]]:
    """(the draft's YAML, the form): the raw YAML when the form sends it, else the file with the
    form's texts applied."""
    form = await form_of(request)
    if "yaml" in form:
        return form["yaml"].replace("\r\n", "\n"), form
    return re_.apply_fields(re_.read(r), form), form


async def valid_draft(request: Request, name: str) -> tuple[Rubric, dict[str, str]]:
    """The named rubric's draft from the form, checked (RubricError with the check's messages
    otherwise), and the form: what the prompt preview and Try both grade with."""
    f = re_.find(ui_of(request).cfg, name)
    text, form = await draft_of(request, f)
    rubric, problems = re_.check(text, f)
    if rubric is None:
        raise RubricError(problems)
    return rubric, form


@router.get("/rubrics", response_class=HTMLResponse)
async def rubric_list(request: Request) -> Any:
    ui = ui_of(request)
    rows = []
    for f in re_.rubric_files(ui.cfg):
        rubric, problems = re_.check(re_.read(f), f)
        rows.append({"file": f, "rubric": rubric, "problems": problems})
    return page(request, "rubrics.html", {"rows": rows, "folders": re_.folders(ui.cfg)})


@router.get("/rubrics/{name}", response_class=HTMLResponse)
async def rubric_editor(request: Request, name: str) -> Any:
    ui = ui_of(request)
    f = re_.find(ui.cfg, name)
    text = re_.read(f)
    rubric, problems = re_.check(text, f)
    history: list[dict[str, Any]] = []
    items: list[tuple[str, str, str, str]] = []
    reading = None
    try:
        with ui.read() as rd:
            reading = rd
            history = rubric_versions(rd.store, rubric.name if rubric else name)
            items = answer_ids(rd.store)
    except StoreError:
        pass  # no database yet: the editor works on files alone
    if rubric is not None:
        items = [i for i in items if not rubric.applies_to.langs or i[2] in rubric.applies_to.langs]
    return page(
        request,
        "rubric_edit.html",
        {
            "file": f,
            "shown_path": os.path.relpath(f.path, ui.cfg.path.parent) if ui.cfg.path else str(f.path),
            "text": text,
            "rubric": rubric,
            "problems": problems,
            "groups": re_.form_fields(rubric) if rubric else [],
            "history": history,
            "items": items[:500],
            "reading": reading,
            "saved": request.query_params.get("saved"),
            "was": request.query_params.get("was"),
            "base": text_hash(text),
        },
    )


@router.post("/rubrics/{name}/check", response_class=HTMLResponse)
async def rubric_check(request: Request, name: str) -> Any:
    f = re_.find(ui_of(request).cfg, name)
    current = re_.read(f)
    try:
        text, _ = await draft_of(request, f)
    except InputError as e:
        return page(request, "_check.html", {"problems": e.problems, "rubric": None, "old": None, "changes": []})
    rubric, problems = re_.check(text, f)
    old, _ = re_.check(current, f)
    return page(
        request,
        "_check.html",
        {
            "problems": problems,
            "rubric": rubric,
            "old": old,
            "changes": re_.diff(current, text, f"{f.path.name} (saved)", f"{f.path.name} (draft)"),
        },
    )


@router.post("/rubrics/{name}/save")
async def rubric_save(request: Request, name: str) -> Any:
    f = re_.find(ui_of(request).cfg, name)
    current = re_.read(f)
    text, form = await draft_of(request, f)
    if form.get("base") and form["base"] != text_hash(current):
        raise InputError(
            [f"{f.path}: the file changed on disk since this page was opened; nothing was saved"],
            hints=["reload the page and apply your edit again"],
        )
    old, _ = re_.check(current, f)
    new = re_.save(f, text)
    was = old.version if old else ""
    return RedirectResponse(f"/rubrics/{name}?saved={new.version}&was={was}", status_code=303)


def stored(store: Any, ids: list[str]) -> list[Any]:
    """The stored answers `ids` (as `judge grade` reads them), in the order given."""
    from judge.grade.plan import stored_answers

    by_id = {a.generation_id: a for a in stored_answers(store, None) if a.generation_id in set(ids)}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise InputError([f"no answer {m!r} in the database" for m in missing])
    return [by_id[i] for i in ids]


@router.post("/rubrics/{name}/prompt", response_class=HTMLResponse)
async def rubric_prompt(request: Request, name: str) -> Any:
    """The exact messages the judge would get for the chosen answer under the draft."""
    from judge.prompts import render_single

    ui = ui_of(request)
    rubric, form = await valid_draft(request, name)
    gid = form.get("generation_id", "")
    with ui.read() as rd:
        a = stored(rd.store, [gid])[0]
    jc = ui.cfg.judge
    prompts_dir = str(ui.cfg.resolve(jc.prompts_dir)) if jc and jc.prompts_dir else None
    messages = render_single(
        rubric,
        a.item,
        a.answer,
        reasoning=a.reasoning,
        rationale_cap=jc.rationale_max_chars if jc else 600,
        prompts_dir=prompts_dir,
    )
    return page(request, "_prompt.html", {"messages": messages, "rubric": rubric})


@router.get("/rubrics/{name}/diff", response_class=HTMLResponse)
async def rubric_diff(request: Request, name: str) -> Any:
    """A stored version's text against the file as it is now."""
    ui = ui_of(request)
    f = re_.find(ui.cfg, name)
    version = request.query_params.get("version", "")
    current = re_.read(f)
    rubric: Rubric | None = re_.check(current, f)[0]
    with ui.read() as rd:
        versions = {v["version"]: v for v in rubric_versions(rd.store, rubric.name if rubric else name)}
    v = versions.get(version)
    if v is None:
        raise InputError([f"no stored version {version!r} of rubric {name!r}"])
    changes = re_.diff(v["text"] or "", current, f"{name} {version}", f"{f.path.name} (now)")
    return page(request, "diff.html", {"file": f, "version": v, "changes": changes})
