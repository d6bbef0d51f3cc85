"""`judge report` on synthetic databases with planted effects, on a real pipeline database, in every format."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from judge.errors import ConfigError
from judge.report import DEMO_NOTE, Report, build_report, render
from judge.store import Store
from judge.store.queries import TOTAL
from tests.fakes.synth import DEFAULT_MODELS, Planted, synthetic_db
from tests.helpers import ROOT, make_items, write_config, write_jsonl

SECTIONS = [
    "overview",
    "language_gap",
    "model_deltas",
    "depth",
    "pairwise",
    "accuracy",
    "language_fidelity",
    "cost",
    "judge_reliability",
    "jury",
    "caveats",
]
TOP_KEYS = ["format_version", "generated_at", "database", "filters", "note", "models", "rubrics", "sections", "legend"]


@pytest.fixture(scope="module")
def synth_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "synth.duckdb"
    counts = synthetic_db(path, n_generations=10_000, seed=0)
    assert counts["generations"] == 10_000 + 250  # plus the retired variant's answers
    return path


@pytest.fixture(scope="module")
def report(synth_path: Path) -> Report:
    # 400 resamples, not the default 2,000: the planted effects sit far outside the intervals' noise, and
    # the length section's style-control fits (one per resample) were 25 of the module's 30 s of CPU
    with Store.open_readonly(synth_path) as store:
        return build_report(store, n_boot=400)


def _open(path: Path, **kw: object) -> Report:
    """For what does not read an interval's width (sections present, filters, notes, determinism)."""
    kw.setdefault("n_boot", 100)
    with Store.open_readonly(path) as store:
        return build_report(store, **kw)


# -- the synthetic database with planted effects --------------------------------------------------


def test_all_ten_sections_present(report: Report) -> None:
    for key in SECTIONS:
        sec = getattr(report.sections, key)
        assert (sec.skipped is not None) == (key == "jury"), (key, sec.skipped)  # one judge: no jury
        assert sec.title
    s = report.sections
    assert s.overview.criteria and s.overview.totals and s.language_gap.rows and s.model_deltas.rows
    assert s.depth.rows and s.depth.bins and s.pairwise.rows and s.accuracy.rows and s.language_fidelity.rows
    # beside the pairwise results: how often the longer answer won, per language, and its tables in every format
    length = s.pairwise.length
    assert length is not None and length.rows and {r.lang for r in length.rows} <= {"ru", "en"}
    assert "longer" in render(report, "md")
    assert s.cost.rows and s.judge_reliability.swap and s.judge_reliability.human and s.caveats.items
    assert all(r.n > 0 and r.n_error >= 0 for r in s.overview.criteria)


def test_planted_model_difference_is_recovered(report: Report) -> None:
    p = Planted()
    rows = {
        (r.rubric, r.lang): r
        for r in report.sections.model_deltas.rows
        if (r.model_a, r.model_b) == (p.better, p.worse)
    }
    en = rows[("reasoning_depth", "en")]  # no language gap for either model in English: the pure +0.5
    assert en.lo > 0 and en.p_holm < 1e-6
    assert 0.3 < en.diff < 0.7, en
    assert rows[("reasoning_depth", "all")].lo > 0


def test_planted_ru_gap_shows_for_its_model_only(report: Report) -> None:
    gaps = {
        r.model: r for r in report.sections.language_gap.rows if r.rubric == "reasoning_depth" and r.criterion == TOTAL
    }
    planted = gaps[Planted().ru_gap_model]
    assert planted.hi < 0 and abs(planted.diff - Planted().ru_gap) < 0.15, planted
    for model, r in gaps.items():
        if model != Planted().ru_gap_model:
            assert abs(r.diff) < 0.1, r


def test_swap_consistency_near_the_planted_value(report: Report) -> None:
    (swap,) = report.sections.judge_reliability.swap
    assert abs(swap.consistency - Planted().swap_consistency) < 0.03
    assert swap.lo < swap.consistency < swap.hi
    assert swap.first_position_rate > 0.52  # the inconsistent verdicts all pick position A


def test_judge_agreement_with_checks_and_humans(report: Report) -> None:
    rel = report.sections.judge_reliability
    (agree,) = rel.check_agreement
    assert agree.criterion == "correctness" and agree.auc > 0.9 and agree.point_biserial > 0.6
    (human,) = rel.human
    assert human.n_annotators == 2 and human.weighted_kappa > 0.5 and human.alpha_humans is not None
    assert rel.cross_language and rel.self_judged[0].share == 0


