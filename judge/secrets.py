"""Redaction of API keys wherever text leaves the process: errors, logs, reports, stored rows.

Every key the process reads is remembered, whatever its length. Why two rules: a long key is
replaced wherever it appears, even inside a URL or a JSON blob; a short one (a test server's
"abc") is replaced only where it stands as a whole token, or redacting it would garble every word
that happens to contain those letters.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "***"
_LONG = 8
_keys: set[str] = set()
_short_pattern: re.Pattern[str] | None = None


def remember(key: str) -> str:
    """Remember `key` for redaction (returns it, so a lookup can be wrapped)."""
    global _short_pattern
    if key and key not in _keys:
        _keys.add(key)
        short = sorted((k for k in _keys if len(k) < _LONG), key=len, reverse=True)
        _short_pattern = (
            re.compile(r"(?<![\w-])(?<!\w\.)(?:" + "|".join(re.escape(k) for k in short) + r")(?![\w-]|\.\w)")
            if short
            else None
        )
    return key


def redact(text: str) -> str:
    """`text` with every remembered key replaced by `***`."""
    for key in sorted((k for k in _keys if len(k) >= _LONG), key=len, reverse=True):
        if key in text:
            text = text.replace(key, MASK)
    if _short_pattern is not None:
        text = _short_pattern.sub(MASK, text)
    return text


def redactor() -> Callable[[str], str] | None:
    """`redact` for a batch of texts, the keys sorted once; None when no key is remembered."""
    longs = sorted((k for k in _keys if len(k) >= _LONG), key=len, reverse=True)
    short = _short_pattern
    if not longs and short is None:
        return None

    def red(text: str) -> str:
        for key in longs:
            if key in text:
                text = text.replace(key, MASK)
        return short.sub(MASK, text) if short is not None else text

    return red


def forget_all() -> None:
    """Forget every key (tests)."""
    global _short_pattern
    _keys.clear()
    _short_pattern = None
