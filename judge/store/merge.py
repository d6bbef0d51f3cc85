"""`judge merge`: join the databases of sharded runs into one, each row exactly once.

Why by key: every row of the store is keyed by content (a generation by model entry, prompt and
sample; a verdict by answer, rubric version and judge; see judge.keys), so the same work done in
two shards has the same key, and a shard merged twice adds nothing. Rows are compared on what
they say, not on when or by which run they were written: timestamps, `run_id` and `latency_ms`
differ between two runs of identical work and are left out of the comparison.

What a key found in both databases becomes:
- same values: nothing changes (the target's row stays);
- the target's row failed (`error` set) and the source's succeeded: the source's replaces it,
  as a retried error row is replaced in a run (an ok row is never overwritten by an error);
- different values, both succeeded: a conflict. Conflicts are reported; by default nothing is
  written at all (one transaction), with `skip_conflicts` the target's rows are kept and the rest
  is merged. Never silently overwritten.

Tables and keys are read from the catalog (primary keys and unique constraints), so tables that
later migrations add are merged without a change here.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from judge.errors import StoreError

from .store import Store, _open_error

VOLATILE = {"run_id", "latency_ms"}
"""Columns that differ between two runs of the same work (besides every TIMESTAMP column)."""
TABLE_VOLATILE = {
    # An endpoint's URL and labels are not part of its identity (the variant hashes that): shards
    # on different replicas of one model write different base_urls for the same (name, variant).
    "models": {
        "base_url",
        "metadata_json",
        "tags_json",
        "quantization",
        "params_total",
        "params_active",
        "base_model",
    },
    "rubrics": {"path"},  # the same rubric version read from another checkout
    "prompts": {"dataset"},  # the dataset file's path, as each machine names it
}
SKIPPED_TABLES = {"_judge_migrations"}
MAX_SHOWN = 20


@dataclass
class Conflict:
    table: str
    key: dict[str, object]
    source: str
    columns: list[str]
    """The columns whose values differ (key columns when a unique constraint clashes)."""

    def line(self) -> str:
        key = ", ".join(f"{k}={v!r}" for k, v in self.key.items())
        return f"{self.source}: {self.table} ({key}): differs in {', '.join(self.columns)}"


@dataclass
class MergeSummary:
    added: dict[str, int] = field(default_factory=dict)
    """Rows new to the target, per table."""
    replaced: dict[str, int] = field(default_factory=dict)
    """Error rows of the target replaced by a source's successful row, per table."""
    conflicts: list[Conflict] = field(default_factory=list)
    written: bool = False
    """False when conflicts stopped the merge (nothing was written)."""


@dataclass
class _Table:
    name: str
    columns: list[str]
    key: list[str]
    uniques: list[list[str]]
    compared: list[str]
    has_error: bool


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection) -> list[_Table]:
    cons: dict[str, list[tuple[str, list[str]]]] = {}
    for table, kind, cols in con.execute(
        "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints()"
        " WHERE database_name = current_database() AND schema_name = 'main'"
        " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY constraint_index"
    ).fetchall():
        cons.setdefault(table, []).append((kind, list(cols)))
    out = []
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            " AND schema_name = 'main' ORDER BY table_name"
        ).fetchall()
    ]
    for t in names:
        if t in SKIPPED_TABLES:
            continue
        coltypes = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database()"
            " AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [t],
        ).fetchall()
        cols = [c for c, _ in coltypes]
        pk = [c for kind, c in cons.get(t, []) if kind == "PRIMARY KEY"]
        uniques = [c for kind, c in cons.get(t, []) if kind == "UNIQUE"]
        key = pk[0] if pk else uniques[0] if uniques else []
        uniques = [u for u in uniques if u != key]
        skip = VOLATILE | TABLE_VOLATILE.get(t, set()) | {c for c, ty in coltypes if ty.startswith("TIMESTAMP")}
        compared = [c for c in cols if c not in key and c not in skip]
        if not key:  # no constraint: a row is its compared columns (two equal rows are one)
            key, compared = compared, []
        out.append(_Table(t, cols, key, uniques, compared, "error" in cols))
    return out


def _match(cols: list[str], a: str = "s", b: str = "m") -> str:
    return " AND ".join(f"{a}.{_q(c)} IS NOT DISTINCT FROM {b}.{_q(c)}" for c in cols)


