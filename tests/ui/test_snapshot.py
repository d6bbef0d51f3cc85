"""`judge.store.snapshot`: the label spool is durable, ordered and idempotent; reads fall back to a
copy while another process writes; queued labels are written by the page's own drain, unasked."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from judge.config import Config
from judge.errors import StoreError
from judge.store import Store
from judge.store.snapshot import Snapshots, Spool, reading
from judge.store.ui import apply_label_ops
from tests.ui.test_labels import HOLD


def _ops(cfg: Config) -> list[dict[str, Any]]:
    with Store.open_readonly(cfg.db_path) as s:
        keys = s.query(
            "SELECT DISTINCT generation_id, rubric, rubric_version, criterion FROM verdicts ORDER BY ALL LIMIT 3"
        )[1]
    base = [dict(zip(("generation_id", "rubric", "rubric_version", "criterion"), k)) for k in keys]
    return [
        {"op": "set", **base[0], "annotator": "anna", "score": 2.0},
        {"op": "set", **base[1], "annotator": "anna", "score": 5.0},
        {"op": "set", **base[0], "annotator": "anna", "score": 4.0},  # a correction: the later one wins
        {"op": "delete", **base[1], "annotator": "anna"},  # undo
        {"op": "set", **base[2], "annotator": "anna", "not_applicable": True},
    ]


def _table(cfg: Config) -> list[tuple[Any, ...]]:
    with Store.open_readonly(cfg.db_path) as s:
        return s.query(
            "SELECT generation_id, criterion, annotator, score, not_applicable, source FROM human_labels ORDER BY ALL"
        )[1]


def test_label_operations_apply_in_order_and_again_without_change(project: Config) -> None:
    ops = _ops(project)
    with Store.open(project.db_path) as s:
        apply_label_ops(s, ops)
    once = _table(project)
    assert [(r[1], r[3], r[4]) for r in once] == sorted(
        [(ops[0]["criterion"], 4.0, False), (ops[4]["criterion"], None, True)]
    )
    with Store.open(project.db_path) as s:  # a crash after the write, before the spool was emptied
        apply_label_ops(s, ops)
    assert _table(project) == once


def test_spool_is_ordered_durable_and_drained_only_on_success(project: Config) -> None:
    spool = Spool(project.db_path)
    ops = _ops(project)
    for o in ops:
        spool.append(o)
    with open(spool.path, "ab") as f:
        f.write(b'{"op": "set", "generation_id": "torn')  # a crash mid-write leaves a torn last line
    assert spool.pending() == ops
    assert spool.drain(lambda recs: False) == 0 and spool.pending() == ops  # the database was busy: kept
    seen: list[dict[str, Any]] = []
    assert spool.drain(lambda recs: seen.extend(recs) or True) == len(ops)
    assert seen == ops and spool.pending() == []


def test_reads_fall_back_to_the_last_copy_while_another_process_writes(project: Config) -> None:
    with pytest.raises(StoreError, match="no earlier copy"):
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(project.db_path), "20"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            with reading(project.db_path):
                pass
        finally:
            holder.kill()
            holder.wait()
    with reading(project.db_path) as r:  # free again: a fresh copy, not stale
        assert not r.stale and r.store.query("SELECT count(*) FROM runs WHERE run_id = 'holder'")[1][0][0] == 1
    assert Snapshots(project.db_path).dir.is_dir()


def test_queued_labels_are_written_by_the_page_without_a_request(project: Config) -> None:
    from fastapi.testclient import TestClient

    from judge.ui import create_app
    from tests.ui.conftest import BASE

    spool = Spool(project.db_path)
    for o in _ops(project):
        spool.append(o)
    with TestClient(create_app(project), base_url=BASE):
        deadline = time.time() + 20
        while spool.pending() and time.time() < deadline:
            time.sleep(0.2)
    assert spool.pending() == [] and len(_table(project)) == 2
