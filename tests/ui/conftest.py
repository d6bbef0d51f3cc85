"""A graded project for the `judge ui` tests: answers of two models, RU/EN pairs, an LLM judge's
verdicts on two rubrics (copied into the project, so edits stay in the test's folder), and a
[judge] table pointing at the in-process fake server."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from judge.config import Config, load_config
from tests.fakes.server import FakeServer
from tests.helpers import ROOT, write_config
from tests.test_labels_export import RD, RF, graded_db

if importlib.util.find_spec("fastapi") is None:
    # CI installs the web extra: a missing one there is a broken set-up, not a reason to skip.
    if os.environ.get("CI"):
        raise RuntimeError("the judge ui tests need the web extra in CI: pip install -e '.[web]'")
    collect_ignore_glob = ["test_*.py"]  # judge ui needs the web extra: pip install 'judge[web]'


BASE = "http://127.0.0.1:8765"
"""TestClient's base URL: a loopback host name, as a browser on the same machine sends it."""


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    srv = FakeServer().start()
    yield srv
    srv.stop()


def make_project(tmp_path: Path, base_url: str, *, n_pairs: int = 3) -> Config:
    """graded_db's project with its rubrics in `rubrics/` and a judge at `base_url`."""
    (tmp_path / "rubrics").mkdir()
    for name in (RD, RF):
        shutil.copy(ROOT / "rubrics" / f"{name}.yaml", tmp_path / "rubrics" / f"{name}.yaml")
    graded_db(tmp_path, n_pairs=n_pairs)
    write_config(
        tmp_path / "judge.toml",
        [{"name": "judge-x", "base_url": base_url, "model": "fake-model"}],
        dataset="data.jsonl",
        judge={"model": "judge-x", "rubrics": [f"rubrics/{RD}.yaml", f"rubrics/{RF}.yaml"], "checks": False},
    )
    return load_config(tmp_path / "judge.toml")


@pytest.fixture
def project(tmp_path: Path, fake: FakeServer) -> Config:
    return make_project(tmp_path, fake.base_url)


@pytest.fixture
def client(project: Config) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from judge.ui import create_app

    with TestClient(create_app(project), base_url=BASE) as c:
        c.get("/")  # the first GET sets the CSRF cookie
        yield c


def csrf(client: object) -> str:
    return client.cookies.get("judge_ui_csrf")  # type: ignore[attr-defined, no-any-return]
