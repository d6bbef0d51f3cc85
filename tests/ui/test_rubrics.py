"""Rubrics pages: live check with `judge rubric check`'s messages, save round trip (comments and key
order kept, a new version), only the edited rubric regraded, history with a diff, the judge prompt, Try."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys

from judge.config import Config
from judge.grade import grade
from judge.rubric import load_rubric
from judge.store import Store
from tests.test_labels_export import RF
from tests.ui.conftest import csrf

ANCHOR = "f:criteria.0.anchors.1.ru"
NEW_TEXT = "Ошибки почти в каждом предложении; правка лингвиста через страницу."


def comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_save_keeps_comments_and_order_and_changes_the_version(client, project: Config) -> None:
    path = project.resolve("rubrics") / f"{RF}.yaml"
    before = path.read_text(encoding="utf-8")
    old = load_rubric(path)
    r = client.post(f"/rubrics/{RF}/save", data={"csrf": csrf(client), ANCHOR: NEW_TEXT}, follow_redirects=False)
    assert r.status_code == 303
    after = path.read_text(encoding="utf-8")
    new = load_rubric(path)
    assert new.version != old.version and new.criteria[0].anchors[1].ru == NEW_TEXT
    assert f"saved={new.version}" in r.headers["location"] and f"was={old.version}" in r.headers["location"]
    assert comments(after) == comments(before) and len(comments(before)) > 10
    # only the edited anchor's lines changed; every other line (and so the key order) is as it was
    changed = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:1] in "+-"]
    assert all("anchors" not in d and "id:" not in d for d in changed)
    assert any(NEW_TEXT in d for d in changed if d.startswith("+"))
    assert len([d for d in changed if d.startswith("+")]) == 1
    # the page shows the new version
    page = client.get(r.headers["location"]).text
    assert new.version in page and "Saved" in page
    # `judge rubric check` agrees the saved file is valid
    rc = subprocess.run(
        [sys.executable, "-m", "judge.cli", "rubric", "check", str(path)], capture_output=True, text=True
    )
    assert rc.returncode == 0 and new.version in rc.stdout


def test_live_check_reports_problems_as_rubric_check_does(client, project: Config, tmp_path) -> None:
    path = project.resolve("rubrics") / f"{RF}.yaml"
    text = path.read_text(encoding="utf-8")
    broken = text.replace("scale:", "scael:", 1)
    r = client.post(f"/rubrics/{RF}/check", data={"csrf": csrf(client), "yaml": broken})
    assert r.status_code == 200
    shown = re.findall(r"<li><code>([^<]+)</code></li>", r.text)
    bad = tmp_path / f"{RF}.yaml"
    bad.write_text(broken, encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "judge.cli", "rubric", "check", str(bad)], capture_output=True, text=True
    )
    assert cli.returncode == 2
    for msg in shown:
        # the same file:line: path: message, with the project's path for the file
        assert msg.replace(str(path), str(bad)).replace("&#39;", "'") in cli.stderr.replace("\n  ", " ")
    assert any(f"{path}:" in m and "scael" in m for m in shown)
    r = client.post(f"/rubrics/{RF}/check", data={"csrf": csrf(client), "f:criteria.99.title.ru": "x"})
    assert r.status_code == 200 and "criteria.99.title.ru: no such field" in r.text
    # an invalid draft is never saved
    r = client.post(f"/rubrics/{RF}/save", data={"csrf": csrf(client), "yaml": broken})
    assert r.status_code == 400
    assert path.read_text(encoding="utf-8") == text


def test_only_the_edited_rubric_is_regraded(client, project: Config) -> None:
    first = grade(project)
    assert first.errors == 0 and first.ok > 0
    with Store.open_readonly(project.db_path) as s:
        n_ru = s.query("SELECT count(*) FROM answers WHERE lang = 'ru' AND current AND status = 'ok'")[1][0][0]
    r = client.post(f"/rubrics/{RF}/save", data={"csrf": csrf(client), ANCHOR: NEW_TEXT}, follow_redirects=False)
    assert r.status_code == 303
    second = grade(project)
    assert second.planned == n_ru and second.ok == n_ru  # russian_fluency grades Russian answers only
    new_version = load_rubric(project.resolve("rubrics") / f"{RF}.yaml").version
    with Store.open_readonly(project.db_path) as s:
        by_rubric = dict(
            s.query(
                "SELECT rubric, count(DISTINCT verdict_id) FROM verdicts WHERE run_id = ? GROUP BY 1", [second.run_id]
            )[1]
        )
        versions = {
            r[0] for r in s.query("SELECT DISTINCT rubric_version FROM verdicts WHERE run_id = ?", [second.run_id])[1]
        }
    assert by_rubric == {RF: n_ru} and versions == {new_version}
    # the history lists both versions, and the diff shows the edit
    page = client.get(f"/rubrics/{RF}").text
    listed = re.findall(r"version=([^\"&]+)", page)
    assert len(listed) == 2
    older = next(v for v in listed if v.replace("%3A", ":") != new_version)
    diff = client.get(f"/rubrics/{RF}/diff?version={older}").text
    assert NEW_TEXT in diff and 'class="add"' in diff


def test_prompt_preview_and_try_use_the_unsaved_draft(client, project: Config, fake) -> None:
    path = project.resolve("rubrics") / f"{RF}.yaml"
    before = path.read_text(encoding="utf-8")
    page = client.get(f"/rubrics/{RF}").text
    gid = re.search(r'<option value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post(f"/rubrics/{RF}/prompt", data={"csrf": csrf(client), "generation_id": gid, ANCHOR: NEW_TEXT})
    assert r.status_code == 200 and NEW_TEXT in r.text and "system" in r.text
    calls = len(fake.requests)
    r = client.post(f"/rubrics/{RF}/try", data={"csrf": csrf(client), "ids": gid, ANCHOR: NEW_TEXT})
    assert r.status_code == 200, r.text
    assert len(fake.requests) == calls + 1
    assert NEW_TEXT in fake.requests[-1]["messages"][0]["content"]  # the judge saw the draft
    crits = [c.id for c in load_rubric(path).criteria]
    rows = re.findall(r"<tr>\s*<td><a href=\"/answers/[^\"]+\">[^<]+</a></td>\s*<td>ru</td>\s*<td>(\w+)</td>", r.text)
    assert rows == crits
    assert path.read_text(encoding="utf-8") == before  # Try stores nothing
    with Store.open_readonly(project.db_path) as s:
        assert s.query("SELECT count(*) FROM verdicts WHERE run_id LIKE 'ui-try-%'")[1][0][0] == 0


def test_try_with_an_unreachable_judge_shows_errors_never_scores(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from judge.ui import create_app
    from tests.ui.conftest import BASE, make_project

    cfg = make_project(tmp_path, "http://127.0.0.1:9/v1")  # nothing listens on port 9
    with TestClient(create_app(cfg), base_url=BASE) as c:
        c.get("/")
        r = c.post(f"/rubrics/{RF}/try", data={"csrf": csrf(c), "n": "2"})
    assert r.status_code == 200, r.text
    rows = re.findall(
        r"<tr>\s*<td><a[^>]*>[^<]*</a></td>\s*<td>\w+</td>\s*<td>\w+</td>\s*<td>([^<]*)</td>\s*<td>(.*?)</td>",
        r.text,
        re.S,
    )
    assert rows and all("error" in draft for _, draft in rows)  # the draft's column: errors only
    assert any(old.strip().isdigit() for old, _ in rows)  # beside the stored scores