def test_retired_variants_and_rubric_versions_are_left_out(report: Report) -> None:
    models = {r.model for r in report.sections.overview.criteria}
    assert models == {m.name for m in DEFAULT_MODELS}
    assert {(r.rubric, r.rubric_version) for r in report.rubrics} == {
        ("reasoning_depth", "r1:synth-rd-0002"),
        ("russian_fluency", "r1:synth-rf-0001"),
    }
    cav = report.sections.caveats
    assert cav.retired_generations == 250
    assert any(not r.included and not r.current for r in cav.rubric_versions)
    assert any("retired" in item for item in cav.items)


def test_variants_are_labelled_by_what_differs(report: Report) -> None:
    labels = {(v.model_a, v.model_b): v.label for v in report.sections.model_deltas.variants}
    assert labels[("gpt-oss-120b", "gpt-oss-120b-low")] == "reasoning effort high → low"
    assert labels[("qwen3-30b-a3b", "qwen3-30b-a3b-fp8")] == "precision bf16 → fp8"
    flips = report.sections.model_deltas.flips
    assert {f.lang for f in flips} == {"all", "en", "ru"}
    assert all(0 <= f.rate <= 1 and f.a_only + f.b_only == round(f.rate * f.n) for f in flips)
    deltas = [r for r in report.sections.model_deltas.rows if r.differs]
    assert deltas and all(r.variant_of for r in deltas if not r.differs.startswith("family "))
    # two families: what differs starts with the family, never left empty
    cross = [r for r in report.sections.model_deltas.rows if r.variant_of is None]
    assert cross and all(r.differs and r.differs.startswith("family ") for r in cross)


def test_depth_and_cost(report: Report) -> None:
    depth = {r.model: r for r in report.sections.depth.rows if r.rubric == "reasoning_depth"}
    assert depth["gpt-oss-120b"].mean_reasoning_tokens > 3 * depth["gpt-oss-120b-low"].mean_reasoning_tokens
    assert all(r.spearman > 0.2 for r in depth.values())  # planted: longer thinking, better answers
    assert depth["qwen3-30b-a3b"].estimated_share == 1.0
    assert any("estimated" in n for n in report.sections.depth.notes)
    cost = {(r.model, r.lang): r for r in report.sections.cost.rows}
    c = cost[("gpt-oss-120b", "all")]
    assert c.latency_p50_ms < c.latency_p95_ms and 60 < c.tokens_per_s < 120 and c.n == 2500


# -- formats --------------------------------------------------------------------------------------


def test_json_has_the_stable_keys(report: Report) -> None:
    data = json.loads(render(report, "json"))
    assert list(data) == TOP_KEYS
    assert list(data["sections"]) == ["answers", *SECTIONS]  # answers first, unnumbered when rendered
    assert data["format_version"] == 1
    for key in SECTIONS:
        assert {"title", "skipped", "notes"} <= set(data["sections"][key])
    row = data["sections"]["overview"]["criteria"][0]
    assert list(row) == [
        "judge",
        "rubric",
        "rubric_version",
        "criterion",
        "model",
        "lang",
        "mean",
        "lo",
        "hi",
        "n",
        "n_error",
        "n_units",
        "n_na",
    ]
    assert "NaN" not in render(report, "json")
    assert Report.model_validate(data) == report  # the JSON is the whole report


def test_markdown_has_every_section_header(report: Report) -> None:
    md = render(report, "md")
    assert md.startswith("# judge report")
    for i, key in enumerate(SECTIONS, 1):
        assert f"## {i}. {getattr(report.sections, key).title}" in md
    assert "| criterion | model |" in md and "RU − EN" in md


def test_html_is_one_self_contained_file(report: Report) -> None:
    html = render(report, "html")
    assert html.startswith("<!doctype html>") and html.count("<html") == 1 and html.rstrip().endswith("</html>")
    assert html.count("<svg") >= 5
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    for key in SECTIONS:
        assert f'id="{key}"' in html


