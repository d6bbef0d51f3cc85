"""Batches: answers accepted with 202, graded in the background, finished even after a kill.

Why the database is the queue: an item is stored as `pending` before the client hears 202, and
becomes `done` or `error` in the same transaction as its verdict. A server killed at any moment
leaves each item either pending (graded again after the restart) or finished with its verdict,
never both; and a verdict's key is its content, so grading an item again after a kill that came
between the judge's reply and the commit reads no stored verdict twice and writes one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from judge.errors import StoreError
from judge.store import api as db

from .schemas import GradeRequest
from .service import ApiFailure, Grader

log = logging.getLogger("judge.api")

RETRY_PENDING_SECONDS = 5.0
"""How long items left pending (judge unreachable, database in use) wait before the next attempt."""


class BatchRunner:
    """One background task grading every pending item, `concurrency` at a time."""

    def __init__(self, grader: Grader, store: db.ServiceStore, concurrency: int) -> None:
        self.grader, self.store = grader, store
        self.concurrency = concurrency
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="judge-api-batches")

    def wake(self) -> None:
        """New items were stored: grade them now."""
        self._wake.set()
        self.start()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                items = await self.store.run(db.unfinished_items)
            except StoreError:
                items, left = [], True
            else:
                left = await self._grade_all(items) if items else False
            if items and not left:
                continue  # more may have arrived meanwhile
            try:  # sleep until new work, or a while when some items could not be graded yet
                await asyncio.wait_for(self._wake.wait(), RETRY_PENDING_SECONDS if left else None)
            except TimeoutError:
                pass

    async def _grade_all(self, items: list[tuple[str, int, str]]) -> bool:
        """Grade the items; True when some are still pending (to try again later)."""
        sem = asyncio.Semaphore(self.concurrency)

        async def one(batch_id: str, idx: int, request_json: str) -> bool:
            async with sem:
                return await self._grade_one(batch_id, idx, request_json)

        results = await asyncio.gather(*(one(*it) for it in items))
        return not all(results)

    async def _grade_one(self, batch_id: str, idx: int, request_json: str) -> bool:
        """True when the item is finished (done or error), False when it stays pending."""
        try:
            req = GradeRequest.model_validate_json(request_json)
            await self.grader.grade(self.store, req, (batch_id, idx))
            return True
        except ApiFailure as e:
            if e.status == 502:
                return True  # the error verdict and the item's status were stored together
            if e.status == 503:
                return False  # the judge is unreachable: nothing stored, tried again later
            return await self._fail(batch_id, idx, e.status, e.detail)
        except StoreError:
            return False  # another process holds the database: tried again later
        except Exception as e:  # a bug: the item says so; the service keeps serving
            log.exception("batch %s item %d failed", batch_id, idx)
            return await self._fail(batch_id, idx, 500, f"internal error ({type(e).__name__})")

    async def _fail(self, batch_id: str, idx: int, status: int, detail: str) -> bool:
        try:
            await self.store.run(db.fail_item, batch_id, idx, status, detail)
        except StoreError:
            return False
        return True


def batch_body(head: tuple[Any, ...], items: list[tuple[Any, ...]], verdicts: dict[str, list[Any]]) -> dict[str, Any]:
    """The `BatchStatus` response from the stored batch, its items and their verdicts."""
    from .service import verdict_body

    out = []
    for idx, status, verdict_id, http_status, error in items:
        rows = verdicts.get(verdict_id) if verdict_id else None
        out.append(
            {
                "index": idx,
                "status": status,
                "verdict": verdict_body(verdict_id, rows, stored_before=False) if rows and not error else None,
                "error": error,
                "http_status": http_status,
            }
        )
    count = {s: sum(1 for it in items if it[1] == s) for s in ("done", "error", "pending")}
    return {
        "batch_id": head[0],
        "status": head[1] if head[1] == "done" else "pending",
        "n_items": head[2],
        "n_done": count["done"],
        "n_error": count["error"],
        "n_pending": count["pending"],
        "created_at": head[3].isoformat() if head[3] else None,
        "finished_at": head[4].isoformat() if head[4] else None,
        "items": out,
    }
