"""Judge reliability: position swap, agreement with the answer check, RU/EN consistency, self-judging, humans."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from judge import stats
from judge.report.context import Context, aligned, by_lang, finite
from judge.report.human import NOTE as HUMAN_NOTE
from judge.report.human import human_agreement
from judge.report.model import (
    CheckAgreementRow,
    CrossLanguageRow,
    JudgeReliability,
    RubricInfo,
    SelfJudgedRow,
    SwapRow,
)
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
    s.human, s.human_cells = human_agreement(b, rubrics)
    if s.human:
        notes.append(HUMAN_NOTE)
    else:
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
