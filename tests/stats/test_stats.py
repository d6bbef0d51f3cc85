"""Tests for judge.stats: planted effects on synthetic data, textbook values, edge cases."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
from scipy import stats as sp_stats

from judge import stats
from judge.stats import agreement

NAN = float("nan")


# --------------------------------------------------------------------------- means and differences


def test_paired_diff_detects_planted_effect():
    rng = np.random.default_rng(1)
    b = rng.normal(size=200)
    a = b + 0.5 + rng.normal(size=200)
    res = stats.paired_bootstrap_diff(a, b, level=0.95, n_boot=2000, seed=0)
    assert res.n == 200
    assert 0.3 < res.mean < 0.7
    assert res.lo > 0 and res.lo < res.mean < res.hi
    assert res.p_value < 1e-4


def test_paired_diff_covers_zero_when_no_difference():
    # Percentile-bootstrap coverage at n=50 is about 0.94 (checked over 20 seeds: 0.925-0.962).
    rng = np.random.default_rng(1000)
    reps, covered, small_p = 400, 0, 0
    for r in range(reps):
        a, b = rng.normal(size=50), rng.normal(size=50)
        res = stats.paired_bootstrap_diff(a, b, level=0.95, n_boot=500, seed=r)
        covered += res.lo <= 0 <= res.hi
        small_p += res.p_value < 0.05
    assert 0.90 <= covered / reps <= 0.99
    assert small_p / reps <= 0.10  # Wilcoxon keeps roughly its nominal 5 % size


@pytest.mark.parametrize("kind", ["normal", "likert"])
def test_mean_ci_coverage(kind):
    # "likert" takes the multinomial shortcut, "normal" the index-matrix path.
    rng = np.random.default_rng(3)
    shares = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    true = 1.0 if kind == "normal" else float(shares @ np.arange(1, 6))
    reps, covered = 300, 0
    for r in range(reps):
        if kind == "normal":
            x = rng.normal(1.0, 2.0, 50)
        else:
            x = rng.choice(np.arange(1, 6), 50, p=shares)
        est = stats.bootstrap_mean_ci(x, n_boot=500, seed=r)
        covered += est.lo <= true <= est.hi
    assert 0.90 <= covered / reps <= 0.99


def test_multinomial_shortcut_matches_index_resampling():
    x = np.random.default_rng(4).integers(1, 6, 400).astype(float)
    fast = stats.bootstrap_mean_ci(x, n_boot=4000, seed=0)
    # A negligible jitter makes every value distinct, forcing the index-matrix path.
    slow = stats.bootstrap_mean_ci(x + np.arange(x.size) * 1e-12, n_boot=4000, seed=0)
    assert fast.lo == pytest.approx(slow.lo, abs=0.02)
    assert fast.hi == pytest.approx(slow.hi, abs=0.02)


def test_bootstrap_is_deterministic_and_seed_sensitive():
    x = np.random.default_rng(5).normal(size=100)
    assert stats.bootstrap_mean_ci(x, seed=7) == stats.bootstrap_mean_ci(x, seed=7)
    assert stats.bootstrap_mean_ci(x, seed=7) != stats.bootstrap_mean_ci(x, seed=8)


def test_mean_ci_edge_cases():
    empty = stats.bootstrap_mean_ci([])
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.mean, empty.lo, empty.hi))
    only_nan = stats.bootstrap_mean_ci([NAN, NAN])
    assert only_nan.n == 0 and only_nan.n_dropped == 2 and math.isnan(only_nan.mean)
    assert stats.bootstrap_mean_ci([3.0]) == stats.Estimate(3.0, 3.0, 3.0, 1)
    const = stats.bootstrap_mean_ci([NAN, 2, 2, 2])
    assert (const.mean, const.lo, const.hi, const.n, const.n_dropped) == (2, 2, 2, 3, 1)
    with pytest.raises(ValueError):
        stats.bootstrap_mean_ci([1, 2], level=95)


def test_paired_diff_edge_cases():
    empty = stats.paired_bootstrap_diff([], [])
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.p_value)
    same = stats.paired_bootstrap_diff([1, 2, 3], [1, 2, 3])
    assert (same.mean, same.lo, same.hi, same.p_value) == (0, 0, 0, 1.0)
    # A NaN on either side drops the pair, not both samples' values independently.
    res = stats.paired_bootstrap_diff([1, NAN, 5, 4], [0, 1, NAN, 3])
    assert res.n == 2 and res.mean == 1.0
    one = stats.paired_bootstrap_diff([2.0], [1.0])
    assert (one.mean, one.lo, one.hi, one.n, one.p_value) == (1, 1, 1, 1, 1.0)
    with pytest.raises(ValueError):
        stats.paired_bootstrap_diff([1, 2], [1])


def test_wilcoxon_p_uses_pratt_zero_handling():
    assert stats.wilcoxon_p([1, 1, 1], [1, 1, 1]) == 1.0
    assert math.isnan(stats.wilcoxon_p([NAN], [1]))
    a = [3, 4, 5, 5, 4, 3, 5, 4, 5, 5, 4, 4, 3, 5, 4, 4]
    b = [3, 3, 4, 4, 4, 3, 4, 3, 4, 4, 4, 3, 3, 4, 3, 4]
    p = stats.wilcoxon_p(a, b)
    assert 0 < p < 0.01


def _scipy_wilcoxon(d, method="auto"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(sp_stats.wilcoxon(d, zero_method="pratt", method=method).pvalue)


@pytest.mark.parametrize(
    "d",
    [
        [1, 1, 1, 1, 1],
        [1, 0, -1, 2, 1, 1, 0, 2],
        [0.5, -0.5, 1.5, 1.5, 2.0, 0.0, 1.0],
    ],
)
def test_wilcoxon_p_small_tied_samples_match_scipys_permutation_test(d):
    # With ties or zeros and n <= 13, scipy's "auto" runs permutation_test over all 2**n sign
    # flips (slow for n near 13, so these samples stay short); wilcoxon_p enumerates the same.
    d = np.array(d, dtype=float)
    assert stats.wilcoxon_p(d, np.zeros_like(d)) == pytest.approx(_scipy_wilcoxon(d), rel=1e-12)


def test_wilcoxon_p_other_cases_use_scipys_exact_or_normal_method():
    rng = np.random.default_rng(11)
    tied = rng.integers(-2, 4, 30).astype(float)  # ties, n > 13: normal approximation
    assert stats.wilcoxon_p(tied, np.zeros(30)) == pytest.approx(_scipy_wilcoxon(tied, "asymptotic"))
    distinct = rng.normal(0.3, 1.0, 12)  # no ties or zeros: exact null distribution
    assert stats.wilcoxon_p(distinct, np.zeros(12)) == pytest.approx(_scipy_wilcoxon(distinct, "exact"))
    # Five pairs all +1: 2 of the 32 sign patterns are as extreme (the normal approximation says 0.025).
    assert stats.wilcoxon_p([1.0] * 5, [0.0] * 5) == pytest.approx(2 / 32)


def test_wilcoxon_p_is_fast_on_small_tied_samples():
    d = np.array([2, 2, -1, 1, 1, 3, 0, 1, -2, 1, 1, 2, 1], dtype=float)  # n = 13, ties and a zero
    start = time.perf_counter()
    p = [stats.wilcoxon_p(d, np.zeros_like(d)) for _ in range(200)]
    assert time.perf_counter() - start < 5.0  # about 0.03 s; scipy's permutation test, minutes
    assert 0 < p[0] < 0.05 and len(set(p)) == 1


def test_paired_diff_rounds_float_noise_into_ties():
    noisy = [0.1 + 0.2, 0.3, 0.3, 0.5]  # 0.1 + 0.2 is 0.30000000000000004
    exact = [0.3, 0.3, 0.3, 0.5]
    assert noisy[0] != exact[0]
    assert stats.paired_diff(noisy, [0, 0, 0, 0]) == stats.paired_bootstrap_diff(exact, [0, 0, 0, 0])
    res = stats.paired_diff([1, NAN, 3], [0, 1, 1])
    assert res.n == 2 and res.mean == 1.5
    with pytest.raises(ValueError):
        stats.paired_diff([1, 2], [1])


def _by_cluster(values, labels):
    """Per-cluster sums and row counts, as the report's queries return them (NaN rows left out)."""
    x, labels = np.asarray(values, dtype=float), list(labels)
    codes: dict = {}
    inv = np.array([codes.setdefault(c, len(codes)) for c in labels], dtype=np.int64)
    keep = ~np.isnan(x)
    k = len(codes)
    return (np.bincount(inv[keep], weights=x[keep], minlength=k), np.bincount(inv[keep], minlength=k).astype(float))


