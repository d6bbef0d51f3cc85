"""One prompt in twenty gets a hostile response: the other nineteen are stored, the bad one is an
error row (or a repaired, noted row), the run's status says which, and a rerun neither crashes nor
duplicates. For `generate` and for `grade` (the judge's reply spoiled the same way).
"""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from judge.config import load_config
from judge.generate import generate
from judge.grade import grade, plan
from judge.model import client
from judge.rubric import load_rubric
from judge.store import Store
from tests.fakes.hostile import HOSTILE_KINDS
from tests.fakes.server import FakeServer, FaultPlan, schema_reply
from tests.helpers import ROOT, make_items, write_config, write_jsonl

# Slow (17 malformed responses x generate and grade, each run twice): runs in `make test` and with `pytest --slow`, not in plain pytest.
pytestmark = pytest.mark.slow

N_TASKS = 10  # 20 items
BAD = "What is 3 + 3"  # the one prompt in twenty
MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class Expect:
    ok: bool
    """True: stored as an answer (repaired, with a note); False: an error row."""
    attempts: int
    said: str
    """In the error text (error rows) or the response notes (repaired rows); '' for neither."""


RETRIED, ONCE = MAX_ATTEMPTS, 1
GEN: dict[str, Expect] = {
    "empty_200": Expect(False, RETRIED, "empty body"),
    "html_200": Expect(False, RETRIED, "HTML page instead of JSON (502 Bad Gateway)"),
    "truncated_body": Expect(False, RETRIED, "invalid JSON"),
    "error_200": Expect(False, RETRIED, "error object with status 200"),
    "content_list": Expect(False, ONCE, "content is a list, not a string"),
    "reasoning_object": Expect(True, ONCE, "message.reasoning was an object"),
    "lone_surrogate": Expect(True, ONCE, "lone surrogates replaced by U+FFFD"),
    "nul_char": Expect(True, ONCE, "NUL characters removed"),
    "non_utf8": Expect(False, ONCE, "body is not UTF-8"),
    "tokens_huge": Expect(True, ONCE, "usage.prompt_tokens = 2147483648 is not a token count"),
    "tokens_negative": Expect(True, ONCE, "usage.prompt_tokens = -7 is not a token count"),
    "tokens_text": Expect(True, ONCE, "usage.prompt_tokens = 'many' is not a token count"),
    "retry_after_soon": Expect(False, RETRIED, "HTTP 429"),
    "trickle": Expect(False, RETRIED, "timeout: no complete response within the 0.5 s deadline"),
    "oversized": Expect(False, ONCE, "larger than 1.0 MiB"),
    "gzip_bomb": Expect(False, ONCE, "compressed body (content-encoding: gzip)"),
    "md_fence": Expect(True, ONCE, ""),  # an answer may well be a fenced block: stored as it came
}
JUDGE = {
    **GEN,
    # The judge's JSON with a raw lone surrogate inside its first string: repaired at the boundary.
    "lone_surrogate": Expect(True, ONCE, "lone surrogates replaced by U+FFFD"),
    # The judge's JSON with "\u0000" inside a string: decoded by the verdict parse, removed from the row.
    "nul_char": Expect(True, ONCE, "rationale: lone surrogates replaced by U+FFFD, NUL characters removed"),
    "md_fence": Expect(True, ONCE, ""),  # accepted: the fence is taken off before parsing
}
assert set(GEN) == set(HOSTILE_KINDS) == set(JUDGE)


RUBRIC = ROOT / "rubrics" / "reasoning_depth.yaml"


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 1 MiB cap and 2 MiB answers / bombs test the same code as 32 MiB and 300 MB, faster.
    monkeypatch.setattr(client, "GUARDS", client.Guards(max_response_bytes=2**20))
    # Parsing the rubric's YAML costs half a second per grade run; it is the same unchanged file here.
    monkeypatch.setattr(plan, "load_rubric", _cached_rubric)


@functools.cache
def _load(path: Path, mtime_ns: int) -> Any:
    return load_rubric(path)


def _cached_rubric(path: Path) -> Any:
    return _load(path, path.stat().st_mtime_ns)


def _plan(kind: str) -> FaultPlan:
    return FaultPlan(retry_after=0, trickle_s=0.05, oversize_bytes=2 * 2**20, bomb_bytes=8 * 2**20).always_fail_for(
        BAD, kind
    )


