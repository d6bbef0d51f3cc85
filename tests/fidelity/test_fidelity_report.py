"""The report's precision answer shows `judge fidelity`'s measure beside the judge deltas of the same pair."""

from __future__ import annotations

from pathlib import Path

from judge.config import load_config
from judge.fidelity import fidelity
from judge.report import build_report, render
from judge.store import Store
from tests.fidelity.fake import FakeLogprobServer, Script
from tests.fidelity.test_fidelity import _texts
from tests.helpers import write_config, write_jsonl
from tests.report.conftest import precision_db

BF16, FP8 = "qwen3-30b-a3b", "qwen3-30b-a3b-fp8"


def test_the_precision_answer_shows_the_token_distributions_beside_the_judge_deltas(tmp_path: Path) -> None:
    db = precision_db(tmp_path / "judge.duckdb")
    write_jsonl(tmp_path / "texts.jsonl", _texts(3, 40))
    write_jsonl(tmp_path / "data.jsonl", [])
    with FakeLogprobServer(Script()) as b, FakeLogprobServer(Script(distortion=1.0)) as v:
        models = [
            {"name": BF16, "base_url": b.base_url, "model": "q", "quantization": "bf16", "base_model": BF16},
            {"name": FP8, "base_url": v.base_url, "model": "q", "quantization": "fp8", "base_model": BF16},
        ]
        cfg = load_config(write_config(tmp_path / "judge.toml", models, db=db.name))
        fidelity(cfg, base=BF16, variants=[FP8], texts="texts.jsonl", n_boot=100)
    with Store.open_readonly(db) as st:
        stored = {r["lang"]: r for r in st.records("SELECT * FROM fidelity")}
        report = build_report(st, n_boot=200)
    lines = [x for x in report.sections.answers.questions if x.question == "precision"]
    judged = [i for i, x in enumerate(lines) if x.rubric is not None and x.subject.startswith(f"{BF16} bf16 → fp8")]
    fid = [i for i, x in enumerate(lines) if x.decided.startswith("measured")]
    assert judged and len(fid) == 2  # Russian and English
    assert min(fid) > max(judged)  # right after the judge deltas of the same pair
    ru = next(lines[i] for i in fid if lines[i].lang == "ru")
    assert (ru.model_a, ru.model_b, ru.rubric, ru.n) == (FP8, BF16, None, 3)
    assert ru.subject == f"{BF16} bf16 → fp8, token distributions (Russian)"
    r = stored["ru"]
    assert r["mean_kld"] > 0.05 and f"mean KLD {r['mean_kld']:.3g} [{r['mean_kld_lo']:.3g}, " in ru.verdict
    assert f"top-1 agreement {r['top1']:.1%}" in ru.verdict and f"perplexity ratio {r['ppl_ratio']:.4f}" in ru.verdict
    en = next(lines[i] for i in fid if lines[i].lang == "en")
    assert "mean KLD 0 [0, 0]" in en.verdict and "top-1 agreement 100.0%" in en.verdict
    assert any("judge fidelity" in n for n in report.sections.answers.notes)
    md = render(report, "md")
    assert md is not None and "token distributions (Russian)" in md and "measured (token distributions" in md
