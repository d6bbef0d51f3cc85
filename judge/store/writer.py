"""The one batch writer: finished rows reach the database in batches, off the event loop.

Why: generate and grade both finish work one call at a time; one transaction per row would cost
the server's throughput, and a batch kept only in memory would be lost on a kill. `write` is a
Store method (`write_generations`, `write_verdicts`, ...) taking a list of rows.

Why batches by time, not by count: a DuckDB statement costs about 10 ms of CPU whatever its size
(binding, the key index, the commit) and then some 40 µs a row, so 64-row batches spent more CPU
than the client sending the requests (measured in bench/harness_overhead.py). One batch per
`FLUSH_SECONDS` keeps what a kill can lose to what finished in the last second, for a fast server
and a slow one alike, and costs one statement a second however fast the rows come.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

FLUSH_SECONDS = 1.0
"""A finished row reaches the database within about a second (plus the write in progress)."""
MAX_BATCH = 8192
"""Rows that start a write at once, without waiting for the second to pass (bounds memory)."""
MAX_BUFFERED = 4 * MAX_BATCH
"""Rows that may wait for a busy writer; beyond it `add` waits for the write (back-pressure)."""


class BatchWriter:
    """Buffers finished rows; one writer thread writes them in batches, each batch one transaction.

    `add` only appends to a list (the event loop never waits on DuckDB, whose statements release
    the GIL). The thread writes whatever is buffered once the oldest row has waited `seconds`, or
    at once when `max_batch` rows wait; `first` jobs run before any batch. `flush()` has the
    thread write everything left and waits for it (through Ctrl-C), so the connection is never
    used by two threads at once. A failed write stops the thread; the next `add` raises it, and
    `flush()` writes the rows left on the calling thread, then raises it.
    """

    def __init__(
        self,
        write: Callable[[list[Any]], Any],
        *,
        seconds: float = FLUSH_SECONDS,
        max_batch: int = MAX_BATCH,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self.write = write
        self.seconds, self.max_batch, self.max_buffered = seconds, max_batch, max(max_buffered, max_batch)
        self.buf: list[Any] = []
        self._since = 0.0  # when the oldest buffered row arrived (monotonic)
        self._jobs: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closing = False
        self._error: BaseException | None = None
        self._raised = False  # `add` has raised the error: `flush` does not raise it again

    def first(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on the writer thread ahead of every batch (a batch never commits before it)."""
        with self._cond:
            self._jobs.append((fn, args))
            self._cond.notify()
        self._start()

    def add(self, row: Any) -> None:
        """Buffer a finished row (cheap: the thread writes it within `seconds`)."""
        if self._error is not None:
            self._raised = True
            raise self._error  # a failed write stops the run, as a synchronous one did
        cond = self._cond
        with cond:
            buf = self.buf
            buf.append(row)
            n = len(buf)
            if n == 1:
                self._since = time.monotonic()
                cond.notify()
            elif n >= self.max_batch:
                cond.notify()
                if n >= self.max_buffered:  # the writer is behind: wait for it rather than grow
                    while len(self.buf) >= self.max_buffered and self._error is None and self._thread is not None:
                        cond.wait(0.1)
        self._start()

    def _start(self) -> None:
        if self._thread is None and not self._closing:
            self._thread = threading.Thread(target=self._loop, name="judge-writer", daemon=True)
            self._thread.start()

    def _next(self) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
        """The next job (a `first` job, or a batch to write), waiting for it; None when closed."""
        cond = self._cond
        with cond:
            while True:
                if self._jobs:
                    return self._jobs.popleft()
                if self.buf:
                    wait = self._since + self.seconds - time.monotonic()
                    if self._closing or wait <= 0 or len(self.buf) >= self.max_batch:
                        rows, self.buf = self.buf, []
                        self._since = time.monotonic()
                        cond.notify_all()  # an `add` waiting for room
                        return self.write, (rows,)
                    cond.wait(wait)
                elif self._closing:
                    return None
                else:
                    cond.wait()

    def _loop(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            fn, args = job
            try:
                fn(*args)
            except BaseException as e:
                with self._cond:
                    self._error = e
                    self._cond.notify_all()
                return

    def flush(self) -> bool:
        """Write everything; True when a Ctrl-C came while waiting for the writer (the caller
        raises it once the run is recorded: the connection must not be used by two threads)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        interrupted = False
        if self._thread is not None:
            interrupted = _join_through_interrupts(self._thread)
            self._thread = None
        # Only after a failed write (or with no thread at all) is anything left: written here, on
        # the calling thread, now that no other thread holds the connection.
        jobs, rows = list(self._jobs), self.buf
        self._jobs.clear()
        self.buf = []
        error = None if self._raised else self._error
        self._error, self._raised = None, False
        try:
            for fn, args in jobs:
                fn(*args)
            if rows:
                self.write(rows)
        finally:
            self._closing = False
        if error is not None:
            raise error
        return interrupted


def _join_through_interrupts(thread: threading.Thread) -> bool:
    """Wait for the writer thread even through Ctrl-C; True if one came meanwhile."""
    interrupted = False
    while True:
        try:
            thread.join()
            return interrupted
        except KeyboardInterrupt:
            interrupted = True
