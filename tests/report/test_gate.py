"""The validity gate: a halo judge, a random judge and a faithful one, probe results present or not, thresholds
from judge.toml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from judge.config import GateConfig, load_config
from judge.errors import ConfigError
from judge.report import Report, build_report, render
from judge.report.model import GateRow
from judge.store import Store
from tests.fakes.synth import JUDGE, RD, RF, RF_CRITERIA, synthetic_db
from tests.inproc import run_judge


def _report(path: Path, **kw: object) -> Report:
    with Store.open_readonly(path) as store:
        return build_report(store, n_boot=200, **kw)  # type: ignore[arg-type]


def _gate(r: Report, rubric: str, test: str) -> list[GateRow]:
    return [g for g in r.sections.judge_reliability.gate if g.rubric == rubric and g.test == test]


def with_probe(src: Path, dst: Path, rows: list[tuple[object, ...]] | None) -> Path:
    """A copy of `src` whose `probe_results` holds `rows` (None: no probe_results at all)."""
    shutil.copy(src, dst)
    with Store.open(dst) as store:
        store.con.execute("DROP VIEW IF EXISTS probe_results")
        if rows is not None:
            store.con.execute(
                "CREATE TABLE probe_results (judge VARCHAR, rubric VARCHAR, criterion VARCHAR, lang VARCHAR, "
                "operator VARCHAR, dose INTEGER, n INTEGER, p_detect DOUBLE, mean_drop DOUBLE, lo DOUBLE, hi DOUBLE, "
                "p_raise DOUBLE)"
            )
            store.con.executemany("INSERT INTO probe_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return dst


def probe_rows(p_detect: float, dose: int = 3, n: int = 80) -> list[tuple[object, ...]]:
    """Per russian_fluency criterion: an error operator detected at `p_detect`, one the criterion is blind to
    (0.5, with a stored CI), and a neutral one (p_raise set) that must not count."""
    out: list[tuple[object, ...]] = [
        (JUDGE, RF, c, "ru", "case", dose, n, p_detect, 0.8, None, None, None) for c in RF_CRITERIA
    ]
    out += [(JUDGE, RF, c, "ru", "homoglyph", dose, n, 0.5, 0.0, 0.41, 0.59, None) for c in RF_CRITERIA]
    out += [(JUDGE, RF, c, "ru", "padding", dose, n, 0.1, -0.2, None, None, 0.3) for c in RF_CRITERIA]
    return out


@pytest.fixture(scope="module")
def faithful(faithful_path: Path) -> Report:
    return _report(faithful_path)


@pytest.fixture(scope="module")
def halo(halo_path: Path) -> Report:
    return _report(halo_path)


@pytest.fixture(scope="module")
def random(random_path: Path) -> Report:
    return _report(random_path)


def test_a_faithful_judge_passes_what_is_measured_and_is_unvalidated_where_nothing_is(faithful: Report) -> None:
    swap = _gate(faithful, RD, "swap consistency")
    assert len(swap) == 6 and all(g.status == "pass" and g.criterion for g in swap)
    (check,) = _gate(faithful, RD, "check agreement")
    assert check.status == "pass" and check.criterion == "correctness" and check.value > 0.9
    (human,) = _gate(faithful, RD, "human agreement")
    assert human.status == "pass"
    halo = _gate(faithful, RD, "halo")
    assert {g.lang for g in halo} == {"all", "en", "ru"} and all(g.status == "pass" and g.value < 0.3 for g in halo)
    assert {g.lang for g in _gate(faithful, RF, "halo")} == {"ru"}  # one language: no pooled row repeating it
    assert all(g.status == "pass" for g in _gate(faithful, RD, "parse errors"))
    # russian_fluency: no pairwise, no correctness criterion, no labels, no probe: nothing validates it
    assert all(
        g.status == "not measured"
        for t in ("swap consistency", "check agreement", "human agreement", "probe")
        for g in _gate(faithful, RF, t)
    )
    a = faithful.sections.answers
    assert not a.judge_trusted
    assert f"{JUDGE} on {RD}: trusted" in a.reasons[0]
    assert a.reasons[1].startswith(f"{JUDGE} on {RF}: not trusted: not validated")


def test_a_halo_judge_is_refused_for_halo_alone(halo: Report) -> None:
    rows = _gate(halo, RD, "halo")
    assert rows and all(g.status == "fail" for g in rows)
    pooled = next(g for g in rows if g.lang == "all")
    assert pooled.value > 0.95 and pooled.text == f"halo {pooled.value:.2f} > 0.60"
    failed = {g.test for g in halo.sections.judge_reliability.gate if g.status == "fail"}
    assert failed == {"halo"}  # its swaps, check agreement and human agreement are fine
    a = halo.sections.answers
    assert not a.judge_trusted and any("halo 1.00 > 0.60" in x for x in a.reasons)


def test_a_random_judge_fails_every_validity_test(random: Report) -> None:
    for test in ("swap consistency", "check agreement", "human agreement"):
        rows = _gate(random, RD, test)
        assert rows and all(g.status == "fail" for g in rows), test
    assert all(0.2 < g.value < 0.45 for g in _gate(random, RD, "swap consistency"))  # a third by chance
    assert all(g.status == "pass" for g in _gate(random, RD, "halo"))  # random scores are not uniform
    reason = random.sections.answers.reasons[0]
    assert "swap consistency" in reason and "< 0.65" in reason and "check AUC" in reason and "< 0.70" in reason


def test_a_database_without_probe_results_still_reports(faithful_path: Path, tmp_path: Path) -> None:
    path = with_probe(faithful_path, tmp_path / "noprobe.duckdb", None)
    with Store.open_readonly(path) as store:
        assert not store.query("SELECT * FROM information_schema.tables WHERE table_name = 'probe_results'")[1]
    r = _report(path)
    rows = _gate(r, RD, "probe") + _gate(r, RF, "probe")
    assert len(rows) == 2 and all(g.status == "not measured" and g.criterion is None for g in rows)
    assert rows[0].text == "probe: not measured (no probe_results in this database (run `judge probe`))"
    assert "probe: not measured" in render(r, "md")


def test_probe_results_validate_a_criterion_or_refuse_it(faithful_path: Path, tmp_path: Path) -> None:
    good = _report(with_probe(faithful_path, tmp_path / "good.duckdb", probe_rows(0.9)))
    rows = _gate(good, RF, "probe")
    assert len(rows) == len(RF_CRITERIA) and all(g.status == "pass" and g.lang == "ru" and g.n == 80 for g in rows)
    assert good.sections.answers.judge_trusted  # every rubric now validated, nothing failed
    assert all(g.status == "not measured" for g in _gate(good, RD, "probe"))  # not probed: never a pass
    bad = _report(with_probe(faithful_path, tmp_path / "bad.duckdb", probe_rows(0.55)))
    rows = _gate(bad, RF, "probe")
    assert all(g.status == "fail" and g.text.startswith("probe p_detect lower bound 0.4") for g in rows)
    assert rows[0].text.endswith("< 0.50 at dose 3 (best operator: case)")
    assert rows[0].text in bad.sections.answers.reasons[1] or "probe p_detect" in bad.sections.answers.reasons[1]
    assert not bad.sections.answers.judge_trusted
    other = _report(with_probe(faithful_path, tmp_path / "dose.duckdb", probe_rows(0.9, dose=6)))
    assert all(g.status == "not measured" and "no rows at dose 3" in g.text for g in _gate(other, RF, "probe"))


def test_thresholds_come_from_the_gate_config(faithful_path: Path) -> None:
    strict = _report(faithful_path, gate=GateConfig(halo_max=0.01, swap_consistency_min=0.9))
    halo = next(g for g in _gate(strict, RD, "halo") if g.lang == "all")
    assert halo.status == "fail" and halo.threshold == 0.01 and halo.text.endswith("> 0.01")
    assert all(g.status == "fail" and g.text.endswith("< 0.90") for g in _gate(strict, RD, "swap consistency"))
    blind = _report(faithful_path, gate=GateConfig(min_n=10**6))
    assert all(g.status == "not measured" for g in blind.sections.judge_reliability.gate)
    assert all(x.startswith(f"{JUDGE} on") and "not validated" in x for x in blind.sections.answers.reasons)


def test_parse_errors_fail_a_judge_that_cannot_answer(tmp_path: Path) -> None:
    path = tmp_path / "broken.duckdb"
    synthetic_db(path, n_generations=400, seed=9, failed_verdicts=0.2, human_labels=0, pairwise_share=0)
    rows = _gate(_report(path), RD, "parse errors")
    assert rows and all(g.status == "fail" for g in rows)
    assert next(g for g in rows if g.lang == "all").text.startswith("parse errors 0.")


def test_the_gate_table_is_in_judge_reliability(faithful: Report) -> None:
    md = render(faithful, "md")
    assert "**Validity gate**" in md and "| judge | rubric | criterion | lang | test | n | result | detail |" in md
    data = json.loads(render(faithful, "json"))
    row = data["sections"]["judge_reliability"]["gate"][0]
    assert list(row) == ["judge", "rubric", "criterion", "lang", "test", "status", "value", "threshold", "n", "text"]


def test_report_gate_in_judge_toml(faithful_path: Path, tmp_path: Path) -> None:
    shutil.copy(faithful_path, tmp_path / "judge.duckdb")
    toml = tmp_path / "judge.toml"
    toml.write_text('db = "judge.duckdb"\n\n[report.gate]\nhalo_max = 0.02\nmin_n = 40\n')
    cfg = load_config(toml)
    assert cfg.report.gate.halo_max == 0.02 and cfg.report.gate.min_n == 40
    assert cfg.report.gate.swap_consistency_min == GateConfig().swap_consistency_min
    r = run_judge("report", "--format", "json", "--n-boot", "100", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    gate = json.loads(r.stdout)["sections"]["judge_reliability"]["gate"]
    assert {g["threshold"] for g in gate if g["test"] == "halo"} == {0.02}
    for bad, msg in (
        ("halo_max = 2", "less than or equal to 1"),
        ('halo_max = "0.6"', "valid number"),
        ("halo = 0.6", "Extra inputs are not permitted"),
    ):
        toml.write_text(f"[report.gate]\n{bad}\n")
        with pytest.raises(ConfigError, match=msg):
            load_config(toml)


def test_a_small_demo_with_a_halo_judge_fails_on_few_verdicts(tmp_path: Path) -> None:
    """Like `judge demo`: two dozen answers, every criterion of a verdict alike. Fewer than min_n, yet conclusive."""
    path = tmp_path / "demo.duckdb"
    synthetic_db(path, n_generations=24, seed=2, judge_mode="halo", failed_verdicts=0, human_labels=0, retired=False)
    r = _report(path)
    (rd,) = [g for g in _gate(r, RD, "halo") if g.lang == "all"]
    assert rd.n == 24 and rd.status == "fail"
    assert rd.text.startswith("halo 1.00 > 0.60 (only 24 verdicts with 3+ scored criteria, 95 % CI 0.8")
    assert not r.sections.answers.judge_trusted
    assert all(not x.decided.startswith("decided") for x in r.sections.answers.questions)
