"""Thinking judges in judge reliability: verdicts whose judge spent its budget on reasoning.

Such a verdict is re-asked once with a larger budget or a lower effort (`[judge] thinking_retry`)
and, failing again, stored as an error, never a score; the report counts both per judge × rubric
so a judge whose verdicts survive only by re-asking (or not at all) is seen as such.
"""

from __future__ import annotations

from judge.model import BUDGET_SPENT
from judge.report.cells import View, num
from judge.report.context import finite
from judge.report.model_judge import ThinkingRow
from judge.store.queries import ReportData
from judge.store.repeats import thinking_counts

__all__ = ["thinking", "thinking_views"]


def thinking(q: ReportData) -> list[ThinkingRow]:
    """Judge × rubric rows where some call was re-asked or lost for reasoning (none: no row)."""
    lw, lp = q.filters.llm_where("v.", "coalesce(r.retired_at IS NULL, true)")
    return [
        ThinkingRow(
            judge=r["judge"],
            rubric=r["rubric"],
            calls=int(r["calls"]),
            n_reasked=int(r["n_reasked"]),
            n_recovered=int(r["n_recovered"]),
            n_failed=int(r["n_failed"]),
            mean_reasoning_tokens=finite(r["mean_reasoning_tokens"]),
        )
        for r in thinking_counts(q.store, q.A, lw, lp, BUDGET_SPENT)
        if r["n_reasked"] or r["n_failed"]
    ]


def thinking_views(rows: list[ThinkingRow]) -> list[View]:
    if not rows:
        return []
    v = View(
        "Thinking judges: budget spent on reasoning",
        ["judge", "rubric", "judge calls", "re-asked", "then scored", "lost (error)", "reasoning tokens / call"],
        numeric={2, 3, 4, 5, 6},
        from_verdicts=True,
    )
    v.rows = [
        [
            x.judge,
            x.rubric,
            num(x.calls),
            num(x.n_reasked),
            num(x.n_recovered),
            num(x.n_failed),
            num(x.mean_reasoning_tokens, 0),
        ]
        for x in rows
    ]
    return [v]
