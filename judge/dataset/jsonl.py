"""The one JSONL reader: datasets, importers and answer files all read lines the same way.

Why one: a BOM, CRLF line ends, over-long lines, bad UTF-8 and non-object lines must be reported
identically (`file:line: message`) whichever command reads the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from judge.errors import DatasetError, problem

MAX_LINE_BYTES = 1_000_000
"""A longer line is reported, not read (a stray binary file must not fill memory)."""


def read_objects(path: Path, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line that is a JSON object.

    Every other line adds a `file:line: message` to `problems` and is skipped, so the caller can
    report all of them at once. A missing file raises DatasetError at once.
    """
    if not path.is_file():
        raise DatasetError([problem(path, None, None, "file not found")])
    raw_lines = path.read_bytes().split(b"\n")
    for lineno, raw in enumerate(raw_lines, start=1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a BOM from Windows editors is harmless; accept it
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            problems.append(problem(path, lineno, None, f"line is {len(raw)} bytes, over the {MAX_LINE_BYTES} limit"))
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            problems.append(problem(path, lineno, None, f"not UTF-8 ({e.reason} at byte {e.start})"))
            continue
        except json.JSONDecodeError as e:
            problems.append(problem(path, lineno, None, f"invalid JSON: {e.msg} (column {e.colno})"))
            continue
        if not isinstance(obj, dict):
            problems.append(problem(path, lineno, None, "each line must be a JSON object"))
            continue
        yield lineno, obj
