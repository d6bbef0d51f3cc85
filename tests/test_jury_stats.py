"""A jury's statistics: α among judges recovers planted agreement, and the consensus rules hold.

α is checked against a plain implementation written here from Krippendorff's pairwise definition
(disagreement over every pair of ratings of a unit, against every pair of ratings overall), not
from the coincidence matrix the package uses. The consensus rules (mean, median, majority with
its tie rule, n/a and errors counted) are checked on hand-written verdicts, in the `consensus`
view and in the report's consensus, which must agree.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from judge.stats.agreement_ci import _alpha_tables, _coincidences
from judge.stats.jury import alpha_ci
from judge.store import Store
from judge.store.jury import JuryData
from judge.store.queries import Filters, ReportData

# -- α, independently ------------------------------------------------------------------------


def plain_alpha(m: np.ndarray) -> float:
    """Krippendorff's α (ordinal) from its definition: 1 - D_o / D_e over pairable values.

    D_o averages δ over the ordered pairs of ratings within each unit (each unit's pairs weighted
    1 / (m_u - 1)); D_e over all ordered pairs of the pooled values. The ordinal δ(c, k) is
    (n_c / 2 + sum of n_g strictly between c and k + n_k / 2) ** 2, n_g the pooled value counts.
    """
    units = [col[~np.isnan(col)] for col in m.T]
    units = [u for u in units if u.size >= 2]
    pooled = np.concatenate(units)
    values, counts = np.unique(pooled, return_counts=True)
    n_of = dict(zip(values.tolist(), counts.tolist()))

    def delta(c: float, k: float) -> float:
        if c == k:
            return 0.0
        lo, hi = min(c, k), max(c, k)
        between = sum(n for v, n in n_of.items() if lo < v < hi)
        return (n_of[lo] / 2 + between + n_of[hi] / 2) ** 2

    n = pooled.size
    d_o = sum(
        sum(delta(a, b) for a, b in itertools.permutations(u.tolist(), 2)) / (u.size - 1) for u in units
    ) / n  # fmt: skip
    d_e = sum(delta(a, b) * n_of[a] * n_of[b] for a in n_of for b in n_of) / (n * (n - 1))
    return 1 - d_o / d_e


def planted(rho: float, n: int = 600, raters: int = 3, seed: int = 7) -> np.ndarray:
    """Raters who each give the unit's true score with probability rho, else an independent draw from the
    same (uniform 1-5) distribution: any two raters coincide with probability rho², so α = rho² for any
    metric (they disagree only when at least one drew independently, exactly as chance pairs do)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, n)
    return np.stack([np.where(rng.random(n) < rho, truth, rng.integers(1, 6, n)) for _ in range(raters)]).astype(float)


def test_identical_judges_agree_perfectly() -> None:
    m = np.repeat(np.random.default_rng(1).integers(1, 6, 300)[None, :], 3, axis=0).astype(float)
    e = alpha_ci(m, n_boot=500)
    assert (e.mean, e.lo, e.hi, e.n) == (1.0, 1.0, 1.0, 300)


def test_independent_random_judges_cover_zero() -> None:
    m = np.random.default_rng(2).integers(1, 6, (3, 400)).astype(float)
    e = alpha_ci(m, n_boot=1000)
    assert e.lo < 0 < e.hi
    assert abs(e.mean) < 0.05


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85])
def test_planted_agreement_is_recovered(rho: float) -> None:
    m = planted(rho)
    m[0, ::7] = np.nan  # a judge missing some answers: still pairable through the other two
    e = alpha_ci(m, n_boot=1000)
    assert math.isclose(e.mean, plain_alpha(m), abs_tol=1e-9)  # the same statistic, computed another way
    assert e.lo < rho**2 < e.hi  # the planted level
    assert abs(e.mean - rho**2) < 0.06
    assert e.hi - e.lo < 0.15  # an interval that could have missed it


def test_a_resample_is_the_alpha_of_the_resampled_units() -> None:
    """The bootstrap's table form: units drawn with multiplicities give the α of the repeated units."""
    m = planted(0.6, n=40, seed=3)
    m[1, :5] = np.nan
    cats = np.unique(m[~np.isnan(m)])
    tables = np.stack([_coincidences(np.searchsorted(cats, c[~np.isnan(c)]), cats.size) for c in m.T])
    w = np.random.default_rng(4).multinomial(40, np.full(40, 1 / 40))
    resampled = np.repeat(m, w, axis=1)
    assert math.isclose(_alpha_tables(w @ tables, cats.size)[0], plain_alpha(resampled), abs_tol=1e-9)


# -- consensus rules --------------------------------------------------------------------------

