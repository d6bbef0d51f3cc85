"""`judge labels export`: a blind, stratified, shuffled sample that a spreadsheet opens.

The databases are built through public functions: answers with `judge.external.import_answers`,
rubrics with `Store.register_rubrics`, verdicts with `Store.write_verdicts` (`graded_db` below; the
other label tests reuse it).
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judge.config import Config, load_config
from judge.external import import_answers
from judge.grade.plan import rubric_row
from judge.labels import COLUMNS, export_labels
from judge.rubric import load_rubric
from judge.store import Store, now
from tests.helpers import ROOT, make_items, write_config, write_jsonl
from tests.inproc import run_judge

RD, RF = "reasoning_depth", "russian_fluency"
MODELS = ("alpha-model-7b", "beta-model-13b")
JUDGE = "judge-x"
SCORE_WEIGHTS = (0.1, 0.15, 0.25, 0.3, 0.2)
"""How the scripted judge's scores 1..5 are spread (uneven, as real judges' are)."""


def answer_text(model: str, item_id: str, lang: str) -> str:
    """A multi-line answer with what CSV must survive: a leading Markdown dash, quotes, commas, Cyrillic."""
    body = "Решение: 2 + 2 = 4, «проверено»." if lang == "ru" else 'Solution: 2 + 2 = 4, "checked".'
    return f"- {body}\n  второй шаг; {item_id}\n\nОтвет: 4"


def graded_db(
    tmp_path: Path,
    *,
    n_pairs: int = 6,
    rubrics: tuple[str, ...] = (RD, RF),
    seed: int = 0,
    items: list[dict[str, Any]] | None = None,
    answers: dict[str, dict[str, str]] | None = None,
) -> Config:
    """A project whose answers (two models, RU/EN pairs) an LLM judge scored on `rubrics`.

    Scores are drawn from SCORE_WEIGHTS per criterion; russian_fluency grades Russian answers only
    (as its `applies_to` says). `answers`: model -> prompt_id -> text (default `answer_text`).
    """
    items = items if items is not None else make_items(n_pairs)
    write_jsonl(tmp_path / "data.jsonl", items)
    cfg = load_config(write_config(tmp_path / "judge.toml", [], dataset="data.jsonl"))
    for m in MODELS if answers is None else sorted(answers):
        texts = answers[m] if answers is not None else {it["id"]: answer_text(m, it["id"], it["lang"]) for it in items}
        f = tmp_path / f"{m}.answers.jsonl"
        write_jsonl(f, [{"prompt_id": pid, "answer": a} for pid, a in texts.items()])
        import_answers(cfg, f, model=m)
    score_all(cfg, rubrics, seed)
    return cfg


def score_all(cfg: Config, rubrics: tuple[str, ...], seed: int) -> None:
    """A scripted LLM judge's verdicts on every stored answer each rubric applies to (by language)."""
    loaded = [load_rubric(ROOT / "rubrics" / f"{r}.yaml") for r in rubrics]
    versions = {r.name: r.version for r in loaded}  # a hash of the whole rubric: once, not per row
    rng = random.Random(seed)
    with Store.open(cfg.db_path) as store:
        store.register_rubrics([rubric_row(r) for r in loaded])
        gens = store.records("SELECT generation_id, lang FROM answers ORDER BY generation_id")
        rows = []
        for g in gens:
            for r in loaded:
                if r.applies_to.langs and g["lang"] not in r.applies_to.langs:
                    continue
                vid = f"v-{g['generation_id']}-{r.name}"
                for c in r.criteria:
                    rows.append(
                        {
                            "verdict_id": vid,
                            "criterion": c.id,
                            "generation_id": g["generation_id"],
                            "mode": "single",
                            "rubric": r.name,
                            "rubric_version": versions[r.name],
                            "judge": JUDGE,
                            "judge_model_id": "judge/model",
                            "score": float(rng.choices(range(1, 6), SCORE_WEIGHTS)[0]),
                            "weight": c.weight,
                            "attempts": 1,
                            "rationale": "ok",
                            "self_judged": False,
                            "not_applicable": False,
                            "instruction_lang": r.judge_lang(g["lang"]),
                            "created_at": now(),
                        }
                    )
        store.write_verdicts(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def items_of(cfg: Config) -> dict[str, dict[str, Any]]:
    """label_id -> the exported key, with the answer's model and language (from the database)."""
    with Store.open_readonly(cfg.db_path) as store:
        rows = store.records(
            """SELECT i.*, a.model, a.lang, a.answer, p.prompt FROM label_items i
               JOIN answers a ON a.generation_id = i.generation_id
               JOIN generations g ON g.gen_id = i.generation_id JOIN prompts p ON p.prompt_key = g.prompt_key"""
        )
    return {r["label_id"]: r for r in rows}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return graded_db(tmp_path_factory.mktemp("labels"))


def test_export_is_blind_stratified_and_in_both_formats(project: Config, tmp_path: Path) -> None:
    s = export_labels(project, tmp_path / "batch", per_stratum=3, seed=5)
    csv_path, jsonl_path = tmp_path / "batch.csv", tmp_path / "batch.jsonl"
    assert s.files == [csv_path, jsonl_path]
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads Cyrillic right
    rows, objs = read_csv(csv_path), read_jsonl(jsonl_path)
    assert list(rows[0]) == list(COLUMNS) and list(objs[0]) == list(COLUMNS)
    assert [r["label_id"] for r in rows] == [o["label_id"] for o in objs] and len(rows) == s.rows
    # blind: no model name or id the database knows, in any case, anywhere in either file
    with Store.open_readonly(project.db_path) as store:
        names = {x for r in store.query("SELECT name, model_id FROM models")[1] for x in r}
    assert names >= set(MODELS)
    for path in (csv_path, jsonl_path):
        text = path.read_text(encoding="utf-8-sig").lower()
        assert not [n for n in names if n.lower() in text], path
        assert JUDGE not in text
    # no judge score either: score, comment and annotator are empty
    assert all(r["score"] == r["comment"] == r["annotator"] == "" for r in rows)
    assert all(o["score"] is None and o["comment"] is None for o in objs)
    # stratified: 3 per model × language × criterion (russian_fluency: Russian answers only)
    known = items_of(project)
    strata = Counter((known[r["label_id"]]["model"], r["lang"], r["rubric"], r["criterion"]) for r in rows)
    rd, rf = load_rubric(ROOT / "rubrics" / f"{RD}.yaml"), load_rubric(ROOT / "rubrics" / f"{RF}.yaml")
    expected = {(m, lang, RD, c.id): 3 for m in MODELS for lang in ("en", "ru") for c in rd.criteria}
    expected |= {(m, "ru", RF, c.id): 3 for m in MODELS for c in rf.criteria}
    assert strata == expected
    # shuffled: the models are interleaved, not in blocks
    order = [known[r["label_id"]]["model"] for r in rows]
    switches = sum(a != b for a, b in zip(order, order[1:]))
    assert switches > 3
    # the rows of one answer sit together, and an answer is one item's text
    gens = [known[r["label_id"]]["generation_id"] for r in rows]
    assert len([g for i, g in enumerate(gens) if i == 0 or g != gens[i - 1]]) == len(set(gens))
    for r, o in zip(rows, objs):
        k = known[r["label_id"]]
        assert o["answer"] == k["answer"] and o["prompt"] == k["prompt"]
        assert r["answer"] == "'" + k["answer"]  # a Markdown dash would read as a formula: guarded
        assert (k["rubric"], k["criterion"], k["lang"]) == (r["rubric"], r["criterion"], r["lang"])


def test_texts_are_in_the_language_the_judge_is_instructed_in(project: Config, tmp_path: Path) -> None:
    export_labels(project, tmp_path / "b.jsonl", per_stratum=2, seed=1)
    objs = read_jsonl(tmp_path / "b.jsonl")
    rd, rf = load_rubric(ROOT / "rubrics" / f"{RD}.yaml"), load_rubric(ROOT / "rubrics" / f"{RF}.yaml")
    for o in objs:
        r = rd if o["rubric"] == RD else rf
        lang = r.judge_lang(o["lang"])
        c = r.criterion(o["criterion"])
        assert o["criterion_title"] == c.title.get(lang)
        assert o["anchors"] == {str(k): v.get(lang) for k, v in sorted(c.anchors.items())}
        assert o["scale"] == {"min": r.scale.min, "max": r.scale.max}
        assert (o["not_applicable_when"] is not None) == (c.not_applicable_when is not None)
        assert (o["reference"] is not None) == r.include_reference  # what the judge saw
    # russian_fluency instructs in Russian, reasoning_depth in English for both languages
    assert {RD: rd.judge_lang("ru"), RF: rf.judge_lang("ru")} == {RD: "en", RF: "ru"}
    ru_anchor = next(o for o in objs if o["rubric"] == RF)["anchors"]["1"]
    assert any("а" <= ch <= "я" for ch in ru_anchor.lower())


def test_same_seed_same_file_and_skip_exported(project: Config, tmp_path: Path) -> None:
    export_labels(project, tmp_path / "a.csv", per_stratum=2, seed=9)
    export_labels(project, tmp_path / "b.csv", per_stratum=2, seed=9)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()  # ids reused, same order
    before = set(items_of(project))
    export_labels(project, tmp_path / "c.jsonl", per_stratum=2, seed=9, skip_exported=True)
    fresh = {o["label_id"] for o in read_jsonl(tmp_path / "c.jsonl")}
    assert fresh and not fresh & before


def test_total_is_spread_evenly(project: Config, tmp_path: Path) -> None:
    s = export_labels(project, tmp_path / "t.jsonl", total=40, seed=2)
    assert s.rows == 40
    known = items_of(project)
    strata = Counter(
        (known[o["label_id"]]["model"], o["lang"], o["rubric"], o["criterion"])
        for o in read_jsonl(tmp_path / "t.jsonl")
    )
    assert max(strata.values()) - min(strata.values()) <= 1


def test_cli_refuses_to_overwrite_and_bad_options(project: Config, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_judge("labels", "export", "-c", str(project.path), *args)

    out = tmp_path / "x.csv"
    ok = run("--out", str(out), "--rubric", RF, "--n", "1")
    assert ok.returncode == 0, ok.stderr
    assert f"to {out}" in ok.stdout and all(r["rubric"] == RF for r in read_csv(out))
    again = run("--out", str(out))
    assert again.returncode == 2 and f"{out}: exists" in again.stderr
    unknown = run("--out", str(tmp_path / "y.csv"), "--rubric", "nope")
    assert unknown.returncode == 2 and "--rubric: no current rubric 'nope'" in unknown.stderr
    both = run("--out", str(tmp_path / "z.csv"), "--n", "2", "--total", "5")
    assert both.returncode == 2 and "give one of them" in both.stderr
