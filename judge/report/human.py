"""Agreement of each LLM judge with the linguists' labels (`human_labels`), for the judge reliability section.

Per judge × rubric with every criterion pooled (the row the validity gate reads) and per criterion ×
language: quadratic-weighted κ (every label against the judge's score; ties are agreements like any
other), Spearman's ρ over the same pairs, Krippendorff's α (ordinal) with the judge as one more rater,
and α of the annotators alone where two or more labelled the same items: the ceiling, since a judge
cannot be expected to agree with a linguist better than linguists agree with each other. Each has a
95 % bootstrap CI that resamples labelled answers with all their labels (`stats.agreement_ci`), and
each row says how many more answers to label for κ's CI to narrow to ±0.1.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from judge.report import legend as lg
from judge.report.cells import View, ci, num
from judge.report.context import Context, finite
from judge.report.model import JudgeReliability, RubricInfo
from judge.report.model_human import HumanRow
from judge.stats.agreement_ci import Agreement, Ratings, agreement_ci, more_units_for
from judge.store.labels import human_pairs

KAPPA_HALF_WIDTH = 0.1
"""The κ CI half-width `labels_needed` aims at: ±0.1 tells moderate (0.41-0.60) from substantial
(0.61-0.80) agreement on the Landis & Koch scale the gate's threshold comes from."""
EVERY_CRITERION = "every criterion"
NOTE = (
    f"Agreement with human labels: weighted {lg.KAPPA} (quadratic) and Spearman {lg.RHO} pair every label with "
    f"the judge's score; {lg.ALPHA} (judge + humans) counts the judge as one more rater, {lg.ALPHA} (humans only) "
    "is the ceiling a judge can reach. 95 % CIs resample labelled answers; 'answers to add' is how many more "
    f"labelled answers would narrow the {lg.KAPPA} CI to plus or minus {KAPPA_HALF_WIDTH} (its width shrinks "
    "as 1/sqrt(n)). Label more with `judge labels export` and `judge labels import`."
)


def human_agreement(b: Context, rubrics: list[RubricInfo]) -> tuple[list[HumanRow], list[HumanRow]]:
    """(pooled rows per judge × rubric, rows per criterion × language), from the labels in scope."""
    q = b.q
    pooled: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    cells: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in human_pairs(q):
        dm = q.dims[int(r["d"])]
        r = {**r, "criterion": dm.criterion, "lang": q.langs_of[int(r["l"])]}
        pooled[(dm.judge, dm.rubric, dm.rubric_version)].append(r)
        cells[(dm.judge, dm.rubric, dm.rubric_version, dm.criterion, r["lang"])].append(r)
    scales = {(x.rubric, x.rubric_version): (x.scale_min, x.scale_max) for x in rubrics}
    order = {(x.rubric, x.rubric_version): x.criteria for x in rubrics}

    def row(key: tuple[str, str, str], rows: list[dict[str, Any]], criterion: str | None, lang: str) -> HumanRow:
        judge, rubric, version = key
        a, annotators = _agreement(rows, scales.get((rubric, version), (1, 5)), b)
        half = (a.kappa.hi - a.kappa.lo) / 2 if np.isfinite(a.kappa.lo) and np.isfinite(a.kappa.hi) else None
        hum = a.alpha_humans
        return HumanRow(
            judge=judge,
            rubric=rubric,
            rubric_version=version,
            criterion=criterion,
            lang=lang,
            n_items=a.n_items,
            n_labels=a.n_pairs,
            n_annotators=annotators,
            n_answers=a.kappa.n,
            weighted_kappa=finite(a.kappa.mean),
            kappa_lo=finite(a.kappa.lo),
            kappa_hi=finite(a.kappa.hi),
            spearman=finite(a.spearman.mean),
            spearman_lo=finite(a.spearman.lo),
            spearman_hi=finite(a.spearman.hi),
            alpha=finite(a.alpha.mean),
            alpha_lo=finite(a.alpha.lo),
            alpha_hi=finite(a.alpha.hi),
            alpha_humans=finite(hum.mean) if hum else None,
            alpha_humans_lo=finite(hum.lo) if hum else None,
            alpha_humans_hi=finite(hum.hi) if hum else None,
            n_shared=a.n_shared,
            labels_needed=more_units_for(half, a.kappa.n, KAPPA_HALF_WIDTH),
        )

    out_pooled = [row(k, rows, None, "all") for k, rows in sorted(pooled.items())]

    def cell_order(k: tuple[str, str, str, str, str]) -> tuple[Any, ...]:
        crits = order.get((k[1], k[2]), [])
        return (k[:3], crits.index(k[3]) if k[3] in crits else len(crits), k[3], k[4])

    out_cells = [row(k[:3], cells[k], k[3], k[4]) for k in sorted(cells, key=cell_order)]
    return out_pooled, out_cells


def _agreement(rows: list[dict[str, Any]], scale: tuple[int, int], b: Context) -> tuple[Agreement, int]:
    """The rows' ratings as items (answer × criterion) × raters (the judge, then each annotator)."""
    items = sorted({(int(r["g"]), r["criterion"]) for r in rows})
    annotators = sorted({r["annotator"] for r in rows})
    ii, ai = {it: i for i, it in enumerate(items)}, {a: i + 1 for i, a in enumerate(annotators)}
    m = np.full((len(annotators) + 1, len(items)), np.nan)
    for r in rows:
        i = ii[(int(r["g"]), r["criterion"])]
        m[0, i] = np.nan if r["judge_score"] is None else float(r["judge_score"])
        m[ai[r["annotator"]], i] = float(r["human"])
    seen = set(m[~np.isnan(m)].tolist())
    cats = sorted(set(map(float, range(scale[0], scale[1] + 1))) | seen)
    clusters = np.array([g for g, _ in items], dtype=np.int64)
    return agreement_ci(Ratings(m, clusters, cats), n_boot=b.n_boot, seed=b.seed), len(annotators)


def human_views(s: JudgeReliability) -> list[View]:
    """The table of agreement with human labels: each judge × rubric pooled, then per criterion × language."""
    if not s.human:
        return []
    v = View(
        "Agreement with human labels",
        [
            "judge",
            "rubric",
            "criterion",
            "lang",
            "answers",
            "labels",
            "annotators",
            f"weighted {lg.KAPPA}",
            f"Spearman {lg.RHO}",
            f"{lg.ALPHA} (judge + humans)",
            f"{lg.ALPHA} (humans only)",
            f"answers to add for {lg.KAPPA} CI of 0.1",
        ],
        numeric=set(range(4, 12)),
        from_verdicts=True,
    )
    cells: dict[tuple[str, str, str | None], list[HumanRow]] = defaultdict(list)
    for x in s.human_cells:
        cells[(x.judge, x.rubric, x.rubric_version)].append(x)
    for p in s.human:
        for x in [p, *cells.get((p.judge, p.rubric, p.rubric_version), [])]:
            v.rows.append(
                [
                    x.judge,
                    x.rubric,
                    x.criterion or EVERY_CRITERION,
                    x.lang,
                    num(x.n_answers),
                    num(x.n_labels),
                    num(x.n_annotators),
                    ci(x.weighted_kappa, x.kappa_lo, x.kappa_hi),
                    ci(x.spearman, x.spearman_lo, x.spearman_hi),
                    ci(x.alpha, x.alpha_lo, x.alpha_hi),
                    ci(x.alpha_humans, x.alpha_humans_lo, x.alpha_humans_hi),
                    num(x.labels_needed),
                ]
            )
    return [v]
