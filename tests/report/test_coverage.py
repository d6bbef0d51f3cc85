"""Coverage is never silent: answers no current rubric applies to, and answers a rubric applies to but no verdict grades."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.report import Report, build_report, render
from judge.store import Store
from tests.fakes.synth import JUDGE, RD, RF, synthetic_db

COVERED = ["arithmetic", "logic", "planning"]  # "reading" is left to no rubric


def _applies(langs: list[str] | None, categories: list[str] | None) -> str:
    return json.dumps({"applies_to": {"langs": langs, "categories": categories}, "name": "x"})


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic rubrics with real `applies_to`: no rubric covers the category "reading"."""
    path = tmp_path_factory.mktemp("coverage") / "coverage.duckdb"
    synthetic_db(path, n_generations=400, seed=3, human_labels=0, pairwise_share=0)
    with Store.open(path) as store:
        for name, applies in ((RD, _applies(None, COVERED)), (RF, _applies(["ru"], COVERED))):
            store.con.execute("UPDATE rubrics SET canonical_json = ? WHERE name = ?", [applies, name])
    return path


def _open(path: Path, **kw: object) -> Report:
    with Store.open_readonly(path) as store:
        return build_report(store, n_boot=200, **kw)


def _count(path: Path, where: str) -> int:
    with Store.open_readonly(path) as store:
        return int(store.query(f"SELECT count(*) FROM answers WHERE current AND status = 'ok' AND {where}")[1][0][0])


def test_answers_no_rubric_covers_are_counted_and_listed(path: Path) -> None:
    cav = _open(path).sections.caveats
    assert cav.uncovered_answers == _count(path, "category = 'reading'") > 0
    assert {r.category for r in cav.uncovered} == {"reading"} and {r.lang for r in cav.uncovered} == {"en", "ru"}
    assert len({r.model for r in cav.uncovered}) == 4
    (item,) = [i for i in cav.items if "graded by no judge" in i]
    assert item.startswith(f"{cav.uncovered_answers} answers are graded by no judge: no current rubric applies")
    assert "categories: reading." in item and "languages: en, ru;" in item
    assert not cav.unjudged  # every answer a rubric covers has its verdicts


def test_every_format_shows_the_coverage_caveat(path: Path) -> None:
    r = _open(path)
    (item,) = [i for i in r.sections.caveats.items if "graded by no judge" in i]
    for fmt in ("terminal", "md", "html"):
        text = render(r, fmt)
        assert " ".join(text.split()).count(item.replace("'", "&#x27;") if fmt == "html" else item) == 1, fmt
    data = json.loads(render(r, "json"))["sections"]["caveats"]
    assert data["uncovered_answers"] == r.sections.caveats.uncovered_answers and data["uncovered"]


def test_the_filters_scope_the_count(path: Path) -> None:
    cav = _open(path, lang="en", models="gpt-oss-120b").sections.caveats
    assert cav.uncovered_answers == _count(path, "category = 'reading' AND lang = 'en' AND model = 'gpt-oss-120b'")
    assert _open(path, category="logic").sections.caveats.uncovered_answers == 0


def test_answers_a_rubric_covers_without_a_verdict(tmp_path: Path) -> None:
    db = tmp_path / "gaps.duckdb"
    synthetic_db(db, n_generations=400, seed=4, human_labels=0, pairwise_share=0, retired=False)
    with Store.open(db) as store:
        store.con.execute("UPDATE rubrics SET canonical_json = ? WHERE name = ?", [_applies(["ru"], None), RF])
        store.con.execute(
            """DELETE FROM verdicts WHERE rubric = ? AND generation_id IN (
                   SELECT generation_id FROM answers WHERE category = 'planning' AND model = 'qwen3-30b-a3b')""",
            [RD],
        )
    cav = _open(db).sections.caveats
    missing = _count(db, "category = 'planning' AND model = 'qwen3-30b-a3b'")
    assert [(u.rubric, u.judge, u.n) for u in cav.unjudged] == [(RD, JUDGE, missing)]
    assert any(i.startswith(f"{missing} answers have no verdict from judge {JUDGE} for rubric {RD}") for i in cav.items)
    assert cav.uncovered_answers == 0  # reasoning_depth (no applies_to) covers everything
    assert not _open(db, rubric=RF).sections.caveats.unjudged  # the rubric filter scopes it


def test_a_database_without_current_rubrics(tmp_path: Path) -> None:
    db = tmp_path / "none.duckdb"
    synthetic_db(db, n_generations=200, seed=5, human_labels=0, pairwise_share=0, retired=False)
    with Store.open(db) as store:
        store.con.execute("DELETE FROM rubrics")
    cav = _open(db).sections.caveats
    assert cav.uncovered_answers == _count(db, "true")
    assert any("the database holds no current rubric" in i for i in cav.items)
