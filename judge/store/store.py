"""The DuckDB store: connection, numbered migrations, typed writes, read-only access.

Stages meet only here. Every write is a batch in one transaction, so a killed process leaves
either the whole batch or nothing (DuckDB's WAL rolls back an unfinished transaction on the next
open).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from judge.errors import StoreError
from judge.store.migrations import MIGRATIONS

from .progress import read_progress
from .rows import (
    COMPARISON_COLS,
    PROMPT_COLS,
    VERDICT_COLS,
    _append_rows,
    _insert_columns,
    _key_status,
    _replace_rows,
    _stored_keys,
)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _open_error(path: Path, e: Exception) -> StoreError:
    msg = str(e)
    m = re.search(r"PID (\d+)", msg)
    if "lock" in msg.lower():
        who = f" (process {m.group(1)})" if m else ""
        live = read_progress(path)
        return StoreError(
            f"{path}: the database is in use by another judge process{who}",
            hints=[
                *([live.line()] if live else []),
                "DuckDB lets one process hold the file while it writes: try again when that run ends"
                " (judge status shows its progress meanwhile)",
            ],
        )
    return StoreError(f"{path}: cannot open the database: {msg}")


# `judge ui` and `judge api` readers hold the file for milliseconds (a snapshot copy, queued labels):
# a writer that starts in that moment waits this long for them instead of failing.
LOCK_WAIT_SECONDS = 3.0


def _connect_waiting(path: Path, lock_wait: float | None) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if lock_wait is None else lock_wait)
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as e:
            if "lock" not in str(e).lower() or time.monotonic() >= deadline:
                raise _open_error(path, e) from e
            time.sleep(0.05)


class Store:
    """A DuckDB file. Open it with `Store.open(path)` (migrates) or `Store.open_readonly(path)`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, readonly: bool) -> None:
        self.con = con
        self.path = path
        self.readonly = readonly
        self._types: dict[str, dict[str, str]] = {}
        self._appenders: dict[tuple[str, ...], duckdb.Appender] = {}

    @classmethod
    def open(cls, path: str | Path, *, migrate: bool = True, lock_wait: float | None = None) -> Store:
        """`lock_wait`: seconds to wait for another process's lock (default LOCK_WAIT_SECONDS; 0 for
        a caller that has somewhere else to put its writes, as the UI's label queue)."""
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect_waiting(path, lock_wait)
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
                hints=["run `judge generate` or `judge grade` once: writing commands upgrade the schema"],
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
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS _judge_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
        )
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
    # A run's status: running, then done | done_with_errors | incomplete (work left pending: an
    # endpoint was unreachable) | failed (an exception ended it) | interrupted (Ctrl-C, SIGTERM,
    # SIGHUP) | stale (its process died without a word: found `running` by a later run).

    def start_run(self, run_id: str, stage: str, argv: list[str], config: dict[str, Any]) -> None:
        """Record a new run (with the process that runs it); earlier runs whose process is gone
        are marked stale first."""
        from judge import __version__

        config = {**config, "process": {"pid": os.getpid(), "host": socket.gethostname()}}
        with self.transaction():
            self._mark_stale_runs()
            self.con.execute(
                "INSERT INTO runs (run_id, stage, started_at, argv, config_json, judge_version, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                [
                    run_id,
                    stage,
                    now(),
                    json.dumps(argv),
                    json.dumps(config, ensure_ascii=False, default=str),
                    __version__,
                ],
            )

    def _mark_stale_runs(self) -> None:
        """Mark `stale` every `running` run that is not this process's own.

        No pid probe is needed: DuckDB lets one process at a time open the file for writing, and
        we hold it, so a run recorded by any other process (or by an older judge that did not
        record its process) cannot still be running.
        """
        self.con.execute(
            "UPDATE runs SET status = 'stale', finished_at = ? WHERE status = 'running' AND NOT coalesce("
            " json_valid(config_json)"
            " AND json_extract_string(config_json, '$.process.pid') = ?"
            " AND json_extract_string(config_json, '$.process.host') = ?, false)",
            [now(), str(os.getpid()), socket.gethostname()],
        )

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any]) -> None:
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
                    r["model_id"],
                    r["base_url"],
                    r["params_json"],
                    r["extra_body_json"],
                    r["system_prompt"],
                    r["quantization"],
                    r["params_total"],
                    r["params_active"],
                    r["base_model"],
                    r["tags_json"],
                    r["metadata_json"],
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
        cols = PROMPT_COLS
        if not rows:
            return
        with self.transaction():
            # New prompts (all of them on a first run) go in through the appender, about a third of
            # the CPU of the list-parameter statement a row; stored ones are replaced with it.
            stored = set(_stored_keys(self, "prompts", "prompt_key", [r["prompt_key"] for r in rows]))
            # (a key twice in the list would fail the appender: the last one wins, as with REPLACE)
            new = list({r["prompt_key"]: r for r in rows if r["prompt_key"] not in stored}.values())
            if len(new) < len(rows):
                old = [r for r in rows if r["prompt_key"] in stored]
                _insert_columns(self, "INSERT OR REPLACE INTO prompts", "prompts", cols, old)
            if new:
                _append_rows(self, "prompts", cols, new)

    # -- generations --------------------------------------------------------------------------
    GEN_COLS: ClassVar[list[str]] = [
        "gen_id",
        "content_id",
        "variant",
        "prompt_key",
        "sample",
        "run_id",
        "status",
        "answer",
        "reasoning",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "reasoning_tokens_estimated",
        "latency_ms",
        "finish_reason",
        "error",
        "attempts",
        "request_json",
        "response_model",
        "created_at",
    ]

    def generation_status(self, keys: list[str] | None = None) -> dict[str, str]:
        """gen_id -> status for stored generations (optionally restricted to `keys`)."""
        if keys is None:
            rows = self.con.execute("SELECT gen_id, status FROM generations").fetchall()
        else:
            rows = self.con.execute(
                "SELECT gen_id, status FROM generations WHERE gen_id IN (SELECT unnest(?::VARCHAR[]))", [keys]
            ).fetchall()
        return dict(rows)

    def write_generations(self, rows: list[dict[str, Any]], *, replace_errors: bool = True) -> None:
        """One transaction per batch; a retried error row is replaced, an ok row is never overwritten.

        `replace_errors=False`: the caller knows none of these keys is stored as an error (a run
        that does not retry errors), so the batch's DELETE is skipped.
        """
        if not rows:
            return
        try:
            with self.transaction():
                self._delete_error_rows(rows, replace_errors)
                _append_rows(self, "generations", self.GEN_COLS, rows)
        except duckdb.ConstraintException:
            # A key stored already (an ok row is never overwritten) or twice in the batch (two items
            # with the same messages): the batch again, with the statement that skips those rows.
            with self.transaction():
                self._delete_error_rows(rows, replace_errors)
                _insert_columns(
                    self, "INSERT INTO generations", "generations", self.GEN_COLS, rows, " ON CONFLICT DO NOTHING"
                )

    def _delete_error_rows(self, rows: list[dict[str, Any]], replace_errors: bool) -> None:
        if replace_errors:
            self.con.execute(
                "DELETE FROM generations WHERE status = 'error' AND gen_id IN (SELECT unnest(?::VARCHAR[]))",
                [[r["gen_id"] for r in rows]],
            )

    # -- judge stage --------------------------------------------------------------------------
    def register_rubrics(self, rows: list[dict[str, Any]]) -> None:
        """Keep every rubric version's text; a rubric's previous version is retired, not deleted."""
        with self.transaction():
            for r in rows:
                exists = self.con.execute(
                    "SELECT 1 FROM rubrics WHERE name = ? AND version = ?", [r["name"], r["version"]]
                ).fetchone()
                self.con.execute(
                    "UPDATE rubrics SET retired_at = ? WHERE name = ? AND version <> ? AND retired_at IS NULL",
                    [now(), r["name"], r["version"]],
                )
                if exists:
                    self.con.execute(
                        "UPDATE rubrics SET retired_at = NULL, path = ? WHERE name = ? AND version = ?",
                        [r["path"], r["name"], r["version"]],
                    )
                else:
                    self.con.execute(
                        "INSERT INTO rubrics (name, version, path, text, canonical_json, scale_min, scale_max, criteria_json,"
                        " registered_at, retired_at) VALUES (?,?,?,?,?,?,?,?,?,NULL)",
                        [
                            r["name"],
                            r["version"],
                            r["path"],
                            r["text"],
                            r["canonical_json"],
                            r["scale_min"],
                            r["scale_max"],
                            r["criteria_json"],
                            now(),
                        ],
                    )

    def verdict_status(self, keys: list[str]) -> dict[str, str]:
        return _key_status(self, "verdicts", "verdict_id", keys)

    def comparison_status(self, keys: list[str]) -> dict[str, str]:
        return _key_status(self, "comparisons", "comparison_id", keys)

    def write_verdicts(self, rows: list[dict[str, Any]]) -> int:
        """Whole verdicts (every criterion row of a verdict id) replace any stored ones."""
        return _replace_rows(self, "verdicts", "verdict_id", VERDICT_COLS, rows)

    def write_comparisons(self, rows: list[dict[str, Any]]) -> int:
        return _replace_rows(self, "comparisons", "comparison_id", COMPARISON_COLS, rows)

    # -- reads for the stages ---------------------------------------------------------------------
    def successful_answers(self, models: list[str] | None = None) -> list[tuple[Any, ...]]:
        """Current-variant answers that succeeded, with their prompt's columns, for grading.

        Columns: generation_id, model, model_id, answer, reasoning, prompt_key, sample, then the
        prompt's id, pair, lang, category, prompt, system, reference, answer_json, difficulty, tags_json,
        then the generation's content_id and the config entry's name (model_name), then the prompt's
        answer_lang and constraints_json.
        """
        sql = """
            SELECT a.generation_id, a.model, m.model_id, a.answer, a.reasoning, a.prompt_key, a.sample,
                   p.id, p.pair, p.lang, p.category, p.prompt, p.system, p.reference, p.answer_json,
                   p.difficulty, p.tags_json, g.content_id, a.model_name, p.answer_lang, p.constraints_json
            FROM answers a
            JOIN model_labels m ON m.variant = a.variant AND m.name = a.model_name
            JOIN prompts p ON p.prompt_key = a.prompt_key
            JOIN generations g ON g.gen_id = a.generation_id
            WHERE a.status = 'ok' AND a.current
        """
        params: list[Any] = []
        if models:
            sql += f" AND a.model IN ({', '.join('?' * len(models))})"
            params = list(models)
        return self.query(sql + " ORDER BY a.model, p.id, a.sample", params)[1]
