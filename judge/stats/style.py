"""Style control for pairwise results: a Bradley-Terry regression with length and markdown terms.

The Arena-Hard-Auto / Chatbot Arena style control (Li, Angelopoulos, Chiang, "Does style matter?",
2024): the Bradley-Terry model is a logistic regression of "A won" on ±1 model indicators; style
control adds, per game, the differences of style features between the two answers,

    P(A beats B) = σ(θ_A − θ_B + Σ_k β_k · f_k(A, B)),

so the model coefficients θ become strengths *at equal style* and β says how much the judge pays
for style. The features (``FEATURES``) are the normalised length difference and the differences
of markdown counts (headers, bold spans, list items), each as ``(a − b) / (a + b + 1)`` — the
Arena-Hard form — then divided by its root mean square over the games. Not centred, unlike
Arena-Hard: equal style stays exactly 0 and swapping the answers flips the sign of every input, so
the fit cannot hide a position preference in a style term. A column that is 0 in every game (no
answer ever uses bold) is left out and its coefficient is NaN.

One term more than Arena-Hard (``longer_term``, on by default): ``LONGER``, the sign of the length
difference (+1 when A is the longer answer). A judge following "the longer answer wins" whatever
the size of the gap is a step in the length difference, which a slope on the normalised
difference can only approach with an infinite coefficient; what it cannot fit then leaks into the
model terms of whichever model is usually longer (measured, tests/stats/test_style.py setting over
seven seeds: a model whose answers were merely twice as long kept between −118 and +153 of its
about 300 rating points). With the step term the same simulations leave it within 3 points.
``longer_term=False`` gives the Arena-Hard features exactly. Both length terms are reported.

Fitting: Newton's method with step halving on the penalised log-likelihood, all bootstrap resamples
at once (warm-started at the full-data fit). Ties count as half a win (a soft label of 0.5), as in
`ranking.bradley_terry`; ``prior`` adds the same virtual tied games between every pair of models
(at zero style difference), which keeps a model that never loses finite; ``ridge`` is a Gaussian
penalty on the style coefficients only, which keeps them finite when style separates the outcomes
perfectly (a judge that always picks the longer answer). It is small (0.001: a prior sd of about
30 log-odds per unit) because what the penalty holds back in that case shows up in the model
terms. The last model's coefficient is fixed at 0 and the ratings are re-centred, so the fit is
identified.

Known limit: the regression is linear in its terms. A judge whose length preference has another
shape (say, "longer wins, but only past 2x") leaves a remainder that the model terms of the
usually-longer model absorb; the controlled ratings then shrink a length advantage without
removing all of it. The coefficients show how much length the judge paid for.

Ratings use the scale of `ranking.bradley_terry`: ``1000 + 400 · log10(strength)``, centred on 1000.
The controlled win rate of a model is the mean, over its own games (same opponents, same counts),
of its predicted chance to win at equal style; without style terms at the MLE this equals the
observed win rate with ties as half, which is why it is the comparable number.

Deterministic for a given ``seed``. Nothing here reads files or the store.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from .bootstrap import NAN, Estimate, _check_level, _is_missing

FEATURES: tuple[str, ...] = ("length", "headers", "bold", "lists")
"""The style features, in the column order `style_control` expects."""
LONGER = "longer"
"""The extra term `style_control` adds by default: the sign of the first feature's difference."""

_RESULTS = {"A": 1.0, "B": 0.0, "tie": 0.5}
_NONE = Estimate(NAN, NAN, NAN, 0)  # frozen, so one shared default is safe
_SCALE = 400.0 / math.log(10.0)  # natural-log strength -> rating points
_CHUNK = 1 << 22  # (resamples x games) entries per chunk of the bootstrap


