"""The report's record of agreement between a judge and the linguists' labels (see `judge.report.human`)."""

from __future__ import annotations

from judge.report.model_answers import _M


class HumanRow(_M):
    judge: str
    rubric: str
    n_items: int
    """Labelled items (answer × criterion) with a judge score."""
    n_labels: int
    """(judge score, label) pairs: one per label."""
    n_annotators: int
    weighted_kappa: float | None
    """Quadratic-weighted kappa, judge vs every human label."""
    alpha: float | None
    """Krippendorff's alpha (ordinal), judge and annotators together."""
    alpha_humans: float | None
    """Annotators only: the ceiling a judge can be expected to reach."""
    rubric_version: str | None = None
    criterion: str | None = None
    """None: every criterion of the rubric pooled (the row the validity gate reads)."""
    lang: str = "all"
    """The answers' language, or `all`."""
    n_answers: int = 0
    """Labelled answers: the units the bootstrap resamples (with all their labels)."""
    kappa_lo: float | None = None
    kappa_hi: float | None = None
    spearman: float | None = None
    """Spearman's rho over the same (judge, label) pairs as kappa."""
    spearman_lo: float | None = None
    spearman_hi: float | None = None
    alpha_lo: float | None = None
    alpha_hi: float | None = None
    alpha_humans_lo: float | None = None
    alpha_humans_hi: float | None = None
    n_shared: int = 0
    """Items labelled by two or more annotators (behind `alpha_humans`)."""
    labels_needed: int | None = None
    """More labelled answers (each on this row's criteria) for kappa's 95 % CI to reach ±0.1, from its
    half-width shrinking as 1/sqrt(n); 0 when it already does, None when kappa has no CI."""