def _merge_table(con: duckdb.DuckDBPyConnection, t: _Table, src: str, label: str, summary: MergeSummary) -> None:
    tq = _q(t.name)
    s_t, m_t = f"{src}.{tq}", f"main.{tq}"
    on_key = _match(t.key)
    ok_both = "s.error IS NULL AND m.error IS NULL" if t.has_error else "true"
    # Conflicts on the key: both rows succeeded and say different things.
    if t.compared:
        differs = " OR ".join(f"s.{_q(c)} IS DISTINCT FROM m.{_q(c)}" for c in t.compared)
        cols = ", ".join(f"s.{_q(c)}" for c in t.key)
        flags = ", ".join(f"s.{_q(c)} IS DISTINCT FROM m.{_q(c)}" for c in t.compared)
        rows = con.execute(
            f"SELECT {cols}, {flags} FROM {s_t} s JOIN {m_t} m ON {on_key} WHERE {ok_both} AND ({differs})"
        ).fetchall()
        for r in rows:
            key = dict(zip(t.key, r[: len(t.key)]))
            diff = [c for c, d in zip(t.compared, r[len(t.key) :]) if d]
            summary.conflicts.append(Conflict(t.name, key, label, diff))
    # Conflicts on another unique constraint: a row new by its key that clashes with a stored one.
    for u in t.uniques:
        rows = con.execute(
            f"SELECT {', '.join(f's.{_q(c)}' for c in t.key)} FROM {s_t} s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {m_t} m WHERE {on_key})"
            f" AND EXISTS (SELECT 1 FROM {m_t} m WHERE {_match(u)})"
        ).fetchall()
        summary.conflicts += [Conflict(t.name, dict(zip(t.key, r)), label, u) for r in rows]
    # The target's failed rows that the source has as successes are replaced.
    replaced = 0
    if t.has_error:
        n = con.execute(
            f"SELECT count(*) FROM {m_t} m WHERE m.error IS NOT NULL"
            f" AND EXISTS (SELECT 1 FROM {s_t} s WHERE {on_key} AND s.error IS NULL)"
        ).fetchone()
        replaced = int(n[0]) if n else 0
        if replaced:
            con.execute(
                f"DELETE FROM {m_t} m WHERE m.error IS NOT NULL"
                f" AND EXISTS (SELECT 1 FROM {s_t} s WHERE {on_key} AND s.error IS NULL)"
            )
    clash = "".join(f" AND NOT EXISTS (SELECT 1 FROM {m_t} m WHERE {_match(u)})" for u in t.uniques)
    cols = ", ".join(_q(c) for c in t.columns)
    before = _count(con, m_t)
    con.execute(
        f"INSERT INTO {m_t} ({cols}) SELECT {', '.join(f's.{_q(c)}' for c in t.columns)} FROM {s_t} s"
        f" WHERE NOT EXISTS (SELECT 1 FROM {m_t} m WHERE {on_key}){clash}"
    )
    added = _count(con, m_t) - before
    if replaced:
        summary.replaced[t.name] = summary.replaced.get(t.name, 0) + replaced
    if added - replaced:
        summary.added[t.name] = summary.added.get(t.name, 0) + added - replaced


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _current(path: Path, tmp: Path) -> Path:
    """`path`, or a migrated copy of it when its schema is older (the source itself is never written)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise _open_error(path, e) from e
    try:
        pending = Store(con, path, readonly=True).pending()
    finally:
        con.close()
    if not pending:
        return path
    copy = tmp / f"{len(list(tmp.iterdir()))}-{path.name}"
    shutil.copyfile(path, copy)
    Store.open(copy).close()
    return copy


def merge_databases(sources: list[Path], into: Path, *, skip_conflicts: bool = False) -> MergeSummary:
    """Merge every source database into `into` (created when missing); see the module's docstring."""
    target = into.resolve()
    for p in sources:
        if not p.exists():
            raise StoreError(f"{p}: no such database")
        if p.resolve() == target:
            raise StoreError(f"{p}: is the --into database itself", hints=["merge into a new file"])
    summary = MergeSummary()
    with tempfile.TemporaryDirectory(prefix="judge-merge-") as tmpdir:
        paths = [_current(p, Path(tmpdir)) for p in sources]
        with Store.open(into) as store:
            con = store.con
            tables = _tables(con)
            names = []
            for i, p in enumerate(paths):
                name = f"judge_src{i}"
                try:
                    con.execute(f"ATTACH {_sql_str(str(p))} AS {name} (READ_ONLY)")
                except duckdb.Error as e:
                    raise StoreError(f"{sources[i]}: cannot open the database: {str(e).splitlines()[0]}") from e
                names.append(name)
            try:
                newer = _newer_migrations(con, names, sources)
                if newer:
                    raise StoreError(newer, hints=["upgrade judge"])
                con.execute("BEGIN TRANSACTION")
                try:
                    for name, label in zip(names, sources):
                        for t in tables:
                            _merge_table(con, t, name, str(label), summary)
                    if summary.conflicts and not skip_conflicts:
                        con.execute("ROLLBACK")
                        summary.added, summary.replaced = {}, {}
                        return summary
                    con.execute("COMMIT")
                    summary.written = True
                except BaseException:
                    try:  # undo the partial merge: nothing half-written
                        con.execute("ROLLBACK")
                    except duckdb.Error:
                        pass
                    raise
            finally:
                for name in names:
                    con.execute(f"DETACH {name}")
    return summary


def _newer_migrations(con: duckdb.DuckDBPyConnection, names: list[str], sources: list[Path]) -> str | None:
    known = {r[0] for r in con.execute("SELECT name FROM main._judge_migrations").fetchall()}
    for name, label in zip(names, sources):
        theirs = {r[0] for r in con.execute(f"SELECT name FROM {name}._judge_migrations").fetchall()}
        if theirs - known:
            return f"{label}: written by a newer judge (migrations {', '.join(sorted(theirs - known))})"
    return None


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"