@dataclass(frozen=True, slots=True)
class StyleFit:
    """Result of `style_control`. Every `Estimate` has the full-data value and a bootstrap CI.

    ``n`` of a model's estimates is the games it played; of a coefficient, all games.
    """

    models: list[str]
    ratings: dict[str, Estimate]
    """Style-controlled Bradley-Terry ratings (mean 1000; +400 = 10:1 odds at equal style)."""
    win_rates: dict[str, Estimate]
    """Controlled win rate: mean predicted P(win) at equal style over the model's own games."""
    raw_ratings: dict[str, Estimate]
    """The same regression without style terms (the plain Bradley-Terry model, same prior)."""
    raw_win_rates: dict[str, Estimate]
    """Observed win rate, ties as half, with the same bootstrap."""
    coefficients: dict[str, Estimate]
    """Per feature (and ``LONGER`` when ``longer_term``): log-odds of winning per root-mean-square
    unit of its normalised difference (positive: the judge prefers the answer with more of it). NaN
    when the feature never varies."""
    feature_rms: dict[str, float]
    """Root mean square of each normalised difference over the games (the unit of its coefficient)."""
    n: int
    """Games counted (decided, ties included unless dropped)."""
    n_units: int
    """Units the bootstrap resampled (prompts when given, else games)."""
    length_effect: Estimate = _NONE
    """The length terms together (the first feature's slope and ``LONGER``): the log-odds the judge
    adds to the longer answer at the median gap, ``length_gap``. One number for "how much does
    length buy", steadier than either coefficient alone (the two share the length signal)."""
    length_gap: float = NAN
    """The median |normalised difference| of the first feature over games where it differs."""
    converged: bool = True
    """Whether the full-data fit converged (always, unless the data are degenerate)."""
    dropped: list[str] = field(default_factory=list)
    """Features left out because they are 0 in every game."""


