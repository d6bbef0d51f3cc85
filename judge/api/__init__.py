"""`judge api`: the HTTP grading service (FastAPI), a thin layer over judge.grade and the store.

Needs the `web` extra (fastapi, uvicorn): `pip install 'judge[web]'`. `create_app(cfg)` builds the
ASGI application; judge.cli.api serves it with uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # FastAPI is imported on first use, so `import judge.api` works without the extra.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
