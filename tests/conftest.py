"""Shared fixtures: an isolated JUDGE_HOME, instant retries, real-server fixtures on demand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's cache; retries do not sleep (Retry-After is capped to 0)."""
    from judge import client

    home = os.environ.get("JUDGE_TEST_HOME") or str(tmp_path_factory.getbasetemp() / "judge-home")
    monkeypatch.setenv("JUDGE_HOME", home)
    monkeypatch.setattr(client, "BACKOFF", client.Backoff(initial=0, maximum=0, retry_after_cap=0))


@pytest.fixture(scope="session")
def llamacpp_server():
    """A real llama.cpp server (xllamacpp wheel) with SmolLM2-135M from PyPI, shared by the session."""
    from judge.embedded import LlamaCppServer, model_path

    srv = LlamaCppServer(model_path("smollm2"), alias="smollm2", n_parallel=4, ctx_per_slot=4096, exit_with_parent=True)
    srv.start(timeout=180)
    yield srv
    srv.stop()
