"""Length and style bias through the real store: tiny DuckDB files with planted judges.

Each database holds two models' answers to Russian and English prompts and one judge's pairwise
comparisons in both orders, written through `judge.store.Store` (its migrations, its `pairwise`
view), so the SQL of `judge.store.length` runs on the same schema as in production.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judge.report.length import ALL_CRITERIA, LengthBias, build_length_bias
from judge.report.tables_length import length_rows, length_views
from judge.store import Store
from judge.store.filters import Filters
from judge.store.length import length_summary, pairwise_lengths

JUDGE, RUBRIC, VERSION = "judge-t", "helpfulness", "r1:test-0001"
WORD = {"ru": "слово", "en": "word"}


def _insert(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """One INSERT ... SELECT unnest(?) per column list (fast; no executemany)."""
    cols = list(rows[0])
    select = ", ".join(f"unnest(?) AS {c}" for c in cols)
    con.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM (SELECT {select})",
        [[r[c] for r in rows] for c in cols],
    )


def text(lang: str, n_words: int, headers: int = 0, bold: int = 0, items: int = 0) -> str:
    """An answer of about n_words words with the given markdown."""
    parts = [f"# {WORD[lang]}" for _ in range(headers)]
    parts += [f"- **{WORD[lang]}**" if i < bold else f"- {WORD[lang]}" for i in range(items)]
    parts += [f"**{WORD[lang]}**" for _ in range(max(0, bold - items))]
    used = sum(len(p.split()) for p in parts)
    parts.append(" ".join([WORD[lang]] * max(1, n_words - used)))
    return "\n".join(parts)


Decide = Callable[[dict[str, Any], dict[str, Any], np.random.Generator], str]
"""(answer of model_a, answer of model_b, rng) -> the winning model's side after the swap: A, B or tie."""


def build_db(
    path: Path,
    decide: Decide,
    *,
    n_prompts: int = 120,
    seed: int = 0,
    length: dict[str, float] | None = None,
    quality: dict[str, float] | None = None,
    criteria: tuple[str, ...] = ("overall",),
    extra: Callable[[Any], None] | None = None,
) -> Path:
    """Two models (`verbose`, `terse`), n_prompts per language, one comparison per prompt and criterion.

    `length`: median words per model (Russian answers take 0.8 of the English word count but more
    characters per word). Markdown counts are random and independent of the models.
    """
    rng = np.random.default_rng(seed)
    length = length or {"verbose": 240.0, "terse": 120.0}
    quality = quality or {"verbose": 0.0, "terse": 0.0}
    models = sorted(length)
    store = Store.open(path)
    con = store.con
    try:
        con.execute(
            "INSERT INTO models (name, variant, model_id, base_url, params_json, extra_body_json, tags_json,"
            " metadata_json, registered_at) SELECT unnest(?), unnest(?), unnest(?), '[]', '{}', '{}', '[]', '{}', now()",
            [models, [f"v-{m}" for m in models], models],
        )
        con.execute(
            "INSERT INTO rubrics (name, version, path, text, canonical_json, scale_min, scale_max, criteria_json,"
            " registered_at) VALUES (?, ?, 'x.yaml', '', '{}', 1, 5, ?, now())",
            [RUBRIC, VERSION, str(list(criteria)).replace("'", '"')],
        )
        prompts, gens, comps = [], [], []
        for lang in ("en", "ru"):
            for i in range(n_prompts):
                pid = f"p{i:04d}-{lang}"
                prompts.append(
                    {
                        "prompt_key": f"k-{pid}",
                        "id": pid,
                        "dataset": "t",
                        "pair": f"p{i:04d}",
                        "lang": lang,
                        "category": "general",
                        "prompt": f"question {i}",
                    }
                )
                ans = {}
                for m in models:
                    words = int(rng.lognormal(np.log(length[m] * (0.8 if lang == "ru" else 1.0)), 0.4))
                    md = (int(rng.poisson(1)), int(rng.poisson(1)), int(rng.poisson(2)))
                    ans[m] = {
                        "model": m,
                        "words": words,
                        "quality": quality[m] + rng.normal(0, 0.3),
                        "text": text(lang, words, *md),
                        "gen": f"g-{m}-{pid}",
                    }
                    gens.append(
                        {
                            "gen_id": ans[m]["gen"],
                            "variant": f"v-{m}",
                            "prompt_key": f"k-{pid}",
                            "sample": 0,
                            "status": "ok",
                            "answer": ans[m]["text"],
                            "content_id": ans[m]["gen"],
                        }
                    )
                a, b = ans[models[0]], ans[models[1]]
                for c in criteria:
                    side = decide(a, b, rng)  # the winning side with model_a shown first
                    # order 1 shows a first; order 2 shows b first. A tie: the two orders disagree.
                    w1, w2 = {"A": ("A", "B"), "B": ("B", "A"), "tie": ("A", "A")}[side]
                    for swap, (first, second, w) in enumerate(((a, b, w1), (b, a, w2))):
                        comps.append(
                            {
                                "comparison_id": f"c-{pid}-{c}-{swap}",
                                "criterion": c,
                                "pair_id": f"pair-{pid}",
                                "swap": swap,
                                "position_a": first["gen"],
                                "position_b": second["gen"],
                                "rubric": RUBRIC,
                                "rubric_version": VERSION,
                                "judge": JUDGE,
                                "winner": w,
                                "error": None,
                                "not_applicable": False,
                            }
                        )
        _insert(con, "prompts", prompts)
        _insert(con, "generations", gens)
        _insert(con, "comparisons", comps)
        if extra:
            extra(con)
    finally:
        store.close()
    return path


