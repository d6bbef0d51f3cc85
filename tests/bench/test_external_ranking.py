"""bench/external_ranking.py end to end without an LLM: a fake judge server that prefers the stronger model.

The bench's own parts run for real: sampling, `import-answers --format arena-hard`, pairwise grading
with swap through `judge.grade`, the Bradley-Terry order against the published one, the bootstrap
over prompts, the report's reliability numbers and the length table. Only the judge is scripted.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes.server import FakeServer, Reply, find_schema, json_reply_for_schema
from tests.helpers import ROOT

MODELS = ("gpt-4-1106-preview", "gpt-3.5-turbo-0125", "hermes-2-pro-llama-3-8b")  # the published order
RANK = {m: i for i, m in enumerate(MODELS)}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("external_ranking", ROOT / "bench" / "external_ranking.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _arena_data(tmp: Path, n: int) -> tuple[Path, Path]:
    """A dataset of n Russian prompts and the three models' answers in Arena-Hard format.

    Each answer names its model (so the fake judge can tell them apart); gpt-4's are the longest,
    as in the real files.
    """
    data = tmp / "arena"
    (data / "answers").mkdir(parents=True)
    qids = [1000 + i for i in range(n)]
    items = [
        {"id": f"arena-{q}", "lang": "ru", "category": "ru-arena-v0.1", "prompt": f"Вопрос номер {q}: как быть?"}
        for q in qids
    ]
    dataset = tmp / "arena.jsonl"
    dataset.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
    for m in MODELS:
        words = {0: 120, 1: 50, 2: 80}[RANK[m]]
        with (data / "answers" / f"{m}.jsonl").open("w", encoding="utf-8") as f:
            for q in qids:
                text = f"[{m}] Ответ на вопрос {q}. " + " ".join(["слово"] * words)
                row = {"question_id": q, "model_id": m, "choices": [{"index": 0, "turns": [{"content": text}]}]}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return data, dataset


def _block(text: str, tag: str) -> str:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S)
    return m.group(1) if m else ""


def prefers_the_published_order(req: dict[str, Any]) -> Reply:
    """Every criterion: the answer of the model ranked higher on the leaderboard wins."""
    user = next(m["content"] for m in reversed(req["messages"]) if m["role"] == "user")
    rank = {}
    for side, tag in (("A", "answer_a"), ("B", "answer_b")):
        who = next(m for m in MODELS if f"[{m}]" in _block(user, tag))
        rank[side] = RANK[who]
    winner = "A" if rank["A"] < rank["B"] else "B"
    found = find_schema(req)
    assert found is not None
    return Reply(content=json.dumps(json_reply_for_schema(schema=found[0], winner=winner), ensure_ascii=False))


@pytest.mark.timeout(300)
def test_end_to_end_with_a_scripted_judge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    data, dataset = _arena_data(tmp_path, 8)
    with FakeServer(reply=prefers_the_published_order) as srv:
        cfg = tmp_path / "judge.toml"
        cfg.write_text(
            f'[judge]\nmodel = {{name = "fake-judge", base_url = "{srv.base_url}", model = "fake-model", '
            "max_attempts = 1}\n",
            encoding="utf-8",
        )
        rc = bench.main(
            [
                "--n", "5", "--seed", "1", "--config", str(cfg), "--data", str(data), "--dataset", str(dataset),
                "--workdir", str(tmp_path / "work"), "--n-boot", "50",
            ]
        )  # fmt: skip
        calls = srv.counts["ok"]
    out = capsys.readouterr().out
    assert rc == 0
    assert calls == 5 * 3 * 2  # 5 prompts, 3 model pairs, both orders
    print(out)
    assert re.search(r"Kendall tau, our BT order vs published\s+1\.00 \[1\.00, 1\.00\]", out)
    assert re.search(r"model pairs ordered as published \(of 3 compared\)\s+100\.0 \[100\.0, 100\.0\] %", out)
    assert re.search(r"won by the published-stronger model \(n=15\)\s+100\.0", out)
    assert "overall helpfulness" in out
    # the judge never contradicts itself across the swap, and names one winner on all 3 criteria
    assert re.search(r"swap consistency \(fake-judge, arena_helpfulness, 45 pair x criterion\)\s+100\.0", out)
    assert re.search(r"halo: pairs where all 3 criteria name one winner \(n=15\)\s+100\.0 %", out)
    # gpt-4 wins everything, and its answers are the longest: length and quality cannot be told apart here
    assert re.search(r"gpt-4-1106-preview\s+90\.9\s+100\.0 \[100\.0, 100\.0\]", out)
    assert re.search(r"longer answer won .*\s+66\.7", out)  # gpt-3.5 (shortest) beats the longer hermes
    # a second run on the same workdir resumes: nothing is judged again
    with FakeServer(reply=prefers_the_published_order) as srv:
        cfg.write_text(
            f'[judge]\nmodel = {{name = "fake-judge", base_url = "{srv.base_url}", model = "fake-model", '
            "max_attempts = 1}\n",
            encoding="utf-8",
        )
        bench.main(
            [
                "--n", "5", "--seed", "1", "--config", str(cfg), "--data", str(data), "--dataset", str(dataset),
                "--workdir", str(tmp_path / "work"), "--n-boot", "20",
            ]
        )  # fmt: skip
        assert srv.counts["ok"] == 0


def test_sampling_and_the_published_scores(tmp_path: Path) -> None:
    bench = _bench()
    data, dataset = _arena_data(tmp_path, 8)
    one = bench.sample(5, 1, dataset, data / "answers", MODELS)[0]
    assert one == bench.sample(5, 1, dataset, data / "answers", MODELS)[0]
    assert one != bench.sample(5, 2, dataset, data / "answers", MODELS)[0]
    assert len(one) == 5 and all(i.startswith("arena-") for i in one)
    with pytest.raises(SystemExit):
        bench.sample(9, 1, dataset, data / "answers", MODELS)
    assert bench.published(tmp_path) == bench.PUBLISHED  # no leaderboard file: the constants
    real = Path("/work/shared/data/ru_llm_arena")
    if (real / "leaderboard_2024-10-27.txt").exists():
        assert bench.published(real) == {
            "gpt-4-1106-preview": 90.9,
            "gpt-3.5-turbo-0125": 50.0,
            "hermes-2-pro-llama-3-8b": 30.8,
        }
