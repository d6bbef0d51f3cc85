"""The judge's cost kept apart from the contestants': tokens, time and money per role and model.

Read from the `costs` view (one row per call). A judge that is also a contestant appears twice,
once per role: what it cost to answer and what it cost to grade are different questions (the
second is the price of the measurement, paid again for every judge in a jury and every repeat).
"""

from __future__ import annotations

from typing import Any

from judge.report.cells import View, num
from judge.report.context import finite
from judge.report.model_judge import RoleCostRow
from judge.store.cost import role_costs
from judge.store.queries import ReportData

__all__ = ["ROLE_TOTAL", "role_cost_views", "roles"]

ROLE_TOTAL = "total"
"""The model cell of a role's total row."""


def roles(q: ReportData) -> list[RoleCostRow]:
    """Per role × model, then the role's total, over the answers in scope and their verdicts by the
    judges (and rubrics, by name) the filters select."""
    f = q.filters
    rubrics = [r.partition("@")[0] for r in f.rubrics] if f.rubrics else None
    return [
        RoleCostRow(
            role=r["role"],
            model=r["model"],
            calls=int(r["calls"]),
            n_error=int(r["n_error"]),
            prompt_tokens=_int(r["prompt_tokens"]),
            completion_tokens=_int(r["completion_tokens"]),
            reasoning_tokens=_int(r["reasoning_tokens"]),
            n_reasoning_unknown=int(r["n_reasoning_unknown"]),
            seconds=finite(r["seconds"]),
            cost=finite(r["cost"]),
            n_unpriced=int(r["n_unpriced"]),
        )
        for r in role_costs(q.store, q.A, list(f.judges) if f.judges else None, rubrics)
    ]


def _int(x: Any) -> int | None:
    return None if x is None else int(x)


def role_cost_views(rows: list[RoleCostRow]) -> list[View]:
    """One table, contestants then judges, each role's total after its models."""
    if not any(r.role == "judge" for r in rows):
        return []  # nothing graded yet: the generations table above says it all
    v = View(
        "Contestants and judges",
        [
            "role",
            "model",
            "calls",
            "failed",
            "prompt tokens",
            "completion tokens",
            "reasoning tokens",
            "seconds",
            "cost",
        ],
        numeric=set(range(2, 9)),
    )
    for x in rows:
        v.rows.append(
            [
                x.role,
                x.model if x.model is not None else ROLE_TOTAL,
                num(x.calls),
                num(x.n_error),
                num(x.prompt_tokens),
                num(x.completion_tokens),
                num(x.reasoning_tokens),
                num(x.seconds, 1),
                num(x.cost, 4),
            ]
        )
    return [v]
