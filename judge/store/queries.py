"""The report's SQL: filtered snapshots of the stable views and every aggregate the report shows.

`ReportData(store, filters)` snapshots the filtered rows once into temp tables (a read-only
DuckDB connection may create temp tables) and then answers each question of the report with a
GROUP BY over them. What leaves DuckDB is a small table of aggregates or, for the bootstraps,
per-unit vectors (one value per prompt or pair and cell, never one per score row).

Why integer codes: at a million score rows, grouping on five string columns costs seconds on a
laptop, while the same GROUP BY over integer codes costs tens of milliseconds. The snapshot
therefore carries codes — `g` generation, `m` model, `p` prompt, `q` pair (the prompt when it has
no pair), `l` language, `d` a hash of (judge, rubric, rubric_version, criterion) — and the
dictionaries that decode them.

The snapshot of verdict rows joins `verdicts` to the `answers` snapshot and `rubrics`, which is
how the `scores` view is defined (same join, same `rubric_current`); going through the view would
join `answers` a second time, which doubles the snapshot's cost.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from .filters import TOTAL, Available, Dim, Filters, Group, available, build_groups, filled, int_list
from .store import Store
from .totals import totals_sql

__all__ = ["TOTAL", "Available", "Dim", "Filters", "Group", "ReportData", "available", "int_list"]

# A current rubric's `applies_to` (languages, categories; NULL = all), read from its canonical JSON.
# Unparseable JSON counts as "applies to everything": the report then never claims an answer uncovered
# on the strength of metadata it cannot read.
_APPLIES = """
    SELECT name AS rubric, version AS rubric_version,
           CASE WHEN json_valid(canonical_json)
                THEN TRY_CAST(json_extract(canonical_json, '$.applies_to.langs') AS VARCHAR[]) END AS langs,
           CASE WHEN json_valid(canonical_json)
                THEN TRY_CAST(json_extract(canonical_json, '$.applies_to.categories') AS VARCHAR[]) END AS cats
    FROM rubrics WHERE retired_at IS NULL"""
_APPLIES_TO = (
    "(r.langs IS NULL OR list_contains(r.langs, a.lang)) AND (r.cats IS NULL OR list_contains(r.cats, a.category))"
)


class ReportData:
    """Filtered snapshots (temp tables) and the aggregate queries over them. Close it when done."""

    def __init__(self, store: Store, filters: Filters) -> None:
        self.store, self.con, self.filters = store, store.con, filters
        tag = uuid.uuid4().hex[:8]
        self.A, self.S, self.T, self.P = (f"_rep_{x}_{tag}" for x in "astp")
        try:
            self._snapshot()
        except BaseException:
            self.close()
            raise

    def _snapshot(self) -> None:
        aw, ap = self.filters.answers_where()
        lw, lp = self.filters.llm_where("v.", "coalesce(r.retired_at IS NULL, true)")
        self._exec(
            f"""
            CREATE TEMP TABLE {self.A} AS
            SELECT row_number() OVER () - 1 AS g, dense_rank() OVER (ORDER BY model) - 1 AS m,
                   dense_rank() OVER (ORDER BY prompt_id) - 1 AS p,
                   dense_rank() OVER (ORDER BY coalesce(pair, prompt_id)) - 1 AS q,
                   dense_rank() OVER (ORDER BY lang) - 1 AS l,
                   generation_id, model, model_name, variant, prompt_id, pair, lang, category, sample, status,
                   prompt_tokens, completion_tokens, reasoning_tokens, reasoning_tokens_estimated, latency_ms,
                   finish_reason
            FROM answers WHERE {aw}""",
            ap,
        )
        # Only each check's newest version counts, and a verdict's repeat 0 (judge/report/stability.py: why).
        joins = f"""
            LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version
            LEFT JOIN (SELECT judge, arg_max(rubric_version, created_at) AS v FROM verdicts WHERE mode = 'check'
                       GROUP BY judge) c ON c.judge = v.judge
            WHERE coalesce(v.repeat, 0) = 0 AND ((v.mode = 'check' AND v.rubric_version = c.v)
               OR (v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND {lw}))"""
        d_crit = "hash(v.judge, v.rubric, v.rubric_version, v.criterion)"
        d_total = f"hash(v.judge, v.rubric, v.rubric_version, '{TOTAL}')"
        self._exec(
            f"""
            CREATE TEMP TABLE {self.S} AS
            SELECT a.g, a.m, a.p, a.q, a.l, a.sample, {d_crit} AS d, {d_total} AS r, v.mode = 'check' AS is_check,
                   v.score, v.error IS NOT NULL AS failed, v.passed, v.self_judged, coalesce(v.weight, 1.0) AS weight,
                   coalesce(v.not_applicable, false) AS na, v.expected_score AS escore
            FROM verdicts v JOIN {self.A} a ON a.generation_id = v.generation_id {joins}""",
            lp,
        )
        dims = self.store.query(
            f"""
            WITH x AS (SELECT DISTINCT v.judge, v.rubric, v.rubric_version, v.criterion, v.mode, v.weight
                       FROM verdicts v {joins})
            SELECT hash(judge, rubric, rubric_version, criterion), judge, rubric, rubric_version, criterion,
                   mode = 'check', max(weight)
            FROM x GROUP BY ALL
            UNION ALL
            SELECT DISTINCT hash(judge, rubric, rubric_version, '{TOTAL}'), judge, rubric, rubric_version, '{TOTAL}',
                   false, NULL
            FROM x WHERE mode <> 'check'""",
            lp,
        )[1]
        self.dims: dict[int, Dim] = {int(r[0]): Dim(r[1], r[2], r[3], r[4], r[5], weight=r[6]) for r in dims}
        self._exec(totals_sql(self.S, self.T))
        where, params = self._pairwise_where()
        self._exec(
            f"""
            CREATE TEMP TABLE {self.P} AS
            SELECT judge, rubric, rubric_version, criterion, model_a, model_b, winner, winner_order1,
                   winner_order2, error IS NOT NULL AS failed
            FROM pairwise WHERE {where}""",
            params,
        )
        self.models_of = dict(self.con.execute(f"SELECT DISTINCT m, model FROM {self.A}").fetchall())
        self.langs_of = dict(self.con.execute(f"SELECT DISTINCT l, lang FROM {self.A}").fetchall())

    def _pairwise_where(self) -> tuple[str, list[Any]]:
        lw, lp = self.filters.llm_where()
        models = f"(SELECT DISTINCT model FROM {self.A})"
        parts = [
            lw,
            f"model_a IN {models}",
            f"model_b IN {models}",
            f"generation_a IN (SELECT generation_id FROM {self.A})",
        ]
        return " AND ".join(parts), lp

    def close(self) -> None:
        for t in (self.A, self.S, self.T, self.P):
            self.con.execute(f"DROP TABLE IF EXISTS {t}")

    def __enter__(self) -> ReportData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------
    def _exec(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.con.execute(sql, list(params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.store.records(sql, list(params))

    def arrays(self, sql: str, params: Sequence[Any] = ()) -> dict[str, np.ndarray]:
        return {k: filled(v) for k, v in self.con.execute(sql, list(params)).fetchnumpy().items()}

    def codes(
        self,
        *,
        criterion: str | None = None,
        judge: str | None = None,
        is_check: bool | None = None,
        total: bool | None = None,
    ) -> list[int]:
        """`d` codes whose Dim matches every given field (total: the weighted-total pseudo-criterion)."""
        out = []
        for d, dm in self.dims.items():
            if criterion is not None and dm.criterion != criterion:
                continue
            if judge is not None and dm.judge != judge:
                continue
            if is_check is not None and dm.is_check != is_check:
                continue
            if total is not None and (dm.criterion == TOTAL) != total:
                continue
            out.append(d)
        return sorted(out)

    def decode(self, key: dict[str, int]) -> dict[str, Any]:
        """Turn `d`/`m`/`l` codes into judge, rubric, rubric_version, criterion, model, lang."""
        out: dict[str, Any] = {}
        if "d" in key:
            dm = self.dims[key["d"]]
            out.update(judge=dm.judge, rubric=dm.rubric, rubric_version=dm.rubric_version, criterion=dm.criterion)
        if "m" in key:
            out["model"] = self.models_of[key["m"]]
        if "l" in key:
            out["lang"] = self.langs_of[key["l"]]
        return out

    def groups(
        self,
        src: str,
        keys: Sequence[str],
        *,
        unit: str = "p",
        value: str = "score",
        where: str = "true",
        failed: str = "failed",
    ) -> list[Group]:
        """Per-unit sums and counts of `value` for each distinct `keys` cell of `src` ("S" or "T").

        `keys` are code columns among d, m, l; `unit` an integer expression (p, q, or
        `p * 1000000 + sample` to align samples); `failed` counts the rows reported as n_error;
        rows that do not apply (`na`) are counted as n_na and never enter the sums.
        Groups come sorted by their decoded keys.
        """
        table = {"S": self.S, "T": self.T}[src]
        k = ", ".join(keys)
        a = self.arrays(f"""
            SELECT {k}, {unit} AS _u, sum(_v) AS _s, count(_v) AS _n, count(*) FILTER (WHERE _f) AS _e,
                   count(*) FILTER (WHERE na) AS _a
            FROM (SELECT *, ({value})::DOUBLE AS _v, ({failed}) AS _f FROM {table} WHERE {where}) GROUP BY ALL""")
        return build_groups(a, keys, self.decode)

    # -- descriptive tables -------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """The contestants in the filtered answers, with the metadata that tells variants apart."""
        return self.rows(f"""
            SELECT l.model, l.name, l.variant, l.model_id, l.quantization, l.base_model, l.params_json,
                   l.extra_body_json, l.current, a.n AS n_generations
            FROM (SELECT variant, count(*) AS n FROM {self.A} GROUP BY variant) a
            JOIN model_labels l USING (variant) ORDER BY l.model""")

    def rubrics(self) -> list[dict[str, Any]]:
        """Rubric versions in the filtered LLM verdicts and comparisons: scale (1-5 when unknown), criteria in file order."""
        versions = sorted({(d.rubric, d.rubric_version) for d in self.dims.values() if not d.is_check})
        versions = sorted(
            set(versions) | set(self.con.execute(f"SELECT DISTINCT rubric, rubric_version FROM {self.P}").fetchall())
        )
        if not versions:
            return []
        return self.rows(
            """
            SELECT x.rubric, x.rubric_version, coalesce(r.retired_at IS NULL, true) AS current,
                   coalesce(r.scale_min, 1) AS scale_min, coalesce(r.scale_max, 5) AS scale_max,
                   r.criteria_json,
                   CASE WHEN json_valid(r.canonical_json)
                        THEN TRY_CAST(json_extract(r.canonical_json, '$.include_reasoning') AS BOOLEAN) END
                        AS include_reasoning
            FROM (SELECT unnest(?) AS rubric, unnest(?) AS rubric_version) x
            LEFT JOIN rubrics r ON r.name = x.rubric AND r.version = x.rubric_version
            ORDER BY x.rubric, x.rubric_version""",
            [[v[0] for v in versions], [v[1] for v in versions]],
        )

    def demo_flag(self) -> bool:
        """Demo data: a run recorded `demo = true`, or every contestant in scope is tagged "demo"."""
        r = self.rows(f"""
            SELECT (SELECT coalesce(bool_or(TRY_CAST(json_extract_string(config_json, '$.demo') AS BOOLEAN)), false)
                    FROM runs WHERE json_valid(config_json)) AS run_flag,
                   (SELECT coalesce(bool_and(coalesce(json_valid(tags_json)
                                     AND list_contains(TRY_CAST(tags_json::JSON AS VARCHAR[]), 'demo'), false)), false)
                    FROM models WHERE variant IN (SELECT variant FROM {self.A})) AS tagged""")
        return bool(r and (r[0]["run_flag"] or r[0]["tagged"]))

    # -- sections -----------------------------------------------------------------------------
    def depth(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, np.ndarray]]:
        """Per rubric total × model: token and score summaries, ten token bins, and the vectors."""
        base = f"""
            SELECT t.d, t.m, a.reasoning_tokens::DOUBLE AS tokens, a.reasoning_tokens_estimated AS est, t.score,
                   a.generation_id
            FROM {self.T} t JOIN {self.A} a USING (g)
            WHERE t.score IS NOT NULL AND a.reasoning_tokens IS NOT NULL"""
        summary = self.rows(f"""
            SELECT d, m, count(*) AS n, avg(tokens) AS mean_tokens, median(tokens) AS median_tokens,
                   avg(est::INTEGER) FILTER (WHERE tokens > 0) AS estimated_share, avg(score) AS mean_score
            FROM ({base}) GROUP BY d, m""")
        bins = self.rows(f"""
            SELECT d, m, bin, avg(tokens) AS tokens, avg(score) AS score, count(*) AS n
            FROM (SELECT *, ntile(10) OVER (PARTITION BY d, m ORDER BY tokens, generation_id) AS bin FROM ({base}))
            GROUP BY d, m, bin ORDER BY d, m, bin""")
        vec = self.arrays(f"SELECT d, m, tokens, score FROM ({base}) ORDER BY d, m, generation_id")
        return summary, bins, vec

    def pairwise_counts(self) -> list[dict[str, Any]]:
        """Games after the swap per judge × rubric × (model_a, model_b, result A/B/tie, None if failed)."""
        return self.rows(f"""
            SELECT judge, rubric, rubric_version, model_a, model_b,
                   CASE WHEN winner IS NULL THEN NULL WHEN winner = 'tie' THEN 'tie'
                        WHEN winner = model_a THEN 'A' ELSE 'B' END AS result, count(*) AS n
            FROM {self.P} GROUP BY ALL ORDER BY ALL""")

    def swap_counts(self) -> list[dict[str, Any]]:
        """The two orders' raw verdicts (A/B/tie, None if failed) per judge × rubric, counted."""
        return self.rows(f"""
            SELECT judge, rubric, rubric_version, winner_order1 AS order1, winner_order2 AS order2, count(*) AS n
            FROM {self.P} GROUP BY ALL ORDER BY ALL""")

    def check_agreement(self) -> list[dict[str, Any]]:
        """Each LLM `correctness` criterion against check:answer on the same generation.

        Gives the point-biserial r (Pearson of score and 0/1), AUC = P(score if correct >
        score if wrong) + P(tie) / 2 from the score × correct table, and the group means.
        """
        judged, checked = (
            self.codes(criterion="correctness", is_check=False),
            self.codes(criterion="correct", is_check=True),
        )
        if not judged or not checked:
            return []
        joined = f"""
            SELECT s.d, s.score, c.score AS correct
            FROM {self.S} s JOIN {self.S} c ON c.g = s.g AND c.d IN {int_list(checked)}
            WHERE s.d IN {int_list(judged)} AND s.score IS NOT NULL AND c.score IS NOT NULL"""
        return self.rows(f"""
            WITH t AS (
                SELECT d, score, count(*) FILTER (WHERE correct > 0.5) AS n1, count(*) FILTER (WHERE correct <= 0.5) AS n0
                FROM ({joined}) GROUP BY ALL),
            w AS (SELECT *, coalesce(sum(n0) OVER (PARTITION BY d ORDER BY score
                                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below
                  FROM t),
            auc AS (SELECT d, sum(n1 * (below + 0.5 * n0)) / nullif(sum(n1) * sum(n0), 0) AS auc,
                           list(score ORDER BY score) AS scores, list(n1 ORDER BY score) AS n1s,
                           list(n0 ORDER BY score) AS n0s
                    FROM w GROUP BY d),
            r AS (SELECT d, count(*) AS n, corr(score, correct) AS point_biserial,
                         avg(score) FILTER (WHERE correct > 0.5) AS mean_correct,
                         avg(score) FILTER (WHERE correct <= 0.5) AS mean_wrong
                  FROM ({joined}) GROUP BY d)
            SELECT * FROM r JOIN auc USING (d)""")

    def fidelity(self) -> list[dict[str, Any]]:
        """check:language per model × language: mixed-script words and Latin share (the rate is a group)."""
        mixed, latin = (
            self.codes(criterion="mixed_script_words", is_check=True),
            self.codes(criterion="latin_share", is_check=True),
        )
        return self.rows(f"""
            SELECT m, l, count(score) FILTER (WHERE d IN {int_list(mixed)}) AS n_mixed,
                   avg(score) FILTER (WHERE d IN {int_list(mixed)}) AS mixed_mean,
                   avg((score > 0)::INTEGER) FILTER (WHERE d IN {int_list(mixed)}) AS mixed_share,
                   count(score) FILTER (WHERE d IN {int_list(latin)}) AS n_latin,
                   avg(score) FILTER (WHERE d IN {int_list(latin)}) AS latin_mean,
                   avg((NOT passed)::INTEGER) FILTER (WHERE d IN {int_list(latin)}) AS latin_over_share
            FROM {self.S} WHERE d IN {int_list(mixed + latin)} GROUP BY m, l""")

    def cost(self) -> list[dict[str, Any]]:
        """Tokens, latency percentiles and speed per model × language and per model ('all')."""
        return self.rows(f"""
            SELECT model, coalesce(lang, 'all') AS lang, count(*) AS n,
                   count(*) FILTER (WHERE status <> 'ok') AS n_error,
                   count(*) FILTER (WHERE finish_reason = 'length') AS n_truncated,
                   avg(prompt_tokens) AS prompt_tokens, avg(completion_tokens) AS completion_tokens,
                   avg(reasoning_tokens) AS reasoning_tokens,
                   avg(reasoning_tokens_estimated::INTEGER) FILTER (WHERE reasoning_tokens > 0) AS reasoning_estimated_share,
                   quantile_cont(latency_ms, 0.5) AS latency_p50_ms, quantile_cont(latency_ms, 0.95) AS latency_p95_ms,
                   median(completion_tokens / (latency_ms / 1000.0)) FILTER (WHERE latency_ms > 0) AS tokens_per_s
            FROM {self.A} GROUP BY GROUPING SETS ((model, lang), (model)) ORDER BY model, lang NULLS FIRST""")

    def self_judged(self) -> list[dict[str, Any]]:
        """Per LLM criterion code: rows, self-judged rows, and score sums and counts of each kind."""
        return self.rows(f"""
            SELECT d, count(*) AS n, count(*) FILTER (WHERE self_judged) AS n_self,
                   sum(score) FILTER (WHERE self_judged) AS sum_self, count(score) FILTER (WHERE self_judged) AS scored_self,
                   sum(score) FILTER (WHERE NOT self_judged) AS sum_other,
                   count(score) FILTER (WHERE NOT self_judged) AS scored_other
            FROM {self.S} WHERE NOT is_check GROUP BY d""")

    # The human-label pairs are `judge.store.labels.human_pairs(q)`.

    def counts(self) -> dict[str, Any]:
        """What was left out and why: failed rows, unmeasured checks, retired variants and rubric versions,
        judges with several configurations, and answers nothing grades (see `coverage`)."""
        r = self.rows(f"""
            SELECT (SELECT count(*) FROM {self.A}) AS generations,
                   (SELECT count(*) FROM {self.A} WHERE status <> 'ok') AS failed_generations,
                   (SELECT count(*) FROM {self.T}) AS verdicts,
                   (SELECT count(*) FROM {self.T} WHERE failed) AS failed_verdicts,
                   (SELECT count(*) FROM {self.S} WHERE na) AS not_applicable_rows,
                   (SELECT count(*) FROM {self.S} WHERE is_check AND score IS NULL) AS unmeasured_checks,
                   (SELECT count(*) FROM {self.P}) AS comparisons,
                   (SELECT count(*) FROM {self.P} WHERE failed) AS failed_comparisons,
                   (SELECT count(*) FROM answers WHERE NOT current) AS retired_generations,
                   (SELECT count(DISTINCT model) FROM answers WHERE NOT current) AS retired_variants""")[0]
        lw, lp = self.filters.llm_where("v.", "coalesce(r.retired_at IS NULL, true)")
        r["rubric_versions"] = self.rows(
            f"""
            SELECT v.rubric, v.rubric_version, coalesce(r.retired_at IS NULL, true) AS current, v.judge,
                   count(*) AS n_rows, bool_or({lw}) AS included
            FROM verdicts v LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version
            WHERE v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND coalesce(v.repeat, 0) = 0
            GROUP BY ALL ORDER BY ALL""",
            lp,
        )
        r["instruction_langs"] = self.rows(
            f"""
            SELECT v.rubric, v.judge, a.lang, v.instruction_lang, count(DISTINCT v.verdict_id) AS n
            FROM verdicts v JOIN {self.A} a ON a.generation_id = v.generation_id
            LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version
            WHERE v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND {lw} AND coalesce(v.repeat, 0) = 0 AND v.instruction_lang IS NOT NULL
            GROUP BY ALL ORDER BY ALL""",
            lp,
        )
        # One judge name, several configurations (params, prompts): their verdicts share the judge's
        # cells, so the report says so rather than pool them silently.
        r["judge_configs"] = self.rows(
            f"""
            SELECT v.judge, v.rubric, v.rubric_version, count(DISTINCT (v.judge_variant, v.prompts_version)) AS n_configs
            FROM verdicts v LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version
            WHERE v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND {lw}
              AND v.generation_id IN (SELECT generation_id FROM {self.A})
            GROUP BY ALL HAVING count(DISTINCT (v.judge_variant, v.prompts_version)) > 1 ORDER BY ALL""",
            lp,
        )
        r.update(self.coverage())
        return r

    def coverage(self) -> dict[str, Any]:
        """Answers in scope (status ok) that nothing grades, so far as the store can tell.

        `uncovered`: per model × language × category, answers no current rubric applies to (by its
        `applies_to`), which no judge will ever grade. `unjudged`: per current rubric version (those
        the rubric filter selects) × LLM judge in scope, answers it applies to that have no verdict
        row of that judge (judge NULL: no judge has graded the version at all). `current_rubrics`:
        how many current rubrics there are (0: grading never ran).
        """
        uncovered = self.rows(f"""
            SELECT a.model, a.lang, a.category, count(*) AS n
            FROM {self.A} a
            WHERE a.status = 'ok' AND NOT EXISTS (SELECT 1 FROM ({_APPLIES}) r WHERE {_APPLIES_TO})
            GROUP BY ALL ORDER BY ALL""")
        jw, jp = self.filters.judges_where()
        unjudged = self.rows(
            f"""
            WITH r AS ({_APPLIES}),
            j AS (SELECT DISTINCT rubric, rubric_version, judge FROM verdicts
                  WHERE mode = 'single' AND judge NOT LIKE 'check:%' AND {jw}),
            rj AS (SELECT r.*, j.judge FROM r LEFT JOIN j USING (rubric, rubric_version)),
            done AS (SELECT DISTINCT generation_id, rubric, rubric_version, judge FROM verdicts
                     WHERE mode = 'single' AND generation_id IN (SELECT generation_id FROM {self.A}))
            SELECT r.rubric, r.rubric_version, r.judge, count(*) AS n
            FROM {self.A} a JOIN rj r ON {_APPLIES_TO}
            LEFT JOIN done d ON d.generation_id = a.generation_id AND d.rubric = r.rubric
                 AND d.rubric_version = r.rubric_version AND d.judge = r.judge
            WHERE a.status = 'ok' AND d.generation_id IS NULL
            GROUP BY ALL ORDER BY ALL""",
            jp,
        )
        unjudged = [u for u in unjudged if self.filters.selects_rubric(u["rubric"], u["rubric_version"])]
        n = self.rows("SELECT count(*) AS n FROM rubrics WHERE retired_at IS NULL")[0]["n"]
        return {"uncovered": uncovered, "unjudged": unjudged, "current_rubrics": int(n)}
