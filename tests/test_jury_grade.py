"""A jury of three scripted judges, end to end: grade, the `consensus` view, and the report's jury section.

The three contestants are the three judges (as when gpt-oss-120b and Qwen3 grade each other). Each
answer carries a planted quality per criterion (2 or 3); every judge reports it plus its own noise
(-1, 0 or +1; never clipped by the 1-5 scale), and judge `a` adds a planted +1 to its own model's
answers. Every expectation below is computed from those planted scores, not read from the code
under test.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judge.config import load_config
from judge.config_jury import override
from judge.errors import ConfigError
from judge.generate import generate
from judge.grade import grade
from judge.report import Report, build_report, render
from judge.store import Store
from tests.fakes.server import FakeServer, Reply, find_schema, json_reply_for_schema
from tests.helpers import ROOT, make_items, write_config, write_jsonl
from tests.test_jury_stats import plain_alpha

JUDGES = ("a", "b", "c")
BIASED = "a"
TAG = re.compile(r"\[q=(\S+) by (\w+)\]")


def _h(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:12], 16)


def planted(judge: str, prompt: str, model: str, criterion: str) -> int:
    """The score `judge` gives `model`'s answer to `prompt` on `criterion`."""
    base = 2 + _h("base", prompt, model, criterion) % 2
    noise = (-1, 0, 0, 0, 1)[_h("noise", judge, prompt, model, criterion) % 5]
    return base + noise + (1 if judge == BIASED and model == BIASED else 0)


def majority(scores: list[float]) -> float:
    """The README's rule: the most frequent; ties to the nearest the median, or the median if two are as near."""
    counts = {s: scores.count(s) for s in scores}
    top = [s for s, n in counts.items() if n == max(counts.values())]
    med = statistics.median(scores)
    dist = min(abs(s - med) for s in top)
    near = [s for s in top if abs(s - med) == dist]
    return near[0] if len(near) == 1 else med


def reply(req: dict) -> Reply:
    judge = req["model"].removeprefix("model-")
    found = find_schema(req)
    q = req["messages"][-1]["content"]
    if found is None:  # a contestant answers, tagging the answer with its prompt and its name
        n = int(q.split("+")[0].split()[-1])
        pid = f"t{n:03d}-{'ru' if 'Сколько' in q else 'en'}"
        return Reply(content=f"Let us add the two numbers: {n} + {n} = {2 * n}. [q={pid} by {judge}]\nAnswer: {2 * n}")
    prompt, model = TAG.findall(q)[-1]
    obj = json_reply_for_schema(schema=found[0])
    for criterion in found[0]["properties"]:
        obj[criterion]["score"] = planted(judge, prompt, model, criterion)
    return Reply(content=json.dumps(obj))


def _config(tmp: Path, url: str, judge: dict[str, Any]) -> Path:
    models = [{"name": j, "base_url": url, "model": f"model-{j}", "concurrency": 8} for j in JUDGES]
    return write_config(tmp / "judge.toml", models, judge={"rubrics": ["rubrics/reasoning_depth.yaml"], **judge})


