"""SQL a person types reads the database and nothing else: no file, no folder, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.errors import StoreError
from judge.store import Store
from judge.store.readonly import user_query
from tests.inproc import run_judge


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "judge.duckdb"
    Store.open(path).close()
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/root/*')",
        "SELECT * FROM 'https://example.invalid/x.parquet'",
        "SELECT * FROM read_json_auto('{dir}/secret.json')",
    ],
)
def test_reading_outside_the_database_is_refused(db: Path, sql: str) -> None:
    (db.parent / "secret.json").write_text('{"key": "s3cr3t"}')
    with pytest.raises(StoreError, match="disabled by configuration") as e:
        user_query(db, sql.format(dir=db.parent))
    assert "s3cr3t" not in str(e.value)


def test_the_database_itself_is_readable(db: Path) -> None:
    cols, rows = user_query(db, "SELECT count(*) AS n FROM answers")
    assert cols == ["n"] and rows == [(0,)]


def test_cli_exits_2_and_reads_nothing(db: Path) -> None:
    r = run_judge("sql", "SELECT * FROM read_csv('/etc/passwd')", "--db", str(db))
    assert r.returncode == 2 and "disabled by configuration" in r.stderr
    assert "root:" not in r.stdout + r.stderr and "Traceback" not in r.stderr
