"""Supervising the local model servers: start detached, stop, status, run in the foreground.

State lives in `<state_dir>/<name>.json` with the log beside it; a model whose endpoint already
answers is not started again, and a stop only ever signals a process group we started.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from judge.config import Config
from judge.errors import EndpointError, EngineMissingError
from judge.serve.embedded import cache_dir, wait_ready

from .commands import TIMEOUT, ServeCommand, plan
from .engines import _engine_missing, check_engine


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


def start(
    cfg: Config, names: list[str] | None = None, *, state_dir: Path | str | None = None, timeout: float | None = None
) -> list[RunningServer]:
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


def _start_one(cmd: ServeCommand, sdir: Path, timeout: float | None, launched: list[RunningServer]) -> RunningServer:
    state_file = sdir / f"{cmd.name}.json"
    log = sdir / f"{cmd.name}.log"
    wait = timeout if timeout is not None else TIMEOUT[cmd.engine]
    state = _read_state(state_file) if state_file.exists() else None
    if state is not None:
        if _is_ours(state):  # ours, maybe still loading: wait for it rather than start a second one
            wait_ready(state["base_url"], None, wait, Path(state["log"]) if state.get("log") else None)
            return RunningServer(
                cmd.name,
                state.get("names", cmd.names),
                cmd.engine,
                cmd.served_model,
                int(state["port"]),
                state["base_url"],
                int(state["pid"]),
                state.get("log"),
                False,
                str(state_file),
            )
        state_file.unlink(missing_ok=True)  # stale
    kind, ids = _probe(cmd)
    if kind == "ours":
        return RunningServer(
            cmd.name, cmd.names, cmd.engine, cmd.served_model, cmd.port, cmd.base_url, None, None, False, None
        )
    if kind == "other-model":
        raise EndpointError(
            f"model {cmd.name!r}: port {cmd.port} already serves {', '.join(ids) or 'no model'}, "
            f"not {cmd.served_model!r}",
            hints=["stop that server, or give this model another port (base_url or serve.port)"],
        )
    if kind == "busy":
        raise EndpointError(
            f"model {cmd.name!r}: port {cmd.port} is in use by a program that is not an OpenAI-compatible model server",
            hints=[f"see what holds it: ss -ltnp 'sport = :{cmd.port}'", "or choose another port"],
        )
    check_engine(cmd)
    env = {**os.environ, **cmd.env}
    missing: EngineMissingError | None = None
    with log.open("wb") as logf:
        try:
            proc = subprocess.Popen(
                cmd.argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as e:  # removed since the check, or a loader it cannot see
            missing = _engine_missing(cmd, f"cannot run {cmd.argv[0]}: {e.strerror}")
    if missing is not None:
        log.unlink(missing_ok=True)  # empty: nothing ran
        raise missing
    _CHILDREN[proc.pid] = proc
    running = RunningServer(
        cmd.name,
        cmd.names,
        cmd.engine,
        cmd.served_model,
        cmd.port,
        cmd.base_url,
        proc.pid,
        str(log),
        True,
        str(state_file),
    )
    launched.append(running)
    tmp = state_file.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps(
            {
                **asdict(running),
                "pgid": proc.pid,
                "argv": cmd.argv,
                "start_time": _start_time(proc.pid),
                "started_at": time.time(),
            },
            indent=2,
        )
    )
    os.replace(tmp, state_file)
    try:
        wait_ready(cmd.base_url, proc, wait, log)
    except EndpointError as e:
        hints = list(e.hints)
        if cmd.engine == "vllm" and "No module named" in _log_tail(log):
            hints.append(
                "vLLM is not installed for this interpreter: run scripts/setup_vllm_cpu.sh (CPU) "
                "or pip install vllm, or set JUDGE_VLLM_PYTHON"
            )
        raise EndpointError(f"model {cmd.name!r}: {e.message}", hints=hints + [f"log: {log}"]) from None
    return running


def stop(state_dir: Path | str | None = None, *, names: list[str] | None = None, timeout: float = 30.0) -> list[str]:
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
        out.append(
            ServerStatus(
                path.stem,
                int(state.get("pid") or 0),
                int(state["port"]),
                state["base_url"],
                alive,
                ready,
                state.get("log"),
                str(path),
            )
        )
    return out


def foreground(
    cfg: Config,
    names: list[str] | None = None,
    *,
    state_dir: Path | str | None = None,
    timeout: float | None = None,
    on_ready: Callable[[list[RunningServer]], None] | None = None,
) -> list[RunningServer]:
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
                    raise EndpointError(
                        f"model {s.name!r}: the server exited\n{_log_tail(s.log)}", hints=[f"log: {s.log}"]
                    )
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
