"""Verdicts pages: filter the judge's scores, read one answer with every criterion's rationale, and
the pairwise comparisons of its prompt with both orders side by side."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from judge.errors import InputError
from judge.store.ui import VERDICT_FILTERS, answer, answer_scores, filter_options, pairwise_for_prompt, verdict_rows

from .app import page, ui_of

router = APIRouter()
PAGE_ROWS = 200


@router.get("/verdicts", response_class=HTMLResponse)
async def verdict_list(request: Request) -> Any:
    ui = ui_of(request)
    chosen = {k: request.query_params.get(k, "") for k in VERDICT_FILTERS}
    with ui.read() as rd:
        options = filter_options(rd.store)
        rows, total = verdict_rows(rd.store, chosen, PAGE_ROWS)
    return page(
        request,
        "verdicts.html",
        {"options": options, "chosen": chosen, "rows": rows, "total": total, "reading": rd, "limit": PAGE_ROWS},
    )


@router.get("/answers/{generation_id}", response_class=HTMLResponse)
async def answer_page(request: Request, generation_id: str) -> Any:
    ui = ui_of(request)
    with ui.read() as rd:
        a = answer(rd.store, generation_id)
        if a is None:
            raise InputError([f"no answer {generation_id!r} in the database"])
        scores = answer_scores(rd.store, generation_id)
        pairs = pairwise_for_prompt(rd.store, a["prompt_id"])
        others = {}
        for p in pairs:
            for g in (p["generation_a"], p["generation_b"]):
                if g not in others:
                    others[g] = answer(rd.store, g)
    return page(request, "answer.html", {"a": a, "scores": scores, "pairs": pairs, "others": others, "reading": rd})
