"""The judge's cost kept apart from the contestants': the `costs` view, prices, the report's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.config import load_config
from judge.errors import ConfigError
from judge.grade import grade
from judge.report import build_report, render
from judge.store import Store
from tests.fakes.server import FakeServer, schema_reply
from tests.grade.test_grade import _answer_reply, _project

RUBRIC = ["rubrics/reasoning_depth.yaml"]
JUDGE_PRICE = (0.25, 2.0)
GOOD_PRICE = (1.5, 6.0)


def _priced(cfg: Path, prices: dict[str, tuple[float, float]]) -> None:
    """Give the named [[models]] entries a price (a line after their `model = ...`)."""
    text = cfg.read_text(encoding="utf-8")
    for name, (i, o) in prices.items():
        anchor = f'name = "{name}"\n'
        assert anchor in text
        text = text.replace(anchor, f"{anchor}price = {{input_per_mtok = {i}, output_per_mtok = {o}}}\n")
    cfg.write_text(text, encoding="utf-8")


def _q(cfg: Path, sql: str) -> list[tuple]:
    with Store.open_readonly(load_config(cfg).db_path) as s:
        return s.query(sql)[1]


def _money(tokens_in: int, tokens_out: int, price: tuple[float, float]) -> float:
    return tokens_in * price[0] / 1e6 + tokens_out * price[1] / 1e6


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cost")
    judge = schema_reply(score=4, reasoning="A short check.", reasoning_tokens=25)
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=judge) as jsrv:
        cfg = _project(tmp, gen.base_url, n_tasks=3, judge_url=jsrv.base_url, rubrics=RUBRIC, mode="both")
        _priced(cfg, {"judge": JUDGE_PRICE, "good": GOOD_PRICE})
        grade(load_config(cfg), checks=False)
    return cfg


def test_costs_split_tokens_and_money_by_role(graded: Path) -> None:
    cfg = graded
    by_role = {
        (r, k): (n, pt, ct, rt)
        for r, k, n, pt, ct, rt in _q(
            cfg,
            "SELECT role, kind, count(*), sum(prompt_tokens), sum(completion_tokens), sum(reasoning_tokens)"
            " FROM costs GROUP BY ALL",
        )
    }
    # contestants: one call per generation, their tokens as the answers view has them
    gen = _q(cfg, "SELECT count(*), sum(prompt_tokens), sum(completion_tokens) FROM answers")[0]
    assert by_role[("contestant", "generate")][:3] == gen
    # the judge: one call per verdict (not per criterion row) and per pairwise order, every token once
    single = _q(
        cfg,
        "SELECT count(*), sum(pt), sum(ct), sum(rt) FROM (SELECT verdict_id, any_value(prompt_tokens) AS pt,"
        " any_value(completion_tokens) AS ct, any_value(reasoning_tokens) AS rt FROM verdicts"
        " WHERE judge = 'judge' GROUP BY verdict_id)",
    )[0]
    assert single[0] == 12 and by_role[("judge", "single")] == single
    pair = _q(cfg, "SELECT count(DISTINCT comparison_id) FROM comparisons")[0][0]
    assert pair == 6 * 2 and by_role[("judge", "pairwise")][0] == pair
    assert by_role[("judge", "single")][3] == 12 * 25  # reasoning tokens as the judge reported them
    assert ("judge", "generate") not in by_role and ("contestant", "single") not in by_role

    # money: the configured price times the tokens; NULL for the model without a price
    rows = _q(
        cfg,
        "SELECT role, model, sum(prompt_tokens), sum(completion_tokens), sum(cost), count(cost), count(*)"
        " FROM costs GROUP BY ALL ORDER BY ALL",
    )
    money = {(r, m): (pt, ct, c, nc, n) for r, m, pt, ct, c, nc, n in rows}
    pt, ct, cost, n_cost, n = money[("judge", "judge")]
    assert n_cost == n and cost == pytest.approx(_money(pt, ct, JUDGE_PRICE))
    pt, ct, cost, n_cost, n = money[("contestant", "good")]
    assert n_cost == n and cost == pytest.approx(_money(pt, ct, GOOD_PRICE))
    assert money[("contestant", "bad")][2:4] == (None, 0)  # no price: NULL money, never 0
    # the judge is not a contestant here: it has no contestant rows
    assert ("contestant", "judge") not in money


def test_the_report_keeps_the_judges_cost_apart(graded: Path) -> None:
    with Store.open_readonly(load_config(graded).db_path) as s:
        report = build_report(s, n_boot=100)
    roles = {(r.role, r.model): r for r in report.sections.cost.roles}
    assert set(roles) == {
        ("contestant", "bad"),
        ("contestant", "good"),
        ("contestant", None),
        ("judge", "judge"),
        ("judge", None),
    }
    judge, total = roles[("judge", "judge")], roles[("judge", None)]
    view = _q(graded, "SELECT count(*), sum(prompt_tokens), sum(cost) FROM costs WHERE role = 'judge'")[0]
    assert (judge.calls, judge.prompt_tokens) == view[:2] and judge.cost == pytest.approx(view[2])
    assert (total.calls, total.cost) == (judge.calls, judge.cost)
    assert judge.reasoning_tokens == (12 + 12) * 25 and judge.n_reasoning_unknown == 0  # verdicts and orders
    assert roles[("contestant", "bad")].cost is None and roles[("contestant", "bad")].n_unpriced > 0
    contestants = roles[("contestant", None)]
    assert contestants.calls == roles[("contestant", "bad")].calls + roles[("contestant", "good")].calls
    assert contestants.cost == pytest.approx(roles[("contestant", "good")].cost)
    md = render(report, "md")
    assert "Contestants and judges" in md


def test_prices_follow_the_config(tmp_path: Path) -> None:
    with FakeServer(reply=_answer_reply) as gen, FakeServer(reply=schema_reply(score=4)) as jsrv:
        cfg = _project(tmp_path, gen.base_url, n_tasks=1, judge_url=jsrv.base_url, rubrics=RUBRIC)
        grade(load_config(cfg), checks=False)
        assert _q(cfg, "SELECT count(cost) FROM costs") == [(0,)] and _q(cfg, "SELECT * FROM prices") == []
        _priced(cfg, {"judge": JUDGE_PRICE})
        grade(load_config(cfg), checks=False)  # nothing left to grade: only the prices are recorded
        assert _q(cfg, "SELECT name, input_per_mtok, output_per_mtok FROM prices") == [("judge", *JUDGE_PRICE)]
        assert _q(cfg, "SELECT DISTINCT role FROM costs WHERE cost IS NOT NULL") == [("judge",)]
        cfg.write_text(cfg.read_text(encoding="utf-8").replace("price = {", "# price = {"), encoding="utf-8")
        grade(load_config(cfg), checks=False)
        assert _q(cfg, "SELECT count(*) FROM prices") == [(0,)]


@pytest.mark.parametrize(
    "price",
    [
        "{input_per_mtok = -1.0, output_per_mtok = 2.0}",
        "{input_per_mtok = 1.0}",
        '{input_per_mtok = "1", output_per_mtok = 2.0}',
        "{input_per_mtok = 1.0, output_per_mtok = 2.0, currency = 3}",
    ],
)
def test_a_bad_price_is_refused(tmp_path: Path, price: str) -> None:
    cfg = tmp_path / "judge.toml"
    cfg.write_text(
        f'[[models]]\nname = "m"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "x"\nprice = {price}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"price"):
        load_config(cfg)
