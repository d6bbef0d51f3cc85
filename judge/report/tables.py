"""Each section of a `Report` as tables of display strings (`View`s), the same for every format.

The tables of LLM verdicts live here; those of the checks and the generations in `tables_checks`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from judge.report import legend as lg
from judge.report.cells import (
    CI95,
    View,
    ci,
    criterion_label,
    criterion_rank,
    judge_cells,
    judged_rubrics,
    lang_key,
    n_err,
    num,
    pct,
    pct_ci,
    pval,
    signed_ci,
    with_judge,
)
from judge.report.human import human_views
from judge.report.model import Report, ScoreRow
from judge.report.stability import stability_views
from judge.report.tables_answers import gate_view
from judge.report.tables_checks import accuracy, cost, fidelity
from judge.report.tables_jury import jury_views
from judge.report.tables_length import length_views
from judge.report.thinking import thinking_views
from judge.store.queries import TOTAL


def _overview(r: Report) -> list[View]:
    s = r.sections.overview
    order = {(ri.rubric, ri.rubric_version): ri.criteria for ri in r.rubrics}
    multi = judged_rubrics(r)
    cells: dict[tuple[str, str], list[ScoreRow]] = defaultdict(list)
    for row in s.totals + s.criteria:
        cells[(row.rubric, row.rubric_version)].append(row)
    judges = {x.judge for x in s.totals + s.criteria}
    views = []
    for (rubric, version), rows in sorted(cells.items()):
        show = rubric in multi
        langs = sorted({x.lang for x in rows}, key=lang_key)
        crit_order = [TOTAL] + order.get((rubric, version), [])
        by: dict[tuple[str, str, str], dict[str, ScoreRow]] = defaultdict(dict)
        for x in rows:
            by[(x.criterion, x.model, x.judge)][x.lang] = x
        cols = ["criterion", "model"] + (["judge"] if show else [])
        first = len(cols)
        for lang in langs:
            cols += [lang, f"{lg.N_ERR} {lang}"]
        # One table per rubric version; its only judge goes in the title when the report has several.
        only = sorted({x.judge for x in rows})
        title = f"{rubric} ({version})" + (f", judge {only[0]}" if not show and len(judges) > 1 else "")
        v = View(title, cols, numeric=set(range(first, len(cols))), from_verdicts=True)
        keys = sorted(by, key=lambda k: (crit_order.index(k[0]) if k[0] in crit_order else 99, k[0], k[1], k[2]))
        for crit, model, judge in keys:
            line = [criterion_label(crit), model] + ([judge] if show else [])
            for lang in langs:
                cell = by[(crit, model, judge)].get(lang)
                line += [ci(cell.mean, cell.lo, cell.hi), n_err(cell.n, cell.n_error, cell.n_na)] if cell else ["", ""]
            v.rows.append(line)
        views.append(v)
    return views


def _gap(r: Report) -> list[View]:
    rows = r.sections.language_gap.rows
    multi = judged_rubrics(r)
    show = any(x.rubric in multi for x in rows)
    cols, numeric = with_judge(
        ["rubric", "criterion", "model", "RU", "EN", f"RU {lg.MINUS} EN {CI95}", "pairs", lg.P_HOLM, lg.MDE],
        {3, 4, 5, 6, 7, 8},
        show,
    )
    v = View(None, cols, numeric=numeric, from_verdicts=True)
    rank = criterion_rank(r)
    # the judges of one cell on adjacent rows, so they read side by side
    for x in sorted(
        rows, key=lambda x: (x.rubric, rank.get((x.rubric, x.criterion), 99), x.criterion, x.model, x.judge)
    ):
        v.rows.append(
            [
                *judge_cells(show, x.rubric, x.judge),
                criterion_label(x.criterion),
                x.model,
                num(x.mean_ru),
                num(x.mean_en),
                signed_ci(x.diff, x.lo, x.hi, star=x.trusted is not False),
                num(x.n_pairs),
                pval(x.p_holm),
                num(x.mde),
            ]
        )
    return [v]


def _deltas(r: Report) -> list[View]:
    s = r.sections.model_deltas
    multi = judged_rubrics(r)
    show = any(x.rubric in multi for x in s.rows)
    cols, numeric = with_judge(
        [
            "rubric",
            "lang",
            lg.MODEL_A,
            lg.MODEL_B,
            f"mean {lg.MODEL_A}",
            f"mean {lg.MODEL_B}",
            f"{lg.MODEL_A} {lg.MINUS} {lg.MODEL_B} {CI95}",
            lg.N,
            lg.P_HOLM,
            lg.MDE,
            "what differs",
        ],
        {4, 5, 6, 7, 8, 9},
        show,
    )
    v = View("Paired differences (weighted rubric total)", cols, numeric=numeric, from_verdicts=True)
    # with a judge column, one comparison's judges on adjacent rows; else the builder's order
    rows = sorted(s.rows, key=lambda x: (x.rubric, lang_key(x.lang), x.model_a, x.model_b, x.judge))
    for x in rows if show else s.rows:
        v.rows.append(
            [
                *judge_cells(show, x.rubric, x.judge),
                x.lang,
                x.model_a,
                x.model_b,
                num(x.mean_a),
                num(x.mean_b),
                signed_ci(x.diff, x.lo, x.hi, star=x.trusted is not False),
                num(x.n),
                pval(x.p_holm),
                num(x.mde),
                x.differs or "",
            ]
        )
    views = [v]
    if s.flips:
        f = View(
            "Variants: check:answer flips",
            [
                "base model",
                lg.MODEL_A,
                lg.MODEL_B,
                "what differs",
                "lang",
                f"flip rate {CI95}",
                lg.N,
                f"{lg.MODEL_A} only right",
                f"{lg.MODEL_B} only right",
                f"{lg.ACC} {lg.MODEL_A}",
                f"{lg.ACC} {lg.MODEL_B}",
            ],
            numeric={5, 6, 7, 8, 9, 10},
        )
        labels = {(p.model_a, p.model_b): p.label for p in s.variants}
        for fl in s.flips:
            f.rows.append(
                [
                    fl.base_model,
                    fl.model_a,
                    fl.model_b,
                    labels.get((fl.model_a, fl.model_b), ""),
                    fl.lang,
                    pct_ci(fl.rate, fl.lo, fl.hi),
                    num(fl.n),
                    num(fl.a_only),
                    num(fl.b_only),
                    pct(fl.accuracy_a),
                    pct(fl.accuracy_b),
                ]
            )
        views.append(f)
    elif s.variants:
        f = View("Variants", ["base model", lg.MODEL_A, lg.MODEL_B, "what differs"])
        f.rows = [[p.base_model, p.model_a, p.model_b, p.label] for p in s.variants]
        views.append(f)
    return views


def _depth(r: Report) -> list[View]:
    rows = r.sections.depth.rows
    multi = judged_rubrics(r)
    show = any(x.rubric in multi for x in rows)
    cols, numeric = with_judge(
        [
            "rubric",
            "model",
            lg.N,
            "reasoning tokens (mean)",
            "median",
            lg.ESTIMATED,
            "score (mean)",
            f"Spearman {lg.RHO}",
        ],
        {2, 3, 4, 5, 6, 7},
        show,
    )
    v = View(None, cols, numeric=numeric, from_verdicts=True)
    for x in sorted(rows, key=lambda x: (x.rubric, x.model, x.judge)):
        v.rows.append(
            [
                *judge_cells(show, x.rubric, x.judge),
                x.model,
                num(x.n),
                num(x.mean_reasoning_tokens, 0),
                num(x.median_reasoning_tokens, 0),
                pct(x.estimated_share, 0),
                num(x.mean_score),
                num(x.spearman),
            ]
        )
    return [v]


def _pairwise(r: Report) -> list[View]:
    rows = r.sections.pairwise.rows
    multi = judged_rubrics(r)
    show = any(x.rubric in multi for x in rows)
    cols, numeric = with_judge(
        [
            "rubric",
            "model",
            "wins",
            "losses",
            "ties",
            "games",
            f"win rate {CI95}",
            f"{lg.BRADLEY_TERRY} {CI95}",
        ],
        {2, 3, 4, 5, 6, 7},
        show,
    )
    v = View(None, cols, numeric=numeric, from_verdicts=True)
    # each judge's games are fitted apart: keep its rows together, ranked by rating
    for x in sorted(rows, key=lambda x: (x.rubric, x.judge)):
        v.rows.append(
            [
                *judge_cells(show, x.rubric, x.judge),
                x.model,
                num(x.wins),
                num(x.losses),
                num(x.ties),
                num(x.n),
                pct_ci(x.win_rate, x.lo, x.hi),
                ci(x.rating, x.rating_lo, x.rating_hi, 0),
            ]
        )
    length = r.sections.pairwise.length
    if length is not None and not length.skipped:
        return [v, *length_views(length, show_judge=show)]
    return [v]


def _reliability(r: Report) -> list[View]:
    """Every table here is about judges: the judge column is always there."""
    s = r.sections.judge_reliability
    views = []
    if s.swap:
        v = View(
            "Position swap",
            ["judge", "rubric", "pairs", f"consistent {CI95}", "picks first shown"],
            numeric={2, 3, 4},
            from_verdicts=True,
        )
        v.rows = [
            [x.judge, x.rubric, num(x.n), pct_ci(x.consistency, x.lo, x.hi), pct(x.first_position_rate)] for x in s.swap
        ]
        views.append(v)
    if s.check_agreement:
        v = View(
            "Judge vs check:answer",
            [
                "judge",
                "rubric",
                "criterion",
                lg.N,
                f"Spearman {lg.RHO}",
                lg.POINT_BISERIAL,
                lg.AUC,
                "mean if correct",
                "mean if wrong",
            ],
            numeric={3, 4, 5, 6, 7, 8},
            from_verdicts=True,
        )
        v.rows = [
            [
                x.judge,
                x.rubric,
                x.criterion,
                num(x.n),
                num(x.spearman),
                num(x.point_biserial),
                num(x.auc),
                num(x.mean_score_correct),
                num(x.mean_score_wrong),
            ]
            for x in s.check_agreement
        ]
        views.append(v)
    if s.cross_language:
        v = View(
            "RU/EN consistency on paired items",
            ["judge", "rubric", lg.N, f"Spearman {lg.RHO}", f"mean {lg.ABS_DIFF}"],
            numeric={2, 3, 4},
            from_verdicts=True,
        )
        v.rows = [[x.judge, x.rubric, num(x.n), num(x.spearman), num(x.mean_abs_diff)] for x in s.cross_language]
        views.append(v)
    if s.self_judged:
        v = View(
            "Self-judging",
            ["judge", "verdict rows", "self-judged", "share", "mean when self", "mean otherwise"],
            numeric={1, 2, 3, 4, 5},
            from_verdicts=True,
        )
        v.rows = [
            [x.judge, num(x.n), num(x.n_self), pct(x.share), num(x.mean_self), num(x.mean_other)] for x in s.self_judged
        ]
        views.append(v)
    views += human_views(s)
    views += stability_views(s.stability) + thinking_views(s.thinking)
    if s.gate:
        views.append(gate_view(r))
    return views


TABLES: dict[str, Callable[[Report], list[View]]] = {
    "overview": _overview,
    "language_gap": _gap,
    "model_deltas": _deltas,
    "depth": _depth,
    "pairwise": _pairwise,
    "accuracy": accuracy,
    "language_fidelity": fidelity,
    "cost": cost,
    "judge_reliability": _reliability,
    "jury": jury_views,
}
