"""Filters checked against the database: a value that selects nothing is an error naming what is there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from judge.errors import ConfigError, JudgeError
from judge.report import Report, build_report
from judge.store import Store
from tests.fakes.synth import RD, RETIRED_RD, VERSIONS
from tests.inproc import run_judge


def _open(path: Path, **kw: object) -> Report:
    with Store.open_readonly(path) as store:
        return build_report(store, n_boot=200, **kw)


def _error(path: Path, **kw: object) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        _open(path, **kw)
    assert isinstance(e.value, JudgeError) and e.value.exit_code == 2
    return e.value


def test_an_absent_language_names_the_present_ones(one_judge_path: Path) -> None:
    e = _error(one_judge_path, lang="de")
    assert e.problems == ["--lang: no answers in language 'de' (languages present: en, ru)"]
    assert {r.lang for r in _open(one_judge_path, lang="ru,en").sections.overview.criteria} == {"ru", "en"}


def test_languages_are_those_of_the_selected_answers(one_judge_path: Path) -> None:
    with Store.open_readonly(one_judge_path) as store:
        retired = store.query("SELECT model FROM model_labels WHERE NOT current")[1][0][0]
    # the synthetic retired variant answered English prompts only
    e = _error(one_judge_path, models=retired, lang="ru")
    assert e.problems == ["--lang: no answers in language 'ru' (languages present: en)"]
    assert _open(one_judge_path, models=retired, lang="en").sections.cost.rows


def test_unknown_models_rubrics_judges_and_categories(one_judge_path: Path) -> None:
    e = _error(one_judge_path, models="gpt-oss-120b,gpt-oss-12b")
    (msg,) = e.problems
    assert msg.startswith("--models: no answers from model 'gpt-oss-12b' (models with answers: gpt-oss-120b, ")
    assert "@" in msg  # the retired variant's label is listed too
    e = _error(one_judge_path, rubric="reasoning-depth")
    assert e.problems == [
        "--rubric: unknown rubric 'reasoning-depth' (rubrics in the database: reasoning_depth, russian_fluency)"
    ]
    e = _error(one_judge_path, rubric=f"{RD}@r9")
    assert e.problems == [f"--rubric: {RD} has no version starting with 'r9' (versions: {RETIRED_RD}, {VERSIONS[RD]})"]
    assert _open(one_judge_path, rubric=f"{RD}@{RETIRED_RD}").sections.overview.criteria
    e = _error(one_judge_path, judge="check:answer")
    assert e.problems[0].startswith("--judge: no verdicts from judge 'check:answer' (LLM judges in the database: ")
    e = _error(one_judge_path, category="arithmetics")
    assert e.problems == [
        "--category: no answers in category 'arithmetics' (categories present: arithmetic, logic, planning, reading)"
    ]


def test_every_problem_is_reported_at_once(one_judge_path: Path) -> None:
    e = _error(one_judge_path, lang="de", category="poetry", judge="nobody")
    assert [p.split(":")[0] for p in e.problems] == ["--lang", "--category", "--judge"]
    assert "(languages present: en, ru)" in e.problems[0]  # the bad category does not hide the languages


def test_an_empty_database_has_no_language(tmp_path: Path) -> None:
    Store.open(tmp_path / "empty.duckdb").close()
    e = _error(tmp_path / "empty.duckdb", lang="ru")
    assert e.problems == ["--lang: no answers in language 'ru' (languages present: none)"]


def test_the_cli_exits_2_with_the_message(one_judge_path: Path, tmp_path: Path) -> None:
    r = run_judge(
        "report",
        "--db",
        str(one_judge_path),
        "--lang",
        "de",
        "--n-boot",
        "100",
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert r.returncode == 2, r.stderr
    assert "--lang: no answers in language 'de' (languages present: en, ru)" in r.stderr
