"""The store side of `judge api`: one connection on one thread, opened for work and closed when idle.

Why closed when idle: DuckDB lets one process hold a file for writing, and while it does no other
process can open it even read-only. The service opens the file when a request needs it and closes
it `idle_close` seconds after the last one, so `judge sql` and `judge report` read it between bursts
(while requests keep coming, the file stays open and readers are told it is in use).

Why one thread: a DuckDB connection must not be used by two threads at once, and the event loop
must never wait on a statement; every statement runs on the thread of `ServiceStore`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .rows import COMPARISON_COLS, PROMPT_COLS, VERDICT_COLS, _insert_columns
from .store import Store, now

T = TypeVar("T")

VERDICT_READ = (
    "criterion, score, expected_score, rationale, coalesce(not_applicable, false), error, rubric,"
    " rubric_version, judge, generation_id, attempts, source"
)
COMPARISON_READ = (
    "comparison_id, swap, criterion, winner, rationale, coalesce(not_applicable, false), error, rubric,"
    " rubric_version, judge, pair_id, position_a, position_b, source"
)


class ServiceStore:
    """The service's database: `await run(fn, *args)` calls `fn(store, *args)` on the store's thread."""

    def __init__(self, path: Path, idle_close: float) -> None:
        self.path = path
        self.idle_close = idle_close
        self._exec = ThreadPoolExecutor(1, thread_name_prefix="judge-api-db")
        self._store: Store | None = None
        self._last = 0.0
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._writes: list[tuple[VerdictWrite, asyncio.Future[None], asyncio.AbstractEventLoop]] = []
        self._draining = False
        self.opens = 0
        """How many times the file was opened (tests check it is closed when idle)."""

    @property
    def is_open(self) -> bool:
        return self._store is not None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._exec, self._call, fn, args)

    async def write(self, w: VerdictWrite) -> None:
        """Store one grading; those queued meanwhile share its transaction (see `record_verdicts`)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._writes.append((w, fut, loop))
            start = not self._draining
            self._draining = True
        if start:
            self._exec.submit(self._drain)
        await fut

    def _drain(self) -> None:
        with self._lock:
            group, self._writes = self._writes, []
            self._draining = False
        if not group:
            return
        try:
            self._call(record_verdicts, ([w for w, _, _ in group],))
            outcomes: list[BaseException | None] = [None] * len(group)
        except BaseException as e:
            if len(group) == 1:
                outcomes = [e]
            else:  # one bad grading must not fail the others: each alone
                outcomes = []
                for w, _, _ in group:
                    try:
                        self._call(record_verdicts, ([w],))
                        outcomes.append(None)
                    except BaseException as e1:
                        outcomes.append(e1)
        for (_, fut, loop), err in zip(group, outcomes):
            loop.call_soon_threadsafe(_settle, fut, err)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._store is None:
            self._store = Store.open(self.path)  # StoreError when another process holds the file
            self.opens += 1
        try:
            return fn(self._store, *args)
        finally:
            self._last = time.monotonic()
            self._arm()

    def _arm(self, delay: float | None = None) -> None:
        # One timer per idle period, not one per statement: it re-arms itself while work goes on.
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.idle_close if delay is None else delay, self._submit_close)
                self._timer.daemon = True
                self._timer.start()

    def _submit_close(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self._exec.submit(self._close_if_idle)
        except RuntimeError:  # the executor is shut down: close() closed the store
            pass

    def _close_if_idle(self) -> None:
        if self._store is None:
            return
        left = self._last + self.idle_close - time.monotonic()
        if left <= 0:
            self._store.close()
            self._store = None
        else:
            self._arm(left)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self._exec.submit(self._close_now).result()
        self._exec.shutdown(wait=True)

    def _close_now(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _settle(fut: asyncio.Future[None], err: BaseException | None) -> None:
    if fut.done():
        return
    if err is None:
        fut.set_result(None)
    else:
        fut.set_exception(err)


# -- reads ------------------------------------------------------------------------------------------


def verdict_rows(store: Store, verdict_id: str) -> list[tuple[Any, ...]]:
    """A stored verdict's criterion rows (empty when none is stored)."""
    return store.con.execute(
        f"SELECT {VERDICT_READ} FROM verdicts WHERE verdict_id = ? ORDER BY criterion", [verdict_id]
    ).fetchall()


def comparison_rows(store: Store, keys: list[str]) -> list[tuple[Any, ...]]:
    """The stored rows of both orders of a comparison."""
    return store.con.execute(
        f"SELECT {COMPARISON_READ} FROM comparisons WHERE comparison_id IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY swap, criterion",
        [keys],
    ).fetchall()


def idempotent_response(store: Store, token: str, key: str) -> tuple[str, str, int, str] | None:
    """(endpoint, request hash, status, body) of the first response to this key, if any."""
    row = store.con.execute(
        "SELECT endpoint, request_hash, status_code, response_json FROM api_idempotency"
        " WHERE token_id = ? AND idem_key = ?",
        [token, key],
    ).fetchone()
    return (row[0], row[1], int(row[2]), row[3]) if row else None


def batch_state(store: Store, batch_id: str, token: str) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]] | None:
    """A batch of this token: (batch_id, status, n_items, created_at, finished_at), and its items
    (idx, status, verdict_id, http_status, error); None when it is not this token's or does not exist."""
    head = store.con.execute(
        "SELECT batch_id, status, n_items, created_at, finished_at FROM api_batches WHERE batch_id = ? AND token_id = ?",
        [batch_id, token],
    ).fetchone()
    if head is None:
        return None
    items = store.con.execute(
        "SELECT idx, status, verdict_id, http_status, error FROM api_batch_items WHERE batch_id = ? ORDER BY idx",
        [batch_id],
    ).fetchall()
    return head, items


