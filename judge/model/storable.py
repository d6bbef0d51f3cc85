"""Values from servers made storable: text DuckDB (and every tool downstream) accepts, counts that fit.

Why: one lone surrogate (a JSON "\\ud800" escape decodes to one) makes DuckDB refuse the whole
batch it sits in, and a token count of 2**31 overflows an INTEGER column: either lost the batch and
ended the run. A repair is never silent: each one leaves a note for the row.
"""

from __future__ import annotations

import re
from typing import Any

INT32_MAX = 2**31 - 1
"""The largest value of DuckDB's INTEGER, the type of the token count columns."""
MAX_NOTES = 6
"""Notes kept per response: a body with a thousand bad strings needs one line, not a thousand."""

# A surrogate code point in a Python str is always lone (json joins a valid pair into one character);
# NUL is legal in DuckDB but cuts C strings, CSV exports and Postgres copies.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD and NUL characters removed."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def storable_tree(value: Any, notes: list[str], path: str = "") -> Any:
    """A JSON value with every string (keys too) made storable; one note per repaired path."""
    if isinstance(value, str):
        fixed = storable(value)
        if fixed is not value:
            add_note(notes, f"{path or 'text'}: lone surrogates replaced by U+FFFD, NUL characters removed")
        return fixed
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = storable(k) if isinstance(k, str) else k
            out[key] = storable_tree(v, notes, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, list):
        return [storable_tree(v, notes, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def storable_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row about to be written, every text value made storable (a last guard: error texts and
    parsed verdict fields did not all pass `storable_tree`)."""
    return {k: storable(v) if isinstance(v, str) else v for k, v in row.items()}


def token_count(value: Any) -> int | None:
    """`value` as a token count, or None when it cannot be one (negative, too large, not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if 0 <= value <= INT32_MAX else None


def add_note(notes: list[str], note: str) -> None:
    if len(notes) < MAX_NOTES:
        notes.append(note)
    elif len(notes) == MAX_NOTES:
        notes.append("… more repairs not listed")
