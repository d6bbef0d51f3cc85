"""The judge stage against the in-process fake server: verdict rows, errors, versions, swap, logprobs."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.rubric import load_rubric
from judge.store import Store
from tests.fakes.server import (
    FakeServer,
    FaultPlan,
    Reply,
    find_schema,
    invalid_json_reply,
    json_reply_for_schema,
    schema_reply,
    truncated_json_reply,
)
from tests.helpers import ROOT, make_items, write_config, write_jsonl


def _answer_reply(req: dict) -> Reply:
    """Contestants: 'good' answers right, 'bad' answers wrong (so checks and pairwise have signal)."""
    q = req["messages"][-1]["content"]
    n = int(q.split("+")[0].split()[-1])
    right = req["model"] == "good-model"
    ru = "Сколько" in q
    # a short sentence of prose, so the fluency rubrics have words to grade (min_words)
    lead, word = ("Сложим эти два числа", "Ответ") if ru else ("Let us add the two numbers", "Answer")
    res = 2 * n if right else 2 * n + 1
    return Reply(content=f"{lead}: {n} + {n} = {res}.\n{word}: {res}")


RUBRICS = ("english_fluency", "reasoning_depth", "russian_fluency")


def _project(tmp_path: Path, url: str, n_tasks: int = 10, judge_url: str | None = None, **judge_kw: object) -> Path:
    shutil.copytree(ROOT / "rubrics", tmp_path / "rubrics")
    write_jsonl(tmp_path / "data.jsonl", make_items(n_tasks))
    models = [
        {"name": "good", "base_url": url, "model": "good-model"},
        {"name": "bad", "base_url": url, "model": "bad-model"},
        {"name": "judge", "base_url": judge_url or url, "model": "judge-model", "max_attempts": 3, "concurrency": 4},
    ]
    cfg = write_config(tmp_path / "judge.toml", models, judge={"model": "judge", **judge_kw})
    generate(load_config(cfg), models=["good", "bad"])
    return cfg


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def test_single_grading_writes_scores_with_rubric_versions(tmp_path: Path) -> None:
    """Done-when 1: 40 answers x both bundled rubrics -> scores rows with the rubric version."""
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, judge_url=jsrv.base_url)
        s = grade(load_config(cfg))
        # reasoning_depth applies to all 40 arithmetic answers, each fluency rubric to the 20 of its language
        assert (s.ok, s.errors) == (80, 0)
        assert len(jsrv.requests) == 80  # one call per answer per rubric
        schema_req = jsrv.requests[0]
        assert schema_req["response_format"]["type"] == "json_schema"
    rows = _q(
        cfg,
        "SELECT rubric, count(*), count(DISTINCT generation_id), min(score), max(score), count(DISTINCT rubric_version)"
        " FROM scores WHERE judge = 'judge' GROUP BY rubric ORDER BY rubric",
    )
    crit = {n: len(load_rubric(ROOT / "rubrics" / f"{n}.yaml").criteria) for n in RUBRICS}
    assert rows == [
        ("english_fluency", crit["english_fluency"] * 20, 20, 4.0, 4.0, 1),
        ("reasoning_depth", crit["reasoning_depth"] * 40, 40, 4.0, 4.0, 1),
        ("russian_fluency", crit["russian_fluency"] * 20, 20, 4.0, 4.0, 1),
    ]
    versions = dict(_q(cfg, "SELECT name, version FROM rubrics"))
    assert versions["reasoning_depth"].startswith("r1:")
    assert _q(cfg, "SELECT DISTINCT rubric_version FROM scores WHERE rubric = 'reasoning_depth'") == [
        (versions["reasoning_depth"],)
    ]
    # the deterministic checks were stored as verdicts of their own judges
    acc = dict(_q(cfg, "SELECT model, avg(score) FROM scores WHERE judge = 'check:answer' GROUP BY model"))
    assert acc == {"good": 1.0, "bad": 0.0}
    # each answer is identified in its prompt's language
    lang = _q(
        cfg,
        "SELECT lang, count(*) FILTER (WHERE passed), count(*) FROM scores"
        " WHERE judge = 'check:language' AND criterion = 'language_match' GROUP BY lang ORDER BY lang",
    )
    assert lang == [("en", 20, 20), ("ru", 20, 20)]


@pytest.mark.parametrize("bad_reply", [invalid_json_reply, truncated_json_reply])
def test_invalid_judge_output_is_an_error_row_never_a_score(tmp_path: Path, bad_reply) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=bad_reply) as jsrv:
        cfg = _project(
            tmp_path, gen.base_url, n_tasks=2, judge_url=jsrv.base_url, rubrics=["rubrics/reasoning_depth.yaml"]
        )
        s = grade(load_config(cfg))
        assert (s.ok, s.errors) == (0, 8)
        assert len(jsrv.requests) == 8 * 3  # max_attempts re-asks, then give up
    rows = _q(cfg, "SELECT count(*), count(score), count(error), min(attempts) FROM scores WHERE judge = 'judge'")
    n = 8 * len(load_rubric(ROOT / "rubrics" / "reasoning_depth.yaml").criteria)
    assert rows == [(n, 0, n, 3)]
    err = _q(cfg, "SELECT DISTINCT error FROM scores WHERE judge = 'judge'")[0][0]
    assert ("truncated" in err) if bad_reply is truncated_json_reply else ("invalid verdict JSON" in err)
    raw = _q(cfg, "SELECT raw FROM verdicts WHERE judge = 'judge' LIMIT 1")[0][0]
    assert raw  # the judge's last output is kept for inspection


def test_transport_faults_are_retried_and_error_rows_regraded(tmp_path: Path) -> None:
    with (
        FakeServer(reply=_answer_reply) as gen,
        FakeServer(reply=schema_reply(score=3), faults=FaultPlan.mixed(0.3, retry_after=0), seed=3) as jsrv,
    ):
        cfg = _project(
            tmp_path, gen.base_url, n_tasks=4, judge_url=jsrv.base_url, rubrics=["rubrics/reasoning_depth.yaml"]
        )
        s = grade(load_config(cfg))
        assert s.ok + s.errors == 16 and s.ok >= 12
        jsrv.faults.rates.clear()
        jsrv.faults.__post_init__()
        s2 = grade(load_config(cfg), retry_errors=True)
        assert s2.planned == s.errors and s2.errors == 0
    n = 16 * len(load_rubric(ROOT / "rubrics" / "reasoning_depth.yaml").criteria)
    # every row scored, or not applicable (trap_awareness: these items name no trap); none failed
    assert _q(
        cfg,
        "SELECT count(*), count(score) + count(*) FILTER (WHERE not_applicable), count(DISTINCT verdict_id)"
        " FROM scores WHERE judge='judge'",
    ) == [(n, n, 16)]


def test_editing_one_anchor_regrades_that_rubric_only(tmp_path: Path) -> None:
    """Done-when 2."""
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=3, judge_url=jsrv.base_url)
        assert grade(load_config(cfg)).ok == 12 + 6 + 6  # 12 answers; each fluency rubric grades its 6
        assert grade(load_config(cfg)).planned == 0  # exactly once
        path = tmp_path / "rubrics" / "russian_fluency.yaml"
        text = path.read_text(encoding="utf-8")
        new = text.replace("Грамматических ошибок нет", "Грамматических ошибок совсем нет", 1)
        assert new != text
        path.write_text(new, encoding="utf-8")
        before = len(jsrv.requests)
        s = grade(load_config(cfg))
        assert s.planned == 6  # the 6 Russian answers, russian_fluency only
        graded = {
            json.dumps(r["response_format"]["json_schema"]["schema"], sort_keys=True) for r in jsrv.requests[before:]
        }
        assert len(graded) == 1 and "grammar" in next(iter(graded))
    rows = _q(
        cfg,
        "SELECT rubric, count(DISTINCT rubric_version), count(DISTINCT rubric_version) FILTER (WHERE rubric_current)"
        " FROM scores WHERE judge = 'judge' GROUP BY rubric ORDER BY rubric",
    )
    assert rows == [("english_fluency", 1, 1), ("reasoning_depth", 1, 1), ("russian_fluency", 2, 1)]
    assert _q(cfg, "SELECT count(*) FROM rubrics WHERE name = 'russian_fluency'") == [(2,)]


def test_pairwise_swap_consistency_recovers_planted_position_bias(tmp_path: Path) -> None:
    """The judge prefers the better answer but picks position A with probability 0.3 regardless."""
    bias = 0.3

    def judge_reply(req: dict) -> Reply:
        found = find_schema(req)
        assert found is not None
        user = req["messages"][-1]["content"]
        a_block = user.split("<answer_a>")[1].split("</answer_a>")[0]
        b_block = user.split("<answer_b>")[1].split("</answer_b>")[0]
        n = int(a_block.split("+")[0].split()[-1])
        good_pos = "A" if f"= {2 * n}." in a_block else "B"
        assert (good_pos == "A") != (f"= {2 * n}." in b_block)
        rng = random.Random(hashlib.sha256(user.encode()).hexdigest())
        winners = {}
        for prop in found[0]["properties"]:
            winners[prop] = "A" if rng.random() < bias else good_pos
        obj = json_reply_for_schema(schema=found[0])
        for k, v in winners.items():
            obj[k]["winner"] = v
        return Reply(content=json.dumps(obj))

    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=judge_reply) as jsrv:
        cfg = _project(
            tmp_path, gen.base_url, n_tasks=30, judge_url=jsrv.base_url, rubrics=["rubrics/reasoning_depth.yaml"]
        )
        s = grade(load_config(cfg), mode="pairwise")
        assert (s.ok, s.errors) == (120, 0)  # 60 prompts x 1 pair x 2 orders
    n, consistent, good_wins = _q(
        cfg, "SELECT count(*), avg(consistent::INT), avg((winner = 'good')::INT) FROM pairwise"
    )[0]
    assert n == 60 * len(load_rubric(ROOT / "rubrics" / "reasoning_depth.yaml").criteria)
    assert abs(consistent - (1 - bias)) < 0.07, consistent
    assert abs(good_wins - (1 - bias)) < 0.07  # inconsistent pairs count as ties
    first = _q(cfg, "SELECT avg((winner = 'A')::INT) FROM comparisons")[0][0]
    assert abs(first - (0.5 + bias / 2)) < 0.07


def test_expected_score_from_logprobs_and_self_judging(tmp_path: Path) -> None:
    probs = {"3": 0.2, "4": 0.5, "5": 0.3}
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4, probs=probs)) as jsrv:
        cfg = _project(
            tmp_path, gen.base_url, n_tasks=1, judge_url=jsrv.base_url, rubrics=["rubrics/reasoning_depth.yaml"]
        )
        grade(load_config(cfg))
        assert jsrv.requests[0]["logprobs"] is True and jsrv.requests[0]["top_logprobs"] >= 5
    rows = _q(
        cfg,
        "SELECT DISTINCT round(expected_score, 6), round(logprob_coverage, 6), self_judged FROM scores"
        " WHERE judge='judge' AND status = 'scored'",
    )
    assert rows == [(4.1, 1.0, False)]
    # judge 'good' with itself: the verdicts on its own answers are marked self_judged
    text = (tmp_path / "judge.toml").read_text().replace('model = "judge"', 'model = "good"')
    (tmp_path / "judge.toml").write_text(text)
    with FakeServer(reply=schema_reply(score=5)) as jsrv2:
        t = (tmp_path / "judge.toml").read_text()
        import re as _re

        t = _re.sub(r'base_url = "[^"]+"', f'base_url = "{jsrv2.base_url}"', t)
        (tmp_path / "judge.toml").write_text(t)
        grade(load_config(cfg))
    rows = dict(_q(cfg, "SELECT model, bool_and(self_judged) FROM scores WHERE judge='good' GROUP BY model"))
    assert rows == {"good": True, "bad": False}


def test_bad_rubric_stops_before_the_database_is_touched(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen:
        cfg = _project(tmp_path, gen.base_url, n_tasks=1)
    path = tmp_path / "rubrics" / "reasoning_depth.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("scale: {min: 1, max: 5}", "scale: {min: 5, max: 1}"), encoding="utf-8"
    )
    db = tmp_path / "judge.duckdb"
    before = db.read_bytes()
    from judge.errors import RubricError

    with pytest.raises(RubricError) as e:
        grade(load_config(cfg))
    assert "reasoning_depth.yaml:" in e.value.problems[0] and "scale" in e.value.problems[0]
    assert db.read_bytes() == before
