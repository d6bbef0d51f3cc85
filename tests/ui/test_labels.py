"""Label page: blind labels stored through the import path with the rubric version, undo, skip;
labels entered while another process writes the database are queued and none is lost; the
Agreement page shows them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from judge.config import Config
from judge.store import Store
from judge.store.progress import read_progress
from judge.store.snapshot import Spool
from tests.fakes.server import FakeServer, FaultPlan
from tests.test_labels_export import MODELS
from tests.ui.conftest import BASE, csrf, make_project

HX = {"HX-Request": "true"}


def card_key(html: str) -> dict[str, str]:
    return {
        k: re.search(rf'name="{k}" value="([^"]*)"', html).group(1)
        for k in ("generation_id", "rubric", "rubric_version", "criterion")
    }  # type: ignore[union-attr]


def progress(html: str) -> tuple[int, int]:
    m = re.search(r'id="progress">(\d+) / (\d+) labelled', html)
    assert m, html[:500]
    return int(m.group(1)), int(m.group(2))


def label(client: Any, html: str, action: str, annotator: str = "anna") -> str:
    r = client.post(
        "/label", data={"csrf": csrf(client), "annotator": annotator, "action": action, **card_key(html)}, headers=HX
    )
    assert r.status_code == 200, r.text
    return r.text


def labels_in_db(cfg: Config) -> list[dict[str, Any]]:
    with Store.open_readonly(cfg.db_path) as s:
        return s.records("SELECT * FROM human_labels ORDER BY updated_at")


def test_blind_labels_are_stored_with_the_rubric_version(client: Any, project: Config) -> None:
    html = client.get("/label?annotator=anna").text
    for m in MODELS:
        assert m not in html  # blind: no model name on the page
    done, total = progress(html)
    assert done == 0 and total > 10
    keys, scores = [], [5, 3, 1, 4, 2]
    for i, s in enumerate(scores):
        keys.append(card_key(html))
        html = label(client, html, str(s))
        assert progress(html) == (i + 1, total)
    skipped = card_key(html)
    html = label(client, html, "skip")
    assert card_key(html) != skipped and progress(html)[0] == len(scores)
    rows = labels_in_db(project)
    assert [(r["generation_id"], r["criterion"], r["score"]) for r in rows] == [
        (k["generation_id"], k["criterion"], float(s)) for k, s in zip(keys, scores)
    ]
    with Store.open_readonly(project.db_path) as st:
        current = dict(st.query("SELECT name, version FROM rubrics WHERE retired_at IS NULL")[1])
    assert all(r["annotator"] == "anna" and r["source"] == "judge ui" for r in rows)
    assert all(r["rubric_version"] == current[r["rubric"]] for r in rows)
    # undo removes the last label and shows that item again
    r = client.post("/label/undo", data={"csrf": csrf(client), "annotator": "anna"}, headers=HX)
    assert card_key(r.text) == keys[-1] and progress(r.text)[0] == len(scores) - 1
    assert len(labels_in_db(project)) == len(scores) - 1
    # the labels view (what SQL users and the report read) has them with the answer's model
    with Store.open_readonly(project.db_path) as st:
        assert st.query("SELECT count(*) FROM labels WHERE model IS NOT NULL AND annotator = 'anna'")[1][0][0] == 4


def test_a_score_off_the_scale_or_na_where_not_allowed_is_refused(client: Any, project: Config) -> None:
    html = client.get("/label?annotator=anna").text
    for bad in ("7", "0", "x"):
        r = client.post("/label", data={"csrf": csrf(client), "annotator": "anna", "action": bad, **card_key(html)})
        assert r.status_code == 400
    assert labels_in_db(project) == []


def test_agreement_page_shows_labels_against_the_judge(client: Any, project: Config) -> None:
    html = client.get("/label?annotator=anna").text
    for i in range(12):
        html = label(client, html, str(1 + i % 5))
    page = client.get("/agreement").text
    assert re.search(r"<td>anna</td><td>12</td>", page)
    assert "Agreement with human labels" in page and "judge-x" in page


HOLD = """
import sys, time
from judge.store import Store
s = Store.open(sys.argv[1])
s.start_run("holder", "grade", [], {})   # a write: the file changes while it is held
print("held", flush=True)
time.sleep(float(sys.argv[2]))
s.finish_run("holder", "done", {})
s.close()
"""


def test_labels_are_queued_while_another_process_writes(client: Any, project: Config) -> None:
    html = client.get("/label?annotator=anna").text  # takes the snapshot while the file is free
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(project.db_path), "6"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        keys = []
        for s in (4, 2, 5):
            keys.append(card_key(html))
            html = label(client, html, str(s))
            assert "queued" in html
        assert progress(html)[0] == 3  # queued labels count as labelled
        spool = Spool(project.db_path)
        assert [(o["generation_id"], o["score"]) for o in spool.pending()] == [
            (k["generation_id"], float(s)) for k, s in zip(keys, (4, 2, 5))
        ]
        page = client.get("/verdicts")  # reads keep working, from the copy, marked with its time
        assert page.status_code == 200 and re.search(r"as of \d\d:\d\d:\d\d", page.text)
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    ui = client.app.app.state.ui
    assert ui.drain() == 3 and spool.pending() == []
    stored = {(r["generation_id"], r["criterion"]): r["score"] for r in labels_in_db(project)}
    assert stored == {(k["generation_id"], k["criterion"]): float(s) for k, s in zip(keys, (4, 2, 5))}
    assert "as of" not in client.get("/verdicts").text


@pytest.mark.slow
def test_labels_entered_while_judge_grade_runs_are_all_stored(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from judge.ui import create_app

    srv = FakeServer(faults=FaultPlan(latency_s=0.4)).start()
    try:
        cfg = make_project(tmp_path, srv.base_url, n_pairs=4)
        with Store.open_readonly(cfg.db_path) as s:
            n_answers = s.query("SELECT count(*) FROM answers")[1][0][0]
            n_ru = s.query("SELECT count(*) FROM answers WHERE lang = 'ru'")[1][0][0]
        with TestClient(create_app(cfg), base_url=BASE) as c:
            c.get("/")
            html = c.get("/label?annotator=boris").text
            grade = subprocess.Popen(
                [sys.executable, "-m", "judge.cli", "grade", "-c", str(cfg.path), "--concurrency", "2"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            entered: list[tuple[str, float]] = []
            queued_seen = False
            try:
                # label only once grade holds the database (its progress file says so): the case under test
                deadline = time.time() + 120
                while read_progress(cfg.db_path) is None and grade.poll() is None and time.time() < deadline:
                    time.sleep(0.1)
                while grade.poll() is None and len(entered) < 40:
                    k = card_key(html)
                    score = 1 + len(entered) % 5
                    html = label(c, html, str(score), "boris")
                    queued_seen |= "queued" in html
                    entered.append((k["generation_id"] + k["criterion"], float(score)))
                    time.sleep(0.05)
                _out, err = grade.communicate(timeout=300)
            finally:
                grade.kill()
            assert grade.returncode == 0, err
            assert queued_seen  # some labels were entered while grade held the database
            deadline = time.time() + 30
            while Spool(cfg.db_path).pending() and time.time() < deadline:
                c.app.app.state.ui.drain()
                time.sleep(0.2)
        stored = {
            (r["generation_id"] + r["criterion"]): r["score"] for r in labels_in_db(cfg) if r["annotator"] == "boris"
        }
        assert stored == dict(entered) and len(entered) >= 5
        # the grade run completed with every verdict: reasoning_depth on every answer, russian_fluency on the Russian ones
        with Store.open_readonly(cfg.db_path) as s:
            run = s.records(
                "SELECT status, counts_json FROM runs WHERE stage = 'grade' ORDER BY started_at DESC LIMIT 1"
            )[0]
        counts = json.loads(run["counts_json"])
        assert run["status"] == "done" and counts["ok"] == n_answers + n_ru and counts["errors"] == 0
    finally:
        srv.stop()
