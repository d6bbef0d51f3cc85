"""What every report section shares: the `Context` (query handle, bootstrap settings, the score
groups each section reads) and small helpers over score groups. Split from `sections` so the
section builders and the modules that add sections (reliability, gate, jury, ...) import it
without importing each other."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from judge import stats
from judge.report.model import ScoreRow
from judge.store.queries import Group, ReportData


def finite(x: Any) -> float | None:
    """A float for JSON: NaN/inf/None -> None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def aligned(a: Group, b: Group) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit means of two groups on the units both scored."""
    ua, ub = a.units[a.sizes > 0], b.units[b.sizes > 0]
    _, ia, ib = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    return a.means[a.sizes > 0][ia], b.means[b.sizes > 0][ib]


class Context:
    """The state shared by the section builders of one report."""

    def __init__(self, q: ReportData, seed: int, n_boot: int) -> None:
        self.q, self.seed, self.n_boot = q, seed, n_boot
        self.crit = q.groups("S", ["d", "m", "l"], unit="q", where="NOT is_check")
        self.tot_lang = q.groups("T", ["d", "m", "l"], unit="q")
        # Pooled over languages only where a model has verdicts in several (else `all` repeats a row).
        multi = {k for k, n in _count(_cell(g) for g in self.tot_lang).items() if n > 1}
        self.tot_all = [with_key(g, lang="all") for g in q.groups("T", ["d", "m"], unit="q") if _cell(g) in multi]
        # For paired model differences the prompt is the unit: the pair's difficulty cancels in a
        # paired difference, and per-prompt differences keep the bootstrap's value set small.
        self.tot_all_prompts = [
            with_key(g, lang="all") for g in q.groups("T", ["d", "m"], unit="p") if _cell(g) in multi
        ]

    def ci(self, g: Group) -> stats.Estimate:
        return stats.cluster_mean_ci(g.sums, g.sizes, n_boot=self.n_boot, seed=self.seed)

    def score_row(self, g: Group) -> ScoreRow:
        e = self.ci(g)
        return ScoreRow(
            **g.key,
            mean=finite(e.mean),
            lo=finite(e.lo),
            hi=finite(e.hi),
            n=e.n,
            n_error=g.n_error,
            n_na=g.n_na,
            n_units=int((g.sizes > 0).sum()),
        )


def _cell(g: Group) -> tuple[Any, ...]:
    return (g.key["judge"], g.key["rubric"], g.key["rubric_version"], g.key["criterion"], g.key["model"])


def _count(items: Iterable[Any]) -> dict[Any, int]:
    out: dict[Any, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return out


def with_key(g: Group, **key: Any) -> Group:
    g.key.update(key)
    return g


def by_lang(groups: list[Group]) -> dict[tuple[Any, ...], dict[str, Group]]:
    out: dict[tuple[Any, ...], dict[str, Group]] = defaultdict(dict)
    for g in groups:
        k = g.key
        out[(k["judge"], k["rubric"], k["rubric_version"], k["criterion"], k["model"])][k["lang"]] = g
    return out
