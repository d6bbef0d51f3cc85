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


# -- the store's write path for answers (what the writer calls in generate) ----------------------


def _gen(i: int, status: str = "ok", **kw: object) -> dict[str, object]:
    from judge.store import now

    row: dict[str, object] = {
        "gen_id": f"g{i}",
        "content_id": f"c{i}",
        "variant": "v1",
        "prompt_key": f"p{i}",
        "sample": 0,
        "run_id": "r1",
        "status": status,
        "answer": f"answer {i}" if status == "ok" else None,
        "error": None if status == "ok" else "HTTP 500",
        "attempts": 1,
        "latency_ms": 1.5,
        "reasoning_tokens_estimated": False,
        "created_at": now(),
    }
    return {**row, **kw}


def _stored(store) -> list[tuple]:  # type: ignore[no-untyped-def]
    return store.con.execute("SELECT gen_id, status, answer, error FROM generations ORDER BY gen_id").fetchall()


def test_answers_are_appended_and_an_ok_row_is_never_overwritten(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from judge.store import Store

    with Store.open(tmp_path / "judge.duckdb") as store:
        store.write_generations([_gen(1), _gen(2, "error")], replace_errors=False)
        # a key stored already, and one twice in the batch: the batch is kept, those rows skipped
        store.write_generations([_gen(1, answer="overwritten"), _gen(3), _gen(3, answer="second")])
        assert _stored(store) == [
            ("g1", "ok", "answer 1", None),
            ("g2", "error", None, "HTTP 500"),
            ("g3", "ok", "answer 3", None),
        ]
        # a retried error row is replaced by its retry
        store.write_generations([_gen(2)])
        assert _stored(store)[1] == ("g2", "ok", "answer 2", None)
        store.write_generations([_gen(4)], replace_errors=False)  # the appender is used again
        assert [g for g, *_ in _stored(store)] == ["g1", "g2", "g3", "g4"]


def test_a_key_in_a_server_text_is_never_stored(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from judge import secrets
    from judge.store import Store

    monkeypatch.setattr(secrets, "_keys", set())  # this test's key only, and forgotten after it
    monkeypatch.setattr(secrets, "_short_pattern", None)
    secrets.remember("sk-test-0123456789abcdef")
    with Store.open(tmp_path / "judge.duckdb") as store:
        store.write_generations([_gen(1, "error", error="401: bad key sk-test-0123456789abcdef")])
        store.write_generations([_gen(2, answer="echo sk-test-0123456789abcdef")], replace_errors=False)
        text = " ".join(str(v) for row in _stored(store) for v in row)
    assert "sk-test-0123456789abcdef" not in text and text.count("***") == 2


# -- prompts: new ones through the appender, stored ones replaced ---------------------------------


def _prompt(key: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "prompt_key": key,
        "id": f"id-{key}",
        "dataset": "data.jsonl",
        "pair": None,
        "lang": "en",
        "category": "arithmetic",
        "prompt": f"What is {key}?",
        "system": None,
        "reference": "4",
        "answer_json": None,
        "difficulty": "easy",
        "tags_json": "[]",
        "answer_lang": None,
        "constraints_json": None,
    }
    return {**row, **kw}


def test_prompts_new_are_inserted_and_stored_ones_replaced(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from judge.store import Store

    def stored(store) -> list[tuple]:  # type: ignore[no-untyped-def]
        return store.con.execute("SELECT prompt_key, dataset, reference FROM prompts ORDER BY prompt_key").fetchall()

    with Store.open(tmp_path / "judge.duckdb") as store:
        store.upsert_prompts([_prompt("p1"), _prompt("p2")])  # a fresh store: all new
        assert stored(store) == [("p1", "data.jsonl", "4"), ("p2", "data.jsonl", "4")]
        # p2 stored (its metadata replaced), p3 new, and p3 twice in one call: the last one wins
        store.upsert_prompts(
            [_prompt("p2", dataset="moved.jsonl"), _prompt("p3", reference="5"), _prompt("p3", reference="6")]
        )
        assert stored(store) == [("p1", "data.jsonl", "4"), ("p2", "moved.jsonl", "4"), ("p3", "data.jsonl", "6")]
        store.upsert_prompts([_prompt("p4")])  # the cached appender is used again
        assert [k for k, *_ in stored(store)] == ["p1", "p2", "p3", "p4"]


def test_a_key_in_a_prompt_is_never_stored(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from judge import secrets
    from judge.store import Store

    monkeypatch.setattr(secrets, "_keys", set())
    monkeypatch.setattr(secrets, "_short_pattern", None)
    secrets.remember("sk-test-0123456789abcdef")
    with Store.open(tmp_path / "judge.duckdb") as store:
        store.upsert_prompts([_prompt("p1", prompt="use sk-test-0123456789abcdef")])  # the appender path
        store.upsert_prompts([_prompt("p1", system="sk-test-0123456789abcdef")])  # the replace path
        text = " ".join(str(v) for row in store.con.execute("SELECT * FROM prompts").fetchall() for v in row)
    assert "sk-test-0123456789abcdef" not in text and text.count("***") == 1
