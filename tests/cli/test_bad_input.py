"""Malformed datasets, rubrics and configs through the real CLI: exit 2, `file:line: …`, database untouched.

The corpus lives in tests/data/bad/ and `manifest.json` says, per file, which commands to run, the
substring the message must contain and the line it must point at. Every case runs in its own copy of
a project folder whose database comes from a good run, and the database bytes are compared before
and after. The subprocesses run a few at a time (they are mostly interpreter start-up), each within
1 GiB of address space and 10 s of CPU: a billion-laughs rubric or a huge scale must be refused,
not expanded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from judge.config import load_config
from judge.dataset import load_items
from judge.generate import generate
from judge.grade import grade
from judge.rubric import load_rubric
from tests.fakes.server import FakeServer
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Slow (the red-team corpus: about 200 CLI runs in subprocesses): runs in `make test` and with `pytest --slow`, not in plain pytest.
pytestmark = pytest.mark.slow

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))
DEAD_URL = "http://127.0.0.1:9/v1"  # nothing listens: a case that sends anything would store error rows
HUGE_BYTES = 10 * 1024 * 1024 + 17
MEMORY_LIMIT = 1 << 30
CPU_SECONDS = 10
WALL_SECONDS = 60  # wall time also counts waiting for the CPU while other cases run

CASES = [(c, cmd) for c in MANIFEST for cmd in c["commands"]]


def _case_id(case: dict, cmd: str) -> str:
    return f"{cmd.replace(' ', '-')}:{case['file'].split('/')[-1]}"


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    shown: str  # the file name the message must start with
    db_same: bool
    wal: bool


# `python -m judge.cli` with the limits set first: over 1 GiB an allocation fails, over 10 s of CPU
# the kernel kills it. Set by the child itself rather than in a preexec_fn, which is not safe while
# the fixture's threads run (a fork can copy a lock another thread holds).
_LAUNCH = (
    "import resource, runpy, sys\n"
    f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
    f"resource.setrlimit(resource.RLIMIT_CPU, ({CPU_SECONDS}, {CPU_SECONDS}))\n"
    "sys.argv = ['judge', *sys.argv[1:]]\n"
    "runpy.run_module('judge.cli', run_name='__main__', alter_sys=True)\n"
)


def run_bounded(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`judge ARGS` within the limits above (TimeoutExpired past WALL_SECONDS)."""
    return subprocess.run(
        [sys.executable, "-c", _LAUNCH, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=WALL_SECONDS,
        env=env,
    )


def _good_project(root: Path) -> Path:
    """A project with a database from a good generate + grade run (judge calls the dead URL afterwards)."""
    proj = root / "project"
    proj.mkdir()
    shutil.copytree(ROOT / "rubrics", proj / "rubrics")
    write_jsonl(proj / "data.jsonl", make_items(2))
    with FakeServer() as srv:
        models = [
            {"name": "a", "base_url": srv.base_url, "model": "m-a"},
            {"name": "judge", "base_url": srv.base_url, "model": "m-judge"},
        ]
        cfg = write_config(
            proj / "judge.toml", models, judge={"model": "judge", "rubrics": ["rubrics/reasoning_depth.yaml"]}
        )
        assert generate(load_config(cfg), models=["a"]).ok == 4
        assert grade(load_config(cfg)).ok == 4
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(srv.base_url, DEAD_URL), encoding="utf-8")
    assert not (proj / "judge.duckdb.wal").exists()
    return proj


def _huge_dataset(path: Path) -> Path:
    """Line 2 is a 10 MB prompt: generated here, never committed."""
    good = json.dumps({"id": "t1-en", "lang": "en", "category": "logic", "prompt": "Q?"})
    with path.open("w", encoding="utf-8") as f:
        f.write(good + "\n")
        f.write('{"id": "t2-en", "lang": "en", "category": "logic", "prompt": "' + "x" * HUGE_BYTES + '"}\n')
    return path