def _project(tmp: Path, gen_url: str, judge_url: str) -> Path:
    write_jsonl(tmp / "data.jsonl", make_items(N_TASKS))
    common = {"timeout": 0.5, "max_attempts": MAX_ATTEMPTS, "concurrency": 4}
    models = [
        {"name": "m", "base_url": gen_url, "model": "model-m", **common},
        {"name": "judge", "base_url": judge_url, "model": "judge-model", **common},
    ]
    judge = {
        "model": "judge",
        "mode": "single",
        "rubrics": [str(RUBRIC)],
        "checks": False,
        "logprobs": False,
    }
    return write_config(tmp / "judge.toml", models, judge=judge)


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def _status(cfg: Path, run_id: str) -> str:
    return _q(cfg, f"SELECT status FROM runs WHERE run_id = '{run_id}'")[0][0]


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_generate_keeps_the_other_nineteen(tmp_path: Path, kind: str) -> None:
    want = GEN[kind]
    with FakeServer(faults=_plan(kind)) as srv:
        cfg = _project(tmp_path, srv.base_url, srv.base_url)
        s = generate(load_config(cfg), models=["m"])
        assert (s.ok, s.errors, s.pending) == ((20, 0, 0) if want.ok else (19, 1, 0)), s
        assert _status(cfg, s.run_id) == ("done" if want.ok else "done_with_errors")
        assert srv.counts[kind] == want.attempts
        rows = _q(
            cfg,
            "SELECT p.prompt, g.status, g.answer, g.error, g.attempts, g.request_json, g.prompt_tokens"
            " FROM generations g JOIN prompts p USING (prompt_key)",
        )
        good = [r for r in rows if BAD not in r[0]]
        assert len(good) == 19 and all(r[1] == "ok" and r[2] and r[3] is None for r in good)
        [(_, status, answer, error, attempts, request_json, prompt_tokens)] = [r for r in rows if BAD in r[0]]
        notes = json.loads(request_json).get("response_notes", [])
        if want.ok:
            assert status == "ok" and error is None and attempts == 1
            assert want.said in " | ".join(notes), notes
            assert "\x00" not in answer and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in answer)
            if kind.startswith("tokens_"):
                assert prompt_tokens is None
            if kind == "md_fence":
                assert answer.startswith("```json") and notes == []
        else:
            assert (status, answer, attempts) == ("error", None, want.attempts)
            assert want.said in error, error
        # a rerun sends nothing; --retry-errors asks the bad one again and replaces its row
        sent = sum(srv.counts.values())
        assert generate(load_config(cfg), models=["m"]).planned == 0
        assert sum(srv.counts.values()) == sent
        again = generate(load_config(cfg), models=["m"], retry_errors=True)
        assert again.planned == (0 if want.ok else 1)
    assert _q(cfg, "SELECT count(*), count(DISTINCT gen_id), count(DISTINCT prompt_key) FROM generations") == [
        (20, 20, 20)
    ]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the twenty answers stored (generated once, copied for each judge test)."""
    tmp = tmp_path_factory.mktemp("answers")
    with FakeServer() as gen:
        cfg = _project(tmp, gen.base_url, gen.base_url)
        assert generate(load_config(cfg), models=["m"]).ok == 20
    return tmp


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_grade_keeps_the_other_nineteen(tmp_path: Path, answers: Path, kind: str) -> None:
    want = JUDGE[kind]
    shutil.copytree(answers, tmp_path, dirs_exist_ok=True)
    with FakeServer(reply=schema_reply(score=4), faults=_plan(kind)) as jdg:
        cfg = _project(tmp_path, "http://127.0.0.1:9/v1", jdg.base_url)
        s = grade(load_config(cfg), models=["m"])
        assert (s.ok, s.errors, s.pending) == ((20, 0, 0) if want.ok else (19, 1, 0)), s
        assert _status(cfg, s.run_id) == ("done" if want.ok else "done_with_errors")
        assert jdg.counts[kind] == want.attempts
        rows = _q(
            cfg,
            "SELECT p.prompt, v.criterion, v.score, v.error, v.attempts, v.raw, v.rationale, v.prompt_tokens"
            " FROM verdicts v JOIN generations g ON g.gen_id = v.generation_id JOIN prompts p USING (prompt_key)"
            # trap_awareness does not apply to these items (no trap): n/a rows, neither score nor error
            " WHERE NOT (v.not_applicable AND v.score IS NULL AND v.error IS NULL)",
        )
        good = [r for r in rows if BAD not in r[0]]
        n_good = len({r[1] for r in good})  # the criteria that apply (trap_awareness does not)
        assert len(good) == 19 * n_good
        assert all(r[2] == 4.0 and r[3] is None and r[5] is None for r in good)
        bad = [r for r in rows if BAD in r[0]]
        # a failed verdict is an error on every criterion; a repaired one scores those that apply
        assert len(bad) == (n_good if want.ok else len(load_rubric(RUBRIC).criteria))
        for _, _, score, error, attempts, raw, rationale, pt in bad:
            if want.ok:
                assert score == 4.0 and error is None and attempts == 1
                assert (want.said in (raw or "")) if want.said else raw is None, raw
                assert "\x00" not in rationale and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in rationale)
                if kind.startswith("tokens_"):
                    assert pt is None
            else:
                assert score is None and attempts == want.attempts
                assert want.said in error, error
        # with --retry-errors only the bad verdict is asked again (a plain rerun would ask nothing)
        sent = sum(jdg.counts.values())
        assert grade(load_config(cfg), models=["m"], retry_errors=True).planned == (0 if want.ok else 1)
        assert sum(jdg.counts.values()) - sent == (0 if want.ok else want.attempts)
    assert _q(
        cfg, "SELECT count(*) - count(DISTINCT (verdict_id, criterion)), count(DISTINCT verdict_id) FROM verdicts"
    )[0] == (0, 20)
