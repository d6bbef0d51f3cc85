"""A running stage's progress, in a small JSON file beside the database.

Why a file: DuckDB lets one process hold a database file for writing and refuses every other
connection to it meanwhile, read-only ones included, so `judge status` cannot read the tables
while `generate` or `grade` runs. The running stage rewrites this file (atomically, at most about
once a second); readers print it, and the "database in use" error quotes it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .summary import StageSummary

EVERY_SECONDS = 1.0


def progress_path(db: Path) -> Path:
    return db.with_name(db.name + ".progress.json")


@dataclass
class Progress:
    """What a run has done so far."""

    run_id: str
    stage: str
    planned: int = 0
    done: int = 0
    errors: int = 0
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    started_at: float = field(default_factory=time.time)
    updated_at: float = 0.0
    finished: bool = False

    def line(self) -> str:
        """One line for people: `generate run abc: 120 of 400 done, 2 errors, started 3 min ago`."""
        age = max(0.0, time.time() - self.started_at)
        since = f"{age / 60:.0f} min" if age >= 90 else f"{age:.0f} s"
        rate = self.done / age if age > 0 else 0.0
        left = (self.planned - self.done) / rate if rate > 0 and self.planned > self.done else None
        eta = (
            f", about {left / 60:.0f} min left"
            if left is not None and left >= 90
            else (f", about {left:.0f} s left" if left is not None else "")
        )
        state = "finished" if self.finished else f"running (pid {self.pid} on {self.host})"
        return (
            f"{self.stage} run {self.run_id}: {self.done} of {self.planned} done, {self.errors} errors, "
            f"started {since} ago, {state}{eta}"
        )


class ProgressFile:
    """Writes a run's Progress beside the database; removed when the run ends."""

    def __init__(self, db: Path, progress: Progress) -> None:
        self.path = progress_path(db)
        self.progress = progress
        self._last = 0.0

    def due(self) -> bool:
        """The next `update` would write the file (a second has passed since the last write)."""
        return time.monotonic() - self._last >= EVERY_SECONDS

    def update(self, *, force: bool = False, **changes: Any) -> None:
        for k, v in changes.items():
            setattr(self.progress, k, v)
        now = time.monotonic()
        if force or now - self._last >= EVERY_SECONDS:
            self._last = now
            self.progress.updated_at = time.time()
            tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(asdict(self.progress)), encoding="utf-8")
            os.replace(tmp, self.path)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def read_progress(db: Path) -> Progress | None:
    """The progress of the run holding `db`, if one is writing it (None if none or unreadable)."""
    try:
        data = json.loads(progress_path(db).read_text(encoding="utf-8"))
        progress = Progress(**data)
    except (OSError, ValueError, TypeError):
        return None
    if progress.host == socket.gethostname() and not _alive(progress.pid):
        return None  # left behind by a killed run: nobody is writing
    return progress


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def track(
    db: Path, run_id: str, stage: str, planned: int, summary: StageSummary, on_done: Callable[[str, bool], None] | None
) -> tuple[ProgressFile, Callable[[str, bool], None]]:
    """Start a progress file for a run; the returned hook updates it from the stage's summary
    (`ok`, `errors`, `by_model`) on every finished item, then calls the caller's own hook."""
    pf = ProgressFile(db, Progress(run_id, stage, planned=planned))
    pf.update(force=True)

    def hook(what: str, ok: bool) -> None:
        # The counts are read from the summary only when the file is due (about once a second),
        # not copied on every finished item.
        if pf.due():
            pf.update(
                done=summary.ok + summary.errors, errors=summary.errors, by_model=dict(getattr(summary, "by_model", {}))
            )
        if on_done is not None:
            on_done(what, ok)

    return pf, hook
