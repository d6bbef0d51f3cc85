"""Synthetic databases with planted effects, written through the real schema (tests, benches, docs).

`synthetic_db` builds a realistic store — models with variants of one base model, bilingual
prompt pairs, generations with token counts and latencies, judge verdicts for both bundled
rubrics, the deterministic checks, pairwise comparisons in both orders, human labels — whose
true effects are known, so a test can check that the report recovers them. Everything is drawn
with numpy from one seed and bulk-inserted through DuckDB (`INSERT ... SELECT` over registered
arrays); no row goes through Python one at a time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from judge.store import Store

JUDGE = "judge-sim"
RD, RF = "reasoning_depth", "russian_fluency"
RD_CRITERIA = ("correctness", "logical_validity", "depth", "self_verification", "completeness", "clarity")
RD_WEIGHTS = (2.0, 1.0, 1.0, 1.0, 1.0, 1.0)
RF_CRITERIA = ("grammar", "word_choice", "language_fidelity", "style_register", "punctuation_typography", "repetition")
VERSIONS = {RD: "r1:synth-rd-0002", RF: "r1:synth-rf-0001"}
RETIRED_RD = "r1:synth-rd-0001"
CATEGORIES = ("arithmetic", "logic", "planning", "reading")  # the first two have checkable answers
JudgeMode = Literal["faithful", "halo", "random"]
"""How the synthetic judge scores: from the answers' latent quality, one score for every criterion of a
verdict (the first criterion's), or uniformly at random (scores, pairwise winners; humans then label
the latent quality, not the judge's score)."""


class SynthModel(BaseModel):
    """One synthetic contestant: its metadata as `judge.toml` would give it, and its behaviour."""

    model_config = ConfigDict(extra="forbid")
    name: str
    base_model: str
    model_id: str
    quantization: str
    params: dict[str, Any] = Field(default_factory=dict)
    extra_body: dict[str, Any] = Field(default_factory=dict)
    quality: float = 0.0
    """Latent score offset on the 1-5 scale (before the planted effects)."""
    reasoning_tokens: float = 1000.0
    """Median reasoning tokens per answer (0: the model does not think)."""
    estimated: bool = False
    """The endpoint gives no reasoning token count; it is estimated from the text."""
    tokens_per_s: float = 60.0
    wrong_language: float = 0.01
    """Chance of answering a Russian prompt in English."""


class Planted(BaseModel):
    """The effects `synthetic_db` plants, which the report must recover."""

    model_config = ConfigDict(extra="forbid")
    better: str = "gpt-oss-120b"
    worse: str = "qwen3-30b-a3b"
    model_delta: float = 0.5
    """Latent score advantage of `better` over `worse`, on every criterion and in both languages."""
    ru_gap_model: str = "qwen3-30b-a3b"
    ru_gap: float = -0.6
    """Latent RU − EN score difference of `ru_gap_model` (the other models have none)."""
    swap_consistency: float = 0.75
    """Share of pairwise verdicts that survive the position swap; the rest pick position A twice."""


DEFAULT_MODELS: tuple[SynthModel, ...] = (
    SynthModel(
        name="gpt-oss-120b",
        base_model="gpt-oss-120b",
        model_id="openai/gpt-oss-120b",
        quantization="mxfp4",
        params={"reasoning_effort": "high", "temperature": 1.0},
        reasoning_tokens=1800,
        tokens_per_s=90,
    ),
    SynthModel(
        name="gpt-oss-120b-low",
        base_model="gpt-oss-120b",
        model_id="openai/gpt-oss-120b",
        quantization="mxfp4",
        params={"reasoning_effort": "low", "temperature": 1.0},
        quality=-0.25,
        reasoning_tokens=250,
        tokens_per_s=90,
    ),
    SynthModel(
        name="qwen3-30b-a3b",
        base_model="qwen3-30b-a3b",
        model_id="Qwen/Qwen3-30B-A3B",
        quantization="bf16",
        params={"temperature": 0.6},
        extra_body={"chat_template_kwargs": {"enable_thinking": True}},
        reasoning_tokens=1400,
        estimated=True,
        tokens_per_s=70,
        wrong_language=0.04,
    ),
    SynthModel(
        name="qwen3-30b-a3b-fp8",
        base_model="qwen3-30b-a3b",
        model_id="Qwen/Qwen3-30B-A3B-FP8",
        quantization="fp8",
        params={"temperature": 0.6},
        extra_body={"chat_template_kwargs": {"enable_thinking": True}},
        quality=-0.1,
        reasoning_tokens=1400,
        estimated=True,
        tokens_per_s=85,
        wrong_language=0.05,
    ),
)


def _variant(name: str, tag: str = "") -> str:
    import hashlib

    return "h1:" + hashlib.sha256(f"synth:{name}:{tag}".encode()).hexdigest()[:24]


def _insert(con: Any, table: str, arrays: dict[str, np.ndarray], select: str) -> None:
    """Register numpy columns as a relation and INSERT the projection `select` over it."""
    con.register("_np", arrays)
    try:
        # The projections list the columns of the first schema in order; later migrations append
        # columns (left at their defaults here), so insert into that leading prefix by name.
        width = len(con.execute(f"SELECT * FROM ({select}) LIMIT 0").description)
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()][:width]
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) {select}")
    finally:
        con.unregister("_np")


