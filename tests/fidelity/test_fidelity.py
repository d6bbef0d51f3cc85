"""`judge fidelity` against scripted servers whose full distributions are known: a planted distortion
is recovered per language, a model against itself measures zero, and the refusals (no prompt
log-probabilities, another tokenizer, another base model) stop it with exit 2 and nothing stored."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from judge.config import load_config
from judge.errors import ConfigError, EndpointError
from judge.fidelity import PromptLogprobsUnsupported, fidelity
from judge.store import Store
from tests.fidelity.fake import FakeLogprobServer, Script, exact
from tests.helpers import ROOT, write_config, write_jsonl

RU_WORDS = [
    "кошка",
    "сидит",
    "на",
    "окне",
    "и",
    "смотрит",
    "в",
    "сад",
    "где",
    "растут",
    "яблони",
    "груши",
    "вишни",
    "сливы",
]
EN_WORDS = [
    "the",
    "cat",
    "sits",
    "on",
    "the",
    "window",
    "and",
    "looks",
    "into",
    "the",
    "garden",
    "where",
    "apple",
    "pear",
    "trees",
    "grow",
]


def _texts(n: int = 5, length: int = 60) -> list[dict]:
    rows = []
    for i in range(n):
        for lang, ws in (("ru", RU_WORDS), ("en", EN_WORDS)):
            rng = np.random.default_rng(100 * i + len(lang) + (lang == "ru"))
            rows.append({"id": f"{lang}-{i}", "lang": lang, "text": " ".join(rng.choice(ws, length))})
    return rows


def _project(tmp_path: Path, base_url: str, variant_url: str, **variant: object) -> Path:
    write_jsonl(tmp_path / "texts.jsonl", _texts())
    write_jsonl(tmp_path / "data.jsonl", [])
    models = [
        {"name": "m-bf16", "base_url": base_url, "model": "m", "quantization": "bf16", "base_model": "m"},
        {
            "name": "m-q4",
            "base_url": variant_url,
            "model": "m",
            "quantization": "q4_k_m",
            "base_model": "m",
            "max_attempts": 2,
            **variant,
        },
    ]
    return write_config(tmp_path / "judge.toml", models)


def _exact_by_lang(distortion: float) -> dict[str, dict[str, float]]:
    """What the command should find, computed here from the full distributions."""
    out: dict[str, dict[str, float]] = {}
    pooled: dict[str, list[float]] = {}
    for t in _texts():
        klds, agree, nll_b, nll_v = exact(t["text"], distortion)
        for lang in (t["lang"], "all"):
            o = out.setdefault(lang, {"kld": 0.0, "n": 0, "agree": 0, "dnll": 0.0})
            o["kld"] += sum(klds)
            o["n"] += len(klds)
            o["agree"] += agree
            o["dnll"] += nll_v - nll_b
            pooled.setdefault(lang, []).extend(klds)
    return {
        lang: {
            "mean_kld": o["kld"] / o["n"],
            "top1": o["agree"] / o["n"],
            "ppl_ratio": math.exp(o["dnll"] / o["n"]),
            "p99_kld": float(np.quantile(pooled[lang], 0.99)),
            "n_tokens": o["n"],
        }
        for lang, o in out.items()
    }


def _view(cfg_path: Path) -> dict[str, dict]:
    with Store.open_readonly(cfg_path.parent / "judge.duckdb") as st:
        return {r["lang"]: r for r in st.records("SELECT * FROM fidelity WHERE variant = 'm-q4'")}


# ids without "vllm": conftest skips the tests whose keywords name a live engine
@pytest.mark.parametrize("kind", ["vllm", "echo"], ids=["prompt_logprobs", "echo"])
def test_a_planted_distortion_is_recovered_in_the_language_it_was_planted_in(tmp_path: Path, kind: str) -> None:
    with FakeLogprobServer(Script(kind)) as b, FakeLogprobServer(Script(kind, distortion=1.0)) as v:
        cfg = load_config(_project(tmp_path, b.base_url, v.base_url))
        s = fidelity(cfg, base="m-bf16", variants=["m-q4"], texts="texts.jsonl", n_boot=300)
    assert (s.ok, s.errors, s.modes["m-q4"]) == (10, 0, "prompt_logprobs" if kind == "vllm" else "echo")
    want, got = _exact_by_lang(1.0), _view(tmp_path / "judge.toml")
    assert set(got) == {"ru", "en", "all"}
    # English: no position follows a Cyrillic word, so nothing was distorted there.
    en = got["en"]
    assert en["mean_kld"] == pytest.approx(0, abs=1e-9) and en["top1"] == 1.0
    assert en["ppl_ratio"] == pytest.approx(1.0, abs=1e-9)
    ru, w = got["ru"], want["ru"]
    assert w["mean_kld"] > 0.05  # the planted distortion is large enough to matter
    # A coarsened vocabulary gives a lower bound, close when the top 20 hold most of the mass.
    assert 0.8 * w["mean_kld"] <= ru["mean_kld"] <= w["mean_kld"] * (1 + 1e-9)
    assert 0.6 * w["p99_kld"] <= ru["p99_kld"] <= w["p99_kld"] * (1 + 1e-9)
    # exact but for stats.cluster_mean_ci rounding equal-size texts' means to 1e-9
    assert ru["top1"] == pytest.approx(w["top1"], abs=1e-8) and ru["top1"] < 1.0
    assert ru["ppl_ratio"] == pytest.approx(w["ppl_ratio"], rel=1e-7)
    assert ru["n_tokens"] == w["n_tokens"] and ru["n_texts"] == 5
    assert 0 < ru["mean_kld_lo"] <= ru["mean_kld"] <= ru["mean_kld_hi"]
    assert ru["top1_lo"] <= ru["top1"] <= ru["top1_hi"] and ru["ppl_ratio_lo"] <= ru["ppl_ratio"] <= ru["ppl_ratio_hi"]
    assert got["all"]["n_tokens"] == want["all"]["n_tokens"]
    assert got["all"]["mean_kld"] == pytest.approx((ru["mean_kld"] * ru["n_tokens"]) / got["all"]["n_tokens"], rel=1e-7)
    assert (ru["base_quantization"], ru["variant_quantization"], ru["base_model"]) == ("bf16", "q4_k_m", "m")


def test_a_model_against_itself_measures_zero_and_a_rerun_requests_nothing_new(tmp_path: Path) -> None:
    with FakeLogprobServer(Script()) as b, FakeLogprobServer(Script()) as v:
        cfg = load_config(_project(tmp_path, b.base_url, v.base_url))
        s = fidelity(cfg, base="m-bf16", variants=["m-q4"], texts="texts.jsonl", n_boot=200)
        first = _view(tmp_path / "judge.toml")
        asked = len(v.script.requests)
        again = fidelity(cfg, base="m-bf16", variants=["m-q4"], texts="texts.jsonl", n_boot=200)
        # the rerun checks the endpoint with one text, and requests no comparison again
        assert len(v.script.requests) == asked + 1
    assert (s.ok, again.ok, again.skipped) == (10, 0, 10)
    for lang in ("ru", "en", "all"):
        r = first[lang]
        assert r["mean_kld"] == pytest.approx(0, abs=1e-12) and r["p99_kld"] == pytest.approx(0, abs=1e-12)
        assert r["top1"] == 1.0 and r["ppl_ratio"] == pytest.approx(1.0, abs=1e-12)
    assert _view(tmp_path / "judge.toml")["ru"]["mean_kld"] == first["ru"]["mean_kld"]


def test_a_failing_text_is_an_error_row_left_out_of_the_statistics(tmp_path: Path) -> None:
    with FakeLogprobServer(Script()) as b, FakeLogprobServer(Script(fail_word="сбой")) as v:
        cfg = load_config(_project(tmp_path, b.base_url, v.base_url))
        write_jsonl(
            tmp_path / "texts.jsonl", [*_texts(), {"lang": "ru", "text": " ".join(["кошка", "сбой", *RU_WORDS * 6])}]
        )
        s = fidelity(cfg, base="m-bf16", variants=["m-q4"], texts="texts.jsonl", n_boot=100)
    assert (s.ok, s.errors) == (10, 1)
    with Store.open_readonly(tmp_path / "judge.duckdb") as st:
        bad = st.records("SELECT error, kld FROM fidelity_texts WHERE status = 'error'")
    assert len(bad) == 1 and "HTTP 500" in bad[0]["error"] and bad[0]["kld"] is None
    got = _view(tmp_path / "judge.toml")
    assert (got["ru"]["n_errors"], got["ru"]["n_texts"], got["en"]["n_errors"]) == (1, 5, 0)


def _cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "judge.cli", "fidelity", "-c", str(cfg), "--no-progress", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_a_server_without_prompt_logprobs_is_refused_with_exit_2_and_nothing_stored(tmp_path: Path) -> None:
    with FakeLogprobServer(Script()) as b, FakeLogprobServer(Script("none")) as v:
        cfg = _project(tmp_path, b.base_url, v.base_url)
        r = _cli(cfg, "--base", "m-bf16", "--variants", "m-q4", "--texts", "texts.jsonl")
        asked = [sorted(k for k in q if k in ("prompt_logprobs", "echo")) for q in v.script.requests]
    assert r.returncode == 2, r.stderr
    assert "m-q4" in r.stderr and "prompt_logprobs" in r.stderr and "echo" in r.stderr
    assert "llama.cpp" in r.stderr
    assert asked == [["prompt_logprobs"], ["echo"]]  # both ways were tried, once each (no retries)
    assert not (tmp_path / "judge.duckdb").exists()


def test_refusals_before_anything_is_stored(tmp_path: Path) -> None:
    with FakeLogprobServer(Script()) as b, FakeLogprobServer(Script(tokenizer_salt="other")) as v:
        cfg = load_config(_project(tmp_path, b.base_url, v.base_url))
        with pytest.raises(EndpointError, match="does not tokenize like its base 'm-bf16'"):
            fidelity(cfg, base="m-bf16", variants=["m-q4"], texts="texts.jsonl")
        cfg2 = load_config(_project(tmp_path, b.base_url, v.base_url, base_model="other"))
        with pytest.raises(ConfigError, match="base_model 'other', not 'm'"):
            fidelity(cfg2, base="m-bf16", variants=["m-q4"], texts="texts.jsonl")
    assert not (tmp_path / "judge.duckdb").exists()
    assert issubclass(PromptLogprobsUnsupported, EndpointError) and PromptLogprobsUnsupported("x").exit_code == 2


def test_a_bad_texts_file_names_the_line(tmp_path: Path) -> None:
    cfg = load_config(_project(tmp_path, "http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"))
    write_jsonl(tmp_path / "bad.jsonl", [{"lang": "ru", "text": "да"}, {"lang": "en"}])
    with pytest.raises(Exception, match=r"bad.jsonl:2: text: required"):
        fidelity(cfg, base="m-bf16", variants=["m-q4"], texts="bad.jsonl")


def test_with_the_whole_vocabulary_in_the_top_k_the_kld_is_exact_and_a_smaller_k_gives_a_lower_bound() -> None:
    from judge.fidelity.compare import position_kld

    p = {"a": 0.5, "b": 0.3, "c": 0.15, "d": 0.05}
    q = {"a": 0.35, "b": 0.4, "c": 0.05, "d": 0.2}
    want = sum(p[t] * math.log(p[t] / q[t]) for t in p)
    lp, lq = ({t: math.log(v) for t, v in d.items()} for d in (p, q))
    assert position_kld(lp, ("b", lp["b"]), lq, ("b", lq["b"])) == pytest.approx(want, rel=1e-9)
    for k in (1, 2, 3):
        top_p = dict(sorted(lp.items(), key=lambda kv: -kv[1])[:k])
        top_q = dict(sorted(lq.items(), key=lambda kv: -kv[1])[:k])
        got = position_kld(top_p, ("d", lp["d"]), top_q, ("d", lq["d"]))
        assert 0 <= got <= want + 1e-12
