"""Start the local model servers that judge.toml describes (`serve = {engine = "vllm" | "llamacpp", ...}`).

Library functions; the CLI (`judge serve`) is a thin wrapper:

- `serve_command(m)` -> the argv/env/port of one model's server (pure: nothing is started).
- `dry_run(cfg)` -> the shell command lines, one per server (the GPU recipes are testable on a CPU).
- `start(cfg)` -> servers started detached, state in `<state_dir>/<name>.json`, logs beside it.
- `stop()`, `status()`, `foreground()` (start, block until Ctrl-C, stop).

Config entries that share one endpoint (variants: the same port and model id with different
generation params) are served by ONE server. A model whose endpoint already answers is not started
again. vLLM runs from `$JUDGE_VLLM_PYTHON`, else `<repo>/.vllm-venv/bin/python` (made by
`scripts/setup_vllm_cpu.sh`), else this interpreter; a CPU-only vLLM (`vllm-cpu` distribution, or
`JUDGE_VLLM_CPU=1`) gets the module entry point, `--enforce-eager` and the CPU environment.
"""

from __future__ import annotations

import glob
import importlib.metadata
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import urlsplit

from .config import Config, ModelConfig
from .embedded import EMBEDDED, LlamaCppServer, cache_dir, model_path, wait_ready
from .errors import ConfigError, EndpointError

REPO = Path(__file__).resolve().parent.parent

Family = Literal["gpt-oss", "qwen3", "qwen3-thinking", "plain"]
REASONING_PARSER: dict[str, str | None] = {
    "gpt-oss": "openai_gptoss",
    "qwen3": "qwen3",  # hybrid Qwen3 (thinks by default, <think>...</think>)
    "qwen3-thinking": "deepseek_r1",  # Qwen3 *-Thinking-2507: the template opens <think> itself
    "plain": None,
}
# Measured (shared/LOCAL_MODEL.md): stops the JSON whitespace runaways of judges under xgrammar.
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


@dataclass
class RunningServer:
    name: str
    names: list[str]
    engine: str
    served_model: str
    port: int
    base_url: str
    pid: int | None
    """None when the endpoint already answered and nothing was started."""
    log: str | None
    started: bool
    """True when this call launched it."""
    state_file: str | None = None