def test_cluster_bootstrap_is_wider_for_correlated_rows():
    rng = np.random.default_rng(6)
    prompts = np.repeat(np.arange(60), 5)  # 5 criteria per prompt share the prompt's effect
    values = rng.normal(size=60)[prompts] + 0.3 * rng.normal(size=prompts.size)
    naive = stats.bootstrap_mean_ci(values, n_boot=1000)
    clustered = stats.cluster_mean_ci(*_by_cluster(values, [f"p{c}" for c in prompts]), n_boot=1000)
    assert clustered.mean == pytest.approx(values.mean())
    assert clustered.n == 300
    assert (clustered.hi - clustered.lo) > 1.7 * (naive.hi - naive.lo)


def test_cluster_bootstrap_coverage_and_edges():
    rng = np.random.default_rng(7)
    prompts = np.repeat(np.arange(40), 4)
    covered = 0
    for r in range(200):
        values = rng.normal(size=40)[prompts] + rng.normal(size=prompts.size)
        est = stats.cluster_mean_ci(*_by_cluster(values, prompts), n_boot=400, seed=r)
        covered += est.lo <= 0 <= est.hi
    assert 0.88 <= covered / 200 <= 0.99
    empty = stats.cluster_mean_ci([NAN], [1])
    assert empty.n == 0 and empty.n_dropped == 1 and math.isnan(empty.lo)
    with pytest.raises(ValueError):
        stats.cluster_mean_ci([1, 2], [1])
    none = stats.cluster_mean_ci(np.zeros(3), np.zeros(3), n_boot=10)  # every row of every prompt failed
    assert none.n == 0 and math.isnan(none.mean)


