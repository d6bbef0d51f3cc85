"""Stability of the judge: the same answer graded K times (`judge grade --repeats K`), per criterion.

Why it is apart from the means: the report's scores use repeat 0 only (the `scores` view and the
report's snapshot show repeat 0), so a report is comparable with and without repeats, and no
answer counts K times in a mean or a CI; the repeats measure the judge, not the contestants, and
are read here alone. Three figures per judge × rubric × criterion, over the answers scored in at
least two repeats: the share whose repeats all agree, the mean within-answer SD, and
Krippendorff's α (ordinal) with the repeats as raters.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from judge.report import legend as lg
from judge.report.cells import View, num, pct
from judge.report.context import finite
from judge.report.model import JudgeReliability
from judge.report.model_judge import StabilityRow
from judge.stats import agreement
from judge.store.queries import ReportData
from judge.store.repeats import repeat_scores

__all__ = ["add_to_reliability", "stability", "stability_views"]


def stability(q: ReportData) -> list[StabilityRow]:
    """A row per judge × rubric × criterion whose verdicts in scope hold repeats."""
    lw, lp = q.filters.llm_where("v.", "coalesce(r.retired_at IS NULL, true)")
    a = repeat_scores(q.store, q.A, lw, lp)
    if not len(a["score"]):
        return []
    rows = []
    for (judge, rubric, crit), units, reps, scores in _cells(a):
        m = _matrix(units, reps, scores)
        m = m[:, (~np.isnan(m)).sum(axis=0) >= 2]  # answers scored in at least two repeats
        if not m.shape[1]:
            continue
        lo, hi = np.nanmin(m, axis=0), np.nanmax(m, axis=0)
        rows.append(
            StabilityRow(
                judge=judge,
                rubric=rubric,
                criterion=crit,
                n=int(m.shape[1]),
                repeats=int((~np.isnan(m)).sum(axis=0).max()),
                agree_share=finite(np.mean(lo == hi)),
                mean_sd=finite(np.mean(np.nanstd(m, axis=0, ddof=1))),
                alpha=finite(agreement.krippendorff_alpha_ordinal(m)),
            )
        )
    return rows


def _cells(a: dict[str, np.ndarray]) -> Iterator[tuple[tuple[str, str, str], np.ndarray, np.ndarray, np.ndarray]]:
    """(judge, rubric, criterion) with its rows' units, repeat indexes and scores. The query orders rows
    by rubric version too: versions of one rubric are pooled here, as the report's current scope
    holds one version of each rubric (an older one only when asked for by name@version)."""
    keys = list(zip(a["judge"], a["rubric"], a["criterion"]))
    start = 0
    while start < len(keys):
        end = start
        while end < len(keys) and keys[end] == keys[start]:
            end += 1
        yield keys[start], a["unit"][start:end], a["repeat"][start:end], a["score"][start:end]
        start = end


def _matrix(units: np.ndarray, reps: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Repeats × answers, NaN where a repeat is missing or failed."""
    names, col = np.unique(units.astype(str), return_inverse=True)
    m = np.full((int(reps.max()) + 1, len(names)), np.nan)
    m[reps.astype(int), col] = scores.astype(float)
    return m


def stability_views(rows: list[StabilityRow]) -> list[View]:
    """The table in judge reliability (it is about judges: the judge column is always there)."""
    if not rows:
        return []
    v = View(
        "Stability across repeats",
        ["judge", "rubric", "criterion", "answers", "repeats", "all repeats agree", "mean SD", f"{lg.ALPHA} (repeats)"],
        numeric={3, 4, 5, 6, 7},
        from_verdicts=True,
    )
    v.rows = [
        [x.judge, x.rubric, x.criterion, num(x.n), num(x.repeats), pct(x.agree_share), num(x.mean_sd), num(x.alpha)]
        for x in rows
    ]
    return [v]


def add_to_reliability(q: ReportData, rel: JudgeReliability) -> None:
    """Put the stability and thinking tables into judge reliability (which they make worth showing
    even when nothing else measured the judge)."""
    from judge.report.thinking import thinking

    rel.stability, rel.thinking = stability(q), thinking(q)
    if rel.stability:
        rel.notes.append(
            "Stability: answers graded several times (judge grade --repeats K, seeded, at the judge's temperature); "
            "the share whose repeats all agree, the mean SD within an answer, and α with the repeats as raters. "
            "Means elsewhere use each answer's first grading only."
        )
    if rel.thinking:
        rel.notes.append(
            "Thinking judges: verdicts whose judge spent its whole budget on reasoning were asked again once "
            "([judge] thinking_retry); those that failed again are errors, never scores."
        )
    if rel.skipped and (rel.stability or rel.thinking):
        rel.skipped = None
