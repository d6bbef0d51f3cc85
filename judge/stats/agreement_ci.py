"""Agreement of a judge with human labels, each statistic with a bootstrap CI over labelled answers.

Why a module of its own: `agreement` computes one value from one table of ratings; a bootstrap
needs thousands of them, and calling those functions once per resample costs seconds per report
cell. Every statistic here is a function of small count tables that add up over units: the
judge × human confusion table (weighted κ, Spearman's ρ from midranks) and Krippendorff's
coincidence matrix (α). A resample of units is then a weighted sum of per-unit tables, and all
resamples are computed at once with array operations. The point estimates still come from
`agreement` (`weighted_kappa`, `spearman`, `krippendorff_alpha_ordinal`); the table forms are
checked against them in the tests.

The bootstrap resamples *clusters*: a labelled answer with all its labels (every annotator, and
every criterion when criteria are pooled), since labels of one answer are not independent.

| object | what |
|---|---|
| `Ratings` | raters × items matrix (row 0 the judge, then one row per annotator), each item's cluster, the scale |
| `Agreement` | κ, ρ, α (judge + humans), α (humans only), each an `Estimate` with its CI |
| `agreement_ci` | computes an `Agreement` from `Ratings` |
| `more_units_for` | units to add so a CI's half-width reaches a target, from the 1/sqrt(n) scaling |
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import agreement
from .bootstrap import NAN, Estimate, _percentile_ci

_CHUNK = 1 << 22  # weight-matrix entries per chunk of resamples (~32 MB of float64)


@dataclass(frozen=True)
class Ratings:
    """Ratings of items: `matrix[0]` the judge, `matrix[1:]` one row per annotator, NaN where missing."""

    matrix: np.ndarray
    clusters: np.ndarray
    """Per item (column), the unit resampled with it: its answer."""
    categories: Sequence[float]
    """The ordered scale (every level, and any other value seen)."""


@dataclass(frozen=True)
class Agreement:
    """Judge against humans; each `Estimate.n` counts the clusters (answers) behind it."""

    kappa: Estimate
    """Quadratic-weighted κ over (judge, label) pairs: every label against the judge's score."""
    spearman: Estimate
    """Spearman's ρ over the same pairs (ties get midranks)."""
    alpha: Estimate
    """Krippendorff's α (ordinal), judge and annotators as raters."""
    alpha_humans: Estimate | None
    """α of the annotators alone (the ceiling a judge can reach); None with one annotator."""
    n_items: int
    """Items with a judge score and at least one label."""
    n_pairs: int
    """(judge, label) pairs behind κ and ρ."""
    n_shared: int
    """Items two or more annotators labelled (behind the humans' α)."""


