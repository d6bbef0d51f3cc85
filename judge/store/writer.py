"""The one batch writer: finished rows reach the database in batches, off the event loop.

Why: generate and grade both finish work one call at a time; one transaction per row would cost
the server's throughput, and a batch kept only in memory would be lost on a kill. `write` is a
Store method (`write_generations`, `write_verdicts`, ...) taking a list of rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

FLUSH_EVERY = 64
"""Rows per batch."""
FLUSH_SECONDS = 1.0
"""A slow stage's finished rows reach the database within about a second."""


class BatchWriter:
    """Buffers finished rows and writes them in batches, each batch one transaction.

    Batches are written on one background thread, so the event loop keeps sending while DuckDB
    works (its executemany costs milliseconds a row and releases the GIL). At most one job is in
    flight; rows that finish meanwhile join the next batch, up to MAX_BATCH, after which `add`
    waits. `flush()` waits for the job in flight, then writes the rest on the calling thread: the
    connection is never used by two threads at once.
    """

    def __init__(
        self, write: Callable[[list[Any]], Any], *, every: int = FLUSH_EVERY, seconds: float = FLUSH_SECONDS
    ) -> None:
        self.write = write
        self.every, self.seconds, self.max_batch = every, seconds, 4 * every
        self.buf: list[Any] = []
        self.last = time.monotonic()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def first(self, fn: Callable[..., None], *args: Any) -> None:
        """Run `fn` on the writer thread ahead of every batch (a batch never commits before it)."""
        self._pending = self._executor().submit(fn, *args)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge-writer")
        return self._pool

    def add(self, row: Any) -> None:
        self.buf.append(row)
        if len(self.buf) >= self.every or time.monotonic() - self.last > self.seconds:
            if self._pending is not None:
                if not self._pending.done() and len(self.buf) < self.max_batch:
                    return  # still writing: these rows go with the next batch
                done, self._pending = self._pending, None
                done.result()  # a failed write stops the run, as a synchronous one did
            rows, self.buf = self.buf, []
            self._pending = self._executor().submit(self.write, rows)
            self.last = time.monotonic()

    def flush(self) -> bool:
        """Write everything; True when a Ctrl-C came while waiting for the writer (the caller
        raises it once the run is recorded: the connection must not be used by two threads)."""
        interrupted = False
        try:
            if self._pending is not None:
                pending, self._pending = self._pending, None
                interrupted = _wait_through_interrupts(pending)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            rows, self.buf = self.buf, []
            if rows:
                self.write(rows)
            self.last = time.monotonic()
        return interrupted


def _wait_through_interrupts(job: Future[None]) -> bool:
    """Wait for the writer's job even through Ctrl-C; True if one came meanwhile."""
    interrupted = False
    while True:
        try:
            job.result()
            return interrupted
        except KeyboardInterrupt:
            interrupted = True