# answer -> the judges' verdicts on its one criterion: a score, "n/a" or "error"
CASES: dict[str, dict[str, float | str]] = {
    "g-plain": {"a": 2, "b": 2, "c": 5},  # majority 2, median 2, mean 3
    "g-two": {"a": 2, "b": 4},  # no majority: the median, 3
    "g-spread": {"a": 1, "b": 2, "c": 4, "d": 5},  # all tied, two equally near the median 3: 3
    "g-near": {"a": 2, "b": 3, "c": 3, "d": 5, "e": 5},  # 3 and 5 tied; 3 is the median: 3
    "g-mixed": {"a": 4, "b": "n/a", "c": "error"},  # one scored: it is every statistic; n/a and error counted
    "g-none": {"a": "n/a", "b": "error"},  # none scored: no statistic, n/a in the report
}
EXPECTED = {  # (n_judges, n_na, n_error, mean, median, majority, min, max)
    "g-plain": (3, 0, 0, 3.0, 2.0, 2.0, 2.0, 5.0),
    "g-two": (2, 0, 0, 3.0, 3.0, 3.0, 2.0, 4.0),
    "g-spread": (4, 0, 0, 3.0, 3.0, 3.0, 1.0, 5.0),
    "g-near": (5, 0, 0, 3.6, 3.0, 3.0, 2.0, 5.0),
    "g-mixed": (1, 1, 1, 4.0, 4.0, 4.0, 4.0, 4.0),
    "g-none": (0, 1, 1, None, None, None, None, None),
}


@pytest.fixture(scope="module")
def cases_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jury") / "cases.duckdb"
    with Store.open(path) as s:
        con = s.con
        con.execute("INSERT INTO models (name, variant, model_id, registered_at) VALUES ('m', 'v1', 'mid', now())")
        con.execute(
            "INSERT INTO rubrics (name, version, scale_min, scale_max, criteria_json, registered_at)"
            " VALUES ('r', 'r1:x', 1, 5, '[\"crit\"]', now())"
        )
        for i, (gen, verdicts) in enumerate(CASES.items()):
            con.execute(
                "INSERT INTO prompts (prompt_key, id, pair, lang, category) VALUES (?, ?, ?, 'en', 'logic')",
                [f"pk{i}", f"p{i}", f"p{i}"],
            )
            con.execute(
                "INSERT INTO generations (gen_id, variant, prompt_key, sample, status, answer)"
                " VALUES (?, 'v1', ?, 0, 'ok', 'x')",
                [gen, f"pk{i}"],
            )
            for judge, v in verdicts.items():
                con.execute(
                    "INSERT INTO verdicts (verdict_id, criterion, generation_id, mode, rubric, rubric_version, judge,"
                    " score, weight, not_applicable, error, self_judged) VALUES (?, 'crit', ?, 'single', 'r', 'r1:x',"
                    " ?, ?, 1.0, ?, ?, false)",
                    [
                        f"{gen}-{judge}",
                        gen,
                        judge,
                        v if isinstance(v, int) else None,
                        v == "n/a",
                        "boom" if v == "error" else None,
                    ],
                )
    return path


def test_the_consensus_view_follows_the_documented_rules(cases_db: Path) -> None:
    with Store.open_readonly(cases_db) as s:
        rows = s.records(
            "SELECT generation_id, n_judges, n_na, n_error, mean, median, majority, min, max, judges FROM consensus"
        )
    got = {r["generation_id"]: r for r in rows}
    assert set(got) == set(CASES)
    for gen, want in EXPECTED.items():
        r = got[gen]
        have = (r["n_judges"], r["n_na"], r["n_error"], r["mean"], r["median"], r["majority"], r["min"], r["max"])
        assert have == pytest.approx(want), gen
        assert r["judges"] == sorted(j for j, v in CASES[gen].items() if isinstance(v, int)), gen


@pytest.mark.parametrize(("method", "column"), [("mean", 3), ("median", 4), ("majority", 5)])
def test_the_report_consensus_matches_the_view(cases_db: Path, method: str, column: int) -> None:
    with Store.open_readonly(cases_db) as s, ReportData(s, Filters()) as q, JuryData(q, method) as jd:
        assert jd.present and jd.name == f"consensus({method})"
        assert jd.members == {("r", "r1:x"): ["a", "b", "c", "d", "e"]}
        codes = dict(s.con.execute(f"SELECT g, generation_id FROM {q.A}").fetchall())
        rows = s.con.execute(f"SELECT g, score, na, failed FROM {jd.S}").fetchall()
    got = {codes[g]: (score, na, failed) for g, score, na, failed in rows}
    for gen, want in EXPECTED.items():
        score, na, failed = got[gen]
        assert score == pytest.approx(want[column]) if want[column] is not None else score is None, gen
        # none scored: not applicable, since a judge found it so (an error alone would make it failed)
        assert (na, failed) == ((True, False) if gen == "g-none" else (False, False)), gen
