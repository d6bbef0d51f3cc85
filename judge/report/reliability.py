"""Judge reliability: position swap, agreement with the answer check, RU/EN consistency, self-judging, humans."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from judge import stats
from judge.report.model import (
    CheckAgreementRow,
    CrossLanguageRow,
    HumanRow,
    JudgeReliability,
    RubricInfo,
    SelfJudgedRow,
    SwapRow,
)
from judge.report.sections import Context, aligned, by_lang, finite
from judge.stats import agreement
from judge.store.queries import ReportData


def judge_reliability(b: Context, rubrics: list[RubricInfo]) -> JudgeReliability:
    s = JudgeReliability(title="Judge reliability")
    q, notes = b.q, []
    swaps: dict[tuple[str, str], list[tuple[str | None, str | None]]] = defaultdict(list)
    for r in q.swap_counts():
        swaps[(r["judge"], r["rubric"])].extend([(r["order1"], r["order2"])] * int(r["n"]))
    for (judge, rubric), pairs in sorted(swaps.items()):
        c = stats.swap_consistency(pairs)
        s.swap.append(
            SwapRow(
                judge=judge,
                rubric=rubric,
                n=c.n,
                consistency=finite(c.rate),
                lo=finite(c.lo),
                hi=finite(c.hi),
                first_position_rate=finite(c.first_position_rate),
            )
        )
    if not s.swap:
        notes.append("Position swap: no pairwise comparisons.")
    for r in q.check_agreement():
        key = q.decode({"d": int(r["d"])})
        x = np.repeat(np.asarray(r["scores"], float), np.asarray(r["n1s"]) + np.asarray(r["n0s"]))
        y = np.concatenate([np.r_[np.ones(a), np.zeros(c)] for a, c in zip(r["n1s"], r["n0s"])])
        s.check_agreement.append(
            CheckAgreementRow(
                judge=key["judge"],
                rubric=key["rubric"],
                criterion=key["criterion"],
                n=int(r["n"]),
                spearman=finite(agreement.spearman(x, y)),
                point_biserial=finite(r["point_biserial"]),
                auc=finite(r["auc"]),
                mean_score_correct=finite(r["mean_correct"]),
                mean_score_wrong=finite(r["mean_wrong"]),
            )
        )
    if not s.check_agreement:
        notes.append(
            "Agreement with check:answer: no answer has both a `correctness` score and a check:answer verdict."
        )
    pooled: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for (judge, rubric, _v, _c, _m), by in by_lang(b.crit).items():
        if "ru" in by and "en" in by:
            pooled[(judge, rubric)].append(aligned(by["ru"], by["en"]))
    for (judge, rubric), parts in sorted(pooled.items()):
        ru, en = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        if ru.size:
            s.cross_language.append(
                CrossLanguageRow(
                    judge=judge,
                    rubric=rubric,
                    n=int(ru.size),
                    spearman=finite(agreement.spearman(ru, en)),
                    mean_abs_diff=finite(np.abs(ru - en).mean()),
                )
            )
    if not s.cross_language:
        notes.append("RU/EN consistency: no pair scored in both languages.")
    s.self_judged = _self_judged(q)
    s.human = _human(q, rubrics)
    if not s.human:
        notes.append("Human agreement: no human labels (table human_labels) on the verdicts in scope.")
    if not (s.swap or s.check_agreement or s.cross_language or s.human):
        s.skipped = (
            "nothing to measure the judge against: no pairwise swaps, checkable answers, RU/EN pairs or human labels"
        )
        return s
    s.notes = [
        "Swap consistency: the same pair judged in both orders names the same winner (Wilson CI); "
        "first-position rate 0.5 = no position bias.",
        "Agreement with check:answer: the judge's `correctness` score against the machine check "
        "(AUC 1 = always scores correct answers higher).",
        "RU/EN consistency: a model's score on the Russian and English versions of one task "
        "(the same task should get about the same score).",
        *notes,
    ]
    return s


def _self_judged(q: ReportData) -> list[SelfJudgedRow]:
    acc: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0, 0.0, 0])
    for r in q.self_judged():
        a = acc[q.dims[int(r["d"])].judge]
        a[0] += r["n"]
        a[1] += r["n_self"]
        for i, (s, n) in enumerate(((r["sum_self"], r["scored_self"]), (r["sum_other"], r["scored_other"]))):
            a[2 + 2 * i] += s or 0.0
            a[3 + 2 * i] += n or 0
    return [
        SelfJudgedRow(
            judge=j,
            n=int(a[0]),
            n_self=int(a[1]),
            share=finite(a[1] / a[0]) if a[0] else None,
            mean_self=finite(a[2] / a[3]) if a[3] else None,
            mean_other=finite(a[4] / a[5]) if a[5] else None,
        )
        for j, a in sorted(acc.items())
    ]


def _human(q: ReportData, rubrics: list[RubricInfo]) -> list[HumanRow]:
    by: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in q.human():
        dm = q.dims[int(r["d"])]
        by[(dm.judge, dm.rubric, dm.rubric_version)].append(r)
    scales = {(r.rubric, r.rubric_version): (r.scale_min, r.scale_max) for r in rubrics}
    out = []
    for (judge, rubric, version), rows in sorted(by.items()):
        lo, hi = scales.get((rubric, version), (1, 5))
        seen = {float(r["human"]) for r in rows} | {
            float(r["judge_score"]) for r in rows if r["judge_score"] is not None
        }
        cats = sorted(set(map(float, range(lo, hi + 1))) | seen)
        kappa = agreement.weighted_kappa([r["judge_score"] for r in rows], [r["human"] for r in rows], categories=cats)
        units = sorted({r["unit"] for r in rows})
        annotators = sorted({r["annotator"] for r in rows})
        ui, ai = {u: i for i, u in enumerate(units)}, {a: i + 1 for i, a in enumerate(annotators)}
        m = np.full((len(annotators) + 1, len(units)), np.nan)
        for r in rows:
            m[0, ui[r["unit"]]] = np.nan if r["judge_score"] is None else r["judge_score"]
            m[ai[r["annotator"]], ui[r["unit"]]] = r["human"]
        out.append(
            HumanRow(
                judge=judge,
                rubric=rubric,
                n_items=len(units),
                n_labels=len(rows),
                n_annotators=len(annotators),
                weighted_kappa=finite(kappa),
                alpha=finite(agreement.krippendorff_alpha_ordinal(m)),
                alpha_humans=finite(agreement.krippendorff_alpha_ordinal(m[1:])) if len(annotators) > 1 else None,
            )
        )
    return out
