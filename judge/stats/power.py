"""Power of paired comparisons: the minimum detectable effect and the sample size a target effect needs.

The report's differences are paired (model A − model B over the prompts both answered; RU − EN over
the pairs scored in both languages) and decided two-sided at α = 0.05. With n paired units whose
differences have standard deviation σ, the smallest true mean difference found with probability
`power` — the minimum detectable effect, MDE — is, for large n,

    MDE = (z_{1−α/2} + z_{power}) · σ / √n        (≈ 2.80 σ / √n at α = 0.05 and power 0.8)

`mde_z` is that formula. It assumes σ known; with few units the test must estimate σ, and the
normal quantiles understate the effect needed (by 12 % at n = 10, 3 % at n = 30). `mde` therefore
solves the exact power of the one-sample t-test on the differences (a noncentral t with n − 1
degrees of freedom, `paired_power`) for the effect; it equals the z formula as n grows (within 1 %
from n ≈ 100). `sample_size` inverts the same power function for n.

The report decides with a percentile bootstrap CI, not a t-test; on the sample sizes a report
rests on (n ≥ 20) the two reject at nearly the same rate, which tests/stats/test_power.py checks
by simulation. σ is the observed SD of the paired differences, so an MDE is itself an estimate.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy import stats as _sp

NAN = float("nan")
ALPHA = 0.05
POWER = 0.8
EXACT_BELOW = 20
"""`mde` solves the noncentral t below this many pairs; above, t quantiles are within 0.03 % of it."""
MAX_N = 10_000_000
"""`sample_size` stops here: a target this far out of reach is reported as None."""


def _check(alpha: float, power: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power!r}")


def paired_power(effect: float, sd: float, n: int, *, alpha: float = ALPHA) -> float:
    """Power of the two-sided paired t-test to detect a true mean difference `effect`.

    `sd` is the SD of the paired differences and `n` the number of pairs. n < 2, or an SD that
    is NaN or not positive, gives NaN.
    """
    _check(alpha, 0.5)
    if n < 2 or not math.isfinite(sd) or sd <= 0 or not math.isfinite(effect):
        return NAN
    df = n - 1
    ncp = abs(effect) / sd * math.sqrt(n)
    t = float(_sp.t.ppf(1.0 - alpha / 2.0, df))
    p = float(_sp.nct.sf(t, df, ncp) + _sp.nct.cdf(-t, df, ncp))
    return p if math.isfinite(p) else float(ncp > t)  # scipy gives up far in the tail (1 df, huge ncp)


def mde_z(sd: float, n: int, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """The normal-approximation MDE, (z_{1−α/2} + z_{power}) · sd / √n (NaN for n < 1 or a NaN sd)."""
    _check(alpha, power)
    if n < 1 or not math.isfinite(sd) or sd < 0:
        return NAN
    return float((_sp.norm.ppf(1.0 - alpha / 2.0) + _sp.norm.ppf(power)) * sd / math.sqrt(n))


def mde(sd: float, n: int, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable effect of a two-sided paired test on `n` pairs with differences of SD `sd`.

    Exact for the t-test below `EXACT_BELOW` pairs (see the module docstring); from there on the
    z formula with t quantiles, (t_{1−α/2, n−1} + t_{power, n−1}) · sd / √n, which is as close as
    the exact solve and 100 times faster. n < 2 or an SD that is NaN or not positive gives NaN
    (zero spread: every difference alike, nothing to scale an effect by).
    """
    _check(alpha, power)
    if n < 2 or not math.isfinite(sd) or sd <= 0:
        return NAN
    df = n - 1
    if n >= EXACT_BELOW:  # t quantiles in the z formula: within 0.03 % of the exact solve from n = 20
        return float((_sp.t.ppf(1.0 - alpha / 2.0, df) + _sp.t.ppf(power, df)) * sd / math.sqrt(n))
    hi = 2.0 * mde_z(sd, n, alpha=alpha, power=power)
    while paired_power(hi, sd, n, alpha=alpha) < power:  # only for n of a few units
        hi *= 2.0
    return float(optimize.brentq(lambda e: paired_power(e, sd, n, alpha=alpha) - power, 0.0, hi, xtol=1e-8 * sd))


def sample_size(effect: float, sd: float, *, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """The fewest pairs whose MDE (`mde`) is at most `effect`: what a two-sided paired test needs to find
    a true difference `effect` with probability `power`.

    None when it cannot be said (effect 0 or NaN, SD NaN) or exceeds `MAX_N`; an SD of 0 needs 2.
    """
    _check(alpha, power)
    if not math.isfinite(effect) or effect == 0 or not math.isfinite(sd) or sd < 0:
        return None
    if sd == 0:
        return 2
    target = abs(effect)
    n = max(2, math.ceil((mde_z(sd, 1, alpha=alpha, power=power) / target) ** 2))
    while n <= MAX_N and mde(sd, n, alpha=alpha, power=power) > target:  # the t-test needs a few more than z
        n += max(1, n // 100)
    if n > MAX_N:
        return None
    while n > 2 and mde(sd, n - 1, alpha=alpha, power=power) <= target:
        n -= 1
    return n


def paired_sd(x: ArrayLike, y: ArrayLike) -> tuple[float, int]:
    """SD (n − 1 denominator) of the differences `x − y` over pairs with both values, and their count."""
    d = np.asarray(x, dtype=float).ravel() - np.asarray(y, dtype=float).ravel()
    d = d[~np.isnan(d)]
    return (float(d.std(ddof=1)) if d.size > 1 else NAN), int(d.size)


def paired_mde(x: ArrayLike, y: ArrayLike, *, alpha: float = ALPHA, power: float = POWER) -> tuple[float, float]:
    """(SD of the paired differences, MDE) for aligned samples `x` and `y` (see `mde`)."""
    sd, n = paired_sd(x, y)
    return sd, mde(sd, n, alpha=alpha, power=power)
