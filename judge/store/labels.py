"""The SQL of labels from linguists: what an export samples from, the label-id mapping, the label
upsert, and the report's judge-against-human pairs (see `judge.labels`, `judge.report.human`).

Tables and views are those of migration m006 (`judge/store/m006_labels.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from .filters import TOTAL
from .queries import ReportData
from .store import Store, now

LabelKey = tuple[str, str, str, str]
"""(generation_id, rubric, rubric_version, criterion): what one label labels."""


def rubric_names(store: Store) -> list[str]:
    """Names of the rubrics with a current version."""
    return [r[0] for r in store.query("SELECT DISTINCT name FROM rubrics WHERE retired_at IS NULL ORDER BY 1")[1]]


def candidates(store: Store, rubrics: Sequence[str] | None) -> list[dict[str, Any]]:
    """Items an export may sample: (answer, current rubric version, criterion) that an LLM judge scored,
    on current model variants, with the answer's model and language (for the strata, never written)."""
    where, params = "", []
    if rubrics:
        where, params = f" AND v.rubric IN ({', '.join('?' * len(rubrics))})", list(rubrics)
    return store.records(
        f"""
        SELECT DISTINCT v.generation_id, a.model, a.lang, v.rubric, v.rubric_version, v.criterion
        FROM verdicts v
        JOIN answers a ON a.generation_id = v.generation_id
        JOIN rubrics r ON r.name = v.rubric AND r.version = v.rubric_version AND r.retired_at IS NULL
        WHERE v.mode = 'single' AND v.judge NOT LIKE 'check:%' AND v.score IS NOT NULL AND v.error IS NULL
          AND NOT coalesce(v.not_applicable, false) AND a.current AND a.status = 'ok'{where}
        ORDER BY v.generation_id, v.rubric, v.criterion""",
        params,
    )


