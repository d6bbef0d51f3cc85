"""`judge report`: the comparison as one Pydantic `Report`, rendered for a terminal, Markdown, HTML or JSON.

`build_report` asks `queries.ReportData` for aggregates and per-unit vectors, hands the vectors
to `stats`, and arranges the results into ten sections with stable keys. A section without data
is present with `skipped` set to a one-line reason. Rendering lives in `report_md` (terminal and
Markdown) and `report_html` (one self-contained HTML file with inline SVG plots).

The JSON form is `Report.model_dump_json()`: every key below is part of the format
(`format_version` changes when a key is renamed or removed); NaN becomes null.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import stats
from .queries import TOTAL, Filters, Group, ReportData, int_list
from .store import Store

FORMAT_VERSION = 1
DEMO_NOTE = ("These verdicts come from tiny demo models (contestants and judge): they show that the pipeline "
             "works end to end, not a real ranking of models.")
SMALL_N = 30
Fmt = Literal["terminal", "md", "html", "json"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the report's records -----------------------------------------------------------------------

class Section(_M):
    title: str
    skipped: str | None = None
    """Why the section has no data (None when it has)."""
    notes: list[str] = Field(default_factory=list)
    """How to read the section, and parts of it skipped for lack of data."""


class ScoreRow(_M):
    judge: str
    rubric: str
    rubric_version: str
    criterion: str
    """A rubric criterion, or `weighted_total` (the rubric's criteria averaged by their weights)."""
    model: str
    lang: str
    """`en`, `ru`, ... or `all` (totals pooled over languages, resampled by RU/EN pair)."""
    mean: float | None
    lo: float | None
    hi: float | None
    n: int
    """Scored rows (answers × samples) behind the mean."""
    n_error: int
    """Failed verdict rows left out of the mean."""
    n_units: int
    """Prompts (or pairs for `all`) resampled by the bootstrap."""


class Overview(Section):
    criteria: list[ScoreRow] = Field(default_factory=list)
    totals: list[ScoreRow] = Field(default_factory=list)


class GapRow(_M):
    judge: str
    rubric: str
    criterion: str
    model: str
    mean_ru: float | None
    mean_en: float | None
    diff: float | None
    """Mean RU − EN over pairs scored in both languages (negative: worse in Russian)."""
    lo: float | None
    hi: float | None
    n_pairs: int
    p_value: float | None
    p_holm: float | None


class LanguageGap(Section):
    rows: list[GapRow] = Field(default_factory=list)


class DeltaRow(_M):
    judge: str
    rubric: str
    lang: str
    model_a: str
    model_b: str
    mean_a: float | None
    mean_b: float | None
    diff: float | None
    """Mean of A − B (weighted totals) over the prompts both answered."""
    lo: float | None
    hi: float | None
    n: int
    p_value: float | None
    """Wilcoxon signed-rank (Pratt)."""
    p_holm: float | None
    """Holm-adjusted across every row of this table."""
    variant_of: str | None = None
    """The shared base model when A and B are variants of it."""
    differs: str | None = None
    """What tells the two variants apart, e.g. `precision bf16 → fp8`."""


class Difference(_M):
    what: str
    a: str | None
    b: str | None


class VariantPair(_M):
    base_model: str
    model_a: str
    model_b: str
    differs: list[Difference]
    label: str


class FlipRow(_M):
    base_model: str
    model_a: str
    model_b: str
    lang: str
    rate: float | None
    """Share of (prompt, sample) items whose check:answer correctness differs between A and B."""
    n: int
    a_only: int
    """Items right under A only."""
    b_only: int
    accuracy_a: float | None
    accuracy_b: float | None


class ModelDeltas(Section):
    rows: list[DeltaRow] = Field(default_factory=list)
    variants: list[VariantPair] = Field(default_factory=list)
    flips: list[FlipRow] = Field(default_factory=list)


class DepthRow(_M):
    judge: str
    rubric: str
    model: str
    n: int
    mean_reasoning_tokens: float | None
    median_reasoning_tokens: float | None
    estimated_share: float | None
    """Share of answers whose reasoning token count was estimated from text, not reported."""
    mean_score: float | None
    spearman: float | None
    """Rank correlation of reasoning tokens and the weighted total, answer by answer."""


class DepthBin(_M):
    judge: str
    rubric: str
    model: str
    bin: int
    """Decile of the model's reasoning tokens (1 = fewest)."""
    reasoning_tokens: float | None
    score: float | None
    n: int


class Depth(Section):
    rows: list[DepthRow] = Field(default_factory=list)
    bins: list[DepthBin] = Field(default_factory=list)


class PairwiseRow(_M):
    judge: str
    rubric: str
    model: str
    wins: int
    losses: int
    ties: int
    n: int
    win_rate: float | None
    """Ties count half; Wilson CI lo..hi."""
    lo: float | None
    hi: float | None
    rating: float | None
    """Bradley-Terry rating (mean 1000; +400 = 10:1 odds), bootstrap CI rating_lo..rating_hi."""
    rating_lo: float | None
    rating_hi: float | None


class Pairwise(Section):
    rows: list[PairwiseRow] = Field(default_factory=list)


class AccuracyRow(_M):
    model: str
    lang: str
    mean: float | None
    lo: float | None
    hi: float | None
    n: int
    n_error: int
    """Answers the check could not measure (left out)."""


class Accuracy(Section):
    rows: list[AccuracyRow] = Field(default_factory=list)


class FidelityRow(_M):
    model: str
    lang: str
    n: int
    wrong_language_rate: float | None
    lo: float | None
    hi: float | None
    mixed_script_mean: float | None
    """Mean count of words mixing Latin and Cyrillic letters per answer."""
    mixed_script_share: float | None
    """Share of answers with at least one such word."""
    latin_share_mean: float | None
    """Russian answers: mean share of Latin-script words (outside code, math and URLs)."""
    latin_share_over: float | None
    """Russian answers: share over the check's threshold."""


class LanguageFidelity(Section):
    rows: list[FidelityRow] = Field(default_factory=list)


class CostRow(_M):
    model: str
    lang: str
    n: int
    n_error: int
    n_truncated: int
    """Answers cut at max_tokens (finish_reason = length)."""
    prompt_tokens: float | None
    completion_tokens: float | None
    reasoning_tokens: float | None
    reasoning_estimated_share: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens_per_s: float | None
    """Median over answers of completion_tokens / latency."""


class Cost(Section):
    rows: list[CostRow] = Field(default_factory=list)


class SwapRow(_M):
    judge: str
    rubric: str
    n: int
    consistency: float | None
    """Share of pairs whose verdict names the same model in both orders (Wilson CI lo..hi)."""
    lo: float | None
    hi: float | None
    first_position_rate: float | None
    """Share of verdicts picking the answer shown first (0.5 = no position bias)."""


class CheckAgreementRow(_M):
    judge: str
    rubric: str
    criterion: str
    n: int
    spearman: float | None
    point_biserial: float | None
    auc: float | None
    """P(the judge scores a correct answer above a wrong one), ties as half."""
    mean_score_correct: float | None
    mean_score_wrong: float | None


class CrossLanguageRow(_M):
    judge: str
    rubric: str
    n: int
    """Model × pair × criterion cells scored in both languages."""
    spearman: float | None
    mean_abs_diff: float | None


class SelfJudgedRow(_M):
    judge: str
    n: int
    n_self: int
    share: float | None
    mean_self: float | None
    mean_other: float | None


class HumanRow(_M):
    judge: str
    rubric: str
    n_items: int
    n_labels: int
    n_annotators: int
    weighted_kappa: float | None
    """Quadratic-weighted kappa, judge vs every human label."""
    alpha: float | None
    """Krippendorff's alpha (ordinal), judge and annotators together."""
    alpha_humans: float | None
    """Annotators only: the ceiling a judge can be expected to reach."""


class JudgeReliability(Section):
    swap: list[SwapRow] = Field(default_factory=list)
    check_agreement: list[CheckAgreementRow] = Field(default_factory=list)
    cross_language: list[CrossLanguageRow] = Field(default_factory=list)
    self_judged: list[SelfJudgedRow] = Field(default_factory=list)
    human: list[HumanRow] = Field(default_factory=list)


class RubricVersionRow(_M):
    rubric: str
    rubric_version: str
    judge: str
    current: bool
    included: bool
    n_rows: int


class Caveats(Section):
    items: list[str] = Field(default_factory=list)
    generations: int = 0
    failed_generations: int = 0
    verdicts: int = 0
    failed_verdicts: int = 0
    comparisons: int = 0
    failed_comparisons: int = 0
    unmeasured_checks: int = 0
    retired_generations: int = 0
    small_cells: int = 0
    """Score cells with fewer than 30 scored prompts."""
    rubric_versions: list[RubricVersionRow] = Field(default_factory=list)
    judges: list[str] = Field(default_factory=list)
    demo: bool = False


class Sections(_M):
    overview: Overview
    language_gap: LanguageGap
    model_deltas: ModelDeltas
    depth: Depth
    pairwise: Pairwise
    accuracy: Accuracy
    language_fidelity: LanguageFidelity
    cost: Cost
    judge_reliability: JudgeReliability
    caveats: Caveats


class ModelInfo(_M):
    model: str
    name: str
    variant: str
    model_id: str | None
    quantization: str | None
    base_model: str | None
    params: dict[str, Any]
    extra_body: dict[str, Any]
    current: bool
    n_generations: int


class RubricInfo(_M):
    rubric: str
    rubric_version: str
    current: bool
    scale_min: int
    scale_max: int
    criteria: list[str]
    """Criterion ids in the rubric file's order."""
    weights: dict[str, float]


class FilterInfo(_M):
    models: list[str] | None
    rubrics: list[str] | None
    judges: list[str] | None
    langs: list[str] | None
    categories: list[str] | None
    seed: int
    n_boot: int


class Report(_M):
    format_version: int = FORMAT_VERSION
    generated_at: str
    database: str
    filters: FilterInfo
    note: str | None
    """A plain sentence shown above everything (e.g. demo data: not a real ranking)."""
    models: list[ModelInfo]
    rubrics: list[RubricInfo]
    sections: Sections


# -- helpers ------------------------------------------------------------------------------------

def _f(x: Any) -> float | None:
    """A float for JSON: NaN/inf/None -> None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _tuple(v: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if v is None:
        return None
    if isinstance(v, str):
        return tuple(s for s in (p.strip() for p in v.split(",")) if s) or None
    return tuple(v) or None


def cluster_ci(sums: np.ndarray, sizes: np.ndarray, *, n_boot: int, seed: int) -> stats.Estimate:
    """Mean of rows with a CI resampling clusters (prompts), from per-cluster sums and sizes.

    Same statistic and distribution as `stats.cluster_bootstrap_mean_ci` over the rows, but
    cheaper when cluster (sum, size) pairs repeat, as rubric scores do: equal sizes reduce it to
    a bootstrap of cluster means, and few distinct (sum, size) pairs to one multinomial draw per
    resample (the shortcut `stats._boot_means` uses). Clusters of size 0 are left out.
    """
    keep = sizes > 0
    s, z = sums[keep], sizes[keep]
    if s.size == 0:
        return stats.Estimate(math.nan, math.nan, math.nan, 0)
    n_rows = int(z.sum())
    if np.all(z == z[0]):
        e = stats.bootstrap_mean_ci(np.round(s / z[0], 9), n_boot=n_boot, seed=seed)
        return stats.Estimate(e.mean, e.lo, e.hi, n_rows)
    parts = [(np.unique(s[z == size], return_counts=True), size) for size in np.unique(z)]
    pairs = np.array([(v, size) for (vals, _), size in parts for v in vals])
    counts = np.concatenate([c for (_, c), _ in parts])
    if len(pairs) * 4 <= s.size:
        draws = np.random.default_rng(seed).multinomial(s.size, counts / s.size, size=n_boot)
        boot = (draws @ pairs[:, 0]) / (draws @ pairs[:, 1])
        lo, hi = np.quantile(boot, [0.025, 0.975])
        return stats.Estimate(float(s.sum() / z.sum()), float(lo), float(hi), n_rows)
    zi = z.astype(np.int64)
    return stats.cluster_bootstrap_mean_ci(np.repeat(s / z, zi), np.repeat(np.arange(s.size), zi),
                                           n_boot=n_boot, seed=seed)


def paired_diff(x: np.ndarray, y: np.ndarray, *, n_boot: int, seed: int) -> stats.PairedDiff:
    """`stats.paired_bootstrap_diff` on differences rounded to 1e-9 (see `Group.means`)."""
    d = np.round(x - y, 9)
    return stats.paired_bootstrap_diff(d, np.zeros_like(d), n_boot=n_boot, seed=seed)


def _aligned(a: Group, b: Group) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit means of two groups on the units both scored."""
    ua, ub = a.units[a.sizes > 0], b.units[b.sizes > 0]
    common, ia, ib = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    return a.means[a.sizes > 0][ia], b.means[b.sizes > 0][ib]


def _json(s: str | None) -> dict[str, Any]:
    try:
        v = json.loads(s) if s else {}
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


_FRIENDLY = {
    "quantization": "precision", "params.reasoning_effort": "reasoning effort",
    "extra_body.reasoning_effort": "reasoning effort", "extra_body.reasoning.effort": "reasoning effort",
    "extra_body.chat_template_kwargs.enable_thinking": "thinking",
    "extra_body.chat_template_kwargs.thinking": "thinking", "extra_body.think": "thinking",
}


def _show(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "on" if v else "off"
    return str(v)


def variant_differences(a: ModelInfo, b: ModelInfo) -> list[Difference]:
    """What differs between two variants: precision, reasoning effort, thinking, other params."""
    fa = {"quantization": a.quantization, **_flat(a.params, "params."), **_flat(a.extra_body, "extra_body.")}
    fb = {"quantization": b.quantization, **_flat(b.params, "params."), **_flat(b.extra_body, "extra_body.")}
    diffs: dict[str, Difference] = {}
    for k in sorted(set(fa) | set(fb), key=lambda k: (k not in _FRIENDLY, k)):
        if fa.get(k) != fb.get(k):
            what = _FRIENDLY.get(k, k.split(".", 1)[-1] if k.startswith("params.") else k)
            va, vb = fa.get(k), fb.get(k)
            if what == "thinking":  # an absent switch means the template default (on for Qwen3)
                va, vb = (True if va is None else va), (True if vb is None else vb)
                if va == vb:
                    continue
            diffs.setdefault(what, Difference(what=what, a=_show(va), b=_show(vb)))
    if not diffs and a.model_id != b.model_id:
        diffs["model id"] = Difference(what="model id", a=a.model_id, b=b.model_id)
    return list(diffs.values())


def _label(diffs: Iterable[Difference]) -> str:
    return "; ".join(f"{d.what} {d.a or '—'} → {d.b or '—'}" for d in diffs) or "same configuration"


# -- building -----------------------------------------------------------------------------------

class _Build:
    """The state shared by the section builders of one report."""

    def __init__(self, q: ReportData, seed: int, n_boot: int) -> None:
        self.q, self.seed, self.n_boot = q, seed, n_boot
        self.crit = q.groups("S", ["d", "m", "l"], unit="q", where="NOT is_check")
        self.tot_lang = q.groups("T", ["d", "m", "l"], unit="q")
        # Pooled over languages only where a model has verdicts in several (else `all` repeats a row).
        multi = {k for k, n in _count(_cell(g) for g in self.tot_lang).items() if n > 1}
        self.tot_all = [_with(g, lang="all") for g in q.groups("T", ["d", "m"], unit="q") if _cell(g) in multi]
        # For paired model differences the prompt is the unit: the pair's difficulty cancels in a
        # paired difference, and per-prompt differences keep the bootstrap's value set small.
        self.tot_all_prompts = [_with(g, lang="all") for g in q.groups("T", ["d", "m"], unit="p") if _cell(g) in multi]

    def ci(self, g: Group) -> stats.Estimate:
        return cluster_ci(g.sums, g.sizes, n_boot=self.n_boot, seed=self.seed)

    def score_row(self, g: Group) -> ScoreRow:
        e = self.ci(g)
        return ScoreRow(**g.key, mean=_f(e.mean), lo=_f(e.lo), hi=_f(e.hi), n=e.n, n_error=g.n_error,
                        n_units=int((g.sizes > 0).sum()))


def _cell(g: Group) -> tuple[Any, ...]:
    return (g.key["judge"], g.key["rubric"], g.key["rubric_version"], g.key["criterion"], g.key["model"])


def _count(items: Iterable[Any]) -> dict[Any, int]:
    out: dict[Any, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return out


def _overview(b: _Build) -> Overview:
    s = Overview(title="Scores by model and language")
    if not b.crit:
        s.skipped = "no judge verdicts in scope (run `judge grade`)"
        return s
    s.criteria = [b.score_row(g) for g in b.crit]
    s.totals = [b.score_row(g) for g in sorted(b.tot_lang + b.tot_all, key=lambda g: tuple(map(str, g.key.values())))]
    s.notes = ["Mean judge score with a 95 % bootstrap CI over prompts (samples of one prompt resampled together); "
               "n = scored answers, err = failed verdicts left out.",
               "weighted_total averages a verdict's criteria by their rubric weights; `all` pools languages, "
               "resampling RU/EN pairs."]
    return s


def _by_lang(groups: list[Group]) -> dict[tuple[Any, ...], dict[str, Group]]:
    out: dict[tuple[Any, ...], dict[str, Group]] = defaultdict(dict)
    for g in groups:
        k = g.key
        out[(k["judge"], k["rubric"], k["rubric_version"], k["criterion"], k["model"])][k["lang"]] = g
    return out


def _language_gap(b: _Build, langs: tuple[str, ...] | None) -> LanguageGap:
    s = LanguageGap(title="Language gap (RU − EN)")
    if langs and not {"ru", "en"} <= set(langs):
        s.skipped = "the report is filtered to one language"
        return s
    rows = []
    for (judge, rubric, _v, crit, model), by in _by_lang(b.tot_lang + b.crit).items():
        if "ru" not in by or "en" not in by:
            continue
        ru, en = _aligned(by["ru"], by["en"])
        if ru.size == 0:
            continue
        d = paired_diff(ru, en, n_boot=b.n_boot, seed=b.seed)
        rows.append(GapRow(judge=judge, rubric=rubric, criterion=crit, model=model, mean_ru=_f(ru.mean()),
                           mean_en=_f(en.mean()), diff=_f(d.mean), lo=_f(d.lo), hi=_f(d.hi), n_pairs=d.n,
                           p_value=_f(d.p_value), p_holm=None))
    if not rows:
        s.skipped = "no prompt pair has scored answers in both Russian and English"
        return s
    for r, p in zip(rows, stats.holm_correction([r.p_value for r in rows])):
        r.p_holm = _f(p)
    rows.sort(key=lambda r: (r.judge, r.rubric, r.criterion != TOTAL, r.criterion, r.model))
    s.rows = rows
    s.notes = ["Paired on RU/EN pairs both scored; CI: bootstrap over pairs; p: Wilcoxon, Holm-adjusted over the table."]
    one = sorted({g.key["rubric"] for g in b.tot_lang} - {r.rubric for r in rows})
    if one:
        s.notes.append(f"No gap for {', '.join(one)}: verdicts in one language only (e.g. a rubric for Russian answers).")
    return s


def _model_infos(q: ReportData) -> list[ModelInfo]:
    return [ModelInfo(model=r["model"], name=r["name"], variant=r["variant"], model_id=r["model_id"],
                      quantization=r["quantization"], base_model=r["base_model"], params=_json(r["params_json"]),
                      extra_body=_json(r["extra_body_json"]), current=bool(r["current"]),
                      n_generations=int(r["n_generations"])) for r in q.models()]


def _variant_pairs(models: list[ModelInfo]) -> list[VariantPair]:
    fam: dict[str, list[ModelInfo]] = defaultdict(list)
    for m in models:
        fam[m.base_model or m.name].append(m)
    out = []
    for base, ms in sorted(fam.items()):
        for a, c in itertools.combinations(sorted(ms, key=lambda m: m.model), 2):
            d = variant_differences(a, c)
            out.append(VariantPair(base_model=base, model_a=a.model, model_b=c.model, differs=d, label=_label(d)))
    return out


def _model_deltas(b: _Build, models: list[ModelInfo]) -> ModelDeltas:
    s = ModelDeltas(title="Model differences and variants")
    variants = {(v.model_a, v.model_b): v for v in _variant_pairs(models)}
    cells: dict[tuple[Any, ...], dict[str, Group]] = defaultdict(dict)
    for g in b.tot_all_prompts + b.tot_lang:
        k = g.key
        cells[(k["judge"], k["rubric"], k["lang"])][k["model"]] = g
    rows = []
    for (judge, rubric, lang), by in cells.items():
        for ma, mb in itertools.combinations(sorted(by), 2):
            xa, xb = _aligned(by[ma], by[mb])
            if xa.size == 0:
                continue
            d = paired_diff(xa, xb, n_boot=b.n_boot, seed=b.seed)
            v = variants.get((ma, mb))
            rows.append(DeltaRow(judge=judge, rubric=rubric, lang=lang, model_a=ma, model_b=mb, mean_a=_f(xa.mean()),
                                 mean_b=_f(xb.mean()), diff=_f(d.mean), lo=_f(d.lo), hi=_f(d.hi), n=d.n,
                                 p_value=_f(d.p_value), p_holm=None, variant_of=v.base_model if v else None,
                                 differs=v.label if v else None))
    if not rows:
        s.skipped = "needs at least two models with verdicts on the same prompts"
        return s
    for r, p in zip(rows, stats.holm_correction([r.p_value for r in rows])):
        r.p_holm = _f(p)
    lang_order = {"all": 0, "en": 1, "ru": 2}
    rows.sort(key=lambda r: (r.judge, r.rubric, lang_order.get(r.lang, 3), r.lang, r.model_a, r.model_b))
    s.rows = rows
    s.variants = list(variants.values())
    s.flips = _flips(b, s.variants)
    s.notes = ["diff = A − B on the weighted rubric total over prompts both answered; "
               "CI: paired bootstrap; p: Wilcoxon signed-rank, Holm-adjusted across the table."]
    if not s.variants:
        s.notes.append("No two models share a base_model, so no variants are compared (set `base_model` in judge.toml).")
    elif not s.flips:
        s.notes.append("Flip rates need check:answer verdicts (prompts with a machine-checkable answer).")
    return s


def _flips(b: _Build, variants: list[VariantPair]) -> list[FlipRow]:
    codes = b.q.codes(criterion="correct", is_check=True)
    if not variants or not codes:
        return []
    unit = "p * 1000000 + sample"  # align (prompt, sample): the same draw of each variant
    where = f"d IN {int_list(codes)}"
    groups = b.q.groups("S", ["m", "l"], unit=unit, where=where) + [
        _with(g, lang="all") for g in b.q.groups("S", ["m"], unit=unit, where=where)]
    by = {(g.key["model"], g.key["lang"]): g for g in groups}
    langs = sorted({g.key["lang"] for g in groups}, key=lambda x: (x != "all", x))
    out = []
    for v in variants:
        for lang in langs:
            ga, gb = by.get((v.model_a, lang)), by.get((v.model_b, lang))
            if ga is None or gb is None:
                continue
            xa, xb = _aligned(ga, gb)
            fr = stats.flip_rate(list(xa > 0.5), list(xb > 0.5))
            out.append(FlipRow(base_model=v.base_model, model_a=v.model_a, model_b=v.model_b, lang=lang,
                               rate=_f(fr.rate), n=fr.n, a_only=fr.a_only, b_only=fr.b_only,
                               accuracy_a=_f(xa.mean()) if xa.size else None,
                               accuracy_b=_f(xb.mean()) if xb.size else None))
    return out


def _with(g: Group, **key: Any) -> Group:
    g.key.update(key)
    return g


def _depth(b: _Build) -> Depth:
    s = Depth(title="Depth of thinking")
    summary, bins, vec = b.q.depth()
    if not summary or not any((r["mean_tokens"] or 0) > 0 for r in summary):
        s.skipped = "no model reported reasoning tokens"
        return s
    cells = np.stack([vec["d"].astype(np.uint64), vec["m"].astype(np.uint64)], axis=1) if vec["d"].size else None
    for r in summary:
        key = b.q.decode({"d": int(r["d"]), "m": int(r["m"])})
        rho = math.nan
        if cells is not None:
            sel = (cells[:, 0] == np.uint64(r["d"])) & (cells[:, 1] == np.uint64(r["m"]))
            rho = stats.spearman(vec["tokens"][sel], vec["score"][sel])
        s.rows.append(DepthRow(judge=key["judge"], rubric=key["rubric"], model=key["model"], n=int(r["n"]),
                               mean_reasoning_tokens=_f(r["mean_tokens"]), median_reasoning_tokens=_f(r["median_tokens"]),
                               estimated_share=_f(r["estimated_share"]), mean_score=_f(r["mean_score"]),
                               spearman=_f(rho)))
    for r in bins:
        key = b.q.decode({"d": int(r["d"]), "m": int(r["m"])})
        s.bins.append(DepthBin(judge=key["judge"], rubric=key["rubric"], model=key["model"], bin=int(r["bin"]),
                               reasoning_tokens=_f(r["tokens"]), score=_f(r["score"]), n=int(r["n"])))
    s.rows.sort(key=lambda r: (r.judge, r.rubric, r.model))
    s.bins.sort(key=lambda r: (r.judge, r.rubric, r.model, r.bin))
    s.notes = ["Score = the rubric's weighted total per answer; spearman = rank correlation with reasoning tokens "
               "(positive: longer thinking goes with better answers)."]
    est = sorted({r.model for r in s.rows if (r.estimated_share or 0) > 0})
    if est:
        s.notes.append(f"Reasoning token counts are estimated from the reasoning text for: {', '.join(est)}.")
    return s


def _pairwise(b: _Build) -> Pairwise:
    s = Pairwise(title="Pairwise preferences")
    games: dict[tuple[str, str], list[tuple[str, str, str | None]]] = defaultdict(list)
    for r in b.q.pairwise_counts():
        games[(r["judge"], r["rubric"])].extend([(r["model_a"], r["model_b"], r["result"])] * int(r["n"]))
    for (judge, rubric), outcomes in sorted(games.items()):
        wr = stats.win_rates(outcomes)
        bt = stats.bradley_terry_ci(outcomes, n_boot=b.n_boot, seed=b.seed)
        for model, w in sorted(wr.items(), key=lambda kv: -(bt[kv[0]].mean if kv[0] in bt else 0)):
            e = bt.get(model)
            s.rows.append(PairwiseRow(judge=judge, rubric=rubric, model=model, wins=w.wins, losses=w.losses,
                                      ties=w.ties, n=w.n, win_rate=_f(w.rate), lo=_f(w.lo), hi=_f(w.hi),
                                      rating=_f(e.mean) if e else None, rating_lo=_f(e.lo) if e else None,
                                      rating_hi=_f(e.hi) if e else None))
    if not s.rows:
        s.skipped = "no pairwise comparisons (run `judge grade --mode pairwise`)"
        return s
    s.notes = ["A game is one criterion of one pair judged in both orders; orders that disagree count as a tie. "
               "Win rate: ties as half, Wilson CI. Rating: Bradley-Terry, bootstrap CI over games."]
    return s


def _accuracy(b: _Build) -> Accuracy:
    s = Accuracy(title="Checkable accuracy")
    codes = b.q.codes(criterion="correct", is_check=True)
    groups: list[Group] = []
    if codes:  # a check that cannot measure an answer stores no score and no error: that is its "err"
        where, failed = f"d IN {int_list(codes)}", "score IS NULL"
        groups = b.q.groups("S", ["m", "l"], unit="q", where=where, failed=failed) + [
            _with(g, lang="all") for g in b.q.groups("S", ["m"], unit="q", where=where, failed=failed)]
    for g in sorted(groups, key=lambda g: (g.key["model"], g.key["lang"] != "all", g.key["lang"])):
        e = b.ci(g)
        s.rows.append(AccuracyRow(model=g.key["model"], lang=g.key["lang"], mean=_f(e.mean), lo=_f(e.lo), hi=_f(e.hi),
                                  n=e.n, n_error=g.n_error))
    if not s.rows:
        s.skipped = "no prompt has a machine-checkable answer (the dataset's `answer` field), so no check:answer verdicts"
        return s
    s.notes = ["Share of answers whose final answer matches the dataset's (check:answer); 95 % CI over prompts. "
               "err = answers the check could not measure."]
    return s


def _fidelity(b: _Build) -> LanguageFidelity:
    s = LanguageFidelity(title="Language fidelity")
    codes = b.q.codes(criterion="language_match", is_check=True)
    if not codes:
        s.skipped = "no check:language verdicts (the deterministic checks were turned off)"
        return s
    extra = {(b.q.models_of[r["m"]], b.q.langs_of[r["l"]]): r for r in b.q.fidelity()}
    for g in b.q.groups("S", ["m", "l"], unit="q", value="1 - score", where=f"d IN {int_list(codes)}"):
        e = b.ci(g)
        r = extra.get((g.key["model"], g.key["lang"]), {})
        s.rows.append(FidelityRow(model=g.key["model"], lang=g.key["lang"], n=e.n, wrong_language_rate=_f(e.mean),
                                  lo=_f(e.lo), hi=_f(e.hi), mixed_script_mean=_f(r.get("mixed_mean")),
                                  mixed_script_share=_f(r.get("mixed_share")), latin_share_mean=_f(r.get("latin_mean")),
                                  latin_share_over=_f(r.get("latin_over_share"))))
    s.notes = ["Wrong language: the answer is not in the prompt's language (check:language), 95 % CI over prompts. "
               "Mixed-script words mix Latin and Cyrillic letters; Latin share is measured on Russian answers only."]
    return s


def _cost(b: _Build) -> Cost:
    s = Cost(title="Cost and speed")
    s.rows = [CostRow(model=r["model"], lang=r["lang"], n=int(r["n"]), n_error=int(r["n_error"]),
                      n_truncated=int(r["n_truncated"]), prompt_tokens=_f(r["prompt_tokens"]),
                      completion_tokens=_f(r["completion_tokens"]), reasoning_tokens=_f(r["reasoning_tokens"]),
                      reasoning_estimated_share=_f(r["reasoning_estimated_share"]),
                      latency_p50_ms=_f(r["latency_p50_ms"]), latency_p95_ms=_f(r["latency_p95_ms"]),
                      tokens_per_s=_f(r["tokens_per_s"])) for r in b.q.cost()]
    if not s.rows:
        s.skipped = "no generations in scope"
        return s
    s.notes = ["Means per answer; latency percentiles over answers; tokens/s = median of completion tokens / latency "
               "(completion tokens include reasoning)."]
    return s


def _judge_reliability(b: _Build) -> JudgeReliability:
    s = JudgeReliability(title="Judge reliability")
    q, notes = b.q, []
    swaps: dict[tuple[str, str], list[tuple[str | None, str | None]]] = defaultdict(list)
    for r in q.swap_counts():
        swaps[(r["judge"], r["rubric"])].extend([(r["order1"], r["order2"])] * int(r["n"]))
    for (judge, rubric), pairs in sorted(swaps.items()):
        c = stats.swap_consistency(pairs)
        s.swap.append(SwapRow(judge=judge, rubric=rubric, n=c.n, consistency=_f(c.rate), lo=_f(c.lo), hi=_f(c.hi),
                              first_position_rate=_f(c.first_position_rate)))
    if not s.swap:
        notes.append("Position swap: no pairwise comparisons.")
    for r in q.check_agreement():
        key = q.decode({"d": int(r["d"])})
        x = np.repeat(np.asarray(r["scores"], float), np.asarray(r["n1s"]) + np.asarray(r["n0s"]))
        y = np.concatenate([np.r_[np.ones(a), np.zeros(c)] for a, c in zip(r["n1s"], r["n0s"])])
        s.check_agreement.append(CheckAgreementRow(
            judge=key["judge"], rubric=key["rubric"], criterion=key["criterion"], n=int(r["n"]),
            spearman=_f(stats.spearman(x, y)), point_biserial=_f(r["point_biserial"]), auc=_f(r["auc"]),
            mean_score_correct=_f(r["mean_correct"]), mean_score_wrong=_f(r["mean_wrong"])))
    if not s.check_agreement:
        notes.append("Agreement with check:answer: no answer has both a `correctness` score and a check:answer verdict.")
    pooled: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for (judge, rubric, _v, _c, _m), by in _by_lang(b.crit).items():
        if "ru" in by and "en" in by:
            pooled[(judge, rubric)].append(_aligned(by["ru"], by["en"]))
    for (judge, rubric), parts in sorted(pooled.items()):
        ru, en = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        if ru.size:
            s.cross_language.append(CrossLanguageRow(judge=judge, rubric=rubric, n=int(ru.size),
                                                     spearman=_f(stats.spearman(ru, en)),
                                                     mean_abs_diff=_f(np.abs(ru - en).mean())))
    if not s.cross_language:
        notes.append("RU/EN consistency: no pair scored in both languages.")
    s.self_judged = _self_judged(q)
    s.human = _human(q)
    if not s.human:
        notes.append("Human agreement: no human labels (table human_labels) on the verdicts in scope.")
    if not (s.swap or s.check_agreement or s.cross_language or s.human):
        s.skipped = "nothing to measure the judge against: no pairwise swaps, checkable answers, RU/EN pairs or human labels"
        return s
    s.notes = ["Swap consistency: the same pair judged in both orders names the same winner (Wilson CI); "
               "first-position rate 0.5 = no position bias.",
               "Agreement with check:answer: the judge's `correctness` score against the machine check "
               "(AUC 1 = always scores correct answers higher).",
               "RU/EN consistency: a model's score on the Russian and English versions of one task "
               "(the same task should get about the same score).", *notes]
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
    return [SelfJudgedRow(judge=j, n=int(a[0]), n_self=int(a[1]), share=_f(a[1] / a[0]) if a[0] else None,
                          mean_self=_f(a[2] / a[3]) if a[3] else None, mean_other=_f(a[4] / a[5]) if a[5] else None)
            for j, a in sorted(acc.items())]


def _human(q: ReportData) -> list[HumanRow]:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in q.human():
        dm = q.dims[int(r["d"])]
        by[(dm.judge, dm.rubric, dm.rubric_version)].append(r)
    scales = {(r.rubric, r.rubric_version): (r.scale_min, r.scale_max) for r in _rubric_infos(q)}
    out = []
    for (judge, rubric, version), rows in sorted(by.items()):
        lo, hi = scales.get((rubric, version), (1, 5))
        seen = {float(r["human"]) for r in rows} | {float(r["judge_score"]) for r in rows if r["judge_score"] is not None}
        cats = sorted(set(map(float, range(lo, hi + 1))) | seen)
        kappa = stats.weighted_kappa([r["judge_score"] for r in rows], [r["human"] for r in rows], categories=cats)
        units = sorted({r["unit"] for r in rows})
        annotators = sorted({r["annotator"] for r in rows})
        ui, ai = {u: i for i, u in enumerate(units)}, {a: i + 1 for i, a in enumerate(annotators)}
        m = np.full((len(annotators) + 1, len(units)), np.nan)
        for r in rows:
            m[0, ui[r["unit"]]] = np.nan if r["judge_score"] is None else r["judge_score"]
            m[ai[r["annotator"]], ui[r["unit"]]] = r["human"]
        out.append(HumanRow(judge=judge, rubric=rubric, n_items=len(units), n_labels=len(rows),
                            n_annotators=len(annotators), weighted_kappa=_f(kappa),
                            alpha=_f(stats.krippendorff_alpha_ordinal(m)),
                            alpha_humans=_f(stats.krippendorff_alpha_ordinal(m[1:])) if len(annotators) > 1 else None))
    return out


def _caveats(counts: dict[str, Any], report: Sections, note: str | None, demo: bool) -> Caveats:
    s = Caveats(title="Caveats")
    c = counts
    s.generations, s.failed_generations = int(c["generations"]), int(c["failed_generations"])
    s.verdicts, s.failed_verdicts = int(c["verdicts"]), int(c["failed_verdicts"])
    s.comparisons, s.failed_comparisons = int(c["comparisons"]), int(c["failed_comparisons"])
    s.unmeasured_checks, s.retired_generations = int(c["unmeasured_checks"]), int(c["retired_generations"])
    s.rubric_versions = [RubricVersionRow(**r) for r in c["rubric_versions"]]
    s.judges = sorted({r.judge for r in s.rubric_versions if r.included})
    s.demo = demo
    cells = report.overview.criteria
    s.small_cells = sum(1 for r in cells if r.n_units < SMALL_N)
    items = []
    if note:
        items.append(note)
    items.append(f"{s.generations} generations in scope; {s.failed_generations} failed and are left out.")
    items.append(f"{s.verdicts} judge verdicts; {s.failed_verdicts} failed (stored as errors, never scored) and are "
                 "left out of the means (the err columns).")
    if s.comparisons:
        items.append(f"{s.comparisons} pairwise comparisons; {s.failed_comparisons} failed and are left out.")
    if s.unmeasured_checks:
        items.append(f"{s.unmeasured_checks} check rows could not be measured and are left out.")
    used = [f"{r.rubric} {r.rubric_version}" + ("" if r.current else " (retired)") for r in s.rubric_versions if r.included]
    if used:
        items.append(f"Rubric versions: {', '.join(sorted(set(used)))}; judges: {', '.join(s.judges)}.")
    old = sum(r.n_rows for r in s.rubric_versions if not r.included)
    if old:
        items.append(f"{old} verdict rows of other rubric versions or judges are left out.")
    if s.retired_generations:
        items.append(f"{s.retired_generations} generations of retired model variants are left out "
                     "(include one with --models name@variant).")
    if cells:
        lo, hi = min(r.n_units for r in cells), max(r.n_units for r in cells)
        items.append(f"Each score cell (model × language × criterion) rests on {lo}–{hi} prompts"
                     + (f"; {s.small_cells} of {len(cells)} on fewer than {SMALL_N}, whose intervals are wide."
                        if s.small_cells else "."))
    selfj = [r for r in report.judge_reliability.self_judged if r.n_self]
    for r in selfj:
        items.append(f"Judge {r.judge} also competes: {100 * (r.share or 0):.1f} % of its verdict rows judge its own "
                     "answers (see Judge reliability).")
    s.items = items
    return s


def build_report(
    store: Store,
    *,
    models: str | Sequence[str] | None = None,
    rubric: str | Sequence[str] | None = None,
    judge: str | Sequence[str] | None = None,
    lang: str | Sequence[str] | None = None,
    category: str | Sequence[str] | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    note: str | None = None,
) -> Report:
    """Build the report from a store (read-only is enough).

    Filters take one value, a comma-separated string or a list. By default the report covers
    current model variants and current rubric versions; `models` may name a retired variant by
    its label (`name@xxxxxxxx`) and `rubric` an older version as `name@version-prefix`.
    `note` is shown above everything; without it, demo data (a run recorded with `demo = true`,
    or contestants all tagged "demo") gets the demo sentence.
    """
    filters = Filters(models=_tuple(models), rubrics=_tuple(rubric), judges=_tuple(judge), langs=_tuple(lang),
                      categories=_tuple(category))
    with ReportData(store, filters) as q:
        b = _Build(q, seed, n_boot)
        infos = _model_infos(q)
        rubrics = _rubric_infos(q)
        demo = q.demo_flag()
        note = note or (DEMO_NOTE if demo else None)
        sections: dict[str, Any] = {
            "overview": _overview(b),
            "language_gap": _language_gap(b, filters.langs),
            "model_deltas": _model_deltas(b, infos),
            "depth": _depth(b),
            "pairwise": _pairwise(b),
            "accuracy": _accuracy(b),
            "language_fidelity": _fidelity(b),
            "cost": _cost(b),
            "judge_reliability": _judge_reliability(b),
        }
        partial = Sections.model_construct(**sections, caveats=Caveats(title="Caveats"))
        sections["caveats"] = _caveats(q.counts(), partial, note, demo)
    return Report(
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        database=str(store.path), note=note, models=infos, rubrics=rubrics,
        filters=FilterInfo(models=_l(filters.models), rubrics=_l(filters.rubrics), judges=_l(filters.judges),
                           langs=_l(filters.langs), categories=_l(filters.categories), seed=seed, n_boot=n_boot),
        sections=Sections(**sections),
    )


def _l(t: tuple[str, ...] | None) -> list[str] | None:
    return list(t) if t else None


def _rubric_infos(q: ReportData) -> list[RubricInfo]:
    weights: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for dm in q.dims.values():
        if not dm.is_check and dm.criterion != TOTAL:
            weights[(dm.rubric, dm.rubric_version)][dm.criterion] = float(dm.weight if dm.weight is not None else 1.0)
    out = []
    for r in q.rubrics():
        w = weights.get((r["rubric"], r["rubric_version"]), {})
        listed = [c for c in (_json_list(r["criteria_json"])) if c in w]
        order = listed + sorted(set(w) - set(listed))
        out.append(RubricInfo(rubric=r["rubric"], rubric_version=r["rubric_version"], current=bool(r["current"]),
                              scale_min=int(r["scale_min"]), scale_max=int(r["scale_max"]), criteria=order,
                              weights={c: w[c] for c in order}))
    return out


def _json_list(s: str | None) -> list[str]:
    try:
        v = json.loads(s) if s else []
    except ValueError:
        return []
    return [str(x) for x in v] if isinstance(v, list) else []


def render(report: Report, fmt: Fmt = "terminal", console: Any = None) -> str | None:
    """Render a report. terminal: printed to `console` (returns None) or returned as text without one;
    md / html / json: returned as a string."""
    if fmt == "json":
        return report.model_dump_json(indent=2)
    if fmt == "md":
        from .report_md import to_markdown

        return to_markdown(report)
    if fmt == "html":
        from .report_html import to_html

        return to_html(report)
    if fmt == "terminal":
        from .report_md import to_terminal

        return to_terminal(report, console)
    raise ValueError(f"unknown report format {fmt!r} (terminal, md, html, json)")
