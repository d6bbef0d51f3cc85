"""End to end through a real llama.cpp server started by the suite (fast; in every run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.config import load_config
from judge.generate import generate
from judge.store import Store
from tests.helpers import make_items, write_config, write_jsonl

pytestmark = pytest.mark.llamacpp


def test_generate_two_models_through_llamacpp(tmp_path: Path, llamacpp_server) -> None:
    write_jsonl(tmp_path / "data.jsonl", make_items(3))
    cfg_path = write_config(
        tmp_path / "judge.toml",
        [
            {
                "name": "smol-greedy",
                "base_url": llamacpp_server.base_url,
                "model": "smollm2",
                "params": {"temperature": 0.0, "max_tokens": 48, "seed": 1},
                "quantization": "q4_1",
                "base_model": "smollm2",
            },
            {
                "name": "smol-warm",
                "base_url": llamacpp_server.base_url,
                "model": "smollm2",
                "params": {"temperature": 0.8, "max_tokens": 48, "seed": 1},
                "quantization": "q4_1",
                "base_model": "smollm2",
            },
        ],
    )
    s = generate(load_config(cfg_path))
    assert (s.ok, s.errors) == (12, 0)
    with Store.open_readonly(tmp_path / "judge.duckdb") as st:
        rows = st.records(
            "SELECT model, answer, completion_tokens, prompt_tokens, latency_ms, finish_reason,"
            " response_model FROM answers"
        )
    assert len(rows) == 12
    for r in rows:
        assert r["answer"].strip(), r  # a real model said something
        assert r["prompt_tokens"] > 5 and 0 < r["completion_tokens"] <= 48
        assert r["latency_ms"] > 0 and r["finish_reason"] in ("stop", "length")
        assert r["response_model"] == "smollm2"
    assert generate(load_config(cfg_path)).planned == 0  # exactly once against a real server too


def test_grade_through_llamacpp_json_schema(tmp_path: Path, llamacpp_server) -> None:
    """Single and pairwise verdicts through llama.cpp's json_schema grammar, with logprobs."""
    import shutil

    from judge.grade import grade
    from tests.helpers import ROOT

    shutil.copy(ROOT / "tests" / "data" / "rubrics" / "clarity.yaml", tmp_path / "clarity.yaml")
    write_jsonl(tmp_path / "data.jsonl", [dict(it, category="logic") for it in make_items(2)])
    cfg_path = write_config(
        tmp_path / "judge.toml",
        [
            {
                "name": "a",
                "base_url": llamacpp_server.base_url,
                "model": "smollm2",
                "params": {"temperature": 0.0, "max_tokens": 40},
            },
            {
                "name": "b",
                "base_url": llamacpp_server.base_url,
                "model": "smollm2",
                "params": {"temperature": 0.9, "max_tokens": 40, "seed": 5},
            },
        ],
        judge={"model": "a", "rubrics": ["clarity.yaml"], "mode": "both", "rationale_max_chars": 60},
    )
    assert generate(load_config(cfg_path)).ok == 8
    r = grade(load_config(cfg_path))
    assert r.ok + r.errors == 16 and r.ok >= 12
    with Store.open_readonly(tmp_path / "judge.duckdb") as st:
        rows = st.records(
            "SELECT score, expected_score, logprob_coverage, error, self_judged, model FROM scores WHERE judge = 'a'"
        )
    for row in rows:
        assert (row["error"] is None and 1 <= row["score"] <= 5) or (row["error"] and row["score"] is None), row
    ok = [x for x in rows if x["error"] is None]
    # llama.cpp returns logprobs: the probability-weighted score lies within the scale
    assert any(x["expected_score"] is not None for x in ok)
    assert all(
        1 <= x["expected_score"] <= 5 and 0 < x["logprob_coverage"] <= 1 for x in ok if x["expected_score"] is not None
    )
    assert all(x["self_judged"] for x in rows)  # the judge is the contestants' own model
