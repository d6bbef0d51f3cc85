"""m008: repeated verdicts (`judge grade --repeats K`), thinking judges' tokens, and what calls cost.

Never edit this once shipped: add a new module (see the end of judge/store/migrations.py).
"""

from __future__ import annotations

import duckdb

from judge.store.migrations import migration

# The m004 definition of `scores` with the repeat index: every repeat of every verdict.
_SCORE_REPEATS = """
CREATE OR REPLACE VIEW score_repeats AS
SELECT v.generation_id, a.model, a.model_name, a.variant, a.prompt_id, a.pair, a.lang, a.category,
       a.difficulty, a.sample, v.rubric, v.rubric_version,
       coalesce(r.retired_at IS NULL, true) AS rubric_current, v.criterion, v.judge, v.score,
       v.expected_score, v.logprob_coverage, v.passed, v.rationale, v.weight, v.error, v.attempts,
       v.self_judged, v.mode, v.created_at, v.verdict_id,
       coalesce(v.not_applicable, false) AS not_applicable,
       CASE WHEN v.error IS NOT NULL THEN 'error'
            WHEN v.not_applicable THEN 'not_applicable'
            WHEN v.score IS NULL THEN 'undecided'
            ELSE 'scored' END AS status,
       v.instruction_lang, coalesce(v.repeat, 0) AS repeat
FROM verdicts v
JOIN answers a ON a.generation_id = v.generation_id
LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version;
"""

# The m004 definition of `pairwise` with the repeat index. A repeat's two orders share its pair id
# (the pair id hashes the repeat index), so the self-join pairs each repeat's orders only.
_PAIRWISE_REPEATS = """
CREATE OR REPLACE VIEW pairwise_repeats AS
WITH o AS (
    SELECT c.*, ga.model AS model_first, gb.model AS model_second,
           CASE c.winner WHEN 'A' THEN ga.model WHEN 'B' THEN gb.model WHEN 'tie' THEN 'tie' END AS winner_model
    FROM comparisons c
    JOIN answers ga ON ga.generation_id = c.position_a
    JOIN answers gb ON gb.generation_id = c.position_b
)
SELECT o1.pair_id, p.id AS prompt_id, p.pair, p.lang, p.category, o1.rubric, o1.rubric_version,
       coalesce(r.retired_at IS NULL, true) AS rubric_current, o1.criterion, o1.judge,
       o1.model_first AS model_a, o1.model_second AS model_b,
       o1.position_a AS generation_a, o1.position_b AS generation_b,
       o1.winner AS winner_order1, o2.winner AS winner_order2,
       CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN NULL
            WHEN o1.not_applicable OR o2.not_applicable THEN NULL
            WHEN o1.winner_model = o2.winner_model THEN o1.winner_model
            ELSE 'tie' END AS winner,
       CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN NULL
            WHEN o1.not_applicable OR o2.not_applicable THEN NULL
            ELSE o1.winner_model = o2.winner_model END AS consistent,
       coalesce(o1.error, o2.error) AS error, o1.rationale AS rationale_order1, o2.rationale AS rationale_order2,
       coalesce(o1.not_applicable OR o2.not_applicable, false) AS not_applicable,
       CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN 'error'
            WHEN o1.not_applicable OR o2.not_applicable THEN 'not_applicable'
            ELSE 'decided' END AS status,
       o1.instruction_lang, coalesce(o1.repeat, 0) AS repeat
FROM o o1
JOIN o o2 ON o2.pair_id = o1.pair_id AND o2.criterion = o1.criterion AND o2.swap = 1
JOIN generations g ON g.gen_id = o1.position_a
JOIN prompts p ON p.prompt_key = g.prompt_key
LEFT JOIN rubrics r ON r.name = o1.rubric AND r.version = o1.rubric_version
WHERE o1.swap = 0;
"""

