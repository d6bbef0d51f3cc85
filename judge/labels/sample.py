"""Which graded items an export asks linguists to label: a stratified random sample, shuffled.

Strata are model × language × (rubric, criterion), so every model and language gets the same number
of labels on every criterion and agreement can be measured per criterion × language. Within one
model × language × rubric all criteria draw from a single random order of the answers: each
criterion's sample is still a simple random sample of its stratum (the first n of a random order
among the answers it applies to), yet the criteria mostly share answers, so a linguist reads an
answer once and labels all its criteria together. The file lists answers in a random order, the
rows of one answer side by side; nothing in the order follows the models.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Stratum = tuple[str, str, str, str, str]
"""(model, lang, rubric, rubric_version, criterion)."""


@dataclass(frozen=True)
class Draw:
    """The sample: chosen (generation_id, rubric, rubric_version, criterion) keys in file order."""

    keys: list[tuple[str, str, str, str]]
    wanted: dict[Stratum, int]
    """Per stratum, how many the export asked for."""
    got: dict[Stratum, int]
    """Per stratum, how many it found (fewer when the stratum is small)."""


def allocate(sizes: dict[Stratum, int], total: int, rng: random.Random) -> dict[Stratum, int]:
    """Spread `total` over the strata as evenly as their sizes allow: a small stratum gives all it
    has and the rest goes to the others; a remainder goes to strata chosen at random."""
    quota = dict.fromkeys(sizes, 0)
    left = total
    open_ = sorted(k for k, n in sizes.items() if n > 0)
    while left > 0 and open_:
        share = left // len(open_)
        if share == 0:
            for k in rng.sample(open_, left):
                quota[k] += 1
            break
        for k in open_:
            give = min(share, sizes[k] - quota[k])
            quota[k] += give
            left -= give
        open_ = [k for k in open_ if quota[k] < sizes[k]]
    return quota


def draw(
    candidates: Sequence[dict[str, Any]],
    *,
    per_stratum: int | None,
    total: int | None,
    seed: int,
    criteria_order: dict[tuple[str, str], list[str]],
) -> Draw:
    """Sample `per_stratum` items from each stratum, or `total` spread evenly; same seed, same sample."""
    rng = random.Random(seed)
    strata: dict[Stratum, set[str]] = defaultdict(set)
    for c in candidates:
        strata[(c["model"], c["lang"], c["rubric"], c["rubric_version"], c["criterion"])].add(c["generation_id"])
    sizes = {k: len(v) for k, v in strata.items()}
    if total is not None:
        wanted = allocate(sizes, total, rng)
    else:
        wanted = dict.fromkeys(sizes, per_stratum or 0)
    # One random order of the answers per model × language × rubric version, shared by its criteria.
    groups: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for (model, lang, rubric, version, _), gens in strata.items():
        groups[(model, lang, rubric, version)] |= gens
    orders = {g: rng.sample(sorted(gens), len(gens)) for g, gens in sorted(groups.items())}
    chosen: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    got: dict[Stratum, int] = {}
    for stratum in sorted(strata):
        model, lang, rubric, version, criterion = stratum
        eligible = strata[stratum]
        picked = [g for g in orders[(model, lang, rubric, version)] if g in eligible][: wanted[stratum]]
        got[stratum] = len(picked)
        for g in picked:
            chosen[g].append((rubric, version, criterion))
    answers = rng.sample(sorted(chosen), len(chosen))

    def rank(item: tuple[str, str, str]) -> tuple[str, str, int, str]:
        crits = criteria_order.get((item[0], item[1]), [])
        return (item[0], item[1], crits.index(item[2]) if item[2] in crits else len(crits), item[2])

    keys = [(g, *item) for g in answers for item in sorted(chosen[g], key=rank)]
    return Draw(keys=keys, wanted=wanted, got=got)
