"""Synthetic databases shared by the report tests: one judge, and two judges of one rubric."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from judge.store import Store
from tests.fakes.synth import RD, synthetic_db

SECOND_JUDGE = "judge-two"


def add_judge(path: Path, judge: str, rubric: str = RD) -> None:
    """Copy every LLM verdict and comparison of `rubric` as if `judge` had given it too.

    The copy scores half the criteria one point higher, so the two judges' means differ; its
    comparisons get their own pair ids, as a second judge's comparisons do (the pair id hashes
    the judge), and keep the first judge's winners.
    """
    with Store.open(path) as store:
        store.con.execute(
            """
            INSERT INTO verdicts SELECT * REPLACE (
                ? || ':' || verdict_id AS verdict_id, ? AS judge,
                CASE WHEN score IS NULL THEN NULL ELSE least(5.0, score + hash(verdict_id, criterion) % 2) END AS score)
            FROM verdicts WHERE rubric = ? AND mode = 'single'""",
            [judge, judge, rubric],
        )
        store.con.execute(
            """
            INSERT INTO comparisons SELECT * REPLACE (
                ? || ':' || comparison_id AS comparison_id, ? || ':' || pair_id AS pair_id, ? AS judge)
            FROM comparisons WHERE rubric = ?""",
            [judge, judge, judge, rubric],
        )


@pytest.fixture(scope="session")
def one_judge_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("one") / "one.duckdb"
    synthetic_db(path, n_generations=400, seed=2, human_labels=60)
    return path


@pytest.fixture(scope="session")
def two_judges_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("two") / "two.duckdb"
    synthetic_db(path, n_generations=800, seed=1, human_labels=100)
    add_judge(path, SECOND_JUDGE)
    return path


def md_tables(md: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of cells (header first, the ---| line dropped), `\\|` unescaped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in md.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            tables.append(current)
        if re.fullmatch(r"\|(-+:?\|)+", line):
            continue
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        current.append([c.strip().replace("\\|", "|") for c in cells])
    return tables