def _run_case(proj: Path, good_db: bytes, work: Path, case: dict, cmd: str) -> Outcome:
    folder = work / _case_id(case, cmd).replace(":", "_")
    heavy = cmd in ("generate", "grade")
    # the checkers never open a database: they share the good one through a hard link (a write
    # through it would still show up below); the stages get a copy of their own
    shutil.copytree(proj, folder, ignore=None if heavy else shutil.ignore_patterns("judge.duckdb"))
    db = folder / "judge.duckdb"
    if not heavy:
        os.link(proj / "judge.duckdb", db)
    before = good_db if not heavy else db.read_bytes()
    kind, _, name = case["file"].rpartition("/")
    bad_dir = folder / "bad"
    bad_dir.mkdir()
    if case["file"].startswith("generated:"):
        name = case["file"].split(":", 1)[1]
        _huge_dataset(bad_dir / name)
    elif kind != "configs":
        shutil.copy(BAD / case["file"], bad_dir / name)
    rel = f"bad/{name}"
    args: list[str]
    shown = rel
    if kind == "configs":
        shutil.copy(BAD / case["file"], folder / "judge.toml")
        args = [cmd, "--no-progress"]
        shown = "judge.toml"
    elif cmd == "dataset check":
        args = ["dataset", "check", rel]
    elif cmd == "generate":
        args = ["generate", "--no-progress", "--dataset", rel]
    elif cmd == "rubric check":
        args = ["rubric", "check", rel]
    elif cmd == "grade":
        text = (folder / "judge.toml").read_text(encoding="utf-8")
        (folder / "judge.toml").write_text(text.replace("rubrics/reasoning_depth.yaml", rel), encoding="utf-8")
        args = ["grade", "--no-progress"]
        shown = str(folder / rel)  # the config resolves rubric paths against its folder
    else:
        raise AssertionError(f"unknown command {cmd!r} in the manifest")
    env = {k: v for k, v in os.environ.items() if k != "JUDGE_DEBUG"}
    env["COLUMNS"] = "400"  # one problem per line, whatever the terminal
    env["JUDGE_HOME"] = str(work / "home")
    r = run_bounded(args, folder, env)
    out = Outcome(
        r.returncode,
        r.stdout,
        r.stderr,
        shown,
        db.read_bytes() == before,
        (folder / "judge.duckdb.wal").exists(),
    )
    shutil.rmtree(folder, ignore_errors=True)
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("bad-input")
    with pytest.MonkeyPatch.context() as mp:  # module-scoped: the per-test isolation is not in place yet
        mp.setenv("JUDGE_HOME", str(root / "home"))
        proj = _good_project(root)
    good_db = (proj / "judge.duckdb").read_bytes()
    work = root / "cases"
    work.mkdir()
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {_case_id(c, cmd): pool.submit(_run_case, proj, good_db, work, c, cmd) for c, cmd in CASES}
        return {k: f.result() for k, f in futures.items()}


def test_corpus_is_large_and_fully_listed() -> None:
    on_disk = {f"{p.parent.name}/{p.name}" for p in BAD.glob("*/*") if p.is_file()}
    listed = {c["file"] for c in MANIFEST}
    assert on_disk <= listed, f"files without a manifest entry: {sorted(on_disk - listed)}"
    assert listed - on_disk <= {c["file"] for c in MANIFEST if c["file"].startswith("generated:")}
    kinds = {k: sum(c["file"].startswith(k) for c in MANIFEST) for k in ("datasets/", "rubrics/", "configs/")}
    assert len(MANIFEST) >= 30 and min(kinds.values()) >= 10, kinds
    assert all(c["commands"] for c in MANIFEST)


@pytest.mark.parametrize("case,cmd", CASES, ids=[_case_id(c, cmd) for c, cmd in CASES])
def test_bad_file_exit_2_located_message_database_untouched(outcomes: dict[str, Outcome], case: dict, cmd: str) -> None:
    o = outcomes[_case_id(case, cmd)]
    err = o.stderr
    # -24 (SIGXCPU): over the CPU limit; a MemoryError traceback: over the memory limit
    assert o.returncode == 2, f"exit {o.returncode}\nstdout: {o.stdout[-2000:]}\nstderr: {err[-2000:]}"
    assert "Traceback" not in err, err[-3000:]
    assert err.lstrip().startswith("Error:"), err[:500]
    where = f"{o.shown}:{case['line']}: " if case["line"] is not None else f"{o.shown}: "
    hits = [ln for ln in err.splitlines() if where in ln and case["substring"] in ln]
    assert hits, f"expected a line with {where!r} and {case['substring']!r}; got:\n{err[:3000]}"
    for secret in case.get("absent", []):
        assert secret not in err and secret not in o.stdout
    assert o.db_same, "the database file changed"
    assert not o.wal, "a WAL file was left next to the database"


def test_huge_line_is_refused_without_parsing(tmp_path: Path) -> None:
    from judge.errors import DatasetError

    path = _huge_dataset(tmp_path / "huge.jsonl")
    with pytest.raises(DatasetError) as e:
        load_items(path)
    size = len(path.read_bytes().split(b"\n")[1])
    assert size > 10 * 1024 * 1024
    assert e.value.problems == [f"{path}:2: line is {size} bytes, over the 1000000 limit"]


# ---------------------------------------------------------------- accepted oddities


def _variants(rows: list[dict]) -> dict[str, bytes]:
    lf = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    crlf = lf.replace(b"\n", b"\r\n")
    return {
        "bom.jsonl": b"\xef\xbb\xbf" + lf,
        "crlf.jsonl": crlf,
        "bom_crlf.jsonl": b"\xef\xbb\xbf" + crlf,
        "no_final_newline.jsonl": lf.rstrip(b"\n"),
        "trailing_blank_lines.jsonl": lf + b"\n\r\n  \n",
    }


