"""The guard of `judge sql`: only statements that read may run, as DuckDB's own parser classifies them.

The store is opened read-only, but that protects only the database file: `COPY ... TO` and
`EXPORT DATABASE` write files, `ATTACH` opens another database (writable with READ_WRITE),
`INSTALL`/`LOAD` fetch and run extension code, `SET` changes the session. So the whole text is
parsed first (`extract_statements`, no regexes) and nothing runs unless every statement is one of:

- SELECT: DuckDB's parser also files WITH ... SELECT, FROM-first queries, VALUES, `TABLE t`,
  DESCRIBE, SHOW and SUMMARIZE under it. A SELECT cannot write in DuckDB (the `query()` table
  function accepts only a SELECT), and reading other files (`read_csv(...)`) is allowed;
- EXPLAIN [ANALYZE] of an allowed statement: EXPLAIN ANALYZE runs what it explains, so
  `EXPLAIN ANALYZE COPY ... TO` would write the file;
- PRAGMA of the read-only kind in READ_PRAGMAS (`PRAGMA table_info('scores')`, `PRAGMA show_tables`).
  Other pragmas change settings, and DuckDB parses IMPORT DATABASE and COPY FROM DATABASE as PRAGMAs.

Everything else (COPY, EXPORT, ATTACH/DETACH, INSTALL/LOAD, SET/RESET/USE, CREATE, INSERT, UPDATE,
DELETE, DROP, ALTER, MERGE, CHECKPOINT and other CALLs, transactions, PREPARE/EXECUTE, VACUUM, and
statement types this DuckDB knows but this judge does not) is refused with ReadOnlySQLError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from judge.errors import ReadOnlySQLError, StoreError

READ_PRAGMAS = frozenset(
    {
        "collations",
        "database_list",
        "database_size",
        "extension_versions",
        "functions",
        "metadata_info",
        "platform",
        "show_databases",
        "show_tables",
        "show_tables_expanded",
        "storage_info",
        "table_info",
        "user_agent",
        "version",
    }
)
"""Pragmas that only report; each is also a table function (`pragma_table_info(...)`) for a SELECT."""

HINTS = [
    "judge sql runs SELECT (with WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) and PRAGMA table_info / show_tables",
    'to save a result, redirect it: judge sql "SELECT ..." --format csv > result.csv',
]


def check_read_only(sql: str) -> None:
    """Raise ReadOnlySQLError unless every statement in `sql` only reads; nothing is executed.

    Text DuckDB cannot parse raises StoreError with DuckDB's message (what running it would say).
    """
    statements = _statements(sql)
    for i, (text, kind) in enumerate(statements, 1):
        why = _refusal(text, kind)
        if why is None:
            continue
        where = "this is" if len(statements) == 1 else f"statement {i} of {len(statements)} is"
        ran = "" if len(statements) == 1 else "; nothing was run"
        raise ReadOnlySQLError(f"refused: judge sql is read-only and {where} {why}: {_shorten(text)}{ran}", hints=HINTS)


def _statements(sql: str) -> list[tuple[str, str]]:
    """(text, DuckDB statement type name) per statement, from a private in-memory connection
    (parsing needs no database, and the store's connection is not the place for experiments)."""
    with duckdb.connect(":memory:") as con:
        try:
            parsed = con.extract_statements(sql)
        except duckdb.Error as e:
            raise StoreError(f"SQL error: {str(e).splitlines()[0]}") from e
        return [(st.query, _type_name(st)) for st in parsed]


def _type_name(st: duckdb.Statement) -> str:
    try:
        return st.type.name
    except ValueError:  # a type the Python enum lacks (UPDATE EXTENSIONS: 29 in duckdb 2.0.1): refused
        return ""


def _refusal(text: str, kind: str) -> str | None:
    """None when the statement only reads, else what it is ("a COPY statement")."""
    if kind == "SELECT":
        return None
    words = _words(text)
    if kind == "EXPLAIN":
        # Every reading of what follows EXPLAIN that parses must be allowed, and one must parse.
        explained = []
        for inner in _explained(text, words):
            try:
                parsed = _statements(inner)
            except StoreError:
                continue
            if len(parsed) == 1:
                explained.append(_refusal(*parsed[0]))
        if not explained:
            return "an EXPLAIN statement judge cannot look into"
        why = next((w for w in explained if w is not None), None)
        return None if why is None else f"an EXPLAIN of {why}"
    if kind == "PRAGMA" and len(words) >= 2 and words[0][0].lower() == "pragma":
        name = words[1][0].strip('"').lower()
        if name in READ_PRAGMAS:
            return None
        return f"a PRAGMA that is not one of the read-only ones ({name})"
    # Name what the user typed when DuckDB files it under another type (INSTALL is a LOAD statement).
    first = words[0][0].upper() if words else ""
    if not kind:
        return f"{first} (a kind of statement judge does not know)"
    label = kind.replace("_", " ")
    if first and first != label.split()[0]:
        return f"{first} ({_a(label)} statement)"
    return f"{_a(label)} statement"


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "AEIOU" else f"a {word}"


Word = tuple[str, int, bool]
"""A token's text, its start offset, and whether it is an operator (parentheses are operators)."""


def _words(text: str) -> list[Word]:
    """The tokens of `text` (DuckDB's tokenizer) without the comments."""
    tokens = duckdb.tokenize(text)
    out: list[Word] = []
    for j, (start, kind) in enumerate(tokens):
        end = tokens[j + 1][0] if j + 1 < len(tokens) else len(text)
        if kind != duckdb.token_type.comment:
            out.append((text[start:end].strip(), start, kind == duckdb.token_type.operator))
    return out


def _explained(text: str, words: list[Word]) -> list[str]:
    """What may follow `EXPLAIN [ANALYZE]`: the statement itself, and when it opens with a
    parenthesis, also what follows that group (`EXPLAIN (FORMAT json) SELECT ...` has options there,
    `EXPLAIN ANALYZE (SELECT 1)` a query)."""
    if not words or words[0][0].lower() != "explain":
        return []
    i = 1
    if i < len(words) and words[i][0].lower() == "analyze":
        i += 1
    if i >= len(words):
        return []
    out = [text[words[i][1] :]]
    if words[i][2] and words[i][0].startswith("("):
        depth = 0
        while i < len(words):
            w, _, operator = words[i]
            if operator:  # an operator token may hold several characters, e.g. "()"
                depth += w.count("(") - w.count(")")
            i += 1
            if depth <= 0:
                break
        if i < len(words):
            out.append(text[words[i][1] :])
    return out


def _shorten(text: str, limit: int = 80) -> str:
    one_line = " ".join(text.split()).rstrip(";")
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def user_query(path: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run SQL a person typed (CLI today; the UI and the API later) against the database at `path`.

    Three walls: the statement is classified before anything is opened (`check_read_only`); the
    connection is read-only; and DuckDB's external access is off and locked, so even a reading
    statement cannot read a file outside the database (`read_csv('/etc/passwd')`), list folders
    (`glob`) or fetch an extension from the network.
    """
    from .store import Store

    check_read_only(sql)
    store = Store.open_readonly(path)
    try:
        store.con.execute("SET autoinstall_known_extensions = false")
        store.con.execute("SET autoload_known_extensions = false")
        store.con.execute("SET enable_external_access = false")
        store.con.execute("SET lock_configuration = true")
        return store.query(sql)
    finally:
        store.close()
