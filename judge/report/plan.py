"""`judge plan`: how many prompts (or RU/EN pairs) each comparison needs, estimated from a pilot database.

Every paired comparison the report makes — model A − model B on a rubric's weighted total per
language (and pooled), and each model's RU − EN gap — has, in the pilot, an SD of its per-unit
differences. For a target effect, `stats.sample_size` gives the units a two-sided paired test at
α needs to find it with the given power (`stats.power`). The pilot's SD is itself an estimate:
from a pilot of 30 units it is within about ±25 % (95 %), and the n needed moves with its
square, so plan with margin.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from judge import stats
from judge.report.context import Context, aligned, by_lang, finite
from judge.report.scope import check_filters
from judge.store import Store
from judge.store.queries import TOTAL, Filters, Group, ReportData, available


class PlanRow(BaseModel):
    """One comparison: what the pilot shows, and the units a target effect needs."""

    model_config = ConfigDict(extra="forbid")
    comparison: str
    """`A − B` (two models) or `model: RU − EN`."""
    judge: str
    rubric: str
    lang: str
    """`en`, `ru`, `all` (prompts of every language) or `ru−en` (the gap, over task pairs)."""
    unit: str
    """What n counts: prompts, or RU/EN task pairs."""
    n_pilot: int
    diff_pilot: float | None
    sd: float | None
    """SD of the per-unit differences in the pilot."""
    mde_pilot: float | None
    """The smallest true difference the pilot itself would find with the given power."""
    n_needed: int | None
    """Units for the target effect (None: not estimable, e.g. fewer than two units in the pilot)."""


def _row(
    comparison: str,
    key: tuple[str, str, str],
    unit: str,
    xa: np.ndarray,
    xb: np.ndarray,
    effect: float,
    power: float,
    alpha: float,
) -> PlanRow:
    sd, n = stats.power.paired_sd(xa, xb)
    diff = float((xa - xb).mean()) if n else None
    return PlanRow(
        comparison=comparison,
        judge=key[0],
        rubric=key[1],
        lang=key[2],
        unit=unit,
        n_pilot=n,
        diff_pilot=finite(diff),
        sd=finite(sd),
        mde_pilot=finite(stats.mde(sd, n, alpha=alpha, power=power)),
        n_needed=stats.sample_size(effect, sd, alpha=alpha, power=power) if n > 1 else None,
    )


def plan(
    store: Store,
    *,
    effect: float,
    power: float = stats.power.POWER,
    alpha: float = stats.power.ALPHA,
    models: Sequence[str] | None = None,
    rubric: Sequence[str] | None = None,
    judge: Sequence[str] | None = None,
) -> list[PlanRow]:
    """Units each comparison of the pilot in `store` needs to find a true difference `effect`.

    Filters as in `build_report` (ConfigError, exit 2, when one selects nothing). Raises
    ValueError for an effect that is not positive or a power or alpha outside (0, 1).
    """
    if not effect > 0:
        raise ValueError(f"effect must be above 0, got {effect!r}")
    stats.power.paired_power(1.0, 1.0, 2, alpha=alpha)  # validates alpha
    stats.mde(1.0, 2, alpha=alpha, power=power)  # validates power
    filters = Filters(
        models=tuple(models) if models else None,
        rubrics=tuple(rubric) if rubric else None,
        judges=tuple(judge) if judge else None,
    )
    check_filters(filters, available(store, filters))
    out: list[PlanRow] = []
    with ReportData(store, filters) as q:
        b = Context(q, seed=0, n_boot=0)
        cells: dict[tuple[str, str, str], dict[str, Group]] = defaultdict(dict)
        for g in b.tot_all_prompts + b.tot_lang:
            cells[(g.key["judge"], g.key["rubric"], g.key["lang"])][g.key["model"]] = g
        lang_order = {"all": 0, "en": 1, "ru": 2}
        for key, by in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1], lang_order.get(kv[0][2], 3))):
            for ma, mb in itertools.combinations(sorted(by), 2):
                xa, xb = aligned(by[ma], by[mb])
                if xa.size:
                    out.append(_row(f"{ma} − {mb}", key, "prompts", xa, xb, effect, power, alpha))
        for (j, r, _v, crit, model), langs in sorted(by_lang(b.tot_lang).items()):
            if crit == TOTAL and "ru" in langs and "en" in langs:
                ru, en = aligned(langs["ru"], langs["en"])
                if ru.size:
                    out.append(_row(f"{model}: RU − EN", (j, r, "ru−en"), "task pairs", ru, en, effect, power, alpha))
    return out
