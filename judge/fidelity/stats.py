"""Per-language fidelity statistics with 95 % CIs that resample whole texts.

Tokens of one text are correlated (one hard passage makes many large KLDs), so every interval is a
cluster bootstrap over texts: the mean KLD, top-1 agreement and log perplexity ratio through
`stats.cluster_mean_ci` (a ratio of per-text sums, token-weighted as the point estimates), the
99th-percentile KLD by resampling texts and taking the percentile of the pooled tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from judge.stats import cluster_mean_ci

from .compare import TextResult

P99 = 0.99


@dataclass
class LangStats:
    lang: str
    n_texts: int
    n_tokens: int
    mean_kld: float
    mean_kld_lo: float
    mean_kld_hi: float
    p99_kld: float
    p99_kld_lo: float
    p99_kld_hi: float
    top1: float
    top1_lo: float
    top1_hi: float
    ppl_base: float
    ppl_variant: float
    ppl_ratio: float
    ppl_ratio_lo: float
    ppl_ratio_hi: float
    tail_mass: float
    """Mean probability the base put outside its top k (how much the KLD cannot see)."""


def p99_ci(klds: Sequence[Sequence[float]], *, n_boot: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """Percentile CI of the pooled 99th-percentile KLD, resampling texts."""
    arrays = [np.asarray(k, dtype=float) for k in klds if len(k)]
    if len(arrays) < 2:
        v = float(np.quantile(arrays[0], P99)) if arrays else math.nan
        return v, v
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, len(arrays), size=len(arrays))
        boots[b] = np.quantile(np.concatenate([arrays[i] for i in pick]), P99)
    a = (1 - level) / 2
    lo, hi = np.quantile(boots, [a, 1 - a])
    return float(lo), float(hi)


def lang_stats(lang: str, texts: list[TextResult], *, n_boot: int = 2000, seed: int = 0) -> LangStats:
    """The statistics of one language (or `all`) over the texts compared in it."""
    texts = [t for t in texts if t.n]
    sizes = [t.n for t in texts]
    n = sum(sizes)
    kld = cluster_mean_ci([sum(t.kld) for t in texts], sizes, n_boot=n_boot, seed=seed)
    top1 = cluster_mean_ci([t.agree for t in texts], sizes, n_boot=n_boot, seed=seed)
    dnll = cluster_mean_ci([t.nll_variant - t.nll_base for t in texts], sizes, n_boot=n_boot, seed=seed)
    pooled = np.concatenate([np.asarray(t.kld, dtype=float) for t in texts]) if texts else np.array([])
    p99 = float(np.quantile(pooled, P99)) if pooled.size else math.nan
    p99_lo, p99_hi = p99_ci([t.kld for t in texts], n_boot=n_boot, seed=seed)
    return LangStats(
        lang=lang,
        n_texts=len(texts),
        n_tokens=n,
        mean_kld=kld.mean,
        mean_kld_lo=kld.lo,
        mean_kld_hi=kld.hi,
        p99_kld=p99,
        p99_kld_lo=p99_lo,
        p99_kld_hi=p99_hi,
        top1=top1.mean,
        top1_lo=top1.lo,
        top1_hi=top1.hi,
        ppl_base=math.exp(sum(t.nll_base for t in texts) / n) if n else math.nan,
        ppl_variant=math.exp(sum(t.nll_variant for t in texts) / n) if n else math.nan,
        ppl_ratio=math.exp(dnll.mean),
        ppl_ratio_lo=math.exp(dnll.lo),
        ppl_ratio_hi=math.exp(dnll.hi),
        tail_mass=sum(t.tail_base for t in texts) / n if n else math.nan,
    )


def by_language(texts: list[tuple[str, TextResult]], *, n_boot: int = 2000, seed: int = 0) -> list[LangStats]:
    """One LangStats per language, then `all` (every text) when there are several languages."""
    langs = sorted({lang for lang, _ in texts})
    out = [lang_stats(lang, [t for x, t in texts if x == lang], n_boot=n_boot, seed=seed) for lang in langs]
    if len(langs) > 1:
        out.append(lang_stats("all", [t for _, t in texts], n_boot=n_boot, seed=seed))
    return out
