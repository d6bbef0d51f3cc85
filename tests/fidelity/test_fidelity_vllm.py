"""`judge fidelity` through a real vLLM server on the CPU (float32 SmolLM2): the model against itself
measures a KLD of about zero, with vLLM's real `prompt_logprobs` and token ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge import serve
from judge.config import load_config
from judge.fidelity import fidelity
from judge.serve.embedded import free_port
from judge.store import Store
from tests.helpers import vllm_model_folder, write_config, write_jsonl

pytestmark = pytest.mark.vllm

TEXTS = [
    {"lang": "en", "text": "The committee met on Tuesday to review the budget and agreed to postpone the vote."},
    {"lang": "en", "text": "Water boils at a lower temperature at high altitude because the air pressure is lower."},
    {"lang": "ru", "text": "Комитет собрался во вторник, чтобы рассмотреть бюджет, и решил отложить голосование."},
    {"lang": "ru", "text": "На большой высоте вода кипит при более низкой температуре, потому что давление ниже."},
]


def test_float32_against_itself_measures_zero_through_vllm_cpu(tmp_path: Path) -> None:
    folder = vllm_model_folder()
    url = f"http://127.0.0.1:{free_port()}/v1"
    write_jsonl(tmp_path / "texts.jsonl", TEXTS)
    write_jsonl(tmp_path / "data.jsonl", [])
    args = ["--max-model-len", "1024", "--dtype", "float32"]
    cfg_path = write_config(
        tmp_path / "judge.toml",
        [
            {
                "name": "smol-fp32",
                "base_url": url,
                "model": "smollm2",
                "quantization": "fp32",
                "base_model": "smol",
                "serve": {"engine": "vllm", "model": str(folder), "args": args},
            },
            {
                "name": "smol-fp32-again",
                "base_url": url,
                "model": "smollm2",
                "quantization": "fp32",
                "base_model": "smol",
            },
        ],
    )
    cfg = load_config(cfg_path)
    state = tmp_path / "serve"
    try:
        serve.start(cfg, state_dir=state, timeout=900)
        s = fidelity(cfg, base="smol-fp32", variants=["smol-fp32-again"], texts="texts.jsonl", n_boot=200)
    finally:
        serve.stop(state, timeout=60)
    assert (s.ok, s.errors, s.modes) == (4, 0, {"smol-fp32": "prompt_logprobs", "smol-fp32-again": "prompt_logprobs"})
    with Store.open_readonly(cfg.db_path) as st:
        rows = {r["lang"]: r for r in st.records("SELECT * FROM fidelity")}
    assert set(rows) == {"en", "ru", "all"}
    for r in rows.values():
        assert r["n_tokens"] > 20 and r["n_errors"] == 0
        assert r["mean_kld"] < 1e-4 and r["p99_kld"] < 1e-3, r
        assert r["top1"] >= 0.98 and abs(r["ppl_ratio"] - 1) < 1e-3, r
        assert 1 < r["ppl_base"] < 1e4 and 0 < r["tail_mass"] < 1  # real log-probabilities, not placeholders
