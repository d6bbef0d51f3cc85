"""The jury's SQL for the report: consensus rows beside the report's snapshot, and what its measures read.

A rubric version graded by two or more LLM judges in the report's scope (its filters applied) has a
jury. `JuryData(q, method)` builds, from the snapshot of `queries.ReportData`, one consensus row
per answer × criterion of those rubric versions, under the pseudo-judge `consensus(<method>)`, in
temp tables shaped like the snapshot's own (`S` criterion rows, `T` weighted totals). It is a
`ReportData` over them, so `Context` and the section builders read the consensus as they read any
judge's rows.

A consensus row is scored when at least one judge scored the criterion, from the judges who did;
else it is not applicable when a judge found it so, else failed. A judge with several rows for one
answer and criterion (one judge name under two configurations) counts once, with their mean.
`majority` is the most frequent score; between equally frequent scores, the one nearest the
median of all the judges' scores, and the median itself when two are equally near. The `consensus`
view (migration m007) applies the same rules to the current rubric versions.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import numpy as np

from .filters import TOTAL, Dim, int_list
from .queries import ReportData
from .totals import totals_sql

METHODS = ("mean", "median", "majority")
_KEY = "g, c"


def jury_name(method: str) -> str:
    """The consensus rows' judge name; never a [[models]] name, which allows no parentheses."""
    return f"consensus({method})"