@pytest.fixture(scope="module")
def jury(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("jury")
    shutil.copytree(ROOT / "rubrics", tmp / "rubrics")
    write_jsonl(tmp / "data.jsonl", make_items(15))
    with FakeServer(reply=reply) as srv:
        path = _config(tmp, srv.base_url, {"models": list(JUDGES)})
        generate(load_config(path))
        seen: set[str] = set()
        summary = grade(load_config(path), on_done=lambda what, ok: seen.add(what))
        yield {"path": path, "srv": srv, "summary": summary, "progress": seen, "tmp": tmp}


def _q(path: Path, sql: str) -> list[dict[str, Any]]:
    with Store.open_readonly(load_config(path).db_path) as s:
        return s.records(sql)


@pytest.fixture(scope="module")
def report(jury: dict[str, Any]) -> Report:
    with Store.open_readonly(load_config(jury["path"]).db_path) as s:
        return build_report(s, n_boot=1000)


# -- grading --------------------------------------------------------------------------------------


def test_every_judge_grades_everything_and_progress_names_it(jury: dict[str, Any]) -> None:
    s = jury["summary"]
    assert (s.ok, s.errors) == (3 * 90, 0)  # 30 prompts x 3 contestants, each graded by each judge
    assert set(s.by_model) == set(JUDGES) and {c["ok"] for c in s.by_model.values()} == {90}
    assert jury["progress"] == set(JUDGES)
    rows = _q(
        jury["path"],
        "SELECT count(DISTINCT judge) AS n FROM scores WHERE judge IN ('a', 'b', 'c') GROUP BY generation_id",
    )
    assert {r["n"] for r in rows} == {3} and len(rows) == 90  # the judges' verdicts coexist on every answer
    own = _q(jury["path"], "SELECT DISTINCT judge, model FROM scores WHERE self_judged ORDER BY ALL")
    assert [(r["judge"], r["model"]) for r in own] == [(j, j) for j in JUDGES]


def test_judges_resume_independently_and_old_configs_grade_as_before(jury: dict[str, Any]) -> None:
    path, srv = jury["path"], jury["srv"]
    assert grade(load_config(path)).planned == 0  # nothing graded twice
    with Store.open(load_config(path).db_path) as s:
        s.con.execute("DELETE FROM verdicts WHERE judge = 'b'")
    before = len(srv.requests)
    again = grade(load_config(path))
    assert (again.planned, again.ok, set(again.by_model)) == (90, 90, {"b"})
    assert {r["model"] for r in srv.requests[before:]} == {"model-b"}  # only b was asked
    # `[judge] model = "c"` grades as before: the one judge's verdicts are the ones its jury run stored
    single = _config(jury["tmp"], srv.base_url, {"model": "c"})
    cfg = load_config(single)
    assert [m.name for m in cfg.judge_models()] == ["c"]
    assert grade(cfg).planned == 0


# -- the consensus view ---------------------------------------------------------------------------


def _planted_cells(path: Path) -> dict[tuple[str, str, str], dict[str, int]]:
    """(prompt, model, criterion) -> judge -> planted score, for every criterion row the judges scored."""
    cells: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for r in _q(
        path,
        "SELECT prompt_id, model, criterion, judge FROM scores WHERE judge IN ('a', 'b', 'c') AND score IS NOT NULL",
    ):
        key = (r["prompt_id"], r["model"], r["criterion"])
        cells[key][r["judge"]] = planted(r["judge"], *key)
    return cells


def test_the_consensus_view_holds_the_planted_consensus(jury: dict[str, Any]) -> None:
    path = jury["path"]
    cells = _planted_cells(path)
    view = {
        (r["prompt_id"], r["model"], r["criterion"]): r for r in _q(path, "SELECT * FROM consensus WHERE n_judges > 0")
    }
    assert set(view) == set(cells) and len(cells) > 250
    for key, by in cells.items():
        scores = [by[j] for j in JUDGES]
        r = view[key]
        assert (r["n_judges"], r["judges"], r["min"], r["max"]) == (3, list(JUDGES), min(scores), max(scores))
        assert r["mean"] == pytest.approx(sum(scores) / 3)
        assert (r["median"], r["majority"]) == (statistics.median(scores), majority(scores))
    # n/a rows are counted, never scored (trap_awareness: these tasks name no trap)
    na = _q(path, "SELECT DISTINCT criterion, n_judges, n_na, n_error FROM consensus WHERE n_judges = 0")
    assert na and all((r["n_na"], r["n_error"]) == (3, 0) for r in na)


def expected_gap(summary: Any) -> float:
    """E[consensus - biased judge] on the biased judge's own answers, over the planted noise: the base cancels,
    the biased judge scores 1 + e_a, the others e_b and e_c, each noise -1, 0, +1 with chances 1/5, 3/5, 1/5."""
    chance = {-1: 0.2, 0: 0.6, 1: 0.2}
    return sum(
        chance[ea] * chance[eb] * chance[ec] * (summary([1 + ea, eb, ec]) - (1 + ea))
        for ea, eb, ec in itertools.product(chance, repeat=3)
    )


def test_the_consensus_departs_from_the_biased_judge_as_planted(jury: dict[str, Any]) -> None:
    cells = _planted_cells(jury["path"])
    view = {(r["prompt_id"], r["model"], r["criterion"]): r for r in _q(jury["path"], "SELECT * FROM consensus")}
    for method, summary in (("mean", statistics.mean), ("median", statistics.median)):
        own = [view[k][method] - by[BIASED] for k, by in cells.items() if k[1] == BIASED]
        other = [view[k][method] - by[BIASED] for k, by in cells.items() if k[1] != BIASED]
        # the same, from the planted scores alone
        want = [summary([by[j] for j in JUDGES]) - by[BIASED] for k, by in cells.items() if k[1] == BIASED]
        assert np.mean(own) == pytest.approx(np.mean(want))
        # the mean takes a third of the +1 into the consensus (-2/3), the median less of it (-0.744)
        assert np.mean(own) == pytest.approx(expected_gap(summary), abs=0.12), method
        assert abs(np.mean(other)) < 0.1  # elsewhere the biased judge is as fair as the others


# -- the report -----------------------------------------------------------------------------------


def test_self_preference_recovers_the_planted_inflation(report: Report) -> None:
    rows = {r.judge: r for r in report.sections.jury.self_preference}
    assert set(rows) == set(JUDGES)
    a = rows[BIASED]
    assert a.own_models == [BIASED] and a.n_answers == 30
    assert a.lo is not None and a.hi is not None and a.lo <= 1.0 <= a.hi and a.lo > 0
    for judge in set(JUDGES) - {BIASED}:
        r = rows[judge]
        assert r.own_models == [judge] and r.lo is not None and r.hi is not None and r.lo <= 0 <= r.hi, judge
    # the raw self-judging row is still there, beside it
    assert {r.judge for r in report.sections.judge_reliability.self_judged} >= set(JUDGES)


def test_agreement_is_alpha_over_the_judges_per_criterion_and_language(jury: dict[str, Any], report: Report) -> None:
    by: dict[tuple[str, str], dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in _q(
        jury["path"],
        "SELECT criterion, lang, generation_id, judge, score FROM scores WHERE judge IN ('a', 'b', 'c') AND score IS NOT NULL",
    ):
        by[(r["criterion"], r["lang"])][r["generation_id"]][r["judge"]] = r["score"]
    rows = {(r.criterion, r.lang): r for r in report.sections.jury.agreement}
    assert set(rows) == set(by)
    for key, units in by.items():
        m = np.array([[u.get(j, np.nan) for u in units.values()] for j in JUDGES], dtype=float)
        r = rows[key]
        assert r.judges == list(JUDGES) and r.n == len(units)
        assert r.alpha == pytest.approx(plain_alpha(m), abs=1e-9), key
        assert r.lo is not None and r.hi is not None and r.lo <= r.alpha <= r.hi


def test_cross_judging_matrix(report: Report) -> None:
    rows = {(r.judge, r.model): r for r in report.sections.jury.cross}
    assert {j for j, _ in rows} == {*JUDGES, "consensus(mean)"}
    assert all(rows[(j, m)].own == (j == m) for j in JUDGES for m in JUDGES)
    assert all(r.n == 30 for r in rows.values())
    # the biased judge rates its own model about a point above how the others rate it
    mine, theirs = rows[(BIASED, BIASED)].mean, rows[("b", BIASED)].mean
    assert mine is not None and theirs is not None and 0.7 < mine - theirs < 1.3


def test_the_headline_is_the_consensus_and_says_so(report: Report) -> None:
    a = report.sections.answers
    assert a.consensus is not None and a.consensus.startswith("Scores are the consensus (mean) of 3 judges: a, b, c")
    leaders = [x for x in a.questions if x.question in ("russian", "english") and x.rubric]
    assert leaders and all(x.judges == list(JUDGES) for x in leaders)
    deltas = {r.judge for r in report.sections.model_deltas.rows}
    assert deltas == {*JUDGES, "consensus(mean)"}  # the consensus beside each judge's own
    md = render(report, "md")
    assert a.consensus in md and "## 10. Jury" in md and "Self-preference" in md
    for fmt in ("terminal", "html"):
        assert "Scores are the consensus (mean) of 3 judges" in (render(report, fmt) or "")


def test_one_judge_changes_nothing(jury: dict[str, Any]) -> None:
    with Store.open_readonly(load_config(jury["path"]).db_path) as s:
        r = build_report(s, judge="b", n_boot=200)
    assert r.sections.answers.consensus is None and r.sections.jury.skipped
    assert {x.judge for x in r.sections.model_deltas.rows} == {"b"}


def test_majority_and_median_consensus_in_the_report(jury: dict[str, Any]) -> None:
    with Store.open_readonly(load_config(jury["path"]).db_path) as s:
        r = build_report(s, n_boot=200, consensus="majority")
    assert r.sections.jury.method == "majority" and r.sections.jury.judge == "consensus(majority)"
    assert (r.sections.answers.consensus or "").startswith("Scores are the consensus (majority) of 3 judges")


# -- configuration --------------------------------------------------------------------------------


def test_model_and_models_together_is_an_error_naming_the_field(tmp_path: Path) -> None:
    p = _config(tmp_path, "http://127.0.0.1:9/v1", {"model": "a", "models": ["a", "b"]})
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert re.match(rf"{re.escape(str(p))}:\d+: judge\.models: give either `model` .* not both", e.value.problems[0])


def test_jury_configs_and_the_judge_override(tmp_path: Path) -> None:
    p = _config(tmp_path, "http://127.0.0.1:9/v1", {"models": ["a", "b", "c"], "consensus": "median"})
    cfg = load_config(p)
    assert [m.name for m in cfg.judge_models()] == ["a", "b", "c"] and cfg.judge and cfg.judge.consensus == "median"
    override(cfg, ["c"])
    assert [m.name for m in cfg.judge_models()] == ["c"] and cfg.judge_model().name == "c"
    override(cfg, ["b", "a"])
    assert [m.name for m in cfg.judge_models()] == ["b", "a"]
    with pytest.raises(ConfigError, match="--judge: 'zz' is not"):
        override(cfg, ["zz"])
    # two entries that would share verdict keys, and unknown names, are refused with their field
    same = _config(
        tmp_path,
        "http://127.0.0.1:9/v1",
        {"models": ["a", {"name": "a2", "base_url": "http://x/v1", "model": "model-a"}, "zz"]},
    )
    with pytest.raises(ConfigError) as e:
        load_config(same)
    assert sorted(p.split(": ")[1] for p in e.value.problems) == ["judge.models[1]", "judge.models[2]"]
    assert load_config(_config(tmp_path, "http://127.0.0.1:9/v1", {"model": "b"})).judge_model().name == "b"
