"""m007: the `consensus` view, one row per answer × rubric × criterion across a jury of judges.

Never edit this once shipped: add a new module (see the end of judge/store/migrations.py).

Why a view over `scores`: it is the documented row per answer × rubric version × criterion ×
judge, and later migrations keep that meaning (one verdict per judge, whatever is stored beside
it), so the consensus follows them. A judge with several rows for one answer and criterion (the
same judge name under two configurations) counts once, with their mean.

`majority` is the most frequent score; between equally frequent scores, the one nearest the
median of all the judges' scores, and the median itself when two are equally near (so two judges
who disagree give their midpoint, as the mean and the median do).
"""

from __future__ import annotations

import duckdb

from judge.store.migrations import migration

_KEY = "generation_id, rubric, rubric_version, criterion"


@migration
def m007_jury(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        CREATE VIEW consensus AS
        WITH j AS (
            SELECT {_KEY}, judge, avg(score) AS score, bool_or(not_applicable) AS na, any_value(weight) AS weight
            FROM scores
            WHERE mode = 'single' AND judge NOT LIKE 'check:%' AND rubric_current
            GROUP BY ALL),
        agg AS (
            SELECT {_KEY}, any_value(weight) AS weight, count(score) AS n_judges,
                   count(*) FILTER (WHERE score IS NULL AND na) AS n_na,
                   count(*) FILTER (WHERE score IS NULL AND NOT na) AS n_error,
                   avg(score) AS mean, median(score) AS median, min(score) AS lowest, max(score) AS highest,
                   coalesce(list(judge ORDER BY judge) FILTER (WHERE score IS NOT NULL), []) AS judges
            FROM j GROUP BY ALL),
        freq AS (
            SELECT {_KEY}, score, count(*) AS f FROM j WHERE score IS NOT NULL GROUP BY ALL),
        top AS (
            SELECT f.*, abs(f.score - a.median) AS dist
            FROM freq f JOIN agg a USING ({_KEY})
            QUALIFY rank() OVER (PARTITION BY {_KEY} ORDER BY f.f DESC) = 1),
        near AS (
            SELECT * FROM top QUALIFY rank() OVER (PARTITION BY {_KEY} ORDER BY dist) = 1),
        maj AS (
            SELECT {_KEY}, CASE WHEN count(*) = 1 THEN any_value(score) END AS single FROM near GROUP BY ALL)
        SELECT a.generation_id, x.model, x.model_name, x.variant, x.prompt_id, x.pair, x.lang, x.category,
               x.sample, a.rubric, a.rubric_version, a.criterion, a.weight, a.n_judges, a.n_na, a.n_error,
               a.mean, a.median, coalesce(m.single, a.median) AS majority, a.lowest AS min, a.highest AS max,
               a.judges
        FROM agg a
        JOIN answers x ON x.generation_id = a.generation_id
        LEFT JOIN maj m ON m.generation_id = a.generation_id AND m.rubric = a.rubric
             AND m.rubric_version = a.rubric_version AND m.criterion = a.criterion
        """
    )
