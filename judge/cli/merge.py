"""`judge merge`: the databases of sharded runs joined into one, each row exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from judge.errors import WorkFailedError

from .app import app, err


@app.command()
def merge(
    sources: Annotated[list[Path], typer.Argument(help="Databases to merge (the shards' judge.duckdb files).")],
    into: Annotated[Path, typer.Option("--into", help="The database to merge into (created when missing).")],
    skip_conflicts: Annotated[
        bool,
        typer.Option(
            "--skip-conflicts", help="Merge the rest when some rows conflict, keeping the --into database's rows."
        ),
    ] = False,
) -> None:
    """Join databases by work key: a row already stored is not added again, a conflicting row is reported.

    Rows are compared on their values, not on when they were written; a failed row (error) is replaced
    by a source's successful one. With conflicts (same key, different values) nothing is written unless
    --skip-conflicts; either way they are listed and the exit code is 1. Merging a shard twice changes
    nothing.

    Example: judge merge shard1.duckdb shard2.duckdb shard3.duckdb --into all.duckdb
    """
    from judge.store.merge import MAX_SHOWN, merge_databases

    s = merge_databases(list(sources), into, skip_conflicts=skip_conflicts)
    for c in s.conflicts[:MAX_SHOWN]:
        err.print(f"conflict: {c.line()}", markup=False, highlight=False)
    if len(s.conflicts) > MAX_SHOWN:
        err.print(f"... and {len(s.conflicts) - MAX_SHOWN} more conflicts", markup=False)
    if s.written:
        added = ", ".join(f"{t} {n}" for t, n in sorted(s.added.items())) or "nothing new"
        replaced = ", ".join(f"{t} {n}" for t, n in sorted(s.replaced.items()))
        err.print(f"merge: {len(sources)} databases into {into}: added {added}", markup=False, highlight=False)
        if replaced:
            err.print(f"  error rows replaced by successful ones: {replaced}", markup=False, highlight=False)
    if s.conflicts:
        what = "kept the --into rows, merged the rest" if s.written else "nothing was written"
        raise WorkFailedError(
            f"{len(s.conflicts)} rows conflict (same key, different values): {what}",
            hints=[] if s.written else ["merge the rest anyway, keeping the --into rows: add --skip-conflicts"],
        )
