"""The cells of the report's tables: the `View` record, number formatting, and the judge column rule.

The marks the cells carry (—, *, %, [ ], ...) come from `legend`, which explains them.

Several judges: when more than one LLM judge holds verdicts of a rubric, every table row built
from that rubric's verdicts carries a judge column (`judged_rubrics`), so two judges' rows never
look like one row printed twice; the sections never pool two judges in one row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from judge.report import legend as lg
from judge.report.model import Report
from judge.store.queries import TOTAL

LANG_ORDER = {lg.ALL_LANGS: 0, "en": 1, "ru": 2}
CI95 = f"{lg.CI_OPEN}95 {lg.PERCENT} {lg.CI}]"


@dataclass
class View:
    """One table: a title, column headers and rows of display strings."""

    title: str | None
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)
    """Columns to right-align."""
    from_verdicts: bool = False
    """Rows come from LLM verdicts: with several judges of a rubric, each row names its judge."""


# -- number formatting --------------------------------------------------------------------------


def num(x: float | int | None, d: int = 2) -> str:
    if x is None:
        return lg.MISSING
    if isinstance(x, int):
        return f"{x:,}".replace(",", lg.THOUSANDS_SEP)
    return f"{x:.{d}f}"


def ci(mean: float | None, lo: float | None, hi: float | None, d: int = 2) -> str:
    if mean is None:
        return lg.MISSING
    if lo is None or hi is None:
        return num(mean, d)
    return f"{mean:.{d}f} {lg.CI_OPEN}{lo:.{d}f}, {hi:.{d}f}]"


def signed_ci(mean: float | None, lo: float | None, hi: float | None, d: int = 2, star: bool = True) -> str:
    """A difference with its CI, starred when the CI excludes 0 (and `star`: the judge is trusted there)."""
    if mean is None:
        return lg.MISSING
    if lo is None or hi is None:
        return f"{mean:+.{d}f}"
    mark = f" {lg.SIG_STAR}" if star and (lo > 0 or hi < 0) else ""
    return f"{mean:+.{d}f} {lg.CI_OPEN}{lo:+.{d}f}, {hi:+.{d}f}]{mark}"


def pct(x: float | None, d: int = 1) -> str:
    return lg.MISSING if x is None else f"{100 * x:.{d}f} {lg.PERCENT}"


def pct_ci(mean: float | None, lo: float | None, hi: float | None) -> str:
    if mean is None:
        return lg.MISSING
    if lo is None or hi is None:
        return pct(mean)
    return f"{100 * mean:.1f} {lg.PERCENT} {lg.CI_OPEN}{100 * lo:.1f}, {100 * hi:.1f}]"


def pval(p: float | None) -> str:
    if p is None:
        return lg.MISSING
    return lg.P_FLOOR if p < 0.001 else f"{p:.3f}"


def n_err(n: int, err: int, na: int = 0) -> str:
    """`n`, then `(err)` when verdicts failed and `+k n/a` when the criterion did not apply to some."""
    out = f"{num(n)} ({err})" if err else num(n)
    return f"{out} +{num(na)} {lg.NA}" if na else out


def criterion_label(c: str) -> str:
    return lg.TOTAL_LABEL if c == TOTAL else c


def lang_key(lang: str) -> tuple[int, str]:
    return LANG_ORDER.get(lang, 9), lang


# -- judges -------------------------------------------------------------------------------------


def judged_rubrics(r: Report) -> set[str]:
    """Rubrics whose rows name their judge: more than one LLM judge holds verdicts of them.

    From the database (`RubricInfo.judges`, whatever the filters), and, should a report lack that,
    from the rows themselves: any rubric two judges' rows share.
    """
    out = {ri.rubric for ri in r.rubrics if len(ri.judges) > 1}
    s = r.sections
    rows: list[Any] = [
        *s.overview.criteria,
        *s.overview.totals,
        *s.language_gap.rows,
        *s.model_deltas.rows,
        *s.depth.rows,
        *s.pairwise.rows,
    ]
    seen: dict[str, set[str]] = defaultdict(set)
    for x in rows:
        seen[x.rubric].add(x.judge)
    return out | {rubric for rubric, judges in seen.items() if len(judges) > 1}


def with_judge(cols: list[str], numeric: set[int], show: bool, at: int = 1) -> tuple[list[str], set[int]]:
    """Insert a judge column at `at` (after the rubric) when `show`, shifting the numeric columns."""
    if not show:
        return cols, numeric
    return cols[:at] + ["judge"] + cols[at:], {i + 1 if i >= at else i for i in numeric}


def judge_cells(show: bool, rubric: str, judge: str) -> list[str]:
    return [rubric, judge] if show else [rubric]


def criterion_rank(r: Report) -> dict[tuple[str, str], int]:
    """(rubric, criterion) -> position: the weighted total first, then the rubric file's order."""
    out = {}
    for ri in r.rubrics:
        out[(ri.rubric, TOTAL)] = -1
        for i, c in enumerate(ri.criteria):
            out.setdefault((ri.rubric, c), i)
    return out
