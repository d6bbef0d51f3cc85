"""Work no rubric covers is never silent: grade and status name the prompts and say why."""

from __future__ import annotations

from pathlib import Path

from judge.dataset import load_items
from judge.grade.plan import item_gaps
from judge.rubric import load_rubric
from tests.helpers import ROOT, make_items, write_config, write_jsonl
from tests.inproc import run_judge


def test_seed_items_no_bundled_rubric_grades_are_named_with_the_reason() -> None:
    items = load_items(ROOT / "datasets" / "seed.jsonl")
    rubrics = [load_rubric(ROOT / "rubrics" / f) for f in ("reasoning_depth.yaml", "russian_fluency.yaml")]
    gaps = item_gaps(items, rubrics, ["a", "b"])
    by_id = {g.item_id: g for g in gaps}
    # every gap really is uncovered, and every uncovered item is a gap
    from judge.rubric import applies

    assert set(by_id) == {it.id for it in items if not any(applies(r, it) for r in rubrics)}
    assert by_id, "the bundled rubrics leave some seed items ungraded (English writing)"
    g = next(iter(by_id.values()))
    assert g.models == ("a", "b") and g.lang == "en"
    assert f"lists no category {g.category!r}" in g.reason and "russian_fluency grades ru only" in g.reason


def test_status_lists_uncovered_prompts(tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "r.yaml").write_text(
        (ROOT / "rubrics" / "reasoning_depth.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    write_jsonl(tmp_path / "data.jsonl", make_items(2, category="trivia"))
    cfg = write_config(
        tmp_path / "judge.toml",
        [{"name": "m", "base_url": "http://127.0.0.1:9/v1", "model": "m"}],
        judge={"model": "m", "rubrics": ["rubrics/r.yaml"]},
    )
    r = run_judge("status", "-c", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "not graded: 4 prompts (4 answers) that no configured rubric covers" in r.stderr
    assert "lists no category 'trivia'" in r.stderr
