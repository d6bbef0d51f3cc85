"""judge.toml -> Pydantic models. Paths resolve against the config file's folder; keys stay in the env."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from judge import config_jury as jury
from judge.config_api import ApiConfig
from judge.config_base import Strict
from judge.config_gate import GateConfig as GateConfig  # re-exported: [report.gate]
from judge.config_gate import ReportConfig
from judge.config_price import Price
from judge.config_text import MAX_DEPTH, deep_line, has_non_finite, locate, too_deep
from judge.config_thinking import ThinkingRetry
from judge.errors import ConfigError, EndpointError, problem
from judge.files import read_capped
from judge.keys import qualify, stable_hash
from judge.secrets import remember

DEFAULT_CONFIG = "judge.toml"
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.:@+\-]*$"
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_CONFIG_BYTES = 1_000_000
"""judge.toml is a few kilobytes; a bigger file (or a device) is refused before it is parsed."""
"""Tables and arrays nested deeper than this are refused (tomllib recurses, json.dumps too)."""


# Keys read from the environment are remembered by judge.secrets: servers and proxies sometimes
# quote the key back in an error body, which would then be stored and printed.
_remember_secret = remember


class GenParams(Strict):
    """Parameters sent to chat.completions. Server-specific ones (top_k, min_p, ...) go in extra_body."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)
    max_completion_tokens: int | None = Field(default=None, gt=0)
    seed: int | None = Field(default=None, ge=-(2**63), lt=2**63)  # what a server's int64 holds
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    stop: list[str] | str | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)

    def request_kwargs(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ServeSpec(Strict):
    """How `judge serve` starts this model's server (optional)."""

    engine: Literal["vllm", "llamacpp"]
    model: str
    """HF repo id or local folder for vLLM; for llama.cpp a GGUF path or an embedded model:
    `embedded:smollm2`, `embedded:qwen2.5-0.5b` or `embedded:qwen2.5-coder-1.5b` (see judge.serve.embedded)."""
    args: list[str] = Field(default_factory=list)
    family: Literal["auto", "gpt-oss", "qwen3", "qwen3-thinking", "plain"] = "auto"
    port: int | None = Field(default=None, ge=1, le=65535)
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("env")
    @classmethod
    def _env_names(cls, v: dict[str, str]) -> dict[str, str]:
        # The server's environment is built from these: a key with `=` or a NUL byte anywhere
        # makes the start fail with a traceback instead of a message.
        for key, value in v.items():
            if not ENV_NAME_RE.fullmatch(key):
                raise ValueError(f"{key!r} is not an environment variable name (letters, digits, _)")
            if "\0" in value:
                raise ValueError(f"the value of {key} contains a NUL byte")
        return v

    @field_validator("model", "args")
    @classmethod
    def _no_nul(cls, v: str | list[str]) -> str | list[str]:
        if any("\0" in a for a in ([v] if isinstance(v, str) else v)):
            raise ValueError("contains a NUL byte, which no command line can carry")
        return v


class ModelConfig(Strict):
    """One contestant (or judge) endpoint. The same endpoint under several names = variants."""

    name: str = Field(pattern=NAME_RE)
    base_url: str | list[str]
    """One URL, or several replicas of the same model served behind separate URLs (load balanced)."""
    model: str
    """The model id sent to the endpoint."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (never the key itself)."""
    params: GenParams = Field(default_factory=GenParams)
    extra_body: dict[str, Any] = Field(default_factory=dict)
    system_prompt: str | None = None
    concurrency: int = Field(default=8, ge=1, le=4096)
    """Maximum requests in flight per base_url."""
    timeout: float = Field(default=600.0, gt=0)
    """Seconds per request (the SDK default is 600)."""
    max_attempts: int = Field(default=6, ge=1, le=50)
    instructor_mode: Literal["json_schema", "tools", "json", "md_json"] = "json_schema"
    """How the judge asks this endpoint for structured output (json_schema works on vLLM and llama.cpp)."""
    quantization: str | None = None
    params_total: str | None = None
    params_active: str | None = None
    base_model: str | None = None
    """Variants of one base model (precision, effort, thinking) share this; the report compares them."""
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    serve: ServeSpec | None = None
    price: Price | None = None
    """Money per million tokens (`costs` view, report); never part of the identity."""

    @field_validator("base_url")
    @classmethod
    def _urls(cls, v: str | list[str]) -> str | list[str]:
        urls = [v] if isinstance(v, str) else v
        if not urls:
            raise ValueError("at least one base_url")
        for u in urls:
            _check_url(u)
        return v

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        # Never quote the value: when it is wrong it is most often the key itself, pasted here.
        if v is not None and (not ENV_NAME_RE.fullmatch(v) or _looks_like_key(v)):
            raise ValueError("api_key_env is the NAME of an environment variable, e.g. VLLM_API_KEY (not the key)")
        return v

    @field_validator("extra_body", "metadata")
    @classmethod
    def _finite(cls, v: dict[str, Any]) -> dict[str, Any]:
        # Sent as JSON or stored: Python would write NaN, which no JSON reader accepts.
        if has_non_finite(v):
            raise ValueError("contains nan or inf, which JSON cannot carry")
        return v

    @property
    def urls(self) -> list[str]:
        return [self.base_url] if isinstance(self.base_url, str) else list(self.base_url)

    def api_key(self) -> str:
        """The key from the environment; servers without auth get a placeholder."""
        if self.api_key_env is None:
            default = os.environ.get("JUDGE_DEFAULT_API_KEY")
            return _remember_secret(default) if default else "sk-no-key"
        key = os.environ.get(self.api_key_env)
        if not key:
            raise EndpointError(
                f"model {self.name!r}: environment variable {self.api_key_env} is not set",
                hints=[f"export {self.api_key_env}=..."],
            )
        return _remember_secret(key)

    def identity(self) -> dict[str, Any]:
        """What determines an answer (besides the prompt and sample): hashed into the work key.

        The URL, concurrency, timeout and metadata are left out: moving a model to another port or
        relabelling it must not make its answers stale.
        """
        return {
            "model": self.model,
            "params": self.params.request_kwargs(),
            "extra_body": self.extra_body,
            "system_prompt": self.system_prompt,
        }

    def content_variant(self) -> str:
        """The hash of `identity()` alone: what two entries with one model id and params share."""
        return stable_hash(self.identity())

    def variant(self) -> str:
        """This entry's variant: its content hash made private to its name (see `qualify`)."""
        return qualify(self.content_variant(), self.name)


class JudgeConfig(Strict):
    model: str | ModelConfig = "judge"
    """A [[models]] name, or an endpoint table of its own."""
    models: list[str | ModelConfig] | None = Field(default=None, min_length=1)
    """A jury instead of `model`: [[models]] names or endpoint tables; each judge grades everything."""
    consensus: Literal["mean", "median", "majority"] = "mean"
    """How the report combines a jury's scores of one answer and criterion (majority: ties toward the median)."""
    rubrics: list[str] = Field(
        default_factory=lambda: [
            "rubrics/reasoning_depth.yaml",
            "rubrics/russian_fluency.yaml",
            "rubrics/english_fluency.yaml",
        ]
    )
    mode: Literal["single", "pairwise", "both"] = "single"
    prompts_dir: str | None = None
    rationale_max_chars: int = Field(default=300, ge=20, le=4000)
    logprobs: bool = True
    """Ask for top logprobs to compute probability-weighted scores (ignored where unsupported)."""
    concurrency: int | None = Field(default=None, ge=1)
    checks: bool = True
    """Run the deterministic checks (check:answer, check:language)."""
    thinking_retry: ThinkingRetry = Field(default_factory=ThinkingRetry)
    """A verdict whose judge spent its budget on reasoning: re-asked once with a larger budget or lower effort."""


class Config(Strict):
    db: str = "judge.duckdb"
    dataset: str = "datasets/seed.jsonl"
    models: list[ModelConfig] = Field(default_factory=list)
    judge: JudgeConfig | None = None
    report: ReportConfig = Field(default_factory=ReportConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    base_dir: Path = Field(default=Path("."), exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_names(self, info: ValidationInfo) -> Config:
        if info.context and info.context.get(_DEFER):
            return self  # load_config reports these with their lines
        issues = _cross_issues(self)
        if issues:
            raise ValueError("; ".join(msg for _, msg in issues))
        return self

    def resolve(self, p: str | Path) -> Path:
        p = Path(p)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def db_path(self) -> Path:
        return self.resolve(self.db)

    def select(self, names: list[str] | None) -> list[ModelConfig]:
        """The [[models]] entries named (all when `names` is empty); every command that runs models
        comes here, so a config without any is reported here rather than doing nothing."""
        if not self.models:
            raise ConfigError(
                [problem(self.path or DEFAULT_CONFIG, None, "models", "no [[models]] in the config")],
                hints=["add a [[models]] table with name, base_url and model (see `judge init`)"],
            )
        if not names:
            return list(self.models)
        by = {m.name: m for m in self.models}
        unknown = [n for n in names if n not in by]
        if unknown:
            raise ConfigError([f"--models: unknown model {u!r} (known: {', '.join(by) or 'none'})" for u in unknown])
        return [by[n] for n in names]

    def judge_model(self) -> ModelConfig:
        """The first judge (the only one without a jury)."""
        return self.judge_models()[0]

    def judge_models(self) -> list[ModelConfig]:
        """Every judge: `[judge] models` (a jury), else the one `[judge] model`."""
        if self.judge is None:
            raise ConfigError([problem(self.path or DEFAULT_CONFIG, None, "judge", "no [judge] table in the config")])
        return jury.judge_models(self)


_DEFER = "defer_cross_checks"


def _check_url(url: str) -> None:
    """Raise ValueError unless `url` is a plain http(s) URL with a host.

    Why each rule: a CR or LF would be sent as part of a request line (header injection); a
    `user:password@` would be stored in the database and printed in reports (keys belong in the
    environment, see api_key_env); any other scheme or a missing host fails only at the first call.
    A URL that may hold a password is never quoted back.
    """
    if "@" in url:
        raise ValueError(
            "base_url must not hold a user name or password (user:password@host); "
            "put the key in an environment variable and name it in api_key_env"
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ValueError(f"base_url contains whitespace or a control character: {url!r}")
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # `host:99999`, `host:abc`
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError(f"not an http(s) URL: {url!r}")


def _looks_like_key(value: str) -> bool:
    """A NAME-shaped value that is more likely an API key (`hf_AbC...`, 32 hex digits) than a name.

    Variable names are short words joined by `_`; keys are long runs of mixed-case letters and
    digits. A real name this refuses can be renamed; a key this let through would be printed.
    """
    if len(value) > 64:
        return True
    digits = sum(ch.isdigit() for ch in value)
    mixed = any(ch.islower() for ch in value) and any(ch.isupper() for ch in value)
    return len(value) >= 20 and digits >= 2 and (mixed or "_" not in value)


def _cross_issues(cfg: Config) -> list[tuple[tuple[Any, ...], str]]:
    """Checks across fields, each with the path of the field to blame."""
    out: list[tuple[tuple[Any, ...], str]] = []
    seen: dict[str, int] = {}
    for i, m in enumerate(cfg.models):
        if m.name in seen:
            out.append((("models", i, "name"), f"duplicate model name {m.name!r} (also models[{seen[m.name]}])"))
        else:
            seen[m.name] = i
    out += jury.jury_issues(cfg, seen)
    return out


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "(top)"


def file_problem(cfg: Config, loc: tuple[Any, ...], path: Path, what: str) -> str:
    """`judge.toml:LINE: field: <what> not found: PATH` for a file named in the config."""
    line = None
    if cfg.path is not None and Path(cfg.path).is_file():
        line = locate(Path(cfg.path).read_bytes().decode("utf-8-sig", "replace"), loc)
    return problem(cfg.path or DEFAULT_CONFIG, line, _field(loc), f"{what} not found: {path}")


_DEEP_MSG = f"tables and arrays nested deeper than {MAX_DEPTH} levels"


def load_config(path: str | Path | None = None) -> Config:
    """Read judge.toml; every problem becomes `file:line: field: message` in one ConfigError."""
    path = Path(path or DEFAULT_CONFIG)
    if not path.exists():
        raise ConfigError(
            [problem(path, None, None, "config file not found")],
            hints=["create one with `judge init DIR`, or pass --config FILE"],
        )
    raw = read_capped(path, ConfigError, MAX_CONFIG_BYTES)  # not a directory, device or FIFO
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as e:
        raise ConfigError([problem(path, None, None, f"not UTF-8: {e.reason}")]) from e
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise ConfigError([problem(path, line, None, f"invalid TOML: {msg}")]) from e
    except ValueError as e:  # int() refuses a number of over 4,300 digits, without a position
        long = re.search(r"\d{4000,}", text)
        line = text.count("\n", 0, long.start()) + 1 if long else None
        raise ConfigError([problem(path, line, None, "invalid TOML: a number is far too long")]) from e
    except RecursionError:  # tomllib recurses per nested inline array or table
        deep: tuple[Any, ...] | None = ()
    else:
        deep = too_deep(data)
    if deep is not None:
        line = locate(text, deep) if deep else deep_line(text)
        shown = _field(deep[:6]) + (".…" if len(deep) > 6 else "") if deep else None
        raise ConfigError([problem(path, line, shown, _DEEP_MSG)])
    try:
        cfg = Config.model_validate(data, context={_DEFER: True})
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            problems.append(problem(path, locate(text, loc), _field(loc), err["msg"]))
        raise ConfigError(problems) from e
    cross = _cross_issues(cfg)
    if cross:
        raise ConfigError([problem(path, locate(text, loc), _field(loc), msg) for loc, msg in cross])
    cfg.base_dir = path.resolve().parent
    cfg.path = path
    return cfg
