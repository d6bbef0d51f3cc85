"""`judge probe` against scripted judges on the fake server: p_detect, p_raise, errors, resume, CLI.

The operators here are fakes registered for the test (the real ones live in judge/probe/ops_*.py):
`t_marker` plants the token ZQX, `t_swap` swaps adjacent words, `t_pad` (neutral) appends a filler
sentence, `t_none` never finds a place. The judges read the text between <answer> tags.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from judge.config import load_config
from judge.generate import generate
from judge.probe.operators import OPERATORS, Corruption, Operator
from judge.probe.run import probe
from judge.probe.summary import raising, results, undetected
from judge.store import Store
from tests.fakes.server import FakeServer, FaultPlan, Reply, find_schema, json_reply_for_schema
from tests.helpers import write_config, write_jsonl

MARK = "ZQX"
PAD = "Moreover, this point is worth repeating once more for clarity."
RUBRIC = {
    "name": "probe_test",
    "title": {"ru": "Качество", "en": "Quality"},
    "scale": {"min": 1, "max": 5},
    "criteria": [
        {
            "id": "quality",
            "title": {"ru": "Качество", "en": "Quality"},
            "anchors": {1: {"ru": "плохо", "en": "bad"}, 5: {"ru": "хорошо", "en": "good"}},
        }
    ],
}
OPS = ["t_marker", "t_swap", "t_pad"]


# -- fake operators -------------------------------------------------------------------------------


def _marker(text: str, dose: int, rng: random.Random) -> Corruption | None:
    words = text.split()
    at = sorted(rng.sample(range(len(words)), min(dose, len(words))), reverse=True)
    for i in at:
        words.insert(i + 1, MARK)
    return Corruption(" ".join(words), [f"{MARK} after word {i}" for i in at])


def _swap(text: str, dose: int, rng: random.Random) -> Corruption | None:
    words = text.split()
    if len(words) < 2:
        return None
    edits = []
    for _ in range(dose):
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        edits.append(f"swapped words {i} and {i + 1}")
    new = " ".join(words)
    return Corruption(new, edits) if new != text else None


def _pad(text: str, dose: int, rng: random.Random) -> Corruption | None:
    return Corruption(text + " " + " ".join([PAD] * dose), ["padding"] * dose)


def _none(text: str, dose: int, rng: random.Random) -> Corruption | None:
    return None


@pytest.fixture(autouse=True)
def fake_ops(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The real operators are not loaded: these tests measure the runner, not them.
    monkeypatch.setattr("judge.probe.operators._load", lambda: None)
    added = []
    for lang in ("en", "ru"):
        for name, fn, expect in (("t_marker", _marker, "lower"), ("t_swap", _swap, "lower"), ("t_pad", _pad, "same")):
            OPERATORS[(lang, name)] = Operator(name, lang, expect, fn)  # type: ignore[arg-type]
            added.append((lang, name))
    OPERATORS[("en", "t_none")] = Operator("t_none", "en", "lower", _none)
    added.append(("en", "t_none"))
    yield
    for key in added:
        OPERATORS.pop(key, None)


# -- judges ---------------------------------------------------------------------------------------


def _answer(req: dict) -> str:
    return req["messages"][-1]["content"].split("<answer>")[1].split("</answer>")[0].strip()


def _judge(score: Callable[[str], int]) -> Callable[[dict], Reply]:
    def reply(req: dict) -> Reply:
        found = find_schema(req)
        assert found is not None
        obj = json_reply_for_schema(schema=found[0], score=score(_answer(req)), rationale="ok")
        return Reply(content=json.dumps(obj, ensure_ascii=False))

    return reply


def _draw(text: str, salt: str, lo: int = 1, hi: int = 5) -> int:
    """A seeded random score: the same text always gets the same score, texts are independent."""
    return random.Random(hashlib.sha256((salt + text).encode()).hexdigest()).randint(lo, hi)


def random_judge(text: str) -> int:
    """Seeded: each 95 % CI misses 0.5 one time in 20, and the 18 cells of a run share their clean
    scores, so about half of all salts leave some cell outside; this one leaves every cell 0.05 inside."""
    return _draw(text, "random-judge-1")


def marker_judge(text: str) -> int:
    """Notices only the planted marker; otherwise 4 or 5 at random."""
    return 1 if MARK in text else _draw(text, "m4", 4, 5)  # a salt with t_swap's CIs 0.08 inside (see random_judge)


def length_judge(text: str) -> int:
    """Prefers longer texts: a point per 8 words."""
    return max(1, min(5, len(text.split()) // 8))


# -- project --------------------------------------------------------------------------------------


def _items(n: int) -> list[dict]:
    items = []
    for i in range(n):
        # items 0, 5, 10, ... carry the word "fragile", which the failing judge cannot stand
        odd = " fragile" if i % 5 == 0 else ""
        items += [
            {
                "id": f"w{i:03d}-en",
                "pair": f"w{i:03d}",
                "lang": "en",
                "category": "writing",
                "prompt": f"Describe the river near village {i}.",
                "reference": f"Near village {i} the{odd} river flows north past the old mill, and farmers use its water.",
            },
            {
                "id": f"w{i:03d}-ru",
                "pair": f"w{i:03d}",
                "lang": "ru",
                "category": "writing",
                "prompt": f"Опишите реку у деревни {i}.",
                "reference": f"У деревни {i} река{odd} течёт на север мимо старой мельницы, и крестьяне берут из неё воду.",
            },
        ]
    return items


def _project(tmp_path: Path, judge_url: str, n: int = 20, gen_url: str | None = None) -> Path:
    (tmp_path / "rubrics").mkdir(exist_ok=True)
    buf = io.StringIO()
    YAML().dump(RUBRIC, buf)
    (tmp_path / "rubrics" / "probe_test.yaml").write_text(buf.getvalue(), encoding="utf-8")
    write_jsonl(tmp_path / "data.jsonl", _items(n))
    models = [
        {"name": "judge", "base_url": judge_url, "model": "judge-model", "max_attempts": 2, "concurrency": 4},
        {"name": "writer", "base_url": gen_url or judge_url, "model": "writer-model"},
    ]
    return write_config(
        tmp_path / "judge.toml", models, judge={"model": "judge", "rubrics": ["rubrics/probe_test.yaml"]}
    )


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def _results(cfg: Path) -> list[dict]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return results(s)


def _cell(rows: list[dict], op: str, lang: str, dose: int) -> dict:
    [row] = [r for r in rows if (r["operator"], r["lang"], r["dose"]) == (op, lang, dose)]
    return row


# -- statistics -----------------------------------------------------------------------------------


def test_random_judge_stays_at_chance_for_every_operator(tmp_path: Path) -> None:
    with FakeServer(reply=_judge(random_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=40)
        s = probe(load_config(cfg), operators=OPS)
        # 80 texts; per text one clean item and 3 operators x 3 doses
        assert (s.texts, s.ok, s.errors, s.cells) == (80, 80 * 10, 0, 2 * 3 * 3)
    rows = _results(cfg)
    assert len(rows) == 18 and {r["n"] for r in rows} == {40}
    for r in rows:
        assert r["lo"] <= 0.5 <= r["hi"], r
        assert 0.3 < r["p_detect"] < 0.7, r
    assert abs(sum(r["p_detect"] for r in rows) / len(rows) - 0.5) < 0.05
    assert {(r["operator"], r["p_raise"] is None) for r in rows} == {
        ("t_marker", True),
        ("t_swap", True),
        ("t_pad", False),
    }
    assert undetected(rows, 3) == ["en/t_marker", "en/t_swap", "ru/t_marker", "ru/t_swap"]


def test_judge_that_notices_one_error_detects_that_operator_only(tmp_path: Path) -> None:
    with FakeServer(reply=_judge(marker_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=30)
        probe(load_config(cfg), operators=["t_marker", "t_swap"], doses=[1, 3])
    rows = _results(cfg)
    for lang in ("en", "ru"):
        for dose in (1, 3):
            m = _cell(rows, "t_marker", lang, dose)
            assert m["p_detect"] >= 0.9 and m["lo"] > 0.5 and m["mean_drop"] > 2, m
            sw = _cell(rows, "t_swap", lang, dose)
            assert sw["lo"] <= 0.5 <= sw["hi"] and 0.3 < sw["p_detect"] < 0.7, sw
    assert undetected(rows, 3) == ["en/t_swap", "ru/t_swap"]


def test_p_raise_shows_a_judge_that_prefers_longer_texts(tmp_path: Path) -> None:
    with FakeServer(reply=_judge(length_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=20)
        probe(load_config(cfg), operators=["t_pad", "t_swap"])
    rows = _results(cfg)
    for lang in ("en", "ru"):
        for dose in (1, 3, 6):
            pad = _cell(rows, "t_pad", lang, dose)
            assert pad["p_raise"] >= 0.9 and pad["mean_drop"] < 0 and pad["hi"] < 0.5, pad
            assert _cell(rows, "t_swap", lang, dose)["p_raise"] is None  # an error operator: no p_raise
    assert raising(rows, 3) == ["en/t_pad", "ru/t_pad"]


def test_operator_without_a_place_is_skipped_and_counted(tmp_path: Path) -> None:
    with FakeServer(reply=_judge(random_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=3)
        s = probe(load_config(cfg), operators=["t_none", "t_swap"], doses=[1])
        assert s.no_place == 3  # 3 English texts x 1 dose; t_none has no Russian version
        assert s.ok == 6 + 6  # 6 clean texts, 6 swapped copies
        calls = len(jsrv.requests)
        s = probe(load_config(cfg), operators=["t_none"], doses=[1])
        assert (s.planned, s.no_place) == (0, 3)  # no copy: the clean texts are not graded for nothing
        assert len(jsrv.requests) == calls
    assert _q(cfg, "SELECT count(*) FROM probe_verdicts WHERE operator = 't_none'") == [(0,)]


# -- failures ------------------------------------------------------------------------------------


def test_failed_calls_are_errors_never_scores_and_left_out_of_p_detect(tmp_path: Path) -> None:
    def fails(req: dict) -> bool:
        text = _answer(req)
        # a copy with the marker of a "fragile" text fails; its clean text is graded
        return "fragile" in text and MARK in text

    faults = FaultPlan().always_fail_for(fails, "500")
    with FakeServer(reply=_judge(marker_judge), faults=faults) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=10)
        s = probe(load_config(cfg), operators=["t_marker", "t_swap"], doses=[3])
        # 20 texts, 4 of them fragile: their 4 marked copies failed after 2 attempts each
        assert (s.ok, s.errors) == (20 + 40 - 4, 4)
        assert _q(
            cfg,
            "SELECT count(*), count(score), count(error), min(attempts) FROM probe_verdicts WHERE error IS NOT NULL",
        ) == [(4, 0, 4, 2)]
        assert _q(cfg, "SELECT status, count(*) FROM probe_pairs GROUP BY status ORDER BY status") == [
            ("error", 4),
            ("scored", 36),
        ]
        rows = _results(cfg)
        for lang in ("en", "ru"):
            m = _cell(rows, "t_marker", lang, 3)
            assert m["n"] == 8 and m["p_detect"] == 1.0  # the failed pairs count neither as detected nor as missed
            assert _cell(rows, "t_swap", lang, 3)["n"] == 10
        # a rerun does not retry them (they are stored); --retry-errors does, once the judge answers
        assert probe(load_config(cfg), operators=["t_marker", "t_swap"], doses=[3]).earlier_errors == 4
        faults.always.clear()
        s = probe(load_config(cfg), operators=["t_marker", "t_swap"], doses=[3], retry_errors=True)
        assert (s.planned, s.ok, s.errors) == (4, 4, 0)
    assert {_cell(_results(cfg), "t_marker", lang, 3)["n"] for lang in ("en", "ru")} == {10}


# -- resume --------------------------------------------------------------------------------------


def test_rerun_does_nothing_new(tmp_path: Path) -> None:
    with FakeServer(reply=_judge(marker_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=5)
        first = probe(load_config(cfg), operators=OPS, doses=[1, 3])
        assert first.planned == 10 * (1 + 3 * 2)
        calls = len(jsrv.requests)
        again = probe(load_config(cfg), operators=OPS, doses=[1, 3])
        assert (again.planned, again.ok, again.skipped) == (0, 0, first.planned)
        assert len(jsrv.requests) == calls
        # a larger limit and another dose: only the new work
        more = probe(load_config(cfg), operators=OPS, doses=[1, 3, 6])
        assert more.planned == 10 * 3
    assert _q(cfg, "SELECT count(*), count(DISTINCT probe_key) FROM probe_verdicts") == [(10 * 10, 10 * 10)]


def test_killed_run_resumes_without_duplicates(tmp_path: Path) -> None:
    done = 0

    def crash(_kind: str, _ok: bool) -> None:
        nonlocal done
        done += 1
        if done == 25:
            raise RuntimeError("killed")

    with FakeServer(reply=_judge(marker_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=10)
        with pytest.raises(RuntimeError, match="killed"):
            probe(load_config(cfg), operators=OPS, doses=[1, 3], on_done=crash)
        stored = _q(cfg, "SELECT count(*) FROM probe_verdicts")[0][0]
        assert 25 <= stored < 20 * 7  # finished items were kept, the rest is missing
        assert _q(cfg, "SELECT status FROM runs WHERE stage = 'probe'") == [("failed",)]
        s = probe(load_config(cfg), operators=OPS, doses=[1, 3])
        assert s.planned == 20 * 7 - stored and s.errors == 0
    assert _q(cfg, "SELECT count(*), count(DISTINCT probe_key) FROM probe_verdicts") == [(140, 140)]
    assert _q(cfg, "SELECT count(*) FROM probe_pairs WHERE status <> 'scored'") == [(0,)]
    assert {r["n"] for r in _results(cfg)} == {10}


def test_view_hides_a_ci_computed_before_later_verdicts(tmp_path: Path) -> None:
    with FakeServer(reply=_judge(marker_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=5)
        probe(load_config(cfg), operators=["t_marker"], doses=[1])
    assert all(r["lo"] is not None for r in _results(cfg))
    with Store.open(load_config(cfg).db_path) as st:
        st.con.execute("UPDATE probe_verdicts SET score = 5 WHERE operator IS NOT NULL AND lang = 'en'")
    rows = _results(cfg)
    assert _cell(rows, "t_marker", "en", 1)["lo"] is None  # stale: the pairs changed since the bootstrap
    assert _cell(rows, "t_marker", "ru", 1)["lo"] is not None


def test_model_answers_as_the_source(tmp_path: Path) -> None:
    answers = {
        "en": "The river is wide and calm, and it flows slowly past the fields.",
        "ru": "Река широкая и спокойная.",
    }

    def writer(req: dict) -> Reply:
        return Reply(
            content=answers["ru" if "Опишите" in req["messages"][-1]["content"] else "en"]
            + f" #{len(req['messages'][-1]['content'])}"
        )

    with FakeServer(reply=writer) as gen, FakeServer(reply=_judge(marker_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=3, gen_url=gen.base_url)
        generate(load_config(cfg), models=["writer"])
        s = probe(load_config(cfg), source="writer", operators=["t_marker"], doses=[1])
        assert (s.texts, s.ok, s.errors) == (6, 12, 0)
    assert _q(cfg, "SELECT DISTINCT source FROM probe_verdicts") == [("writer",)]
    assert _q(cfg, "SELECT count(DISTINCT source_id) FROM probe_verdicts WHERE source_id LIKE 'h2:%'") == [(6,)]


# -- CLI ------------------------------------------------------------------------------------------


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path, *args: str
) -> tuple[int, str, str]:
    from judge.cli.main import main

    app_module = importlib.import_module("judge.cli.app")  # the module: `judge.cli.app` is also the Typer app

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["judge", *args])
    monkeypatch.delenv("JUDGE_DEBUG", raising=False)
    monkeypatch.setattr(app_module.out, "width", 200)
    monkeypatch.setattr(app_module.err, "width", 200)
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--operators", "t_marker,t_nope"], "--operators: unknown operator 't_nope'"),
        (["--rubric", "no_such_rubric"], "--rubric: unknown rubric 'no_such_rubric'"),
        (["--source", "nobody"], "--source: no stored answers of a model 'nobody'"),
        (["--doses", "1,x"], "--doses: '1,x' is not a comma-separated list"),
        (["--doses", "0,3"], "--doses: doses are whole numbers of edits, 1 or more"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with FakeServer(reply="The river flows north.") as gen, FakeServer(reply=_judge(marker_judge)) as jsrv:
        cfg = _project(tmp_path, jsrv.base_url, n=2, gen_url=gen.base_url)
        assert generate(load_config(cfg), models=["writer"]).ok == 4  # answers, none from `nobody`
        code, _, err = _cli(monkeypatch, capsys, tmp_path, "probe", "--no-progress", *args)
        assert jsrv.requests == []  # the judge was never called
    assert code == 2, err
    assert message in " ".join(err.split()), err
    assert _q(cfg, "SELECT count(*) FROM runs WHERE stage = 'probe'") == [(0,)]
    assert _q(cfg, "SELECT count(*) FROM probe_verdicts") == [(0,)]


def test_cli_prints_the_table_and_the_undetected_operators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeServer(reply=_judge(marker_judge)) as jsrv:
        _project(tmp_path, jsrv.base_url, n=15)
        code, out, err = _cli(
            monkeypatch,
            capsys,
            tmp_path,
            "probe",
            "--no-progress",
            "--operators",
            "t_marker,t_swap,t_pad",
            "--limit",
            "12",
        )
    assert code == 0, err
    assert "probe: 24 clean texts" in err
    lines = out.splitlines()
    assert out.count("│ t_marker │    3 │ 12 │ 1.00 [1.00, 1.00] │") == 2, out  # en and ru
    assert "fails to detect at dose 3 (95 % CI of p_detect reaches 0.5 on every criterion): en/t_swap, ru/t_swap" in out
    assert len([ln for ln in lines if "t_pad" in ln]) == 6  # with p_raise in the last column
