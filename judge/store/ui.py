"""The SQL of the linguists' web page (`judge ui`): verdict browsing, the labeling queue, rubric history.

Labels themselves go through `judge.store.labels.upsert_labels`, the path `judge labels import`
takes, so a label entered on the page is the same row as one imported from a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .labels import upsert_labels
from .store import Store

VERDICT_FILTERS = ("model", "lang", "category", "rubric", "rubric_version", "criterion", "judge", "score")
"""The columns of the `scores` view the Verdicts page filters on (equality)."""


def filter_options(store: Store) -> dict[str, list[Any]]:
    """Every value each filter can take, from the stored verdicts."""
    out: dict[str, list[Any]] = {}
    for col in VERDICT_FILTERS:
        rows = store.query(f"SELECT DISTINCT {col} FROM scores WHERE {col} IS NOT NULL ORDER BY 1")[1]
        out[col] = [r[0] for r in rows]
    return out


def verdict_rows(store: Store, filters: dict[str, str], limit: int = 200) -> tuple[list[dict[str, Any]], int]:
    """(up to `limit` criterion rows of `scores` matching `filters`, how many match in all)."""
    where, params = [], []
    for col in VERDICT_FILTERS:
        v = filters.get(col)
        if v:
            if col == "score":
                where.append("score = TRY_CAST(? AS DOUBLE)")
            else:
                where.append(f"{col} = ?")
            params.append(v)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    total = store.query(f"SELECT count(*) FROM scores{cond}", params)[1][0][0]
    rows = store.records(
        f"""SELECT generation_id, model, prompt_id, lang, category, rubric, rubric_version, criterion, judge,
                   score, status, rationale, mode
            FROM scores{cond}
            ORDER BY prompt_id, model, rubric, criterion, judge LIMIT ?""",
        [*params, limit],
    )
    return rows, int(total)


def answer(store: Store, generation_id: str) -> dict[str, Any] | None:
    """One answer with its prompt: model, prompt id, language, category, prompt, reference, answer, reasoning."""
    rows = store.records(
        """SELECT a.generation_id, a.model, a.prompt_id, a.pair, a.lang, a.category, a.answer, a.reasoning,
                  a.status, a.error, p.prompt, p.reference, p.system
           FROM answers a JOIN prompts p ON p.prompt_key = a.prompt_key
           WHERE a.generation_id = ?""",
        [generation_id],
    )
    return rows[0] if rows else None


def answer_scores(store: Store, generation_id: str) -> list[dict[str, Any]]:
    """Every criterion row of every verdict on one answer."""
    return store.records(
        """SELECT rubric, rubric_version, rubric_current, judge, criterion, score, status, rationale, error,
                  not_applicable, created_at
           FROM scores WHERE generation_id = ?
           ORDER BY rubric_current DESC, rubric, judge, criterion""",
        [generation_id],
    )


def pairwise_for_prompt(store: Store, prompt_id: str) -> list[dict[str, Any]]:
    """Pairwise verdicts on one prompt: both orders' winners and rationales side by side."""
    return store.records(
        """SELECT pair_id, rubric, rubric_version, criterion, judge, model_a, model_b, generation_a, generation_b,
                  winner_order1, winner_order2, winner, consistent, error, rationale_order1, rationale_order2
           FROM pairwise WHERE prompt_id = ? ORDER BY rubric, criterion, judge, pair_id""",
        [prompt_id],
    )


def labelled(store: Store, annotator: str) -> set[tuple[str, str, str, str]]:
    """(generation_id, rubric, rubric_version, criterion) this annotator has labelled."""
    rows = store.query(
        "SELECT generation_id, rubric, rubric_version, criterion FROM human_labels WHERE annotator = ?", [annotator]
    )[1]
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def annotators(store: Store) -> list[tuple[str, int]]:
    """(annotator, labels) for everyone who labelled."""
    return [
        (r[0], int(r[1])) for r in store.query("SELECT annotator, count(*) FROM human_labels GROUP BY 1 ORDER BY 1")[1]
    ]


