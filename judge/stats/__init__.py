"""Statistics for the report: pure functions over numbers (bootstrap, paired tests, rankings, agreement, power)."""

from . import agreement, power
from .bootstrap import (
    NAN,
    Estimate,
    PairedDiff,
    bootstrap_mean_ci,
    cluster_mean_ci,
    holm_correction,
    paired_bootstrap_diff,
    paired_diff,
    wilcoxon_p,
)
from .power import mde, paired_mde, paired_power, sample_size
from .ranking import (
    Consistency,
    FlipRate,
    Outcome,
    WinRate,
    bradley_terry,
    bradley_terry_ci,
    flip_rate,
    swap_consistency,
    win_rates,
)

__all__ = [
    "NAN",
    "Consistency",
    "Estimate",
    "FlipRate",
    "Outcome",
    "PairedDiff",
    "WinRate",
    "agreement",
    "bootstrap_mean_ci",
    "bradley_terry",
    "bradley_terry_ci",
    "cluster_mean_ci",
    "flip_rate",
    "holm_correction",
    "mde",
    "paired_bootstrap_diff",
    "paired_diff",
    "paired_mde",
    "paired_power",
    "power",
    "sample_size",
    "swap_consistency",
    "wilcoxon_p",
    "win_rates",
]
