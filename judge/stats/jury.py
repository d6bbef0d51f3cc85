"""Agreement among the judges of a jury: Krippendorff's α (ordinal) with a bootstrap CI over units.

The point estimate is `agreement.krippendorff_alpha_ordinal`. The interval resamples units (the
answers), each with all its judges' ratings: α is a function of the coincidence matrix, a sum of
per-unit tables, so every resample is a weighted sum of those tables and all are computed at once
(the table forms of `agreement_ci`, checked against `agreement` in the tests).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import agreement
from .agreement_ci import _alpha_tables, _coincidences, _resample
from .bootstrap import NAN, Estimate, _percentile_ci


def alpha_ci(ratings: ArrayLike, *, level: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Estimate:
    """Krippendorff's α (ordinal) of a raters × units matrix (NaN = not rated), with a percentile CI.

    Units rated fewer than twice cannot be paired and are left out; `Estimate.n` counts the rest.
    The value is NaN when α is undefined (one value throughout); the interval too, and when more
    than half the resamples are undefined.
    """
    m = np.asarray(ratings, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"ratings must be raters x units (2-D), got shape {m.shape}")
    m = m[:, (~np.isnan(m)).sum(axis=0) >= 2]
    n = int(m.shape[1])
    value = float(agreement.krippendorff_alpha_ordinal(m)) if n else NAN
    if math.isnan(value) or n < 2:
        return Estimate(value, NAN, NAN, n)
    cats = np.unique(m[~np.isnan(m)])
    k = cats.size
    tables = np.stack(
        [_coincidences(np.searchsorted(cats, col[~np.isnan(col)]), k) for col in m.T],
    )
    boot = _alpha_tables(_resample([tables], n_boot, np.random.default_rng(seed))[0], k)
    ok = boot[~np.isnan(boot)]
    if ok.size < 0.5 * boot.size:
        return Estimate(value, NAN, NAN, n)
    lo, hi = _percentile_ci(ok, level)
    return Estimate(value, float(lo), float(hi), n)