@pytest.mark.parametrize("shape", ["equal sizes", "few (sum, size) pairs", "continuous"])
def test_cluster_mean_ci_matches_a_plain_cluster_bootstrap(shape):
    # One test per shortcut: cluster means, one multinomial draw over (sum, size) pairs, index matrices.
    rng = np.random.default_rng(1)
    sizes = np.full(400, 3) if shape == "equal sizes" else rng.integers(1, 4, 400)
    if shape == "continuous":
        rows = [rng.normal(3.0, 1.0, k) for k in sizes]
    else:
        rows = [rng.integers(1, 6, k).astype(float) for k in sizes]
    sums = np.array([r.sum() for r in rows])
    fast = stats.cluster_mean_ci(sums, sizes, n_boot=4000, seed=0)
    # Reference: draw 400 prompts with replacement, pool their rows, take the mean.
    draws = np.random.default_rng(99).integers(0, 400, (4000, 400))
    boot = sums[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    all_rows = np.concatenate(rows)
    assert fast.mean == pytest.approx(all_rows.mean()) and fast.n == all_rows.size
    tol = 0.1 * (hi - lo)  # Monte Carlo error of each bound is about 1 % of the width
    assert fast.lo == pytest.approx(lo, abs=tol) and fast.hi == pytest.approx(hi, abs=tol)


def test_holm_correction_known_example():
    # Sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.06.
    adjusted = stats.holm_correction([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = stats.holm_correction([0.01, NAN, None, 0.04])
    assert out[0] == pytest.approx(0.02) and out[3] == pytest.approx(0.04)
    assert math.isnan(out[1]) and math.isnan(out[2])
    assert stats.holm_correction([0.5, 0.6]) == [1.0, 1.0]
    assert stats.holm_correction([]) == []


def test_flip_rate():
    fr = stats.flip_rate([True, True, False, False, None, True], [True, False, True, False, True, NAN])
    assert fr == stats.FlipRate(rate=0.5, n=4, a_only=1, b_only=1)
    assert math.isnan(stats.flip_rate([], []).rate)


# --------------------------------------------------------------------------- pairwise verdicts


def _simulate_games(rng, ratings, n_games, tie_prob=0.0):
    names = list(ratings)
    r = np.array(list(ratings.values()), dtype=float)
    games = []
    for _ in range(n_games):
        i, j = rng.choice(len(names), 2, replace=False)
        p_i = 1 / (1 + 10 ** ((r[j] - r[i]) / 400))
        u = rng.random()
        result = "tie" if u < tie_prob else ("A" if rng.random() < p_i else "B")
        games.append((names[i], names[j], result))
    return games


def test_bradley_terry_recovers_planted_ordering():
    planted = {"big": 1200.0, "mid": 1100.0, "small": 1000.0, "tiny": 900.0}
    games = _simulate_games(np.random.default_rng(8), planted, 2000)
    ratings = stats.bradley_terry(games)
    assert sorted(ratings, key=ratings.get, reverse=True) == list(planted)
    assert np.mean(list(ratings.values())) == pytest.approx(1000.0)
    ci = stats.bradley_terry_ci(games, n_boot=500, seed=0)
    centred = {m: v - np.mean(list(planted.values())) + 1000 for m, v in planted.items()}
    for m, est in ci.items():
        assert est.mean == pytest.approx(ratings[m], abs=1e-3)
        assert est.lo < est.mean < est.hi
        assert 20 < est.hi - est.lo < 120  # ~500 games per model: intervals of a few dozen points
        assert abs(est.mean - centred[m]) < 40
    assert sum(e.n for e in ci.values()) == 2 * 2000
    assert ci["big"].lo > ci["mid"].hi  # 100 planted points apart: intervals separate


def test_bradley_terry_ties_and_never_winning_model():
    planted = {"a": 1150.0, "b": 1000.0, "c": 850.0}
    games = _simulate_games(np.random.default_rng(9), planted, 1500, tie_prob=0.2)
    half = stats.bradley_terry(games, ties="half")
    assert half["a"] > half["b"] > half["c"]
    dropped = stats.bradley_terry(games, ties="drop")
    assert dropped["a"] > dropped["b"] > dropped["c"]
    assert dropped["a"] - dropped["c"] > half["a"] - half["c"]  # ties pull ratings together
    loser = stats.bradley_terry([("x", "y", "A")] * 20 + [("y", "z", "B")] * 20)
    assert all(math.isfinite(v) for v in loser.values())
    assert loser["y"] < min(loser["x"], loser["z"])
    with pytest.raises(ValueError):
        stats.bradley_terry([("x", "y", "X")])
    with pytest.raises(ValueError):
        stats.bradley_terry([("x", "x", "A")])
    assert stats.bradley_terry([]) == {} and stats.bradley_terry_ci([]) == {}
    # Failed verdicts (and, with ties="drop", ties) leave a model unrated rather than at 1000.
    assert set(stats.bradley_terry([("x", "y", "A"), ("x", "w", None)])) == {"x", "y"}
    assert stats.bradley_terry([("x", "y", "tie")], ties="drop") == {}
    with pytest.raises(ValueError):
        stats.bradley_terry([("x", "y", "A")], prior=0)


def test_win_rates_count_ties_as_half():
    games = [("m1", "m2", "A"), ("m1", "m2", "tie"), ("m2", "m1", "A"), ("m1", "m3", "A"), ("m1", "m3", None)]
    wr = stats.win_rates(games)
    assert (wr["m1"].wins, wr["m1"].losses, wr["m1"].ties, wr["m1"].n) == (2, 1, 1, 4)
    assert wr["m1"].rate == pytest.approx(2.5 / 4)
    assert wr["m3"].rate == 0 and wr["m3"].lo == 0 and 0 < wr["m3"].hi < 1
    assert 0 <= wr["m1"].lo < wr["m1"].rate < wr["m1"].hi <= 1


@pytest.mark.parametrize("bias", [0.0, 0.3])
def test_swap_consistency_recovers_planted_position_bias(bias):
    # The judge picks position A with probability `bias`, otherwise the better answer with
    # probability `acc`, independently in each order.
    rng, n, acc = np.random.default_rng(10), 4000, 0.8
    pairs = []
    for better_first in rng.random(n) < 0.5:
        verdicts = []
        for x_first in (True, False):  # order 1 shows X first, order 2 shows it second
            better_at_a = better_first == x_first
            if rng.random() < bias:
                verdicts.append("A")
            else:
                picks_better = rng.random() < acc
                verdicts.append("A" if picks_better == better_at_a else "B")
        pairs.append(tuple(verdicts))
    res = stats.swap_consistency(pairs)
    alpha = bias + (1 - bias) * acc  # P(pick A) when the better answer is first
    beta = bias + (1 - bias) * (1 - acc)  # ... when it is second
    assert res.n == n
    assert res.first_position_rate == pytest.approx((alpha + beta) / 2, abs=0.05)
    assert res.first_position_rate == pytest.approx(0.5 + bias / 2, abs=0.05)
    assert res.rate == pytest.approx(alpha * (1 - beta) + (1 - alpha) * beta, abs=0.03)
    assert res.lo < res.rate < res.hi


def test_swap_consistency_mapping_and_edges():
    res = stats.swap_consistency([("A", "B"), ("B", "A"), ("tie", "tie"), ("A", "A"), ("A", "tie"), (None, "A")])
    assert res.n == 5 and res.rate == pytest.approx(3 / 5)
    assert res.first_position_rate == pytest.approx(5 / 10)
    empty = stats.swap_consistency([])
    assert empty.n == 0 and math.isnan(empty.rate) and math.isnan(empty.first_position_rate)


# --------------------------------------------------------------------------- agreement


def test_weighted_kappa_hand_computed():
    # Table rows x=0:(0,0),(0,1),(0,1); x=1:(1,1); x=2:(2,2),(2,1).
    # Marginals x=(3,1,2), y=(1,4,1). Unweighted: po=1/2, pe=1/4 -> 1/3.
    # Linear: observed 1.5/6, expected 16/36 -> 7/16. Quadratic: 0.75/6 vs 10.5/36 -> 4/7.
    x, y = [0, 1, 2, 0, 0, 2], [0, 1, 2, 1, 1, 1]
    assert agreement.weighted_kappa(x, y, "linear") == pytest.approx(7 / 16)
    assert agreement.weighted_kappa(x, y) == pytest.approx(4 / 7)
    assert agreement.weighted_kappa([1, 3, 5], [1, 3, 5], categories=range(1, 6)) == 1.0
    # An unused level inside the scale (3) changes the weights' spacing, so a given scale matters.
    x5, y5 = [1, 2, 4, 4, 2], [2, 4, 1, 4, 2]
    assert agreement.weighted_kappa(x5, y5, categories=range(1, 6)) != pytest.approx(agreement.weighted_kappa(x5, y5))
    with pytest.raises(ValueError):
        agreement.weighted_kappa([1, 7], [1, 2], categories=range(1, 6))


def test_agreement_edge_cases():
    assert math.isnan(agreement.weighted_kappa([], []))
    assert math.isnan(agreement.weighted_kappa([3, 3, 3], [3, 3, 3]))  # chance agreement 1: undefined
    assert agreement.weighted_kappa([1, None, 2, NAN], [1, 2, 2, 1]) == 1.0  # missing ratings dropped
    assert agreement.spearman([1, 2, 3, 4, NAN], [10, 20, 30, 40, 0]) == pytest.approx(1.0)
    assert agreement.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(agreement.spearman([1, 1, 1], [1, 2, 3]))
    assert math.isnan(agreement.spearman([1], [2]))


KRIPPENDORFF_2011 = [  # 4 observers x 12 units, "Computing Krippendorff's alpha-reliability"
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


@pytest.mark.parametrize("level,expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_alpha_textbook(level, expected):
    assert agreement.krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_alpha_ordinal_properties():
    assert agreement.krippendorff_alpha_ordinal(KRIPPENDORFF_2011) == pytest.approx(0.815, abs=5e-4)
    perfect = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, NAN, 3, 4, NAN]]
    assert agreement.krippendorff_alpha_ordinal(perfect) == pytest.approx(1.0)
    # Ordinal alpha depends on ranks only: a monotone relabelling leaves it unchanged.
    d = np.array(KRIPPENDORFF_2011)
    assert agreement.krippendorff_alpha_ordinal(d**3) == pytest.approx(0.815, abs=5e-4)
    # Two raters, no missing data: nominal alpha approaches Cohen/Scott-type agreement.
    assert agreement.krippendorff_alpha([[1, 1, 2, 2], [1, 1, 2, 2]], "nominal") == pytest.approx(1.0)
    assert math.isnan(agreement.krippendorff_alpha_ordinal([[1, 1], [1, 1]]))  # one value: undefined
    assert math.isnan(agreement.krippendorff_alpha_ordinal([[1, NAN], [NAN, 2]]))  # nothing pairable
    assert math.isnan(agreement.krippendorff_alpha_ordinal(np.empty((2, 0))))
    with pytest.raises(ValueError):
        agreement.krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError):
        agreement.krippendorff_alpha(KRIPPENDORFF_2011, "ratio")
