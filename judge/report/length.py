"""Length and style bias of pairwise judges: how often the longer answer won, and style-controlled ranks.

A judge that likes long answers crowns the model that writes most. Beside each pairwise result this
shows, per judge × rubric × criterion × language (never pooled over languages: the same content
takes different lengths in Russian and English):

- `p_longer_preferred`: of the decided, non-tied comparisons between answers of unequal length,
  the share the longer answer won (0.5 = length does not matter; CI: bootstrap over prompts);
- per model, the observed win rate beside `longest_wins_rate`, the win rate a "the longer answer
  always wins" rule would give on the same games (equal lengths count half): an observed win rate
  that tracks it is a warning sign;
- per model, style-controlled win rates and Bradley-Terry ratings (`judge.stats.style`: the
  Arena-Hard-Auto style-control regression, with the length and markdown differences as extra
  terms) beside the plain Bradley-Terry rating from the same regression without them;
- the style coefficients: log-odds of winning per RMS unit of each normalised difference.

Wiring: `build_report` fills `Pairwise.length` with `build_length_bias(store, filters, ...)` and
adds its notes to the pairwise section; `judge.report.tables_length.length_views` draws the two
tables under the pairwise table in every format.

Cost: two regressions (with and without style terms) per cell and bootstrap resample, all
resamples fitted at once; about 1 s per 1,000 games at n_boot = 2000 on one core.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from judge import stats
from judge.stats.style import FEATURES, LONGER, StyleFit, style_control
from judge.store.filters import Filters
from judge.store.length import Unit, pairwise_lengths
from judge.store.store import Store

__all__ = [
    "ALL_CRITERIA",
    "LengthBias",
    "LengthBiasRow",
    "LengthModelRow",
    "StyleCoefficient",
    "build_length_bias",
]

ALL_CRITERIA = "(all)"
"""The criterion label of a cell pooling every criterion of a rubric (not a valid criterion id)."""

_MARKDOWN = ("headers", "bold", "lists")
_COEF_ORDER = ("length", LONGER, *_MARKDOWN)


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StyleCoefficient(_M):
    feature: str
    """`length` (normalised difference of characters, or words), `longer` (the sign of that
    difference), `headers`, `bold`, `lists`."""
    coef: float | None
    """Log-odds of winning per RMS unit of the normalised difference (None: never varies)."""
    lo: float | None
    hi: float | None
    rms: float | None
    """Root mean square of the normalised difference (a − b) / (a + b + 1) over the games."""


class LengthModelRow(_M):
    model: str
    n: int
    """Decided games the model played in this cell (ties included)."""
    mean_chars: float | None
    mean_words: float | None
    win_rate: float | None
    """Observed, ties as half; CI win_rate_lo..win_rate_hi (bootstrap over prompts)."""
    win_rate_lo: float | None
    win_rate_hi: float | None
    longest_wins_rate: float | None
    """The win rate "the longer answer wins" would give on the same games (equal lengths: half)."""
    longer_share: float | None
    """Share of its games where this model's answer was the longer one."""
    controlled_win_rate: float | None
    """Mean predicted chance to win at equal length and markdown, over the same games; CI lo..hi."""
    controlled_win_rate_lo: float | None
    controlled_win_rate_hi: float | None
    rating: float | None
    """Bradley-Terry rating without style terms (mean 1000; +400 = 10:1 odds); CI rating_lo..rating_hi."""
    rating_lo: float | None
    rating_hi: float | None
    controlled_rating: float | None
    """Style-controlled Bradley-Terry rating, same scale; CI controlled_rating_lo..controlled_rating_hi."""
    controlled_rating_lo: float | None
    controlled_rating_hi: float | None


class LengthBiasRow(_M):
    judge: str
    rubric: str
    rubric_version: str
    criterion: str
    """A criterion id, or `(all)`: every criterion of the rubric pooled (resampled by prompt)."""
    lang: str
    n: int
    """Decided comparisons (ties included)."""
    n_ties: int
    n_error: int
    """Failed comparisons (a judge call failed in either order): left out."""
    n_na: int
    """Not-applicable comparisons: left out."""
    n_equal_length: int
    """Decided, non-tied comparisons of answers of equal length: not in p_longer_preferred."""
    n_prompts: int
    n_longer_decided: int
    """Denominator of p_longer_preferred: decided, non-tied, unequal lengths."""
    p_longer_preferred: float | None
    """Share of those the longer answer won; CI lo..hi (bootstrap over prompts)."""
    lo: float | None
    hi: float | None
    length_effect: float | None
    """How much length buys: the log-odds the style regression adds to the longer answer at the
    median length gap (both length terms together; 0 = none); CI effect_lo..effect_hi."""
    effect_lo: float | None
    effect_hi: float | None
    length_gap: float | None
    """That median gap, as |a − b| / (a + b + 1) (0.33 = one answer twice the other)."""
    length_coef: float | None
    """The style regression's coefficient of the normalised length difference (see `coefficients`);
    CI length_lo..length_hi."""
    length_lo: float | None
    length_hi: float | None
    longer_coef: float | None
    """Its coefficient of "this answer is the longer one" (a step: the longest-wins rule); CI
    longer_lo..longer_hi. A length-loving judge shows up in either or both."""
    longer_lo: float | None
    longer_hi: float | None
    length_confounded: bool = False
    """In every model pair, the same model always wrote the longer answer: length and model identity
    then move together, and only the size of the length gaps separates them (wide, prior-led CIs)."""
    coefficients: list[StyleCoefficient] = Field(default_factory=list)
    models: list[LengthModelRow] = Field(default_factory=list)


