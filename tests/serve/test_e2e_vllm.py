"""End to end through a real vLLM server on the CPU, started by `judge serve` (scripts/setup_vllm_cpu.sh)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from judge import serve
from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.serve.embedded import free_port
from judge.store import Store
from tests.helpers import ROOT, make_items, vllm_model_folder, write_config, write_jsonl

pytestmark = pytest.mark.vllm


def test_generate_and_grade_through_vllm_cpu(tmp_path: Path) -> None:
    folder = vllm_model_folder()
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    shutil.copy(ROOT / "tests" / "data" / "rubrics" / "clarity.yaml", tmp_path / "clarity.yaml")
    write_jsonl(tmp_path / "data.jsonl", [dict(it, category="logic") for it in make_items(2)])
    cfg_path = write_config(
        tmp_path / "judge.toml",
        [
            {
                "name": "smol-greedy",
                "base_url": url,
                "model": "smollm2",
                "params": {"temperature": 0.0, "max_tokens": 48},
                "serve": {"engine": "vllm", "model": str(folder), "args": ["--max-model-len", "4096"]},
            },
            {
                "name": "smol-warm",
                "base_url": url,
                "model": "smollm2",
                "params": {"temperature": 0.9, "max_tokens": 48, "seed": 3},
            },
        ],
        judge={"model": "smol-greedy", "rubrics": ["clarity.yaml"], "mode": "both", "rationale_max_chars": 60},
    )
    cfg = load_config(cfg_path)
    state = tmp_path / "serve"
    try:
        [srv] = serve.start(cfg, state_dir=state, timeout=900)
        assert srv.engine == "vllm" and srv.started
        g = generate(cfg)
        assert (g.ok, g.errors) == (8, 0)
        r = grade(cfg)
    finally:
        serve.stop(state, timeout=60)
    # single: 8 answers x 1 rubric; pairwise: 4 prompts x 1 pair x 2 orders
    assert r.ok + r.errors == 8 + 8
    assert r.ok >= 12, f"too many failed verdicts through vLLM json_schema: {r.errors}"
    with Store.open_readonly(cfg.db_path) as st:
        rows = st.records("SELECT score, error, criterion FROM scores WHERE judge = 'smol-greedy'")
        answers = st.records("SELECT response_model, completion_tokens, answer FROM answers")
        pairs = st.records("SELECT winner, consistent, error FROM pairwise")
    assert {a["response_model"] for a in answers} == {"smollm2"}
    assert all(a["answer"] and a["completion_tokens"] > 0 for a in answers)
    assert len(rows) == 16  # 8 answers x 2 criteria
    for row in rows:  # a real score within the scale, or an error with no score: never anything else
        assert (row["error"] is None and 1 <= row["score"] <= 5) or (row["error"] and row["score"] is None), row
    assert len(pairs) == 8 and all(p["error"] or p["winner"] for p in pairs)
