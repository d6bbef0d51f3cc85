"""The one batch writer: rows reach the database within about a second, in few batches, in order."""

from __future__ import annotations

import threading
import time

import pytest

from judge.store.writer import BatchWriter


class Sink:
    """A `write` that records its batches (and which thread wrote them)."""

    def __init__(self, delay: float = 0.0, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[str] = set()
        self.delay, self.fail_on = delay, fail_on
        self.lock = threading.Lock()

    def __call__(self, rows: list[int]) -> None:
        time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in rows:
            raise RuntimeError(f"cannot write row {self.fail_on}")
        with self.lock:
            self.batches.append(list(rows))
            self.threads.add(threading.current_thread().name)

    @property
    def rows(self) -> list[int]:
        return [r for b in self.batches for r in b]


def _wait_for(cond, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_rows_reach_the_sink_within_the_time_bound_without_another_add() -> None:
    sink = Sink()
    w = BatchWriter(sink, seconds=0.2)
    t0 = time.monotonic()
    w.add(1)
    assert _wait_for(lambda: sink.rows == [1]), "a lone row must not wait for the next one"
    assert 0.15 <= time.monotonic() - t0 < 2.0
    assert sink.threads == {"judge-writer"}
    assert w.flush() is False
    assert sink.batches == [[1]]


def test_many_rows_make_few_batches_and_flush_writes_the_rest_in_order() -> None:
    sink = Sink()
    w = BatchWriter(sink, seconds=60)
    for i in range(1000):
        w.add(i)
    assert sink.batches == []  # nothing is due yet: no statement per 64 rows
    assert w.flush() is False
    assert sink.rows == list(range(1000)) and len(sink.batches) == 1


def test_a_full_batch_is_written_at_once() -> None:
    sink = Sink()
    w = BatchWriter(sink, seconds=60, max_batch=10)
    for i in range(25):
        w.add(i)
    assert _wait_for(lambda: len(sink.rows) >= 10)
    w.flush()
    assert sink.rows == list(range(25)) and all(len(b) <= 25 for b in sink.batches)


def test_first_job_commits_before_any_batch() -> None:
    order: list[str] = []
    gate = threading.Event()

    def prompts() -> None:
        gate.wait(5)
        order.append("prompts")

    w = BatchWriter(lambda rows: order.append(f"batch {len(rows)}"), seconds=0.0)
    w.first(prompts)
    w.add(1)
    w.add(2)
    time.sleep(0.1)
    assert order == []
    gate.set()
    w.flush()
    assert order[0] == "prompts" and sum(int(x.split()[1]) for x in order[1:]) == 2


def test_add_waits_for_a_writer_that_is_behind() -> None:
    sink = Sink(delay=0.1)
    w = BatchWriter(sink, seconds=0.0, max_batch=4, max_buffered=8)
    t0 = time.monotonic()
    for i in range(20):
        w.add(i)
    assert time.monotonic() - t0 > 0.08  # back-pressure, not an unbounded buffer
    w.flush()
    assert sink.rows == list(range(20))


def test_a_failed_write_stops_the_run_and_the_rest_is_still_written() -> None:
    sink = Sink(fail_on=3)
    w = BatchWriter(sink, seconds=0.0)
    with pytest.raises(RuntimeError, match="row 3"):
        for i in range(200):
            w.add(i)
            time.sleep(0.002)
    late = w.buf[:]
    assert w.flush() is False  # already raised by `add`: not raised twice
    assert 3 not in sink.rows and set(late) <= set(sink.rows)


def test_flush_raises_a_failure_that_add_did_not_see() -> None:
    sink = Sink(fail_on=0)
    w = BatchWriter(sink, seconds=60)
    w.add(0)
    with pytest.raises(RuntimeError, match="row 0"):
        w.flush()
    # the writer can be used again afterwards
    w.add(1)
    sink.fail_on = None
    w.flush()
    assert sink.rows == [1]


def test_flush_with_nothing_written_is_a_no_op() -> None:
    sink = Sink()
    w = BatchWriter(sink)
    assert w.flush() is False and sink.batches == []
