"""Generate and grade through 20 % mixed faults: every item completes, nothing doubled, nothing invented.

The fake contestant answers deterministically, and the fake judge's scores and winners are a hash of
the answer text it was shown and the criterion, so every stored score can be recomputed from the
database: a score that no successful judge reply contained would show up as a mismatch.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.model import retry
from judge.rubric import load_rubric
from judge.store import Store
from tests.fakes.server import (
    FakeServer,
    FaultPlan,
    Reply,
    find_schema,
    json_reply_for_schema,
)
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Timing-sensitive (deadlines, trickling servers): runs alone in `make test` (Makefile).
pytestmark = pytest.mark.serial

N_TASKS = 10  # 20 items (10 ru, 10 en)
GEN_KINDS = ("500", "429", "timeout", "drop", "slow")
JUDGE_KINDS = (*GEN_KINDS, "invalid_json", "truncated_json")
RUBRICS = {
    r.name: r for r in (load_rubric(ROOT / "rubrics" / f) for f in ("reasoning_depth.yaml", "russian_fluency.yaml"))
}


def _h(*parts: str) -> int:
    return int(hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8], 16)


def expected_score(answer: str, criterion: str, lo: int, hi: int) -> int:
    return lo + _h(answer, criterion) % (hi - lo + 1)


def expected_winner(answer_a: str, answer_b: str, criterion: str) -> str:
    return ("A", "B", "tie")[_h(answer_a, answer_b, criterion) % 3]


def _block(text: str, tag: str) -> str:
    return text.split(f"<{tag}>\n", 1)[1].split(f"\n</{tag}>", 1)[0]


def contestant(req: dict) -> Reply:
    q = req["messages"][-1]["content"]
    return Reply(content=f"{req['model']} says: {hashlib.sha1(q.encode()).hexdigest()[:10]}. Answer: 4")


_RNG = random.Random(5)
WRONG = Counter()


def judge(req: dict) -> Reply:
    """The right verdict, or (10 %) well-formed JSON that breaks the schema and must be re-asked."""
    schema = find_schema(req)
    assert schema is not None, "the judge must always ask for a schema"
    user = req["messages"][1]["content"]  # the original item (re-asks append after it)
    obj = json_reply_for_schema(schema=schema[0])
    for crit, val in obj.items():
        if "<answer_a>" in user:
            val["winner"] = expected_winner(_block(user, "answer_a"), _block(user, "answer_b"), crit)
        else:
            rubric = next(r for r in RUBRICS.values() if crit in {c.id for c in r.criteria})
            val["score"] = expected_score(_block(user, "answer"), crit, rubric.scale.min, rubric.scale.max)
        val["rationale"] = f"because {crit}"
    if _RNG.random() < 0.1:
        crit = next(iter(obj))
        how = _RNG.choice(["out_of_scale", "string", "float", "missing", "null"])
        WRONG[how] += 1
        field = "winner" if "winner" in obj[crit] else "score"
        if how == "missing":
            del obj[crit]
        elif how == "null":
            obj[crit][field] = None
        elif field == "winner":
            obj[crit][field] = {"out_of_scale": "C", "string": "a", "float": 1.0}[how]
        else:
            obj[crit][field] = {"out_of_scale": 9, "string": str(obj[crit][field]), "float": obj[crit][field] + 0.5}[
                how
            ]
    return Reply(content=json.dumps(obj, ensure_ascii=False))


def _plan(kinds: tuple[str, ...]) -> FaultPlan:
    # The client gives up on a request after 0.5 s; a "timeout" fault answers nothing for 1.5 s.
    return FaultPlan.mixed(0.2, kinds=kinds, retry_after=0, timeout_sleep_s=1.5, slow_s=0.15)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("faults")
    with pytest.MonkeyPatch.context() as mp:
        # module-scoped, so the autouse per-test isolation is not in place yet: do it here, with a
        # little real (jittered) backoff instead of none
        mp.setenv("JUDGE_HOME", str(tmp / "judge-home"))
        mp.setattr(retry, "BACKOFF", retry.Backoff(initial=0.01, maximum=0.05, retry_after_cap=0.05))
        return _run(tmp)


def _run(tmp: Path) -> dict:
    shutil.copytree(ROOT / "rubrics", tmp / "rubrics")
    write_jsonl(tmp / "data.jsonl", make_items(N_TASKS))
    with (
        FakeServer(reply=contestant, faults=_plan(GEN_KINDS), seed=11) as gsrv,
        FakeServer(reply=judge, faults=_plan(JUDGE_KINDS), seed=12) as jsrv,
    ):
        common = {"timeout": 0.5, "max_attempts": 12, "concurrency": 6}
        models = [
            {"name": "m0", "base_url": gsrv.base_url, "model": "model-zero", **common},
            {"name": "m1", "base_url": gsrv.base_url, "model": "model-one", "params": {"temperature": 0.5}, **common},
            {"name": "judge", "base_url": jsrv.base_url, "model": "judge-model", **common},
        ]
        cfg_path = write_config(
            tmp / "judge.toml",
            models,
            judge={
                "model": "judge",
                "mode": "both",
                "rubrics": ["rubrics/reasoning_depth.yaml", "rubrics/russian_fluency.yaml"],
            },
        )
        gen = generate(load_config(cfg_path), models=["m0", "m1"])
        gen2 = generate(load_config(cfg_path), models=["m0", "m1"])
        gen_sent = sum(gsrv.counts.values())
        gr = grade(load_config(cfg_path))
        judge_sent = sum(jsrv.counts.values())
        gr2 = grade(load_config(cfg_path))
        return {
            "cfg": cfg_path,
            "gen": gen,
            "gen2": gen2,
            "grade": gr,
            "grade2": gr2,
            "gen_counts": dict(gsrv.counts),
            "judge_counts": dict(jsrv.counts),
            "gen_extra": sum(gsrv.counts.values()) - gen_sent,
            "judge_extra": sum(jsrv.counts.values()) - judge_sent,
            "reply_errors": gsrv.errors + jsrv.errors,
            "wrong": dict(WRONG),
        }


def _q(run: dict, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(run["cfg"]).db_path) as s:
        return s.query(sql)[1]


def test_faults_really_happened(run: dict) -> None:
    assert not run["reply_errors"]
    g, j = run["gen_counts"], run["judge_counts"]
    assert sum(g[k] for k in GEN_KINDS if k in g) >= 0.1 * sum(g.values()), g
    assert sum(j.get(k, 0) for k in JUDGE_KINDS) >= 0.1 * sum(j.values()), j
    assert sum(k in g for k in GEN_KINDS) >= 4 and sum(k in j for k in JUDGE_KINDS) >= 6, (g, j)
    assert sum(run["wrong"].values()) >= 5, run["wrong"]  # schema-breaking verdicts were sent too


def test_generate_completes_every_item_exactly_once(run: dict) -> None:
    s = run["gen"]
    assert (s.ok, s.errors) == (4 * N_TASKS, 0)
    assert (run["gen2"].planned, run["gen_extra"]) == (0, 0)  # a finished job sends nothing
    rows = _q(
        run,
        "SELECT count(*), count(DISTINCT gen_id), count(DISTINCT (variant, prompt_key, sample)),"
        " count(*) FILTER (WHERE status = 'ok' AND error IS NULL AND answer IS NOT NULL) FROM generations",
    )
    assert rows == [(4 * N_TASKS,) * 4]
    assert _q(run, "SELECT max(attempts) FROM generations")[0][0] > 1  # retried items say so
    # every stored answer is the one the contestant gives for that prompt, never a fault's leftovers
    for model, prompt, answer in _q(
        run,
        "SELECT m.model_id, p.prompt, g.answer FROM generations g"
        " JOIN models m USING (variant) JOIN prompts p USING (prompt_key)",
    ):
        assert answer == f"{model} says: {hashlib.sha1(prompt.encode()).hexdigest()[:10]}. Answer: 4"


def test_grade_completes_the_plan_with_no_invented_score(run: dict) -> None:
    n_items, n_ru = 4 * N_TASKS, 2 * N_TASKS
    # single: reasoning_depth on every answer, russian_fluency on the Russian ones;
    # pairwise: one pair of models per prompt, per applicable rubric, in both orders
    plan_single = n_items + n_ru
    plan_pairs = 2 * (2 * N_TASKS + N_TASKS)
    s = run["grade"]
    assert (s.planned, s.ok, s.errors) == (plan_single + plan_pairs, plan_single + plan_pairs, 0)
    assert (run["grade2"].planned, run["judge_extra"]) == (0, 0)
    per_rubric = {r: len(RUBRICS[r].criteria) for r in RUBRICS}
    rows = _q(
        run,
        "SELECT rubric, count(DISTINCT verdict_id), count(*), count(DISTINCT (generation_id, criterion))"
        " FROM verdicts WHERE judge = 'judge' GROUP BY rubric ORDER BY rubric",
    )
    assert rows == [
        ("reasoning_depth", n_items, n_items * per_rubric["reasoning_depth"], n_items * per_rubric["reasoning_depth"]),
        ("russian_fluency", n_ru, n_ru * per_rubric["russian_fluency"], n_ru * per_rubric["russian_fluency"]),
    ]
    # no partial verdicts: every verdict has exactly its rubric's criteria
    partial = _q(run, "SELECT verdict_id, rubric, count(*) FROM verdicts WHERE judge = 'judge' GROUP BY ALL")
    assert all(n == per_rubric[r] for _, r, n in partial)
    # each row: a valid score and no error, an error and a NULL score, or not applicable (no score,
    # no error, a reason)
    bad = _q(
        run,
        "SELECT v.verdict_id, v.criterion, v.score, v.error FROM verdicts v JOIN rubrics r"
        " ON r.name = v.rubric AND r.version = v.rubric_version WHERE v.judge = 'judge' AND NOT ("
        " (v.score IS NOT NULL AND v.error IS NULL AND NOT v.not_applicable"
        "  AND v.score BETWEEN r.scale_min AND r.scale_max AND v.score = round(v.score))"
        " OR (v.score IS NULL AND v.error IS NOT NULL AND NOT v.not_applicable)"
        " OR (v.score IS NULL AND v.error IS NULL AND v.not_applicable AND v.rationale <> ''))",
    )
    assert bad == []
    scored = _q(
        run,
        "SELECT g.answer, v.criterion, v.rubric, v.score, v.expected_score, v.attempts, v.not_applicable"
        " FROM verdicts v JOIN generations g ON g.gen_id = v.generation_id WHERE v.judge = 'judge'",
    )
    for answer, crit, rubric, score, exp, _, na in scored:
        r = RUBRICS[rubric]
        if na:  # ruled out by the criterion's own rule (these items name no trap), never by a fault
            assert score is None and r.criterion(crit).applies_if is not None, (rubric, crit)
            continue
        assert score == expected_score(answer, crit, r.scale.min, r.scale.max), (rubric, crit, answer)
        assert exp is None or exp == pytest.approx(score)
    assert max(row[5] for row in scored) > 1  # re-asked or retried verdicts were recorded as such
    pairs = _q(
        run,
        "SELECT ga.answer, gb.answer, c.criterion, c.winner, c.error, c.not_applicable, c.rubric FROM comparisons c"
        " JOIN generations ga ON ga.gen_id = c.position_a JOIN generations gb ON gb.gen_id = c.position_b",
    )
    assert len(pairs) == sum(
        per_rubric[r] * n for r, n in (("reasoning_depth", 2 * 2 * N_TASKS), ("russian_fluency", 2 * N_TASKS))
    )
    for a, b, crit, winner, error, na, rubric in pairs:
        if na:
            assert winner is None and error is None and RUBRICS[rubric].criterion(crit).applies_if is not None
            continue
        assert error is None and winner == expected_winner(a, b, crit)
    rows = _q(
        run,
        "SELECT count(DISTINCT comparison_id), count(DISTINCT pair_id), count(*) FILTER (WHERE consistent IS NULL AND NOT pairwise.not_applicable)"
        " FROM comparisons JOIN pairwise USING (pair_id)",
    )
    assert rows[0][:2] == (plan_pairs, plan_pairs // 2) and rows[0][2] == 0
    # the deterministic checks: one verdict per answer per check, however many times grade ran
    assert _q(
        run,
        "SELECT judge, count(DISTINCT verdict_id), count(DISTINCT generation_id) FROM verdicts"
        " WHERE judge LIKE 'check:%' GROUP BY judge ORDER BY judge",
    ) == [("check:answer", n_items, n_items), ("check:language", n_items, n_items)]
