"""judge.toml -> Pydantic models. Paths resolve against the config file's folder; keys stay in the env."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from judge.errors import ConfigError, EndpointError, problem

DEFAULT_CONFIG = "judge.toml"
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.:@+\-]*$"


# Keys read from the environment by this process. Servers and proxies sometimes quote the key back
# in an error body, which would then be stored and printed: `redact` takes them out of such text.
_SECRETS: set[str] = set()
_MIN_SECRET_LEN = 8  # a placeholder such as "x" is no secret, and redacting it would mangle text


def _remember_secret(key: str) -> str:
    if len(key) >= _MIN_SECRET_LEN:
        _SECRETS.add(key)
    return key


def redact(text: str) -> str:
    """`text` with every API key this process read from the environment replaced by `***`."""
    for key in _SECRETS:
        if key in text:
            text = text.replace(key, "***")
    return text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenParams(Strict):
    """Parameters sent to chat.completions. Server-specific ones (top_k, min_p, ...) go in extra_body."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)
    max_completion_tokens: int | None = Field(default=None, gt=0)
    seed: int | None = None
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
    """HF repo id or local folder for vLLM; a GGUF path or `embedded:smollm2|qwen2.5-0.5b` for llama.cpp."""
    args: list[str] = Field(default_factory=list)
    family: Literal["auto", "gpt-oss", "qwen3", "qwen3-thinking", "plain"] = "auto"
    port: int | None = None
    env: dict[str, str] = Field(default_factory=dict)


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

    @field_validator("base_url")
    @classmethod
    def _urls(cls, v: str | list[str]) -> str | list[str]:
        urls = [v] if isinstance(v, str) else v
        if not urls:
            raise ValueError("at least one base_url")
        for u in urls:
            if not re.match(r"^https?://[^\s/]+", u):
                raise ValueError(f"not an http(s) URL: {u!r}")
        return v

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v):
            raise ValueError("api_key_env is the NAME of an environment variable, e.g. VLLM_API_KEY (not the key)")
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
    rubrics: list[str] = Field(default_factory=lambda: ["rubrics/reasoning_depth.yaml", "rubrics/russian_fluency.yaml"])
    mode: Literal["single", "pairwise", "both"] = "single"
    prompts_dir: str | None = None
    rationale_max_chars: int = Field(default=300, ge=20, le=4000)
    logprobs: bool = True
    """Ask for top logprobs to compute probability-weighted scores (ignored where unsupported)."""
    concurrency: int | None = Field(default=None, ge=1)
    checks: bool = True
    """Run the deterministic checks (check:answer, check:language)."""


class Config(Strict):
    db: str = "judge.duckdb"
    dataset: str = "datasets/seed.jsonl"
    models: list[ModelConfig] = Field(default_factory=list)
    judge: JudgeConfig | None = None
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
        if not names:
            return list(self.models)
        by = {m.name: m for m in self.models}
        unknown = [n for n in names if n not in by]
        if unknown:
            raise ConfigError([f"--models: unknown model {u!r} (known: {', '.join(by) or 'none'})" for u in unknown])
        return [by[n] for n in names]

    def judge_model(self) -> ModelConfig:
        if self.judge is None:
            raise ConfigError([problem(self.path or DEFAULT_CONFIG, None, "judge", "no [judge] table in the config")])
        if isinstance(self.judge.model, ModelConfig):
            return self.judge.model
        return next(m for m in self.models if m.name == self.judge.model)


_DEFER = "defer_cross_checks"


def _cross_issues(cfg: Config) -> list[tuple[tuple[Any, ...], str]]:
    """Checks across fields, each with the path of the field to blame."""
    out: list[tuple[tuple[Any, ...], str]] = []
    seen: dict[str, int] = {}
    for i, m in enumerate(cfg.models):
        if m.name in seen:
            out.append((("models", i, "name"), f"duplicate model name {m.name!r} (also models[{seen[m.name]}])"))
        else:
            seen[m.name] = i
    if cfg.judge is not None and isinstance(cfg.judge.model, str) and cfg.judge.model not in seen:
        out.append(
            (
                ("judge", "model"),
                f"judge.model {cfg.judge.model!r} is not a [[models]] name (known: {', '.join(seen) or 'none'})",
            )
        )
    return out


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "(top)"


def file_problem(cfg: Config, loc: tuple[Any, ...], path: Path, what: str) -> str:
    """`judge.toml:LINE: field: <what> not found: PATH` for a file named in the config."""
    line = None
    if cfg.path is not None and Path(cfg.path).is_file():
        line = _locate(Path(cfg.path).read_bytes().decode("utf-8-sig", "replace"), loc)
    return problem(cfg.path or DEFAULT_CONFIG, line, _field(loc), f"{what} not found: {path}")


def stable_hash(obj: Any, prefix: str = "h1") -> str:
    """A content hash tagged with its scheme, so a later change of scheme is detectable."""
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"{prefix}:" + hashlib.sha256(data.encode()).hexdigest()[:24]


def qualify(key: str, name: str) -> str:
    """A content key made private to one `[[models]]` entry (or a pair of them).

    Why: two entries with the same model id and parameters on two servers (a BF16 and an FP8 build
    served under one name) produce different answers, so their work keys must differ; the URL
    cannot be the difference, since moving a server must keep its answers. The entry's name is.
    The key is wrapped rather than recomputed so that migration m003 can re-key a database
    written before this scheme from its stored keys alone (the formula is frozen there too).
    """
    return stable_hash({"key": key, "name": name}, prefix="h2")


def _locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of a validation error path in TOML text (tomllib keeps no positions)."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    i = 0
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(loc[0], str):
        header = re.compile(rf"^\s*\[\[\s*{re.escape(loc[0])}\s*\]\]")
        hits = [n for n, ln in enumerate(lines) if header.match(ln)]
        if loc[1] < len(hits):
            start = hits[loc[1]]
            nxt = [n for n, ln in enumerate(lines) if n > start and re.match(r"^\s*\[", ln)]
            end = nxt[0] if nxt else len(lines)
            i = 2
    elif loc and isinstance(loc[0], str):
        header = re.compile(rf"^\s*\[\s*{re.escape(loc[0])}\s*\]")
        hits = [n for n, ln in enumerate(lines) if header.match(ln)]
        if hits:
            start = hits[0]
            nxt = [n for n, ln in enumerate(lines) if n > start and re.match(r"^\s*\[", ln)]
            end = nxt[0] if nxt else len(lines)
            i = 1
    found: int | None = start + 1 if i else None
    for key in loc[i:]:
        if not isinstance(key, str):
            continue
        pat = re.compile(rf"(^|[\s{{,])\"?{re.escape(key)}\"?\s*=")
        for n in range(start, end):
            if pat.search(lines[n]):
                found, start = n + 1, n
                break
    return found


def load_config(path: str | Path | None = None) -> Config:
    """Read judge.toml; every problem becomes `file:line: field: message` in one ConfigError."""
    path = Path(path or DEFAULT_CONFIG)
    if not path.exists():
        raise ConfigError(
            [problem(path, None, None, "config file not found")],
            hints=["create one with `judge init DIR`, or pass --config FILE"],
        )
    raw = path.read_bytes()
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
    try:
        cfg = Config.model_validate(data, context={_DEFER: True})
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            problems.append(problem(path, _locate(text, loc), _field(loc), err["msg"]))
        raise ConfigError(problems) from e
    cross = _cross_issues(cfg)
    if cross:
        raise ConfigError([problem(path, _locate(text, loc), _field(loc), msg) for loc, msg in cross])
    cfg.base_dir = path.resolve().parent
    cfg.path = path
    return cfg
