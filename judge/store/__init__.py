"""The DuckDB store: the Store, numbered migrations, the one batch writer, and every SQL statement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store, now
    from .writer import BatchWriter

__all__ = ["BatchWriter", "Store", "now"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: a light submodule (summary, progress) does not bring in DuckDB, so
    # `generate` can open the database on one thread while another loads the HTTP client.
    if name in ("Store", "now"):
        from . import store

        return getattr(store, name)
    if name == "BatchWriter":
        from .writer import BatchWriter

        return BatchWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
