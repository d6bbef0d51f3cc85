"""The one JSONL reader: datasets, importers and answer files all read lines the same way.

Why one: a BOM, CRLF line ends, over-long lines, bad UTF-8, non-object lines, duplicate keys,
numbers JSON does not have (NaN, Infinity, 1e400) and absurd nesting must be reported identically
(`file:line: message`) whichever command reads the file.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from judge.errors import DatasetError, problem
from judge.files import open_regular

MAX_LINE_BYTES = 1_000_000
"""A longer line is reported, not read (a stray binary file must not fill memory)."""
MAX_DEPTH = 64
"""Objects and arrays nested deeper than this are refused: no item needs it, and Python's JSON
parser would otherwise stop with a RecursionError at about a thousand levels."""
_MAX_INT_DIGITS = 400
"""Longer integers are refused before `int()` sees them (it refuses 4,300 digits with a traceback)."""
_SKIP_CHUNK = 1 << 20
# What a line may carry beyond its content: a BOM (line 1), "\r" and "\n".
_LINE_EXTRA = 5


class _Refused(ValueError):
    """Raised by the object hook; `field` is the key to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class _BadNumber:
    """Put in place of a number JSON should not have, so the line's check can name its field."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # json.loads would keep the last value silently
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {key!r} in one JSON object", field=key)
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    # Python's json reads NaN, Infinity and -Infinity, which JSON does not have; they would be
    # stored as null and break every later grade.
    return _BadNumber(f"{name} is not a JSON number; use a finite number")


def _float(text: str) -> Any:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf
        return _BadNumber(f"number {_short(text)} is out of range (at most about ±1.8e308)")
    return value


def _int(text: str) -> Any:
    if len(text) > _MAX_INT_DIGITS:  # int() itself refuses 4,300 digits, with a ValueError
        return _BadNumber(f"integer of {len(text)} digits is out of range (at most about ±1.8e308)")
    value = int(text)
    try:
        float(value)  # answers are compared as floats; a number no float holds is no answer
    except OverflowError:
        return _BadNumber(f"integer {_short(text)} is out of range (at most about ±1.8e308)")
    return value


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "..."


def _decoder(bad: list[_BadNumber]) -> json.JSONDecoder:
    """A decoder whose number hooks also append to `bad`, so only a line with one is searched."""

    def note(value: Any) -> Any:
        if isinstance(value, _BadNumber):
            bad.append(value)
        return value

    return json.JSONDecoder(
        object_pairs_hook=_object,
        parse_constant=lambda t: note(_constant(t)),
        parse_float=lambda t: note(_float(t)),
        parse_int=lambda t: note(_int(t)),
    )


def _find_bad(obj: Any) -> tuple[str | None, str]:
    """(field path, message) of the first _BadNumber in `obj`, in document order."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(obj, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _BadNumber):
            return ".".join(path) or None, node.message
        if isinstance(node, dict):
            stack.extend((v, (*path, str(k))) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, (*path, str(i))) for i, v in reversed(list(enumerate(node))))
    raise AssertionError("a number hook reported a value that is not in the object")


_TOO_DEEP = object()


def _depth_over(obj: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (iterative: the walk itself must not recurse)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _skip_line(f: io.BufferedReader) -> tuple[int, bytes]:
    """Move past the end of the current line; (bytes skipped, the last two of them).

    Chunks go into one reused buffer and only the newline is searched for: a multi-gigabyte line
    costs a megabyte of memory and about the time of reading it.
    """
    buf = bytearray(_SKIP_CHUNK)
    skipped, tail = 0, b""
    while True:
        n = f.readinto(buf)
        if not n:
            return skipped, tail
        end = buf.find(b"\n", 0, n)
        if end >= 0:
            f.seek(end + 1 - n, os.SEEK_CUR)  # give back what follows the newline
            return skipped + end + 1, (tail + bytes(buf[max(0, end - 1) : end + 1]))[-2:]
        skipped, tail = skipped + n, (tail + bytes(buf[max(0, n - 2) : n]))[-2:]


def _lines(f: io.BufferedReader) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, content or None when too long, content size) for each line, BOM and CR/LF cut.

    A line is read with a bounded `readline`, so an endless line (a binary file without newlines)
    costs the cap and one chunk of memory: the rest of it is skipped, only counted.
    """
    lineno = 0
    while True:
        raw = f.readline(MAX_LINE_BYTES + _LINE_EXTRA)
        if not raw:
            return
        lineno += 1
        size = len(raw)
        complete = raw.endswith(b"\n") or size < MAX_LINE_BYTES + _LINE_EXTRA
        if not complete:  # too long: count the rest, keep only the ends (BOM, CR/LF)
            skipped, tail = _skip_line(f)
            raw, size = raw[:3] + (raw[3:] + tail)[-2:], size + skipped
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw, size = raw[3:], size - 3  # a BOM from Windows editors is harmless; accept it
        for end in (b"\n", b"\r"):
            if raw.endswith(end):
                raw, size = raw[: -len(end)], size - len(end)
        yield lineno, (raw if size <= MAX_LINE_BYTES else None), size


def read_objects(path: Path, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line that is a JSON object.

    Every other line adds a `file:line: field: message` to `problems` and is skipped, so the caller
    can report all of them at once. A file that cannot be read (missing, a directory, a device, a
    FIFO) raises DatasetError at once.
    """
    bad: list[_BadNumber] = []
    decoder = _decoder(bad)
    with open_regular(path, DatasetError) as f:
        for lineno, raw, size in _lines(f):
            if raw is None:
                problems.append(problem(path, lineno, None, f"line is {size} bytes, over the {MAX_LINE_BYTES} limit"))
                continue
            if not raw.strip():
                continue
            bad.clear()
            try:
                obj = decoder.decode(raw.decode("utf-8"))
            except UnicodeDecodeError as e:
                problems.append(problem(path, lineno, None, f"not UTF-8 ({e.reason} at byte {e.start})"))
                continue
            except json.JSONDecodeError as e:
                problems.append(problem(path, lineno, None, f"invalid JSON: {e.msg} (column {e.colno})"))
                continue
            except _Refused as e:
                problems.append(problem(path, lineno, e.field, e.message))
                continue
            except RecursionError:
                obj = _TOO_DEEP  # reported below, as any over-deep line
            if obj is _TOO_DEEP or (raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth_over(obj, MAX_DEPTH)):
                problems.append(
                    problem(path, lineno, None, f"objects and arrays nested deeper than {MAX_DEPTH} levels")
                )
                continue
            if bad:
                problems.append(problem(path, lineno, *_find_bad(obj)))
                continue
            if not isinstance(obj, dict):
                problems.append(problem(path, lineno, None, "each line must be a JSON object"))
                continue
            yield lineno, obj
