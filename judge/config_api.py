"""`[api]` of judge.toml: who may call `judge api`, and how much one caller may ask at once.

Kept apart from judge.config (which re-exports the class), following config_gate.py.

Tokens never appear in the file: either the NAME of an environment variable holding one
(`token_envs`), or a token's sha256 (`tokens = ["sha256:<64 hex>"]`, made with
`printf %s "$TOKEN" | sha256sum`). A file that is shared or committed then gives nothing away.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from pydantic import Field, field_validator

from judge.config_base import Strict
from judge.secrets import remember

__all__ = ["ApiConfig", "token_digest", "token_id", "verify"]

_HASH_RE = re.compile(r"sha256:[0-9a-f]{64}")
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def token_digest(token: str) -> str:
    """`sha256:<hex>` of a token: what `[api] tokens` lists."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_id(token: str) -> str:
    """A short, one-way name of a token for the database (batches and idempotency keys belong to it).

    Salted apart from `token_digest`, so a stored id is not a prefix of the configured hash.
    """
    return "t:" + hashlib.sha256(b"judge-api-token-id\0" + token.encode("utf-8")).hexdigest()[:16]


class ApiConfig(Strict):
    """`[api]`: settings of `judge api`, the HTTP grading service."""

    tokens: list[str] = Field(default_factory=list)
    """sha256 digests of accepted bearer tokens, each `sha256:<64 lowercase hex>` (never a token itself)."""
    token_envs: list[str] = Field(default_factory=lambda: ["JUDGE_API_TOKEN"])
    """Names of environment variables whose values are accepted bearer tokens (unset ones are skipped)."""
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000)
    """Largest request body; a bigger one is refused with 413 before it is read whole."""
    concurrency_per_token: int = Field(default=16, ge=1, le=10_000)
    """Requests one token may have in flight; one more is refused with 429 and Retry-After."""
    max_batch_items: int = Field(default=1000, ge=1, le=100_000)
    """Answers in one `POST /v1/batches`."""
    idle_close_seconds: float = Field(default=0.5, ge=0, le=3600)
    """The database is closed after this long without work, so `judge sql`/`judge report` can read it."""

    @field_validator("tokens")
    @classmethod
    def _hashed(cls, v: list[str]) -> list[str]:
        for i, t in enumerate(v):
            if not _HASH_RE.fullmatch(t):
                # Never quote the value: a wrong entry is most often the token itself, pasted here.
                raise ValueError(
                    f"entry {i} is not sha256:<64 lowercase hex digits>; put the token's hash here"
                    ' (printf %s "$TOKEN" | sha256sum), or the token in an environment variable named in token_envs'
                )
        return v

    @field_validator("token_envs")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not _ENV_RE.fullmatch(name) or len(name) > 64:
                raise ValueError("token_envs lists NAMES of environment variables, e.g. JUDGE_API_TOKEN")
        return v

    def accepted(self) -> set[str]:
        """Every accepted token's digest: the configured ones and those of the set variables."""
        out = set(self.tokens)
        for name in self.token_envs:
            value = os.environ.get(name)
            if value:
                out.add(token_digest(remember(value)))  # a token quoted back anywhere is redacted
        return out


def verify(token: str | None, accepted: set[str]) -> str | None:
    """The token's id when its digest is among `accepted`, else None (compared in constant time)."""
    if not token:
        return None
    digest = token_digest(token)
    if any(hmac.compare_digest(digest, d) for d in accepted):
        return token_id(token)
    return None
