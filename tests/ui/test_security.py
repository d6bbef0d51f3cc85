"""`judge ui`'s walls: CSRF on every POST, the access token, loopback by default, no path traversal,
untrusted answers shown as text, nothing loaded from another origin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from judge.config import Config, load_config
from judge.errors import ConfigError, InputError
from judge.ui.rubric_edit import find
from judge.ui.server import resolve_token
from tests.helpers import ROOT, make_items, write_config
from tests.test_labels_export import MODELS, RD, RF, graded_db
from tests.ui.conftest import BASE, csrf

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def test_post_without_csrf_token_is_refused(client) -> None:
    body = {"f:criteria.0.anchors.1.ru": "x"}
    before = (Path(client.app.app.state.ui.cfg.resolve("rubrics")) / f"{RF}.yaml").read_text(encoding="utf-8")
    r = client.post(f"/rubrics/{RF}/save", data=body, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post(f"/rubrics/{RF}/save", data={**body, "csrf": "wrong"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/label", data={"annotator": "anna"}, headers={"X-CSRF-Token": "nope"})
    assert r.status_code == 403
    after = (Path(client.app.app.state.ui.cfg.resolve("rubrics")) / f"{RF}.yaml").read_text(encoding="utf-8")
    assert after == before  # nothing was written
    # the same request with the token passes the wall (and fails on content, not on CSRF)
    r = client.post(f"/rubrics/{RF}/check", data={"csrf": csrf(client), "f:criteria.0.anchors.1.ru": "x"})
    assert r.status_code == 200 and "OK:" in r.text


def test_token_is_checked_on_every_request(project: Config) -> None:
    from fastapi.testclient import TestClient

    from judge.ui import create_app

    token = "s3cret-token-0123456789"
    with TestClient(create_app(project, token=token), base_url="http://10.1.2.3:8765") as c:
        assert c.get("/").status_code == 401
        assert c.get("/static/ui.css").status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        assert c.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        # ?token= once sets a cookie; later requests need nothing else
        c.cookies.clear()
        assert c.get(f"/?token={token}").status_code == 200
        assert c.get("/rubrics").status_code == 200


def test_loopback_bind_refuses_other_host_names(project: Config) -> None:
    from fastapi.testclient import TestClient

    from judge.ui import create_app

    with TestClient(create_app(project), base_url="http://evil.example:8765") as c:
        r = c.get("/")
        assert r.status_code == 403 and "loopback" in r.text
    with TestClient(create_app(project), base_url="http://localhost:8765") as c:
        assert c.get("/").status_code == 200


def test_non_loopback_bind_needs_a_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JUDGE_UI_TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.5", "example.org", "::"):
        with pytest.raises(ConfigError, match="needs --token"):
            resolve_token(None, host)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert resolve_token(None, host) is None
    assert resolve_token("t" * 20, "0.0.0.0") == "t" * 20
    with pytest.raises(ConfigError, match="at least"):
        resolve_token("short", "0.0.0.0")
    monkeypatch.setenv("JUDGE_UI_TOKEN", "e" * 20)
    assert resolve_token(None, "0.0.0.0") == "e" * 20
    # the command refuses before anything listens: exit 2 and the reason
    env = {k: v for k, v in os.environ.items() if k != "JUDGE_UI_TOKEN"}
    r = subprocess.run(
        [sys.executable, "-m", "judge.cli", "ui", "--host", "0.0.0.0", "-c", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 2 and "needs --token" in r.stderr


def test_missing_web_extra_names_the_install_command(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None; sys.argv = ['judge', 'ui', '-c', 'x.toml']\n"
        "from judge.cli.main import main; main()"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    assert "pip install 'judge[web]'" in r.stderr


@pytest.mark.parametrize(
    "name", ["../judge", "..%2Fjudge", "russian_fluency.yaml", "/etc/passwd", "a/b", ".hidden", ""]
)
def test_rubrics_are_addressed_by_name_only(project: Config, name: str) -> None:
    with pytest.raises(InputError):
        find(project, name)


def test_traversal_through_the_page_and_symlinks(client, project: Config, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text((ROOT / "rubrics" / f"{RF}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (project.resolve("rubrics") / "linked.yaml").symlink_to(outside)
    for url in ("/rubrics/..%2Fjudge", "/rubrics/%2e%2e%2fjudge", "/rubrics/linked", "/rubrics/judge.toml"):
        r = client.get(url)
        assert r.status_code in (400, 404), url
        assert "russian_fluency" not in r.text  # no rubric was served under these names
    r = client.post("/rubrics/linked/save", data={"csrf": csrf(client), "yaml": "name: x\n"})
    assert r.status_code == 400
    assert outside.read_text(encoding="utf-8") == (ROOT / "rubrics" / f"{RF}.yaml").read_text(encoding="utf-8")
    assert find(project, RF).path == project.resolve("rubrics") / f"{RF}.yaml"


@pytest.fixture
def hostile_project(tmp_path: Path, fake) -> Config:
    items = make_items(2)
    answers = {m: {it["id"]: f"{HOSTILE} ответ {it['id']}" for it in items} for m in MODELS}
    (tmp_path / "rubrics").mkdir()
    graded_db(tmp_path, items=items, answers=answers)
    for name in (RD, RF):
        (tmp_path / "rubrics" / f"{name}.yaml").write_text(
            (ROOT / "rubrics" / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    write_config(
        tmp_path / "judge.toml",
        [{"name": "judge-x", "base_url": fake.base_url, "model": "fake-model"}],
        judge={"model": "judge-x", "rubrics": [f"rubrics/{RD}.yaml", f"rubrics/{RF}.yaml"]},
    )
    return load_config(tmp_path / "judge.toml")


def test_untrusted_answers_are_escaped_everywhere(hostile_project: Config) -> None:
    from fastapi.testclient import TestClient

    from judge.ui import create_app

    with TestClient(create_app(hostile_project), base_url=BASE) as c:
        listing = c.get("/verdicts")
        gid = re.search(r'href="/answers/([^"]+)"', listing.text).group(1)  # type: ignore[union-attr]
        pages = [c.get(f"/answers/{gid}"), c.get("/label?annotator=anna")]
        for r in pages:
            assert r.status_code == 200
            assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in r.text
            assert "<script>window" not in r.text and "<img src=x" not in r.text
            # the policy forbids inline scripts even if something slipped through
            assert "script-src 'self'" in r.headers["content-security-policy"]


def test_nothing_is_loaded_from_another_origin(client) -> None:
    pages = ["/", "/rubrics", f"/rubrics/{RF}", "/verdicts", "/label?annotator=anna", "/agreement"]
    assets = ["/static/htmx.min.js", "/static/ui.js", "/static/ui.css"]
    for url in pages + assets:
        r = client.get(url)
        assert r.status_code == 200, url
        urls = re.findall(r"https?://[^\s\"'<>)]+", r.text)
        assert [u for u in urls if not u.startswith(BASE)] == [], url
    html = client.get("/").text
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/htmx.min.js", "/static/ui.js"]
