"""Style control (judge.stats.style): planted length effects are found and removed, and nothing else moves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from judge.stats import bradley_terry
from judge.stats.style import FEATURES, LONGER, normalised_difference, style_control

SCALE = 400 / math.log(10)  # one log-odds unit in rating points


def games(
    n: int,
    *,
    seed: int,
    judge: str,
    quality: dict[str, float],
    length: dict[str, float],
    spread: float = 0.5,
    beta: float = 8.0,
) -> tuple[list[str], list[str], list[str], np.ndarray, np.ndarray, list[int]]:
    """n prompts; every two models play once per prompt. Lengths: lognormal around `length`.

    judge "longer": the longer answer always wins, whatever the quality; "quality": the better model
    wins with P = σ(q_a − q_b), length ignored; "both": σ(q_a − q_b + beta · normalised length diff).
    Markdown counts are drawn independently of everything.
    """
    rng = np.random.default_rng(seed)
    models = sorted(quality)
    ma, mb, res, fa, fb, units = [], [], [], [], [], []
    for p in range(n):
        chars = {m: rng.lognormal(np.log(length[m]), spread) for m in models}
        feats = {m: [chars[m], rng.poisson(1.0), rng.poisson(2.0), rng.poisson(3.0)] for m in models}
        for i, a in enumerate(models):
            for b in models[i + 1 :]:
                if judge == "longer":
                    won = chars[a] > chars[b]
                else:
                    z = quality[a] - quality[b]
                    if judge == "both":
                        z += beta * float(normalised_difference(chars[a], chars[b]))
                    won = rng.random() < 1 / (1 + math.exp(-z))
                ma.append(a)
                mb.append(b)
                res.append("A" if won else "B")
                fa.append(feats[a])
                fb.append(feats[b])
                units.append(p)
    return ma, mb, res, np.array(fa), np.array(fb), units


def test_a_length_loving_judge_is_caught_and_the_length_advantage_removed() -> None:
    ma, mb, res, fa, fb, units = games(
        400, seed=1, judge="longer", quality={"verbose": 0.0, "terse": 0.0}, length={"verbose": 1200, "terse": 600}
    )
    fit = style_control(ma, mb, res, fa, fb, units=units, n_boot=300, seed=0)
    # raw: the verbose model wins most games only because it writes more
    assert fit.raw_win_rates["verbose"].mean > 0.75
    assert fit.raw_ratings["verbose"].mean - fit.raw_ratings["terse"].mean > 150
    # the regression puts the effect on length (the step "longer wins" most of all) ...
    longer, length = fit.coefficients[LONGER], fit.coefficients["length"]
    assert longer.lo > 3.0 and length.lo > 0
    for f in ("headers", "bold", "lists"):  # ... and not on markdown, which was drawn at random
        assert abs(fit.coefficients[f].mean) < longer.mean / 10
    assert fit.length_effect.lo > 5 and 0.2 < fit.length_gap < 0.5  # verbose writes about twice as much
    # ... and the two models, equal in quality, come out level
    v, t = fit.ratings["verbose"], fit.ratings["terse"]
    assert abs(v.mean - t.mean) < 10
    assert abs(fit.win_rates["verbose"].mean - 0.5) < 0.02


def test_without_the_step_term_a_step_judge_leaks_into_the_ratings() -> None:
    # the plain Arena-Hard features: the length advantage shrinks but need not vanish (module docstring)
    ma, mb, res, fa, fb, units = games(
        400, seed=1, judge="longer", quality={"verbose": 0.0, "terse": 0.0}, length={"verbose": 1200, "terse": 600}
    )
    fit = style_control(ma, mb, res, fa, fb, units=units, n_boot=0, longer_term=False)
    raw_gap = fit.raw_ratings["verbose"].mean - fit.raw_ratings["terse"].mean
    gap = fit.ratings["verbose"].mean - fit.ratings["terse"].mean
    assert LONGER not in fit.coefficients
    assert abs(gap) < raw_gap / 2


def test_quality_survives_control_when_length_is_also_rewarded() -> None:
    # the judge rewards length AND quality: the worse model writes longer; control recovers the true gap
    q = {"good": 0.6, "padded": 0.0, "plain": 0.0}
    ma, mb, res, fa, fb, units = games(
        600, seed=2, judge="both", quality=q, length={"good": 500, "padded": 1500, "plain": 500}, beta=6.0
    )
    fit = style_control(ma, mb, res, fa, fb, units=units, n_boot=300, seed=0)
    raw, ctl = fit.raw_ratings, fit.ratings
    assert raw["padded"].mean > raw["good"].mean  # fooled by length
    assert ctl["good"].mean > ctl["padded"].mean  # not any more
    true_gap = 0.6 * SCALE  # about 104 rating points
    for other in ("padded", "plain"):
        gap = ctl["good"].mean - ctl[other].mean
        assert abs(gap - true_gap) < 45, (other, gap)
    assert abs(ctl["padded"].mean - ctl["plain"].mean) < 45
    assert fit.coefficients["length"].lo > 0


def test_a_judge_that_ignores_length_is_left_alone() -> None:
    q = {"a": 0.5, "b": 0.0, "c": -0.3}
    ma, mb, res, fa, fb, units = games(500, seed=3, judge="quality", quality=q, length={"a": 400, "b": 900, "c": 700})
    fit = style_control(ma, mb, res, fa, fb, units=units, n_boot=300, seed=0)
    for f in FEATURES[1:]:
        c = fit.coefficients[f]
        assert c.lo < 0 < c.hi or abs(c.mean) < 0.15, (f, c)
    assert fit.length_effect.lo < 0 < fit.length_effect.hi
    for m in q:
        assert abs(fit.ratings[m].mean - fit.raw_ratings[m].mean) < 30
        assert abs(fit.win_rates[m].mean - fit.raw_win_rates[m].mean) < 0.05
    assert sorted(q, key=lambda m: -fit.ratings[m].mean) == ["a", "b", "c"]


def test_without_style_terms_it_is_the_plain_bradley_terry_model() -> None:
    ma, mb, res, fa, fb, _ = games(
        200, seed=4, judge="quality", quality={"x": 0.4, "y": 0.0, "z": -0.4}, length=dict.fromkeys("xyz", 500.0)
    )
    res[:30] = ["tie"] * 30
    fit = style_control(ma, mb, res, fa, fb, n_boot=10)
    bt = bradley_terry(list(zip(ma, mb, res, strict=True)))
    for m in bt:
        assert fit.raw_ratings[m].mean == pytest.approx(bt[m], abs=1e-3)
    # the observed win rate, ties as half
    for m in bt:
        score = sum(
            (r == side) + 0.5 * (r == "tie")
            for x, y, r in zip(ma, mb, res, strict=True)
            for me, side in ((x, "A"), (y, "B"))
            if me == m
        )
        assert fit.raw_win_rates[m].mean == pytest.approx(score / fit.raw_win_rates[m].n)


def test_deterministic_and_symmetric() -> None:
    ma, mb, res, fa, fb, units = games(
        150, seed=5, judge="both", quality={"p": 0.3, "q": 0.0}, length={"p": 500, "q": 800}
    )
    one = style_control(ma, mb, res, fa, fb, units=units, n_boot=200, seed=7)
    two = style_control(ma, mb, res, fa, fb, units=units, n_boot=200, seed=7)
    assert one == two
    other = style_control(ma, mb, res, fa, fb, units=units, n_boot=200, seed=8)
    assert other.ratings["p"].mean == one.ratings["p"].mean
    assert other.ratings["p"].lo != one.ratings["p"].lo
    # swapping the sides of every game (and its result) changes nothing
    flip = {"A": "B", "B": "A", "tie": "tie"}
    swapped = style_control(mb, ma, [flip[r] for r in res], fb, fa, n_boot=0)
    plain = style_control(ma, mb, res, fa, fb, n_boot=0)
    for m in ("p", "q"):
        assert swapped.ratings[m].mean == pytest.approx(plain.ratings[m].mean, abs=1e-6)
    for f in (*FEATURES, LONGER):
        assert swapped.coefficients[f].mean == pytest.approx(plain.coefficients[f].mean, abs=1e-6)


def test_edges() -> None:
    feats = np.array([[100, 0, 0, 0], [50, 0, 0, 0], [80, 0, 0, 0]], dtype=float)
    small = np.array([[60, 0, 0, 0], [90, 0, 0, 0], [80, 0, 0, 0]], dtype=float)
    fit = style_control(["a", "a", "a"], ["b", "b", "b"], ["A", None, "tie"], feats, small, n_boot=50)
    assert fit.n == 2  # the failed game is skipped
    assert fit.dropped == ["headers", "bold", "lists"]  # never vary: left out, NaN coefficient
    assert math.isnan(fit.coefficients["bold"].mean)
    assert not math.isnan(fit.coefficients["length"].mean)
    assert fit.ratings["a"].n == 2
    one = style_control(["a"], ["b"], [None], feats[:1], small[:1])
    assert one.ratings == {} and one.n == 0
    with pytest.raises(ValueError, match="result must be"):
        style_control(["a"], ["b"], ["win"], feats[:1], small[:1])
    with pytest.raises(ValueError, match="play itself"):
        style_control(["a"], ["a"], ["A"], feats[:1], small[:1])
    with pytest.raises(ValueError, match="columns"):
        style_control(["a"], ["b"], ["A"], feats[:1, :2], small[:1, :2])
    with pytest.raises(ValueError, match="ridge"):
        style_control(["a"], ["b"], ["A"], feats[:1], small[:1], ridge=0)
    # ties dropped: only decided games count
    drop = style_control(["a", "a"], ["b", "b"], ["A", "tie"], feats[:2], small[:2], ties="drop", n_boot=10)
    assert drop.n == 1


def test_a_model_missing_from_a_resample_does_not_break_the_intervals() -> None:
    # a rare model (2 games) is absent from many resamples: its win-rate CI still comes out finite
    rng = np.random.default_rng(0)
    ma = ["a"] * 60 + ["rare", "rare"]
    mb = ["b"] * 60 + ["a", "b"]
    res = list(rng.choice(["A", "B"], 62))
    fa = np.c_[rng.integers(100, 900, 62), np.zeros((62, 3))]
    fb = np.c_[rng.integers(100, 900, 62), np.zeros((62, 3))]
    fit = style_control(ma, mb, res, fa, fb, n_boot=200, seed=1)
    e = fit.win_rates["rare"]
    assert math.isfinite(e.lo) and math.isfinite(e.hi) and e.n == 2
