"""The SQL of `judge probe`: probe verdicts, the texts judged, the current judge setup, the CIs.

Schema (migration m005_probe): `probe_verdicts` (one row per probe item x criterion), `probe_texts`,
`probe_judges`, `probe_cis`, and the views `probe_pairs` (a corrupted verdict beside its clean
one), `probe_cells` (the live statistics per cell, with a signature of the pairs) and
`probe_results` (the documented view). The runner writes verdicts as they finish and, at the end of
a run, one CI row per cell of its judge setup (`write_cis`), computed from `cell_pairs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .rows import _insert_columns, _key_status, _replace_rows
from .store import now

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "PROBE_COLS",
    "RESULT_COLS",
    "cell_pairs",
    "probe_results",
    "probe_status",
    "set_probe_judge",
    "source_models",
    "write_cis",
    "write_probe_texts",
    "write_probe_verdicts",
]

PROBE_COLS = [
    "probe_key",
    "criterion",
    "clean_key",
    "run_id",
    "judge",
    "judge_variant",
    "judge_model_id",
    "judge_ident",
    "prompts_version",
    "rubric",
    "rubric_version",
    "lang",
    "operator",
    "expect",
    "dose",
    "dose_reached",
    "seed",
    "edits_json",
    "source",
    "source_id",
    "item_id",
    "text_hash",
    "corrupted_hash",
    "score",
    "not_applicable",
    "rationale",
    "error",
    "attempts",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "raw",
    "instruction_lang",
    "created_at",
]
RESULT_COLS = [
    "judge",
    "rubric",
    "criterion",
    "lang",
    "operator",
    "dose",
    "n",
    "p_detect",
    "mean_drop",
    "lo",
    "hi",
    "p_raise",
]
"""The columns of the `probe_results` view, in order (documented in the README)."""
CELL = ["rubric", "rubric_version", "criterion", "lang", "operator", "dose"]
"""What identifies a cell within one judge setup."""


def probe_status(store: Store, keys: list[str]) -> dict[str, str]:
    """probe_key -> 'ok' or 'error' for the stored probe items among `keys`."""
    return _key_status(store, "probe_verdicts", "probe_key", keys)


def write_probe_verdicts(store: Store, rows: list[dict[str, Any]]) -> int:
    """Whole probe items (every criterion row of a key) replace any stored ones, in one transaction."""
    return _replace_rows(store, "probe_verdicts", "probe_key", PROBE_COLS, rows)


def write_probe_texts(store: Store, texts: dict[str, str]) -> None:
    """Keep each judged text once, by its hash (a text already stored is left as it is)."""
    if not texts:
        return
    rows = [{"text_hash": h, "text": t} for h, t in texts.items()]
    with store.transaction():
        _insert_columns(
            store, "INSERT INTO probe_texts", "probe_texts", ["text_hash", "text"], rows, " ON CONFLICT DO NOTHING"
        )


def set_probe_judge(store: Store, judge: str, ident: str, variant: str, prompts_version: str, run_id: str) -> None:
    """Make `ident` the setup `probe_results` reports for `judge` (done when a probe run starts)."""
    with store.transaction():
        store.con.execute("DELETE FROM probe_judges WHERE judge = ?", [judge])
        store.con.execute(
            "INSERT INTO probe_judges (judge, judge_ident, judge_variant, prompts_version, run_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [judge, ident, variant, prompts_version, run_id, now()],
        )


def cell_pairs(store: Store, ident: str) -> list[tuple[dict[str, Any], list[tuple[str, float]]]]:
    """Each cell of the judge setup `ident`: its live row from `probe_cells` (n, p_detect, signature...)
    and its scored pairs as (clean text hash, detect value 1 / 0.5 / 0), for the bootstrap."""
    cells = store.records(
        "SELECT * FROM probe_cells WHERE judge_ident = ? ORDER BY rubric, criterion, lang, operator, dose", [ident]
    )
    rows = store.con.execute(
        f"""SELECT {", ".join(CELL)}, text_hash,
               CASE WHEN corrupted_score < clean_score THEN 1.0
                    WHEN corrupted_score = clean_score THEN 0.5 ELSE 0.0 END
            FROM probe_pairs
            WHERE judge_ident = ? AND status = 'scored' AND rubric_current
            ORDER BY probe_key""",
        [ident],
    ).fetchall()
    by_cell: dict[tuple[Any, ...], list[tuple[str, float]]] = {}
    for r in rows:
        by_cell.setdefault(tuple(r[: len(CELL)]), []).append((r[len(CELL)], float(r[len(CELL) + 1])))
    return [(c, by_cell.get(tuple(c[k] for k in CELL), [])) for c in cells]


def write_cis(store: Store, ident: str, rows: list[dict[str, Any]]) -> None:
    """Replace the CI rows of the judge setup `ident` by `rows` (one per cell), in one transaction."""
    cols = ["judge_ident", *CELL, "n", "signature", "lo", "hi", "level", "n_boot", "run_id", "computed_at"]
    with store.transaction():
        store.con.execute("DELETE FROM probe_cis WHERE judge_ident = ?", [ident])
        if rows:
            _insert_columns(store, "INSERT INTO probe_cis", "probe_cis", cols, rows)


def probe_results(
    store: Store, judge: str | None = None, rubrics: list[str] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The `probe_results` view (optionally one judge's, some rubrics'), in a stable order."""
    where, params = ["true"], []
    if judge is not None:
        where.append("judge = ?")
        params.append(judge)
    if rubrics:
        where.append(f"rubric IN ({', '.join('?' * len(rubrics))})")
        params += rubrics
    return store.query(
        f"SELECT {', '.join(RESULT_COLS)} FROM probe_results WHERE {' AND '.join(where)}"
        " ORDER BY judge, rubric, criterion, lang, operator, dose",
        params,
    )


def source_models(store: Store) -> list[str]:
    """The model labels with successful stored answers (what `--source` may name)."""
    rows = store.con.execute(
        "SELECT DISTINCT model FROM answers WHERE status = 'ok' AND current ORDER BY model"
    ).fetchall()
    return [r[0] for r in rows]
