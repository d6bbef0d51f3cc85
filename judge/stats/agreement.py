"""Agreement between raters: weighted kappa, Krippendorff's alpha, Spearman.

Pure functions like ``stats``: a judge against humans or against itself in another language.
Items missing (None/NaN) for a rater are dropped, and a value that is undefined on the data
(no items, a single category throughout) is NaN rather than an exception.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as _sp

NAN = float("nan")


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _label_pairs(x: Sequence[Any], y: Sequence[Any]) -> list[tuple[Any, Any]]:
    if len(x) != len(y):
        raise ValueError(f"rating sequences differ in length: {len(x)} vs {len(y)}")
    return [(a, b) for a, b in zip(x, y, strict=True) if not (_is_missing(a) or _is_missing(b))]


def _kappa(x: Sequence[Any], y: Sequence[Any], weights: str, categories: Sequence[Any] | None) -> float:
    pairs = _label_pairs(x, y)
    if not pairs:
        return NAN
    if categories is None:
        seen = {v for p in pairs for v in p}
        try:
            categories = sorted(seen)
        except TypeError:  # mixed label types: order is irrelevant for nominal kappa
            categories = sorted(seen, key=repr)
    ix = {c: i for i, c in enumerate(categories)}
    missing = {v for p in pairs for v in p} - ix.keys()
    if missing:
        raise ValueError(f"labels not among the categories: {sorted(map(repr, missing))}")
    k = len(categories)
    obs = np.zeros((k, k))
    np.add.at(obs, (np.array([ix[a] for a, _ in pairs]), np.array([ix[b] for _, b in pairs])), 1)
    obs /= obs.sum()
    exp = np.outer(obs.sum(axis=1), obs.sum(axis=0))
    dist = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
    w = {"linear": dist, "quadratic": dist**2}[weights]
    den = float((w * exp).sum())
    # Expected disagreement 0 means both raters used one and the same category: undefined.
    return 1.0 - float((w * obs).sum()) / den if den > 0 else NAN


def weighted_kappa(
    x: Sequence[Any],
    y: Sequence[Any],
    weights: Literal["linear", "quadratic"] = "quadratic",
    categories: Sequence[Any] | None = None,
) -> float:
    """Weighted kappa for two raters on an ordinal scale.

    Args:
        x: First rater's labels; None/NaN is missing (the item is dropped).
        y: Second rater's labels, aligned with ``x``.
        weights: Disagreement weight from category positions: ``|i-j|/(k-1)`` or its square.
        categories: The ordered scale (e.g. ``range(1, 6)``), else the sorted labels seen. Give
            it when a level inside the scale may go unused: weights depend on positions.
    """
    if weights not in ("linear", "quadratic"):
        raise ValueError(f"weights must be 'linear' or 'quadratic', got {weights!r}")
    return _kappa(x, y, weights, categories)


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman rank correlation over pairs with no NaN; NaN if fewer than 2 or constant."""
    a, b = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"spearman inputs differ in length: {a.size} vs {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return NAN
    return float(_sp.spearmanr(a, b).statistic)


def krippendorff_alpha(data: ArrayLike, level: Literal["nominal", "ordinal", "interval"] = "ordinal") -> float:
    """Krippendorff's alpha for a raters x units matrix with NaN for missing ratings.

    Built from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's
    alpha-reliability"). Units rated fewer than twice are not pairable and are left out. The
    ordinal metric is ``delta(c, k) = (sum of n_g for g from c to k - (n_c + n_k) / 2) ** 2``
    over the values' coincidence marginals ``n_g``, so it depends on ranks, not on distances.
    NaN when fewer than two pairable values or a single value throughout.
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise ValueError(f"level must be nominal, ordinal or interval, got {level!r}")
    d = np.asarray(data, dtype=float)
    if d.ndim != 2:
        raise ValueError(f"data must be raters x units (2-D), got shape {d.shape}")
    d = d[:, (~np.isnan(d)).sum(axis=0) >= 2]
    vals = np.unique(d[~np.isnan(d)])
    if vals.size < 2:
        return NAN
    counts = np.stack([(d == v).sum(axis=0) for v in vals], axis=1).astype(float)  # units x k
    per = counts / (counts.sum(axis=1) - 1)[:, None]  # each pair weighs 1/(m_u - 1)
    coinc = per.T @ counts - np.diag(per.sum(axis=0))
    n_c = coinc.sum(axis=1)
    if level == "nominal":
        delta = 1.0 - np.eye(vals.size)
    elif level == "interval":
        delta = np.subtract.outer(vals, vals) ** 2
    else:  # ordinal
        cum = np.cumsum(n_c)
        idx = np.arange(vals.size)
        lo_i, hi_i = np.minimum.outer(idx, idx), np.maximum.outer(idx, idx)
        between = cum[hi_i] - cum[lo_i] + n_c[lo_i]  # sum of n_g over g in [lo, hi]
        delta = (between - (n_c[:, None] + n_c[None, :]) / 2) ** 2
    expected = float((np.outer(n_c, n_c) * delta).sum())
    if expected == 0:
        return NAN
    return 1.0 - (n_c.sum() - 1) * float((coinc * delta).sum()) / expected


def krippendorff_alpha_ordinal(data: ArrayLike) -> float:
    """Krippendorff's alpha with the ordinal metric; see ``krippendorff_alpha``."""
    return krippendorff_alpha(data, "ordinal")
