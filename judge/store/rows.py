"""Batch row writing for the Store: column lists, one-statement inserts, whole-verdict replacement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from judge.secrets import redactor

if TYPE_CHECKING:
    from .store import Store


PROMPT_COLS = [
    "prompt_key",
    "id",
    "dataset",
    "pair",
    "lang",
    "category",
    "prompt",
    "system",
    "reference",
    "answer_json",
    "difficulty",
    "tags_json",
    "answer_lang",
    "constraints_json",
]
VERDICT_COLS = [
    "verdict_id",
    "criterion",
    "generation_id",
    "mode",
    "rubric",
    "rubric_version",
    "judge",
    "judge_variant",
    "judge_model_id",
    "score",
    "expected_score",
    "score_dist_json",
    "logprob_coverage",
    "passed",
    "rationale",
    "weight",
    "error",
    "attempts",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "raw",
    "self_judged",
    "prompts_version",
    "run_id",
    "created_at",
    "not_applicable",
    "instruction_lang",
    "repeat",
    "reasoning_tokens",
    "reasoning_tokens_estimated",
    "reasoning_reasked",
]
COMPARISON_COLS = [
    "comparison_id",
    "criterion",
    "pair_id",
    "swap",
    "position_a",
    "position_b",
    "rubric",
    "rubric_version",
    "judge",
    "judge_variant",
    "judge_model_id",
    "winner",
    "rationale",
    "error",
    "attempts",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "raw",
    "prompts_version",
    "run_id",
    "created_at",
    "not_applicable",
    "instruction_lang",
    "repeat",
    "reasoning_tokens",
    "reasoning_tokens_estimated",
    "reasoning_reasked",
]


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return dict(rows)


def _insert_columns(
    store: Store, sql_head: str, table: str, cols: list[str], rows: list[dict[str, Any]], tail: str = ""
) -> None:
    """Insert a batch as ONE statement: a typed list per column, expanded with unnest.

    DuckDB's executemany runs the statement once per row (about 2 ms a row), which made the store
    the harness's bottleneck; one statement per batch costs about 0.1 ms a row. A batch must not
    hold the same key twice (the callers' batches never do).
    """
    types = store._types.get(table)
    if types is None:
        types = store._types[table] = _column_types(store.con, table)
    select = ", ".join(f"unnest(?::{types.get(c, 'VARCHAR')}[])" for c in cols)
    store.con.execute(f"{sql_head} ({', '.join(cols)}) SELECT {select}{tail}", _columns(rows, cols))


def _append_rows(store: Store, table: str, cols: list[str], rows: list[dict[str, Any]]) -> None:
    """Insert a batch through DuckDB's appender (one statement at its flush, in the caller's
    transaction): about a third of the unnest statement's CPU a row, as there is no statement to
    bind per batch and no list parameters to convert. A plain INSERT: a key already stored, or
    twice in the batch, raises duckdb.ConstraintException (the caller's transaction is aborted)."""
    ap = store._appenders.get((table, *cols))
    if ap is None:
        ap = store._appenders[(table, *cols)] = store.con.appender(table, columns=cols)
    red = redactor()
    if red is None:
        data = [tuple([r.get(c) for c in cols]) for r in rows]
    else:
        data = [tuple([red(v) if isinstance(v, str) else v for v in (r.get(c) for c in cols)]) for r in rows]
    try:
        ap.append_rows(data)
        ap.flush()
    except BaseException:
        ap.clear()
        raise


def _columns(rows: list[dict[str, Any]], cols: list[str]) -> list[list[Any]]:
    """A batch as one list per column, in `cols` order; text from servers (errors, raw output)
    never carries a key."""
    out = [[r.get(c) for r in rows] for c in cols]
    red = redactor()
    if red is not None:
        out = [[red(v) if isinstance(v, str) else v for v in col] for col in out]
    return out


def _stored_keys(store: Store, table: str, key: str, keys: list[str]) -> list[str]:
    """Which of `keys` are stored in `table` (one statement)."""
    if not keys:
        return []
    rows = store.con.execute(
        f"SELECT {key} FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [keys]
    ).fetchall()
    return [r[0] for r in rows]


def _key_status(store: Store, table: str, key: str, keys: list[str]) -> dict[str, str]:
    """key -> 'ok' or 'error' (a verdict with any failed criterion row counts as an error)."""
    if not keys:
        return {}
    rows = store.con.execute(
        f"SELECT t.{key}, bool_or(t.error IS NOT NULL) FROM {table} t"
        f" WHERE t.{key} IN (SELECT unnest(?::VARCHAR[])) GROUP BY t.{key}",
        [keys],
    ).fetchall()
    return {k: "error" if bad else "ok" for k, bad in rows}


def _replace_rows(store: Store, table: str, key: str, cols: list[str], rows: list[dict[str, Any]]) -> int:
    """Replace whole verdicts (all criterion rows of a key) in one transaction."""
    if not rows:
        return 0
    keys = sorted({r[key] for r in rows})
    with store.transaction():
        store.con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [keys])
        _insert_columns(store, f"INSERT INTO {table}", table, cols, rows)
    return len(keys)
