"""Power: the minimum detectable effect and `judge plan`'s sample sizes, checked by simulation, not by formula."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sp

from judge import stats
from judge.errors import ConfigError
from judge.report.context import Context, aligned
from judge.report.plan import plan
from judge.store import Store
from judge.store.queries import Filters, ReportData
from tests.fakes.synth import synthetic_db
from tests.inproc import run_judge


def _t_rejects(d: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Two-sided one-sample t-test of each row of `d` against 0: reject or not."""
    n = d.shape[1]
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    return np.abs(t) > sp.t.ppf(1 - alpha / 2, n - 1)


@pytest.mark.parametrize("n", [6, 15, 40, 250])
def test_a_true_difference_equal_to_the_mde_is_found_80_percent_of_the_time(n: int) -> None:
    sd = 1.3
    effect = stats.mde(sd, n)
    rng = np.random.default_rng(n)
    reps = 20_000
    rate = _t_rejects(rng.normal(effect, sd, size=(reps, n))).mean()
    assert abs(rate - 0.8) < 0.015, (n, effect, rate)  # 3 SE of a simulated rate at 20 000 draws
    half = _t_rejects(rng.normal(effect / 2, sd, size=(reps, n))).mean()
    assert half < 0.45  # half the MDE is usually missed


def test_the_mde_holds_for_the_reports_own_decision_on_rubric_like_differences() -> None:
    """Per-prompt differences of 1-5 scores are few distinct values; the report decides by a bootstrap CI."""
    rng = np.random.default_rng(7)
    values = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    probs = np.array([0.07, 0.23, 0.4, 0.23, 0.07])
    sd = math.sqrt(float(probs @ values**2))
    n, reps = 60, 600
    effect = stats.mde(sd, n)
    hits = 0
    for i in range(reps):
        d = rng.choice(values, size=n, p=probs) + effect
        r = stats.paired_diff(d, np.zeros(n), n_boot=400, seed=i)
        hits += r.lo > 0 or r.hi < 0
    assert abs(hits / reps - 0.8) < 0.06, hits / reps  # 3.7 SE at 600 draws


def test_small_samples_need_more_than_the_normal_formula_and_large_ones_match_it() -> None:
    assert stats.mde(1.0, 5) > 1.3 * stats.power.mde_z(1.0, 5)
    assert stats.mde(1.0, 10_000) == pytest.approx(stats.power.mde_z(1.0, 10_000), rel=1e-3)
    assert stats.mde(2.0, 50) == pytest.approx(2 * stats.mde(1.0, 50))
    assert stats.mde(1.0, 19) > stats.mde(1.0, 20) > stats.mde(1.0, 21)  # no seam where the method changes


def test_sample_size_is_the_fewest_units_reaching_the_power() -> None:
    sd, effect = 1.1, 0.25
    n = stats.sample_size(effect, sd)
    assert n is not None and stats.mde(sd, n) <= effect < stats.mde(sd, n - 1)
    rng = np.random.default_rng(3)
    rate = _t_rejects(rng.normal(effect, sd, size=(20_000, n))).mean()
    assert abs(rate - 0.8) < 0.015
    assert stats.sample_size(effect, sd, power=0.9) > n
    assert stats.sample_size(-effect, sd) == n  # the sign of the effect does not matter


def test_edge_cases() -> None:
    assert math.isnan(stats.mde(1.0, 1)) and math.isnan(stats.mde(float("nan"), 10)) and math.isnan(stats.mde(0.0, 10))
    assert stats.sample_size(0.0, 1.0) is None and stats.sample_size(0.2, float("nan")) is None
    assert stats.sample_size(1e-9, 1.0) is None  # beyond MAX_N
    assert stats.sample_size(0.2, 0.0) == 2
    assert math.isnan(stats.paired_power(0.5, 1.0, 1))
    with pytest.raises(ValueError):
        stats.mde(1.0, 10, power=1.0)
    sd, mde = stats.paired_mde([1.0, 2.0, float("nan"), 4.0], [0.0, 0.0, 1.0, 1.0])
    assert sd == pytest.approx(np.std([1.0, 2.0, 3.0], ddof=1)) and mde == pytest.approx(stats.mde(sd, 3))


# -- judge plan ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pilot") / "pilot.duckdb"
    synthetic_db(path, n_generations=480, seed=11, human_labels=0, pairwise_share=0)
    return path


def _judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_judge(*args, cwd=cwd)


def _pilot_differences(path: Path, a: str, b: str, lang: str) -> np.ndarray:
    """The pilot's per-prompt A − B differences of the reasoning_depth total, as the plan reads them."""
    with Store.open_readonly(path) as store, ReportData(store, Filters()) as q:
        ctx = Context(q, seed=0, n_boot=0)
        by = {g.key["model"]: g for g in ctx.tot_lang if g.key["lang"] == lang and g.key["rubric"] == "reasoning_depth"}
        xa, xb = aligned(by[a], by[b])
    return xa - xb


def test_judge_plan_prints_a_sample_size_that_reaches_the_power(pilot: Path) -> None:
    effect = 0.3
    r = _judge("plan", "--pilot", str(pilot), "--effect", str(effect), "--format", "json", cwd=pilot.parent)
    assert r.returncode == 0, r.stderr
    assert "n_needed" in r.stderr and "power 0.8" in r.stderr
    rows = json.loads(r.stdout)
    row = next(x for x in rows if x["comparison"] == "gpt-oss-120b − qwen3-30b-a3b" and x["lang"] == "en")
    n = row["n_needed"]
    assert row["rubric"] == "reasoning_depth" and isinstance(n, int) and n > row["n_pilot"] // 4
    assert {x["lang"] for x in rows} >= {"all", "en", "ru", "ru−en"}  # model pairs and each model's gap
    # Simulate a study of n prompts: the pilot's own differences (resampled, shifted to a true effect of
    # `effect`), decided by a two-sided t-test; it must find the effect about 80 % of the time.
    d = _pilot_differences(pilot, "gpt-oss-120b", "qwen3-30b-a3b", "en")
    assert d.size == row["n_pilot"] and d.std(ddof=1) == pytest.approx(row["sd"])
    rng = np.random.default_rng(5)
    draws = rng.choice(d - d.mean() + effect, size=(10_000, n))
    rate = _t_rejects(draws).mean()
    assert abs(rate - 0.8) < 0.03, rate
    fewer = _t_rejects(rng.choice(d - d.mean() + effect, size=(10_000, n // 2))).mean()
    assert fewer < 0.65  # half as many prompts fall well short


def test_judge_plan_refuses_bad_input(pilot: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    r = _judge("plan", "--pilot", str(missing), "--effect", "0", "--power", "1.5", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    for msg in ("--effect: must be above 0", "--power: must be between 0 and 1", "no such database file"):
        assert msg in r.stderr
    with Store.open_readonly(pilot) as store, pytest.raises(ConfigError, match="no answers from model 'nope'"):
        plan(store, effect=0.2, models=["nope"])
