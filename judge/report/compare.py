"""Paired differences of rubric totals for the answers section, from sampled or expected scores.

Where the judge's endpoint gave logprobs, a verdict's criterion carries a probability-weighted
expected score besides the sampled one; it is less noisy (a 3.4 is not rounded to 3), so the
answers use it when at least half of a judge × rubric's scored criterion rows have one (the rest
keep their sampled score) and say so. Otherwise they use the same per-unit totals as the
sections (`Context`), so their numbers match the model-deltas and language-gap tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from judge import stats
from judge.report.context import Context, aligned, finite
from judge.store.gate import ExpectedScores
from judge.store.queries import Group

EXPECTED_SHARE = 0.5
"""Share of scored criterion rows with an expected score above which the answers use expected scores."""

Cell = tuple[str, str]
"""(judge, rubric)"""


@dataclass(frozen=True)
class Diff:
    """A − B (or RU − EN) over aligned units: mean, 95 % bootstrap CI, units, SD of the differences, MDE."""

    model_a: str
    model_b: str
    diff: float | None
    lo: float | None
    hi: float | None
    n: int
    mde: float | None
    p_value: float | None = None
    """Wilcoxon signed-rank (Pratt), two-sided."""

    @property
    def excludes_zero(self) -> bool:
        return self.lo is not None and self.hi is not None and (self.lo > 0 or self.hi < 0)


def _index(groups: list[Group]) -> dict[tuple[str, str, str, str], Group]:
    """(judge, rubric, lang, model) -> group; a later rubric version of the same name wins, as in model_deltas."""
    return {(g.key["judge"], g.key["rubric"], g.key["lang"], g.key["model"]): g for g in groups}


class Comparer:
    """Totals per judge × rubric × language × model, and paired differences between them."""

    def __init__(self, b: Context, exp: ExpectedScores) -> None:
        self.b = b
        self.sampled = _index(b.tot_lang + b.tot_all_prompts)
        self.expected_cells: set[Cell] = set()
        self.exp: dict[tuple[str, str, str, str], Group] = {}
        if exp.present:
            for d, share in exp.share.items():
                dm = b.q.dims[d]
                if share >= EXPECTED_SHARE:
                    self.expected_cells.add((dm.judge, dm.rubric))
            by_lang = exp.groups(["d", "m", "l"], unit="q")
            langs: dict[tuple[Any, ...], int] = defaultdict(int)
            for g in by_lang:
                langs[(g.key["judge"], g.key["rubric"], g.key["model"])] += 1
            pooled = [
                _with_all(g)
                for g in exp.groups(["d", "m"], unit="p")
                if langs[(g.key["judge"], g.key["rubric"], g.key["model"])] > 1
            ]
            self.exp = _index(by_lang + pooled)

    def expected(self, cell: Cell) -> bool:
        return cell in self.expected_cells

    def _groups(self, cell: Cell) -> dict[tuple[str, str, str, str], Group]:
        return self.exp if self.expected(cell) else self.sampled

    def cells(self) -> list[Cell]:
        return sorted({(j, r) for j, r, _, _ in self.sampled})

    def langs(self, cell: Cell) -> list[str]:
        """Languages with totals for this judge × rubric (`all` when pooled over several)."""
        return sorted({lang for j, r, lang, _ in self.sampled if (j, r) == cell})

    def models(self, cell: Cell, lang: str) -> list[str]:
        return sorted({m for j, r, lg, m in self._groups(cell) if (j, r) == cell and lg == lang})

    def mean(self, cell: Cell, lang: str, model: str) -> float | None:
        g = self._groups(cell).get((*cell, lang, model))
        if g is None or not g.sizes.sum():
            return None
        return finite(g.sums.sum() / g.sizes.sum())

    def diff(self, cell: Cell, lang: str, a: str, b: str) -> Diff | None:
        """A − B on the units both answered in `lang` (`all`: prompts of every language)."""
        groups = self._groups(cell)
        ga, gb = groups.get((*cell, lang, a)), groups.get((*cell, lang, b))
        if ga is None or gb is None:
            return None
        return self._paired(a, b, *aligned(ga, gb))

    def gap(self, cell: Cell, model: str) -> Diff | None:
        """RU − EN of one model over the RU/EN pairs scored in both languages."""
        groups = self._groups(cell)
        ru, en = groups.get((*cell, "ru", model)), groups.get((*cell, "en", model))
        if ru is None or en is None:
            return None
        return self._paired("ru", "en", *aligned(ru, en))

    def _paired(self, a: str, b: str, xa: Any, xb: Any) -> Diff | None:
        if xa.size == 0:
            return None
        d = stats.paired_diff(xa, xb, n_boot=self.b.n_boot, seed=self.b.seed)
        _, mde = stats.paired_mde(xa, xb)
        return Diff(a, b, finite(d.mean), finite(d.lo), finite(d.hi), d.n, finite(mde), finite(d.p_value))


def _with_all(g: Group) -> Group:
    g.key["lang"] = "all"
    return g
