"""Rankings and pairwise outcomes: win rates, Bradley-Terry ratings, swap consistency, flip rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .bootstrap import NAN, Estimate, _check_level, _is_missing, _percentile_ci, _wilson


@dataclass(frozen=True, slots=True)
class WinRate:
    """A model's pairwise record; ``rate`` counts ties as half a win; Wilson CI ``lo``..``hi``."""

    wins: int
    losses: int
    ties: int
    n: int
    rate: float
    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class Consistency:
    """Position-swap consistency (Wilson CI ``lo..hi`` on ``rate``) and position preference.

    ``first_position_rate``: share of all verdicts (both orders, ties in the denominator) that
    pick the answer shown first; an unbiased judge that never ties gives 0.5.
    """

    rate: float
    n: int
    first_position_rate: float
    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class FlipRate:
    """Share of aligned items whose correctness differs between two variants."""

    rate: float
    n: int
    a_only: int
    b_only: int


def flip_rate(a_correct: Sequence[Any], b_correct: Sequence[Any]) -> FlipRate:
    """Share of aligned items correct under one variant and wrong under the other.

    ``a_only`` counts items right under A only, ``b_only`` under B only. Items missing (None/NaN)
    on either side are dropped; no items gives rate NaN.
    """
    if len(a_correct) != len(b_correct):
        raise ValueError(f"flip_rate inputs differ in length: {len(a_correct)} vs {len(b_correct)}")
    pairs = [
        (bool(a), bool(b)) for a, b in zip(a_correct, b_correct, strict=True) if not (_is_missing(a) or _is_missing(b))
    ]
    a_only, b_only, n = sum(a > b for a, b in pairs), sum(b > a for a, b in pairs), len(pairs)
    return FlipRate((a_only + b_only) / n if n else NAN, n, a_only, b_only)


Outcome = tuple[str, str, str | None]
_RESULTS = ("A", "B", "tie")


def _encode(outcomes: Sequence[Outcome]) -> tuple[list[str], np.ndarray]:
    """Models (sorted) and an ``(m, 3)`` array of (index_a, index_b, result code 0/1/2)."""
    rows = [o for o in outcomes if not _is_missing(o[2])]
    for a, b, r in rows:
        if r not in _RESULTS:
            raise ValueError(f"result must be one of {_RESULTS}, got {r!r}")
        if a == b:
            raise ValueError(f"a model cannot play itself: {a!r}")
    models = sorted({m for a, b, _ in outcomes for m in (a, b)})
    ix = {m: i for i, m in enumerate(models)}
    arr = np.array([(ix[a], ix[b], _RESULTS.index(r)) for a, b, r in rows], dtype=np.int64)
    return models, arr.reshape(-1, 3)


def win_rates(outcomes: Sequence[Outcome], *, level: float = 0.95) -> dict[str, WinRate]:
    """Per-model wins, losses, ties and win rate (ties as half a win) with a Wilson CI.

    ``outcomes`` are ``(model_a, model_b, result)`` with result ``"A"``, ``"B"`` or ``"tie"``;
    a ``None`` result (failed verdict) is skipped. The Wilson interval is on the tie-as-half rate.
    """
    models, arr = _encode(outcomes)
    a, b, r = arr.T

    def tally(ra: int, rb: int) -> np.ndarray:
        return np.bincount(a[r == ra], minlength=len(models)) + np.bincount(b[r == rb], minlength=len(models))

    out: dict[str, WinRate] = {}
    for m, won, lost, tied in zip(models, tally(0, 1), tally(1, 0), tally(2, 2), strict=True):
        n, score = int(won + lost + tied), won + 0.5 * tied
        out[m] = WinRate(
            int(won), int(lost), int(tied), n, float(score / n) if n else NAN, *_wilson(float(score), n, level)
        )
    return out


def _bt_fit(w: np.ndarray, max_iter: int, tol: float) -> np.ndarray:
    """MM iterations (Hunter 2004) on win matrices ``w`` of shape (R, K, K); returns log10 p."""
    games = w + np.swapaxes(w, 1, 2)
    won = w.sum(axis=2)
    p = np.ones(won.shape)
    for _ in range(max_iter):
        new = won / (games / (p[:, :, None] + p[:, None, :])).sum(axis=2)
        new /= np.exp(np.log(new).mean(axis=1, keepdims=True))  # fix the scale: geometric mean 1
        done, p = np.max(np.abs(np.log(new) - np.log(p))) < tol, new
        if done:
            break
    return np.log10(p)


