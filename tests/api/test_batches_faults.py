"""Batches over HTTP, and the service under injected judge faults: no 500, no invented verdict."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from judge.api.app import create_app
from judge.store import Store
from tests.api.conftest import AUTH, OTHER, grade_body, project
from tests.fakes.server import FakeServer, FaultPlan, schema_reply


def wait_done(c: TestClient, batch_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(f"/v1/batches/{batch_id}", headers=AUTH)
        assert r.status_code == 200, r.text
        if r.json()["status"] == "done" or time.monotonic() > deadline:
            return r.json()
        time.sleep(0.1)


def test_a_batch_is_graded_in_the_background_once(tmp_path: Path) -> None:
    with FakeServer(reply=schema_reply(score=5)) as srv:
        cfg = project(tmp_path, srv.base_url)
        items = [grade_body(answer=f"The answer is {i}.\nAnswer: {i}") for i in range(6)]
        items.append(grade_body(answer="The answer is 0.\nAnswer: 0"))  # the same answer twice: one verdict
        with TestClient(create_app(cfg)) as c:
            h = {**AUTH, "Idempotency-Key": "batch-1"}
            r = c.post("/v1/batches", json={"items": items}, headers=h)
            assert r.status_code == 202, r.text
            again = c.post("/v1/batches", json={"items": items}, headers=h)
            assert again.json() == r.json()  # the retried submission is the same batch
            out = wait_done(c, r.json()["batch_id"])
            # another token does not see it
            other = c.get(f"/v1/batches/{r.json()['batch_id']}", headers={"Authorization": f"Bearer {OTHER}"})
            assert other.status_code == 404
            bad = c.post("/v1/batches", json={"items": [grade_body(), grade_body(rubric="nope")]}, headers=AUTH)
            assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "body.items.1.rubric"
        assert len(srv.requests) == 6  # 7 items, 6 distinct answers: one judge call each
    assert (out["n_items"], out["n_done"], out["n_error"], out["n_pending"]) == (7, 7, 0, 0)
    ids = [it["verdict"]["verdict_id"] for it in out["items"]]
    assert ids[0] == ids[6] and len(set(ids)) == 6
    with Store.open_readonly(cfg.db_path) as s:
        assert s.query("SELECT count(*) FROM api_batches")[1] == [(1,)]
        n = s.query("SELECT count(DISTINCT verdict_id) FROM verdicts WHERE source = 'api'")[1][0][0]
    assert n == 6


def test_under_20_percent_judge_faults_no_500_and_no_invented_verdict(tmp_path: Path) -> None:
    faults = FaultPlan.mixed(0.2, kinds=("500", "429", "drop", "invalid_json"), retry_after=0)
    with FakeServer(reply=schema_reply(score=2), faults=faults, seed=7) as srv:
        cfg = project(tmp_path, srv.base_url)  # max_attempts = 2: some verdicts fail for good
        with TestClient(create_app(cfg), raise_server_exceptions=False) as c:
            codes = {}
            for i in range(60):
                r = c.post("/v1/grade", json=grade_body(answer=f"Answer {i}."), headers=AUTH)
                codes[i] = r
        assert srv.counts["ok"] and sum(v for k, v in srv.counts.items() if k != "ok")  # faults happened
    statuses = [r.status_code for r in codes.values()]
    assert 500 not in statuses and set(statuses) <= {200, 502, 503}
    assert statuses.count(200) >= 30 and statuses.count(502) >= 1
    with Store.open_readonly(cfg.db_path) as s:
        stored = dict(
            (vid, (bad, scores))
            for vid, bad, scores in s.query(
                "SELECT verdict_id, bool_or(error IS NOT NULL), list(score) FILTER (score IS NOT NULL)"
                " FROM verdicts GROUP BY verdict_id"
            )[1]
        )
    for r in codes.values():
        if r.status_code == 200:
            v = r.json()
            bad, scores = stored[v["verdict_id"]]
            assert not bad and sorted(scores) == sorted(c["score"] for c in v["criteria"] if c["score"] is not None)
            assert set(scores) == {2.0}  # the judge's score: nothing else
        elif r.status_code == 502:
            assert int(r.headers["Retry-After"]) > 0
            bad, scores = stored[r.json()["verdict_id"]]
            assert bad and scores is None  # an error verdict: no score at all
        else:
            assert int(r.headers["Retry-After"]) > 0


def test_an_unreachable_judge_is_503_once_its_breaker_opens_and_nothing_is_stored(tmp_path: Path) -> None:
    cfg = project(tmp_path, "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    with TestClient(create_app(cfg), raise_server_exceptions=False) as c:
        rs = [c.post("/v1/grade", json=grade_body(answer=f"A{i}."), headers=AUTH) for i in range(8)]
        batch = c.post("/v1/batches", json={"items": [grade_body(answer="B.")]}, headers=AUTH)
        time.sleep(0.5)
        st = c.get(f"/v1/batches/{batch.json()['batch_id']}", headers=AUTH).json()
    codes = [r.status_code for r in rs]
    # the first calls fail after their retries (error verdicts, as `judge grade` stores them); once the
    # breaker has seen enough of them, the judge counts as down: 503, nothing stored, the batch waits
    assert 502 in codes and codes[-1] == 503 and codes == sorted(codes)
    assert all(int(r.headers["Retry-After"]) > 0 for r in rs)
    assert st["n_pending"] == 1 and st["status"] == "pending"
    with Store.open_readonly(cfg.db_path) as s:
        n = s.query("SELECT count(DISTINCT verdict_id), count(score) FROM verdicts")[1][0]
    assert n == (codes.count(502), 0)
