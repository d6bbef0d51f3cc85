"""The validity gate's SQL (see `judge.report.gate`) and the expected-score totals of the answers section.

Everything reads the snapshots of a `ReportData` (so the report's filters apply), except
`probe_results`: a view the probe's migration adds, which an older database does not have. Its
absence, or a view that cannot be read, makes the probe test "not measured", never an error.
"""

from __future__ import annotations

import uuid
from typing import Any

import duckdb

from .filters import Group, build_groups
from .queries import ReportData

PROBE_VIEW = "probe_results"


def halo(q: ReportData) -> list[dict[str, Any]]:
    """Per rubric total code `d` and language `l` (NULL: all languages): `n` verdicts with 3 or more
    scored criteria and `n_same`, those whose scored criteria all got one score."""
    return q.rows(f"""
        WITH v AS (SELECT r, l, g, count(*) AS k, min(score) AS lo, max(score) AS hi
                   FROM {q.S} WHERE NOT is_check AND NOT na AND score IS NOT NULL GROUP BY r, l, g)
        SELECT r AS d, l, count(*) FILTER (WHERE k >= 3) AS n, count(*) FILTER (WHERE k >= 3 AND lo = hi) AS n_same
        FROM v GROUP BY GROUPING SETS ((r, l), (r))""")


def parse_errors(q: ReportData) -> list[dict[str, Any]]:
    """Per rubric total code `d` and language `l` (NULL: all): verdicts `n` and failed ones `n_failed`."""
    return q.rows(f"""
        SELECT d, l, count(*) AS n, count(*) FILTER (WHERE failed) AS n_failed
        FROM {q.T} GROUP BY GROUPING SETS ((d, l), (d))""")


def swaps(q: ReportData) -> list[dict[str, Any]]:
    """The two orders' raw verdicts (A/B/tie, None if failed) per judge × rubric × criterion, counted."""
    return q.rows(f"""
        SELECT judge, rubric, criterion, winner_order1 AS order1, winner_order2 AS order2, count(*) AS n
        FROM {q.P} GROUP BY ALL ORDER BY ALL""")


def probe_results(q: ReportData) -> tuple[list[dict[str, Any]] | None, str]:
    """The rows of `probe_results` for the judges in scope, or None and why there are none."""
    found = q.rows(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
        [PROBE_VIEW],
    )
    if not found or not found[0]["n"]:
        return None, f"no {PROBE_VIEW} in this database (run `judge probe`)"
    judges = sorted({d.judge for d in q.dims.values() if not d.is_check})
    try:
        rows = q.rows(
            f"""
            SELECT judge, rubric, criterion, lang, operator, dose, n, p_detect, lo, hi, p_raise
            FROM {PROBE_VIEW} WHERE list_contains(?, judge)""",
            [judges],
        )
    except duckdb.Error as e:  # a view from another version of the schema: say so, do not fail the report
        return None, f"{PROBE_VIEW} cannot be read ({str(e).splitlines()[0]})"
    return rows, f"{PROBE_VIEW} has no rows for this judge and rubric (run `judge probe`)"


class ExpectedScores:
    """Rubric totals of logprob-weighted expected scores, per verdict, as `Group`s like the report's own.

    A criterion row without an expected score (the endpoint gave no logprobs for it) keeps its
    sampled score; `share` says, per rubric total code, which part of the scored rows had one.
    """

    def __init__(self, q: ReportData) -> None:
        self.q = q
        self.table = f"_rep_e_{uuid.uuid4().hex[:8]}"
        self.share: dict[int, float] = {}
        n = q.rows(f"SELECT count(escore) AS n FROM {q.S} WHERE NOT is_check")
        self.present = bool(n and n[0]["n"])
        if not self.present:
            return
        q.con.execute(f"""
            CREATE TEMP TABLE {self.table} AS
            SELECT g, any_value(m) AS m, any_value(p) AS p, any_value(q) AS q, any_value(l) AS l, r AS d,
                   CASE WHEN count(score) = count(*) FILTER (WHERE NOT na) AND count(score) > 0
                        THEN sum(weight * coalesce(escore, score)) / sum(weight) FILTER (WHERE score IS NOT NULL)
                   END AS score,
                   count(escore) FILTER (WHERE score IS NOT NULL) AS n_exp, count(score) AS n_scored,
                   bool_or(failed) AS failed, bool_and(na) AS na
            FROM {q.S} WHERE NOT is_check GROUP BY g, r""")
        for r in q.rows(f"SELECT d, sum(n_exp) / nullif(sum(n_scored), 0) AS share FROM {self.table} GROUP BY d"):
            self.share[int(r["d"])] = float(r["share"] or 0.0)

    def groups(self, keys: list[str], unit: str) -> list[Group]:
        """Per-unit sums of the expected totals for each `keys` cell (as `ReportData.groups` over its totals)."""
        if not self.present:
            return []
        k = ", ".join(keys)
        a = self.q.arrays(f"""
            SELECT {k}, {unit} AS _u, sum(score) AS _s, count(score) AS _n, count(*) FILTER (WHERE failed) AS _e,
                   count(*) FILTER (WHERE na) AS _a
            FROM {self.table} GROUP BY ALL""")
        return build_groups(a, keys, self.q.decode)

    def close(self) -> None:
        self.q.con.execute(f"DROP TABLE IF EXISTS {self.table}")

    def __enter__(self) -> ExpectedScores:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