def apply_label_ops(store: Store, ops: Sequence[dict[str, Any]]) -> None:
    """Apply queued label operations in order: `set` stores a label (replacing the annotator's earlier
    one on the same item), `delete` removes it (undo). Applying the same list twice gives the same table."""
    batch: list[dict[str, Any]] = []
    ids = {}
    keys = [(o["generation_id"], o["rubric"], o["rubric_version"], o["criterion"]) for o in ops]
    if keys:
        rows = store.query(
            """SELECT generation_id, rubric, rubric_version, criterion, label_id FROM label_items
               WHERE generation_id IN (SELECT unnest(?::VARCHAR[]))""",
            [sorted({k[0] for k in keys})],
        )[1]
        ids = {(r[0], r[1], r[2], r[3]): r[4] for r in rows}

    def flush() -> None:
        if batch:
            # upsert_labels takes one row per key: the last operation on a key wins within a batch.
            last = {
                tuple(r[c] for c in ("generation_id", "rubric", "rubric_version", "criterion", "annotator")): r
                for r in batch
            }
            upsert_labels(store, list(last.values()))
            batch.clear()

    for o in ops:
        key = (o["generation_id"], o["rubric"], o["rubric_version"], o["criterion"])
        if o.get("op") == "delete":
            flush()
            with store.transaction() as con:
                con.execute(
                    """DELETE FROM human_labels WHERE generation_id = ? AND rubric = ? AND rubric_version = ?
                       AND criterion = ? AND annotator = ?""",
                    [*key, o["annotator"]],
                )
            continue
        batch.append(
            {
                "generation_id": key[0],
                "rubric": key[1],
                "rubric_version": key[2],
                "criterion": key[3],
                "annotator": o["annotator"],
                "score": o.get("score"),
                "not_applicable": bool(o.get("not_applicable")),
                "comment": o.get("comment"),
                "label_id": ids.get(key),
                "source": "judge ui",
            }
        )
    flush()


def rubric_versions(store: Store, name: str) -> list[dict[str, Any]]:
    """Every stored version of a rubric, newest first, with its text."""
    return store.records(
        """SELECT name, version, path, text, registered_at, retired_at IS NULL AS current
           FROM rubrics WHERE name = ? ORDER BY registered_at DESC""",
        [name],
    )


def verdict_counts(store: Store) -> list[tuple[str, str, int]]:
    """(rubric, rubric_version, verdicts) for the single-answer verdicts stored."""
    rows = store.query(
        "SELECT rubric, rubric_version, count(DISTINCT verdict_id) FROM verdicts WHERE mode = 'single' GROUP BY 1, 2"
    )[1]
    return [(r[0], r[1], int(r[2])) for r in rows]


def scores_of(store: Store, generation_ids: Sequence[str], rubric: str) -> dict[tuple[str, str], float | None]:
    """(generation_id, criterion) -> the current rubric version's score (median over judges and repeats)."""
    rows = store.query(
        """SELECT generation_id, criterion, median(score) FROM scores
           WHERE rubric = ? AND rubric_current AND mode = 'single' AND judge NOT LIKE 'check:%'
             AND generation_id IN (SELECT unnest(?::VARCHAR[]))
           GROUP BY 1, 2""",
        [rubric, list(generation_ids)],
    )[1]
    return {(r[0], r[1]): r[2] for r in rows}


def answer_ids(store: Store) -> list[tuple[str, str, str, str]]:
    """(generation_id, prompt_id, lang, category) of the current answers that succeeded."""
    rows = store.query(
        "SELECT generation_id, prompt_id, lang, category FROM answers WHERE current AND status = 'ok' ORDER BY 2, 1"
    )[1]
    return [(r[0], r[1], r[2], r[3]) for r in rows]
