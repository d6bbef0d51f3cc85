"""Labels on real text nobody here wrote: ru_llm_arena's Russian prompts and three models' answers.

The answers are imported as `judge import-answers --format arena-hard` does, scored by a scripted
judge on russian_fluency, exported as CSV, filled by a script and imported back: the Cyrillic (and
the answers' Markdown, quotes and line breaks) must come through the spreadsheet format intact.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from judge.config import load_config
from judge.dataset.importers import import_arena_hard
from judge.dataset.importers import write_jsonl as write_items
from judge.external import import_answers
from judge.store import Store
from tests.helpers import ROOT, write_config
from tests.inproc import run_judge
from tests.test_labels_export import RF, read_csv, score_all
from tests.test_labels_import import write_csv

ARENA = ROOT.parent / "shared" / "data" / "ru_llm_arena"
MODELS = ("gpt-4-1106-preview", "gpt-3.5-turbo-0125", "hermes-2-pro-llama-3-8b")


def _cli(cfg_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_judge("labels", *args, "-c", str(cfg_path))


@pytest.mark.skipif(not ARENA.is_dir(), reason=f"{ARENA} is missing (shared/ beside the checkout)")
def test_real_russian_answers_round_trip_through_csv(tmp_path: Path) -> None:
    write_items(import_arena_hard(ARENA / "general_ru.jsonl", lang="ru"), tmp_path / "data.jsonl")
    cfg_path = write_config(tmp_path / "judge.toml", [], dataset="data.jsonl")
    cfg = load_config(cfg_path)
    for m in MODELS:
        import_answers(cfg, ARENA / "answers" / f"{m}.jsonl", model=m, fmt="arena-hard")
    score_all(cfg, (RF,), seed=1)

    r = _cli(cfg_path, "export", "--rubric", RF, "--n", "5", "--seed", "2", "--out", str(tmp_path / "ru.csv"))
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "ru.jsonl").exists()  # a .csv path writes the CSV alone
    raw = (tmp_path / "ru.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = read_csv(tmp_path / "ru.csv")
    assert len(rows) == len(MODELS) * 8 * 5  # 3 models × 1 language × 8 criteria × 5
    with Store.open_readonly(cfg.db_path) as store:
        names = {x for row in store.query("SELECT name, model_id FROM models")[1] for x in row if x}
        truth = {
            row[0]: row[1:]
            for row in store.query(
                """SELECT i.label_id, a.answer, p.prompt FROM label_items i
                   JOIN generations a ON a.gen_id = i.generation_id JOIN prompts p ON p.prompt_key = a.prompt_key"""
            )[1]
        }
    text = raw.decode("utf-8-sig").lower()
    assert names >= set(MODELS) and not [n for n in names if n.lower() in text]
    for row in rows:
        answer, prompt = truth[row["label_id"]]
        # the text a linguist reads is the stored text, Cyrillic and all (a formula-like start is guarded)
        assert row["answer"] in (answer, "'" + answer) and row["prompt"] in (prompt, "'" + prompt)
        assert any("а" <= ch <= "я" for ch in row["criterion_title"].lower())  # the rubric instructs in Russian
    assert sum("\n" in row["answer"] for row in rows) > len(rows) // 2  # multi-line answers survived quoting

    comments = {}
    for i, row in enumerate(rows):
        row["score"] = str(1 + i % 5)
        comments[row["label_id"]] = row["comment"] = f"Ошибка в согласовании: «{row['criterion']}»,\nстрока {i}"
    write_csv(tmp_path / "filled.csv", rows)
    r = _cli(cfg_path, "import", str(tmp_path / "filled.csv"), "--annotator", "Мария Иванова")
    assert r.returncode == 0, r.stderr
    with Store.open_readonly(cfg.db_path) as store:
        got = store.query("SELECT label_id, score, comment, annotator, rubric, lang FROM labels")[1]
    assert len(got) == len(rows)
    want = {row["label_id"]: (float(row["score"]), comments[row["label_id"]]) for row in rows}
    assert {g[0]: (g[1], g[2]) for g in got} == want
    assert {(g[3], g[4], g[5]) for g in got} == {("Мария Иванова", RF, "ru")}
    # the filled file, read as a spreadsheet would show it, still holds the answers unchanged
    with (tmp_path / "filled.csv").open(encoding="utf-8-sig", newline="") as f:
        again = list(csv.DictReader(f))
    assert [a["answer"] for a in again] == [row["answer"] for row in rows]
