"""Starting `judge ui`: the bind rule (loopback, or a token), the schema upgrade, uvicorn."""

from __future__ import annotations

import os

from judge.config import Config
from judge.errors import ConfigError, JudgeError

from .security import TOKEN_ENV, is_loopback

MIN_TOKEN = 16
"""Characters an access token needs at least (it is all that guards a non-loopback bind)."""


def require_web_extra() -> None:
    """Raise a clear error when FastAPI or uvicorn (the `web` extra) is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise JudgeError(
            f"judge ui needs the web extra ({e.name} is not installed)",
            hints=["pip install 'judge[web]'"],
        ) from e


def resolve_token(token: str | None, host: str) -> str | None:
    """The access token (option, else JUDGE_UI_TOKEN); refuse a non-loopback bind without one."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_TOKEN:
        raise ConfigError(
            [f"--token: at least {MIN_TOKEN} characters (python -c 'import secrets; print(secrets.token_urlsafe())')"]
        )
    if token is None and not is_loopback(host):
        raise ConfigError(
            [
                f"--host {host}: not a loopback address; a page reachable from other machines needs --token or {TOKEN_ENV}"
            ],
            hints=["bind to 127.0.0.1 (the default) and use an SSH tunnel, or give a token"],
        )
    return token


def upgrade_schema(cfg: Config) -> None:
    """Apply pending migrations once at start when the database is free (pages read copies that must
    carry the current schema); a busy database is left alone."""
    from judge.store.snapshot import try_writing

    if cfg.db_path.exists():
        try_writing(cfg.db_path, lambda store: None)


def run_ui(cfg: Config, *, host: str, port: int, token: str | None) -> None:
    """Serve the page until Ctrl-C."""
    require_web_extra()
    token = resolve_token(token, host)
    upgrade_schema(cfg)
    import uvicorn

    from .app import create_app

    uvicorn.run(create_app(cfg, token=token), host=host, port=port, log_level="warning", access_log=False)
