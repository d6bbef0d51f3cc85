"""The label files linguists fill: CSV that a spreadsheet opens, and JSONL for scripts.

Why these details:
- CSV is written as UTF-8 with a BOM (Excel reads BOM-less UTF-8 as the ANSI code page, which
  garbles Cyrillic), fields with newlines or quotes are quoted (RFC 4180), and a text cell that a
  spreadsheet would take for a formula (starting with = + - @, as Markdown lists do) gets a leading
  apostrophe, so it shows as text instead of `#NAME?`. The JSONL carries the exact texts.
- Reading back accepts what spreadsheets write when they save: a BOM or none, a `;` or tab instead
  of `,` (Excel in a Russian locale), and Windows-1251 when the file is not UTF-8 (Excel's plain
  "CSV" on a Russian Windows). Each row keeps the line it starts on, for `file:line:` messages.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.dataset.jsonl import read_objects
from judge.errors import InputError, problem
from judge.files import read_capped

COLUMNS = (
    "label_id",
    "lang",
    "rubric",
    "criterion",
    "criterion_title",
    "criterion_description",
    "scale",
    "anchors",
    "not_applicable_when",
    "prompt",
    "reference",
    "answer",
    "score",
    "comment",
    "annotator",
)
"""The columns of an export, in order. Import reads `label_id`, `score`, `comment` and `annotator`."""
FILLED = ("score", "comment", "annotator")
"""Columns the linguist fills (empty in the export)."""
MAX_FILE_BYTES = 200_000_000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list)."""


def out_paths(out: Path) -> list[Path]:
    """`x.csv` or `x.jsonl` write that file alone; any other path writes both `<path>.csv` and `<path>.jsonl`."""
    if out.suffix.lower() in (".csv", ".jsonl"):
        return [out]
    return [Path(f"{out}.csv"), Path(f"{out}.jsonl")]


def _guard(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def _csv_cell(col: str, value: Any) -> str:
    if value is None:
        return ""
    if col == "anchors" and isinstance(value, dict):
        value = "\n".join(f"{k}: {v}" for k, v in value.items())
    if col == "scale" and isinstance(value, dict):
        value = f"{value['min']}..{value['max']}"
    text = str(value)
    return text if col in ("label_id", *FILLED) else _guard(text)


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([_csv_cell(c, r.get(c)) for c in COLUMNS])


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps({c: r.get(c) for c in COLUMNS}, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class FilledRow:
    """One row of a filled file, as read: text values (None when the column is absent or empty)."""

    path: Path
    line: int
    label_id: Any
    score: Any
    comment: Any
    annotator: Any


def read_filled(path: Path, problems: list[str]) -> tuple[list[FilledRow], str | None]:
    """The rows of a CSV or JSONL label file and a note on how it was read (encoding, delimiter);
    every unreadable part adds a `file:line: field: message` to `problems`."""
    if _is_jsonl(path):
        rows = [
            FilledRow(path, line, obj.get("label_id"), obj.get("score"), obj.get("comment"), obj.get("annotator"))
            for line, obj in read_objects(path, problems)
        ]
        return rows, None
    return _read_csv(path, problems)


def _is_jsonl(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return True
    if suffix in (".csv", ".tsv", ".txt"):
        return False
    head = read_capped(path, InputError, MAX_FILE_BYTES)[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _read_csv(path: Path, problems: list[str]) -> tuple[list[FilledRow], str | None]:
    data = read_capped(path, InputError, MAX_FILE_BYTES)
    notes = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251", errors="replace")
        notes.append("not UTF-8: read as Windows-1251")
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if "label_id" in _cells(first, d)), None)
    if delimiter is None:
        problems.append(problem(path, 1, "label_id", "no label_id column in the header (is this an exported file?)"))
        return [], None
    if delimiter != ",":
        notes.append(f"columns separated by {'tab' if delimiter == chr(9) else repr(delimiter)}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as e:
        problems.append(problem(path, 1, None, f"cannot read the header: {e}"))
        return [], None
    col = {h: i for i, h in reversed(list(enumerate(header)))}
    if "score" not in col:
        problems.append(problem(path, 1, "score", "no score column in the header"))
        return [], None
    rows: list[FilledRow] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(problem(path, line, None, f"unreadable CSV: {e}"))
            break
        if any(c.strip() for c in cells):

            def get(name: str, cells: list[str] = cells) -> str | None:
                i = col.get(name)
                v = cells[i].strip() if i is not None and i < len(cells) else ""
                return v or None

            rows.append(FilledRow(path, line, get("label_id"), get("score"), get("comment"), get("annotator")))
        line = reader.line_num + 1
    return rows, "; ".join(notes) or None


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([line.strip("\r")], delimiter=delimiter))]
    except (StopIteration, csv.Error):
        return []