def agreement_ci(r: Ratings, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Agreement:
    """κ, ρ and α with percentile-bootstrap CIs that resample `r.clusters`."""
    m = np.asarray(r.matrix, dtype=float)
    cats = [float(c) for c in r.categories]
    ix = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    humans = m[1:]
    codes = np.vectorize(lambda v: -1 if math.isnan(v) else ix[float(v)], otypes=[int])(m) if m.size else m.astype(int)
    _, cluster = np.unique(np.asarray(r.clusters), return_inverse=True)
    n_cl = int(cluster.max()) + 1 if cluster.size else 0

    # Per-cluster tables, flattened to k*k: confusion (judge row, label column) and coincidences.
    conf = np.zeros((n_cl, k * k))
    coinc_all = np.zeros((n_cl, k * k))
    coinc_hum = np.zeros((n_cl, k * k))
    xs: list[float] = []
    ys: list[float] = []
    for u in range(m.shape[1]):
        col = codes[:, u]
        j, hs = col[0], col[1:][col[1:] >= 0]
        if j >= 0:
            for h in hs:
                conf[cluster[u], j * k + h] += 1
                xs.append(cats[j])
                ys.append(cats[h])
        coinc_all[cluster[u]] += _coincidences(col[col >= 0], k)
        coinc_hum[cluster[u]] += _coincidences(hs, k)
    used = conf.sum(axis=1) > 0
    items = int(sum(1 for u in range(m.shape[1]) if codes[0, u] >= 0 and (codes[1:, u] >= 0).any()))
    shared = int(((codes[1:] >= 0).sum(axis=0) >= 2).sum()) if humans.shape[0] else 0

    rng = np.random.default_rng(seed)
    boot = _resample([conf, coinc_all, coinc_hum], n_boot, rng)
    kb, rb = _kappa_tables(boot[0], k), _spearman_tables(boot[0], k)
    ab, hb = _alpha_tables(boot[1], k), _alpha_tables(boot[2], k)

    def est(value: float, resampled: np.ndarray, n: int) -> Estimate:
        if math.isnan(value) or n < 2:
            return Estimate(value, NAN, NAN, n)
        ok = resampled[~np.isnan(resampled)]
        if ok.size < 0.5 * resampled.size:  # mostly undefined resamples: no interval worth printing
            return Estimate(value, NAN, NAN, n)
        lo, hi = _percentile_ci(ok, level)
        return Estimate(value, float(lo), float(hi), n)

    n_used = int(used.sum())
    n_pairable = int((coinc_all.sum(axis=1) > 0).sum())
    hum = None
    if humans.shape[0] > 1:
        hum = est(float(agreement.krippendorff_alpha_ordinal(humans)), hb, int((coinc_hum.sum(axis=1) > 0).sum()))
    return Agreement(
        kappa=est(agreement.weighted_kappa(xs, ys, categories=cats), kb, n_used),
        spearman=est(agreement.spearman(xs, ys), rb, n_used),
        alpha=est(float(agreement.krippendorff_alpha_ordinal(m)), ab, n_pairable),
        alpha_humans=hum,
        n_items=items,
        n_pairs=len(xs),
        n_shared=shared,
    )


def more_units_for(half_width: float | None, n: int, target: float = 0.1) -> int | None:
    """Units to add so a CI of `half_width` over `n` units narrows to ±`target`: the half-width of a
    bootstrap CI shrinks as 1/sqrt(n), so n must grow by (half_width / target)². None when unknown."""
    if half_width is None or not math.isfinite(half_width) or n <= 0:
        return None
    need = math.ceil(n * (half_width / target) ** 2 - 1e-9)
    return max(0, need - n)


# -- table forms of the statistics, vectorised over resamples (axis 0) ---------------------------


def _coincidences(values: np.ndarray, k: int) -> np.ndarray:
    """One unit's contribution to the coincidence matrix: each ordered pair of its values, weighted
    1 / (m - 1) for m values (Krippendorff 2011); nothing when fewer than two."""
    m = values.size
    if m < 2:
        return np.zeros(k * k)
    n = np.bincount(values, minlength=k).astype(float)
    return ((np.outer(n, n) - np.diag(n)) / (m - 1)).ravel()


def _resample(tables: list[np.ndarray], n_boot: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Each table summed over a bootstrap resample of its rows (clusters): (n_boot, k*k) each.

    A resample's multiplicity of each cluster is Multinomial(n, 1/n), exactly the distribution that
    drawing n cluster indices with replacement gives; drawn in chunks to bound memory."""
    n = tables[0].shape[0]
    if n == 0:
        return [np.full((n_boot, t.shape[1]), 0.0) for t in tables]
    out: list[list[np.ndarray]] = [[] for _ in tables]
    step = max(1, _CHUNK // n)
    for start in range(0, n_boot, step):
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(step, n_boot - start)).astype(float)
        for i, t in enumerate(tables):
            out[i].append(w @ t)
    return [np.concatenate(parts) for parts in out]


def _kappa_tables(t: np.ndarray, k: int) -> np.ndarray:
    """Quadratic-weighted κ of each confusion table (rows judge, columns human), as `agreement._kappa`."""
    t = t.reshape(-1, k, k)
    total = t.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        obs = t / total[:, None, None]
        exp = obs.sum(axis=2)[:, :, None] * obs.sum(axis=1)[:, None, :]
        w = (np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)) ** 2
        den = (w * exp).sum(axis=(1, 2))
        out = 1.0 - (w * obs).sum(axis=(1, 2)) / den
    return np.where((den > 0) & (total > 0), out, NAN)


def _midranks(margin: np.ndarray) -> np.ndarray:
    """Average rank of each category given its count per resample (ties share their mean rank)."""
    return np.cumsum(margin, axis=1) - margin + (margin + 1) / 2


def _spearman_tables(t: np.ndarray, k: int) -> np.ndarray:
    """Spearman's ρ of each confusion table: Pearson's r of midranks, weighted by the cell counts."""
    t = t.reshape(-1, k, k)
    n = t.sum(axis=(1, 2))
    rx, ry = t.sum(axis=2), t.sum(axis=1)
    ranks_x, ranks_y = _midranks(rx), _midranks(ry)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (rx * ranks_x).sum(axis=1) / n
        my = (ry * ranks_y).sum(axis=1) / n
        dx, dy = ranks_x - mx[:, None], ranks_y - my[:, None]
        cov = np.einsum("bij,bi,bj->b", t, dx, dy)
        vx, vy = (rx * dx**2).sum(axis=1), (ry * dy**2).sum(axis=1)
        out = cov / np.sqrt(vx * vy)
    return np.where((n >= 2) & (vx > 1e-12) & (vy > 1e-12), out, NAN)


def _alpha_tables(c: np.ndarray, k: int) -> np.ndarray:
    """Krippendorff's α (ordinal) of each coincidence matrix, as `agreement.krippendorff_alpha`."""
    c = c.reshape(-1, k, k)
    n_c = c.sum(axis=2)
    cum = np.cumsum(n_c, axis=1)
    idx = np.arange(k)
    lo, hi = np.minimum.outer(idx, idx), np.maximum.outer(idx, idx)
    between = cum[:, hi] - cum[:, lo] + n_c[:, lo]
    delta = (between - (n_c[:, :, None] + n_c[:, None, :]) / 2) ** 2
    expected = (n_c[:, :, None] * n_c[:, None, :] * delta).sum(axis=(1, 2))
    observed = (c * delta).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - (n_c.sum(axis=1) - 1) * observed / expected
    return np.where(expected > 1e-12, out, NAN)
