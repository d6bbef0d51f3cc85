"""The marks the report prints, and the legend that explains them.

Every upper-case string constant below is a mark some renderer prints (the renderers import them
rather than spell them out), and every mark must belong to a legend entry: the tests read this
module's constants, so a mark added here without an entry fails them. `select` keeps the entries
whose marks occur in a report's printed text, so a legend lists what that report shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from judge.report.model import LegendEntry

# -- marks --------------------------------------------------------------------------------------

MISSING = "—"
"""No value (an em dash)."""
SIG_STAR = "*"
PLUS = "+"
MINUS = "−"
"""Between two things subtracted (RU − EN, A − B); negative numbers keep the ASCII hyphen-minus."""
ABS_DIFF = "|RU − EN|"
ARROW = "→"
TIMES = "×"
RANGE_DASH = "–"
PERCENT = "%"
CI_OPEN = "["
CI = "CI"
P_FLOOR = "<0.001"
P_HOLM = "p (Holm)"
P = "p"
N = "n"
N_ERR = "n (err)"
NA = "n/a"
ERR = "err"
THOUSANDS_SEP = " "
"""Between groups of three digits: 12 345."""
ALL_LANGS = "all"
EN, RU, EN_UP, RU_UP = "en", "ru", "EN", "RU"
TOTAL_LABEL = "total (weighted)"
TOTAL_KEY = "weighted_total"
MODEL_A, MODEL_B = "A", "B"
VARIANT_AT = "@"
RETIRED = "(retired)"
RHO = "ρ"
POINT_BISERIAL = "point-biserial r"
AUC = "AUC"
KAPPA = "κ"
ALPHA = "α"
BRADLEY_TERRY = "Bradley-Terry"
TOK, TOK_S = "tok", "tok/s"
P50, P95, SECONDS = "p50", "p95", "(s)"
ESTIMATED = "estimated"
ACC = "acc."
CHECK = "check:"
MDE = "MDE"
NOT_TRUSTED = "not trusted"
GATE_PASS, GATE_FAIL, GATE_UNMEASURED = "pass", "fail", "not measured"


@dataclass(frozen=True)
class Entry:
    """One legend line: the symbol as shown, what it means, and the marks whose presence calls for it."""

    symbol: str
    meaning: str
    marks: tuple[str, ...]
    pattern: str | None = None
    """A regex that finds the entry in printed text, for marks a substring test cannot (a digit-group space)."""


LEGEND: tuple[Entry, ...] = (
    Entry(
        "3.45 [3.30, 3.62]",
        "a mean and its 95 % confidence interval (CI) [low, high]: bootstrap over prompts (over RU/EN pairs "
        "for `all` and for RU − EN), Wilson interval for rates",
        (CI_OPEN, CI),
    ),
    Entry(
        "+0.18 [+0.04, +0.34] *",
        "a signed difference (+: the first is higher) with its 95 % CI; * marks a CI that excludes 0 where the "
        "validity gate trusts the judge",
        (PLUS, SIG_STAR),
        # a + before a number, or a starred interval ("judge + humans" needs no legend)
        pattern=r"(?<![\w.])\+\d|\] \*",
    ),
    Entry("A − B, RU − EN", "a difference: the first minus the second (RU − EN below 0: lower in Russian)", (MINUS,)),
    Entry("|RU − EN|", "the size of a difference, whatever its sign", (ABS_DIFF,)),
    Entry(
        MISSING,
        "no value: nothing to measure there (e.g. Latin share of English answers), or, in a variant label, "
        "a setting left unset",
        (MISSING,),
    ),
    Entry("12.3 %", "a percentage; a rate's interval [low, high] is in percent too", (PERCENT,)),
    Entry(
        "p (Holm)",
        "p-value of a Wilcoxon signed-rank test, Holm-adjusted over every row of its table",
        (P_HOLM, P),
    ),
    Entry(P_FLOOR, "a p-value below 0.001", (P_FLOOR,)),
    Entry(N, "how many answers, pairs, items or games a number rests on", (N,)),
    Entry(
        "n (err), 192 (2)",
        "scored answers, and in brackets the failed verdicts (or answers a check could not measure) left out "
        "of the mean; the brackets appear only when some failed",
        (N_ERR, ERR),
    ),
    Entry(
        "+3 n/a",
        "answers the criterion does not apply to (e.g. an English answer graded for Russian fluency, or "
        "self-verification of a one-step task): counted beside n, never averaged into the mean",
        (NA,),
    ),
    Entry("12 345", "digits grouped by thousands with a space", (THOUSANDS_SEP,), pattern=r"\d \d{3}(?!\d)"),
    Entry("en, ru, EN, RU", "the language of the prompt and answer: English, Russian", (EN, RU, EN_UP, RU_UP)),
    Entry(ALL_LANGS, "all languages pooled (resampling each RU/EN pair together)", (ALL_LANGS,)),
    Entry(
        "total (weighted), weighted_total",
        "a verdict's criteria averaged by their rubric weights (counted only when every criterion was scored)",
        (TOTAL_LABEL, TOTAL_KEY),
    ),
    Entry("A, B", "the two models a row compares, A listed first", (MODEL_A, MODEL_B)),
    Entry(ARROW, "what differs between two variants: A's setting → B's setting", (ARROW,)),
    Entry(
        "name@xxxxxxxx, rubric@version",
        "a retired variant of a model (the first 8 hex digits of its configuration hash); a rubric version",
        (VARIANT_AT,),
    ),
    Entry(RETIRED, "a model variant or rubric version that is no longer current", (RETIRED,)),
    Entry(TIMES, "by: one cell per combination (model × language: one per model and language)", (TIMES,)),
    Entry("94–100", "a range, from the first number to the second", (RANGE_DASH,)),
    Entry(RHO, "Spearman rank correlation, −1 to 1 (above 0: the two rise together)", (RHO,)),
    Entry(POINT_BISERIAL, "Pearson correlation of a judge's score with right (1) / wrong (0)", (POINT_BISERIAL,)),
    Entry(
        AUC,
        "the chance the judge scores a right answer above a wrong one (ties count half; 0.5 = chance, 1 = always)",
        (AUC,),
    ),
    Entry(KAPPA, "quadratic-weighted Cohen's kappa, judge against human labels (0 = chance, 1 = perfect)", (KAPPA,)),
    Entry(ALPHA, "Krippendorff's alpha (ordinal) over all raters (0 = chance, 1 = perfect)", (ALPHA,)),
    Entry(
        BRADLEY_TERRY,
        "a strength rating fitted to pairwise games: mean 1000, 400 points apart = 10:1 odds",
        (BRADLEY_TERRY,),
    ),
    Entry("tok, tok/s", "tokens; completion tokens per second of latency (median over answers)", (TOK, TOK_S)),
    Entry("p50, p95, (s)", "median and 95th-percentile latency, in seconds", (P50, P95, SECONDS)),
    Entry(
        ESTIMATED,
        "share of answers whose reasoning-token count was estimated from the reasoning text (the endpoint "
        "reported none)",
        (ESTIMATED,),
    ),
    Entry(ACC, "accuracy: share of answers check:answer finds right", (ACC,)),
    Entry(
        MDE,
        "minimum detectable effect: the smallest true difference the comparison finds 80 % of the time "
        "(two-sided test at the 5 % level, paired over the same prompts); smaller real differences usually "
        "go unseen, so a CI crossing 0 does not mean there is no difference",
        (MDE,),
    ),
    Entry(
        "halo 0.97 > 0.60, swap consistency 0.40 < 0.65",
        "a validity-gate test the judge failed: the measured value beyond its threshold ([report.gate] in "
        "judge.toml); where the judge is not trusted no line is decided and no CI is starred",
        (NOT_TRUSTED, GATE_FAIL),
        pattern=r"\d [<>=] \d|not trusted",
    ),
    Entry(
        "pass, fail, not measured",
        "a validity-gate test's result; not measured: too few units (min_n) or no data for it, never a pass",
        (GATE_PASS, GATE_UNMEASURED),
    ),
    Entry(
        "check:answer, check:language",
        "deterministic checks, not an LLM judge: the final answer against the dataset's; the answer's language "
        "and scripts",
        (CHECK,),
    ),
)

PLOT_LEGEND: tuple[LegendEntry, ...] = (
    LegendEntry(symbol="● (dot)", meaning="a mean; its colour is the language or model named above the plot"),
    LegendEntry(symbol="── (whisker)", meaning="the dot's 95 % confidence interval"),
    LegendEntry(symbol="▬ (bar)", meaning="a difference drawn from 0 (RU − EN gap)"),
    LegendEntry(symbol="┆ (dashed line)", meaning="the reference: 0 (no difference) or 1000 (an average rating)"),
)
"""The HTML plots' marks (the other formats draw no plots)."""


def marks() -> dict[str, str]:
    """Every mark constant of this module: name -> text."""
    return {k: v for k, v in globals().items() if k.isupper() and isinstance(v, str)}


def _regex(mark: str) -> str:
    # A mark starting or ending in a letter must stand alone there ("all" is not "small"; "p" not "p50").
    head = r"(?<!\w)" if mark[:1].isalnum() else ""
    tail = r"(?!\w)" if mark[-1:].isalnum() else ""
    return head + re.escape(mark) + tail


def found(entry: Entry, text: str) -> bool:
    """Whether `text` prints one of the entry's marks."""
    if entry.pattern is not None:
        return re.search(entry.pattern, text) is not None
    return any(re.search(_regex(m), text) for m in entry.marks)


def select(text: str) -> list[LegendEntry]:
    """The legend entries for the marks `text` prints, in legend order."""
    return [LegendEntry(symbol=e.symbol, meaning=e.meaning) for e in LEGEND if found(e, text)]


def entry_of(mark: str) -> Entry:
    """The entry that explains `mark` (KeyError if none does: a mark without a legend entry)."""
    for e in LEGEND:
        if mark in e.marks:
            return e
    raise KeyError(mark)