def test_bom_and_crlf_datasets_are_accepted(tmp_path: Path) -> None:
    rows = make_items(3)
    plain = load_items(write_jsonl(tmp_path / "plain.jsonl", rows))
    names = []
    for name, data in _variants(rows).items():
        (tmp_path / name).write_bytes(data)
        assert load_items(tmp_path / name) == plain, name  # same items: no BOM in the first id, no \r in prompts
        names.append(name)
    r = subprocess.run(
        [sys.executable, "-m", "judge.cli", "dataset", "check", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    for name in names:
        assert f"{name}: 6 items OK" in r.stdout


def test_bom_and_crlf_rubric_and_config_are_accepted(tmp_path: Path) -> None:
    src = ROOT / "rubrics" / "reasoning_depth.yaml"
    text = src.read_text(encoding="utf-8")
    odd = tmp_path / "odd.yaml"
    odd.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert load_rubric(odd).version == load_rubric(src).version
    cfg = write_config(tmp_path / "judge.toml", [{"name": "a", "base_url": DEAD_URL, "model": "m"}])
    cfg.write_bytes(b"\xef\xbb\xbf" + cfg.read_bytes().replace(b"\n", b"\r\n"))
    assert [m.name for m in load_config(cfg).models] == ["a"]
    r = subprocess.run(
        [sys.executable, "-m", "judge.cli", "rubric", "check", "odd.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "reasoning_depth OK" in r.stdout, r.stderr


def test_file_names_with_markup_are_printed_verbatim(tmp_path: Path) -> None:
    """Paths and values are shown as they are, never read as terminal markup (`[/x]` used to crash)."""
    write_jsonl(tmp_path / "data[v2].jsonl", make_items(1))
    (tmp_path / "dup[").mkdir()
    shutil.copy(BAD / "datasets" / "duplicate_id.jsonl", tmp_path / "dup[" / "b].jsonl")
    r = subprocess.run(
        [sys.executable, "-m", "judge.cli", "dataset", "check", "data[v2].jsonl", "dup[/b].jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "data[v2].jsonl: 2 items OK" in r.stdout
    assert "dup[/b].jsonl:3: id: duplicate id 't1-en'" in r.stderr


# ---------------------------------------------------------------- paths that are not small regular files


def _odd_paths(tmp_path: Path, suffix: str) -> list[tuple[Path, str]]:
    """A directory, a FIFO (reading it would wait forever), /dev/zero (it never ends), a sparse 2 GiB file."""
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)
    big = tmp_path / f"big{suffix}"
    with big.open("wb") as f:
        f.truncate(2 * 1024**3)  # no disk used; over the memory limit if it were read whole
    return [
        (folder, "is a directory, not a file"),
        (fifo, "is a pipe (FIFO), not a regular file"),
        (Path("/dev/zero"), "is a device, not a regular file"),
        (big, "over the"),
    ]


@pytest.mark.parametrize("command", ["dataset check", "rubric check"])
def test_checkers_refuse_paths_that_are_not_small_regular_files(tmp_path: Path, command: str) -> None:
    odd = _odd_paths(tmp_path, ".jsonl" if command == "dataset check" else ".yaml")
    r = run_bounded([*command.split(), *(str(p) for p, _ in odd)], tmp_path, {**os.environ, "COLUMNS": "400"})
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-3000:]
    for path, message in odd:
        assert any(ln.startswith(f"{path}:") and message in ln for ln in r.stderr.splitlines()), (path, r.stderr)
    # a dataset is read line by line (its one line counted, never held); a rubric is refused by size
    big = "line is 2147483648 bytes, over the 1000000 limit" if command == "dataset check" else "file is 2147483648"
    assert big in r.stderr


def test_config_and_dataset_options_refuse_paths_that_are_not_regular_files(tmp_path: Path) -> None:
    write_config(tmp_path / "judge.toml", [{"name": "a", "base_url": DEAD_URL, "model": "m"}])
    env = {**os.environ, "COLUMNS": "400", "JUDGE_HOME": str(tmp_path / "home")}
    (tmp_path / "cfg").mkdir()
    (tmp_path / "data").mkdir()
    cases = [("--config", p, m) for p, m in _odd_paths(tmp_path / "cfg", ".toml")]
    cases += [("--dataset", p, m) for p, m in _odd_paths(tmp_path / "data", ".jsonl")]
    for option, path, message in cases:
        r = run_bounded(["generate", "--no-progress", option, str(path)], tmp_path, env)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-3000:]
        assert f"{path}:" in r.stderr and message in r.stderr, (option, r.stderr)
    assert not (tmp_path / "judge.duckdb").exists()  # refused before the database was created
