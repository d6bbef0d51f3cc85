"""Numbered schema migrations of the DuckDB store: append only, never edit a shipped one.

The schema is public API (SQL users rely on the views), so every change is a new function here,
applied once and recorded in `_judge_migrations` in the same transaction as its DDL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register a migration. Its name is its identity: never rename or edit a shipped one."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY, stage VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
            status VARCHAR, argv VARCHAR, config_json VARCHAR, counts_json VARCHAR, judge_version VARCHAR
        );
        CREATE TABLE models (
            name VARCHAR, variant VARCHAR, model_id VARCHAR, base_url VARCHAR, params_json VARCHAR,
            extra_body_json VARCHAR, system_prompt VARCHAR, quantization VARCHAR, params_total VARCHAR,
            params_active VARCHAR, base_model VARCHAR, tags_json VARCHAR, metadata_json VARCHAR,
            registered_at TIMESTAMP, retired_at TIMESTAMP,
            PRIMARY KEY (name, variant)
        );
        CREATE TABLE prompts (
            prompt_key VARCHAR PRIMARY KEY, id VARCHAR, dataset VARCHAR, pair VARCHAR, lang VARCHAR,
            category VARCHAR, prompt VARCHAR, system VARCHAR, reference VARCHAR, answer_json VARCHAR,
            difficulty VARCHAR, tags_json VARCHAR
        );
        CREATE TABLE generations (
            gen_id VARCHAR PRIMARY KEY, variant VARCHAR, prompt_key VARCHAR, sample INTEGER, run_id VARCHAR,
            status VARCHAR, answer VARCHAR, reasoning VARCHAR, prompt_tokens INTEGER, completion_tokens INTEGER,
            reasoning_tokens INTEGER, reasoning_tokens_estimated BOOLEAN, latency_ms DOUBLE,
            finish_reason VARCHAR, error VARCHAR, attempts INTEGER, request_json VARCHAR,
            response_model VARCHAR, created_at TIMESTAMP
        );
        -- A model label: the name for its current variant, name@variant for a retired one, so
        -- reports never mix two configurations under one name.
        CREATE VIEW model_labels AS
        SELECT name, variant, model_id, quantization, base_model, params_json, extra_body_json,
               CASE WHEN retired_at IS NULL THEN name ELSE name || '@' || substr(variant, 4, 8) END AS model,
               retired_at IS NULL AS current
        FROM models;
        CREATE VIEW answers AS
        SELECT g.gen_id AS generation_id, l.model, l.name AS model_name, g.variant, l.current,
               p.id AS prompt_id, p.pair, p.lang, p.category, p.difficulty, g.sample,
               g.answer, g.reasoning, g.prompt_tokens, g.completion_tokens, g.reasoning_tokens,
               g.reasoning_tokens_estimated, g.latency_ms, g.finish_reason, g.error, g.attempts,
               g.status, g.response_model, g.run_id, g.created_at, g.prompt_key
        FROM generations g
        JOIN model_labels l ON l.variant = g.variant
        JOIN prompts p ON p.prompt_key = g.prompt_key;
        """
    )


