"""Thinking judges that spend their whole budget on reasoning: detected, re-asked once with a larger
budget or a lower effort, else stored as an error (never a score), counted in the report, and
their reasoning tokens stored per verdict."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from judge.config import load_config
from judge.errors import ConfigError
from judge.grade import grade
from judge.model import BUDGET_SPENT
from judge.report import build_report, render
from judge.store import Store
from tests.fakes.server import FakeServer, ReasoningShape, Reply, prompt_key, schema_reply
from tests.grade.test_grade import _answer_reply, _project

RUBRIC = ["rubrics/reasoning_depth.yaml"]
THOUGHT_TOKENS = 30
"""Reasoning tokens a normal reply reports."""


def _kind(key: str) -> str:
    """The plant: a quarter of the prompts recover when re-asked, a quarter never do."""
    h = int(hashlib.sha1(key.encode()).hexdigest(), 16) % 4
    return {0: "recover", 1: "hopeless"}.get(h, "ok")


def _spent(req: dict, shape: ReasoningShape = "reasoning_content") -> Reply:
    """finish_reason length, no content, the whole budget spent on reasoning text."""
    budget = req["max_tokens"]
    return Reply(
        content="",
        reasoning="Let me weigh every step of this answer once more. " * 40,
        reasoning_shape=shape,
        finish_reason="length",
        completion_tokens=budget,
        reasoning_tokens=budget,
    )


def thinking_judge(shape: ReasoningShape = "reasoning_content"):
    """A judge that spends its budget on reasoning on the planted prompts: on the first request of a
    "recover" prompt, on every request of a "hopeless" one."""
    seen: Counter[str] = Counter()
    normal = schema_reply(score=4, reasoning="Short check.", reasoning_tokens=THOUGHT_TOKENS)

    def reply(req: dict) -> Reply:
        key = prompt_key(req["messages"])
        seen[key] += 1
        kind = _kind(key)
        if kind == "hopeless" or (kind == "recover" and seen[key] == 1):
            return _spent(req, shape)
        return normal(req)

    return reply


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def _by_key(requests: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in requests:
        out[r["_key"]].append(r)
    return out


@pytest.mark.parametrize(
    ("setting", "factor", "effort"),
    [(None, 2, None), ({"max_tokens_factor": 3.0, "reasoning_effort": "low"}, 3, "low")],
    ids=["default-double-budget", "triple-budget-low-effort"],
)
def test_budget_spent_on_reasoning_is_reasked_or_an_error_never_a_score(
    tmp_path: Path, setting: dict | None, factor: int, effort: str | None
) -> None:
    kw = {"thinking_retry": setting} if setting else {}
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=thinking_judge()) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=6, judge_url=jsrv.base_url, rubrics=RUBRIC, **kw)
        s = grade(load_config(cfg), checks=False)
        calls = _by_key(jsrv.requests)
    kinds = Counter(_kind(k) for k in calls)
    assert len(calls) == 24 and kinds["recover"] and kinds["hopeless"] and kinds["ok"]
    for key, reqs in calls.items():
        if _kind(key) == "ok":
            assert len(reqs) == 1
            continue
        # one re-ask, never instructor's loop of identical requests (max_attempts is 3 here)
        first, again = reqs
        assert again["max_tokens"] == factor * first["max_tokens"]
        assert again.get("reasoning_effort") == effort and "reasoning_effort" not in first
    assert (s.ok, s.errors) == (kinds["ok"] + kinds["recover"], kinds["hopeless"])

    budget = next(r for reqs in calls.values() for r in reqs)["max_tokens"]
    rows = _q(
        cfg,
        """SELECT verdict_id, bool_and(reasoning_reasked), count(score), count(error), count(*),
                   any_value(error), min(reasoning_tokens), max(reasoning_tokens), bool_or(reasoning_tokens_estimated)
            FROM verdicts WHERE judge = 'judge' GROUP BY verdict_id""",
    )
    lost = [r for r in rows if r[3]]
    recovered = [r for r in rows if r[1] and not r[3]]
    plain = [r for r in rows if not r[1]]
    assert (len(plain), len(recovered), len(lost)) == (kinds["ok"], kinds["recover"], kinds["hopeless"])
    for _, reasked, n_scored, n_err, n, err, rt_lo, rt_hi, est in lost:
        assert reasked and n_scored == 0 and n_err == n  # every criterion row an error, none scored
        assert err.startswith(BUDGET_SPENT)
        assert rt_lo == rt_hi == budget + factor * budget and est is False  # both replies' reasoning, as reported
    for row in recovered:
        assert row[2] > 0 and row[6] == row[7] == budget + THOUGHT_TOKENS
    for row in plain:
        assert row[2] > 0 and row[6] == row[7] == THOUGHT_TOKENS
    assert _q(cfg, f"SELECT count(score) FROM scores WHERE starts_with(error, '{BUDGET_SPENT}')") == [(0,)]

    with Store.open_readonly(load_config(cfg).db_path) as st:
        report = build_report(st, n_boot=100)
    (row,) = report.sections.judge_reliability.thinking
    assert (row.judge, row.rubric, row.calls) == ("judge", "reasoning_depth", 24)
    assert (row.n_reasked, row.n_recovered, row.n_failed) == (
        kinds["recover"] + kinds["hopeless"],
        kinds["recover"],
        kinds["hopeless"],
    )
    assert "Thinking judges" in render(report, "md")


@pytest.mark.parametrize("shape", ["reasoning_content", "reasoning", "think_inline"])
def test_without_a_reask_the_verdict_is_an_error_at_once(tmp_path: Path, shape: ReasoningShape) -> None:
    def judge(req: dict) -> Reply:
        return _spent(req, shape)

    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=judge) as jsrv:
        cfg = _project(
            tmp_path,
            gen.base_url,
            n_tasks=1,
            judge_url=jsrv.base_url,
            rubrics=RUBRIC,
            thinking_retry={"reask": False},
        )
        s = grade(load_config(cfg), checks=False)
        assert (s.ok, s.errors, len(jsrv.requests)) == (0, 4, 4)  # one request per verdict
    assert _q(
        cfg,
        f"SELECT count(score), bool_and(starts_with(error, '{BUDGET_SPENT}')), bool_or(reasoning_reasked)"
        " FROM verdicts WHERE judge = 'judge'",
    ) == [(0, True, False)]


def test_a_judge_that_reports_no_reasoning_stores_null_reasoning_tokens(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=3)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=1, judge_url=jsrv.base_url, rubrics=RUBRIC)
        grade(load_config(cfg), checks=False)
    assert _q(
        cfg, "SELECT count(*), count(reasoning_tokens), bool_or(reasoning_reasked) FROM verdicts WHERE judge = 'judge'"
    )[0][1:] == (0, False)


@pytest.mark.parametrize(
    "setting",
    [{"max_tokens_factor": 0.5}, {"max_tokens_factor": 1.0}, {"reasoning_effort": "lowest"}, {"retries": 2}],
)
def test_a_bad_thinking_retry_setting_is_refused(tmp_path: Path, setting: dict) -> None:
    with FakeServer(reply=_answer_reply) as gen:
        cfg = _project(tmp_path, gen.base_url, n_tasks=1, rubrics=RUBRIC)
    text = cfg.read_text(encoding="utf-8")
    inline = ", ".join(f"{k} = {v!r}".replace("'", '"') for k, v in setting.items())
    cfg.write_text(text + f"thinking_retry = {{{inline}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="thinking_retry"):
        load_config(cfg)
