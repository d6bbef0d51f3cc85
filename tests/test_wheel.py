"""The built wheel works outside the checkout: it carries rubrics/, prompts/ and datasets/, not the tests.

Offline: the wheel is built without build isolation (hatchling is a dev dependency) and installed
with --no-deps into a folder of its own; the other dependencies come from this environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (whl,) = out.glob("judge-*.whl")
    return whl


def test_wheel_carries_the_editable_files_and_no_test_code(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("rubrics", "*.yaml"), ("prompts", "*.j2"), ("datasets", "*.jsonl")):
        for f in (ROOT / folder).glob(pattern):
            assert f"judge/_data/{folder}/{f.name}" in names
    assert "judge/py.typed" in names and "judge/templates/judge.toml" in names
    assert not [n for n in names if n.startswith("tests/") or "fake" in n or "synth" in n]


def test_installed_wheel_inits_and_checks_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def judge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "judge.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )

    where = subprocess.run(
        [sys.executable, "-c", "import judge; print(judge.__file__)"],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(site)), where  # the installed copy, not the checkout
    r = judge("init", "x", cwd=away)
    assert r.returncode == 0, r.stderr
    project = away / "x"
    rubrics = sorted(str(p.relative_to(project)) for p in (project / "rubrics").glob("*.yaml"))
    assert rubrics and (project / "prompts").is_dir() and (project / "datasets" / "seed.jsonl").is_file()
    r = judge("rubric", "check", *rubrics, cwd=project)
    assert r.returncode == 0 and r.stdout.count(" OK ") == len(rubrics), r.stdout + r.stderr
    r = judge("dataset", "check", "datasets/seed.jsonl", cwd=project)
    assert r.returncode == 0 and "items OK" in r.stdout, r.stderr