def _bt_cells(outcomes: Sequence[Outcome], ties: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    if ties not in ("half", "drop"):
        raise ValueError(f"ties must be 'half' or 'drop', got {ties!r}")
    # Only models with counted games get a rating: a prior-only rating would look like data.
    skip = ("tie",) if ties == "drop" else ()
    models, arr = _encode([o for o in outcomes if not (_is_missing(o[2]) or o[2] in skip)])
    cells, counts = np.unique(arr, axis=0, return_counts=True)
    k = len(models)
    contrib = np.zeros((len(cells), k, k))  # how one game of each kind adds to the win matrix
    for c, (i, j, r) in enumerate(cells):
        contrib[c, i, j] += (1.0, 0.0, 0.5)[r]
        contrib[c, j, i] += (0.0, 1.0, 0.5)[r]
    games_per_model = np.bincount(arr[:, :2].ravel(), minlength=k)
    return models, counts, contrib.reshape(len(cells), k * k), games_per_model


def _bt_ratings(counts: np.ndarray, contrib: np.ndarray, k: int, prior: float, max_iter: int, tol: float) -> np.ndarray:
    if not prior > 0:  # a winless model would get strength 0 and break the log scale
        raise ValueError(f"prior must be positive, got {prior!r}")
    w = (counts @ contrib).reshape(-1, k, k) + (prior / 2) * (1 - np.eye(k))
    logp = _bt_fit(w, max_iter, tol)
    return 1000.0 + 400.0 * (logp - logp.mean(axis=1, keepdims=True))


def bradley_terry(
    outcomes: Sequence[Outcome],
    *,
    ties: Literal["half", "drop"] = "half",
    prior: float = 1.0,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> dict[str, float]:
    """Bradley-Terry ratings on an Elo-like scale, fitted by the MM algorithm (Hunter 2004).

    Scale: ``rating = 400 * log10(strength)``, shifted so the mean over models is 1000. A gap
    of ``d`` points means ``P(win) = 1 / (1 + 10 ** (-d / 400))``: 400 points is 10:1 odds.

    Args:
        outcomes: ``(model_a, model_b, result)``, result ``"A"``, ``"B"`` or ``"tie"``;
            ``None`` results are skipped.
        ties: ``"half"`` counts a tie as half a win for each side; ``"drop"`` ignores ties.
        prior: Virtual tied games (> 0) added between every pair of models. It keeps a model
            that never wins (or never loses) finite and joins models never compared directly,
            at the cost of a slight pull towards 1000; one game is negligible against hundreds.
        max_iter: Iteration cap for the MM updates.
        tol: Stop when no log-strength moves by more than this.

    Returns:
        ``{model: rating}`` for models with at least one counted game.
    """
    models, counts, contrib, _ = _bt_cells(outcomes, ties)
    if not models:
        return {}
    r = _bt_ratings(counts[None, :].astype(float), contrib, len(models), prior, max_iter, tol)
    return {m: float(v) for m, v in zip(models, r[0], strict=True)}


def bradley_terry_ci(
    outcomes: Sequence[Outcome],
    *,
    ties: Literal["half", "drop"] = "half",
    prior: float = 1.0,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    max_iter: int = 10_000,
    tol: float = 1e-8,
) -> dict[str, Estimate]:
    """Bradley-Terry ratings with percentile-bootstrap CIs, resampling games.

    Resampled game counts are drawn as ``Multinomial(m, shares of each (a, b, result) kind)``,
    which equals resampling the m games, and all resamples are fitted at once. Each resample
    is re-centred on 1000, so the intervals describe ratings relative to the field. ``mean`` is
    the full-data rating, ``n`` the number of games the model played.
    """
    _check_level(level)
    models, counts, contrib, games = _bt_cells(outcomes, ties)
    if not models:
        return {}
    k, m = len(models), int(counts.sum())
    point = _bt_ratings(counts[None, :].astype(float), contrib, k, prior, max_iter, tol)[0]
    draws = np.random.default_rng(seed).multinomial(m, counts / m, size=n_boot).astype(float)
    boot = _bt_ratings(draws, contrib, k, prior, max_iter, tol)
    lo, hi = _percentile_ci(boot, level)
    return {name: Estimate(float(point[i]), float(lo[i]), float(hi[i]), int(games[i])) for i, name in enumerate(models)}


def swap_consistency(pairs: Sequence[tuple[str | None, str | None]], *, level: float = 0.95) -> Consistency:
    """Agreement of a pairwise judge with itself when the two answers swap positions.

    Args:
        pairs: ``(verdict_order1, verdict_order2)``: the winning position (``"A"``, ``"B"`` or
            ``"tie"``) with model X shown first, then with X shown second. They are consistent
            when they name the same model: A and B, B and A, or tie and tie. Pairs with a
            missing verdict are skipped.
        level: Confidence level of the Wilson interval on the consistency rate.
    """
    ok = [(v1, v2) for v1, v2 in pairs if not (_is_missing(v1) or _is_missing(v2))]
    for v in (v for p in ok for v in p):
        if v not in _RESULTS:
            raise ValueError(f"verdict must be one of {_RESULTS}, got {v!r}")
    n = len(ok)
    if n == 0:
        return Consistency(NAN, 0, NAN, NAN, NAN)
    same = {("A", "B"), ("B", "A"), ("tie", "tie")}
    consistent = sum(p in same for p in ok)
    first = sum((v1 == "A") + (v2 == "A") for v1, v2 in ok)
    lo, hi = _wilson(consistent, n, level)
    return Consistency(consistent / n, n, first / (2 * n), lo, hi)
