"""Tokens, limits and what a response or a log may never hold; the offline docs page; the CLI's refusals."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from judge.api.app import create_app
from judge.config import Config, load_config
from judge.store import Store
from tests.api.conftest import AUTH, TOKEN, grade_body, project
from tests.fakes.server import FakeServer, FaultPlan, schema_reply


def test_a_token_is_required_and_never_stored_or_logged(
    cfg: Config, fake_judge: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(cfg)) as c:
        for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}):
            r = c.post("/v1/grade", json=grade_body(), headers=headers)
            assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
        assert c.get("/v1/rubrics").status_code == 401
        assert not fake_judge.requests  # nothing was graded for them
        ok = c.post("/v1/grade", json=grade_body(), headers={**AUTH, "Idempotency-Key": "k"})
        assert ok.status_code == 200 and TOKEN not in ok.text
        batch = c.post("/v1/batches", json={"items": [grade_body()]}, headers=AUTH)
        assert batch.status_code == 202
        assert c.get("/healthz").status_code == 200  # liveness needs no token
    assert TOKEN not in caplog.text
    with Store.open_readonly(cfg.db_path) as s:
        ids = s.query("SELECT token_id FROM api_idempotency UNION ALL SELECT token_id FROM api_batches")[1]
    assert ids and all(t[0].startswith("t:") and TOKEN not in t[0] for t in ids)
    data = b"".join(p.read_bytes() for p in cfg.db_path.parent.glob(cfg.db_path.name + "*"))
    assert TOKEN.encode() not in data


def test_a_body_over_the_limit_is_refused_with_413(cfg: Config) -> None:
    with TestClient(create_app(cfg)) as c:
        big = grade_body(answer="x" * (cfg.api.max_body_bytes + 10))
        r = c.post("/v1/grade", json=big, headers=AUTH)
        assert r.status_code == 413 and "max_body_bytes" in r.json()["detail"]

        def chunks():  # no Content-Length: counted while read
            for _ in range(cfg.api.max_body_bytes // 10_000 + 2):
                yield b"x" * 10_000

        r = c.post("/v1/grade", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 413


def test_a_token_over_its_concurrency_gets_429_with_retry_after(tmp_path: Path) -> None:
    with FakeServer(reply=schema_reply(score=3), faults=FaultPlan(latency_s=0.6)) as srv:
        cfg = project(tmp_path, srv.base_url)
        cfg.api.concurrency_per_token = 1
        with TestClient(create_app(cfg)) as c:
            results: list[int] = []

            def send(i: int) -> None:
                results.append(c.post("/v1/grade", json=grade_body(answer=f"A{i}"), headers=AUTH).status_code)

            first = threading.Thread(target=send, args=(1,))
            first.start()
            time.sleep(0.25)  # the first is waiting for the judge
            r = c.post("/v1/grade", json=grade_body(answer="A2"), headers=AUTH)
            first.join()
            assert r.status_code == 429 and r.headers["Retry-After"] == "1"
            assert results == [200]
            # the slot is free again
            assert c.post("/v1/grade", json=grade_body(answer="A3"), headers=AUTH).status_code == 200


def test_readers_open_the_database_while_the_service_is_idle(tmp_path: Path, fake_judge: FakeServer) -> None:
    cfg = project(tmp_path, fake_judge.base_url)
    cfg.api.idle_close_seconds = 0.2
    with TestClient(create_app(cfg)) as c:
        assert c.post("/v1/grade", json=grade_body(), headers=AUTH).status_code == 200
        deadline = time.monotonic() + 5
        while c.get("/healthz").json()["database_open"] and time.monotonic() < deadline:
            time.sleep(0.1)
        # another process reads while the service runs: `judge sql`
        r = subprocess.run(
            [sys.executable, "-m", "judge.cli", "sql", "--config", str(cfg.path), "SELECT count(*) FROM scores"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 0, r.stderr
        # and the service opens the file again for the next request
        assert c.post("/v1/grade", json=grade_body(answer="Four"), headers=AUTH).status_code == 200


def test_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for path in ("/v1/grade", "/v1/compare", "/v1/batches", "/v1/rubrics"):
        assert path in page.text
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text
    spec = client.get("/openapi.json").json()
    assert {"/v1/grade", "/v1/compare", "/v1/batches", "/v1/batches/{batch_id}", "/healthz"} <= set(spec["paths"])


def _cli(*args: str, env: dict[str, str] | None = None, pre: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys; {pre}\nfrom judge.cli.main import main; sys.argv = ['judge', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, env=env, timeout=60
    )


def test_the_cli_refuses_a_public_bind_without_a_token_and_names_the_extra(tmp_path: Path) -> None:
    cfg = project(tmp_path, "http://127.0.0.1:9/v1")
    text = cfg.path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    no_tokens = tmp_path / "open.toml"
    no_tokens.write_text(text.split("[api]")[0], encoding="utf-8")
    assert load_config(no_tokens).api.tokens == []
    env = {k: v for k, v in os.environ.items() if k != "JUDGE_API_TOKEN"}
    r = _cli("api", "--config", str(no_tokens), "--host", "0.0.0.0", env=env)
    assert r.returncode == 2 and "refusing to serve without a bearer token" in r.stderr
    missing = _cli("api", "--config", str(no_tokens), pre="sys.modules['fastapi'] = None", env=env)
    assert missing.returncode == 2 and "pip install 'judge[web]'" in missing.stderr
