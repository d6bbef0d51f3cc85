"""The SQL of `judge fidelity`: per-text comparisons, the per-language statistics, the `fidelity` view.

Schema (migration m010_fidelity): `fidelity_texts` (one row per text × variant, keyed by content),
`fidelity_stats` (one row per base × variant × language of the latest run) and the documented
view `fidelity` over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .rows import _insert_columns, _replace_rows

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "FIDELITY_COLS",
    "STAT_COLS",
    "TEXT_COLS",
    "fidelity_rows",
    "stored_texts",
    "write_stats",
    "write_texts",
]

TEXT_COLS = [
    "text_key",
    "base",
    "base_variant",
    "variant",
    "variant_variant",
    "base_model",
    "top_k",
    "mode",
    "source",
    "source_id",
    "lang",
    "text_hash",
    "status",
    "error",
    "attempts",
    "n_tokens",
    "kld",
    "agree",
    "nll_base",
    "nll_variant",
    "tail_base",
    "run_id",
    "created_at",
]
FIDELITY_COLS = [
    "base_model",
    "base",
    "variant",
    "base_quantization",
    "variant_quantization",
    "lang",
    "source",
    "top_k",
    "n_texts",
    "n_tokens",
    "n_errors",
    "mean_kld",
    "mean_kld_lo",
    "mean_kld_hi",
    "p99_kld",
    "p99_kld_lo",
    "p99_kld_hi",
    "top1",
    "top1_lo",
    "top1_hi",
    "ppl_base",
    "ppl_variant",
    "ppl_ratio",
    "ppl_ratio_lo",
    "ppl_ratio_hi",
    "tail_mass",
    "mode",
    "approximation",
    "run_id",
    "computed_at",
]
"""The columns of the `fidelity` view, in order (documented in the README)."""
STAT_COLS = FIDELITY_COLS


def stored_texts(store: Store, keys: list[str]) -> dict[str, dict[str, Any]]:
    """text_key -> its stored row, for the keys among `keys` that are stored."""
    if not keys:
        return {}
    rows = store.records(
        f"SELECT {', '.join(TEXT_COLS)} FROM fidelity_texts WHERE text_key IN (SELECT unnest(?::VARCHAR[]))", [keys]
    )
    return {r["text_key"]: r for r in rows}


def write_texts(store: Store, rows: list[dict[str, Any]]) -> int:
    """Per-text rows replace any stored ones with the same key (a retried error), in one transaction."""
    return _replace_rows(store, "fidelity_texts", "text_key", TEXT_COLS, rows)


def write_stats(store: Store, pairs: list[tuple[str, str]], rows: list[dict[str, Any]]) -> None:
    """Replace the statistics of each (base, variant) in `pairs` by `rows`, in one transaction."""
    with store.transaction():
        for base, variant in pairs:
            store.con.execute("DELETE FROM fidelity_stats WHERE base = ? AND variant = ?", [base, variant])
        if rows:
            _insert_columns(store, "INSERT INTO fidelity_stats", "fidelity_stats", STAT_COLS, rows)


def fidelity_rows(store: Store) -> list[dict[str, Any]]:
    """The `fidelity` view in a stable order (nothing when the database predates it)."""
    if "m010_fidelity" not in store.applied():
        return []
    return store.records(
        f"SELECT {', '.join(FIDELITY_COLS)} FROM fidelity"
        " ORDER BY base_model, base, variant, CASE lang WHEN 'all' THEN 1 ELSE 0 END, lang"
    )
