"""The jury section as tables of display strings, the same for every format (see `judge.report.jury`)."""

from __future__ import annotations

from collections import defaultdict

from judge.report import legend as lg
from judge.report.cells import CI95, View, ci, criterion_label, lang_key, num, signed_ci
from judge.report.model import Report
from judge.report.model_jury import CrossJudgeRow


def jury_views(r: Report) -> list[View]:
    s = r.sections.jury
    views = []
    v = View(
        "Consensus", ["rubric", "version", "judges", "answers", "cells", "cells short of a judge"], numeric={3, 4, 5}
    )
    v.rows = [
        [x.rubric, x.rubric_version, ", ".join(x.judges), num(x.n_answers), num(x.n_cells), num(x.n_partial)]
        for x in s.rubrics
    ]
    views.append(v)
    if s.agreement:
        v = View(
            f"Agreement between judges (Krippendorff's {lg.ALPHA}, ordinal)",
            ["rubric", "criterion", "lang", "judges", lg.N, f"{lg.ALPHA} {CI95}"],
            numeric={4, 5},
        )
        rows = sorted(s.agreement, key=lambda x: (x.rubric, x.criterion, lang_key(x.lang)))
        v.rows = [
            [x.rubric, criterion_label(x.criterion), x.lang, ", ".join(x.judges), num(x.n), ci(x.alpha, x.lo, x.hi)]
            for x in rows
        ]
        views.append(v)
    views += _cross(s.cross)
    if s.self_preference:
        v = View(
            "Self-preference (own model's answers: this judge − the others)",
            ["judge", "own model", "answers", "pairs", f"diff {CI95}"],
            numeric={2, 3, 4},
            from_verdicts=True,
        )
        v.rows = [
            [
                x.judge,
                ", ".join(x.own_models) or lg.MISSING,
                num(x.n_answers),
                num(x.n_pairs),
                signed_ci(x.diff, x.lo, x.hi, star=False),
            ]
            for x in s.self_preference
        ]
        views.append(v)
    return views


def _cross(rows: list[CrossJudgeRow]) -> list[View]:
    """One judge × contestant table per rubric version: the mean weighted total, its n (err), `own` on the
    judge's own answers."""
    by: dict[tuple[str, str], list[CrossJudgeRow]] = defaultdict(list)
    for x in rows:
        by[(x.rubric, x.rubric_version)].append(x)
    views = []
    for (rubric, version), xs in sorted(by.items()):
        models = sorted({x.model for x in xs})
        cell = {(x.judge, x.model): x for x in xs}
        v = View(
            f"Cross-judging: {rubric} ({version}), mean weighted total ({lg.N})",
            ["judge", *models],
            numeric=set(range(1, len(models) + 1)),
            from_verdicts=True,
        )
        for judge in sorted({x.judge for x in xs}):
            v.rows.append([judge] + [_cell(cell.get((judge, m))) for m in models])
        views.append(v)
    return views


def _cell(x: CrossJudgeRow | None) -> str:
    if x is None:
        return lg.MISSING
    err = f", {num(x.n_error)} {lg.ERR}" if x.n_error else ""
    return f"{num(x.mean)} ({num(x.n)}{err})" + (" own" if x.own else "")