class LengthBias(_M):
    """The section record. It has `Section`'s fields (title, skipped, notes) without subclassing it,
    so that judge/report/model.py can import it: this module imports nothing of judge.report at
    import time (`length_views` imports the table cells when called), so there is no import cycle."""

    title: str
    skipped: str | None = None
    """Why there is nothing to show (None when there is)."""
    notes: list[str] = Field(default_factory=list)
    """How to read the tables."""
    unit: str = "chars"
    """What "longer" means: characters or words."""
    rows: list[LengthBiasRow] = Field(default_factory=list)


def _cell_key(r: dict[str, Any], criterion: str | None = None) -> tuple[str, str, str, str, str]:
    return (r["judge"], r["rubric"], r["rubric_version"], criterion or r["criterion"], r["lang"])


def build_length_bias(
    store: Store,
    filters: Filters | None = None,
    *,
    seed: int = 0,
    n_boot: int = 2000,
    unit: Unit = "chars",
    pool_criteria: bool = True,
    level: float = 0.95,
) -> LengthBias:
    """Length bias and style-controlled results for every pairwise cell in scope (module docstring).

    Args:
        store: the report's store (read-only is enough).
        filters: the report's `Filters` (None: the defaults).
        seed, n_boot, level: the bootstrap (over prompts) for every interval.
        unit: "chars" or "words": what decides which answer is longer, and the length feature.
        pool_criteria: also give each rubric a row pooling all its criteria (`(all)`), as the
            pairwise section's own table pools them.
    """
    s = LengthBias(title="Length and style bias", unit=unit)
    rows = pairwise_lengths(store, filters, unit=unit)
    cells: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        cells[_cell_key(r)].append(r)
    if pool_criteria:
        crits: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
        for r in rows:
            crits[(r["judge"], r["rubric"], r["rubric_version"], r["lang"])].add(r["criterion"])
        for r in rows:
            if len(crits[(r["judge"], r["rubric"], r["rubric_version"], r["lang"])]) > 1:
                cells[_cell_key(r, ALL_CRITERIA)].append(r)
    for key in sorted(cells, key=lambda k: (k[0], k[1], k[2], k[3] != ALL_CRITERIA, k[3], k[4])):
        row = _cell(key, cells[key], unit, seed, n_boot, level)
        if row is not None:
            s.rows.append(row)
    if not s.rows:
        s.skipped = "no decided pairwise comparisons (run `judge grade --mode pairwise`)"
        return s
    confounded = [r for r in s.rows if r.length_confounded]
    s.notes = [
        f"Longer = more {'characters' if unit == 'chars' else 'words'}. Longer preferred: of the decided, "
        "non-tied comparisons of unequal length, the share the longer answer won (0.5 = no length preference; "
        "95 % CI by bootstrap over prompts). Ties, equal lengths, failed and not-applicable comparisons are "
        "counted apart, never as the shorter answer winning.",
        "Longest wins: the win rate a judge that always picks the longer answer would give on the same games. "
        "A win rate close to it, with a large length coefficient, says the ranking may be about length.",
        "Controlled: the Arena-Hard-Auto style-control regression (Bradley-Terry with the normalised length and "
        "markdown-count differences as extra terms, plus a longer-answer step), fitted per language: strengths at "
        "equal length and formatting. Coefficients: log-odds per RMS unit of the normalised difference "
        "(a − b) / (a + b + 1), or of the step; positive = the judge pays for more of it. Length effect: both "
        "length terms together, the log-odds the judge adds to the longer answer at the median length gap.",
    ]
    if confounded:
        s.notes.append(
            f"In {len(confounded)} of {len(s.rows)} rows one model of every pair always wrote the longer answer: "
            "length and model cannot be told apart there beyond the size of the gaps, so read the controlled "
            "ratings of those rows with care."
        )
    return s


