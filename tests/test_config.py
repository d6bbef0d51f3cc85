from __future__ import annotations

import os
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


# ---------------------------------------------------------------- red-team pass (issue 12)

MODEL = {"name": "a", "base_url": "http://x/v1", "model": "m"}


def _problems_of(tmp_path: Path, text: str) -> list[str]:
    p = tmp_path / "judge.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.exit_code == 2
    return e.value.problems


def _one_model(tmp_path: Path, **fields: object) -> list[str]:
    p = write_config(tmp_path / "judge.toml", [{**MODEL, **fields}])
    with pytest.raises(ConfigError) as e:
        load_config(p)
    return e.value.problems


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"concurrency": "8"}, "models[0].concurrency: Input should be a valid integer"),
        ({"concurrency": 8.0}, "models[0].concurrency: Input should be a valid integer"),
        ({"concurrency": True}, "models[0].concurrency: Input should be a valid integer"),
        ({"timeout": "30"}, "models[0].timeout: Input should be a valid number"),
        ({"params": {"temperature": "0.5"}}, "models[0].params.temperature: Input should be a valid number"),
        ({"params": {"logprobs": "true"}}, "models[0].params.logprobs: Input should be a valid boolean"),
        ({"params": {"seed": 2**63}}, "models[0].params.seed: Input should be less than 9223372036854775808"),
    ],
)
def test_types_are_strict(tmp_path: Path, fields: dict, problem: str) -> None:
    problems = _one_model(tmp_path, **fields)
    assert [p.split(": ", 1)[1] for p in problems] == [problem], problems


def test_an_int_is_still_a_float(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path / "judge.toml", [{**MODEL, "timeout": 30, "params": {"temperature": 1}}]))
    assert cfg.models[0].timeout == 30.0 and cfg.models[0].params.temperature == 1.0


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("timeout = inf", "models[0].timeout: Input should be a finite number"),
        ("timeout = nan", "models[0].timeout: Input should be a finite number"),
        ("params = {temperature = nan}", "models[0].params.temperature: Input should be a finite number"),
        ("extra_body = {a = [1.0, -inf]}", "models[0].extra_body: Value error, contains nan or inf"),
        ("metadata = {a = {b = nan}}", "models[0].metadata: Value error, contains nan or inf"),
    ],
)
def test_nan_and_inf_are_refused(tmp_path: Path, line: str, problem: str) -> None:
    text = '[[models]]\nname = "a"\nbase_url = "http://x/v1"\nmodel = "m"\n' + line + "\n"
    problems = _problems_of(tmp_path, text)
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path / 'judge.toml'}:5: {problem}"), problems


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "http://x/v1\r\nX-Injected: 1",
            "base_url contains whitespace or a control character: 'http://x/v1\\r\\nX-Injected: 1'",
        ),
        ("http://x/v1\n", "base_url contains whitespace or a control character"),
        ("http://x /v1", "base_url contains whitespace or a control character"),
        ("http://x/v1\x00", "base_url contains whitespace or a control character"),
        ("ftp://x/v1", "not an http(s) URL: 'ftp://x/v1'"),
        ("http:///v1", "not an http(s) URL: 'http:///v1'"),
        ("http://:8000/v1", "not an http(s) URL"),
        ("http://x:99999/v1", "not an http(s) URL"),
        ("http://x:port/v1", "not an http(s) URL"),
        ("x/v1", "not an http(s) URL"),
    ],
)
def test_base_url_rules(tmp_path: Path, url: str, problem: str) -> None:
    problems = _one_model(tmp_path, base_url=url)
    assert len(problems) == 1 and f"models[0].base_url: Value error, {problem}" in problems[0], problems


@pytest.mark.parametrize(
    "url", ["http://bob:Sup3rSecretPw@x/v1", "https://tok-Zq81xSecret@x/v1", "http://bob:pa/ss@x/v1"]
)
def test_credentials_in_base_url_are_refused_and_never_echoed(tmp_path: Path, url: str) -> None:
    problems = _one_model(tmp_path, base_url=["http://ok/v1", url])
    assert len(problems) == 1 and "must not hold a user name or password" in problems[0]
    assert "api_key_env" in problems[0]
    for secret in ("Sup3rSecretPw", "Zq81xSecret", "pa/ss"):
        assert secret not in problems[0]


@pytest.mark.parametrize(
    "value",
    [
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",  # a Hugging Face token: NAME-shaped, but a key
        "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ",
        "0123456789abcdef0123456789abcdef",  # a hex key
        "A" * 65,
        "sk-proj-Zq81x",  # not NAME-shaped at all
        "MY KEY",
        "1KEY",
    ],
)
def test_api_key_env_must_look_like_a_name_and_is_never_echoed(tmp_path: Path, value: str) -> None:
    problems = _one_model(tmp_path, api_key_env=value)
    assert len(problems) == 1 and "api_key_env is the NAME of an environment variable" in problems[0]
    assert value not in problems[0]


