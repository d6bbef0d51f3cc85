"""`judge fidelity`: token-distribution fidelity of a base model's variants, with the per-language table."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .app import ConfigOpt, ProgressOpt, Tracker, app, err, out, split_names
from .run import fail_on_unfinished

if TYPE_CHECKING:
    from judge.fidelity import FidelitySummary


@app.command()
def fidelity(
    base: Annotated[
        str, typer.Option("--base", help="The full-precision model: a models entry of judge.toml (the reference).")
    ],
    variants: Annotated[
        str, typer.Option("--variants", help="Comma-separated models entries with the same base_model.")
    ],
    config: ConfigOpt = Path("judge.toml"),
    texts: Annotated[
        str,
        typer.Option(
            help="`references` (the dataset's), `answers` (the base's stored answers), `answers:MODEL`, "
            'or a JSONL file of {"text": ..., "lang": ...}.'
        ),
    ] = "references",
    limit: Annotated[Optional[int], typer.Option(help="Texts per language.", min=1)] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="Top log-probabilities per token (vLLM allows 20).")] = 20,
    concurrency: Annotated[Optional[int], typer.Option(help="Texts in flight.", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap CIs.")] = 0,
    progress: ProgressOpt = True,
) -> None:
    """Measure what a variant changes in its base model's token distributions, per language.

    For the same texts, each endpoint's log-probabilities of the text's own tokens are requested
    (vLLM's `prompt_logprobs`, or `echo` with `logprobs` on /v1/completions) and compared token by
    token: mean and 99th-percentile KL divergence (base || variant), top-1 agreement and the
    perplexity ratio, each with a 95 % CI over texts, stored in the `fidelity` view. The variants
    must share the base's tokenizer (checked). Reference points from llama.cpp: Q8_0 mean KLD about
    0.0002, Q3_K_M about 0.05. A server without prompt log-probabilities (llama.cpp's) is refused
    with exit 2 before anything is stored.

    Example: judge fidelity --base qwen3-bf16 --variants qwen3-fp8,qwen3-awq --limit 40
    """
    from judge.config import load_config
    from judge.fidelity import fidelity as run

    cfg = load_config(config)
    with Tracker("fidelity", progress) as t:
        s = run(
            cfg,
            base=base,
            variants=split_names(variants) or [],
            texts=texts,
            limit=limit,
            top_k=top_k,
            concurrency=concurrency,
            seed=seed,
            argv=sys.argv[1:],
            on_plan=t.on_plan,
            on_done=t.on_done,
        )
    modes = ", ".join(f"{m}: {mode}" for m, mode in s.modes.items())
    err.print(
        f"fidelity: {s.texts} texts, {s.ok} compared, {s.errors} errors, {s.skipped} already stored"
        f" (prompt log-probabilities via {modes}; run {s.run_id})",
        markup=False,
    )
    _print(s)
    fail_on_unfinished(
        s,
        "text comparisons",
        "request them again with the same command",
        "see them with: judge sql \"SELECT variant, source_id, error FROM fidelity_texts WHERE status = 'error'\"",
    )


def _ci(v: Any, lo: Any, hi: Any, fmt: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if lo is None or hi is None or lo == hi:
        return format(v, fmt)
    return f"{format(v, fmt)} [{format(lo, fmt)}, {format(hi, fmt)}]"


def _print(s: FidelitySummary) -> None:
    from rich.table import Table

    if not s.stats:
        err.print("fidelity: no text compared: nothing to show")
        return
    t = Table(title=f"fidelity: {s.base} against each variant (95 % CI over texts)")
    for col in ("variant", "lang", "texts", "tokens", "mean KLD", "p99 KLD", "top-1 agree", "PPL ratio", "tail"):
        t.add_column(col, justify="left" if col in ("variant", "lang") else "right")
    for r in s.stats:
        t.add_row(
            r["variant"],
            r["lang"],
            str(r["n_texts"]),
            str(r["n_tokens"]),
            _ci(r["mean_kld"], r["mean_kld_lo"], r["mean_kld_hi"], ".5f"),
            _ci(r["p99_kld"], r["p99_kld_lo"], r["p99_kld_hi"], ".4f"),
            _ci(r["top1"], r["top1_lo"], r["top1_hi"], ".2%"),
            _ci(r["ppl_ratio"], r["ppl_ratio_lo"], r["ppl_ratio_hi"], ".4f"),
            f"{r['tail_mass']:.3f}",
        )
    out.print(t)
    out.print(
        "KLD over the tokens both sides returned (top k, the text's own) plus one bucket for the rest: a lower bound"
        " on the full-vocabulary KLD; `tail` is the base's mean probability outside its top k."
        " llama.cpp's reference: Q8_0 mean KLD ~0.0002, Q3_K_M ~0.05.",
        markup=False,
        highlight=False,
    )