def _cell(
    key: tuple[str, str, str, str, str], rows: list[dict[str, Any]], unit: Unit, seed: int, n_boot: int, level: float
) -> LengthBiasRow | None:
    judge, rubric, version, criterion, lang = key
    decided = [r for r in rows if r["status"] == "decided" and r["result"] is not None]
    n_error = sum(r["status"] == "error" for r in rows)
    n_na = sum(r["status"] == "not_applicable" for r in rows)
    if not decided:
        return None
    # p_longer_preferred: per prompt the longer-won count over decided, non-tied, unequal comparisons
    per_prompt: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in decided:
        if r["longer_won"] is not None:
            per_prompt[r["prompt_id"]][0] += int(bool(r["longer_won"]))
            per_prompt[r["prompt_id"]][1] += 1
    sums = np.array([v[0] for v in per_prompt.values()], dtype=float)
    sizes = np.array([v[1] for v in per_prompt.values()], dtype=float)
    p = stats.cluster_mean_ci(sums, sizes, n_boot=n_boot, seed=seed, level=level)

    lcol = f"{unit}_a", f"{unit}_b"
    fa = np.array([[r[lcol[0]]] + [r[f"{m}_a"] for m in _MARKDOWN] for r in decided], dtype=float)
    fb = np.array([[r[lcol[1]]] + [r[f"{m}_b"] for m in _MARKDOWN] for r in decided], dtype=float)
    fit = style_control(
        [r["model_a"] for r in decided],
        [r["model_b"] for r in decided],
        [r["result"] for r in decided],
        fa,
        fb,
        feature_names=FEATURES,
        units=[r["prompt_id"] for r in decided],
        n_boot=n_boot,
        seed=seed,
        level=level,
    )
    coefs = [
        StyleCoefficient(
            feature=f,
            coef=_finite(e.mean),
            lo=_finite(e.lo),
            hi=_finite(e.hi),
            rms=_finite(fit.feature_rms.get(f)),
        )
        for f, e in sorted(fit.coefficients.items(), key=lambda kv: _COEF_ORDER.index(kv[0]))
    ]
    length, longer = fit.coefficients["length"], fit.coefficients[LONGER]
    return LengthBiasRow(
        judge=judge,
        rubric=rubric,
        rubric_version=version,
        criterion=criterion,
        lang=lang,
        n=len(decided),
        n_ties=sum(r["result"] == "tie" for r in decided),
        n_error=n_error,
        n_na=n_na,
        n_equal_length=sum(r["result"] in ("A", "B") and r["longer"] == "equal" for r in decided),
        n_prompts=len({r["prompt_id"] for r in decided}),
        n_longer_decided=int(sizes.sum()),
        p_longer_preferred=_finite(p.mean),
        lo=_finite(p.lo),
        hi=_finite(p.hi),
        length_effect=_finite(fit.length_effect.mean),
        effect_lo=_finite(fit.length_effect.lo),
        effect_hi=_finite(fit.length_effect.hi),
        length_gap=_finite(fit.length_gap),
        length_coef=_finite(length.mean),
        length_lo=_finite(length.lo),
        length_hi=_finite(length.hi),
        longer_coef=_finite(longer.mean),
        longer_lo=_finite(longer.lo),
        longer_hi=_finite(longer.hi),
        length_confounded=_confounded(decided),
        coefficients=coefs,
        models=_models(decided, fit),
    )


def _confounded(decided: list[dict[str, Any]]) -> bool:
    """Whether, in every model pair, one and the same model wrote the longer answer each time."""
    longer: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in decided:
        pair = (min(r["model_a"], r["model_b"]), max(r["model_a"], r["model_b"]))
        longer[pair].add(r["model_a"] if r["longer"] == "A" else r["model_b"] if r["longer"] == "B" else "=")
    return bool(longer) and all(len(v) == 1 and "=" not in v for v in longer.values())


def _models(decided: list[dict[str, Any]], fit: StyleFit) -> list[LengthModelRow]:
    acc: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in decided:
        for side in ("a", "b"):
            m = acc[r[f"model_{side}"]]
            m["n"] += 1
            m["chars"] += r[f"chars_{side}"]
            m["words"] += r[f"words_{side}"]
            mine = r["longer"] == side.upper()
            m["longest"] += 1.0 if mine else 0.5 if r["longer"] == "equal" else 0.0
            m["longer"] += float(mine)
    out = []
    for model in fit.models or sorted(acc):
        a = acc[model]
        n = a["n"]

        def est(d: dict[str, stats.Estimate], model: str = model) -> tuple[float | None, float | None, float | None]:
            e = d.get(model)
            return (_finite(e.mean), _finite(e.lo), _finite(e.hi)) if e else (None, None, None)

        wr, cwr, rt, crt = (est(d) for d in (fit.raw_win_rates, fit.win_rates, fit.raw_ratings, fit.ratings))
        out.append(
            LengthModelRow(
                model=model,
                n=int(n),
                mean_chars=a["chars"] / n if n else None,
                mean_words=a["words"] / n if n else None,
                win_rate=wr[0],
                win_rate_lo=wr[1],
                win_rate_hi=wr[2],
                longest_wins_rate=a["longest"] / n if n else None,
                longer_share=a["longer"] / n if n else None,
                controlled_win_rate=cwr[0],
                controlled_win_rate_lo=cwr[1],
                controlled_win_rate_hi=cwr[2],
                rating=rt[0],
                rating_lo=rt[1],
                rating_hi=rt[2],
                controlled_rating=crt[0],
                controlled_rating_lo=crt[1],
                controlled_rating_hi=crt[2],
            )
        )
    out.sort(key=lambda m: -(m.controlled_rating if m.controlled_rating is not None else -1e9))
    return out