def longer_wins(a: dict[str, Any], b: dict[str, Any], rng: np.random.Generator) -> str:
    """A judge that picks the longer answer, whatever its quality."""
    return "A" if len(a["text"]) > len(b["text"]) else "B" if len(b["text"]) > len(a["text"]) else "tie"


def quality_wins(a: dict[str, Any], b: dict[str, Any], rng: np.random.Generator) -> str:
    """A judge that ignores length: the better answer wins with P = σ(3 · quality difference)."""
    return "A" if rng.random() < 1 / (1 + math.exp(-3 * (a["quality"] - b["quality"]))) else "B"


@pytest.fixture(scope="module")
def length_loving(tmp_path_factory: pytest.TempPathFactory) -> LengthBias:
    path = build_db(tmp_path_factory.mktemp("len") / "len.duckdb", longer_wins, criteria=("overall", "clarity"))
    with Store.open_readonly(path) as store:
        return build_length_bias(store, n_boot=300, seed=1)


def _blind(tmp: Path, length: dict[str, float]) -> LengthBias:
    path = build_db(
        tmp / "blind.duckdb", quality_wins, quality={"verbose": 0.0, "terse": 0.4}, length=length, n_prompts=200, seed=3
    )
    with Store.open_readonly(path) as store:
        return build_length_bias(store, n_boot=300, seed=1)


@pytest.fixture(scope="module")
def length_blind(tmp_path_factory: pytest.TempPathFactory) -> LengthBias:
    """The better model is the shorter one: the longer answer loses more often, though length plays no part."""
    return _blind(tmp_path_factory.mktemp("blind"), {"verbose": 240.0, "terse": 120.0})


@pytest.fixture(scope="module")
def length_blind_same_lengths(tmp_path_factory: pytest.TempPathFactory) -> LengthBias:
    """Both models write the same lengths: nothing ties length to the winner."""
    return _blind(tmp_path_factory.mktemp("blind_same"), {"verbose": 180.0, "terse": 180.0})


def _row(s: LengthBias, criterion: str, lang: str) -> Any:
    return next(r for r in s.rows if r.criterion == criterion and r.lang == lang)


def _model(row: Any, model: str) -> Any:
    return next(m for m in row.models if m.model == model)


