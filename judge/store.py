"""The DuckDB store: connection, numbered migrations, typed writes, read-only access.

Stages meet only here. Every write is a batch in one transaction, so a killed process leaves
either the whole batch or nothing (DuckDB's WAL rolls back an unfinished transaction on the next
open).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb

from .errors import StoreError

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register a migration. Its name is its identity: never rename or edit a shipped one."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _open_error(path: Path, e: Exception) -> StoreError:
    msg = str(e)
    m = re.search(r"PID (\d+)", msg)
    if "lock" in msg.lower():
        who = f" (process {m.group(1)})" if m else ""
        return StoreError(
            f"{path}: the database is in use by another judge process{who}",
            hints=["wait for it to finish, or stop it; DuckDB allows one writing process per file"],
        )
    return StoreError(f"{path}: cannot open the database: {msg}")


class Store:
    """A DuckDB file. Open it with `Store.open(path)` (migrates) or `Store.open_readonly(path)`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, readonly: bool) -> None:
        self.con = con
        self.path = path
        self.readonly = readonly

    @classmethod
    def open(cls, path: str | Path, *, migrate: bool = True) -> Store:
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as e:
            raise _open_error(path, e) from e
        store = cls(con, path, readonly=False)
        if migrate:
            store.migrate()
        return store

    @classmethod
    def open_readonly(cls, path: str | Path) -> Store:
        path = Path(path)
        if not path.exists():
            raise StoreError(f"{path}: no such database", hints=["run `judge generate` first"])
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as e:
            raise _open_error(path, e) from e
        store = cls(con, path, readonly=True)
        pending = store.pending()
        if pending:
            raise StoreError(
                f"{path}: the database schema is older than this judge ({len(pending)} migrations pending)",
                hints=["run any writing command (e.g. `judge status --migrate`) to upgrade it"],
            )
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations ---------------------------------------------------------------------------
    def applied(self) -> list[str]:
        try:
            rows = self.con.execute("SELECT name FROM _judge_migrations ORDER BY name").fetchall()
        except duckdb.CatalogException:
            return []
        return [r[0] for r in rows]

    def pending(self) -> list[str]:
        done = set(self.applied())
        return [name for name, _ in MIGRATIONS if name not in done]

    def migrate(self) -> list[str]:
        self.con.execute("CREATE TABLE IF NOT EXISTS _judge_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
        done = set(self.applied())
        known = {name for name, _ in MIGRATIONS}
        newer = sorted(done - known)
        if newer:
            raise StoreError(
                f"{self.path}: the database was written by a newer judge (migrations {', '.join(newer)})",
                hints=["upgrade judge"],
            )
        ran = []
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                fn(self.con)
                self.con.execute("INSERT INTO _judge_migrations VALUES (?, ?)", [name, now()])
            ran.append(name)
        return ran

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    # -- generic reads ------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cur = self.con.execute(sql, params or [])
        except duckdb.Error as e:
            if self.readonly and ("read-only" in str(e).lower() or "read only" in str(e).lower()):
                raise StoreError(f"refused: the SQL connection is read-only ({str(e).splitlines()[0]})") from e
            raise StoreError(f"SQL error: {str(e).splitlines()[0]}") from e
        if cur.description is None:
            return [], []
        cols = [d[0] for d in cur.description]
        return cols, cur.fetchall()

    def records(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cols, rows = self.query(sql, params)
        return [dict(zip(cols, r)) for r in rows]

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, run_id: str, stage: str, argv: list[str], config: dict[str, Any]) -> None:
        from . import __version__

        with self.transaction():
            self.con.execute(
                "INSERT INTO runs (run_id, stage, started_at, argv, config_json, judge_version, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                [run_id, stage, now(), json.dumps(argv), json.dumps(config, ensure_ascii=False, default=str), __version__],
            )

    def finish_run(self, run_id: str, status: str, counts: dict[str, int]) -> None:
        with self.transaction():
            self.con.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts_json = ? WHERE run_id = ?",
                [now(), status, json.dumps(counts), run_id],
            )

    # -- models and prompts -------------------------------------------------------------------
    def register_models(self, rows: Iterable[dict[str, Any]]) -> None:
        """Record each (name, variant); a name's previous variant is retired, never overwritten."""
        with self.transaction():
            for r in rows:
                cur = self.con.execute(
                    "SELECT retired_at FROM models WHERE name = ? AND variant = ?", [r["name"], r["variant"]]
                ).fetchone()
                self.con.execute(
                    "UPDATE models SET retired_at = ? WHERE name = ? AND variant <> ? AND retired_at IS NULL",
                    [now(), r["name"], r["variant"]],
                )
                meta = [
                    r["model_id"], r["base_url"], r["params_json"], r["extra_body_json"], r["system_prompt"],
                    r["quantization"], r["params_total"], r["params_active"], r["base_model"],
                    r["tags_json"], r["metadata_json"],
                ]
                if cur is None:
                    self.con.execute(
                        "INSERT INTO models (name, variant, model_id, base_url, params_json, extra_body_json,"
                        " system_prompt, quantization, params_total, params_active, base_model, tags_json,"
                        " metadata_json, registered_at, retired_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
                        [r["name"], r["variant"], *meta, now()],
                    )
                else:
                    self.con.execute(
                        "UPDATE models SET model_id=?, base_url=?, params_json=?, extra_body_json=?, system_prompt=?,"
                        " quantization=?, params_total=?, params_active=?, base_model=?, tags_json=?, metadata_json=?,"
                        " retired_at=NULL WHERE name = ? AND variant = ?",
                        [*meta, r["name"], r["variant"]],
                    )

    def upsert_prompts(self, rows: list[dict[str, Any]]) -> None:
        cols = ["prompt_key", "id", "dataset", "pair", "lang", "category", "prompt", "system", "reference",
                "answer_json", "difficulty", "tags_json"]
        with self.transaction():
            self.con.executemany(
                f"INSERT OR REPLACE INTO prompts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [[r[c] for c in cols] for r in rows],
            )

    # -- generations --------------------------------------------------------------------------
    GEN_COLS = [
        "gen_id", "variant", "prompt_key", "sample", "run_id", "status", "answer", "reasoning",
        "prompt_tokens", "completion_tokens", "reasoning_tokens", "reasoning_tokens_estimated", "latency_ms",
        "finish_reason", "error", "attempts", "request_json", "response_model", "created_at",
    ]

    def generation_status(self, keys: list[str] | None = None) -> dict[str, str]:
        """gen_id -> status for stored generations (optionally restricted to `keys`)."""
        if keys is None:
            rows = self.con.execute("SELECT gen_id, status FROM generations").fetchall()
        else:
            self.con.execute("CREATE OR REPLACE TEMP TABLE _want (k VARCHAR)")
            self.con.executemany("INSERT INTO _want VALUES (?)", [[k] for k in keys])
            rows = self.con.execute("SELECT g.gen_id, g.status FROM generations g JOIN _want w ON g.gen_id = w.k").fetchall()
        return dict(rows)

    def write_generations(self, rows: list[dict[str, Any]]) -> None:
        """One transaction per batch; a retried error row is replaced, an ok row is never overwritten."""
        if not rows:
            return
        cols = self.GEN_COLS
        with self.transaction():
            self.con.executemany(
                "DELETE FROM generations WHERE gen_id = ? AND status = 'error'", [[r["gen_id"]] for r in rows]
            )
            self.con.executemany(
                f"INSERT INTO generations ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                " ON CONFLICT DO NOTHING",
                [[r.get(c) for c in cols] for r in rows],
            )


