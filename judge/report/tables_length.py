"""Tables of the length and style bias of pairwise judges (see judge.report.length for the numbers)."""

from __future__ import annotations

from typing import Any

from judge.report.cells import CI95, View, ci, num, pct, pct_ci, signed_ci
from judge.report.length import _MARKDOWN, LengthBias, LengthBiasRow

__all__ = ["length_rows", "length_views"]


def _coef(row: LengthBiasRow, feature: str) -> str:

    c = next((c for c in row.coefficients if c.feature == feature), None)
    return signed_ci(c.coef, c.lo, c.hi, star=False) if c else signed_ci(None, None, None)


def length_views(s: LengthBias, *, show_judge: bool = False) -> list[View]:
    """The tables of a `LengthBias`: a summary per cell and the per-model results (display strings).

    `show_judge`: add a judge column after the rubric (when several judges hold a rubric's verdicts,
    as `cells.judged_rubrics` decides for the other pairwise table).
    """

    if s.skipped or not s.rows:
        return []
    j = ["judge"] if show_judge else []
    summary = View(
        "Length and style bias",
        ["rubric", *j, "criterion", "lang", "games", "ties", f"longer preferred {CI95}", "n (unequal)"]
        + [f"length effect {CI95}"]
        + [f"{f} coef. {CI95}" for f in _MARKDOWN],
        from_verdicts=True,
    )
    summary.numeric = set(range(3 + len(j), len(summary.columns)))
    models = View(
        "Win rates: observed, longest-wins rule, style-controlled",
        [
            "rubric",
            *j,
            "criterion",
            "lang",
            "model",
            "games",
            f"mean {s.unit}",
            f"win rate {CI95}",
            "longest wins",
            f"controlled win rate {CI95}",
            f"Bradley-Terry {CI95}",
            f"controlled {CI95}",
        ],
        from_verdicts=True,
    )
    models.numeric = set(range(4 + len(j), len(models.columns)))
    for x in s.rows:
        lead = [x.rubric, *([x.judge] if show_judge else []), x.criterion, x.lang]
        summary.rows.append(
            [
                *lead,
                num(x.n),
                num(x.n_ties),
                pct_ci(x.p_longer_preferred, x.lo, x.hi),
                num(x.n_longer_decided),
                # no star: a bias of the judge, not a difference between models the gate would vouch for
                signed_ci(x.length_effect, x.effect_lo, x.effect_hi, star=False),
                *(_coef(x, f) for f in _MARKDOWN),
            ]
        )
        for m in x.models:
            mean = m.mean_chars if s.unit == "chars" else m.mean_words
            models.rows.append(
                [
                    *lead,
                    m.model,
                    num(m.n),
                    num(mean, 0),
                    pct_ci(m.win_rate, m.win_rate_lo, m.win_rate_hi),
                    pct(m.longest_wins_rate),
                    pct_ci(m.controlled_win_rate, m.controlled_win_rate_lo, m.controlled_win_rate_hi),
                    ci(m.rating, m.rating_lo, m.rating_hi, 0),
                    ci(m.controlled_rating, m.controlled_rating_lo, m.controlled_rating_hi, 0),
                ]
            )
    return [summary, models]


def length_rows(s: LengthBias) -> list[dict[str, Any]]:
    """Flat records, one per cell × model, for scripts (bench/) and JSON consumers."""
    out = []
    for x in s.rows:
        base = x.model_dump(exclude={"models", "coefficients"})
        for m in x.models:
            out.append({**base, **{f"model_{k}" if k == "n" else k: v for k, v in m.model_dump().items()}})
    return out
