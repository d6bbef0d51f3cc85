"""The generator stage against the in-process fake server: capture, retries, exactly-once."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.config import load_config
from judge.generate import generate, status
from judge.store import Store
from tests.fakes.server import FakeServer, FaultPlan, Reply
from tests.helpers import make_items, write_config, write_jsonl


def _setup(tmp_path: Path, url: str, n_tasks: int = 10, models: int = 2, **model_kw: object) -> Path:
    write_jsonl(tmp_path / "data.jsonl", make_items(n_tasks))
    ms = [
        {
            "name": f"m{i}",
            "base_url": url,
            "model": "fake-model",
            "params": {"temperature": 0.1 * i, "max_tokens": 64},
            "concurrency": 4,
            **model_kw,
        }
        for i in range(models)
    ]
    return write_config(tmp_path / "judge.toml", ms)


def _rows(cfg_path: Path, sql: str) -> list[tuple]:
    cfg = load_config(cfg_path)
    with Store.open_readonly(cfg.db_path) as s:
        return s.query(sql)[1]


def test_two_models_twenty_prompts_with_faults_exactly_once(tmp_path: Path) -> None:
    """Done-when 2: 20 % mixed faults -> 40 answers, no duplicates; a second run sends nothing."""
    plan = FaultPlan.mixed(0.2, kinds=("500", "429", "drop"), retry_after=0)
    with FakeServer(faults=plan, seed=7) as srv:
        cfg_path = _setup(tmp_path, srv.base_url)
        s = generate(load_config(cfg_path))
        assert (s.ok, s.errors) == (40, 0)
        assert srv.counts["500"] + srv.counts["429"] + srv.counts["drop"] > 0  # faults really happened
        sent = len(srv.requests)
        s2 = generate(load_config(cfg_path))
        assert (s2.planned, s2.skipped) == (0, 40)
        assert len(srv.requests) == sent  # zero requests on the second run
    rows = _rows(
        cfg_path,
        "SELECT model, count(*), count(DISTINCT prompt_id), min(status), max(status) FROM answers GROUP BY model ORDER BY model",
    )
    assert rows == [("m0", 20, 20, "ok", "ok"), ("m1", 20, 20, "ok", "ok")]
    # retried items record their attempts
    assert _rows(cfg_path, "SELECT max(attempts) FROM answers")[0][0] > 1


def test_reasoning_in_three_shapes_and_usage(tmp_path: Path) -> None:
    def reply(req: dict) -> Reply:
        text = req["messages"][-1]["content"]
        shape = ["reasoning", "reasoning_content", "think_inline"][int(text.split()[2]) % 3]
        return Reply(
            content="The answer.\nAnswer: 4",
            reasoning=f"thinking via {shape} step by step",
            reasoning_shape=shape,
            reasoning_tokens=5 if shape == "reasoning" else None,
        )

    with FakeServer(reply=reply) as srv:
        cfg_path = _setup(tmp_path, srv.base_url, n_tasks=3, models=1)
        generate(load_config(cfg_path))
    rows = _rows(
        cfg_path,
        "SELECT prompt_id, answer, reasoning, reasoning_tokens, reasoning_tokens_estimated,"
        " completion_tokens, finish_reason FROM answers WHERE lang = 'en' ORDER BY prompt_id",
    )
    shapes = ["reasoning", "reasoning_content", "think_inline"]
    for (pid, answer, reasoning, rt, est, ct, fr), shape in zip(rows, shapes):
        assert answer == "The answer.\nAnswer: 4", (pid, answer)  # <think> removed from the answer
        assert reasoning == f"thinking via {shape} step by step"
        assert fr == "stop" and ct > 0
        if shape == "reasoning":
            assert (rt, est) == (5, False)  # reported by the server
        else:
            assert est is True and rt > 0  # counted by us, and marked as such


def test_failed_items_are_error_rows_then_retried(tmp_path: Path) -> None:
    plan = FaultPlan(retry_after=0).always_fail_for("What is 1 + 1", kind="500")
    with FakeServer(faults=plan) as srv:
        cfg_path = _setup(tmp_path, srv.base_url, n_tasks=3, models=1, max_attempts=3)
        s = generate(load_config(cfg_path))
        assert (s.ok, s.errors) == (5, 1)
        # the failing prompt was tried exactly max_attempts times, never more (one retry loop)
        assert sum(1 for r in srv.requests if "What is 1 + 1" in r["messages"][-1]["content"]) == 3
        row = _rows(cfg_path, "SELECT status, answer, error, attempts FROM answers WHERE error IS NOT NULL")
        assert row == [("error", None, row[0][2], 3)] and "HTTP 500" in row[0][2]
        # a plain rerun does not touch the error row; --retry-errors does
        assert generate(load_config(cfg_path)).planned == 0
        plan.always.clear()
        s3 = generate(load_config(cfg_path), retry_errors=True)
        assert (s3.planned, s3.ok) == (1, 1)
    assert _rows(cfg_path, "SELECT count(*), count(error) FROM generations") == [(6, 0)]


def test_truncated_answer_visible_and_non_retryable_400(tmp_path: Path) -> None:
    with FakeServer(reply=Reply(content="cut mid", finish_reason="length")) as srv:
        cfg_path = _setup(tmp_path, srv.base_url, n_tasks=1, models=1)
        generate(load_config(cfg_path))
    assert {r[0] for r in _rows(cfg_path, "SELECT finish_reason FROM answers")} == {"length"}
    plan = FaultPlan(retry_after=0).always_fail_for(lambda r: True, kind="400")
    with FakeServer(faults=plan) as srv:
        other = tmp_path / "second"
        other.mkdir()
        cfg2 = _setup(other, srv.base_url, n_tasks=1, models=1)
        s = generate(load_config(cfg2))
        assert s.errors == 2 and len(srv.requests) == 2  # a 400 is not retried


def test_changed_params_make_a_new_variant_not_an_overwrite(tmp_path: Path) -> None:
    with FakeServer() as srv:
        cfg_path = _setup(tmp_path, srv.base_url, n_tasks=2, models=1)
        generate(load_config(cfg_path))
        text = cfg_path.read_text().replace("temperature = 0.0", "temperature = 0.7")
        cfg_path.write_text(text)
        s = generate(load_config(cfg_path))
        assert s.ok == 4  # the new variant is generated
    rows = _rows(cfg_path, "SELECT model, current, count(*) FROM answers GROUP BY ALL ORDER BY model")
    assert len(rows) == 2
    assert rows[0][0] == "m0" and rows[0][1] is True
    assert rows[1][0].startswith("m0@") and rows[1][1] is False  # the old variant keeps its rows, relabelled


def test_samples_seeds_request_record_and_no_key_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-test-SECRET-123")
    with FakeServer() as srv:
        cfg_path = _setup(
            tmp_path,
            srv.base_url,
            n_tasks=1,
            models=1,
            api_key_env="FAKE_KEY",
            extra_body={"chat_template_kwargs": {"enable_thinking": False}},
        )
        text = cfg_path.read_text().replace("max_tokens = 64", "max_tokens = 64, seed = 10")
        cfg_path.write_text(text)
        s = generate(load_config(cfg_path), samples=3)
        assert s.ok == 6
        assert {r["headers"]["authorization"] for r in srv.requests} == {"Bearer sk-test-SECRET-123"}
        assert sorted({r["seed"] for r in srv.requests}) == [10, 11, 12]
        assert all(r["chat_template_kwargs"] == {"enable_thinking": False} for r in srv.requests)
    raw = (tmp_path / "judge.duckdb").read_bytes()
    assert b"SECRET" not in raw
    req = _rows(cfg_path, "SELECT request_json FROM generations LIMIT 1")[0][0]
    assert '"max_tokens": 64' in req and "messages_sha" in req and "SECRET" not in req


def test_status_counts(tmp_path: Path) -> None:
    plan = FaultPlan(retry_after=0).always_fail_for("What is 2 + 2", kind="503")
    with FakeServer(faults=plan) as srv:
        cfg_path = _setup(tmp_path, srv.base_url, n_tasks=4, models=2, max_attempts=1)
        generate(load_config(cfg_path), models=["m0"], limit=6)
    st = {r["model"]: r for r in status(load_config(cfg_path))}
    assert (st["m0"]["done"], st["m0"]["failed"], st["m0"]["pending"]) == (5, 1, 2)
    assert (st["m1"]["done"], st["m1"]["pending"]) == (0, 8)


def test_replicas_share_the_load(tmp_path: Path) -> None:
    with FakeServer(faults=FaultPlan(latency_s=0.02)) as a, FakeServer(faults=FaultPlan(latency_s=0.02)) as b:
        write_jsonl(tmp_path / "data.jsonl", make_items(10))
        cfg_path = write_config(
            tmp_path / "judge.toml",
            [{"name": "r", "base_url": [a.base_url, b.base_url], "model": "fake-model", "concurrency": 2}],
        )
        generate(load_config(cfg_path))
        assert len(a.requests) + len(b.requests) == 20
        assert min(len(a.requests), len(b.requests)) >= 5


def test_a_chat_call_leaves_almost_no_cyclic_garbage() -> None:
    """The hot path: a call must not create reference cycles (with 64 calls in flight they outlive
    the young GC generations, and full collections grow with the run). A tenacity object per call
    left 40 objects in cycles; the plain retry loop leaves 4 (from the HTTP stack)."""
    import asyncio
    import gc

    from judge.config import ModelConfig
    from judge.model import Endpoint, build_request, chat

    with FakeServer(keep_requests=False) as srv:
        cfg = ModelConfig(name="m", base_url=srv.base_url, model="fake-model", concurrency=8, max_attempts=3)

        async def main() -> int:
            ep = Endpoint(cfg)
            req = build_request(cfg, [{"role": "user", "content": "hi"}])
            try:
                await asyncio.gather(*(chat(ep, req) for _ in range(20)))  # connections, caches
                gc.collect()
                gc.disable()
                comps = await asyncio.gather(*(chat(ep, req) for _ in range(200)))
                assert all(c.attempts == 1 and c.answer for c in comps)
                return gc.collect()
            finally:
                gc.enable()
                await ep.aclose()

        assert asyncio.run(main()) / 200 < 10


def test_retries_follow_the_policy_without_tenacity(tmp_path: Path) -> None:
    """The plain loop in `chat`: retryable failures are tried again up to max_attempts (counted),
    a non-retryable status is not, and an exhausted item is an error row, never an answer."""
    plan = FaultPlan(fail_first_n=2, fail_first_kind="500")
    with FakeServer(faults=plan) as srv:
        cfg_path = _setup(tmp_path, srv.base_url, n_tasks=2, models=1, max_attempts=3)
        s = generate(load_config(cfg_path))
        assert (s.ok, s.errors) == (4, 0)
    assert {a for (a,) in _rows(cfg_path, "SELECT attempts FROM answers")} == {3}
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    with FakeServer(faults=FaultPlan(fail_first_n=5, fail_first_kind="500")) as srv:
        cfg2 = _setup(tmp_path / "b", srv.base_url, n_tasks=1, models=1, max_attempts=2)
        s = generate(load_config(cfg2))
        assert (s.ok, s.errors) == (0, 2) and len(srv.requests) == 4
    with FakeServer(faults=FaultPlan(fail_first_n=5, fail_first_kind="400")) as srv:
        cfg3 = _setup(tmp_path / "c", srv.base_url, n_tasks=1, models=1, max_attempts=3)
        s = generate(load_config(cfg3))
        assert (s.ok, s.errors) == (0, 2) and len(srv.requests) == 2  # a 400 is not tried again
    assert _rows(cfg3, "SELECT count(*) FROM answers WHERE status = 'error' AND answer IS NULL") == [(2,)]
