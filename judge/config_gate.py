"""`[report.gate]` of judge.toml: the validity gate's thresholds, each justified from published figures.

Kept apart from judge.config (which re-exports both classes) because the justifications are long.
"""

from __future__ import annotations

from pydantic import Field

from judge.config_base import Strict

__all__ = ["GateConfig", "ReportConfig"]


class GateConfig(Strict):
    """`[report.gate]`: what a judge must show before `judge report` headlines a difference it measured.

    A test with fewer than `min_n` units behind it counts as not measured, never as passed; a rate (halo,
    parse errors, swap consistency) still fails when its whole 95 % interval is on the failing side.
    """

    min_n: int = Field(default=30, ge=1)
    """Fewest pairs, verdicts or labels behind a test for it to count as measured."""
    swap_consistency_min: float = Field(default=0.65, ge=0, le=1)
    # MT-Bench (Zheng et al. 2023, table 2): GPT-4 keeps its pairwise verdict when the answers swap
    # places in 65 % of pairs, GPT-3.5 in 46 %, Claude-v1 in 24 %; a judge picking A, B or tie at
    # random agrees with itself a third of the time. Below GPT-4's level position decides too often.
    halo_max: float = Field(default=0.60, ge=0, le=1)
    # Share of verdicts (3+ scored criteria) whose criteria all got one score. Even criteria whose
    # true values correlate at 0.9 agree on every criterion in 51 % of verdicts with 3 criteria and
    # 28 % with 6 (simulated on a 1-5 scale, SD 1); above 60 % the judge scores one overall
    # impression (the halo effect), so the criteria add nothing and a per-criterion claim is empty.
    parse_error_max: float = Field(default=0.05, ge=0, le=1)
    # Failed verdicts / all. Failures are not missing at random (long or odd answers break the
    # judge's JSON), so leaving them out can shift a mean by up to rate x scale range: 5 % of a 1-5
    # scale is 0.2 points, the smallest effect `judge plan` targets by default.
    probe_dose: int = Field(default=3, ge=1)
    """Planted errors per answer at which the probe test reads `probe_results`."""
    probe_p_detect_min: float = Field(default=0.5, ge=0, le=1)
    # Lower 95 % bound of p_detect, the share of answers with `probe_dose` planted errors whose
    # criterion score dropped (`probe_results` counts an unchanged score as half), for the error
    # operator the criterion detects best: a judge blind to the errors sits at 0.5, so a bound above
    # 0.5 says the criterion notices at least one kind of planted error more often than chance.
    check_auc_min: float = Field(default=0.70, ge=0.5, le=1)
    # AUC of the judge's `correctness` score against check:answer. Hosmer & Lemeshow (Applied
    # Logistic Regression) call 0.7-0.8 acceptable discrimination and 0.5-0.7 poor.
    human_kappa_min: float = Field(default=0.40, ge=-1, le=1)
    # Quadratic-weighted kappa against human labels. Landis & Koch (1977): 0.41-0.60 is moderate
    # agreement, below 0.40 fair or slight. MT-Bench found GPT-4 agreeing with experts about as
    # often as experts agree with each other (66 % vs 63 %, ties included).


class ReportConfig(Strict):
    """`[report]`: settings of `judge report`."""

    gate: GateConfig = Field(default_factory=GateConfig)
