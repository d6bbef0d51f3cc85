"""Synthetic databases shared by the report tests: one judge, two judges of one rubric, and a planted
precision effect graded by a faithful, a halo and a random judge."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from judge.store import Store
from tests.fakes.synth import DEFAULT_MODELS, RD, JudgeMode, Planted, synthetic_db

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


PRECISION_COST = -0.6
"""Planted: qwen3-30b-a3b-fp8 scores this much below qwen3-30b-a3b (bf16) on every criterion."""
PRECISION_MODELS = tuple(
    m.model_copy(update={"quality": PRECISION_COST}) if m.name == "qwen3-30b-a3b-fp8" else m for m in DEFAULT_MODELS
)


def precision_db(path: Path, judge_mode: JudgeMode = "faithful") -> Path:
    """A precision effect within one base model (bf16 → fp8), no RU − EN gap, graded by a judge of `judge_mode`."""
    synthetic_db(
        path,
        n_generations=2000,
        seed=4,
        models=PRECISION_MODELS,
        planted=Planted(ru_gap=0.0),
        human_labels=150,
        judge_mode=judge_mode,
    )
    return path


@pytest.fixture(scope="session")
def faithful_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return precision_db(tmp_path_factory.mktemp("faithful") / "faithful.duckdb")


@pytest.fixture(scope="session")
def halo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return precision_db(tmp_path_factory.mktemp("halo") / "halo.duckdb", "halo")


@pytest.fixture(scope="session")
def random_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return precision_db(tmp_path_factory.mktemp("random") / "random.duckdb", "random")


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