@dataclass
class ServerStatus:
    name: str
    pid: int
    port: int
    base_url: str
    alive: bool
    ready: bool
    log: str | None
    state_file: str


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
        raise ConfigError([f"model {m.name!r}: base_url {m.urls[0]!r} has no port, so `judge serve` "
                           "does not know where to start the server"],
                          hints=["put the port in base_url (http://127.0.0.1:8000/v1) or set serve.port"])
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
    for c in cpus[1:] + [None]:  # type: ignore[list-item]
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
    for bad, hint in (("--port", "set serve.port (or the port of base_url) instead"),
                      ("--model", "set serve.model instead")):
        if _has(args, bad):
            raise ConfigError([f"model {m.name!r}: serve.args must not contain {bad}: {hint}"])
    given = _value(args, "--served-model-name")
    if given is not None and given != m.model:
        raise ConfigError([f"model {m.name!r}: serve.args has --served-model-name {given!r} but requests "
                           f"send model = {m.model!r}; drop it (judge sets it to the config's model id)"])
    family = s.family if s.family != "auto" else detect_family(s.model)
    if family not in REASONING_PARSER:
        raise ConfigError([f"model {m.name!r}: unknown serve.family {family!r} "
                           f"(known: auto, {', '.join(REASONING_PARSER)})"])
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
        env = {"HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": _cpu_bind(),
               "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
        iomp = _venv_of(python) / "lib" / "libiomp5.so"
        if iomp.exists():
            env["LD_PRELOAD"] = str(iomp)
    env.update(s.env)
    return ServeCommand(argv, env, port, "vllm", m.name, m.model, host, [m.name])


def _llamacpp_options(m: ModelConfig) -> dict[str, int]:
    assert m.serve is not None
    names = {"--parallel": "n_parallel", "--ctx-per-slot": "ctx_per_slot", "--threads": "threads"}
    out: dict[str, int] = {}
    args = list(m.serve.args)
    i = 0
    while i < len(args):
        a = args[i]
        f, _, v = a.partition("=")
        f = f.replace("_", "-")
        if f not in names:
            raise ConfigError([f"model {m.name!r}: serve.args {a!r} is not an option of the embedded llama.cpp "
                               f"server (known: {', '.join(names)})"])
        if not v:
            i += 1
            v = args[i] if i < len(args) else ""
        try:
            out[names[f]] = int(v)
        except ValueError:
            raise ConfigError([f"model {m.name!r}: serve.args {f} needs a whole number, got {v!r}"]) from None
        i += 1
    return out


def _llamacpp_command(m: ModelConfig, port: int, base_dir: Path | None, resolve: bool) -> ServeCommand:
    assert m.serve is not None
    ref = m.serve.model
    if ref.startswith("embedded:"):
        key = ref.split(":", 1)[1]
        if key not in EMBEDDED:
            raise ConfigError([f"model {m.name!r}: serve.model {ref!r}: unknown embedded model "
                               f"(known: {', '.join('embedded:' + k for k in EMBEDDED)})"])
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
        raise ConfigError([f"model {m.name!r} has no `serve` table, so judge does not know how to start it"],
                          hints=['add e.g. serve = {engine = "vllm", model = "Qwen/Qwen3-30B-A3B"} to its [[models]] entry'])
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
        raise ConfigError([f"{cfg.path or 'judge.toml'}: no [[models]] entry has a `serve` table"],
                          hints=['add serve = {engine = "vllm", model = "..."} (or engine = "llamacpp") to a model'])
    wanted: list[ModelConfig] = []
    for m in selected:
        if m.serve is not None:
            wanted.append(m)
            continue
        if names is None:
            continue
        sibling = next((o for o in serving if o.model == m.model and _same_endpoint(o, m)), None)
        if sibling is None:
            raise ConfigError([f"model {m.name!r} has no `serve` table (and no variant on {m.urls[0]} has one)"],
                              hints=['add e.g. serve = {engine = "vllm", model = "..."} to its [[models]] entry'])
        wanted.append(sibling)
    by_port: dict[int, ServeCommand] = {}
    out: list[ServeCommand] = []
    for m in wanted:
        cmd = serve_command(m, base_dir=cfg.base_dir, resolve=resolve)
        prev = by_port.get(cmd.port)
        if prev is None:
            cmd.names = [m.name] + [o.name for o in cfg.models
                                    if o is not m and o.model == m.model and o.serve is None and _same_endpoint(o, m)]
            by_port[cmd.port] = cmd
            out.append(cmd)
            continue
        if m.name in prev.names:
            continue
        if (prev.argv, prev.env) != (cmd.argv, cmd.env):
            raise ConfigError([f"models {prev.name!r} and {m.name!r} both serve port {cmd.port} but with "
                               "different serve settings; variants of one endpoint need the same `serve` table "
                               "(or give one a different port)"])
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


# --------------------------------------------------------------------------------------------
# processes

_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""Servers this process launched: polled so that stop() reaps them (no zombies in long test runs)."""


def _state_dir(state_dir: Path | str | None) -> Path:
    return Path(state_dir) if state_dir is not None else cache_dir() / "serve"


def _get_json(url: str, timeout: float = 2.0) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    with opener.open(url, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8", "replace"))


def _probe(cmd: ServeCommand) -> tuple[str, list[str]]:
    """("free" | "ours" | "other-model" | "busy", model ids) for the command's port."""
    import socket

    host = urlsplit(cmd.base_url).hostname or "127.0.0.1"
    try:
        with socket.create_connection((host, cmd.port), timeout=1):
            pass
    except OSError:
        return "free", []
    try:
        data = _get_json(cmd.base_url + "/models")
        ids = [str(d.get("id")) for d in data.get("data", []) if isinstance(d, dict)]
    except (OSError, ValueError, AttributeError):
        return "busy", []
    return ("ours" if cmd.served_model in ids else "other-model"), ids


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still answers kill(0)
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except (OSError, IndexError):
        pass
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg(0) also succeeds while only zombies are left: look for a live member
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return not os.path.isdir("/proc/self")  # no /proc: trust killpg


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _is_ours(state: dict[str, Any]) -> bool:
    """The recorded pid is still the process we started, as a group leader (guards against pid reuse;
    vLLM renames its processes, so the start time is compared, not the command line)."""
    pid = int(state.get("pid") or 0)
    if pid <= 0 or not _alive(pid):
        return False
    try:
        if os.getpgid(pid) != pid:
            return False
    except ProcessLookupError:
        return False
    recorded, now = state.get("start_time"), _start_time(pid)
    return recorded is None or now is None or int(recorded) == now


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _log_tail(log: Path | str | None, n: int = 2000) -> str:
    if not log or not Path(log).exists():
        return ""
    return Path(log).read_text(errors="replace")[-n:]


def _terminate(pgid: int, timeout: float) -> None:
    """SIGTERM the process group, wait, SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            child = _CHILDREN.get(pgid)
            if child is not None:
                child.poll()  # reap the leader if it is ours
            if not _group_alive(pgid):
                break
            time.sleep(0.2)
        else:
            continue
        break
    child = _CHILDREN.pop(pgid, None)
    if child is not None:
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            pass


def start(cfg: Config, names: list[str] | None = None, *, state_dir: Path | str | None = None,
          timeout: float | None = None) -> list[RunningServer]:
    """Start each endpoint's server detached; return when all answer /v1/models.

    A server whose endpoint already answers with the right model id is skipped (started=False).
    If one fails, the servers this call launched are stopped again and the error is raised.
    """
    cmds = plan(cfg, names)
    sdir = _state_dir(state_dir)
    sdir.mkdir(parents=True, exist_ok=True)
    launched: list[RunningServer] = []
    out: list[RunningServer] = []
    try:
        for cmd in cmds:
            out.append(_start_one(cmd, sdir, timeout, launched))
    except BaseException:
        if launched:
            stop(sdir, names=[r.name for r in launched])
        raise
    return out


def _start_one(cmd: ServeCommand, sdir: Path, timeout: float | None,
               launched: list[RunningServer]) -> RunningServer:
    state_file = sdir / f"{cmd.name}.json"
    log = sdir / f"{cmd.name}.log"
    wait = timeout if timeout is not None else TIMEOUT[cmd.engine]
    state = _read_state(state_file) if state_file.exists() else None
    if state is not None:
        if _is_ours(state):  # ours, maybe still loading: wait for it rather than start a second one
            wait_ready(state["base_url"], None, wait, Path(state["log"]) if state.get("log") else None)
            return RunningServer(cmd.name, state.get("names", cmd.names), cmd.engine, cmd.served_model,
                                 int(state["port"]), state["base_url"], int(state["pid"]), state.get("log"),
                                 False, str(state_file))
        state_file.unlink(missing_ok=True)  # stale
    kind, ids = _probe(cmd)
    if kind == "ours":
        return RunningServer(cmd.name, cmd.names, cmd.engine, cmd.served_model, cmd.port, cmd.base_url,
                             None, None, False, None)
    if kind == "other-model":
        raise EndpointError(f"model {cmd.name!r}: port {cmd.port} already serves {', '.join(ids) or 'no model'}, "
                            f"not {cmd.served_model!r}",
                            hints=["stop that server, or give this model another port (base_url or serve.port)"])
    if kind == "busy":
        raise EndpointError(f"model {cmd.name!r}: port {cmd.port} is in use by a program that is not an "
                            "OpenAI-compatible model server",
                            hints=[f"see what holds it: ss -ltnp 'sport = :{cmd.port}'", "or choose another port"])
    env = {**os.environ, **cmd.env}
    with log.open("wb") as logf:
        proc = subprocess.Popen(cmd.argv, env=env, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                start_new_session=True)
    _CHILDREN[proc.pid] = proc
    running = RunningServer(cmd.name, cmd.names, cmd.engine, cmd.served_model, cmd.port, cmd.base_url,
                            proc.pid, str(log), True, str(state_file))
    launched.append(running)
    tmp = state_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({**asdict(running), "pgid": proc.pid, "argv": cmd.argv,
                               "start_time": _start_time(proc.pid), "started_at": time.time()}, indent=2))
    os.replace(tmp, state_file)
    try:
        wait_ready(cmd.base_url, proc, wait, log)
    except EndpointError as e:
        hints = list(e.hints)
        if cmd.engine == "vllm" and "No module named" in _log_tail(log):
            hints.append("vLLM is not installed for this interpreter: run scripts/setup_vllm_cpu.sh (CPU) "
                         "or pip install vllm, or set JUDGE_VLLM_PYTHON")
        raise EndpointError(f"model {cmd.name!r}: {e.message}", hints=hints + [f"log: {log}"]) from None
    return running


def stop(state_dir: Path | str | None = None, *, names: list[str] | None = None,
         timeout: float = 30.0) -> list[str]:
    """Stop the servers recorded in the state folder (all, or those named); return their names."""
    sdir = _state_dir(state_dir)
    stopped: list[str] = []
    if not sdir.is_dir():
        return stopped
    for path in sorted(sdir.glob("*.json")):
        name = path.stem
        if names is not None and name not in names:
            continue
        state = _read_state(path)
        if state is not None and _is_ours(state):
            _terminate(int(state.get("pgid") or state["pid"]), timeout)
            stopped.append(name)
        path.unlink(missing_ok=True)
    return stopped


def status(state_dir: Path | str | None = None) -> list[ServerStatus]:
    """The recorded servers: is the process alive, does /v1/models answer."""
    sdir = _state_dir(state_dir)
    out: list[ServerStatus] = []
    for path in sorted(sdir.glob("*.json")) if sdir.is_dir() else []:
        state = _read_state(path)
        if state is None:
            continue
        alive = _is_ours(state)
        ready = False
        if alive:
            try:
                _get_json(state["base_url"] + "/models")
                ready = True
            except (OSError, ValueError):
                pass
        out.append(ServerStatus(path.stem, int(state.get("pid") or 0), int(state["port"]), state["base_url"],
                                alive, ready, state.get("log"), str(path)))
    return out


def foreground(cfg: Config, names: list[str] | None = None, *, state_dir: Path | str | None = None,
               timeout: float | None = None,
               on_ready: Callable[[list[RunningServer]], None] | None = None) -> list[RunningServer]:
    """Start the servers, call on_ready, block until Ctrl-C/SIGTERM (or a server dies), stop those
    this call started. Servers that were already running are left alone."""
    sdir = _state_dir(state_dir)
    previous = None
    import threading

    if threading.current_thread() is threading.main_thread():
        def _term(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _term)
    servers: list[RunningServer] = []
    try:
        servers = start(cfg, names, state_dir=sdir, timeout=timeout)
        if on_ready is not None:
            on_ready(servers)
        ours = [s for s in servers if s.started and s.pid is not None]
        while True:
            for s in ours:
                if not _alive(s.pid):  # type: ignore[arg-type]
                    raise EndpointError(f"model {s.name!r}: the server exited\n{_log_tail(s.log)}",
                                        hints=[f"log: {s.log}"])
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        mine = [s.name for s in servers if s.started]
        if mine:
            stop(sdir, names=mine)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return servers


__all__ = ["ServeCommand", "RunningServer", "ServerStatus", "detect_family", "serve_command", "plan", "dry_run",
           "start", "stop", "status", "foreground", "vllm_python", "vllm_is_cpu", "REASONING_PARSER",
           "STRUCTURED_OUTPUTS"]
