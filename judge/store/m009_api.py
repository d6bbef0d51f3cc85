"""m009: `judge api`: where a verdict came from, batches accepted over HTTP, idempotency keys.

Never edit this once shipped: add a new module (see the end of judge/store/migrations.py).
"""

from __future__ import annotations

import duckdb

from judge.store.migrations import migration


@migration
def m009_api(con: duckdb.DuckDBPyConnection) -> None:
    """`source` on verdicts and comparisons ('cli' for every row written by a command, 'api' for the
    service's); the service's batches and their items, stored before the service answers 202 so a
    killed server finishes them after a restart; and the first response to each idempotency key.

    Token columns hold a one-way id of the caller's token (judge.config_api.token_id), never the token.
    """
    con.execute(
        """
        ALTER TABLE verdicts ADD COLUMN source VARCHAR DEFAULT 'cli';
        ALTER TABLE comparisons ADD COLUMN source VARCHAR DEFAULT 'cli';
        UPDATE verdicts SET source = 'cli' WHERE source IS NULL;
        UPDATE comparisons SET source = 'cli' WHERE source IS NULL;
        CREATE TABLE api_batches (
            batch_id VARCHAR PRIMARY KEY, token_id VARCHAR, status VARCHAR, n_items INTEGER,
            created_at TIMESTAMP, finished_at TIMESTAMP
        );
        -- One row per answer of a batch: the request as received (validated), then its outcome.
        CREATE TABLE api_batch_items (
            batch_id VARCHAR, idx INTEGER, request_json VARCHAR, status VARCHAR, verdict_id VARCHAR,
            http_status INTEGER, error VARCHAR, finished_at TIMESTAMP,
            PRIMARY KEY (batch_id, idx)
        );
        CREATE TABLE api_idempotency (
            token_id VARCHAR, idem_key VARCHAR, endpoint VARCHAR, request_hash VARCHAR,
            status_code INTEGER, response_json VARCHAR, created_at TIMESTAMP,
            PRIMARY KEY (token_id, idem_key)
        );
        """
    )