@migration
def m002_judge(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE rubrics (
            name VARCHAR, version VARCHAR, path VARCHAR, text VARCHAR, canonical_json VARCHAR,
            scale_min INTEGER, scale_max INTEGER, criteria_json VARCHAR,
            registered_at TIMESTAMP, retired_at TIMESTAMP,
            PRIMARY KEY (name, version)
        );
        -- One row per verdict x criterion. A failed verdict has a row per criterion with a NULL
        -- score and the error, so nothing is silently missing from averages.
        CREATE TABLE verdicts (
            verdict_id VARCHAR, criterion VARCHAR, generation_id VARCHAR, mode VARCHAR,
            rubric VARCHAR, rubric_version VARCHAR, judge VARCHAR, judge_variant VARCHAR, judge_model_id VARCHAR,
            score DOUBLE, expected_score DOUBLE, score_dist_json VARCHAR, logprob_coverage DOUBLE,
            passed BOOLEAN, rationale VARCHAR, weight DOUBLE, error VARCHAR, attempts INTEGER,
            prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms DOUBLE, raw VARCHAR,
            self_judged BOOLEAN, prompts_version VARCHAR, run_id VARCHAR, created_at TIMESTAMP,
            PRIMARY KEY (verdict_id, criterion)
        );
        -- One row per judged order of a pair x criterion; `position_a` is the generation shown first.
        CREATE TABLE comparisons (
            comparison_id VARCHAR, criterion VARCHAR, pair_id VARCHAR, swap INTEGER,
            position_a VARCHAR, position_b VARCHAR, rubric VARCHAR, rubric_version VARCHAR,
            judge VARCHAR, judge_variant VARCHAR, judge_model_id VARCHAR,
            winner VARCHAR, rationale VARCHAR, error VARCHAR, attempts INTEGER,
            prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms DOUBLE, raw VARCHAR,
            prompts_version VARCHAR, run_id VARCHAR, created_at TIMESTAMP,
            PRIMARY KEY (comparison_id, criterion)
        );
        CREATE TABLE human_labels (
            generation_id VARCHAR, rubric VARCHAR, criterion VARCHAR, annotator VARCHAR,
            score DOUBLE, comment VARCHAR, created_at TIMESTAMP,
            PRIMARY KEY (generation_id, rubric, criterion, annotator)
        );
        CREATE VIEW scores AS
        SELECT v.generation_id, a.model, a.model_name, a.variant, a.prompt_id, a.pair, a.lang, a.category,
               a.difficulty, a.sample, v.rubric, v.rubric_version,
               coalesce(r.retired_at IS NULL, true) AS rubric_current, v.criterion, v.judge, v.score,
               v.expected_score, v.logprob_coverage, v.passed, v.rationale, v.weight, v.error, v.attempts,
               v.self_judged, v.mode, v.created_at, v.verdict_id
        FROM verdicts v
        JOIN answers a ON a.generation_id = v.generation_id
        LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version;
        -- A pair after the swap: both orders joined. The winner is a model label; when the two
        -- orders disagree the pair counts as a tie and `consistent` is false.
        CREATE VIEW pairwise AS
        WITH o AS (
            SELECT c.*, ga.model AS model_first, gb.model AS model_second,
                   CASE c.winner WHEN 'A' THEN ga.model WHEN 'B' THEN gb.model WHEN 'tie' THEN 'tie' END AS winner_model
            FROM comparisons c
            JOIN answers ga ON ga.generation_id = c.position_a
            JOIN answers gb ON gb.generation_id = c.position_b
        )
        SELECT o1.pair_id, p.id AS prompt_id, p.pair, p.lang, p.category, o1.rubric, o1.rubric_version,
               coalesce(r.retired_at IS NULL, true) AS rubric_current, o1.criterion, o1.judge,
               o1.model_first AS model_a, o1.model_second AS model_b,
               o1.position_a AS generation_a, o1.position_b AS generation_b,
               o1.winner AS winner_order1, o2.winner AS winner_order2,
               CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN NULL
                    WHEN o1.winner_model = o2.winner_model THEN o1.winner_model
                    ELSE 'tie' END AS winner,
               CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN NULL
                    ELSE o1.winner_model = o2.winner_model END AS consistent,
               coalesce(o1.error, o2.error) AS error, o1.rationale AS rationale_order1, o2.rationale AS rationale_order2
        FROM o o1
        JOIN o o2 ON o2.pair_id = o1.pair_id AND o2.criterion = o1.criterion AND o2.swap = 1
        JOIN generations g ON g.gen_id = o1.position_a
        JOIN prompts p ON p.prompt_key = g.prompt_key
        LEFT JOIN rubrics r ON r.name = o1.rubric AND r.version = o1.rubric_version
        WHERE o1.swap = 0;
        """
    )


def _h2(key: str, name: str) -> str:
    """`judge.config.qualify`, frozen: a migration must compute tomorrow what it computed today."""
    data = json.dumps({"key": key, "name": name}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "h2:" + hashlib.sha256(data.encode()).hexdigest()[:24]


def _h1(obj: Any) -> str:
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "h1:" + hashlib.sha256(data.encode()).hexdigest()[:24]


def _rekey(con: duckdb.DuckDBPyConnection, table: str, key_cols: list[str], new_rows: list[tuple[Any, ...]]) -> None:
    """Replace rows by re-keyed copies: new keys never equal old ones (another hash prefix), so the
    copies are inserted first and the originals deleted after, with no key ever held twice."""
    if not new_rows:
        return
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(f"CREATE TEMP TABLE _rekey AS SELECT * FROM {table} LIMIT 0")
    con.execute("ALTER TABLE _rekey ADD COLUMN _old_rowid BIGINT")
    placeholders = ", ".join("?" * (len(cols) + 1))
    con.executemany(f"INSERT INTO _rekey VALUES ({placeholders})", new_rows)
    con.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT _old_rowid FROM _rekey)")
    col_list = ", ".join(cols)
    con.execute(f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM _rekey")
    con.execute("DROP TABLE _rekey")
    del key_cols  # documented by the caller; the whole row is copied


@migration
def m003_variant_per_entry(con: duckdb.DuckDBPyConnection) -> None:
    """Make every key private to its `[[models]]` entry (see `judge.config.qualify`).

    Before, two entries with one model id and params shared a variant and work keys, so the second
    overwrote the first's answers. Existing keys are wrapped with the owning entry's name: the
    entry registered first owns a shared variant's answers (the others will generate their own).
    Verdict and comparison keys are wrapped the same way, so nothing is graded again.
    """
    con.execute("ALTER TABLE generations ADD COLUMN content_id VARCHAR")
    con.execute("UPDATE generations SET content_id = gen_id")
    owner: dict[str, str] = {}
    for name, variant in con.execute("SELECT name, variant FROM models ORDER BY registered_at, name").fetchall():
        owner.setdefault(variant, name)

    def rows(table: str) -> tuple[list[str], list[list[Any]]]:
        cur = con.execute(f"SELECT *, rowid FROM {table}")
        return [d[0] for d in cur.description], [list(r) for r in cur.fetchall()]

    # models: each entry gets its own variant
    cols, data = rows("models")
    ix = {c: i for i, c in enumerate(cols)}
    for r in data:
        r[ix["variant"]] = _h2(r[ix["variant"]], r[ix["name"]])
    _rekey(con, "models", ["name", "variant"], [tuple(r) for r in data])

    # generations: the owner's keys; answers of a variant nobody registered keep no owner (left as they are)
    cols, data = rows("generations")
    ix = {c: i for i, c in enumerate(cols)}
    gen_owner: dict[str, str] = {}
    new_gid: dict[str, str] = {}
    keep = []
    for r in data:
        name = owner.get(r[ix["variant"]])
        if name is None:
            continue
        old = r[ix["gen_id"]]
        new_gid[old] = r[ix["gen_id"]] = _h2(old, name)
        gen_owner[old] = name
        r[ix["variant"]] = _h2(r[ix["variant"]], name)
        keep.append(tuple(r))
    _rekey(con, "generations", ["gen_id"], keep)

    cols, data = rows("verdicts")
    ix = {c: i for i, c in enumerate(cols)}
    keep = []
    for r in data:
        old = r[ix["generation_id"]]
        if old not in new_gid:
            continue
        r[ix["verdict_id"]] = _h2(r[ix["verdict_id"]], gen_owner[old])
        r[ix["generation_id"]] = new_gid[old]
        if r[ix["judge_variant"]] and not str(r[ix["judge"]]).startswith("check:"):
            r[ix["judge_variant"]] = _h2(r[ix["judge_variant"]], r[ix["judge"]])
        keep.append(tuple(r))
    _rekey(con, "verdicts", ["verdict_id", "criterion"], keep)

    cols, data = rows("comparisons")
    ix = {c: i for i, c in enumerate(cols)}
    first: dict[str, tuple[str, str]] = {}  # pair id -> (first, second) generation of swap 0
    for r in data:
        if r[ix["swap"]] == 0:
            first[r[ix["pair_id"]]] = (r[ix["position_a"]], r[ix["position_b"]])
    keep = []
    for r in data:
        pair = first.get(r[ix["pair_id"]])
        if pair is None or pair[0] not in new_gid or pair[1] not in new_gid:
            continue
        pid = _h2(r[ix["pair_id"]], f"{gen_owner[pair[0]]} | {gen_owner[pair[1]]}")
        r[ix["pair_id"]] = pid
        r[ix["comparison_id"]] = _h1({"pair": pid, "swap": r[ix["swap"]]})
        r[ix["position_a"]] = new_gid[r[ix["position_a"]]]
        r[ix["position_b"]] = new_gid[r[ix["position_b"]]]
        if r[ix["judge_variant"]]:
            r[ix["judge_variant"]] = _h2(r[ix["judge_variant"]], r[ix["judge"]])
        keep.append(tuple(r))
    _rekey(con, "comparisons", ["comparison_id", "criterion"], keep)

    con.execute(
        "CREATE TEMP TABLE _gid AS SELECT unnest(?::VARCHAR[]) AS old, unnest(?::VARCHAR[]) AS new",
        [list(new_gid), list(new_gid.values())],
    )
    con.execute(
        "UPDATE human_labels SET generation_id = _gid.new FROM _gid WHERE human_labels.generation_id = _gid.old"
    )
    con.execute("DROP TABLE _gid")


@migration
def m004_not_applicable(con: duckdb.DuckDBPyConnection) -> None:
    """ "Not applicable" becomes a verdict value of its own, and prompts keep what the checks need.

    A criterion that does not apply (an English answer graded for Russian fluency, edge cases of a
    one-step task) was either forced into a score or lost. Now it is a row with a NULL score,
    `not_applicable` true and the reason as its rationale: distinct from an error (`error` set) and
    from a score, and `status` in the views names which. `instruction_lang` records the language
    the judge was instructed in. Prompts gain `answer_lang` (the language a task asks the answer
    in; before, grading fell back to the prompt's) and `constraints_json` (check:constraints).
    """
    con.execute(
        """
        ALTER TABLE prompts ADD COLUMN answer_lang VARCHAR;
        ALTER TABLE prompts ADD COLUMN constraints_json VARCHAR;
        ALTER TABLE verdicts ADD COLUMN not_applicable BOOLEAN DEFAULT false;
        ALTER TABLE verdicts ADD COLUMN instruction_lang VARCHAR;
        ALTER TABLE comparisons ADD COLUMN not_applicable BOOLEAN DEFAULT false;
        ALTER TABLE comparisons ADD COLUMN instruction_lang VARCHAR;
        UPDATE verdicts SET not_applicable = false WHERE not_applicable IS NULL;
        UPDATE comparisons SET not_applicable = false WHERE not_applicable IS NULL;
        CREATE OR REPLACE VIEW scores AS
        SELECT v.generation_id, a.model, a.model_name, a.variant, a.prompt_id, a.pair, a.lang, a.category,
               a.difficulty, a.sample, v.rubric, v.rubric_version,
               coalesce(r.retired_at IS NULL, true) AS rubric_current, v.criterion, v.judge, v.score,
               v.expected_score, v.logprob_coverage, v.passed, v.rationale, v.weight, v.error, v.attempts,
               v.self_judged, v.mode, v.created_at, v.verdict_id,
               coalesce(v.not_applicable, false) AS not_applicable,
               CASE WHEN v.error IS NOT NULL THEN 'error'
                    WHEN v.not_applicable THEN 'not_applicable'
                    WHEN v.score IS NULL THEN 'undecided'
                    ELSE 'scored' END AS status,
               v.instruction_lang
        FROM verdicts v
        JOIN answers a ON a.generation_id = v.generation_id
        LEFT JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version;
        CREATE OR REPLACE VIEW pairwise AS
        WITH o AS (
            SELECT c.*, ga.model AS model_first, gb.model AS model_second,
                   CASE c.winner WHEN 'A' THEN ga.model WHEN 'B' THEN gb.model WHEN 'tie' THEN 'tie' END AS winner_model
            FROM comparisons c
            JOIN answers ga ON ga.generation_id = c.position_a
            JOIN answers gb ON gb.generation_id = c.position_b
        )
        SELECT o1.pair_id, p.id AS prompt_id, p.pair, p.lang, p.category, o1.rubric, o1.rubric_version,
               coalesce(r.retired_at IS NULL, true) AS rubric_current, o1.criterion, o1.judge,
               o1.model_first AS model_a, o1.model_second AS model_b,
               o1.position_a AS generation_a, o1.position_b AS generation_b,
               o1.winner AS winner_order1, o2.winner AS winner_order2,
               CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN NULL
                    WHEN o1.not_applicable OR o2.not_applicable THEN NULL
                    WHEN o1.winner_model = o2.winner_model THEN o1.winner_model
                    ELSE 'tie' END AS winner,
               CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN NULL
                    WHEN o1.not_applicable OR o2.not_applicable THEN NULL
                    ELSE o1.winner_model = o2.winner_model END AS consistent,
               coalesce(o1.error, o2.error) AS error, o1.rationale AS rationale_order1, o2.rationale AS rationale_order2,
               coalesce(o1.not_applicable OR o2.not_applicable, false) AS not_applicable,
               CASE WHEN o1.error IS NOT NULL OR o2.error IS NOT NULL THEN 'error'
                    WHEN o1.not_applicable OR o2.not_applicable THEN 'not_applicable'
                    ELSE 'decided' END AS status,
               o1.instruction_lang
        FROM o o1
        JOIN o o2 ON o2.pair_id = o1.pair_id AND o2.criterion = o1.criterion AND o2.swap = 1
        JOIN generations g ON g.gen_id = o1.position_a
        JOIN prompts p ON p.prompt_key = g.prompt_key
        LEFT JOIN rubrics r ON r.name = o1.rubric AND r.version = o1.rubric_version
        WHERE o1.swap = 0;
        """
    )


@migration
def m005_probe(con: duckdb.DuckDBPyConnection) -> None:
    """`judge probe`: the judge's verdicts on clean texts and on copies with planted errors.

    `probe_verdicts` holds one row per probe item x criterion: a clean text (operator NULL) or a
    corrupted copy (operator, dose, seed, and `clean_key`, the probe key of the clean text it came
    from). `probe_pairs` joins each corrupted row to its clean one. `probe_results` computes n,
    p_detect, mean_drop and p_raise from those pairs at query time, so they always match the stored
    verdicts; the bootstrap CI (computed in Python at the end of each probe run) is kept in
    `probe_cis` with a signature of the pairs it was computed from, and the view shows `lo`/`hi`
    only while that signature still matches (NULL once later verdicts changed the cell).
    `probe_judges` names, per judge, the setup (model identity, prompt templates, rationale cap)
    the view reports: the one of its latest probe run.
    """
    con.execute(
        """
        CREATE TABLE probe_verdicts (
            probe_key VARCHAR, criterion VARCHAR, clean_key VARCHAR, run_id VARCHAR,
            judge VARCHAR, judge_variant VARCHAR, judge_model_id VARCHAR, judge_ident VARCHAR,
            prompts_version VARCHAR, rubric VARCHAR, rubric_version VARCHAR, lang VARCHAR,
            operator VARCHAR, expect VARCHAR, dose INTEGER, dose_reached INTEGER, seed BIGINT,
            edits_json VARCHAR, source VARCHAR, source_id VARCHAR, item_id VARCHAR,
            text_hash VARCHAR, corrupted_hash VARCHAR,
            score DOUBLE, not_applicable BOOLEAN DEFAULT false, rationale VARCHAR, error VARCHAR,
            attempts INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms DOUBLE,
            raw VARCHAR, instruction_lang VARCHAR, created_at TIMESTAMP,
            PRIMARY KEY (probe_key, criterion)
        );
        -- The texts the judge saw, clean and corrupted, by the hash the verdict rows carry.
        CREATE TABLE probe_texts (text_hash VARCHAR PRIMARY KEY, text VARCHAR);
        CREATE TABLE probe_judges (
            judge VARCHAR PRIMARY KEY, judge_ident VARCHAR, judge_variant VARCHAR, prompts_version VARCHAR,
            run_id VARCHAR, updated_at TIMESTAMP
        );
        CREATE TABLE probe_cis (
            judge_ident VARCHAR, rubric VARCHAR, rubric_version VARCHAR, criterion VARCHAR, lang VARCHAR,
            operator VARCHAR, dose INTEGER, n INTEGER, signature VARCHAR, lo DOUBLE, hi DOUBLE,
            level DOUBLE, n_boot INTEGER, run_id VARCHAR, computed_at TIMESTAMP,
            PRIMARY KEY (judge_ident, rubric, rubric_version, criterion, lang, operator, dose)
        );
        CREATE VIEW probe_pairs AS
        SELECT x.judge, x.judge_variant, x.judge_ident, x.rubric, x.rubric_version,
               coalesce(r.retired_at IS NULL, true) AS rubric_current, x.criterion, x.lang, x.operator,
               x.expect, x.dose, x.dose_reached, x.seed, x.source, x.source_id, x.item_id, x.text_hash,
               x.corrupted_hash, c.score AS clean_score, x.score AS corrupted_score,
               c.score - x.score AS score_drop,
               CASE WHEN c.probe_key IS NULL THEN 'pending'
                    WHEN c.error IS NOT NULL OR x.error IS NOT NULL THEN 'error'
                    WHEN c.not_applicable OR x.not_applicable THEN 'not_applicable'
                    WHEN c.score IS NULL OR x.score IS NULL THEN 'undecided'
                    ELSE 'scored' END AS status,
               x.edits_json, x.probe_key, x.clean_key, x.run_id, x.created_at
        FROM probe_verdicts x
        LEFT JOIN probe_verdicts c ON c.probe_key = x.clean_key AND c.criterion = x.criterion
        LEFT JOIN rubrics r ON r.name = x.rubric AND r.version = x.rubric_version
        WHERE x.operator IS NOT NULL;
        -- One row per cell of the current judge setups and rubric versions, over the pairs where
        -- both verdicts scored; `signature` identifies those pairs and their scores.
        CREATE VIEW probe_cells AS
        SELECT p.judge, p.judge_ident, p.rubric, p.rubric_version, p.criterion, p.lang, p.operator, p.dose,
               count(*) AS n,
               avg(CASE WHEN p.corrupted_score < p.clean_score THEN 1.0
                        WHEN p.corrupted_score = p.clean_score THEN 0.5 ELSE 0.0 END) AS p_detect,
               avg(p.score_drop) AS mean_drop,
               avg(CASE WHEN p.corrupted_score > p.clean_score THEN 1.0
                        WHEN p.corrupted_score = p.clean_score THEN 0.5 ELSE 0.0 END) AS p_raise,
               bool_or(p.expect = 'same') AS neutral,
               md5(string_agg(p.probe_key || '=' || CAST(p.clean_score AS VARCHAR) || '/'
                              || CAST(p.corrupted_score AS VARCHAR), ',' ORDER BY p.probe_key)) AS signature
        FROM probe_pairs p
        JOIN probe_judges j ON j.judge = p.judge AND j.judge_ident = p.judge_ident
        WHERE p.status = 'scored' AND p.rubric_current
        GROUP BY p.judge, p.judge_ident, p.rubric, p.rubric_version, p.criterion, p.lang, p.operator, p.dose;
        CREATE VIEW probe_results AS
        SELECT c.judge, c.rubric, c.criterion, c.lang, c.operator, c.dose, c.n, c.p_detect, c.mean_drop,
               k.lo, k.hi, CASE WHEN c.neutral THEN c.p_raise END AS p_raise
        FROM probe_cells c
        LEFT JOIN probe_cis k
          ON k.judge_ident = c.judge_ident AND k.rubric = c.rubric AND k.rubric_version = c.rubric_version
         AND k.criterion = c.criterion AND k.lang = c.lang AND k.operator = c.operator AND k.dose = c.dose
         AND k.signature = c.signature;
        """
    )


def _load_later_migrations() -> None:
    """Migrations from m006 on live in modules of their own, `judge/store/m0NN_<what>.py`, each
    registering itself with `@migration`. They are imported here in number order, which is the
    order they are applied, so adding one never edits this file (already near the size limit)."""
    import importlib
    import pkgutil
    import re
    from pathlib import Path

    package = __name__.rsplit(".", 1)[0]
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]))
    for name in names:
        if re.fullmatch(r"m\d{3}_\w+", name):
            importlib.import_module(f"{package}.{name}")


_load_later_migrations()