# -- migrations: append only ------------------------------------------------------------------

@migration
def m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY, stage VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
            status VARCHAR, argv VARCHAR, config_json VARCHAR, counts_json VARCHAR, judge_version VARCHAR
        );
        CREATE TABLE models (
            name VARCHAR, variant VARCHAR, model_id VARCHAR, base_url VARCHAR, params_json VARCHAR,
            extra_body_json VARCHAR, system_prompt VARCHAR, quantization VARCHAR, params_total VARCHAR,
            params_active VARCHAR, base_model VARCHAR, tags_json VARCHAR, metadata_json VARCHAR,
            registered_at TIMESTAMP, retired_at TIMESTAMP,
            PRIMARY KEY (name, variant)
        );
        CREATE TABLE prompts (
            prompt_key VARCHAR PRIMARY KEY, id VARCHAR, dataset VARCHAR, pair VARCHAR, lang VARCHAR,
            category VARCHAR, prompt VARCHAR, system VARCHAR, reference VARCHAR, answer_json VARCHAR,
            difficulty VARCHAR, tags_json VARCHAR
        );
        CREATE TABLE generations (
            gen_id VARCHAR PRIMARY KEY, variant VARCHAR, prompt_key VARCHAR, sample INTEGER, run_id VARCHAR,
            status VARCHAR, answer VARCHAR, reasoning VARCHAR, prompt_tokens INTEGER, completion_tokens INTEGER,
            reasoning_tokens INTEGER, reasoning_tokens_estimated BOOLEAN, latency_ms DOUBLE,
            finish_reason VARCHAR, error VARCHAR, attempts INTEGER, request_json VARCHAR,
            response_model VARCHAR, created_at TIMESTAMP
        );
        -- A model label: the name for its current variant, name@variant for a retired one, so
        -- reports never mix two configurations under one name.
        CREATE VIEW model_labels AS
        SELECT name, variant, model_id, quantization, base_model, params_json, extra_body_json,
               CASE WHEN retired_at IS NULL THEN name ELSE name || '@' || substr(variant, 4, 8) END AS model,
               retired_at IS NULL AS current
        FROM models;
        CREATE VIEW answers AS
        SELECT g.gen_id AS generation_id, l.model, l.name AS model_name, g.variant, l.current,
               p.id AS prompt_id, p.pair, p.lang, p.category, p.difficulty, g.sample,
               g.answer, g.reasoning, g.prompt_tokens, g.completion_tokens, g.reasoning_tokens,
               g.reasoning_tokens_estimated, g.latency_ms, g.finish_reason, g.error, g.attempts,
               g.status, g.response_model, g.run_id, g.created_at, g.prompt_key
        FROM generations g
        JOIN model_labels l ON l.variant = g.variant
        JOIN prompts p ON p.prompt_key = g.prompt_key;
        """
    )
