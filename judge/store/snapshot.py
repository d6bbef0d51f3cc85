"""Reading a database another process may be writing, and queueing writes until it is free.

Why: DuckDB lets one process hold a file for writing, and a read-only open fails while it does
(and, the other way round, a reader that keeps the file open stops `judge grade` from starting).
So the web page (and `judge api`) never keep the database open between requests:

| object | what it does |
|---|---|
| `reading(db)` | a read-only `Store` on a private snapshot copy of the database. The copy is refreshed, under a brief read-only open of the real file, only when the file changed; while a writer holds the file the last copy is used and `Reading.stale` says so, with the copy's time |
| `Spool` | an append-only, fsynced JSONL queue beside the database: a write (a label) is first made durable there, then applied in order when the writer is free (`drain`); applying is idempotent, so a crash between apply and truncate repeats work but loses none |

The live file is held only for the copy (milliseconds for a small database) or to apply queued
writes; during those moments a `judge grade` that starts would find the file in use, the same as
with two runs at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from judge.errors import StoreError

from .progress import read_progress
from .store import Store

# One process must not open the same file read-only and read-write at once (DuckDB refuses a
# second configuration), so every live open in this process goes through this lock.
_LIVE = threading.Lock()


def is_lock_error(e: BaseException) -> bool:
    """True when DuckDB refused the file because another process holds it."""
    return "lock" in str(e).lower()


def _signature(db: Path) -> list[int]:
    """What changes when a writer changes the database: size and mtime of the file and its WAL."""
    out: list[int] = []
    for p in (db, db.with_name(db.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            out += [-1, -1]
    return out


@dataclass
class Reading:
    """A read-only view of the database for one request."""

    store: Store
    as_of: datetime
    """When the copy read here was taken (local time)."""
    stale: bool
    """True when the database has changed since (a writer holds it): the page says "as of"."""
    writer: str | None = None
    """The running stage's progress line (`judge status`'s), when one holds the database."""

    @property
    def as_of_text(self) -> str:
        return self.as_of.strftime("%H:%M:%S")


class Snapshots:
    """The snapshot copies of one database, in `<db>.snapshot/` beside it."""

    def __init__(self, db: str | Path) -> None:
        self.db = Path(db)
        self.dir = self.db.with_name(self.db.name + ".snapshot")
        self.meta = self.dir / "meta.json"

    def _read_meta(self) -> dict[str, Any] | None:
        try:
            meta = json.loads(self.meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or not (self.dir / str(meta.get("file", ""))).exists():
            return None
        return meta

    def refresh(self) -> tuple[dict[str, Any] | None, bool]:
        """(the current copy's meta, whether it is stale). Takes a new copy when the database changed
        and no writer holds it; never waits for a writer."""
        if not self.db.exists():
            raise StoreError(f"{self.db}: no such database", hints=["run `judge generate` first"])
        meta = self._read_meta()
        sig = _signature(self.db)
        if meta is not None and meta.get("signature") == sig:
            return meta, False
        if read_progress(self.db) is not None:  # a run is writing: do not even try the lock
            return meta, True
        with _LIVE:
            try:
                con = duckdb.connect(str(self.db), read_only=True)
            except duckdb.Error as e:
                if is_lock_error(e):
                    return meta, True
                raise StoreError(f"{self.db}: cannot open the database: {e}") from e
            try:
                sig = _signature(self.db)  # under the shared lock nothing changes the files now
                meta = self._copy(sig)
            finally:
                con.close()
        return meta, False

    def _copy(self, sig: list[int]) -> dict[str, Any]:
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"snap-{time.time_ns()}-{uuid.uuid4().hex[:6]}.duckdb"
        tmp = self.dir / (name + ".part")
        shutil.copyfile(self.db, tmp)
        wal = self.db.with_name(self.db.name + ".wal")
        if wal.exists():  # a writer that died before its checkpoint: the copy replays it on open
            shutil.copyfile(wal, self.dir / (name + ".wal"))
        os.replace(tmp, self.dir / name)
        meta = {"file": name, "signature": sig, "taken_at": time.time()}
        part = self.meta.with_suffix(".json.part")
        part.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(part, self.meta)
        self._prune(keep=name)
        return meta

    def _prune(self, keep: str) -> None:
        # Copies older than a minute that are not current: a request still reading one keeps its
        # open file (unlinking an open file is safe on POSIX).
        for p in self.dir.glob("snap-*"):
            if not p.name.startswith(keep) and time.time() - p.stat().st_mtime > 60:
                p.unlink(missing_ok=True)


@contextmanager
def reading(db: str | Path) -> Iterator[Reading]:
    """A read-only Store for one request: the latest consistent copy of `db` (see the module doc).

    Raises StoreError when there is no database, or when a writer held it since before any copy.
    """
    snaps = Snapshots(db)
    meta, stale = snaps.refresh()
    if meta is None:
        raise StoreError(
            f"{snaps.db}: the database is in use by another judge process and no earlier copy exists yet",
            hints=["this page can show it once that run has ended (or between its writes)"],
        )
    path = snaps.dir / meta["file"]
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise StoreError(f"{path}: cannot open the snapshot: {e}") from e
    store = Store(con, path, readonly=True)
    try:
        pending = store.pending()
        if pending:
            raise StoreError(
                f"{snaps.db}: the database schema is older than this judge ({len(pending)} migrations pending)",
                hints=["run `judge grade` once (writing commands upgrade the schema), or restart `judge ui`"],
            )
        live = read_progress(snaps.db) if stale else None
        yield Reading(store, datetime.fromtimestamp(float(meta["taken_at"])), stale, live.line() if live else None)
    finally:
        store.close()


def try_writing(db: str | Path, fn: Callable[[Store], Any]) -> tuple[bool, Any]:
    """Run `fn` on a writable Store if no other process holds the file: (True, result), else (False, None)."""
    if not Path(db).exists():
        raise StoreError(f"{db}: no such database", hints=["run `judge generate` first"])
    if read_progress(Path(db)) is not None:  # a run is writing: wait for it, never race its open
        return False, None
    with _LIVE:
        try:
            store = Store.open(db, lock_wait=0)  # held: the caller queues instead of waiting
        except StoreError as e:
            if is_lock_error(e.__cause__ or e):
                return False, None
            raise
        try:
            return True, fn(store)
        finally:
            store.close()


class Spool:
    """Writes waiting for the database: `<db>.spool.jsonl`, one JSON object a line, fsynced."""

    def __init__(self, db: str | Path, name: str = "labels") -> None:
        db = Path(db)
        self.path = db.with_name(f"{db.name}.{name}-spool.jsonl")
        self._lockfile = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # flock serializes appends and drains across threads (one fd each) and processes.
        with open(self._lockfile, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def append(self, record: dict[str, Any]) -> None:
        """Make `record` durable before returning (written and fsynced)."""
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        with self._locked():
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def pending(self) -> list[dict[str, Any]]:
        """The queued records, oldest first (a torn last line from a crash mid-write is left out)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out = []
        for line in raw.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def drain(self, apply: Callable[[list[dict[str, Any]]], bool]) -> int:
        """Hand every queued record to `apply` (in order); when it returns True they are removed.

        Returns how many were applied (0 when the queue is empty or `apply` could not run).
        """
        with self._locked():
            recs = self.pending()
            if not recs or not apply(recs):
                return 0
            with open(self.path, "wb") as f:  # nothing was appended meanwhile: we hold the lock
                os.fsync(f.fileno())
            return len(recs)