@pytest.mark.parametrize(
    "name", ["OPENAI_API_KEY", "HF_TOKEN", "AZURE_OPENAI_API_KEY_2", "vllm_key", "OPENAI_API_KEY_PROD_2024", "_K"]
)
def test_real_variable_names_are_accepted(tmp_path: Path, name: str) -> None:
    cfg = load_config(write_config(tmp_path / "judge.toml", [{**MODEL, "api_key_env": name}]))
    assert cfg.models[0].api_key_env == name


@pytest.mark.parametrize(
    ("serve", "problem"),
    [
        ('env = {"A=B" = "1"}', "'A=B' is not an environment variable name"),
        ('env = {"" = "1"}', "'' is not an environment variable name"),
        ('env = {"A" = "x\\u0000y"}', "the value of A contains a NUL byte"),
        ('args = ["--x\\u0000"]', "contains a NUL byte"),
        ("port = 70000", "Input should be less than or equal to 65535"),
    ],
)
def test_serve_settings_that_would_crash_the_start(tmp_path: Path, serve: str, problem: str) -> None:
    text = '[[models]]\nname = "a"\nbase_url = "http://x/v1"\nmodel = "m"\n'
    text += '[models.serve]\nengine = "vllm"\nmodel = "m"\n' + serve + "\n"
    problems = _problems_of(tmp_path, text)
    assert len(problems) == 1 and problem in problems[0] and ": models[0].serve." in problems[0], problems


def test_serve_env_with_valid_names_loads(tmp_path: Path) -> None:
    serve = {"engine": "vllm", "model": "m", "env": {"CUDA_VISIBLE_DEVICES": "0,1", "HF_HOME": "/x"}}
    cfg = load_config(write_config(tmp_path / "judge.toml", [{**MODEL, "serve": serve}]))
    assert cfg.models[0].serve is not None and cfg.models[0].serve.env["HF_HOME"] == "/x"


def test_deep_nesting_is_a_located_error(tmp_path: Path) -> None:
    head = '[[models]]\nname = "a"\nbase_url = "http://x/v1"\nmodel = "m"\n'
    p = str(tmp_path / "judge.toml")
    # deep enough for tomllib's own recursion to give up: located by the brackets
    assert _problems_of(tmp_path, head + "extra_body = {x = " + "[" * 5000 + "]" * 5000 + "}\n") == [
        f"{p}:5: tables and arrays nested deeper than 64 levels"
    ]
    # parsed, then found by the walk: located by its key path
    assert _problems_of(tmp_path, head + "metadata." + ".".join(["k"] * 70) + " = 1\n") == [
        f"{p}:5: models[0].metadata.k.k.k.…: tables and arrays nested deeper than 64 levels"
    ]
    ok = load_config(write_config(tmp_path / "ok.toml", [{**MODEL, "extra_body": {"a": {"b": {"c": [[1]]}}}}]))
    assert ok.models[0].extra_body == {"a": {"b": {"c": [[1]]}}}


def test_a_number_too_long_for_int_is_a_located_error(tmp_path: Path) -> None:
    problems = _problems_of(tmp_path, 'db = "x"\n\n[[models]]\nconcurrency = ' + "9" * 5000 + "\n")
    assert problems == [f"{tmp_path / 'judge.toml'}:4: invalid TOML: a number is far too long"]


def test_config_paths_that_are_not_regular_files(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    big = tmp_path / "big.toml"
    with big.open("wb") as f:
        f.truncate(2 * 1024**3)  # sparse: never read
    for path, message in [
        (folder, "is a directory, not a file"),
        (fifo, "is a pipe (FIFO), not a regular file"),
        (Path("/dev/zero"), "is a device, not a regular file"),
        (big, f"file is {2 * 1024**3} bytes, over the 1000000 limit"),
    ]:
        with pytest.raises(ConfigError) as e:
            load_config(path)
        assert e.value.problems == [f"{path}: {message}"]


def test_commands_that_run_models_need_one(tmp_path: Path) -> None:
    p = write_config(tmp_path / "judge.toml", [])
    cfg = load_config(p)  # loading is fine: import-answers and the reports need no [[models]]
    with pytest.raises(ConfigError) as e:
        cfg.select(None)
    assert e.value.problems == [f"{p}: models: no [[models]] in the config"]
    with pytest.raises(ConfigError, match="no \\[\\[models\\]\\]"):
        cfg.select(["a"])
