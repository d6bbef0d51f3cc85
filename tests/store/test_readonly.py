"""check_read_only: DuckDB's parser decides; reads pass, anything that writes anywhere is refused unrun."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.errors import JudgeError, ReadOnlySQLError, StoreError
from judge.store import Store
from judge.store.readonly import READ_PRAGMAS, check_read_only

READS = [
    "SELECT 1",
    "select model, avg(score) from scores group by all",
    "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
    "FROM scores LIMIT 1",
    "VALUES (1), (2)",
    "TABLE runs",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "DESCRIBE scores",
    "DESCRIBE SELECT * FROM answers",
    "SHOW TABLES",
    "SHOW ALL TABLES",
    "SUMMARIZE runs",
    "EXPLAIN SELECT * FROM scores",
    "EXPLAIN ANALYZE SELECT count(*) FROM answers",
    "EXPLAIN ANALYZE (SELECT 1)",
    "PRAGMA table_info('scores')",
    "/* a comment */ pragma show_tables;",
    "SELECT * FROM pragma_table_info('scores')",
    "SELECT 1; SELECT 2",
    "SELECT '; DROP TABLE runs' AS not_a_statement",
    "-- only a comment\nSELECT 1",
]

# (statement, what the message must name)
WRITES = [
    ("COPY (SELECT 1) TO 'x.csv'", "a COPY statement"),
    ("COPY runs TO 'runs.parquet' (FORMAT parquet)", "a COPY statement"),
    ("COPY runs FROM 'runs.csv'", "a COPY statement"),
    ("EXPORT DATABASE 'dump'", "an EXPORT statement"),
    ("IMPORT DATABASE 'dump'", "IMPORT (a PRAGMA statement)"),
    ("ATTACH 'other.duckdb' AS other (READ_WRITE)", "an ATTACH statement"),
    ("DETACH other", "a DETACH statement"),
    ("INSTALL httpfs", "INSTALL (a LOAD statement)"),
    ("FORCE INSTALL httpfs", "FORCE (a LOAD statement)"),
    ("LOAD httpfs", "a LOAD statement"),
    ("SET threads = 1", "a SET statement"),
    ("RESET threads", "RESET (a SET statement)"),
    ("SET VARIABLE x = 1", "a SET statement"),
    ("USE memory", "USE (a SET statement)"),
    ("PRAGMA threads = 2", "PRAGMA (a SET statement)"),
    ("PRAGMA enable_profiling", "a PRAGMA that is not one of the read-only ones (enable_profiling)"),
    ("CREATE TABLE t (a INTEGER)", "a CREATE statement"),
    ("CREATE VIEW v AS SELECT 1", "a CREATE statement"),
    ("CREATE MACRO m(x) AS x", "a CREATE statement"),
    ("INSERT INTO runs (run_id) VALUES ('x')", "an INSERT statement"),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "WITH (an INSERT statement)"),
    ("UPDATE runs SET status = 'x'", "an UPDATE statement"),
    ("DELETE FROM generations", "a DELETE statement"),
    ("DROP TABLE runs", "a DROP statement"),
    ("ALTER TABLE runs ADD COLUMN x INTEGER", "an ALTER statement"),
    ("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", "a MERGE INTO statement"),
    ("CHECKPOINT", "CHECKPOINT (a CALL statement)"),
    ("CALL pragma_table_info('scores')", "a CALL statement"),
    ("BEGIN TRANSACTION", "BEGIN (a TRANSACTION statement)"),
    ("VACUUM", "a VACUUM statement"),
    ("PREPARE p AS SELECT 1", "a PREPARE statement"),
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO 'x.csv'", "an EXPLAIN of a COPY statement"),
    ("EXPLAIN (FORMAT json) CREATE TABLE t AS SELECT 1", "an EXPLAIN of a CREATE statement"),
    ("EXPLAIN INSERT INTO runs (run_id) VALUES ('x')", "an EXPLAIN of an INSERT statement"),
]


@pytest.mark.parametrize("sql", READS)
def test_reads_pass(sql: str) -> None:
    check_read_only(sql)


@pytest.mark.parametrize(("sql", "named"), WRITES, ids=[w[0] for w in WRITES])
def test_writes_are_refused_and_named(sql: str, named: str) -> None:
    with pytest.raises(ReadOnlySQLError) as e:
        check_read_only(sql)
    assert e.value.exit_code == 2
    assert e.value.message.startswith("refused: judge sql is read-only and this is ")
    assert f"this is {named}: " in e.value.message, e.value.message
    assert any("--format csv >" in h for h in e.value.hints)


def test_any_writing_statement_refuses_them_all() -> None:
    with pytest.raises(ReadOnlySQLError, match=r"statement 2 of 3 is a COPY statement: .*nothing was run"):
        check_read_only("SELECT 1; COPY (SELECT 1) TO 'x.csv'; SELECT 2")


def test_a_long_statement_is_shortened_to_one_line() -> None:
    sql = "COPY (\n  SELECT " + ", ".join(f"col{i}" for i in range(50)) + " FROM runs\n) TO 'x.csv'"
    with pytest.raises(ReadOnlySQLError) as e:
        check_read_only(sql)
    assert "\n" not in e.value.message and e.value.message.endswith("…")


def test_text_duckdb_cannot_parse_is_its_sql_error() -> None:
    with pytest.raises(StoreError, match=r"^SQL error: Parser Error") as e:
        check_read_only("SELEC 1")
    assert not isinstance(e.value, ReadOnlySQLError)


def test_read_pragmas_and_reads_run_on_a_read_only_store(tmp_path: Path) -> None:
    """What the guard lets through works on the real (read-only) store, and the store is unchanged."""
    db = tmp_path / "judge.duckdb"
    Store.open(db).close()
    before = db.read_bytes()
    needs_arg = {"table_info": "('runs')", "storage_info": "('runs')"}
    with Store.open_readonly(db) as store:
        for sql in [*READS, *(f"PRAGMA {p}{needs_arg.get(p, '')}" for p in sorted(READ_PRAGMAS))]:
            check_read_only(sql)
            try:
                store.query(sql)
            except JudgeError as e:  # pragma: no cover - the message says which one
                pytest.fail(f"{sql!r}: {e.message}")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["judge.duckdb"]