def test_a_length_loving_judge(length_loving: LengthBias) -> None:
    s = length_loving
    assert not s.skipped
    # per criterion and language, plus the pooled (all) row per language; never pooled over languages
    assert {(r.criterion, r.lang) for r in s.rows} == {
        (c, lang) for c in ("overall", "clarity", ALL_CRITERIA) for lang in ("en", "ru")
    }
    for r in s.rows:
        assert r.p_longer_preferred == 1.0
        assert r.n_longer_decided == r.n - r.n_ties - r.n_equal_length
        v, t = _model(r, "verbose"), _model(r, "terse")
        # the observed win rate is exactly what "the longer answer wins" gives
        assert v.win_rate == pytest.approx(v.longest_wins_rate, abs=1e-9)
        assert v.win_rate > 0.75 and v.rating - t.rating > 150
        # controlled: the merely-longer model ranks level with the other
        assert abs(v.controlled_rating - t.controlled_rating) < 15
        assert abs(v.controlled_win_rate - 0.5) < 0.03
        assert r.longer_coef > 3 and r.longer_lo > 0
        assert r.length_effect > 5 and r.effect_lo > 3  # e^5: the longer answer is ~150 times likelier to win
        assert r.n_error == r.n_na == 0
    en, ru = _row(s, "overall", "en"), _row(s, "overall", "ru")
    # Russian answers: fewer words, but more characters per word than English ones
    assert _model(ru, "verbose").mean_words < _model(en, "verbose").mean_words
    assert _model(ru, "verbose").mean_chars / _model(ru, "verbose").mean_words > 1.1 * (
        _model(en, "verbose").mean_chars / _model(en, "verbose").mean_words
    )
    pooled = _row(s, ALL_CRITERIA, "en")
    assert pooled.n == 2 * en.n and pooled.n_prompts == en.n_prompts


def test_a_judge_that_ignores_length(length_blind_same_lengths: LengthBias) -> None:
    for lang in ("en", "ru"):
        r = _row(length_blind_same_lengths, "overall", lang)
        # the longer answer wins about half the time; the longest-wins rule would give each model about half
        assert r.lo < 0.5 < r.hi
        assert abs(r.p_longer_preferred - 0.5) < 0.1
        v, t = _model(r, "verbose"), _model(r, "terse")
        assert abs(v.longest_wins_rate - 0.5) < 0.1
        assert t.win_rate > 0.6  # the judge still sees the planted quality
        for m in (v, t):  # controlled ≈ raw
            assert abs(m.controlled_rating - m.rating) < 20
            assert abs(m.controlled_win_rate - m.win_rate) < 0.04
        # length buys nothing (both length terms together; each alone shares the signal with the other)
        assert r.effect_lo < 0 < r.effect_hi and abs(r.length_effect) < 0.3
        for c in r.coefficients:  # markdown was drawn at random too (5 coefficients: a size bound, no CI test)
            assert abs(c.coef) < 0.6, c
    assert all(r.criterion != ALL_CRITERIA for r in length_blind_same_lengths.rows)  # one criterion: no pooling


def test_a_judge_that_ignores_length_when_the_better_model_is_terser(length_blind: LengthBias) -> None:
    for lang in ("en", "ru"):
        r = _row(length_blind, "overall", lang)
        v, t = _model(r, "verbose"), _model(r, "terse")
        assert v.longest_wins_rate > 0.75  # the rule would crown the verbose model ...
        assert t.win_rate > 0.6  # ... the judge prefers the better, terser one
        # the raw rate says "the longer answer loses", only because the longer answer is usually the worse
        # model's; the regression, which accounts for the models, finds no length effect
        assert r.hi < 0.5
        assert r.effect_lo < 0 < r.effect_hi
        # controlled ≈ raw: length and model move together here, so the controlled numbers are less
        # precise, but the raw ones lie inside their intervals
        for m in (v, t):
            assert m.controlled_rating_lo < m.rating < m.controlled_rating_hi
            assert m.controlled_win_rate_lo < m.win_rate < m.controlled_win_rate_hi
        assert t.controlled_rating > v.controlled_rating


def test_measures_of_an_answer(tmp_path: Path) -> None:
    md = (
        "# Заголовок\nТекст **жирный** и __ещё__.\n\n## Второй\n- один\n* два\n  3. три\n1) четыре\n"
        "```\n# не заголовок\n- не пункт\n**не жирный**\n```\nконец ---\n"
    )

    def decide(a: dict[str, Any], b: dict[str, Any], rng: np.random.Generator) -> str:
        return "A"

    def put(con: Any) -> None:
        con.execute("UPDATE generations SET answer = ? WHERE gen_id = 'g-terse-p0000-ru'", [md])

    path = build_db(tmp_path / "m.duckdb", decide, n_prompts=1, extra=put)
    with Store.open_readonly(path) as store:
        rows = {r["lang"]: r for r in pairwise_lengths(store)}
    r = rows["ru"]
    assert r["model_a"] == "terse"
    assert r["chars_a"] == len(md)  # characters, not UTF-8 bytes
    assert r["words_a"] == len(md.split())
    assert (r["headers_a"], r["bold_a"], r["lists_a"]) == (2, 2, 4)  # the fenced block is not counted
    assert r["result"] == "A" and r["status"] == "decided"


