"""Verdicts pages: filters select exactly the matching `scores` rows; an answer shows its prompt,
reasoning and every criterion's rationale; pairwise comparisons show both orders side by side;
Agreement shows two annotators' own agreement beside the judge's."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

from judge.config import Config
from judge.store import Store, now
from tests.test_labels_export import MODELS, RD, RF
from tests.ui.conftest import csrf

HX = {"HX-Request": "true"}


def rows_shown(page: str) -> list[tuple[str, ...]]:
    table = page.split('id="verdict-table"', 1)[1]
    return re.findall(r"<td><a href=\"/answers/([^\"]+)\">[^<]+</a></td>\s*<td>([^<]+)</td><td>(\w+)</td>", table)


def test_filters_select_exactly_the_matching_rows(client: Any, project: Config) -> None:
    with Store.open_readonly(project.db_path) as s:
        want = s.query(
            "SELECT generation_id, model, lang FROM scores WHERE model = ? AND lang = 'ru' AND rubric = ?"
            " AND criterion = 'grammar' ORDER BY prompt_id",
            [MODELS[1], RF],
        )[1]
        score = s.query("SELECT score FROM scores WHERE rubric = ? AND criterion = 'depth' LIMIT 1", [RD])[1][0][0]
        n_score = s.query(
            "SELECT count(*) FROM scores WHERE rubric = ? AND criterion = 'depth' AND score = ?", [RD, score]
        )[1][0][0]
    page = client.get(f"/verdicts?model={MODELS[1]}&lang=ru&rubric={RF}&criterion=grammar").text
    assert len(want) > 0 and rows_shown(page) == [tuple(map(str, w)) for w in want]
    page = client.get(f"/verdicts?rubric={RD}&criterion=depth&score={score:g}").text
    assert len(rows_shown(page)) == n_score and f"{n_score} criterion row(s)" in page
    # every filter is offered with the values stored
    page = client.get("/verdicts").text
    for col in ("model", "lang", "category", "rubric", "rubric_version", "criterion", "judge", "score"):
        assert f'<select name="{col}">' in page


def test_an_answer_shows_prompt_reasoning_rationales_and_both_pairwise_orders(client: Any, project: Config) -> None:
    with Store.open(project.db_path) as s:
        a, b = s.records(
            "SELECT generation_id, model, prompt_id FROM answers WHERE prompt_id = 't000-ru' ORDER BY model"
        )
        s.con.execute(
            "UPDATE generations SET reasoning = 'думаю <b>шаг</b> за шагом' WHERE gen_id = ?", [a["generation_id"]]
        )
        version = s.query("SELECT version FROM rubrics WHERE name = ? AND retired_at IS NULL", [RF])[1][0][0]
        base = {"pair_id": "p1", "rubric": RF, "rubric_version": version, "judge": "judge-x", "criterion": "grammar"}
        s.write_comparisons(
            [
                {**base, "comparison_id": "c0", "swap": 0, "position_a": a["generation_id"], "position_b": b["generation_id"],
                 "winner": "A", "rationale": "первый порядок: A лучше", "created_at": now()},
                {**base, "comparison_id": "c1", "swap": 1, "position_a": b["generation_id"], "position_b": a["generation_id"],
                 "winner": "A", "rationale": "второй порядок: A лучше", "created_at": now()},
            ]
        )  # fmt: skip
        rationales = [
            r[0] for r in s.query("SELECT rationale FROM verdicts WHERE generation_id = ?", [a["generation_id"]])[1]
        ]
    page = client.get(f"/answers/{a['generation_id']}").text
    text = htmllib.unescape(page)
    assert "Сколько будет 0 + 0?" in text and "думаю <b>шаг</b> за шагом" in text
    assert "&lt;b&gt;шаг&lt;/b&gt;" in page  # the reasoning trace is text, not markup
    assert text.count("<td>ok</td>") >= len(rationales) > 0  # every criterion's rationale ("ok" in this project)
    # both orders side by side: each picked its own A, so the two orders disagree (a tie)
    assert "первый порядок: A лучше" in text and "второй порядок: A лучше" in text
    assert f"Order 1 (A = {a['model']}): A" in text and f"Order 2 (A = {b['model']}): A" in text
    assert "the two orders disagree" in text and "winner: <strong>tie</strong>" in text


def test_agreement_shows_human_to_human_agreement(client: Any, project: Config) -> None:
    # two annotators label the same items: the "humans only" alpha is computed (not a dash)
    first = client.get("/label?annotator=anna&rubric=reasoning_depth").text
    html = first
    for i in range(15):
        key = {
            k: re.search(rf'name="{k}" value="([^"]*)"', html).group(1)
            for k in ("generation_id", "rubric", "rubric_version", "criterion")
        }  # type: ignore[union-attr]
        assert key["rubric"] == RD  # the page's rubric filter holds across items
        for who in ("anna", "boris"):
            r = client.post(
                "/label",
                data={"csrf": csrf(client), "annotator": who, "action": str(1 + (i % 5)), "rubric_filter": RD, **key},
                headers=HX,
            )
            assert r.status_code == 200
            if who == "anna":
                html = r.text
    page = client.get("/agreement").text
    table = page.split('id="agreement-table"', 1)[1]
    header = re.findall(r"<th>([^<]+)</th>", table.split("</tr>", 1)[0])
    i = next(j for j, h in enumerate(header) if "humans only" in h)
    pooled = re.findall(r"<td>([^<]*)</td>", table.split("</tr>", 2)[1])
    assert pooled[0] == "judge-x" and pooled[1] == RD
    assert pooled[i].startswith("1.00")  # identical labels: perfect agreement between the humans