def verdicts_of(store: Store, ids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """verdict_id -> its criterion rows, for many verdicts at once."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    if not ids:
        return out
    for r in store.con.execute(
        f"SELECT verdict_id, {VERDICT_READ} FROM verdicts WHERE verdict_id IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY verdict_id, criterion",
        [ids],
    ).fetchall():
        out.setdefault(r[0], []).append(r[1:])
    return out


def unfinished_items(store: Store) -> list[tuple[str, int, str]]:
    """(batch_id, idx, request_json) of every item not yet graded, oldest batch first."""
    return store.con.execute(
        "SELECT i.batch_id, i.idx, i.request_json FROM api_batch_items i JOIN api_batches b USING (batch_id)"
        " WHERE i.status = 'pending' ORDER BY b.created_at, i.batch_id, i.idx"
    ).fetchall()


# -- writes -----------------------------------------------------------------------------------------


@dataclass
class VerdictWrite:
    """What one grading stores: the answers graded (prompt, model and generation rows, each stored
    once), the verdict's rows in `table` (replacing a failed one of the same key), and the batch item
    it finishes (batch_id, idx, verdict_id, http status of a failure, its error)."""

    answers: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]
    table: str
    rows: list[dict[str, Any]]
    item: tuple[str, int, str, int | None, str | None] | None = None


def record_verdicts(store: Store, writes: list[VerdictWrite]) -> None:
    """Many gradings in one transaction, a statement per table (not per grading).

    Why grouped: a DuckDB statement costs milliseconds of CPU whatever its size, and a grading writes
    to five tables; the gradings that finish while a transaction commits are written by the next one.
    """
    models: dict[tuple[str, str], dict[str, Any]] = {}
    prompts: dict[str, dict[str, Any]] = {}
    gens: dict[str, dict[str, Any]] = {}
    rows: dict[str, dict[tuple[str, str], dict[str, Any]]] = {"verdicts": {}, "comparisons": {}}
    items = []
    for w in writes:
        for prompt, model, gen in w.answers:
            models.setdefault((model["name"], model["variant"]), model)
            prompts.setdefault(prompt["prompt_key"], prompt)
            gens.setdefault(gen["gen_id"], gen)
        key = "verdict_id" if w.table == "verdicts" else "comparison_id"
        for r in w.rows:  # the same verdict graded twice at once: its last rows
            rows[w.table][(r[key], r["criterion"])] = {**r, "source": "api"}
        if w.item is not None:
            items.append(w.item)
    with store.transaction() as con:
        if models:
            ms = list(models.values())
            con.execute(
                "INSERT INTO models (name, variant, model_id, base_url, params_json, extra_body_json, tags_json,"
                " metadata_json, registered_at) SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
                " unnest(?::VARCHAR[]), '[]', '{}', '{}', unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), ?"
                " ON CONFLICT DO NOTHING",
                [[m[c] for m in ms] for c in ("name", "variant", "model_id", "tags_json", "metadata_json")] + [now()],
            )
        if prompts:
            _insert_columns(
                store, "INSERT INTO prompts", "prompts", PROMPT_COLS, list(prompts.values()), " ON CONFLICT DO NOTHING"
            )
        if gens:
            _insert_columns(
                store,
                "INSERT INTO generations",
                "generations",
                Store.GEN_COLS,
                list(gens.values()),
                " ON CONFLICT DO NOTHING",
            )
        for table, by in rows.items():
            if not by:
                continue
            key = "verdict_id" if table == "verdicts" else "comparison_id"
            cols = (VERDICT_COLS if table == "verdicts" else COMPARISON_COLS) + ["source"]
            ids = sorted({k for k, _ in by})
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [ids])
            _insert_columns(store, f"INSERT INTO {table}", table, cols, list(by.values()))
        if items:
            _finish_items(store, items)


def _finish_items(store: Store, items: list[tuple[str, int, str, int | None, str | None]]) -> None:
    batch_ids, idxs, vids, statuses, errors = (list(col) for col in zip(*items))
    store.con.execute(
        "UPDATE api_batch_items i SET status = CASE WHEN u.error IS NULL THEN 'done' ELSE 'error' END,"
        " verdict_id = u.verdict_id, http_status = u.http_status, error = u.error, finished_at = ?"
        " FROM (SELECT unnest(?::VARCHAR[]) AS batch_id, unnest(?::INTEGER[]) AS idx, unnest(?::VARCHAR[]) AS verdict_id,"
        " unnest(?::INTEGER[]) AS http_status, unnest(?::VARCHAR[]) AS error) u"
        " WHERE i.batch_id = u.batch_id AND i.idx = u.idx",
        [now(), batch_ids, idxs, vids, statuses, errors],
    )
    for batch_id in sorted(set(batch_ids)):
        _finish_batch(store, batch_id)


def fail_item(store: Store, batch_id: str, idx: int, status: int, error: str) -> None:
    """A batch item that could not be graded at all (bad request content found late): no verdict."""
    with store.transaction() as con:
        con.execute(
            "UPDATE api_batch_items SET status = 'error', http_status = ?, error = ?, finished_at = ?"
            " WHERE batch_id = ? AND idx = ?",
            [status, error, now(), batch_id, idx],
        )
        _finish_batch(store, batch_id)


def _finish_batch(store: Store, batch_id: str) -> None:
    store.con.execute(
        "UPDATE api_batches SET status = 'done', finished_at = ? WHERE batch_id = ? AND status <> 'done'"
        " AND NOT EXISTS (SELECT 1 FROM api_batch_items WHERE batch_id = ? AND status = 'pending')",
        [now(), batch_id, batch_id],
    )


def create_batch(
    store: Store, batch_id: str, token: str, requests: list[str], idem: tuple[str, str, str, int, str] | None
) -> None:
    """A batch and its items, stored before the service answers 202 (with the idempotency record of
    the request, in the same transaction: a retried request never makes a second batch)."""
    with store.transaction() as con:
        con.execute(
            "INSERT INTO api_batches (batch_id, token_id, status, n_items, created_at) VALUES (?, ?, 'pending', ?, ?)",
            [batch_id, token, len(requests), now()],
        )
        con.execute(
            "INSERT INTO api_batch_items (batch_id, idx, request_json, status)"
            " SELECT ?, unnest(range(?)), unnest(?::VARCHAR[]), 'pending'",
            [batch_id, len(requests), requests],
        )
        if idem is not None:
            _put_idempotent(store, token, *idem)


def remember_response(store: Store, token: str, key: str, endpoint: str, req_hash: str, status: int, body: str) -> None:
    with store.transaction():
        _put_idempotent(store, token, key, endpoint, req_hash, status, body)


def _put_idempotent(store: Store, token: str, key: str, endpoint: str, req_hash: str, status: int, body: str) -> None:
    store.con.execute(
        "INSERT INTO api_idempotency VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [token, key, endpoint, req_hash, status, body, now()],
    )


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