def test_ties_failures_and_equal_lengths_are_counted_apart(tmp_path: Path) -> None:
    calls = iter(range(10**6))

    def decide(a: dict[str, Any], b: dict[str, Any], rng: np.random.Generator) -> str:
        return ("A", "B", "tie")[next(calls) % 3]

    def damage(con: Any) -> None:
        # one failed judge call, one not-applicable comparison, one pair of identical answers
        con.execute("UPDATE comparisons SET winner = NULL, error = 'boom' WHERE pair_id = 'pair-p0000-en' AND swap = 1")
        con.execute("UPDATE comparisons SET winner = NULL, not_applicable = true WHERE pair_id = 'pair-p0001-en'")
        con.execute(
            "UPDATE generations SET answer = (SELECT answer FROM generations WHERE gen_id = 'g-verbose-p0003-en')"
            " WHERE gen_id = 'g-terse-p0003-en'"
        )

    path = build_db(tmp_path / "t.duckdb", decide, n_prompts=30, extra=damage)
    with Store.open_readonly(path) as store:
        rows = [r for r in pairwise_lengths(store) if r["lang"] == "en"]
        summary = {x["lang"]: x for x in length_summary(store)}
        s = build_length_bias(store, n_boot=50)
    by = {r["prompt_id"]: r for r in rows}
    assert by["p0000-en"]["status"] == "error" and by["p0000-en"]["result"] is None
    assert by["p0000-en"]["longer_won"] is None
    assert by["p0001-en"]["status"] == "not_applicable" and by["p0001-en"]["longer_won"] is None
    assert by["p0003-en"]["longer"] == "equal" and by["p0003-en"]["longer_won"] is None
    assert all(r["longer_won"] is None for r in rows if r["result"] == "tie")
    en = summary["en"]
    assert (en["n"], en["n_error"], en["n_na"]) == (30, 1, 1)
    assert en["n_decided"] == 28
    assert en["n_longer_won"] + en["n_shorter_won"] + en["n_ties"] + en["n_equal_length"] == 28
    row = _row(s, "overall", "en")
    assert (row.n, row.n_error, row.n_na, row.n_ties) == (28, 1, 1, en["n_ties"])
    assert row.n_equal_length == en["n_equal_length"]
    assert row.n_longer_decided == en["n_longer_won"] + en["n_shorter_won"]


def test_filters_and_tables(tmp_path: Path) -> None:
    path = build_db(tmp_path / "f.duckdb", longer_wins, n_prompts=20)
    with Store.open_readonly(path) as store:
        ru = build_length_bias(store, Filters(langs=("ru",)), n_boot=20)
        assert {r.lang for r in ru.rows} == {"ru"}
        none = build_length_bias(store, Filters(judges=("someone-else",)), n_boot=20)
        assert none.skipped and length_views(none) == []
        words = build_length_bias(store, n_boot=20, unit="words")
        assert words.unit == "words"
    views = length_views(ru)
    assert [v.title for v in views] == [
        "Length and style bias",
        "Win rates: observed, longest-wins rule, style-controlled",
    ]
    summary, models = views
    assert len(summary.rows) == 1 and len(models.rows) == 2
    assert all(len(row) == len(summary.columns) for row in summary.rows)
    assert summary.columns.index("games") in summary.numeric and 2 not in summary.numeric  # lang: text
    assert all(len(row) == len(models.columns) for row in models.rows)
    assert summary.rows[0][5] == "100.0 % [100.0, 100.0]"  # longer preferred
    with_judge = length_views(ru, show_judge=True)
    assert with_judge[0].columns[1] == "judge" and with_judge[0].rows[0][1] == JUDGE
    assert len(with_judge[1].columns) == len(models.columns) + 1
    flat = length_rows(ru)
    assert len(flat) == 2 and {f["model"] for f in flat} == {"verbose", "terse"}
    # the record round-trips through JSON like the rest of the report
    assert LengthBias.model_validate_json(ru.model_dump_json()) == ru
