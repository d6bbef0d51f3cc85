"""`judge api`: the grading service over HTTP (needs the `web` extra)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from judge.errors import ConfigError, JudgeError

from .app import ConfigOpt, app, err


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command()
def api(
    config: ConfigOpt = Path("judge.toml"),
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback requires a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8766,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log one line per request.")] = False,
) -> None:
    """Serve grading over HTTP: POST /v1/grade, /v1/compare, /v1/batches; docs at /docs, schema at /openapi.json.

    Verdicts go to the config's database with the CLI's (source `api`). Bearer tokens come from the
    environment variables named in `[api] token_envs` (default JUDGE_API_TOKEN) or, hashed, from
    `[api] tokens`; without any, only a loopback address may be bound.

    Example: judge api --host 0.0.0.0 --port 8766    (with a token in JUDGE_API_TOKEN)
    """
    try:
        import uvicorn

        from judge.api.app import create_app
    except ImportError as e:
        raise JudgeError(
            f"`judge api` needs the web extra ({e.name} is not installed)",
            hints=["pip install 'judge[web]'"],
        ) from None
    from judge.config import load_config

    cfg = load_config(config)
    accepted = cfg.api.accepted()
    if not accepted and not is_loopback(host):
        raise ConfigError(
            [f"--host {host}: refusing to serve without a bearer token on an address other machines can reach"],
            hints=["export JUDGE_API_TOKEN=... (or list sha256 hashes in [api] tokens), or bind 127.0.0.1"],
        )
    from judge.store import Store

    Store.open(cfg.db_path).close()  # created and migrated now; a file another process holds is said now
    service = create_app(cfg, accepted=accepted)
    auth = f"{len(accepted)} token(s)" if accepted else "no token (loopback only)"
    err.print(f"judge api: http://{host}:{port} (docs at /docs), {auth}; Ctrl-C stops", markup=False, highlight=False)
    uvicorn.run(service, host=host, port=port, log_level="warning", access_log=access_log, lifespan="on")