def normalised_difference(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``(a − b) / (a + b + 1)`` elementwise: in (−1, 1), 0 when equal, antisymmetric."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return (a - b) / (a + b + 1.0)


def _design(
    model_a: Sequence[str], model_b: Sequence[str], result: Sequence[Any], fa: np.ndarray, fb: np.ndarray, ties: str
) -> tuple[list[int], list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counted games (input positions), models, (a, b) indices, labels y, normalised feature differences."""
    if not (len(model_a) == len(model_b) == len(result) == fa.shape[0] == fb.shape[0]):
        raise ValueError("style_control inputs differ in length")
    keep = []
    for i, r in enumerate(result):
        if _is_missing(r):
            continue
        if r not in _RESULTS:
            raise ValueError(f"result must be one of {tuple(_RESULTS)}, got {r!r}")
        if model_a[i] == model_b[i]:
            raise ValueError(f"a model cannot play itself: {model_a[i]!r}")
        if r == "tie" and ties == "drop":
            continue
        keep.append(i)
    idx = np.asarray(keep, dtype=np.int64)
    models = sorted({model_a[i] for i in keep} | {model_b[i] for i in keep})
    ix = {m: j for j, m in enumerate(models)}
    a = np.array([ix[model_a[i]] for i in keep], dtype=np.int64)
    b = np.array([ix[model_b[i]] for i in keep], dtype=np.int64)
    y = np.array([_RESULTS[result[i]] for i in keep], dtype=float)
    diff = normalised_difference(fa[idx], fb[idx]) if idx.size else np.zeros((0, fa.shape[1]))
    return keep, models, a, b, y, diff


def _model_columns(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """±1 indicators of the first k−1 models (the last is the reference, fixed at 0)."""
    x = np.zeros((a.size, k - 1))
    rows = np.arange(a.size)
    ma, mb = a < k - 1, b < k - 1
    x[rows[ma], a[ma]] += 1.0
    x[rows[mb], b[mb]] -= 1.0
    return x


def _nll(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted logistic loss per resample from the linear predictors z (B, n): log(1 + e^z) − y·z."""
    return (w * (np.logaddexp(0.0, z) - y * z)).sum(axis=1)


def _newton(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    pen: np.ndarray,
    theta0: np.ndarray,
    max_iter: int = 100,
    tol: float = 1e-7,
) -> tuple[np.ndarray, bool]:
    """Damped Newton on the penalised loss for each row of ``w`` (B resamples at once): theta (B, d).

    Stops a resample when no coefficient moves by more than ``tol`` (log-odds; 1e-7 is 2e-5
    rating points). The Hessian carries a 1e-10 jitter so a model column the data never touch
    (possible in a resample) cannot make it singular; the prior's games keep it well-posed anyway.
    """
    n, d = x.shape
    theta = np.array(theta0, dtype=float)
    if d == 0:
        return theta, True
    outer = (x[:, :, None] * x[:, None, :]).reshape(n, d * d)
    eye = np.diag(pen + 1e-10)
    z = theta @ x.T
    loss = _nll(z, y, w) + 0.5 * (theta * theta * pen).sum(axis=1)
    active = np.ones(theta.shape[0], dtype=bool)
    for _ in range(max_iter):
        ia = np.flatnonzero(active)
        if ia.size == 0:
            return theta, True
        th, wa, za = theta[ia], w[ia], z[ia]
        p = expit(za)
        grad = (wa * (p - y)) @ x + th * pen
        hess = ((wa * p * (1.0 - p)) @ outer).reshape(-1, d, d) + eye
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        # step halving: the largest of 1, 1/2, 1/4, ... that does not increase the loss
        t = np.ones(ia.size)
        new = th - step
        new_z = new @ x.T
        new_loss = _nll(new_z, y, wa) + 0.5 * (new * new * pen).sum(axis=1)
        for _h in range(30):
            bad = new_loss > loss[ia] + 1e-12 * np.abs(loss[ia])
            if not bad.any():
                break
            t[bad] /= 2.0
            new[bad] = th[bad] - t[bad, None] * step[bad]
            new_z[bad] = new[bad] @ x.T
            new_loss[bad] = _nll(new_z[bad], y, wa[bad]) + 0.5 * (new[bad] ** 2 * pen).sum(axis=1)
        moved = np.max(np.abs(new - th), axis=1)
        theta[ia], z[ia], loss[ia] = new, new_z, new_loss
        active[ia[moved < tol]] = False
    return theta, not active.any()


@dataclass
class _Problem:
    models: list[str]
    a: np.ndarray
    b: np.ndarray
    y: np.ndarray
    x: np.ndarray
    """Design of the real games: model columns then the kept (scaled) style columns."""
    px: np.ndarray
    py: np.ndarray
    pw: np.ndarray
    """The prior's virtual games (fixed weights, never resampled)."""
    pen: np.ndarray


def _problem(
    models: list[str], a: np.ndarray, b: np.ndarray, y: np.ndarray, style: np.ndarray, prior: float, ridge: float
) -> _Problem:
    k, s = len(models), style.shape[1]
    x = np.concatenate([_model_columns(a, b, k), style], axis=1)
    ia, ib = np.triu_indices(k, 1)
    px = np.concatenate([_model_columns(ia, ib, k), np.zeros((ia.size, s))], axis=1)
    pen = np.r_[np.zeros(k - 1), np.full(s, ridge)]
    return _Problem(models, a, b, y, x, px, np.full(ia.size, 0.5), np.full(ia.size, prior), pen)


def _fit(pr: _Problem, w: np.ndarray, theta0: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Fit with game weights w (B, n): theta (B, d)."""
    x = np.concatenate([pr.x, pr.px])
    y = np.r_[pr.y, pr.py]
    ww = np.concatenate([w, np.broadcast_to(pr.pw, (w.shape[0], pr.pw.size))], axis=1)
    start = np.zeros((w.shape[0], x.shape[1])) if theta0 is None else np.broadcast_to(theta0, (w.shape[0], x.shape[1]))
    return _newton(x, y, ww, pr.pen, start)


def _ratings(theta: np.ndarray, k: int) -> np.ndarray:
    """theta (B, d) -> ratings (B, k): the reference model at 0, centred, on the rating scale."""
    t = np.concatenate([theta[:, : k - 1], np.zeros((theta.shape[0], 1))], axis=1)
    return 1000.0 + _SCALE * (t - t.mean(axis=1, keepdims=True))


def _win_rates(r: np.ndarray, pr: _Problem, w: np.ndarray) -> np.ndarray:
    """Mean predicted P(win) at equal style over each model's games, weighted by w: (B, k)."""
    k = len(pr.models)
    p = expit((r[:, pr.a] - r[:, pr.b]) / _SCALE)  # P(a wins), (B, n)
    won = np.zeros((w.shape[0], k))
    games = np.zeros((w.shape[0], k))
    for j in range(k):
        ma, mb = pr.a == j, pr.b == j
        won[:, j] = (w[:, ma] * p[:, ma]).sum(axis=1) + (w[:, mb] * (1.0 - p[:, mb])).sum(axis=1)
        games[:, j] = w[:, ma].sum(axis=1) + w[:, mb].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return won / games


def _observed(pr: _Problem, w: np.ndarray) -> np.ndarray:
    k = len(pr.models)
    won = np.zeros((w.shape[0], k))
    games = np.zeros((w.shape[0], k))
    for j in range(k):
        ma, mb = pr.a == j, pr.b == j
        won[:, j] = (w[:, ma] * pr.y[ma]).sum(axis=1) + (w[:, mb] * (1.0 - pr.y[mb])).sum(axis=1)
        games[:, j] = w[:, ma].sum(axis=1) + w[:, mb].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return won / games


def _nan_ci(boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile CI per column, ignoring resamples where the value is undefined (a model drew no game)."""
    a = _check_level(level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column gives NaN bounds
        lo, hi = np.nanquantile(boot, [a, 1.0 - a], axis=0)
    return lo, hi


def _resample_weights(unit_of_game: np.ndarray, n_units: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) game weights: how often each game's unit was drawn in a resample of the units."""
    draws = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(float)
    return draws[:, unit_of_game]


def style_control(
    model_a: Sequence[str],
    model_b: Sequence[str],
    result: Sequence[str | None],
    features_a: ArrayLike,
    features_b: ArrayLike,
    *,
    feature_names: Sequence[str] = FEATURES,
    units: Sequence[Hashable] | None = None,
    ties: str = "half",
    prior: float = 1.0,
    ridge: float = 0.001,
    longer_term: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> StyleFit:
    """Style-controlled Bradley-Terry ratings, win rates and style coefficients with bootstrap CIs.

    Args:
        model_a, model_b, result: one game each: ``result`` is ``"A"``, ``"B"``, ``"tie"`` or
            ``None`` (a failed or not-applicable comparison: skipped).
        features_a, features_b: ``(games, features)`` raw style measures of each side's answer
            (counts: characters, headers, bold spans, list items), columns named by
            ``feature_names``; the differences are formed here (module docstring).
        units: the bootstrap's unit per game (the prompt: games sharing a prompt share answers, so
            they are resampled together); None resamples games.
        ties: ``"half"`` (a tie is half a win each) or ``"drop"``.
        prior: virtual tied games between every pair of models (> 0), as in `bradley_terry`.
        ridge: Gaussian penalty on the style coefficients (> 0; per squared log-odds).
        longer_term: add ``LONGER``, the sign of the first feature's difference (module docstring).
        n_boot, seed, level: the percentile bootstrap.

    Fewer than two models with games gives empty dictionaries (n = 0).
    """
    _check_level(level)
    if ties not in ("half", "drop"):
        raise ValueError(f"ties must be 'half' or 'drop', got {ties!r}")
    if not prior > 0:
        raise ValueError(f"prior must be positive, got {prior!r}")
    if not ridge > 0:  # perfectly separating style (always the longer answer) needs it to stay finite
        raise ValueError(f"ridge must be positive, got {ridge!r}")
    names = list(feature_names)
    fa = np.asarray(features_a, dtype=float).reshape(len(model_a), -1)
    fb = np.asarray(features_b, dtype=float).reshape(len(model_b), -1)
    if fa.shape[1] != len(names) or fb.shape[1] != len(names):
        raise ValueError(f"features have {fa.shape[1]} columns, feature_names {len(names)}")
    if not (np.isfinite(fa).all() and np.isfinite(fb).all()):
        raise ValueError("features must be finite (count a missing answer as 0)")
    kept_games, models, a, b, y, diff = _design(model_a, model_b, result, fa, fb, ties)
    if longer_term and names:  # the sign of the first feature's difference: "this answer is the longer one"
        names = [*names, LONGER]
        diff = np.concatenate([diff, np.sign(diff[:, :1])], axis=1)
    nan_coef = {f: Estimate(NAN, NAN, NAN, int(a.size)) for f in names}
    if len(models) < 2:
        return StyleFit(models, {}, {}, {}, {}, nan_coef, dict.fromkeys(names, NAN), int(a.size), 0)
    rms = np.sqrt((diff**2).mean(axis=0))
    kept = [j for j in range(len(names)) if rms[j] > 0]
    style = diff[:, kept] / rms[kept]
    full = _problem(models, a, b, y, style, prior, ridge)
    raw = _problem(models, a, b, y, style[:, :0], prior, ridge)

    # bootstrap units: prompts when given, else each game its own unit
    if units is None:
        unit_of_game = np.arange(a.size)
    else:
        u = [units[i] for i in kept_games]
        codes: dict[Hashable, int] = {}
        unit_of_game = np.array([codes.setdefault(v, len(codes)) for v in u], dtype=np.int64)
    n_units = int(unit_of_game.max()) + 1 if unit_of_game.size else 0

    ones = np.ones((1, a.size))
    th_full, ok = _fit(full, ones)
    th_raw, _ = _fit(raw, ones)
    k = len(models)
    point = {
        "r": _ratings(th_full, k)[0],
        "raw": _ratings(th_raw, k)[0],
        "coef": th_full[0, k - 1 :],
    }
    point["wr"] = _win_rates(point["r"][None, :], full, ones)[0]
    point["obs"] = _observed(full, ones)[0]

    rng = np.random.default_rng(seed)
    boots: dict[str, list[np.ndarray]] = {key: [] for key in ("r", "raw", "coef", "wr", "obs")}
    step = max(1, _CHUNK // max(a.size, 1))
    for start in range(0, n_boot, step):
        w = _resample_weights(unit_of_game, n_units, min(step, n_boot - start), rng)
        tf, _ = _fit(full, w, th_full[0])
        tr, _ = _fit(raw, w, th_raw[0])
        rf = _ratings(tf, k)
        boots["r"].append(rf)
        boots["raw"].append(_ratings(tr, k))
        boots["coef"].append(tf[:, k - 1 :])
        boots["wr"].append(_win_rates(rf, full, w))
        boots["obs"].append(_observed(full, w))

    games = np.bincount(np.r_[a, b], minlength=k)

    def per_model(key: str) -> dict[str, Estimate]:
        if not boots[key]:
            return {m: Estimate(float(point[key][j]), NAN, NAN, int(games[j])) for j, m in enumerate(models)}
        lo, hi = _nan_ci(np.concatenate(boots[key]), level)
        return {
            m: Estimate(float(point[key][j]), float(lo[j]), float(hi[j]), int(games[j])) for j, m in enumerate(models)
        }

    # the length terms combined at the median gap: a fixed linear combination of the coefficients
    effect_w, gap = np.zeros(len(kept)), NAN
    if names and 0 in kept:
        nonzero = np.abs(diff[:, 0])[diff[:, 0] != 0]
        gap = float(np.median(nonzero))
        effect_w[kept.index(0)] = gap / rms[0]
        if longer_term and len(names) - 1 in kept:
            effect_w[kept.index(len(names) - 1)] = 1.0 / rms[-1]
    effect = Estimate(NAN, NAN, NAN, int(a.size))
    if names and 0 in kept:
        if boots["coef"]:
            draws = np.concatenate(boots["coef"]) @ effect_w
            elo, ehi = _nan_ci(draws[:, None], level)
        else:
            elo = ehi = np.full(1, NAN)
        effect = Estimate(float(point["coef"] @ effect_w), float(elo[0]), float(ehi[0]), int(a.size))

    coefs = dict(nan_coef)
    if kept:
        if boots["coef"]:
            clo, chi = _nan_ci(np.concatenate(boots["coef"]), level)
        else:
            clo = chi = np.full(len(kept), NAN)
        for c, j in enumerate(kept):
            coefs[names[j]] = Estimate(float(point["coef"][c]), float(clo[c]), float(chi[c]), int(a.size))
    return StyleFit(
        models=models,
        ratings=per_model("r"),
        win_rates=per_model("wr"),
        raw_ratings=per_model("raw"),
        raw_win_rates=per_model("obs"),
        coefficients=coefs,
        feature_rms={f: float(rms[j]) for j, f in enumerate(names)},
        n=int(a.size),
        n_units=n_units,
        length_effect=effect,
        length_gap=gap,
        converged=bool(ok),
        dropped=[names[j] for j in range(len(names)) if j not in kept],
    )
