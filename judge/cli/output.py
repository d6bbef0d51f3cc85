"""Tabular output for the CLI: Rich tables for people, CSV / JSON / Markdown for pipes."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

Format = Literal["table", "csv", "json", "markdown"]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


FORMATS: tuple[str, ...] = ("table", "csv", "json", "markdown")
ALIASES = {"md": "markdown", "terminal": "table"}
"""`judge report` says md and terminal; tables accept the same words (the README used both)."""


def table_format(fmt: str) -> Format:
    """The format named by `--format`, aliases resolved; a ConfigError (exit 2) for anything else."""
    from judge.errors import ConfigError

    name = ALIASES.get(fmt, fmt)
    if name not in FORMATS:
        raise ConfigError([f"--format: {fmt!r} is not one of {', '.join(FORMATS)} (or md)"])
    return name  # type: ignore[return-value]


def render_rows(
    cols: list[str], rows: list[tuple[Any, ...]], fmt: str, console: Console, title: str | None = None
) -> None:
    fmt = table_format(fmt)
    if fmt == "json":
        console.print_json(
            json.dumps([{c: _jsonable(v) for c, v in zip(cols, r)} for r in rows], ensure_ascii=False, default=str)
        )
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        w.writerows([[_jsonable(v) if v is not None else "" for v in r] for r in rows])
        console.out(buf.getvalue(), end="", highlight=False)
    elif fmt == "markdown":
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in rows:
            lines.append("| " + " | ".join(_cell(v).replace("|", "\\|").replace("\n", " ") for v in r) + " |")
        console.out("\n".join(lines), highlight=False)
    else:
        t = Table(title=title, show_lines=False)
        for c in cols:
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(*[_cell(v) for v in r])
        console.print(t)