class JuryData(ReportData):
    """The consensus of every jury in a report's snapshot. Close it (or use `with`) before `q`."""

    def __init__(self, q: ReportData, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"consensus must be one of {', '.join(METHODS)}, not {method!r}")
        self.store, self.con, self.filters = q.store, q.con, q.filters
        self.base, self.method, self.name = q, method, jury_name(method)
        self.A, self.P = q.A, q.P
        tag = uuid.uuid4().hex[:8]
        self.S, self.T, self.M, self.J = (f"_rep_j{x}_{tag}" for x in "stmj")
        self.models_of, self.langs_of = q.models_of, q.langs_of
        self.members: dict[tuple[str, str], list[str]] = {}
        """(rubric, rubric version) -> its judges (two or more) in scope."""
        self.dims: dict[int, Dim] = {}
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    @property
    def present(self) -> bool:
        return bool(self.members)

    def __enter__(self) -> JuryData:
        return self

    def close(self) -> None:
        for t in (self.S, self.T, self.M, self.J):
            self.con.execute(f"DROP TABLE IF EXISTS {t}")

    def _build(self) -> None:
        q = self.base
        used = [int(r[0]) for r in self.con.execute(f"SELECT DISTINCT d FROM {q.S} WHERE NOT is_check").fetchall()]
        judges: dict[tuple[str, str], set[str]] = defaultdict(set)
        for d in used:
            dm = q.dims[d]
            judges[(dm.rubric, dm.rubric_version)].add(dm.judge)
        self.members = {k: sorted(v) for k, v in sorted(judges.items()) if len(v) > 1}
        dims = [q.dims[d] for d in used]
        keep = [(d, dm) for d, dm in zip(used, dims) if (dm.rubric, dm.rubric_version) in self.members]
        self._exec(
            f"""
            CREATE TEMP TABLE {self.M} AS
            SELECT d, judge, rubric, rubric_version, criterion, weight,
                   hash(?, rubric, rubric_version, criterion) AS c, hash(?, rubric, rubric_version, ?) AS r
            FROM (SELECT unnest(?::UBIGINT[]) AS d, unnest(?::VARCHAR[]) AS judge, unnest(?::VARCHAR[]) AS rubric,
                         unnest(?::VARCHAR[]) AS rubric_version, unnest(?::VARCHAR[]) AS criterion,
                         unnest(?::DOUBLE[]) AS weight)""",
            [
                self.name,
                self.name,
                TOTAL,
                [d for d, _ in keep],
                [dm.judge for _, dm in keep],
                [dm.rubric for _, dm in keep],
                [dm.rubric_version for _, dm in keep],
                [dm.criterion for _, dm in keep],
                [dm.weight for _, dm in keep],
            ],
        )
        # One row per answer × criterion × judge of a jury.
        self._exec(f"""
            CREATE TEMP TABLE {self.J} AS
            SELECT s.g, k.c, any_value(k.r) AS r, k.judge, any_value(s.m) AS m, any_value(s.p) AS p,
                   any_value(s.q) AS q, any_value(s.l) AS l, any_value(s.sample) AS sample,
                   avg(s.score) AS score, bool_or(s.na) AS na, any_value(s.weight) AS weight,
                   bool_or(coalesce(s.self_judged, false)) AS self_judged
            FROM {q.S} s JOIN {self.M} k ON k.d = s.d
            GROUP BY s.g, k.c, k.judge""")
        value = {"mean": "a.mean", "median": "a.median", "majority": "coalesce(x.single, a.median)"}[self.method]
        self._exec(f"""
            CREATE TEMP TABLE {self.S} AS
            WITH a AS (
                SELECT {_KEY}, any_value(r) AS r, any_value(m) AS m, any_value(p) AS p, any_value(q) AS q,
                       any_value(l) AS l, any_value(sample) AS sample, any_value(weight) AS weight,
                       count(score) AS n_judges, avg(score) AS mean, median(score) AS median,
                       bool_or(na AND score IS NULL) AS any_na
                FROM {self.J} GROUP BY {_KEY}),
            freq AS (SELECT {_KEY}, score, count(*) AS f FROM {self.J} WHERE score IS NOT NULL GROUP BY ALL),
            top AS (SELECT f.*, abs(f.score - a.median) AS dist FROM freq f JOIN a USING ({_KEY})
                    QUALIFY rank() OVER (PARTITION BY f.g, f.c ORDER BY f.f DESC) = 1),
            near AS (SELECT * FROM top QUALIFY rank() OVER (PARTITION BY g, c ORDER BY dist) = 1),
            x AS (SELECT {_KEY}, CASE WHEN count(*) = 1 THEN any_value(score) END AS single FROM near GROUP BY ALL)
            SELECT a.g, a.m, a.p, a.q, a.l, a.sample, a.c AS d, a.r, false AS is_check, {value} AS score,
                   a.n_judges = 0 AND NOT a.any_na AS failed, NULL::BOOLEAN AS passed, false AS self_judged,
                   coalesce(a.weight, 1.0) AS weight, a.n_judges = 0 AND a.any_na AS na, NULL::DOUBLE AS escore,
                   a.n_judges
            FROM a LEFT JOIN x ON x.g = a.g AND x.c = a.c""")
        self._exec(totals_sql(self.S, self.T))
        for c, r, rubric, version, criterion, weight in self.con.execute(
            f"SELECT DISTINCT c, r, rubric, rubric_version, criterion, max(weight) FROM {self.M} GROUP BY ALL"
        ).fetchall():
            self.dims[int(c)] = Dim(self.name, rubric, version, criterion, False, weight=weight)
            self.dims[int(r)] = Dim(self.name, rubric, version, TOTAL, False)

    # -- what the jury section reads ----------------------------------------------------------
    def jury_coverage(self) -> list[dict[str, Any]]:
        """Per jury rubric version: answers, answer × criterion cells, and cells fewer than all its judges scored."""
        return self.rows(f"""
            WITH k AS (SELECT DISTINCT c, rubric, rubric_version FROM {self.M}),
            n AS (SELECT rubric, rubric_version, count(DISTINCT judge) AS judges FROM {self.M} GROUP BY ALL),
            cell AS (SELECT g, c, count(score) AS scored FROM {self.J} GROUP BY ALL)
            SELECT k.rubric, k.rubric_version, count(DISTINCT cell.g) AS n_answers, count(*) AS n_cells,
                   count(*) FILTER (WHERE cell.scored < n.judges) AS n_partial
            FROM cell JOIN k USING (c) JOIN n USING (rubric, rubric_version)
            GROUP BY ALL ORDER BY ALL""")

    def ratings(self) -> dict[str, np.ndarray]:
        """Every judge's scored rating: consensus criterion code `c`, language `l`, answer `g`, judge."""
        return self.arrays(
            f"SELECT c, l, g, judge, score FROM {self.J} WHERE score IS NOT NULL ORDER BY c, l, g, judge"
        )

    def cross(self) -> list[dict[str, Any]]:
        """Weighted totals per judge (and the consensus) × rubric version × model: mean, n, failed."""
        totals = sorted({int(r[0]) for r in self.con.execute(f"SELECT DISTINCT r FROM {self.M}").fetchall()})
        judge_totals = [
            d
            for d, dm in self.base.dims.items()
            if dm.criterion == TOTAL and (dm.rubric, dm.rubric_version) in self.members
        ]
        out = []
        for table, codes, dims in ((self.base.T, judge_totals, self.base.dims), (self.T, totals, self.dims)):
            for r in self.rows(f"""
                SELECT d, m, avg(score) AS mean, count(score) AS n, count(*) FILTER (WHERE failed) AS n_error
                FROM {table} WHERE d IN {int_list(codes)} GROUP BY d, m"""):
                dm = dims[int(r["d"])]
                out.append(
                    {**r, "judge": dm.judge, "rubric": dm.rubric, "rubric_version": dm.rubric_version,
                     "model": self.models_of[r["m"]]}
                )  # fmt: skip
        return out

    def self_preference(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(per judge × answer of its own model: the sum and count over criteria of its score minus the
        mean of the other judges' scores of the same answer and criterion; per judge, its own models)."""
        pairs = self.rows(f"""
            WITH o AS (
                SELECT a.judge, a.g, a.c, a.score - avg(b.score) AS diff
                FROM {self.J} a JOIN {self.J} b ON b.g = a.g AND b.c = a.c AND b.judge <> a.judge
                WHERE a.self_judged AND a.score IS NOT NULL AND b.score IS NOT NULL
                GROUP BY a.judge, a.g, a.c, a.score)
            SELECT judge, g, sum(diff) AS s, count(*) AS n FROM o GROUP BY judge, g ORDER BY judge, g""")
        own = self.rows(f"SELECT DISTINCT judge, m FROM {self.J} WHERE self_judged ORDER BY ALL")
        for r in own:
            r["model"] = self.models_of[r["m"]]
        return pairs, own
