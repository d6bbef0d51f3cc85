"""`judge ui` in a real headless Chromium (Debian's `chromium`, driven by Playwright): edit a Russian
anchor and save, Try, label ten answers by keyboard, a hostile answer runs nothing, the walls hold.
The screenshots in docs/ui/ (shown in the README) are made here.

Marked slow (run with --slow, as CI does). In CI (`CI` set) a missing chromium fails, never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judge.config import Config, load_config
from judge.rubric import load_rubric
from judge.store import Store
from tests.helpers import ROOT, make_items, write_config
from tests.test_labels_export import MODELS, RD, RF, graded_db

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "docs" / "ui"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need {why} in CI (make browser installs chromium)")
    pytest.skip(f"needs {why}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package (dev extra)")
    if not Path(CHROMIUM).exists():
        _missing(f"Debian's chromium at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Live:
    """`judge ui`'s app under a real uvicorn on a loopback port, in a thread."""

    def __init__(self, cfg: Config, token: str | None = None) -> None:
        import uvicorn

        from judge.ui import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(cfg, token=token), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Live:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.fixture
def live(project: Config) -> Iterator[Live]:
    with Live(project) as lv:
        yield lv


def new_page(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1360, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def judge_grade(cfg: Config) -> str:
    """Run `judge grade` (a process of its own: Playwright's loop owns this thread); its run id."""
    r = subprocess.run(
        [sys.executable, "-m", "judge.cli", "grade", "-c", str(cfg.path)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    return re.search(r"\(run ([0-9a-f]+)\)", r.stderr).group(1)  # type: ignore[union-attr]


def test_edit_a_russian_anchor_save_and_regrade_only_that_rubric(browser: Any, live: Live, project: Config) -> None:
    judge_grade(project)
    path = project.resolve("rubrics") / f"{RF}.yaml"
    before = path.read_text(encoding="utf-8")
    old = load_rubric(path)
    page = new_page(browser)
    page.goto(f"{live.url}/rubrics")
    shot(page, "rubrics")
    page.click(f"text={RF}")
    box = page.get_by_label("criterion orthography score 1 ru", exact=True)
    new_text = "Ошибки почти в каждом предложении (правка в браузере)."
    box.fill(new_text)
    page.wait_for_selector("#draft-version")  # the live check ran: the draft is valid and has a version
    draft = page.inner_text("#draft-version")
    box.scroll_into_view_if_needed()
    shot(page, "rubric-editor")
    assert draft != old.version
    page.click("#try-draft")  # Try: the configured judge grades the draft beside the stored scores
    page.wait_for_selector("#try-table", timeout=30_000)
    assert page.locator("#try-table tr").count() > 1
    shot(page, "try")
    page.click("#save-fields")
    page.wait_for_selector("#saved-note")
    new = load_rubric(path)
    assert new.version == draft and new.criteria[0].anchors[1].ru == new_text
    assert page.inner_text("#saved-version") == new.version
    after = path.read_text(encoding="utf-8")
    assert [x for x in after.splitlines() if x.strip().startswith("#")] == [
        x for x in before.splitlines() if x.strip().startswith("#")
    ]
    shot(page, "rubric-saved")
    run_id = judge_grade(project)
    with Store.open_readonly(project.db_path) as s:
        n_ru = s.query("SELECT count(*) FROM answers WHERE lang = 'ru'")[1][0][0]
        got = s.query(
            "SELECT rubric, rubric_version, count(DISTINCT verdict_id) FROM verdicts WHERE run_id = ? GROUP BY 1, 2",
            [run_id],
        )[1]
    assert got == [(RF, new.version, n_ru)]  # only the edited rubric, at its new version
    assert page.errors == []  # type: ignore[attr-defined]


def wait_progress(page: Any, done: int) -> None:
    # A Playwright expectation, not wait_for_function: the page's CSP forbids evaluating strings.
    from playwright.sync_api import expect

    expect(page.locator("#progress")).to_have_text(re.compile(rf"^{done} / \d+ labelled"))


def test_label_ten_answers_by_keyboard(browser: Any, live: Live, project: Config) -> None:
    page = new_page(browser)
    page.goto(f"{live.url}/label")
    page.fill("#annotator", "anna")
    page.keyboard.press("Enter")
    page.wait_for_selector("#label-card")
    html = page.content()
    assert not any(m in html for m in MODELS)  # blind
    total = int(re.search(r"(\d+) / (\d+)", page.inner_text("#progress")).group(2))  # type: ignore[union-attr]
    keys = "5432154321"
    for i, k in enumerate(keys):
        page.keyboard.press(k)
        wait_progress(page, i + 1)
    shot(page, "label")
    page.keyboard.press("s")  # skip: nothing stored, the next item shows
    page.wait_for_selector("#label-note:has-text('skipped')")
    page.keyboard.press("u")  # undo: the last label is removed
    wait_progress(page, 9)
    page.keyboard.press("3")
    wait_progress(page, 10)
    assert f"10 / {total}" in page.inner_text("#progress")
    with Store.open_readonly(project.db_path) as s:
        rows = s.records("SELECT score, rubric_version, source FROM human_labels WHERE annotator = 'anna'")
    assert len(rows) == 10 and all(r["rubric_version"] and r["source"] == "judge ui" for r in rows)
    assert sorted(r["score"] for r in rows) == sorted(float(x) for x in keys[:-1] + "3")
    page.goto(f"{live.url}/agreement")
    assert page.locator("#annotators td", has_text="anna").count() == 1
    assert page.locator("#annotators tr", has_text="anna").inner_text().split()[-1] == "10"
    assert page.locator("#agreement-table").count() == 1
    shot(page, "agreement")
    page.goto(f"{live.url}/verdicts?rubric={RD}&lang=ru")
    shot(page, "verdicts")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.fixture
def hostile(tmp_path: Path, fake: Any) -> Config:
    items = make_items(2)
    answers = {m: {it["id"]: f"{HOSTILE}\nответ {it['id']}" for it in items} for m in MODELS}
    (tmp_path / "rubrics").mkdir()
    graded_db(tmp_path, items=items, answers=answers)
    for name in (RD, RF):
        shutil.copy(ROOT / "rubrics" / f"{name}.yaml", tmp_path / "rubrics" / f"{name}.yaml")
    write_config(
        tmp_path / "judge.toml",
        [{"name": "judge-x", "base_url": fake.base_url, "model": "fake-model"}],
        judge={"model": "judge-x", "rubrics": [f"rubrics/{RD}.yaml", f"rubrics/{RF}.yaml"]},
    )
    return load_config(tmp_path / "judge.toml")


def test_hostile_answer_is_shown_as_text_and_runs_nothing(browser: Any, hostile: Config) -> None:
    with Live(hostile) as lv:
        page = new_page(browser)
        page.goto(f"{lv.url}/verdicts")
        page.locator("#verdict-table a").first.click()
        page.wait_for_selector("#answer-text")
        assert HOSTILE in page.inner_text("#answer-text")  # shown as the text it is
        assert page.locator("#answer-text script, #answer-text img").count() == 0
        page.goto(f"{lv.url}/label?annotator=anna")
        assert HOSTILE in page.inner_text("#label-answer")
        page.wait_for_timeout(300)  # an img onerror would have fired by now
        assert page.evaluate("window.__pwned === undefined")
        assert page.errors == []  # type: ignore[attr-defined]


def test_post_without_csrf_and_requests_without_token_are_refused(browser: Any, project: Config) -> None:
    with Live(project) as lv:
        page = new_page(browser)
        page.goto(f"{lv.url}/label?annotator=anna")
        status = page.evaluate(
            """async () => (await fetch('/label/undo', {method: 'POST',
                 headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'annotator=anna'})).status"""
        )
        assert status == 403
        ok = page.evaluate(
            """async () => (await fetch('/label/undo', {method: 'POST',
                 headers: {'content-type': 'application/x-www-form-urlencoded',
                           'X-CSRF-Token': JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']},
                 body: 'annotator=anna'})).status"""
        )
        assert ok == 200
    token = "browser-token-0123456789"
    with Live(project, token=token) as lv:
        page = new_page(browser)
        assert page.goto(f"{lv.url}/").status == 401
        assert page.goto(f"{lv.url}/?token={token}").status == 200
        assert page.goto(f"{lv.url}/rubrics").status == 200  # the cookie set by ?token= carries it
