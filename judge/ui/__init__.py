"""`judge ui`: the linguists' web page (rubric editor, Try, verdicts, blind labeling, agreement).

Needs the `web` extra (FastAPI, uvicorn). Server-rendered Jinja2 templates with htmx (vendored in
`static/`); nothing is loaded from the internet.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See `judge.ui.app.create_app` (imported lazily: FastAPI is an optional extra)."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