def synthetic_db(
    path: str | Path,
    *,
    n_generations: int = 10_000,
    models: tuple[SynthModel, ...] | list[SynthModel] = DEFAULT_MODELS,
    seed: int = 0,
    planted: Planted | None = None,
    samples: int = 1,
    pairwise_share: float = 0.1,
    human_labels: int = 200,
    failed_generations: float = 0.01,
    failed_verdicts: float = 0.01,
    retired: bool = True,
    demo: bool = False,
    judge_mode: JudgeMode = "faithful",
) -> dict[str, int]:
    """Write a synthetic judge database at `path` (created; must not exist) and return row counts.

    Args:
        n_generations: Generations in total over current models (rounded up to fill whole RU/EN
            prompt pairs: models x prompts x samples).
        models: The contestants (current variants); a retired variant of the first is added
            when `retired` is set, with deliberately bad scores that a report must leave out.
        planted: The effects to plant (defaults to `Planted()`).
        samples: Answers per model and prompt (several samples share a prompt: cluster bootstrap).
        pairwise_share: Share of prompts whose first samples are compared pairwise (all model
            pairs, reasoning_depth criteria, both orders).
        human_labels: Generations that get two annotators' labels on reasoning_depth.
        failed_generations / failed_verdicts: Rates of error rows (never scored).
        retired: Also write a retired model variant and a retired rubric version.
        demo: Record `demo = true` in the run config, as `judge demo` does.
        judge_mode: "faithful" (default), "halo" (every criterion of a verdict gets its first
            criterion's score) or "random" (scores and pairwise winners drawn uniformly; human labels
            follow the latent quality), for testing that a report refuses what its judge cannot support.
    """
    planted = planted or Planted()
    models = list(models)
    rng = np.random.default_rng(seed)
    m_count = len(models)
    n_prompts = 2 * max(1, math.ceil(n_generations / (m_count * samples * 2)))
    n_pairs = n_prompts // 2
    path = Path(path)
    store = Store.open(path)
    con = store.con
    try:
        with store.transaction():
            _write_meta(con, models, planted, demo, retired)
            # prompts: pair k has ids syn-k-en (2k) and syn-k-ru (2k + 1)
            pidx = np.arange(n_prompts)
            cat = (pidx // 2) % len(CATEGORIES)
            _insert(
                con,
                "prompts",
                {"i": pidx, "cat": cat},
                """
                SELECT 'p' || i, 'syn-' || lpad((i // 2)::VARCHAR, 5, '0') || '-' || (CASE i % 2 WHEN 0 THEN 'en' ELSE 'ru' END),
                       'synthetic', 'syn-' || lpad((i // 2)::VARCHAR, 5, '0'), CASE i % 2 WHEN 0 THEN 'en' ELSE 'ru' END,
                       ['arithmetic', 'logic', 'planning', 'reading'][cat + 1], 'synthetic prompt ' || i, NULL, NULL,
                       CASE WHEN cat < 2 THEN '{"type": "number", "value": ' || (i // 2) || '}' END,
                       ['easy', 'medium', 'hard'][(i // 2) % 3 + 1], '[]'
                FROM _np""",
            )
            counts = _write_answers(
                con,
                rng,
                models,
                planted,
                n_prompts,
                n_pairs,
                samples,
                pairwise_share,
                human_labels,
                failed_generations,
                failed_verdicts,
                retired,
                judge_mode,
            )
    finally:
        store.close()
    return counts


def _write_meta(con: Any, models: list[SynthModel], planted: Planted, demo: bool, retired: bool) -> None:
    cfg = {"synthetic": True, "demo": demo, "planted": planted.model_dump(), "models": [m.name for m in models]}
    con.execute(
        "INSERT INTO runs VALUES ('synth', 'synth', now(), now(), 'done', '[]', ?, '{}', 'synth')", [json.dumps(cfg)]
    )
    rows = [
        (
            m.name,
            _variant(m.name),
            m.model_id,
            json.dumps(m.params, sort_keys=True),
            json.dumps(m.extra_body, sort_keys=True),
            m.quantization,
            m.base_model,
            None,
        )
        for m in models
    ]
    if retired:
        m0 = models[0]
        rows.append(
            (
                m0.name,
                _variant(m0.name, "old"),
                m0.model_id,
                json.dumps({**m0.params, "temperature": 0.1}),
                json.dumps(m0.extra_body),
                m0.quantization,
                m0.base_model,
                "retired",
            )
        )
    con.executemany(
        "INSERT INTO models (name, variant, model_id, base_url, params_json, extra_body_json, quantization, base_model,"
        " tags_json, metadata_json, registered_at, retired_at)"
        " VALUES (?, ?, ?, '[\"http://127.0.0.1:8000/v1\"]', ?, ?, ?, ?, '[]', '{}', now(),"
        " CASE WHEN ? IS NULL THEN NULL ELSE now() END)",
        rows,
    )
    rub = [(RD, VERSIONS[RD], json.dumps(RD_CRITERIA), None), (RF, VERSIONS[RF], json.dumps(RF_CRITERIA), None)]
    if retired:
        rub.append((RD, RETIRED_RD, json.dumps(RD_CRITERIA), "retired"))
    con.executemany(
        "INSERT INTO rubrics (name, version, path, text, canonical_json, scale_min, scale_max, criteria_json,"
        " registered_at, retired_at) VALUES (?, ?, 'rubrics/' || ? || '.yaml', '', '{}', 1, 5, ?, now(),"
        " CASE WHEN ? IS NULL THEN NULL ELSE now() END)",
        [(n, v, n, c, r) for n, v, c, r in rub],
    )


def _write_answers(
    con: Any,
    rng: np.random.Generator,
    models: list[SynthModel],
    planted: Planted,
    n_prompts: int,
    n_pairs: int,
    samples: int,
    pairwise_share: float,
    human_labels: int,
    failed_generations: float,
    failed_verdicts: float,
    retired: bool,
    judge_mode: JudgeMode = "faithful",
) -> dict[str, int]:
    names = [m.name for m in models]
    quality = np.array([m.quality for m in models], dtype=float)
    if planted.better in names and planted.worse in names:
        quality[names.index(planted.better)] = quality[names.index(planted.worse)] + planted.model_delta
    ru_gap = np.zeros(len(models))
    if planted.ru_gap_model in names:
        ru_gap[names.index(planted.ru_gap_model)] = planted.ru_gap

    # one generation per (model, prompt, sample); the retired variant answers a tenth of the prompts
    m_idx, p_idx, s_idx = (
        a.ravel() for a in np.meshgrid(np.arange(len(models)), np.arange(n_prompts), np.arange(samples), indexing="ij")
    )
    variants = [_variant(m.name) for m in models]
    if retired:
        old = np.arange(0, n_prompts, 10)
        m_idx = np.concatenate([m_idx, np.full(old.size, len(models))])
        p_idx = np.concatenate([p_idx, old])
        s_idx = np.concatenate([s_idx, np.zeros(old.size, dtype=s_idx.dtype)])
        variants.append(_variant(models[0].name, "old"))
        quality = np.append(quality, -2.5)
        ru_gap = np.append(ru_gap, 0.0)
    n = m_idx.size
    spec = models + ([models[0]] if retired else [])
    is_ru = p_idx % 2 == 1
    pair = p_idx // 2
    difficulty = rng.normal(0.0, 0.5, n_pairs)  # shared by both languages of a pair
    latent = 3.0 + quality[m_idx] + ru_gap[m_idx] * is_ru + difficulty[pair] + rng.normal(0.0, 0.6, n)
    ok = rng.random(n) >= failed_generations

    med_reason = np.array([m.reasoning_tokens for m in spec])[m_idx]
    z = (latent - latent.mean()) / latent.std()
    reasoning = np.where(med_reason > 0, np.round(med_reason * np.exp(0.35 * z + rng.normal(0, 0.4, n))), 0)
    completion = np.round(rng.lognormal(np.log(350), 0.5, n)) + reasoning
    prompt_tok = rng.integers(60, 400, n)
    tps = np.array([m.tokens_per_s for m in spec])[m_idx] * rng.lognormal(0, 0.15, n)
    latency = completion / tps * 1000 + rng.gamma(2.0, 60.0, n)
    estimated = np.array([m.estimated for m in spec])[m_idx]
    finish = np.where(rng.random(n) < 0.005, 1, 0)
    variant_codes = np.array(variants, dtype=object)
    con.register("_variants", {"vi": np.arange(len(variants)), "variant": variant_codes})
    _insert(
        con,
        "generations",
        {
            "g": np.arange(n),
            "vi": m_idx,
            "p": p_idx,
            "s": s_idx,
            "ok": ok,
            "pt": prompt_tok,
            "ct": completion,
            "rt": reasoning,
            "est": estimated,
            "lat": latency,
            "fin": finish,
        },
        """
        SELECT 'g' || g, v.variant, 'p' || p, s, 'synth', CASE WHEN ok THEN 'ok' ELSE 'error' END,
               CASE WHEN ok THEN 'synthetic answer ' || g END, CASE WHEN ok AND rt > 0 THEN 'thinking' END,
               CASE WHEN ok THEN pt END, CASE WHEN ok THEN ct::INTEGER END,
               CASE WHEN ok AND rt > 0 THEN rt::INTEGER WHEN ok THEN 0 END, CASE WHEN ok THEN est END,
               CASE WHEN ok THEN lat END, CASE WHEN NOT ok THEN NULL WHEN fin = 1 THEN 'length' ELSE 'stop' END,
               CASE WHEN ok THEN NULL ELSE 'HTTP 500: synthetic server error' END, 1, '{}', NULL, now(),
               'c' || g  -- content_id (migration m003)
        FROM _np JOIN _variants v USING (vi)""",
    )
    con.unregister("_variants")

    counts = {"generations": int(n)}
    g_ok = np.flatnonzero(ok)
    counts["verdict_rows"] = _write_verdicts(
        con, rng, g_ok, latent, is_ru, p_idx, m_idx, spec, failed_verdicts, retired, len(models), judge_mode
    )
    counts["comparison_rows"] = _write_pairwise(
        con,
        rng,
        latent,
        ok,
        m_idx,
        p_idx,
        s_idx,
        len(models),
        n_prompts,
        pairwise_share,
        planted.swap_consistency,
        judge_mode,
    )
    counts["human_labels"] = _write_human(con, rng, g_ok, m_idx, human_labels, len(models), latent, judge_mode)
    return counts


def _write_verdicts(
    con: Any,
    rng: np.random.Generator,
    g_ok: np.ndarray,
    latent: np.ndarray,
    is_ru: np.ndarray,
    p_idx: np.ndarray,
    m_idx: np.ndarray,
    spec: list[SynthModel],
    failed: float,
    retired: bool,
    n_current: int,
    judge_mode: JudgeMode = "faithful",
) -> int:
    total = 0
    cur = g_ok[m_idx[g_ok] < n_current]
    cat = (p_idx // 2) % len(CATEGORIES)
    # correctness of the final answer (checkable categories): a logistic of the latent quality
    correct = rng.random(latent.size) < 1 / (1 + np.exp(-2.0 * (latent - 3.0)))

    def llm(
        rubric: str,
        version: str,
        crits: tuple[str, ...],
        weights: tuple[float, ...],
        gens: np.ndarray,
        shift: float,
        noise: float,
    ) -> int:
        k = len(crits)
        g = np.repeat(gens, k)
        c = np.tile(np.arange(k), gens.size)
        base = latent[g] + shift + rng.normal(0, noise, g.size)
        # the judge's correctness criterion follows the checked answer where there is one
        is_corr = (c == 0) & (rubric == RD)
        base = np.where(
            is_corr & (cat[g] < 2), np.where(correct[g], 4.3, 1.9) + shift + rng.normal(0, 0.7, g.size), base
        )
        score = np.clip(np.round(base), 1, 5)
        if judge_mode == "halo":  # one impression for the whole verdict: its first criterion's score
            score = np.repeat(score.reshape(-1, k)[:, 0], k)
        elif judge_mode == "random":
            score = rng.integers(1, 6, g.size).astype(float)
        bad_verdict = np.repeat(rng.random(gens.size) < failed, k)
        _insert(
            con,
            "verdicts",
            {"g": g, "c": c, "score": score, "bad": bad_verdict, "w": np.asarray(weights, dtype=float)[c]},
            f"""
            SELECT 'v-{version}-' || g, {_sql_list(crits)}[c + 1], 'g' || g, 'single', '{rubric}', '{version}',
                   '{JUDGE}', 'h1:judge', 'judge/sim', CASE WHEN bad THEN NULL ELSE score END, NULL, NULL, NULL, NULL,
                   CASE WHEN bad THEN NULL ELSE 'synthetic rationale' END, w,
                   CASE WHEN bad THEN 'invalid verdict JSON: synthetic' END, CASE WHEN bad THEN 3 ELSE 1 END,
                   NULL, NULL, NULL, NULL, false, 'p1', 'synth', now()
            FROM _np""",
        )
        return int(g.size)

    total += llm(RD, VERSIONS[RD], RD_CRITERIA, RD_WEIGHTS, cur, 0.0, 0.45)
    total += llm(RF, VERSIONS[RF], RF_CRITERIA, (1.0,) * 6, cur[is_ru[cur]], 0.2, 0.5)
    if retired:  # an old rubric version whose verdicts are all 1s: a report that mixes versions shows it
        old = cur[::10]
        total += llm(RD, RETIRED_RD, RD_CRITERIA, RD_WEIGHTS, old, -10.0, 0.1)
        total += llm(RD, VERSIONS[RD], RD_CRITERIA, RD_WEIGHTS, g_ok[m_idx[g_ok] >= n_current], 0.0, 0.45)

    # check:answer on the checkable categories
    chk = g_ok[cat[g_ok] < 2]
    _insert(
        con,
        "verdicts",
        {"g": chk, "ok": correct[chk]},
        """
        SELECT 'c-ans-' || g, 'correct', 'g' || g, 'check', 'check:answer', 'c1', 'check:answer', 'c1', NULL,
               ok::INTEGER::DOUBLE, NULL, NULL, NULL, ok, CASE WHEN ok THEN 'matched' ELSE 'mismatch' END, 1.0,
               NULL, 1, NULL, NULL, NULL, NULL, false, NULL, 'synth', now()
        FROM _np""",
    )
    total += int(chk.size)

    # check:language: language_match everywhere, mixed_script_words everywhere, latin_share on Russian
    wrong = np.array([m.wrong_language for m in spec])[m_idx]
    match = ~(is_ru & (rng.random(latent.size) < wrong))
    mixed = rng.poisson(np.where(is_ru, 0.15 + 4 * wrong, 0.02))
    latin = np.where(match, rng.beta(1.2, 30, latent.size), rng.beta(20, 3, latent.size))
    _insert(
        con,
        "verdicts",
        {"g": g_ok, "ru": is_ru[g_ok], "match": match[g_ok], "mixed": mixed[g_ok], "latin": latin[g_ok]},
        """
        SELECT 'c-lang-' || g, x.criterion, 'g' || g, 'check', 'check:language', 'c1', 'check:language', 'c1', NULL,
               x.score, NULL, NULL, NULL, x.passed, 'synthetic', 1.0, NULL, 1, NULL, NULL, NULL, NULL, false, NULL,
               'synth', now()
        FROM (SELECT g, unnest([
                {'criterion': 'language_match', 'score': match::INTEGER::DOUBLE, 'passed': match},
                {'criterion': 'mixed_script_words', 'score': mixed::DOUBLE, 'passed': mixed = 0},
                {'criterion': 'latin_share', 'score': CASE WHEN ru THEN latin END,
                 'passed': CASE WHEN ru THEN latin < 0.15 END}]) AS x
              FROM _np)
        WHERE x.criterion <> 'latin_share' OR x.score IS NOT NULL""",
    )
    total += int(2 * g_ok.size + is_ru[g_ok].sum())
    return total


def _sql_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{x}'" for x in items) + "]"


def _write_pairwise(
    con: Any,
    rng: np.random.Generator,
    latent: np.ndarray,
    ok: np.ndarray,
    m_idx: np.ndarray,
    p_idx: np.ndarray,
    s_idx: np.ndarray,
    n_models: int,
    n_prompts: int,
    share: float,
    consistency: float,
    judge_mode: JudgeMode = "faithful",
) -> int:
    """First samples of a share of prompts, every two current models, both orders, reasoning_depth."""
    if share <= 0 or n_models < 2:
        return 0
    first = (s_idx == 0) & (m_idx < n_models)
    gen_of = np.full((n_models, n_prompts), -1)
    gen_of[m_idx[first], p_idx[first]] = np.flatnonzero(first)
    prompts = np.flatnonzero(rng.random(n_prompts) < share)
    ia, ib = np.triu_indices(n_models, 1)
    ga = gen_of[ia[:, None], prompts[None, :]].ravel()
    gb = gen_of[ib[:, None], prompts[None, :]].ravel()
    keep = ok[ga] & ok[gb]
    ga, gb = ga[keep], gb[keep]
    k = len(RD_CRITERIA)
    ga, gb = np.repeat(ga, k), np.repeat(gb, k)
    crit = np.tile(np.arange(k), ga.size // k)
    diff = latent[ga] - latent[gb] + rng.normal(0, 0.5, ga.size)
    truth = np.where(diff > 0.25, 0, np.where(diff < -0.25, 1, 2))  # 0: a wins, 1: b wins, 2: tie
    biased = rng.random(ga.size) >= consistency
    # order 1 shows a first: a wins -> 'A'; order 2 shows b first: a wins -> 'B'
    w1 = np.where(biased, 0, truth)
    w2 = np.where(biased, 0, np.choose(truth, [1, 0, 2]))
    if judge_mode == "random":  # each order's verdict drawn on its own among A, B and tie
        w1, w2 = rng.integers(0, 3, ga.size), rng.integers(0, 3, ga.size)
    bad = rng.random(ga.size) < 0.005
    arrays = {"i": np.arange(ga.size), "ga": ga, "gb": gb, "c": crit, "w1": w1, "w2": w2, "bad": bad}
    for swap in (0, 1):
        first_g, second_g, w = ("ga", "gb", "w1") if swap == 0 else ("gb", "ga", "w2")
        _insert(
            con,
            "comparisons",
            arrays,
            f"""
            SELECT 'cmp-' || (i // {k}) || '-{swap}', {_sql_list(RD_CRITERIA)}[c + 1], 'pair-' || (i // {k}), {swap},
                   'g' || {first_g}, 'g' || {second_g}, '{RD}', '{VERSIONS[RD]}', '{JUDGE}', 'h1:judge', 'judge/sim',
                   CASE WHEN bad AND {swap} = 1 THEN NULL ELSE ['A', 'B', 'tie'][{w} + 1] END, 'synthetic',
                   CASE WHEN bad AND {swap} = 1 THEN 'judge output truncated (max_tokens reached)' END, 1,
                   NULL, NULL, NULL, NULL, 'p1', 'synth', now()
            FROM _np""",
        )
    return int(2 * ga.size)


def _write_human(
    con: Any,
    rng: np.random.Generator,
    g_ok: np.ndarray,
    m_idx: np.ndarray,
    n_labels: int,
    n_current: int,
    latent: np.ndarray | None = None,
    judge_mode: JudgeMode = "faithful",
) -> int:
    """Two annotators on reasoning_depth for `n_labels` generations: the judge's score plus noise (with
    a random judge: the latent quality plus noise, which such a judge does not follow)."""
    cur = g_ok[m_idx[g_ok] < n_current]
    if n_labels <= 0 or cur.size == 0:
        return 0
    gens = rng.choice(cur, size=min(n_labels, cur.size), replace=False)
    k = len(RD_CRITERIA)
    g = np.repeat(gens, 2 * k)
    c = np.tile(np.repeat(np.arange(k), 2), gens.size)
    who = np.tile(np.arange(2), gens.size * k)
    noise = np.round(rng.normal(0, 0.6, g.size))
    truth = np.round(latent[g]) if latent is not None and judge_mode == "random" else np.full(g.size, np.nan)
    _insert(
        con,
        "human_labels",
        {"g": g, "c": c, "who": who, "noise": noise, "truth": truth},
        f"""
        SELECT 'g' || n.g, '{RD}', {_sql_list(RD_CRITERIA)}[n.c + 1], ['ann1', 'ann2'][n.who + 1],
               greatest(1, least(5, coalesce(CASE WHEN isnan(n.truth) THEN NULL ELSE n.truth END, v.score)
                                    + n.noise)), NULL, now()
        FROM _np n JOIN verdicts v ON v.generation_id = 'g' || n.g AND v.rubric = '{RD}'
             AND v.rubric_version = '{VERSIONS[RD]}' AND v.criterion = {_sql_list(RD_CRITERIA)}[n.c + 1]
        WHERE v.score IS NOT NULL""",
    )
    return int(con.execute("SELECT count(*) FROM human_labels").fetchone()[0])


def synthetic_scores(path: str | Path, n_rows: int = 1_000_000, *, seed: int = 0, samples: int = 2) -> dict[str, int]:
    """A database with about `n_rows` rows in the `scores` view, for the scale bench.

    About 12.4 verdict rows per generation: 6 reasoning_depth criteria, 6 russian_fluency on the
    Russian half, the checks, and a retired rubric version on a tenth of the answers.
    """
    per_gen = 12.4
    return synthetic_db(path, n_generations=max(8, int(n_rows / per_gen)), seed=seed, samples=samples)
