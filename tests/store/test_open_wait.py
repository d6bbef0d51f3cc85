"""A writer that starts while a reader briefly holds the file (the UI's snapshot copy) waits for it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from judge.errors import StoreError
from judge.store import Store
from judge.store import store as store_module

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_a_writer_waits_for_a_brief_reader(tmp_path: Path) -> None:
    db = tmp_path / "judge.duckdb"
    Store.open(db).close()
    reader = _hold(db, 0.8)
    t0 = time.monotonic()
    with Store.open(db) as store:
        assert store.applied()
    assert time.monotonic() - t0 >= 0.3  # it really waited for the reader, it did not open beside it
    reader.wait(timeout=10)


def test_a_writer_gives_up_on_a_long_holder_with_the_usual_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "judge.duckdb"
    Store.open(db).close()
    monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 0.3)
    reader = _hold(db, 5)
    try:
        with pytest.raises(StoreError, match="in use by another judge process"):
            Store.open(db)
    finally:
        reader.kill()
        reader.wait(timeout=10)
