"""Content keys: what makes two pieces of work the same, hashed and tagged with their scheme."""

from __future__ import annotations

import hashlib
import json
from typing import Any


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
