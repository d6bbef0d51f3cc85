"""`judge sql` through the real CLI: statements that write anywhere exit 2 before they run (no file
appears, the database bytes stay the same); reads, including the README's examples, still work."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from judge.store import Store
from tests.helpers import ROOT
from tests.inproc import run_judge


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_judge(*args, cwd=cwd)  # in this process: same entry point, no second of imports per call


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder whose only file is an empty, migrated database."""
    Store.open(tmp_path / "judge.duckdb").close()
    return tmp_path


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


WRITES = [
    ("COPY (SELECT 1) TO 'x.csv'", "COPY statement"),
    ("ATTACH 'other.duckdb' AS other", "ATTACH statement"),
    ("EXPORT DATABASE 'dump'", "EXPORT statement"),
    ("INSTALL httpfs", "INSTALL (a LOAD statement)"),
    ("LOAD httpfs", "LOAD statement"),
    ("SET threads = 1", "SET statement"),
    ("CREATE TABLE t AS SELECT 1 AS a", "CREATE statement"),
    ("SELECT 1; COPY (SELECT 1) TO 'x.csv'", "statement 2 of 2 is a COPY statement"),
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'", "EXPLAIN of a COPY statement"),
]


@pytest.mark.parametrize(("sql", "named"), WRITES, ids=[w[0] for w in WRITES])
def test_writes_are_refused_before_they_run(project: Path, sql: str, named: str) -> None:
    before_files = _files(project)
    before = (project / "judge.duckdb").read_bytes()
    r = _judge("sql", sql, "--db", "judge.duckdb", cwd=project)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    first = r.stderr.splitlines()[0]
    assert first.startswith("Error: refused: judge sql is read-only and ") and named in first, r.stderr
    assert _files(project) == before_files  # no x.csv, no other.duckdb, no dump/
    assert (project / "judge.duckdb").read_bytes() == before


def test_copy_is_refused_without_a_config_or_database(tmp_path: Path) -> None:
    """The guard runs before judge.toml is read: even where nothing else would work, no file is written."""
    r = _judge("sql", "COPY (SELECT 1) TO 'x.csv'", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "refused: judge sql is read-only and this is a COPY statement: COPY (SELECT 1) TO 'x.csv'" in r.stderr
    assert not (tmp_path / "x.csv").exists() and _files(tmp_path) == []


@pytest.mark.parametrize(
    ("sql", "expect"),
    [
        ("SELECT 40 + 2 AS answer", "answer\n42\n"),
        ("WITH t AS (SELECT 'ru' AS lang) SELECT lang FROM t", "lang\nru\n"),
        ("SELECT column_name FROM (DESCRIBE scores) WHERE column_name = 'score'", "column_name\nscore\n"),
        ("SELECT count(*) AS n FROM answers", "n\n0\n"),
    ],
)
def test_reads_work(project: Path, sql: str, expect: str) -> None:
    r = _judge("sql", sql, "--db", "judge.duckdb", "--format", "csv", cwd=project)
    assert r.returncode == 0, r.stderr
    assert r.stdout.replace("\r\n", "\n") == expect


@pytest.mark.parametrize("sql", ["DESCRIBE scores", "SHOW TABLES", "PRAGMA table_info('answers')"])
def test_describe_show_and_read_pragmas_work(project: Path, sql: str) -> None:
    r = _judge("sql", sql, "--db", "judge.duckdb", "--format", "csv", cwd=project)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) > 1


def _readme_queries() -> list[list[str]]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    return [shlex.split(line)[1:] for line in lines if line.startswith('judge sql "')]


def test_readme_has_sql_examples() -> None:
    assert len(_readme_queries()) >= 3


@pytest.mark.parametrize("args", _readme_queries(), ids=lambda a: a[1][:40])
def test_readme_sql_examples_still_run(project: Path, args: list[str]) -> None:
    r = _judge(*args, "--db", "judge.duckdb", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
