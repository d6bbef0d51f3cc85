"""From `judge probe` to the report's validity gate through the real `probe_results` view: a judge
that notices planted errors passes the probe test on its criterion, a judge that scores at random
fails it and is not trusted. (The gate's own tests use hand-made probe rows; this one checks that
the view the probe writes is the one the gate reads.)"""

from __future__ import annotations

from pathlib import Path

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade
from judge.probe.run import probe
from judge.report import build_report
from judge.store import Store
from tests.fakes.server import FakeServer, Reply
from tests.probe.test_probe_run import (  # noqa: F401  (fake_ops: the autouse fixture registering the fakes)
    OPS,
    _judge,
    _project,
    fake_ops,
    marker_judge,
    random_judge,
)


def _writer(req: dict) -> Reply:
    return Reply(content="The river flows north past the old mill, and the farmers water their fields from it.")


def _gate(judge_score, tmp_path: Path):  # type: ignore[no-untyped-def]
    with FakeServer(reply=_judge(judge_score)) as jsrv, FakeServer(reply=_writer) as gen:
        cfg = _project(tmp_path, jsrv.base_url, n=40, gen_url=gen.base_url)
        probe(load_config(cfg), operators=OPS, doses=[3])
        generate(load_config(cfg), models=["writer"])
        grade(load_config(cfg), mode="single")
    with Store.open_readonly(load_config(cfg).db_path) as st:
        report = build_report(st, n_boot=300)
    rows = [g for g in report.sections.judge_reliability.gate if g.test == "probe"]
    return report, rows


def test_a_judge_that_notices_planted_errors_passes_the_probe_test(tmp_path: Path) -> None:
    report, rows = _gate(marker_judge, tmp_path)
    assert rows and all(g.status == "pass" for g in rows), [g.text for g in rows]
    assert all(g.value is not None and g.value >= 0.9 for g in rows)  # the marker at dose 3, detected
    assert report.sections.answers.judge_trusted


def test_a_random_judge_fails_the_probe_test_and_is_not_trusted(tmp_path: Path) -> None:
    report, rows = _gate(random_judge, tmp_path)
    assert rows and all(g.status != "pass" for g in rows), [g.text for g in rows]
    assert not report.sections.answers.judge_trusted
    assert report.sections.answers.reasons
