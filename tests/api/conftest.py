"""Fixtures of the `judge api` tests: a project whose judge is the in-process fake server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient  # the web extra is part of the test set-up (make setup)

from judge.api.app import create_app
from judge.config import Config, load_config
from judge.config_api import token_digest
from tests.fakes.server import FakeServer, schema_reply
from tests.helpers import ROOT, write_config

TOKEN = "tok-" + "x" * 28
OTHER = "tok-" + "y" * 28
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def project(folder: Path, judge_url: str, **judge_kw: object) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "rubrics").exists():
        shutil.copytree(ROOT / "rubrics", folder / "rubrics")
    models = [
        {"name": "contestant", "base_url": judge_url, "model": "c-model"},
        {"name": "judge", "base_url": judge_url, "model": "judge-model", "max_attempts": 2, "concurrency": 8},
    ]
    path = write_config(folder / "judge.toml", models, judge={"model": "judge", **judge_kw})
    with path.open("a", encoding="utf-8") as f:
        f.write(f'\n[api]\ntokens = ["{token_digest(TOKEN)}", "{token_digest(OTHER)}"]\ntoken_envs = []\n')
    return load_config(path)


def grade_body(**kw: object) -> dict:
    body = {
        "prompt": "What is 2 + 2? End with 'Answer: N'.",
        "answer": "Two plus two is four, because adding two twice gives four.\nAnswer: 4",
        "lang": "en",
        "rubric": "reasoning_depth",
    }
    body.update(kw)
    return body


@pytest.fixture
def fake_judge() -> Iterator[FakeServer]:
    with FakeServer(reply=schema_reply(score=4)) as srv:
        yield srv


@pytest.fixture
def cfg(tmp_path: Path, fake_judge: FakeServer) -> Config:
    return project(tmp_path / "proj", fake_judge.base_url)


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    with TestClient(create_app(cfg), raise_server_exceptions=False) as c:
        yield c
