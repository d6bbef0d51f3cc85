"""What calls cost, kept apart by role: the `prices` table's writes and the report's queries over `costs`.

The `costs` view (m008) has one row per call, a contestant's generation or a judge's verdict, with
its tokens, time and, where `prices` holds the model's price, money. `judge grade` records the
prices of judge.toml here; the report reads the view through `role_costs`.
"""

from __future__ import annotations

from typing import Any

from .store import Store, now


def record_prices(store: Store, prices: dict[str, tuple[float, float] | None]) -> None:
    """Set each named model's price (input, output per million tokens); None removes it.

    Names judge.toml no longer lists keep their last price: their answers are still in the file.
    """
    if not prices:
        return
    priced = {k: v for k, v in prices.items() if v is not None}
    with store.transaction():
        store.con.execute("DELETE FROM prices WHERE name IN (SELECT unnest(?::VARCHAR[]))", [sorted(prices)])
        if priced:
            names = sorted(priced)
            store.con.execute(
                "INSERT INTO prices SELECT unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), unnest(?::DOUBLE[]), ?",
                [names, [priced[n][0] for n in names], [priced[n][1] for n in names], now()],
            )


def role_costs(
    store: Store, answers: str, judges: list[str] | None = None, rubrics: list[str] | None = None
) -> list[dict[str, Any]]:
    """Totals per role × model over the calls in scope, each role's total (model NULL) after its models.

    `answers` names a table with the generation ids in scope: a contestant's calls are its
    generations there; a judge's calls are its verdicts on them (a pairwise order: on its
    first-shown answer), of the `judges` and `rubrics` (names) given, all when None.
    """
    judge_sql, params = ["true"], []
    for col, names in (("model", judges), ("rubric", rubrics)):
        if names:
            judge_sql.append(f"{col} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(sorted(set(names)))
    return store.records(
        f"""
        WITH k AS (
            SELECT * FROM costs
            WHERE generation_id IN (SELECT generation_id FROM {answers})
              AND (role = 'contestant' OR ({" AND ".join(judge_sql)}))
        )
        SELECT role, model, count(*) AS calls, count(*) FILTER (WHERE status <> 'ok') AS n_error,
               sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
               sum(reasoning_tokens) AS reasoning_tokens,
               count(*) FILTER (WHERE reasoning_tokens IS NULL) AS n_reasoning_unknown,
               sum(latency_ms) / 1000.0 AS seconds, sum(cost) AS cost,
               count(*) FILTER (WHERE cost IS NULL) AS n_unpriced
        FROM k GROUP BY GROUPING SETS ((role, model), (role))
        ORDER BY role, model NULLS LAST""",
        params,
    )
