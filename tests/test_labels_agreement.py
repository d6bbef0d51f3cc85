"""Judge ↔ human agreement: κ recovers a planted share of agreement, CIs and `labels_needed` mean what they say.

The scripted "human" gives the judge's own score with probability p and otherwise one of the other
scores at random. Its expected quadratic-weighted κ is computed here in closed form from the judge's
score distribution — not from the implementation.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judge.config import Config
from judge.labels import export_labels, import_labels
from judge.report import Report, build_report
from judge.stats import agreement
from judge.stats.agreement_ci import (
    Ratings,
    _alpha_tables,
    _coincidences,
    _kappa_tables,
    _spearman_tables,
    agreement_ci,
    more_units_for,
)
from judge.store import Store
from tests.test_labels_export import RD, RF, graded_db, read_jsonl

SHARE = {RD: 0.8, RF: 0.2}
"""Planted: the share of items on which the scripted human gives the judge's score, per rubric."""
LEVELS = (1, 2, 3, 4, 5)


def expected_kappa(judge_scores: list[float], p: float) -> float:
    """Quadratic-weighted κ of a rater who copies the judge with probability p, else picks one of the
    other k-1 levels uniformly: 1 - E[w(J,H)] / E[w(J,H')] with H' independent of J, same marginal."""
    k = len(LEVELS)
    pi = np.array([sum(s == lv for s in judge_scores) for lv in LEVELS], float) / len(judge_scores)
    w = np.array([[((i - j) / (k - 1)) ** 2 for j in range(k)] for i in range(k)])
    other = (1 - np.eye(k)) / (k - 1)  # row j: where H goes when it does not copy J = j
    joint = pi[:, None] * (p * np.eye(k) + (1 - p) * other)
    q = joint.sum(axis=0)
    return float(1 - (w * joint).sum() / (w * np.outer(pi, q)).sum())


def judge_scores(cfg: Config) -> dict[str, float]:
    with Store.open_readonly(cfg.db_path) as store:
        return dict(
            store.query(
                """SELECT i.label_id, v.score FROM label_items i
                   JOIN verdicts v USING (generation_id, rubric, rubric_version, criterion)"""
            )[1]
        )


def scripted_human(objs: list[dict[str, Any]], scores: dict[str, float], seed: int, name: str) -> None:
    """Fill `objs` as a linguist who gives the judge's score on SHARE of the items."""
    rng = random.Random(seed)
    for o in objs:
        j = int(scores[o["label_id"]])
        o["score"] = j if rng.random() < SHARE[o["rubric"]] else rng.choice([x for x in LEVELS if x != j])
        o["annotator"] = name


