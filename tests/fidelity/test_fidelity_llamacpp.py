"""A real llama.cpp server (the embedded xllamacpp build with SmolLM2) is refused as the issue says:
it returns no log-probabilities for a given text's tokens, so `judge fidelity` stops with exit 2
and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.config import load_config
from judge.fidelity import PromptLogprobsUnsupported, fidelity
from tests.helpers import write_config, write_jsonl

pytestmark = pytest.mark.llamacpp


def test_llamacpp_is_refused_naming_what_is_missing(tmp_path: Path, llamacpp_server) -> None:
    url = llamacpp_server.base_url
    write_jsonl(tmp_path / "texts.jsonl", [{"lang": "en", "text": "The cat sat on the mat and looked at the garden."}])
    write_jsonl(tmp_path / "data.jsonl", [])
    models = [
        {"name": "smol-a", "base_url": url, "model": "smollm2", "base_model": "smol", "max_attempts": 2},
        {"name": "smol-b", "base_url": url, "model": "smollm2", "base_model": "smol", "max_attempts": 2},
    ]
    cfg = load_config(write_config(tmp_path / "judge.toml", models))
    with pytest.raises(PromptLogprobsUnsupported) as e:
        fidelity(cfg, base="smol-a", variants=["smol-b"], texts="texts.jsonl")
    assert e.value.exit_code == 2
    assert "smol-a" in e.value.message and "prompt_logprobs" in e.value.message and "echo" in e.value.message
    assert any("tried echo" in h for h in e.value.hints)
    assert not (tmp_path / "judge.duckdb").exists()
