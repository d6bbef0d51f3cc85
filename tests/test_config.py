from __future__ import annotations

from pathlib import Path

import pytest

from judge.config import load_config
from judge.errors import ConfigError, EndpointError
from tests.helpers import write_config


def test_loads_models_variants_and_resolves_paths(tmp_path: Path) -> None:
    p = write_config(
        tmp_path / "judge.toml",
        [
            {
                "name": "qwen-think",
                "base_url": "http://127.0.0.1:8001/v1",
                "model": "Qwen/Qwen3-30B-A3B",
                "params": {"temperature": 0.6, "max_tokens": 512},
                "extra_body": {"chat_template_kwargs": {"enable_thinking": True}},
                "quantization": "bf16",
                "base_model": "qwen3-30b-a3b",
            },
            {
                "name": "qwen-nothink",
                "base_url": ["http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1"],
                "model": "Qwen/Qwen3-30B-A3B",
                "params": {"temperature": 0.6, "max_tokens": 512},
                "extra_body": {"chat_template_kwargs": {"enable_thinking": False}},
                "base_model": "qwen3-30b-a3b",
            },
        ],
        judge={"model": "qwen-think"},
    )
    cfg = load_config(p)
    assert cfg.db_path == tmp_path / "judge.duckdb"
    a, b = cfg.models
    assert b.urls == ["http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1"]
    # same endpoint, different extra_body -> different variants
    assert a.variant() != b.variant()
    # the URL is not part of the identity: moving a server keeps stored answers valid
    moved = a.model_copy(update={"base_url": "http://127.0.0.1:9999/v1"})
    assert moved.variant() == a.variant()
    assert cfg.judge_model().name == "qwen-think"


@pytest.mark.parametrize(
    ("model", "field", "line"),
    [
        ({"name": "a", "base_url": "ftp://x", "model": "m"}, "models[0].base_url", 6),
        (
            {"name": "a", "base_url": "http://x/v1", "model": "m", "params": {"temperature": 7}},
            "models[0].params.temperature",
            8,
        ),
        ({"name": "a", "base_url": "http://x/v1", "model": "m", "params": {"top_k": 20}}, "models[0].params.top_k", 8),
        ({"name": "a", "base_url": "http://x/v1", "model": "m", "colour": "red"}, "models[0].colour", 8),
        ({"name": "a", "base_url": "http://x/v1"}, "models[0].model", 4),
        ({"name": "a", "base_url": "http://x/v1", "model": "m", "api_key_env": "sk-123"}, "models[0].api_key_env", 8),
    ],
)
def test_bad_fields_name_file_line_and_path(tmp_path: Path, model: dict, field: str, line: int) -> None:
    p = write_config(tmp_path / "judge.toml", [model])
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = e.value.problems[0]
    assert msg.startswith(f"{p}:{line}: {field}:"), msg
    assert e.value.exit_code == 2


def test_unknown_judge_model_and_toml_syntax(tmp_path: Path) -> None:
    p = write_config(
        tmp_path / "j.toml", [{"name": "a", "base_url": "http://x/v1", "model": "m"}], judge={"model": "nope"}
    )
    with pytest.raises(ConfigError, match=r"judge\.model 'nope' is not a"):
        load_config(p)
    bad = tmp_path / "bad.toml"
    bad.write_text('db = "x"\n[[models]\nname = 1\n')
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert e.value.problems[0].startswith(f"{bad}:2: invalid TOML")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")


def test_api_key_comes_from_env_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write_config(
        tmp_path / "judge.toml", [{"name": "a", "base_url": "http://x/v1", "model": "m", "api_key_env": "MY_KEY"}]
    )
    cfg = load_config(p)
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(EndpointError, match="MY_KEY is not set"):
        cfg.models[0].api_key()
    monkeypatch.setenv("MY_KEY", "sk-secret")
    assert cfg.models[0].api_key() == "sk-secret"
    assert "sk-secret" not in cfg.models[0].model_dump_json()
