"""The sections of `judge report`, each built from `queries.ReportData` and `stats`.

One builder per section takes the shared `Context` (the query handle, the bootstrap settings
and the score groups every section reads) and returns the section's record. A section without
data is returned with `skipped` set to a one-line reason. Judge reliability lives in `reliability`
and the caveats in `caveats`.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import Any

import numpy as np

from judge import stats
from judge.report.context import Context, aligned, by_lang, finite, with_key
from judge.report.model import (
    Accuracy,
    AccuracyRow,
    Cost,
    CostRow,
    DeltaRow,
    Depth,
    DepthBin,
    DepthRow,
    FidelityRow,
    FlipRow,
    GapRow,
    LanguageFidelity,
    LanguageGap,
    ModelDeltas,
    Overview,
    Pairwise,
    PairwiseRow,
    VariantPair,
)
from judge.stats import agreement
from judge.store.queries import TOTAL, Group, int_list


def overview(b: Context) -> Overview:
    s = Overview(title="Scores by model and language")
    if not b.crit:
        s.skipped = "no judge verdicts in scope (run `judge grade`)"
        return s
    s.criteria = [b.score_row(g) for g in b.crit]
    s.totals = [b.score_row(g) for g in sorted(b.tot_lang + b.tot_all, key=lambda g: tuple(map(str, g.key.values())))]
    s.notes = [
        "Mean judge score with a 95 % bootstrap CI over prompts (samples of one prompt resampled together); "
        "n = scored answers, err = failed verdicts left out, n/a = answers the criterion does not apply "
        "to (counted, never averaged).",
        "weighted_total averages a verdict's criteria by their rubric weights; `all` pools languages, "
        "resampling RU/EN pairs.",
    ]
    return s


def language_gap(b: Context, langs: tuple[str, ...] | None) -> LanguageGap:
    s = LanguageGap(title="Language gap (RU − EN)")
    if langs and not {"ru", "en"} <= set(langs):
        s.skipped = "the report is filtered to one language"
        return s
    rows = []
    for (judge, rubric, _v, crit, model), by in by_lang(b.tot_lang + b.crit).items():
        if "ru" not in by or "en" not in by:
            continue
        ru, en = aligned(by["ru"], by["en"])
        if ru.size == 0:
            continue
        d = stats.paired_diff(ru, en, n_boot=b.n_boot, seed=b.seed)
        sd, mde = stats.paired_mde(ru, en)
        rows.append(
            GapRow(
                judge=judge,
                rubric=rubric,
                criterion=crit,
                model=model,
                mean_ru=finite(ru.mean()),
                mean_en=finite(en.mean()),
                diff=finite(d.mean),
                lo=finite(d.lo),
                hi=finite(d.hi),
                n_pairs=d.n,
                p_value=finite(d.p_value),
                p_holm=None,
                sd=finite(sd),
                mde=finite(mde),
            )
        )
    if not rows:
        s.skipped = "no prompt pair has scored answers in both Russian and English"
        return s
    for r, p in zip(rows, stats.holm_correction([r.p_value for r in rows])):
        r.p_holm = finite(p)
    rows.sort(key=lambda r: (r.judge, r.rubric, r.criterion != TOTAL, r.criterion, r.model))
    s.rows = rows
    s.notes = [
        "Paired on RU/EN pairs both scored; CI: bootstrap over pairs; p: Wilcoxon, Holm-adjusted over the table."
    ]
    one = sorted({g.key["rubric"] for g in b.tot_lang} - {r.rubric for r in rows})
    if one:
        s.notes.append(
            f"No gap for {', '.join(one)}: verdicts in one language only (e.g. a rubric for Russian answers)."
        )
    return s


def model_deltas(b: Context, variant_pairs: list[VariantPair]) -> ModelDeltas:
    s = ModelDeltas(title="Model differences and variants")
    variants = {(v.model_a, v.model_b): v for v in variant_pairs}
    cells: dict[tuple[Any, ...], dict[str, Group]] = defaultdict(dict)
    for g in b.tot_all_prompts + b.tot_lang:
        k = g.key
        cells[(k["judge"], k["rubric"], k["lang"])][k["model"]] = g
    rows = []
    for (judge, rubric, lang), by in cells.items():
        for ma, mb in itertools.combinations(sorted(by), 2):
            xa, xb = aligned(by[ma], by[mb])
            if xa.size == 0:
                continue
            d = stats.paired_diff(xa, xb, n_boot=b.n_boot, seed=b.seed)
            sd, mde = stats.paired_mde(xa, xb)
            v = variants.get((ma, mb))
            rows.append(
                DeltaRow(
                    judge=judge,
                    rubric=rubric,
                    lang=lang,
                    model_a=ma,
                    model_b=mb,
                    mean_a=finite(xa.mean()),
                    mean_b=finite(xb.mean()),
                    diff=finite(d.mean),
                    lo=finite(d.lo),
                    hi=finite(d.hi),
                    n=d.n,
                    p_value=finite(d.p_value),
                    p_holm=None,
                    variant_of=v.base_model if v else None,
                    differs=v.label if v else None,
                    sd=finite(sd),
                    mde=finite(mde),
                )
            )
    if not rows:
        s.skipped = "needs at least two models with verdicts on the same prompts"
        return s
    for r, p in zip(rows, stats.holm_correction([r.p_value for r in rows])):
        r.p_holm = finite(p)
    lang_order = {"all": 0, "en": 1, "ru": 2}
    rows.sort(key=lambda r: (r.judge, r.rubric, lang_order.get(r.lang, 3), r.lang, r.model_a, r.model_b))
    s.rows = rows
    s.variants = list(variants.values())
    s.flips = _flips(b, s.variants)
    s.notes = [
        "diff = A − B on the weighted rubric total over prompts both answered; "
        "CI: paired bootstrap; p: Wilcoxon signed-rank, Holm-adjusted across the table."
    ]
    if not s.variants:
        s.notes.append(
            "No two models share a base_model, so no variants are compared (set `base_model` in judge.toml)."
        )
    elif not s.flips:
        s.notes.append("Flip rates need check:answer verdicts (prompts with a machine-checkable answer).")
    return s


def _flips(b: Context, variants: list[VariantPair]) -> list[FlipRow]:
    codes = b.q.codes(criterion="correct", is_check=True)
    if not variants or not codes:
        return []
    unit = "p * 1000000 + sample"  # align (prompt, sample): the same draw of each variant
    where = f"d IN {int_list(codes)}"
    groups = b.q.groups("S", ["m", "l"], unit=unit, where=where) + [
        with_key(g, lang="all") for g in b.q.groups("S", ["m"], unit=unit, where=where)
    ]
    by = {(g.key["model"], g.key["lang"]): g for g in groups}
    langs = sorted({g.key["lang"] for g in groups}, key=lambda x: (x != "all", x))
    out = []
    for v in variants:
        for lang in langs:
            ga, gb = by.get((v.model_a, lang)), by.get((v.model_b, lang))
            if ga is None or gb is None:
                continue
            xa, xb = aligned(ga, gb)
            fr = stats.flip_rate(list(xa > 0.5), list(xb > 0.5))
            ci = stats.bootstrap_mean_ci((xa > 0.5) != (xb > 0.5), n_boot=b.n_boot, seed=b.seed)
            out.append(
                FlipRow(
                    base_model=v.base_model,
                    model_a=v.model_a,
                    model_b=v.model_b,
                    lang=lang,
                    rate=finite(fr.rate),
                    n=fr.n,
                    a_only=fr.a_only,
                    b_only=fr.b_only,
                    accuracy_a=finite(xa.mean()) if xa.size else None,
                    accuracy_b=finite(xb.mean()) if xb.size else None,
                    lo=finite(ci.lo),
                    hi=finite(ci.hi),
                )
            )
    return out


def depth(b: Context) -> Depth:
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
            rho = agreement.spearman(vec["tokens"][sel], vec["score"][sel])
        s.rows.append(
            DepthRow(
                judge=key["judge"],
                rubric=key["rubric"],
                model=key["model"],
                n=int(r["n"]),
                mean_reasoning_tokens=finite(r["mean_tokens"]),
                median_reasoning_tokens=finite(r["median_tokens"]),
                estimated_share=finite(r["estimated_share"]),
                mean_score=finite(r["mean_score"]),
                spearman=finite(rho),
            )
        )
    for r in bins:
        key = b.q.decode({"d": int(r["d"]), "m": int(r["m"])})
        s.bins.append(
            DepthBin(
                judge=key["judge"],
                rubric=key["rubric"],
                model=key["model"],
                bin=int(r["bin"]),
                reasoning_tokens=finite(r["tokens"]),
                score=finite(r["score"]),
                n=int(r["n"]),
            )
        )
    s.rows.sort(key=lambda r: (r.judge, r.rubric, r.model))
    s.bins.sort(key=lambda r: (r.judge, r.rubric, r.model, r.bin))
    s.notes = [
        "Score = the rubric's weighted total per answer; spearman = rank correlation with reasoning tokens "
        "(positive: longer thinking goes with better answers)."
    ]
    est = sorted({r.model for r in s.rows if (r.estimated_share or 0) > 0})
    if est:
        s.notes.append(f"Reasoning token counts are estimated from the reasoning text for: {', '.join(est)}.")
    return s


def pairwise(b: Context) -> Pairwise:
    s = Pairwise(title="Pairwise preferences")
    games: dict[tuple[str, str], list[tuple[str, str, str | None]]] = defaultdict(list)
    for r in b.q.pairwise_counts():
        games[(r["judge"], r["rubric"])].extend([(r["model_a"], r["model_b"], r["result"])] * int(r["n"]))
    for (judge, rubric), outcomes in sorted(games.items()):
        wr = stats.win_rates(outcomes)
        bt = stats.bradley_terry_ci(outcomes, n_boot=b.n_boot, seed=b.seed)
        for model, w in sorted(wr.items(), key=lambda kv: -(bt[kv[0]].mean if kv[0] in bt else 0)):
            e = bt.get(model)
            s.rows.append(
                PairwiseRow(
                    judge=judge,
                    rubric=rubric,
                    model=model,
                    wins=w.wins,
                    losses=w.losses,
                    ties=w.ties,
                    n=w.n,
                    win_rate=finite(w.rate),
                    lo=finite(w.lo),
                    hi=finite(w.hi),
                    rating=finite(e.mean) if e else None,
                    rating_lo=finite(e.lo) if e else None,
                    rating_hi=finite(e.hi) if e else None,
                )
            )
    if not s.rows:
        s.skipped = "no pairwise comparisons (run `judge grade --mode pairwise`)"
        return s
    s.notes = [
        "A game is one criterion of one pair judged in both orders; orders that disagree count as a tie. "
        "Win rate: ties as half, Wilson CI. Rating: Bradley-Terry, bootstrap CI over games."
    ]
    return s


def accuracy(b: Context) -> Accuracy:
    s = Accuracy(title="Checkable accuracy")
    codes = b.q.codes(criterion="correct", is_check=True)
    groups: list[Group] = []
    if codes:  # a check that cannot measure an answer stores no score and no error: that is its "err"
        where, failed = f"d IN {int_list(codes)}", "score IS NULL"
        groups = b.q.groups("S", ["m", "l"], unit="q", where=where, failed=failed) + [
            with_key(g, lang="all") for g in b.q.groups("S", ["m"], unit="q", where=where, failed=failed)
        ]
    for g in sorted(groups, key=lambda g: (g.key["model"], g.key["lang"] != "all", g.key["lang"])):
        e = b.ci(g)
        s.rows.append(
            AccuracyRow(
                model=g.key["model"],
                lang=g.key["lang"],
                mean=finite(e.mean),
                lo=finite(e.lo),
                hi=finite(e.hi),
                n=e.n,
                n_error=g.n_error,
            )
        )
    if not s.rows:
        s.skipped = (
            "no prompt has a machine-checkable answer (the dataset's `answer` field), so no check:answer verdicts"
        )
        return s
    s.notes = [
        "Share of answers whose final answer matches the dataset's (check:answer); 95 % CI over prompts. "
        "err = answers the check could not measure."
    ]
    return s


def language_fidelity(b: Context) -> LanguageFidelity:
    s = LanguageFidelity(title="Language fidelity")
    codes = b.q.codes(criterion="language_match", is_check=True)
    if not codes:
        s.skipped = "no check:language verdicts (the deterministic checks were turned off)"
        return s
    extra = {(b.q.models_of[r["m"]], b.q.langs_of[r["l"]]): r for r in b.q.fidelity()}
    for g in b.q.groups("S", ["m", "l"], unit="q", value="1 - score", where=f"d IN {int_list(codes)}"):
        e = b.ci(g)
        r = extra.get((g.key["model"], g.key["lang"]), {})
        s.rows.append(
            FidelityRow(
                model=g.key["model"],
                lang=g.key["lang"],
                n=e.n,
                wrong_language_rate=finite(e.mean),
                lo=finite(e.lo),
                hi=finite(e.hi),
                mixed_script_mean=finite(r.get("mixed_mean")),
                mixed_script_share=finite(r.get("mixed_share")),
                latin_share_mean=finite(r.get("latin_mean")),
                latin_share_over=finite(r.get("latin_over_share")),
            )
        )
    s.notes = [
        "Wrong language: the answer is not in the prompt's language (check:language), 95 % CI over prompts. "
        "Mixed-script words mix Latin and Cyrillic letters; Latin share is measured on Russian answers only."
    ]
    return s


def cost(b: Context) -> Cost:
    s = Cost(title="Cost and speed")
    s.rows = [
        CostRow(
            model=r["model"],
            lang=r["lang"],
            n=int(r["n"]),
            n_error=int(r["n_error"]),
            n_truncated=int(r["n_truncated"]),
            prompt_tokens=finite(r["prompt_tokens"]),
            completion_tokens=finite(r["completion_tokens"]),
            reasoning_tokens=finite(r["reasoning_tokens"]),
            reasoning_estimated_share=finite(r["reasoning_estimated_share"]),
            latency_p50_ms=finite(r["latency_p50_ms"]),
            latency_p95_ms=finite(r["latency_p95_ms"]),
            tokens_per_s=finite(r["tokens_per_s"]),
        )
        for r in b.q.cost()
    ]
    if not s.rows:
        s.skipped = "no generations in scope"
        return s
    s.notes = [
        "Means per answer; latency percentiles over answers; tokens/s = median of completion tokens / latency "
        "(completion tokens include reasoning)."
    ]
    return s
