"""`judge grade --repeats K`: repeated verdicts, keys that resume, means that count each answer once,
and the stability figures the report derives from them."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import judge.store.store as store_module
from judge.config import load_config
from judge.grade import grade
from judge.report import Report, build_report, render
from judge.stats import agreement
from judge.store import Store
from judge.store.migrations import MIGRATIONS
from tests.fakes.server import FakeServer, prompt_key, schema_reply
from tests.fakes.synth import synthetic_db
from tests.grade.test_grade import _answer_reply, _project

RUBRIC = ["rubrics/reasoning_depth.yaml"]
N_ANSWERS = 12  # 3 paired tasks x 2 languages x 2 models


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def _report(cfg: Path) -> Report:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return build_report(s, n_boot=200)


def _means(r: Report) -> dict[tuple[str, str, str], tuple[float | None, int]]:
    return {(x.criterion, x.model, x.lang): (x.mean, x.n) for x in r.sections.overview.criteria}


def _seed_scores(by_seed: dict[int, int]):
    """A judge whose score depends on the seed it is sent (what a temperature > 0 judge may do)."""

    def reply(req: dict):
        return schema_reply(score=by_seed.get(req.get("seed", 0), 4))(req)

    return reply


def test_repeats_store_k_verdicts_keep_repeat_zero_keys_and_resume(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=3, judge_url=jsrv.base_url, rubrics=RUBRIC)
        first = grade(load_config(cfg), checks=False)
        assert (first.planned, first.errors) == (N_ANSWERS, 0)
        assert all("seed" not in r for r in jsrv.requests)  # one grading, no seed configured: as before
        ids_before = set(_q(cfg, "SELECT DISTINCT verdict_id FROM verdicts WHERE judge = 'judge'"))
        jsrv.reset()

        again = grade(load_config(cfg), repeats=3, checks=False)
        # repeat 0 is already stored under its old key: only repeats 1 and 2 are graded
        assert (again.planned, again.ok, again.errors) == (2 * N_ANSWERS, 2 * N_ANSWERS, 0)
        assert sorted(r["seed"] for r in jsrv.requests) == [1] * N_ANSWERS + [2] * N_ANSWERS
        jsrv.reset()

        rerun = grade(load_config(cfg), repeats=3, checks=False)
        assert rerun.planned == 0 and not jsrv.requests  # nothing added, nothing duplicated

    assert ids_before <= set(_q(cfg, "SELECT DISTINCT verdict_id FROM verdicts WHERE judge = 'judge'"))
    per_answer = _q(
        cfg,
        "SELECT generation_id, count(DISTINCT verdict_id), list(DISTINCT repeat ORDER BY repeat)"
        " FROM score_repeats WHERE judge = 'judge' GROUP BY generation_id",
    )
    assert len(per_answer) == N_ANSWERS
    assert all(n == 3 and reps == [0, 1, 2] for _, n, reps in per_answer)
    # no key is held twice, and `scores` keeps one verdict per answer x criterion
    assert _q(cfg, "SELECT count(*) - count(DISTINCT (verdict_id, criterion)) FROM verdicts") == [(0,)]
    assert _q(
        cfg,
        "SELECT count(*), count(DISTINCT (generation_id, criterion)), max(repeat) FROM scores WHERE judge = 'judge'",
    ) == [(len(per_answer) * _n_criteria(cfg), len(per_answer) * _n_criteria(cfg), 0)]


def _n_criteria(cfg: Path) -> int:
    return _q(cfg, "SELECT count(DISTINCT criterion) FROM scores WHERE judge = 'judge'")[0][0]


def test_a_configured_seed_is_offset_per_repeat(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=1, judge_url=jsrv.base_url, rubrics=RUBRIC)
        text = cfg.read_text().replace('model = "judge-model"', 'model = "judge-model"\nparams = {seed = 7}')
        cfg.write_text(text)
        grade(load_config(cfg), repeats=2, checks=False)
        assert sorted(r["seed"] for r in jsrv.requests) == [7] * 4 + [8] * 4


@pytest.mark.parametrize("later", [{}, {1: 2, 2: 1}], ids=["identical-repeats", "repeats-disagree"])
def test_means_count_each_answer_once(tmp_path: Path, later: dict[int, int]) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=_seed_scores({0: 4, **later})) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=3, judge_url=jsrv.base_url, rubrics=RUBRIC)
        grade(load_config(cfg), checks=False)
        once = _means(_report(cfg))
        grade(load_config(cfg), repeats=3, checks=False)
        thrice = _report(cfg)
    assert once and _means(thrice) == once  # same means over the same n: no answer counted three times
    assert {m for m, _ in once.values() if m is not None} == {4.0}  # repeat 0 only, whatever the later repeats said
    assert _q(cfg, "SELECT avg(score), count(score) FROM scores WHERE judge = 'judge'") == _q(
        cfg, "SELECT avg(score), count(score) FROM score_repeats WHERE judge = 'judge' AND repeat = 0"
    )
    assert thrice.sections.caveats.verdicts == once_verdicts(cfg)


def once_verdicts(cfg: Path) -> int:
    """Verdicts (answer x rubric) of the LLM judge, each counted once."""
    return _q(cfg, "SELECT count(DISTINCT (generation_id, rubric)) FROM scores WHERE judge = 'judge'")[0][0]


def test_a_judge_whose_repeats_agree_is_perfectly_stable(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=3, judge_url=jsrv.base_url, rubrics=RUBRIC)
        grade(load_config(cfg), repeats=3, checks=False)
    rows = _report(cfg).sections.judge_reliability.stability
    assert rows and all(r.judge == "judge" and r.rubric == "reasoning_depth" for r in rows)
    for r in rows:
        assert (r.n, r.repeats, r.agree_share, r.mean_sd) == (N_ANSWERS, 3, 1.0, 0.0)
        assert r.alpha is None  # one value throughout: α is undefined, never a made-up 1


def _flips(key: str) -> bool:
    """The planted disagreement: about a third of the prompts get another score on repeat 1."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 3 == 0