# One row per call to a model: a contestant's generation, or a judge's verdict (one order of a
# pairwise comparison is a call of its own). Verdict rows are per criterion and each repeats the
# call's token counts, so a judge call is grouped to one row. A verdict that was decided "not
# applicable" before any call (attempts = 0) cost nothing and is no call. Money is NULL without a
# price for the model's name (`prices`, recorded from judge.toml by `judge grade`) or without the
# token count it multiplies.
_COSTS = """
CREATE OR REPLACE VIEW costs AS
WITH calls AS (
    SELECT 'contestant' AS role, a.model, a.model_name AS name, 'generate' AS kind, a.generation_id AS call_id,
           a.generation_id, NULL::VARCHAR AS rubric, a.lang, NULL::INTEGER AS repeat,
           CASE WHEN a.status = 'ok' THEN 'ok' ELSE 'error' END AS status, a.attempts, a.prompt_tokens,
           a.completion_tokens, a.reasoning_tokens, a.latency_ms, a.run_id, a.created_at
    FROM answers a
    UNION ALL
    SELECT 'judge', v.judge, v.judge, 'single', v.verdict_id, any_value(v.generation_id), any_value(v.rubric),
           any_value(a.lang), any_value(coalesce(v.repeat, 0)),
           CASE WHEN bool_or(v.error IS NOT NULL) THEN 'error' ELSE 'ok' END, max(v.attempts),
           any_value(v.prompt_tokens), any_value(v.completion_tokens), any_value(v.reasoning_tokens),
           any_value(v.latency_ms), any_value(v.run_id), max(v.created_at)
    FROM verdicts v JOIN answers a ON a.generation_id = v.generation_id
    WHERE v.mode = 'single' AND v.judge NOT LIKE 'check:%'
    GROUP BY v.verdict_id, v.judge HAVING coalesce(max(v.attempts), 1) > 0
    UNION ALL
    SELECT 'judge', c.judge, c.judge, 'pairwise', c.comparison_id, any_value(c.position_a), any_value(c.rubric),
           any_value(a.lang), any_value(coalesce(c.repeat, 0)),
           CASE WHEN bool_or(c.error IS NOT NULL) THEN 'error' ELSE 'ok' END, max(c.attempts),
           any_value(c.prompt_tokens), any_value(c.completion_tokens), any_value(c.reasoning_tokens),
           any_value(c.latency_ms), any_value(c.run_id), max(c.created_at)
    FROM comparisons c JOIN answers a ON a.generation_id = c.position_a
    GROUP BY c.comparison_id, c.judge HAVING coalesce(max(c.attempts), 1) > 0
)
SELECT k.role, k.model, k.kind, k.call_id, k.generation_id, k.rubric, k.lang, k.repeat, k.status, k.attempts,
       k.prompt_tokens, k.completion_tokens, k.reasoning_tokens, k.latency_ms,
       k.prompt_tokens * p.input_per_mtok / 1e6 AS input_cost,
       k.completion_tokens * p.output_per_mtok / 1e6 AS output_cost,
       k.prompt_tokens * p.input_per_mtok / 1e6 + k.completion_tokens * p.output_per_mtok / 1e6 AS cost,
       k.run_id, k.created_at
FROM calls k LEFT JOIN prices p ON p.name = k.name;
"""


@migration
def m008_repeats(con: duckdb.DuckDBPyConnection) -> None:
    """Repeats of a verdict, reasoning tokens of thinking judges, and the `costs` view.

    `repeat` numbers the verdicts of one answer graded K times (`judge grade --repeats K`); the
    verdicts stored before are repeat 0, whose keys are unchanged. `scores` and `pairwise` keep
    their meaning, one row per answer (pair) × rubric version × criterion × judge, by showing
    repeat 0 only, so no mean over them counts an answer twice; `score_repeats` and
    `pairwise_repeats` show every repeat. `reasoning_tokens` (NULL when unknown) and
    `reasoning_tokens_estimated` are the judge's, as on generations; `reasoning_reasked` marks a
    verdict re-asked because the judge spent its budget on reasoning. `prices` holds each model
    name's configured price, which the `costs` view multiplies.
    """
    for table in ("verdicts", "comparisons"):
        con.execute(
            f"""
            ALTER TABLE {table} ADD COLUMN repeat INTEGER DEFAULT 0;
            ALTER TABLE {table} ADD COLUMN reasoning_tokens INTEGER;
            ALTER TABLE {table} ADD COLUMN reasoning_tokens_estimated BOOLEAN;
            ALTER TABLE {table} ADD COLUMN reasoning_reasked BOOLEAN DEFAULT false;
            UPDATE {table} SET repeat = 0 WHERE repeat IS NULL;
            UPDATE {table} SET reasoning_reasked = false WHERE reasoning_reasked IS NULL;
            """
        )
    con.execute(
        """
        CREATE TABLE prices (
            name VARCHAR PRIMARY KEY, input_per_mtok DOUBLE, output_per_mtok DOUBLE, recorded_at TIMESTAMP
        );
        """
    )
    con.execute(_SCORE_REPEATS)
    con.execute("CREATE OR REPLACE VIEW scores AS SELECT * FROM score_repeats WHERE repeat = 0")
    con.execute(_PAIRWISE_REPEATS)
    con.execute("CREATE OR REPLACE VIEW pairwise AS SELECT * FROM pairwise_repeats WHERE repeat = 0")
    con.execute(_COSTS)