def rubric_json(store: Store, versions: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(name, version) -> the rubric's canonical JSON (its content, as hashed into the version)."""
    pairs = sorted(set(versions))
    if not pairs:
        return {}
    rows = store.query(
        """SELECT name, version, canonical_json FROM rubrics
           WHERE (name, version) IN (SELECT (unnest(?::VARCHAR[]), unnest(?::VARCHAR[])))""",
        [[p[0] for p in pairs], [p[1] for p in pairs]],
    )[1]
    return {(r[0], r[1]): r[2] for r in rows}


def texts(store: Store, generation_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """generation_id -> the prompt, its reference, the answer and the item's language."""
    rows = store.records(
        """
        SELECT g.gen_id AS generation_id, p.id AS prompt_id, p.lang, p.prompt, p.reference, g.answer
        FROM generations g JOIN prompts p ON p.prompt_key = g.prompt_key
        WHERE g.gen_id IN (SELECT unnest(?::VARCHAR[]))""",
        [list(generation_ids)],
    )
    return {r["generation_id"]: r for r in rows}


def model_names(store: Store) -> list[str]:
    """Every model name and model id the database knows (what an export must not reveal)."""
    rows = store.query("SELECT name, model_id FROM models")[1]
    return sorted({x for r in rows for x in r if x})


def label_ids(store: Store) -> dict[LabelKey, str]:
    """Every key exported so far -> its label id."""
    rows = store.query("SELECT generation_id, rubric, rubric_version, criterion, label_id FROM label_items")[1]
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


def record_export(store: Store, export: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """The export's row and its new label ids, in one transaction (ids of keys exported before stay)."""
    with store.transaction() as con:
        con.execute(
            "INSERT INTO label_exports (export_id, created_at, seed, options_json, n_items, files_json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                export["export_id"],
                now(),
                export["seed"],
                json.dumps(export["options"], ensure_ascii=False),
                export["n_items"],
                json.dumps(export["files"], ensure_ascii=False),
            ],
        )
        if items:
            # One statement for the batch: executemany runs once per row, about 2 ms a row in DuckDB.
            cols = ["label_id", "generation_id", "rubric", "rubric_version", "criterion", "text_lang"]
            con.execute(
                f"""INSERT INTO label_items (export_id, created_at, {", ".join(cols)})
                    SELECT ?, ?, {", ".join("unnest(?::VARCHAR[])" for _ in cols)} ON CONFLICT DO NOTHING""",
                [export["export_id"], now(), *[[i[c] for i in items] for c in cols]],
            )


def resolve(store: Store, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """label_id -> its key, the rubric's scale and criteria at that version, and the rubric's current
    version (None when no version of it is current)."""
    rows = store.records(
        """
        SELECT i.label_id, i.generation_id, i.rubric, i.rubric_version, i.criterion,
               r.scale_min, r.scale_max, r.canonical_json,
               (SELECT any_value(c.version) FROM rubrics c WHERE c.name = i.rubric AND c.retired_at IS NULL)
                   AS current_version
        FROM label_items i
        LEFT JOIN rubrics r ON r.name = i.rubric AND r.version = i.rubric_version
        WHERE i.label_id IN (SELECT unnest(?::VARCHAR[]))""",
        [sorted(set(ids))],
    )
    return {r["label_id"]: r for r in rows}


_LABEL_COLS = (
    "generation_id",
    "rubric",
    "rubric_version",
    "criterion",
    "annotator",
    "score",
    "not_applicable",
    "comment",
    "label_id",
    "source",
)


def upsert_labels(store: Store, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Store labels, one per (key, annotator): a label given again replaces the stored one (its
    `created_at` stays, `updated_at` moves). Returns (new, replaced). One transaction: all or nothing."""
    if not rows:
        return 0, 0
    keys = [[r[c] for c in ("generation_id", "rubric", "rubric_version", "criterion", "annotator")] for r in rows]
    with store.transaction() as con:
        before = con.execute(
            """SELECT count(*) FROM human_labels h
               JOIN (SELECT unnest(?::VARCHAR[][]) AS k) n
                 ON h.generation_id = n.k[1] AND h.rubric = n.k[2] AND h.rubric_version = n.k[3]
                AND h.criterion = n.k[4] AND h.annotator = n.k[5]""",
            [keys],
        ).fetchone()
        replaced = int(before[0]) if before else 0
        t = now()
        types = {"score": "DOUBLE", "not_applicable": "BOOLEAN"}
        con.execute(
            f"""INSERT INTO human_labels ({", ".join(_LABEL_COLS)}, created_at, updated_at)
                SELECT {", ".join(f"unnest(?::{types.get(c, 'VARCHAR')}[])" for c in _LABEL_COLS)}, ?, ?
                ON CONFLICT (generation_id, rubric, rubric_version, criterion, annotator) DO UPDATE SET
                    score = excluded.score, not_applicable = excluded.not_applicable, comment = excluded.comment,
                    label_id = excluded.label_id, source = excluded.source, updated_at = excluded.updated_at""",
            [*[[r[c] for r in rows] for c in _LABEL_COLS], t, t],
        )
    return len(rows) - replaced, replaced


def human_pairs(q: ReportData) -> list[dict[str, Any]]:
    """Human labels (scored, not "n/a") beside the judge's score on the same answer, rubric version and
    criterion, for every LLM criterion code `d` in the report's scope: `d`, the answer `g`, its
    language `l`, `annotator`, `human`, `judge_score` (NULL when the verdict failed or did not apply).

    A label from before m006 (no rubric version) meets every version's verdicts. A judge that graded
    an answer more than once counts with the median of its scores, so repeats never weigh twice.
    """
    crit = [
        (d, dm.rubric, dm.rubric_version, dm.criterion)
        for d, dm in q.dims.items()
        if not dm.is_check and dm.criterion != TOTAL
    ]
    if not crit:
        return []
    return q.rows(
        f"""
        WITH k AS (SELECT unnest(?::UBIGINT[]) AS d, unnest(?::VARCHAR[]) AS rubric,
                          unnest(?::VARCHAR[]) AS rubric_version, unnest(?::VARCHAR[]) AS criterion),
             j AS (SELECT g, d, quantile_disc(score, 0.5) AS judge_score FROM {q.S}
                   WHERE NOT is_check AND d IN (SELECT d FROM k) GROUP BY g, d)
        SELECT k.d, a.g, a.l, h.annotator, h.score AS human, j.judge_score
        FROM human_labels h
        JOIN {q.A} a ON a.generation_id = h.generation_id
        JOIN k ON k.rubric = h.rubric AND k.criterion = h.criterion
              AND (h.rubric_version IS NULL OR h.rubric_version = k.rubric_version)
        JOIN j ON j.g = a.g AND j.d = k.d
        WHERE h.score IS NOT NULL AND NOT coalesce(h.not_applicable, false)
        ORDER BY k.d, a.g, h.annotator""",
        [[c[0] for c in crit], [c[1] for c in crit], [c[2] for c in crit], [c[3] for c in crit]],
    )
