"""`--format` means the same words everywhere: md and markdown, table and terminal; others exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from judge.store import Store
from tests.inproc import run_judge


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_judge(*args, cwd=cwd)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "judge.duckdb"
    Store.open(path).close()
    return path


@pytest.mark.parametrize("fmt", ["md", "markdown"])
def test_sql_accepts_md_and_markdown(db: Path, fmt: str) -> None:
    r = _judge("sql", "SELECT 1 AS x, 'a|b' AS y", "--db", str(db), "--format", fmt, cwd=db.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:3] == ["| x | y |", "|---|---|", "| 1 | a\\|b |"]


def test_an_unknown_format_exits_2(db: Path) -> None:
    r = _judge("sql", "SELECT 1", "--db", str(db), "--format", "xml", cwd=db.parent)
    assert r.returncode == 2 and "--format: 'xml' is not one of" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("fmt", ["md", "markdown"])
def test_report_accepts_md_and_markdown(db: Path, fmt: str) -> None:
    (db.parent / "judge.toml").write_text(
        'db = "judge.duckdb"\n[[models]]\nname = "m"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
    )
    r = _judge("report", "--format", fmt, cwd=db.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.lstrip().startswith("#")
