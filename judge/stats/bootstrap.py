"""Statistics for the report: pure functions over numbers.

Nothing here reads files or the store. Every function drops missing inputs (NaN, or ``None`` in
label/verdict sequences), returns NaN fields instead of raising on empty input, and is
deterministic given ``seed``. Intervals are percentile-bootstrap unless said otherwise.
Agreement between raters (kappa, Krippendorff's alpha, Spearman) is in ``agreement``.

Bootstrap cost: resampling a mean is done without an ``(n_boot, n)`` index matrix when the data
have few distinct values (rubric scores 1-5, paired differences): the resampled count of each
distinct value is ``Multinomial(n, observed shares)``, which is exactly the distribution index
resampling produces, at O(n_boot * k) instead of O(n_boot * n). Continuous data (expected scores)
fall back to index matrices generated in chunks of about 4M entries.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as _sp

_CHUNK = 1 << 22  # index-matrix entries per bootstrap chunk (~16 MB of int32)
NAN = float("nan")


@dataclass(frozen=True, slots=True)
class Estimate:
    """Statistic on the full data (``mean``; for Bradley-Terry the rating) with a CI ``lo..hi``.

    ``n`` counts the observations used, ``n_dropped`` the NaN inputs left out.
    """

    mean: float
    lo: float
    hi: float
    n: int
    n_dropped: int = 0


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """Mean of ``a - b`` over aligned pairs, its bootstrap CI and a Wilcoxon signed-rank p-value."""

    mean: float
    lo: float
    hi: float
    n: int
    p_value: float


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _clean(values: ArrayLike) -> tuple[np.ndarray, int]:
    x = np.asarray(values, dtype=float).ravel()
    keep = ~np.isnan(x)
    return x[keep], int(x.size - keep.sum())


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return (1.0 - level) / 2.0


def _percentile_ci(boot: np.ndarray, level: float, axis: int = 0) -> tuple[Any, Any]:
    a = _check_level(level)
    lo, hi = np.quantile(boot, [a, 1.0 - a], axis=axis)
    return lo, hi


def _index_chunks(rng: np.random.Generator, n: int, n_boot: int) -> Iterator[np.ndarray]:
    """Yield ``(rows, n)`` index matrices, ``n_boot`` rows in total, bounded in memory."""
    step = max(1, _CHUNK // max(n, 1))
    dtype = np.int32 if n < 2**31 else np.int64
    for start in range(0, n_boot, step):
        yield rng.integers(0, n, size=(min(step, n_boot - start), n), dtype=dtype)


def _boot_means(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n = x.size
    uniq, counts = np.unique(x, return_counts=True)
    if uniq.size * 4 <= n:  # few distinct values: exact multinomial shortcut (module docstring)
        return rng.multinomial(n, counts / n, size=n_boot) @ uniq / n
    return np.concatenate([x[idx].mean(axis=1) for idx in _index_chunks(rng, n, n_boot)])


def _wilson(successes: float, n: int, level: float) -> tuple[float, float]:
    if n == 0:
        return NAN, NAN
    z, p = float(_sp.norm.ppf(1.0 - _check_level(level))), successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_mean_ci(values: ArrayLike, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Estimate:
    """Mean with a percentile-bootstrap confidence interval.

    NaN entries (failed verdicts) are dropped and counted in ``n_dropped``. Nothing left gives
    NaN fields; n = 1 gives ``lo == hi == mean`` (one value resamples to itself, so that
    interval carries no information). ``seed`` feeds ``numpy.random.default_rng``.
    """
    _check_level(level)
    x, dropped = _clean(values)
    if x.size == 0:
        return Estimate(NAN, NAN, NAN, 0, dropped)
    boot = _boot_means(x, n_boot, np.random.default_rng(seed))
    lo, hi = _percentile_ci(boot, level)
    return Estimate(float(x.mean()), float(lo), float(hi), int(x.size), dropped)


_EXACT_MAX = 13  # scipy's own limit for enumerating all sign flips of a tied sample


def wilcoxon_p(a: ArrayLike, b: ArrayLike) -> float:
    """Two-sided Wilcoxon signed-rank p-value for aligned samples ``a`` and ``b``.

    Uses ``zero_method="pratt"``: rubric scores are small integers, so many pairs tie. "wilcox"
    throws those pairs away and tests only the rest, which overstates the evidence when most
    prompts show no difference; Pratt keeps the zeros in the ranking (scipy calls it the more
    conservative choice). Pairs with a NaN on either side are dropped. No pairs gives NaN; all
    differences zero gives 1.0.

    The p-values are those of scipy's ``method="auto"``; only the slow case is computed here.
    Without ties or zeros scipy uses the exact null distribution (n <= 50), else the normal
    approximation with tie and zero corrections (n > 13). With ties or zeros and n <= 13 it runs
    ``permutation_test`` over all 2**n sign flips, 0.1-1.5 s a call, and a report makes
    hundreds: ``_signflip_p`` enumerates the same flips in well under a millisecond. The normal
    approximation is not used there: with few pairs it is too liberal (five pairs all +1 gives
    0.025, when no sign pattern of five pairs can reach below 0.0625).
    """
    d = _paired(a, b)
    if d.size == 0 or not np.any(d):
        return NAN if d.size == 0 else 1.0
    tied = not np.all(d) or np.unique(np.abs(d)).size < d.size
    if tied and d.size <= _EXACT_MAX:
        return _signflip_p(d)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        p = float(_sp.wilcoxon(d, zero_method="pratt", method="asymptotic" if tied else "auto").pvalue)
    return 1.0 if math.isnan(p) else min(1.0, p)


def _signflip_p(d: np.ndarray) -> float:
    """Exact two-sided p of the Pratt signed-rank sum under all sign flips (scipy's recipe)."""
    ranks = _sp.rankdata(np.abs(d))  # zeros take part in the ranking but never carry a sign
    observed = float(ranks[d > 0].sum())
    r = ranks[d != 0]
    flips = (np.arange(1 << r.size)[:, None] >> np.arange(r.size)) & 1
    null = flips @ r
    tol = abs(observed) * 100 * np.finfo(float).eps  # equal statistics up to rounding count as equal
    below, above = np.mean(null <= observed + tol), np.mean(null >= observed - tol)
    return float(min(1.0, 2 * min(below, above)))


def _paired(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    x, y = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in length: {x.size} vs {y.size}")
    d = x - y
    return d[~np.isnan(d)]


def paired_bootstrap_diff(
    a: ArrayLike, b: ArrayLike, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> PairedDiff:
    """Mean difference ``a - b`` over aligned pairs (same prompts), resampling pairs.

    A pair with NaN on either side is dropped. The p-value is ``wilcoxon_p``. Empty input gives
    NaN fields; n = 1 gives ``lo == hi == mean`` and p = 1.0.
    """
    d = _paired(a, b)
    est = bootstrap_mean_ci(d, level=level, n_boot=n_boot, seed=seed)
    return PairedDiff(est.mean, est.lo, est.hi, est.n, wilcoxon_p(d, np.zeros_like(d)))


def paired_diff(x: ArrayLike, y: ArrayLike, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> PairedDiff:
    """``paired_bootstrap_diff`` of ``x - y`` with the differences rounded to 1e-9.

    For per-unit means computed as sums / sizes (several samples per prompt): equal rational
    differences such as 1/3 - 0 and 2/3 - 1/3 differ in the last float bit. Rounded, they compare
    equal, so the bootstrap keeps its few-distinct-values shortcut and the Wilcoxon ranks see
    the ties. No reported digit changes. Pairs with a NaN on either side are dropped.
    """
    d = np.round(_paired(x, y), 9)
    return paired_bootstrap_diff(d, np.zeros_like(d), level=level, n_boot=n_boot, seed=seed)


def cluster_mean_ci(
    sums: ArrayLike, sizes: ArrayLike, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> Estimate:
    """Row mean with a CI that resamples whole clusters (e.g. prompts), from per-cluster totals.

    Use it when several rows share a prompt (samples, criteria): those rows are correlated and a
    row bootstrap would give too narrow an interval. ``sums[i]`` and ``sizes[i]`` are the sum and
    the number of rows of cluster i; the estimate is ``sum(sums) / sum(sizes)`` and each resample's
    statistic is the same ratio over the drawn clusters, so large clusters weigh as much as in
    the point estimate. ``n`` counts rows. Clusters of size 0 are left out; a NaN sum drops the
    cluster and its rows count in ``n_dropped``.

    Cost: clusters of one size reduce to a bootstrap of cluster means (``bootstrap_mean_ci``), and
    few distinct (sum, size) pairs, as rubric scores give, to one multinomial draw per resample
    (the shortcut in the module docstring). Otherwise index matrices over clusters, in chunks.
    """
    _check_level(level)
    s, z = np.asarray(sums, dtype=float).ravel(), np.asarray(sizes, dtype=float).ravel()
    if s.size != z.size:
        raise ValueError(f"sums and sizes differ in length: {s.size} vs {z.size}")
    dropped = int(z[np.isnan(s)].sum())
    keep = (z > 0) & ~np.isnan(s)
    s, z = s[keep], z[keep]
    if s.size == 0:
        return Estimate(NAN, NAN, NAN, 0, dropped)
    n_rows, rng = int(z.sum()), np.random.default_rng(seed)
    if np.all(z == z[0]):
        # Rounded so that equal cluster means compare equal (see ``paired_diff``).
        e = bootstrap_mean_ci(np.round(s / z[0], 9), level=level, n_boot=n_boot, seed=seed)
        return Estimate(e.mean, e.lo, e.hi, n_rows, dropped)
    parts = [(np.unique(s[z == size], return_counts=True), size) for size in np.unique(z)]
    pairs = np.array([(v, size) for (vals, _), size in parts for v in vals])
    if len(pairs) * 4 <= s.size:
        counts = np.concatenate([c for (_, c), _ in parts])
        draws = rng.multinomial(s.size, counts / s.size, size=n_boot)
        boot = (draws @ pairs[:, 0]) / (draws @ pairs[:, 1])
    else:
        chunks = _index_chunks(rng, s.size, n_boot)
        boot = np.concatenate([s[i].sum(axis=1) / z[i].sum(axis=1) for i in chunks])
    lo, hi = _percentile_ci(boot, level)
    return Estimate(float(s.sum() / z.sum()), float(lo), float(hi), n_rows, dropped)


def holm_correction(pvalues: Sequence[float | None]) -> list[float]:
    """Holm step-down adjusted p-values, in input order.

    Adjusted values are monotone in the raw ones and capped at 1. NaN/None entries pass through
    as NaN and do not count towards the number of tests.
    """
    p = np.array([NAN if v is None else v for v in pvalues], dtype=float)
    out = np.full(p.size, NAN)
    ok = np.flatnonzero(~np.isnan(p))
    if m := ok.size:
        order = ok[np.argsort(p[ok], kind="stable")]
        adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out[order] = np.minimum(adj, 1.0)
    return out.tolist()
