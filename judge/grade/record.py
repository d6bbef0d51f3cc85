"""How a judging stage's run ends up in the `runs` table, whatever stops it (grade and probe share it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from judge.model import describe_error
from judge.store import Store
from judge.store.summary import StageSummary


@contextmanager
def recorded(
    store: Store, run_id: str, summary: StageSummary, counts: Callable[[], dict[str, Any]], close: Callable[[], None]
) -> Iterator[None]:
    """Record the run as done (or done with errors, from `summary`), interrupted, or failed with the
    reason, with `counts()` taken at the end; then `close()` (the progress file). Re-raises."""
    status, failed = "running", None
    try:
        yield
        status = summary.status
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException as e:
        status, failed = "failed", describe_error(e)
        raise
    finally:
        c = counts()
        if failed:
            c["failure"] = failed
        store.finish_run(run_id, status, c)
        close()