def write(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Report, dict[str, list[dict[str, Any]]]]:
    tmp = tmp_path_factory.mktemp("agree")
    cfg = graded_db(tmp, n_pairs=30, seed=3)
    export_labels(cfg, tmp / "all.jsonl", per_stratum=10_000, seed=1)  # every graded item
    objs = read_jsonl(tmp / "all.jsonl")
    scores = judge_scores(cfg)
    scripted_human(objs, scores, seed=11, name="anna")
    import_labels(cfg, [write(tmp / "anna.jsonl", objs)])
    # a second linguist labels a third of the items exactly as the first did: the humans agree fully
    ben = [dict(o, annotator="ben") for o in objs[: len(objs) // 3]]
    import_labels(cfg, [write(tmp / "ben.jsonl", ben)])
    with Store.open_readonly(cfg.db_path) as store:
        report = build_report(store, n_boot=1000, seed=0)
    by_rubric: dict[str, list[dict[str, Any]]] = {RD: [], RF: []}
    for o in objs:
        by_rubric[o["rubric"]].append({**o, "judge": scores[o["label_id"]]})
    return cfg, report, by_rubric


def test_kappa_recovers_the_planted_share(labelled: tuple[Config, Report, dict[str, list[dict[str, Any]]]]) -> None:
    _, report, rows = labelled
    rel = report.sections.judge_reliability
    pooled = {h.rubric: h for h in rel.human}
    assert set(pooled) == {RD, RF}
    for rubric, tol in ((RD, 0.09), (RF, 0.13)):  # about 3 standard errors at these sample sizes
        h = pooled[rubric]
        want = expected_kappa([r["judge"] for r in rows[rubric]], SHARE[rubric])
        assert h.weighted_kappa is not None and h.kappa_lo is not None and h.kappa_hi is not None
        assert abs(h.weighted_kappa - want) < tol, (rubric, h.weighted_kappa, want)
        assert h.kappa_lo < want < h.kappa_hi, (rubric, h.kappa_lo, want, h.kappa_hi)
        assert h.n_items == len(rows[rubric]) and h.criterion is None and h.lang == "all"
        for lo, v, hi in ((h.spearman_lo, h.spearman, h.spearman_hi), (h.alpha_lo, h.alpha, h.alpha_hi)):
            assert lo is not None and v is not None and hi is not None and lo < v < hi
    assert pooled[RD].weighted_kappa > 0.6 > 0.2 > pooled[RF].weighted_kappa  # type: ignore[operator]
    # the validity gate reads the pooled rows: passes at 0.8 agreement, fails at 0.2
    gate = {g.rubric: g for g in rel.gate if g.test == "human agreement"}
    assert gate[RD].status == "pass" and gate[RF].status == "fail"
    assert gate[RF].text.startswith("human weighted kappa") and "< 0.40" in gate[RF].text


def test_cells_per_criterion_and_language_cover_their_expectation(
    labelled: tuple[Config, Report, dict[str, list[dict[str, Any]]]],
) -> None:
    _, report, rows = labelled
    cells = report.sections.judge_reliability.human_cells
    assert {(c.rubric, c.lang) for c in cells} == {(RD, "en"), (RD, "ru"), (RF, "ru")}
    covered = 0
    for c in cells:
        mine = [r["judge"] for r in rows[c.rubric] if r["criterion"] == c.criterion and r["lang"] == c.lang]
        assert c.n_items == len(mine) and c.n_answers == len(mine)
        want = expected_kappa(mine, SHARE[c.rubric])
        assert c.kappa_lo is not None and c.kappa_hi is not None
        covered += c.kappa_lo < want < c.kappa_hi
        # labels_needed: more answers when the CI is wider than ±0.1, none when it is not
        half = (c.kappa_hi - c.kappa_lo) / 2
        assert c.labels_needed is not None and (c.labels_needed > 0) == (half > 0.1 + 1e-9)
    assert covered >= 0.8 * len(cells), (covered, len(cells))


def test_two_annotators_give_the_human_ceiling(
    labelled: tuple[Config, Report, dict[str, list[dict[str, Any]]]],
) -> None:
    cfg, report, _ = labelled
    rel = report.sections.judge_reliability
    with Store.open_readonly(cfg.db_path) as store:
        ben = dict(store.query("SELECT rubric, count(*) FROM labels WHERE annotator = 'ben' GROUP BY ALL")[1])
    for h in rel.human:
        assert h.n_annotators == 2 and h.n_shared == ben[h.rubric]
        assert h.alpha_humans == pytest.approx(1.0)  # ben copied anna on every shared item
        assert h.alpha is not None and h.alpha < 0.95  # the judge, as a third rater, lowers it
    assert sum(c.n_shared for c in rel.human_cells) == sum(ben.values())
    for c in rel.human_cells:
        if c.alpha_humans is not None:
            assert c.alpha_humans == pytest.approx(1.0) and c.n_shared >= 2


def _ratings(rng: np.random.Generator, n: int, p: float) -> Ratings:
    j = rng.choice(5, n, p=[0.1, 0.15, 0.25, 0.3, 0.2])
    h = np.where(rng.random(n) < p, j, (j + rng.integers(1, 5, n)) % 5)
    return Ratings(np.vstack([j + 1.0, h + 1.0]), np.arange(n), [1.0, 2.0, 3.0, 4.0, 5.0])


def test_labels_needed_narrows_the_ci_to_a_tenth() -> None:
    rng = np.random.default_rng(7)
    first = agreement_ci(_ratings(rng, 60, 0.6), n_boot=2000, seed=1)
    half = (first.kappa.hi - first.kappa.lo) / 2
    more = more_units_for(half, first.kappa.n)
    assert half > 0.12 and more is not None and more > 0
    widths = []
    for s in range(5):  # fresh samples of the grown size from the same process
        grown = agreement_ci(_ratings(rng, 60 + more, 0.6), n_boot=2000, seed=s)
        widths.append((grown.kappa.hi - grown.kappa.lo) / 2)
    assert 0.08 < float(np.mean(widths)) < 0.12, widths


def test_independent_humans_have_no_agreement() -> None:
    rng = np.random.default_rng(3)
    n = 300
    m = np.vstack([rng.integers(1, 6, n), rng.integers(1, 6, n), rng.integers(1, 6, n)]).astype(float)
    a = agreement_ci(Ratings(m, np.arange(n), [1.0, 2.0, 3.0, 4.0, 5.0]), n_boot=1000)
    assert a.alpha_humans is not None and a.alpha_humans.lo < 0 < a.alpha_humans.hi
    assert a.kappa.lo < 0 < a.kappa.hi and a.n_shared == n


def test_table_forms_equal_the_agreement_functions_on_a_resample() -> None:
    """The bootstrap computes κ, ρ and α from summed per-cluster tables; on any one resample that must
    equal the plain functions applied to the resampled ratings themselves."""
    rng = np.random.default_rng(5)
    n, k = 40, 5
    m = rng.integers(1, 6, (3, n)).astype(float)
    m[1] = np.where(rng.random(n) < 0.6, m[0], m[1])
    m[2, rng.random(n) < 0.4] = np.nan
    m[0, rng.random(n) < 0.1] = np.nan
    codes = np.where(np.isnan(m), -1, m - 1).astype(int)
    conf, coinc = np.zeros((n, k * k)), np.zeros((n, k * k))
    for u in range(n):
        j, hs = codes[0, u], codes[1:, u][codes[1:, u] >= 0]
        for h in hs if j >= 0 else []:
            conf[u, j * k + h] += 1
        coinc[u] = _coincidences(codes[:, u][codes[:, u] >= 0], k)
    for _ in range(5):
        idx = rng.integers(0, n, n)
        w = np.bincount(idx, minlength=n).astype(float)
        r = m[:, idx]
        pairs = [(r[0, u], r[a, u]) for u in range(n) for a in (1, 2) if not np.isnan(r[0, u] + r[a, u])]
        x, y = [p[0] for p in pairs], [p[1] for p in pairs]
        cats = [1.0, 2.0, 3.0, 4.0, 5.0]
        assert _kappa_tables((w @ conf)[None], k)[0] == pytest.approx(agreement.weighted_kappa(x, y, categories=cats))
        assert _spearman_tables((w @ conf)[None], k)[0] == pytest.approx(agreement.spearman(x, y))
        assert _alpha_tables((w @ coinc)[None], k)[0] == pytest.approx(agreement.krippendorff_alpha_ordinal(r))