def test_terminal_renders_to_text_or_a_console(report: Report) -> None:
    text = render(report, "terminal")
    assert "1. Scores by model and language" in text and "11. Caveats" in text
    console = Console(file=io.StringIO(), width=200, color_system=None)
    assert render(report, "terminal", console=console) is None
    assert "Judge reliability" in console.file.getvalue()
    with pytest.raises(ValueError):
        render(report, "pdf")  # type: ignore[arg-type]


# -- missing data, filters, notes ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sparse_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No pairwise rows, no human labels, models that do not think."""
    path = tmp_path_factory.mktemp("sparse") / "sparse.duckdb"
    models = [m.model_copy(update={"reasoning_tokens": 0.0}) for m in DEFAULT_MODELS[::2]]
    synthetic_db(
        path,
        n_generations=400,
        models=models,
        pairwise_share=0,
        human_labels=0,
        retired=False,
        planted=Planted(better="gpt-oss-120b", worse="qwen3-30b-a3b"),
    )
    return path


def test_sections_without_data_are_skipped_with_a_reason(sparse_path: Path) -> None:
    r = _open(sparse_path)
    assert "no pairwise comparisons" in r.sections.pairwise.skipped
    assert "no model reported reasoning tokens" in r.sections.depth.skipped
    rel = r.sections.judge_reliability
    assert rel.skipped is None and not rel.swap and not rel.human
    assert any("human labels" in n for n in rel.notes) and any("swap" in n.lower() for n in rel.notes)
    assert not r.sections.model_deltas.variants  # the two models do not share a base model
    md = render(r, "md")
    assert "_Skipped: no pairwise comparisons" in md
    html = render(r, "html")
    assert "Skipped: no model reported reasoning tokens" in html and not re.search(r"https?://", html)


def test_an_empty_database_skips_everything_but_caveats(tmp_path: Path) -> None:
    Store.open(tmp_path / "empty.duckdb").close()
    r = _open(tmp_path / "empty.duckdb")
    for key in SECTIONS[:-1]:
        assert getattr(r.sections, key).skipped, key
    assert r.sections.caveats.generations == 0
    for fmt in ("terminal", "md", "html", "json"):
        assert render(r, fmt)


def test_filters(synth_path: Path) -> None:
    two = _open(synth_path, models=["gpt-oss-120b", "qwen3-30b-a3b"])
    assert {r.model for r in two.sections.cost.rows} == {"gpt-oss-120b", "qwen3-30b-a3b"}
    assert {r.model for r in two.sections.pairwise.rows} == {"gpt-oss-120b", "qwen3-30b-a3b"}
    assert not two.sections.model_deltas.variants
    ru = _open(synth_path, lang="ru")
    assert {r.lang for r in ru.sections.overview.criteria} == {"ru"}
    assert "one language" in ru.sections.language_gap.skipped
    fl = _open(synth_path, rubric="russian_fluency")
    assert {r.rubric for r in fl.sections.overview.criteria} == {"russian_fluency"}
    assert fl.sections.accuracy.rows  # checks are kept whatever the rubric filter
    cat = _open(synth_path, category="arithmetic")
    with Store.open_readonly(synth_path) as store:
        want = store.query("SELECT count(*) FROM answers WHERE current AND category = 'arithmetic'")[1][0][0]
    assert cat.sections.caveats.generations == want < 3000
    with pytest.raises(ConfigError, match="judge-sim"):  # a judge filter that selects nothing is an error
        _open(synth_path, judge="no-such-judge")
    one = _open(synth_path, judge="judge-sim")
    assert one.sections.overview.criteria and one.sections.accuracy.rows  # checks are kept whatever the judge
    retired = _open(synth_path, models="gpt-oss-120b,gpt-oss-120b@" + _retired_suffix(synth_path))
    old = [r for r in retired.sections.overview.totals if "@" in r.model]
    assert old and all(r.mean < 1.6 for r in old)
    old_rubric = _open(synth_path, rubric="reasoning_depth@r1:synth-rd-0001")
    assert {r.rubric_version for r in old_rubric.sections.overview.criteria} == {"r1:synth-rd-0001"}
    assert all(r.mean < 1.3 for r in old_rubric.sections.overview.criteria)
    assert old_rubric.filters.rubrics == ["reasoning_depth@r1:synth-rd-0001"]


def _retired_suffix(path: Path) -> str:
    with Store.open_readonly(path) as s:
        return s.query("SELECT model FROM model_labels WHERE NOT current")[1][0][0].split("@")[1]


