"""`--shard i/n` and `judge merge`: three shards of the seed run, merged, equal one unsharded run."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from judge.config import load_config
from judge.dataset import load_items
from judge.errors import ConfigError
from judge.generate import generate, prompt_key
from judge.grade import grade
from judge.shard import Shard, parse_shard
from judge.store import Store
from judge.store.merge import merge_databases
from tests.fakes.server import FakeServer, Reply, echo_reply, find_schema, schema_reply
from tests.helpers import ROOT, write_config

SEED = ROOT / "datasets" / "seed.jsonl"
LIMIT = 16  # prompts of the seed dataset: every shard gets some (9, 1 and 6), fast enough offline
# What a row says, without when or by which run it was written (see judge.store.merge.VOLATILE).
TABLES = {
    "generations": ("gen_id", "gen_id, prompt_key, sample, status, answer, reasoning, error, content_id, variant"),
    "verdicts": (
        "verdict_id, criterion",
        "verdict_id, criterion, generation_id, mode, rubric, rubric_version, judge, score, expected_score,"
        " rationale, error, not_applicable, passed",
    ),
    "comparisons": (
        "comparison_id, criterion",
        "comparison_id, criterion, pair_id, swap, position_a, position_b, rubric, rubric_version, winner, error",
    ),
    "prompts": ("prompt_key", "*"),
    "models": ("name, variant", "name, variant, model_id, params_json"),
    "rubrics": ("name, version", "name, version, canonical_json"),
}


def judge_reply(req: dict) -> Reply:
    """A judge whose scores depend on what it reads (so a row put in the wrong place would show)."""
    if find_schema(req) is None:
        # a contestant: its answer names the model, so two models' answers differ
        r = echo_reply(req)
        return Reply(content=f"{req['model']}: {r.content}")
    digest = hashlib.sha256(str(req["messages"]).encode()).digest()
    return schema_reply(score=1 + digest[0] % 5, winner="AB"[digest[1] % 2])(req)


def project(folder: Path, url: str, db: str = "judge.duckdb") -> Path:
    """A project on the seed dataset: two contestants and a judge, all on one fake server."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "rubrics").exists():
        shutil.copytree(ROOT / "rubrics", folder / "rubrics")
    models = [
        {"name": "alpha", "base_url": url, "model": "alpha-model"},
        {"name": "beta", "base_url": url, "model": "beta-model"},
        {"name": "judge", "base_url": url, "model": "judge-model", "max_attempts": 2},
    ]
    return write_config(
        folder / f"{db}.toml", models, db=db, dataset=str(SEED), judge={"model": "judge", "mode": "both"}
    )


def run(cfg_path: Path, shard: Shard | None = None) -> None:
    cfg = load_config(cfg_path)
    generate(cfg, models=["alpha", "beta"], limit=LIMIT, shard=shard)
    grade(cfg, limit=LIMIT, shard=shard)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows (values only, sorted by key)."""
    with Store.open_readonly(db) as s:
        return {t: s.query(f"SELECT {cols} FROM {t} ORDER BY {key}")[1] for t, (key, cols) in TABLES.items()}


def test_shards_partition_the_prompts() -> None:
    """Every prompt falls in exactly one of n shards, for several n; 1/1 takes everything."""
    keys = [prompt_key(it) for it in load_items(SEED)]
    for n in (1, 2, 3, 7):
        owners = [[i for i in range(1, n + 1) if Shard(i, n).takes(k)] for k in keys]
        assert all(len(o) == 1 for o in owners)
        if n > 1:  # each shard gets a share (284 prompts: no shard is empty)
            assert {o[0] for o in owners} == set(range(1, n + 1))
    assert parse_shard("2/3") == Shard(2, 3) and parse_shard(None) is None


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_bad_shard_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(bad)


def test_three_shards_merged_equal_one_unsharded_run(tmp_path: Path) -> None:
    with FakeServer(reply=judge_reply) as srv:
        whole = project(tmp_path / "whole", srv.base_url)
        run(whole)
        shards = []
        for i in (1, 2, 3):
            cfg = project(tmp_path / "sharded", srv.base_url, db=f"shard{i}.duckdb")
            run(cfg, Shard(i, 3))
            shards.append(tmp_path / "sharded" / f"shard{i}.duckdb")
    expected = snapshot(tmp_path / "whole" / "judge.duckdb")
    assert len(expected["generations"]) == 2 * LIMIT
    assert expected["verdicts"] and expected["comparisons"]  # single and pairwise both ran
    parts = [snapshot(p) for p in shards]
    # the shards are disjoint and each did real work
    assert all(p["generations"] for p in parts)
    assert sum(len(p["generations"]) for p in parts) == 2 * LIMIT
    assert sum(len(p["verdicts"]) for p in parts) == len(expected["verdicts"])

    merged = tmp_path / "all.duckdb"
    summary = merge_databases(shards, merged)
    assert summary.written and not summary.conflicts
    assert snapshot(merged) == expected
    # the same shards merged again: nothing added, nothing changed
    again = merge_databases(shards[:1] + shards, merged)
    assert again.written and again.added == {} and again.replaced == {} and not again.conflicts
    assert snapshot(merged) == expected
    # the views read the merged file like an unsharded one
    with Store.open_readonly(merged) as m, Store.open_readonly(tmp_path / "whole" / "judge.duckdb") as w:
        sql = "SELECT model, rubric, criterion, count(*), sum(score) FROM scores GROUP BY ALL ORDER BY ALL"
        assert m.query(sql)[1] == w.query(sql)[1]
        sql = "SELECT model_a, model_b, rubric, criterion, winner, consistent FROM pairwise ORDER BY ALL"
        assert m.query(sql)[1] == w.query(sql)[1]


def test_shard_option_on_the_command_line(tmp_path: Path) -> None:
    """`judge generate --shard 2/3` stores only that shard's prompts; a bad value exits 2 naming the option."""
    with FakeServer(reply=judge_reply) as srv:
        cfg = project(tmp_path, srv.base_url)
        base = [sys.executable, "-m", "judge.cli", "generate", "--config", str(cfg), "--limit", "12", "--no-progress"]
        r = subprocess.run([*base, "--shard", "2/3"], capture_output=True, text=True, check=False, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        bad = subprocess.run([*base, "--shard", "4/3"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert bad.returncode == 2 and "--shard" in bad.stderr
    items = load_items(SEED)[:12]
    want = sorted(prompt_key(it) for it in items if Shard(2, 3).takes(prompt_key(it)))
    with Store.open_readonly(tmp_path / "judge.duckdb") as s:
        got = [r[0] for r in s.query("SELECT DISTINCT prompt_key FROM generations ORDER BY 1")[1]]
    assert got == want and 0 < len(got) < 12
