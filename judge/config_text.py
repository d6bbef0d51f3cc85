"""Where a problem sits in a config file's TOML text (tomllib keeps no positions), and the checks on
parsed TOML that come before validation (nesting depth, non-finite numbers)."""

from __future__ import annotations

import math
import re
from typing import Any

MAX_DEPTH = 64


def has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def too_deep(data: Any) -> tuple[Any, ...] | None:
    """The key path of the first table or array nested deeper than MAX_DEPTH, or None."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        if len(loc) >= MAX_DEPTH:
            return loc
        if isinstance(node, dict):
            stack.extend((v, (*loc, k)) for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, (*loc, i)) for i, v in enumerate(node) if isinstance(v, (dict, list)))
    return None


def deep_line(text: str) -> int | None:
    """Best effort: the line where brackets first open past MAX_DEPTH (strings are not skipped)."""
    depth = 0
    for n, line in enumerate(text.splitlines(), start=1):
        for ch in line:
            depth += 1 if ch in "[{" else -1 if ch in "]}" else 0
            if depth > MAX_DEPTH:
                return n
    return None


def locate(text: str, loc: tuple[Any, ...]) -> int | None:
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
        # `key = ...`, or a dotted key at the start of a line (`metadata.team = ...`)
        pat = re.compile(rf"(^|[\s{{,])\"?{re.escape(key)}\"?\s*=|^\s*\"?{re.escape(key)}\"?\s*\.")
        for n in range(start, end):
            if pat.search(lines[n]):
                found, start = n + 1, n
                break
    return found
