"""The report's queries about the judge's own behaviour: repeated verdicts and thinking re-asks.

Both read the verdict tables directly (as `queries.ReportData`'s snapshot does) with the report's
filters: `answers` names a table of the generation ids in scope and `llm_where` is a clause over
the verdict row (prefix `v.`) and its rubric (`r.`), with its parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .store import Store


def repeat_scores(store: Store, answers: str, llm_where: str, params: list[Any]) -> dict[str, np.ndarray]:
    """Scored criterion rows of every judge × rubric version that holds repeats (`repeat` > 0).

    Columns judge, rubric, rubric_version, criterion, unit (one answer graded under one judge
    configuration), repeat and score, ordered by the first four, then unit and repeat.
    """
    where = f"""
        v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND v.score IS NOT NULL AND ({llm_where})
        AND v.generation_id IN (SELECT generation_id FROM {answers})"""
    cur = store.con.execute(
        f"""
        WITH s AS (
            SELECT v.judge, v.rubric, v.rubric_version, v.criterion,
                   v.generation_id || '/' || coalesce(v.judge_variant, '') || '/' || coalesce(v.prompts_version, '')
                       AS unit,
                   coalesce(v.repeat, 0) AS repeat, v.score
            FROM verdicts v LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version
            WHERE {where}
        ),
        multi AS (SELECT judge, rubric, rubric_version FROM s GROUP BY ALL HAVING max(repeat) > 0)
        SELECT s.* FROM s JOIN multi USING (judge, rubric, rubric_version)
        ORDER BY judge, rubric, rubric_version, criterion, unit, repeat""",
        params,
    )
    return cur.fetchnumpy()


def thinking_counts(
    store: Store, answers: str, llm_where: str, params: list[Any], budget_spent: str
) -> list[dict[str, Any]]:
    """Per judge × rubric: judge calls (verdicts and pairwise orders, every repeat), those re-asked
    because the judge spent its budget on reasoning, those re-asked that then scored, those lost
    that way (error text starting with `budget_spent`), and the mean reasoning tokens per call
    over the calls whose count is known (`n_reasoning_known`)."""

    def calls(table: str, key: str, generation: str, extra: str) -> str:
        return f"""
            SELECT v.judge, v.rubric, v.{key} AS id, bool_or(coalesce(v.reasoning_reasked, false)) AS reasked,
                   bool_or(coalesce(starts_with(v.error, ?), false)) AS spent, bool_or(v.error IS NOT NULL) AS failed,
                   any_value(v.reasoning_tokens) AS rt
            FROM {table} v LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version
            WHERE {extra} ({llm_where}) AND v.{generation} IN (SELECT generation_id FROM {answers})
            GROUP BY v.judge, v.rubric, v.{key} HAVING coalesce(max(v.attempts), 1) > 0"""

    single = calls("verdicts", "verdict_id", "generation_id", "v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND")
    pair = calls("comparisons", "comparison_id", "position_a", "")
    return store.records(
        f"""
        WITH k AS ({single} UNION ALL {pair})
        SELECT judge, rubric, count(*) AS calls, count(*) FILTER (WHERE reasked) AS n_reasked,
               count(*) FILTER (WHERE reasked AND NOT failed) AS n_recovered,
               count(*) FILTER (WHERE spent) AS n_failed, avg(rt) AS mean_reasoning_tokens,
               count(rt) AS n_reasoning_known
        FROM k GROUP BY ALL ORDER BY ALL""",
        [budget_spent, *params, budget_spent, *params],
    )
