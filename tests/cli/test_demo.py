"""`judge demo --quick` as a user runs it: a real llama.cpp server, generate → grade → report."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.llamacpp, pytest.mark.slow, pytest.mark.timeout(3600)]


def test_demo_quick_end_to_end(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    r = subprocess.run(
        [sys.executable, "-m", "judge.cli", "demo", "--quick", "--no-progress", "--dir", str(work)],
        capture_output=True,
        text=True,
        timeout=3300,  # grading on two CPU cores is slow (its own issue); CI allows 90 minutes in all
        env={**os.environ},
    )
    assert r.returncode in (0, 1), r.stderr[-3000:]  # 1 = some verdicts failed and were recorded as errors
    html = work / "report.html"
    md = work / "report.md"
    assert html.exists() and md.exists() and f"reports: {html} (HTML), {md} (Markdown)" in r.stderr
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "not a real ranking" in page  # the demo says plainly what a tiny model's verdicts are worth
    assert "Scores by model and language" in r.stdout  # the terminal report was printed
    con = duckdb.connect(str(work / "judge.duckdb"), read_only=True)
    try:
        n_answers, n_models = con.execute(
            "SELECT count(*), count(DISTINCT model) FROM answers WHERE status = 'ok'"
        ).fetchone()
        n_scored = con.execute(
            "SELECT count(*) FROM scores WHERE judge = 'qwen0.5b-judge' AND score IS NOT NULL"
        ).fetchone()[0]
        n_checks = con.execute("SELECT count(*) FROM scores WHERE judge = 'check:answer'").fetchone()[0]
    finally:
        con.close()
    assert (n_answers, n_models) == (12, 2)
    assert n_scored > 0 and n_checks > 0
    # the server was stopped: nothing answers on the demo's port any more
    port = int(re.search(r"127\.0\.0\.1:(\d+)", (work / "judge.toml").read_text()).group(1))
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"the demo server still listens on {port}"
