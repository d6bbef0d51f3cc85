"""The report's data model: the Pydantic records `judge report` fills and renders.

`Report.model_dump_json()` is the JSON form: every key below is part of the format
(`FORMAT_VERSION` changes when a key is renamed or removed); NaN becomes null.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from judge.report.length import LengthBias
from judge.report.model_answers import _M, Answers, GateRow, Section
from judge.report.model_human import HumanRow
from judge.report.model_judge import RoleCostRow, StabilityRow, ThinkingRow
from judge.report.model_jury import Jury

FORMAT_VERSION = 1


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
    n_na: int = 0
    """Rows where the criterion does not apply (an English answer graded for Russian fluency):
    counted, never averaged."""


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
    sd: float | None = None
    """SD of the per-pair differences."""
    mde: float | None = None
    """Minimum detectable effect: the smallest true gap found 80 % of the time at this n (α = 0.05, paired)."""
    trusted: bool | None = None
    """Whether the validity gate trusts the judge here (None: not assessed); a CI excluding 0 is starred only
    when trusted."""


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
    """What tells the two models apart, e.g. `precision bf16 → fp8`; for two families it starts with
    `family A → B`."""
    sd: float | None = None
    """SD of the per-prompt differences."""
    mde: float | None = None
    """Minimum detectable effect: the smallest true difference found 80 % of the time at this n (α = 0.05)."""
    trusted: bool | None = None
    """Whether the validity gate trusts the judge here (None: not assessed)."""


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
    lo: float | None = None
    """95 % bootstrap CI of `rate`, over items."""
    hi: float | None = None


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
    length: LengthBias | None = None
    """How often the longer answer won, and length/style-controlled ratings (judge.report.length)."""


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
    roles: list[RoleCostRow] = Field(default_factory=list)
    """The judge's calls kept apart from the contestants' (tokens, time, money), per role × model."""


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


class JudgeReliability(Section):
    stability: list[StabilityRow] = Field(default_factory=list)
    """Per criterion, the same answers graded several times (`judge grade --repeats K`)."""
    thinking: list[ThinkingRow] = Field(default_factory=list)
    """Verdicts re-asked or lost because the judge spent its budget on reasoning."""
    swap: list[SwapRow] = Field(default_factory=list)
    check_agreement: list[CheckAgreementRow] = Field(default_factory=list)
    cross_language: list[CrossLanguageRow] = Field(default_factory=list)
    self_judged: list[SelfJudgedRow] = Field(default_factory=list)
    human: list[HumanRow] = Field(default_factory=list)
    """Agreement with human labels per judge × rubric, every criterion pooled (the gate reads these)."""
    human_cells: list[HumanRow] = Field(default_factory=list)
    """The same per criterion × language: where the labels are too few, `labels_needed` says how many more."""
    gate: list[GateRow] = Field(default_factory=list)
    """The validity gate: each test of each judge × rubric (× criterion, × language where measured)."""


class RubricVersionRow(_M):
    rubric: str
    rubric_version: str
    judge: str
    current: bool
    included: bool
    n_rows: int


class UncoveredRow(_M):
    model: str
    lang: str
    category: str | None
    n: int
    """Answers (status ok) that no current rubric applies to, by its `applies_to` languages and categories."""


class UnjudgedRow(_M):
    rubric: str
    rubric_version: str
    judge: str | None
    """None: no LLM judge (in scope) has graded this rubric version at all."""
    n: int
    """Answers the rubric applies to that have no verdict row of this judge."""


class JudgeConfigRow(_M):
    judge: str
    rubric: str
    rubric_version: str
    n_configs: int
    """Judge configurations (judge_variant × prompts_version) whose verdicts share this judge's cells."""


class Caveats(Section):
    items: list[str] = Field(default_factory=list)
    generations: int = 0
    failed_generations: int = 0
    verdicts: int = 0
    failed_verdicts: int = 0
    not_applicable_rows: int = 0
    comparisons: int = 0
    failed_comparisons: int = 0
    unmeasured_checks: int = 0
    retired_generations: int = 0
    small_cells: int = 0
    """Score cells with fewer than 30 scored prompts."""
    rubric_versions: list[RubricVersionRow] = Field(default_factory=list)
    judges: list[str] = Field(default_factory=list)
    demo: bool = False
    uncovered_answers: int = 0
    """Answers in scope that no current rubric covers: no judge will grade them."""
    uncovered: list[UncoveredRow] = Field(default_factory=list)
    unjudged: list[UnjudgedRow] = Field(default_factory=list)
    judge_configs: list[JudgeConfigRow] = Field(default_factory=list)


class Sections(_M):
    answers: Answers
    overview: Overview
    language_gap: LanguageGap
    model_deltas: ModelDeltas
    depth: Depth
    pairwise: Pairwise
    accuracy: Accuracy
    language_fidelity: LanguageFidelity
    cost: Cost
    judge_reliability: JudgeReliability
    jury: Jury = Field(default_factory=lambda: Jury(title="Jury", skipped="one LLM judge per rubric in scope"))
    """Several judges of a rubric: their consensus, agreement, cross-judging and self-preference."""
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
    include_reasoning: bool | None = None
    """Whether the judge saw the models' reasoning traces; false: it graded the visible answer only."""
    judges: list[str] = Field(default_factory=list)
    """LLM judges with verdicts or comparisons of this rubric (any version) in the database, whatever the
    filters. With more than one, every table row from this rubric's verdicts names its judge."""


class FilterInfo(_M):
    models: list[str] | None
    rubrics: list[str] | None
    judges: list[str] | None
    langs: list[str] | None
    categories: list[str] | None
    seed: int
    n_boot: int


class LegendEntry(_M):
    symbol: str
    """A mark, abbreviation or notation as the report prints it."""
    meaning: str


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
    legend: list[LegendEntry] = Field(default_factory=list)
    """What each symbol and abbreviation printed in this report means (the HTML adds its plots' marks)."""
