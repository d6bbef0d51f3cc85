"""Migration m006: labels from linguists (`judge labels export|import`).

Why: `human_labels` (m002) was read by the report but nothing wrote it, and a label did not say
which rubric version it was given under, so a rubric edit silently compared old labels with new
verdicts. Now:

| object | what it holds |
|---|---|
| `label_exports` | one row per `judge labels export`: when, the seed and options, the files written |
| `label_items` | the opaque `label_id` of each exported row -> (generation_id, rubric, rubric_version, criterion); the files carry only the id, so no model is named in them |
| `human_labels` | rebuilt with `rubric_version` in its key, `not_applicable` ("n/a" where the criterion allows it), the `label_id` and `source` (file:line) it came from, and `updated_at` |
| view `labels` | one row per human label with the answer's model, prompt and language |
| view `human_agreement` | one row per human label × LLM judge verdict on the same answer, rubric version and criterion |

Labels stored before this migration (by hand) keep a NULL `rubric_version`: which version they were
given under is unknown, so they are compared with every version's verdicts, as before.
"""

from __future__ import annotations

import duckdb

from judge.store.migrations import migration


@migration
def m006_labels(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE label_exports (
            export_id VARCHAR PRIMARY KEY, created_at TIMESTAMP, seed BIGINT, options_json VARCHAR,
            n_items INTEGER, files_json VARCHAR
        );
        -- A key is exported under one id for good: a second export of the same answer and criterion
        -- (another annotator's copy) reuses it, so both annotators' files import onto one item.
        CREATE TABLE label_items (
            label_id VARCHAR PRIMARY KEY, export_id VARCHAR, generation_id VARCHAR NOT NULL,
            rubric VARCHAR NOT NULL, rubric_version VARCHAR NOT NULL, criterion VARCHAR NOT NULL,
            text_lang VARCHAR, created_at TIMESTAMP,
            UNIQUE (generation_id, rubric, rubric_version, criterion)
        );
        -- The m002 columns first, in their order (tools insert into that prefix), the new ones after.
        -- UNIQUE rather than PRIMARY KEY: a label from before this migration has no version (NULL).
        CREATE TABLE human_labels_m006 (
            generation_id VARCHAR NOT NULL, rubric VARCHAR NOT NULL, criterion VARCHAR NOT NULL,
            annotator VARCHAR NOT NULL, score DOUBLE, comment VARCHAR, created_at TIMESTAMP,
            rubric_version VARCHAR, not_applicable BOOLEAN DEFAULT false, label_id VARCHAR, source VARCHAR,
            updated_at TIMESTAMP,
            UNIQUE (generation_id, rubric, rubric_version, criterion, annotator)
        );
        INSERT INTO human_labels_m006 (generation_id, rubric, criterion, annotator, score, comment, created_at,
                                       not_applicable, updated_at)
        SELECT generation_id, rubric, criterion, annotator, score, comment, created_at, false, created_at
        FROM human_labels;
        DROP TABLE human_labels;
        ALTER TABLE human_labels_m006 RENAME TO human_labels;
        CREATE VIEW labels AS
        SELECT h.label_id, h.generation_id, a.model, a.prompt_id, a.pair, a.lang, a.category, h.rubric,
               h.rubric_version,
               CASE WHEN h.rubric_version IS NOT NULL THEN coalesce(r.retired_at IS NULL, true) END AS rubric_current,
               h.criterion, h.annotator, h.score, coalesce(h.not_applicable, false) AS not_applicable, h.comment,
               h.source, h.created_at, h.updated_at
        FROM human_labels h
        LEFT JOIN answers a ON a.generation_id = h.generation_id
        LEFT JOIN rubrics r ON r.name = h.rubric AND r.version = h.rubric_version;
        CREATE VIEW human_agreement AS
        SELECT l.generation_id, l.model, l.prompt_id, l.pair, l.lang, l.category, l.rubric,
               s.rubric_version, s.rubric_current, l.criterion, l.annotator, l.score AS human_score,
               l.not_applicable AS human_not_applicable, s.judge, s.score AS judge_score, s.status AS judge_status,
               s.verdict_id
        FROM labels l
        JOIN scores s ON s.generation_id = l.generation_id AND s.rubric = l.rubric AND s.criterion = l.criterion
             AND (l.rubric_version IS NULL OR s.rubric_version = l.rubric_version)
        WHERE s.mode = 'single' AND s.judge NOT LIKE 'check:%';
        """
    )