def _wavering(req: dict):
    score = 2 if req.get("seed") == 1 and _flips(prompt_key(req["messages"])) else 4
    return schema_reply(score=score)(req)


def test_stability_figures_match_a_planted_disagreement(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=_wavering) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=6, judge_url=jsrv.base_url, rubrics=RUBRIC)
        grade(load_config(cfg), repeats=3, checks=False)
        # expected, from what the judge server itself answered: prompt -> the score of each repeat
        given: dict[str, dict[int, int]] = defaultdict(dict)
        for req in jsrv.requests:
            given[prompt_key(req["messages"])][req["seed"]] = 2 if req["seed"] == 1 and _flips(req["_key"]) else 4
    assert len(given) == 24 and all(len(v) == 3 for v in given.values())
    m = np.array([[v[s] for v in given.values()] for s in range(3)], dtype=float)
    share = float(np.mean(m.min(axis=0) == m.max(axis=0)))
    assert 0 < share < 1  # the plant took effect both ways
    sd = float(np.mean(np.std(m, axis=0, ddof=1)))
    alpha = agreement.krippendorff_alpha_ordinal(m)

    report = _report(cfg)
    rows = report.sections.judge_reliability.stability
    scored = _q(cfg, "SELECT DISTINCT criterion FROM scores WHERE judge = 'judge' AND score IS NOT NULL")
    assert scored and {r.criterion for r in rows} == {c for (c,) in scored}  # a row per scored criterion
    for r in rows:  # every criterion of a verdict got the same score: the same figures for each
        assert r.n == 24 and r.repeats == 3
        assert r.agree_share == pytest.approx(share)
        assert r.mean_sd == pytest.approx(sd)
        assert r.alpha == pytest.approx(alpha)
    md = render(report, "md")
    assert "Stability across repeats" in md and "all repeats agree" in md


def test_pairwise_repeats_join_each_repeats_two_orders(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4, winner="A")) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=2, judge_url=jsrv.base_url, rubrics=RUBRIC, mode="pairwise")
        s = grade(load_config(cfg), repeats=2, checks=False)
        assert s.errors == 0 and s.planned == 4 * 2 * 2  # prompts x orders x repeats
    n_crit = _q(cfg, "SELECT count(DISTINCT criterion) FROM pairwise")[0][0]
    assert _q(cfg, "SELECT count(*), max(repeat) FROM pairwise") == [(4 * n_crit, 0)]
    # always "A": the orders disagree within each repeat, never joined across repeats
    assert _q(cfg, "SELECT count(*), count(DISTINCT repeat), bool_and(NOT consistent) FROM pairwise_repeats") == [
        (2 * 4 * n_crit, 2, True)
    ]


def test_an_existing_database_gains_repeat_zero_and_stays_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    before = [m for m in MIGRATIONS if m[0] != "m008_repeats"]
    monkeypatch.setattr(store_module, "MIGRATIONS", before)
    synthetic_db(path, n_generations=200, seed=3, human_labels=0)
    with Store.open(path) as old:
        n_rows = old.query("SELECT count(*) FROM verdicts")[1][0][0]
        old_scores = old.query("SELECT avg(score), count(*) FROM scores")[1]
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with Store.open(path) as s:
        assert "m008_repeats" in s.applied()
        assert s.query("SELECT count(*), min(repeat), max(repeat), bool_or(reasoning_reasked) FROM verdicts")[1] == [
            (n_rows, 0, 0, False)
        ]
        assert s.query("SELECT avg(score), count(*) FROM scores")[1] == old_scores
        # reasoning tokens were never recorded for these verdicts: unknown, not 0
        assert s.query("SELECT count(reasoning_tokens) FROM verdicts")[1] == [(0,)]
    with Store.open_readonly(path) as s:
        r = build_report(s, n_boot=100)
    assert r.sections.overview.criteria and not r.sections.judge_reliability.stability
