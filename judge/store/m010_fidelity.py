"""m010: `judge fidelity` — token distributions of variants against their base, and the `fidelity` view.

Never edit this once shipped: add a new module (see the end of judge/store/migrations.py).
"""

from __future__ import annotations

import duckdb

from judge.store.migrations import migration


@migration
def m010_fidelity(con: duckdb.DuckDBPyConnection) -> None:
    """`fidelity_texts`: one row per text × variant compared with its base (the per-token KLDs and the
    sums the statistics need, or the error of a call that failed), keyed by content so a rerun only
    requests what is missing. `fidelity_stats`: one row per base × variant × language of the latest
    run, with the bootstrap CIs computed at its end. `fidelity` is the documented view over it.
    """
    con.execute(
        """
        CREATE TABLE fidelity_texts (
            text_key VARCHAR PRIMARY KEY, base VARCHAR, base_variant VARCHAR, variant VARCHAR,
            variant_variant VARCHAR, base_model VARCHAR, top_k INTEGER, mode VARCHAR, source VARCHAR,
            source_id VARCHAR, lang VARCHAR, text_hash VARCHAR, status VARCHAR, error VARCHAR,
            attempts INTEGER, n_tokens INTEGER, kld DOUBLE[], agree INTEGER, nll_base DOUBLE,
            nll_variant DOUBLE, tail_base DOUBLE, run_id VARCHAR, created_at TIMESTAMP
        );
        CREATE TABLE fidelity_stats (
            base_model VARCHAR, base VARCHAR, variant VARCHAR, base_quantization VARCHAR,
            variant_quantization VARCHAR, lang VARCHAR, source VARCHAR, top_k INTEGER, mode VARCHAR,
            n_texts INTEGER, n_tokens INTEGER, n_errors INTEGER,
            mean_kld DOUBLE, mean_kld_lo DOUBLE, mean_kld_hi DOUBLE,
            p99_kld DOUBLE, p99_kld_lo DOUBLE, p99_kld_hi DOUBLE,
            top1 DOUBLE, top1_lo DOUBLE, top1_hi DOUBLE,
            ppl_base DOUBLE, ppl_variant DOUBLE, ppl_ratio DOUBLE, ppl_ratio_lo DOUBLE, ppl_ratio_hi DOUBLE,
            tail_mass DOUBLE, approximation VARCHAR, run_id VARCHAR, computed_at TIMESTAMP,
            PRIMARY KEY (base, variant, lang)
        );
        CREATE VIEW fidelity AS
        SELECT base_model, base, variant, base_quantization, variant_quantization, lang, source, top_k,
               n_texts, n_tokens, n_errors, mean_kld, mean_kld_lo, mean_kld_hi, p99_kld, p99_kld_lo,
               p99_kld_hi, top1, top1_lo, top1_hi, ppl_base, ppl_variant, ppl_ratio, ppl_ratio_lo,
               ppl_ratio_hi, tail_mass, mode, approximation, run_id, computed_at
        FROM fidelity_stats;
        """
    )
