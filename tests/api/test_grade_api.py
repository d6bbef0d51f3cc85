"""`judge api` grading: verdicts stored like the CLI's, idempotency, compare, failures as 502 never a score."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from judge.api.app import create_app
from judge.config import Config
from judge.store import Store
from tests.api.conftest import AUTH, OTHER, grade_body, project
from tests.fakes.server import FakeServer, FaultPlan, schema_reply


def _q(cfg: Config, sql: str, params: list | None = None) -> list[tuple]:
    with Store.open_readonly(cfg.db_path) as s:
        return s.query(sql, params)[1]


def test_a_verdict_is_stored_like_a_cli_verdict_and_read_back_the_second_time(
    cfg: Config, fake_judge: FakeServer
) -> None:
    with TestClient(create_app(cfg)) as c:
        r = c.post("/v1/grade", json=grade_body(model="my-bot"), headers=AUTH)
        assert r.status_code == 200, r.text
        v = r.json()
        calls = len(fake_judge.requests)
        assert calls == 1 and v["source"] == "api" and not v["stored_before"]
        again = c.post("/v1/grade", json=grade_body(model="my-bot"), headers=AUTH)
        assert again.status_code == 200 and again.json()["stored_before"]
        assert again.json()["verdict_id"] == v["verdict_id"]
        assert len(fake_judge.requests) == calls  # read back, not graded twice
    rows = _q(
        cfg,
        "SELECT s.model, s.criterion, s.score, s.rubric_version, v.source FROM scores s"
        " JOIN verdicts v ON v.verdict_id = s.verdict_id AND v.criterion = s.criterion"
        " WHERE s.verdict_id = ? ORDER BY s.criterion",
        [v["verdict_id"]],
    )
    assert [(m, c, sc, rv, src) for m, c, sc, rv, src in rows] == [
        ("my-bot", c["criterion"], c["score"], v["rubric_version"], "api") for c in v["criteria"]
    ]
    # the fake judge's score on each criterion, or none where the rubric rules the criterion out
    assert all(c["score"] == 4 or (c["not_applicable"] and c["score"] is None) for c in v["criteria"])
    assert any(c["score"] == 4 for c in v["criteria"])


def test_idempotency_key_replays_the_first_response(cfg: Config, fake_judge: FakeServer) -> None:
    with TestClient(create_app(cfg)) as c:
        h = {**AUTH, "Idempotency-Key": "req-1"}
        first = c.post("/v1/grade", json=grade_body(answer="Four.\nAnswer: 4"), headers=h)
        calls = len(fake_judge.requests)
        replay = c.post("/v1/grade", json=grade_body(answer="Four.\nAnswer: 4"), headers=h)
        assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json() == first.json() and len(fake_judge.requests) == calls
        other = c.post("/v1/grade", json=grade_body(answer="Five.\nAnswer: 5"), headers=h)
        assert other.status_code == 409 and "different request" in other.json()["detail"]
        # another token's key of the same name is its own
        mine = c.post(
            "/v1/grade",
            json=grade_body(answer="Five.\nAnswer: 5"),
            headers={"Authorization": f"Bearer {OTHER}", "Idempotency-Key": "req-1"},
        )
        assert mine.status_code == 200 and mine.headers.get("Idempotent-Replayed") is None
    assert _q(cfg, "SELECT count(DISTINCT verdict_id) FROM verdicts WHERE source = 'api'")[0][0] == 2


def test_compare_judges_both_orders_into_the_pairwise_view(cfg: Config, fake_judge: FakeServer) -> None:
    body = {
        "prompt": "What is 3 + 3?",
        "answer_a": "Three and three make six.\nAnswer: 6",
        "answer_b": "It is seven.\nAnswer: 7",
        "lang": "en",
        "rubric": "reasoning_depth",
        "model_a": "bot-a",
        "model_b": "bot-b",
    }
    with TestClient(create_app(cfg)) as c:
        r = c.post("/v1/compare", json=body, headers=AUTH)
        assert r.status_code == 200, r.text
        same = c.post("/v1/compare", json={**body, "model_b": "bot-a"}, headers=AUTH)
        assert same.status_code == 422 and same.json()["detail"][0]["field"] == "body.model_b"
    out = r.json()
    assert len(fake_judge.requests) == 2  # one call per order
    rows = _q(
        cfg,
        "SELECT criterion, model_a, model_b, winner_order1, winner_order2, consistent FROM pairwise"
        " WHERE pair_id = ? ORDER BY criterion",
        [out["pair_id"]],
    )
    assert [r[0] for r in rows] == [c["criterion"] for c in out["criteria"]]
    for row, c in zip(rows, out["criteria"]):
        # the view and the response agree on whether both orders preferred the same answer
        assert row[1:3] == ("bot-a", "bot-b") and row[5] == c["consistent"]


def test_a_failed_judge_is_a_502_with_retry_after_and_an_error_row_not_a_score(tmp_path: Path) -> None:
    with FakeServer(reply=schema_reply(score=4), faults=FaultPlan(rates={"500": 1.0})) as srv:
        cfg = project(tmp_path, srv.base_url)
        with TestClient(create_app(cfg), raise_server_exceptions=False) as c:
            r = c.post("/v1/grade", json=grade_body(), headers=AUTH)
        assert len(srv.requests) == 2  # the judge's own retry policy ran (max_attempts = 2)
    assert r.status_code == 502 and int(r.headers["Retry-After"]) > 0
    vid = r.json()["verdict_id"]
    rows = _q(cfg, "SELECT score, error IS NOT NULL, source FROM verdicts WHERE verdict_id = ?", [vid])
    assert rows and all(score is None and failed and src == "api" for score, failed, src in rows)


def test_unknown_rubric_judge_or_language_is_a_422_naming_the_field(client: TestClient) -> None:
    cases = {
        "body.rubric": grade_body(rubric="nope"),
        "body.judge": grade_body(judge="nope"),
        "body.lang": grade_body(rubric="russian_fluency", lang="en"),
        "body.model": grade_body(model="contestant"),  # a [[models]] entry's name is not a label for HTTP answers
        "body.prompt": grade_body(prompt="   "),
    }
    for field, body in cases.items():
        r = client.post("/v1/grade", json=body, headers=AUTH)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["detail"][0]["field"] == field
    r = client.post("/v1/grade", json={**grade_body(), "extra": 1}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body.extra"
    assert "input" not in r.json()["detail"][0]  # the value sent is never echoed


def test_rubrics_are_listed_with_their_versions(client: TestClient) -> None:
    r = client.get("/v1/rubrics", headers=AUTH)
    names = {x["name"]: x for x in r.json()}
    assert r.status_code == 200 and set(names) == {"reasoning_depth", "russian_fluency", "english_fluency"}
    one = client.get("/v1/rubrics/russian_fluency", headers=AUTH).json()
    assert one == names["russian_fluency"] and one["langs"] == ["ru"] and one["criteria"]
    assert client.get("/v1/rubrics/nope", headers=AUTH).status_code == 404
