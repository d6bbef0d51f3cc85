"""Two judges of one rubric: every table row from LLM verdicts names its judge, and no two rows look alike."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from judge.report import Report, build_report, render
from judge.report.views import sections
from judge.store import Store
from tests.fakes.synth import JUDGE, RD, RF
from tests.report.conftest import SECOND_JUDGE, md_tables

JUDGES = {JUDGE, SECOND_JUDGE}
CONSENSUS = "consensus(mean)"
"""The jury's consensus rows: beside the judges' own in the model differences and the jury section."""


@pytest.fixture(scope="module")
def report(two_judges_path: Path) -> Report:
    with Store.open_readonly(two_judges_path) as store:
        return build_report(store, n_boot=200)


def test_the_database_knows_both_judges(report: Report) -> None:
    judges = {r.rubric: r.judges for r in report.rubrics}
    assert judges == {RD: sorted(JUDGES), RF: [JUDGE]}
    assert any(f"2 judges hold verdicts of {RD}" in item for item in report.sections.caveats.items)


def test_no_section_pools_or_drops_a_judge(report: Report) -> None:
    s, rel = report.sections, report.sections.judge_reliability
    per_judge: dict[str, list[Any]] = {
        "overview": s.overview.criteria + s.overview.totals,
        "language_gap": s.language_gap.rows,
        "model_deltas": s.model_deltas.rows,
        "depth": s.depth.rows,
        "depth bins": s.depth.bins,
        "pairwise": s.pairwise.rows,
        "swap": rel.swap,
        "check_agreement": rel.check_agreement,
        "cross_language": rel.cross_language,
        "human": rel.human,
    }
    for name, rows in per_judge.items():
        jury = {CONSENSUS} if name == "model_deltas" else set()
        assert {x.judge for x in rows if x.rubric == RD} == JUDGES | jury, name
    # the second judge scores higher: its means are its own, not a pool of both
    tot = {(x.judge, x.model): x.mean for x in s.overview.totals if x.rubric == RD and x.lang == "all"}
    assert all(tot[(SECOND_JUDGE, m)] > tot[(JUDGE, m)] + 0.2 for _, m in tot)


def _views(report: Report) -> list[tuple[str, Any]]:
    return [(key, v) for _, key, _, views in sections(report) for v in views]


def test_every_table_from_verdicts_names_the_judge_of_each_row(report: Report) -> None:
    views = _views(report)
    assert {key for key, v in views if v.from_verdicts} == {
        "overview",
        "language_gap",
        "model_deltas",
        "depth",
        "pairwise",
        "judge_reliability",
        "jury",
    }
    for key, v in views:
        if not v.from_verdicts:
            assert "judge" not in v.columns, (key, v.title)
            continue
        if "judge" in v.columns:
            i = v.columns.index("judge")
            jury = {CONSENSUS} if key in ("model_deltas", "jury") else set()
            assert {row[i] for row in v.rows} <= JUDGES | jury and all(row[i] for row in v.rows), (key, v.title)
            if any(RD in row for row in v.rows) or key == "jury":
                rd = {row[i] for row in v.rows if RD in row or key in ("overview", "jury")}
                assert rd - {CONSENSUS} == JUDGES, (key, v.title)
        else:  # a table of one rubric with one judge: the title names it
            assert v.title and re.search(r", judge \S+$", v.title) and RD not in v.title, (key, v.title)


def test_no_two_rows_of_any_table_are_identical(report: Report) -> None:
    for key, v in _views(report):
        assert len({tuple(r) for r in v.rows}) == len(v.rows), (key, v.title)
    md = render(report, "md")
    tables = md_tables(md)
    assert len(tables) >= len(_views(report))
    for t in tables:
        body = [tuple(r) for r in t[1:]]
        assert len(set(body)) == len(body), t[0]
    html = render(report, "html")
    for table in re.findall(r"<tbody>(.*?)</tbody>", html, flags=re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
        assert len(set(rows)) == len(rows)
    text = render(report, "terminal")
    assert text.count(SECOND_JUDGE) > 20


def _row_lists(x: Any, path: str = "") -> list[tuple[str, list[dict[str, Any]]]]:
    """Every list of row objects in the JSON, with where it is."""
    out = []
    if isinstance(x, dict):
        for k, v in x.items():
            out += _row_lists(v, f"{path}.{k}")
    elif isinstance(x, list) and x and all(isinstance(r, dict) for r in x):
        out.append((path, x))
        for i, r in enumerate(x):
            out += _row_lists(r, f"{path}[{i}]")
    return out


def test_json_rows_name_their_judge_and_are_distinct(report: Report) -> None:
    data = json.loads(render(report, "json"))
    lists = _row_lists(data["sections"])
    assert len(lists) > 10
    for path, rows in lists:
        # what identifies a row: its labels and counts (the floats are what it measures)
        keys = [tuple((k, v) for k, v in r.items() if isinstance(v, (str, int)) or v is None) for r in rows]
        assert len(set(keys)) == len(keys), path
        if "judge" in rows[0]:
            assert all(r["judge"] in JUDGES | {CONSENSUS} for r in rows), path


def test_html_plots_keep_the_judges_apart(report: Report) -> None:
    html = render(report, "html")
    for judge in JUDGES:
        assert f"{RD}, judge {judge}: total (weighted)" in html  # RU − EN bars
        assert f"{RD} (all), judge {judge}" in html  # paired differences
        assert f"{RD}, judge {judge}: score against reasoning tokens" in html
        assert f"{RD}, judge {judge}: mean score" in html


def test_one_judge_keeps_the_tables_as_they_were(one_judge_path: Path) -> None:
    with Store.open_readonly(one_judge_path) as store:
        r = build_report(store, n_boot=200)
    for key, v in _views(r):
        if key != "judge_reliability":  # those tables are about judges: always a judge column
            assert "judge" not in v.columns and ", judge" not in (v.title or ""), (key, v.title)