def test_demo_flag_and_note(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    # > 13 pairs per comparison: scipy's Wilcoxon switches to a slow permutation test below that
    synthetic_db(path, n_generations=240, demo=True, human_labels=0)
    r = _open(path)
    assert r.note == DEMO_NOTE and r.sections.caveats.demo and r.sections.caveats.items[0] == DEMO_NOTE
    assert DEMO_NOTE in render(r, "md") and DEMO_NOTE in render(r, "html")
    assert _open(path, note="Custom note.").note == "Custom note."
    with Store.open(path) as store:  # `judge demo` tags its models instead of flagging the run
        store.con.execute("UPDATE runs SET config_json = '{}'")
    assert _open(path).note is None
    with Store.open(path) as store:
        store.con.execute("""UPDATE models SET tags_json = '["demo"]'""")
    assert _open(path).note == DEMO_NOTE


def test_several_samples_per_prompt_use_the_cluster_bootstrap(tmp_path: Path) -> None:
    path = tmp_path / "samples.duckdb"
    synthetic_db(path, n_generations=1200, samples=3, human_labels=0)
    r = _open(path)
    row = next(x for x in r.sections.overview.criteria if x.lang == "en")
    assert row.n_units * 2 < row.n  # three answers per prompt, resampled together
    assert row.lo < row.mean < row.hi


def _rounded(x: object) -> object:
    """Floats to 9 significant digits: DuckDB's parallel sums may differ in the last bit between runs."""
    if isinstance(x, float):
        return float(f"{x:.9g}")
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


def test_report_is_deterministic_for_a_seed(synth_path: Path) -> None:
    a, b = _open(synth_path, seed=3), _open(synth_path, seed=3)
    assert _rounded(a.sections.model_dump()) == _rounded(b.sections.model_dump())


# -- a database written by the real pipeline (generate + grade against the fake server) ------------


def test_report_on_a_real_pipeline_database(tmp_path: Path) -> None:
    from judge.config import load_config
    from judge.generate import generate
    from judge.grade import grade
    from tests.fakes.server import FakeServer, Reply, schema_reply

    def answer(req: dict) -> Reply:
        q = req["messages"][-1]["content"]
        n = int(q.split("+")[0].split()[-1])
        right = req["model"] == "good-model"
        word = "Ответ" if "Сколько" in q else "Answer"
        value = 2 * n if right else 2 * n + 1
        return Reply(
            content=f"{n} + {n} = {value}.\n{word}: {value}",
            reasoning="Считаю. " * (n + 2),
            reasoning_tokens=40 + 10 * n,
        )

    shutil.copytree(ROOT / "rubrics", tmp_path / "rubrics")
    write_jsonl(tmp_path / "data.jsonl", make_items(6))
    with FakeServer(reply=answer) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        models = [
            {
                "name": "good",
                "base_url": gen.base_url,
                "model": "good-model",
                "base_model": "arith",
                "quantization": "bf16",
            },
            {
                "name": "bad",
                "base_url": gen.base_url,
                "model": "bad-model",
                "base_model": "arith",
                "quantization": "q4",
            },
            {"name": "judge", "base_url": jsrv.base_url, "model": "judge-model", "max_attempts": 2},
        ]
        cfg = load_config(write_config(tmp_path / "judge.toml", models, judge={"model": "judge", "mode": "both"}))
        generate(cfg, models=["good", "bad"])
        grade(cfg)
    with Store.open_readonly(cfg.db_path) as store:
        r = build_report(store, n_boot=200)
    s = r.sections
    for key in (
        "overview",
        "language_gap",
        "model_deltas",
        "depth",
        "pairwise",
        "accuracy",
        "language_fidelity",
        "cost",
        "judge_reliability",
        "caveats",
    ):
        assert getattr(s, key).skipped is None, (key, getattr(s, key).skipped)
    acc = {(x.model, x.lang): x.mean for x in s.accuracy.rows}
    assert acc[("good", "all")] == 1.0 and acc[("bad", "all")] == 0.0
    assert s.model_deltas.variants[0].label == "precision q4 → bf16"
    assert {f.rate for f in s.model_deltas.flips} == {1.0}
    assert s.judge_reliability.swap and s.caveats.judges == ["judge"]
    for fmt in ("terminal", "md", "html", "json"):
        assert render(r, fmt)
