"""The DuckDB store: the Store, numbered migrations, the one batch writer, and every SQL statement."""

from .store import Store, now
from .writer import BatchWriter

__all__ = ["BatchWriter", "Store", "now"]
