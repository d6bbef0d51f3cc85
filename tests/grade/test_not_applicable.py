"""'Not applicable' as a verdict value of its own: decided by the program (language, length) or by the
judge ("n/a" where a criterion allows it); stored as such, shown in `scores`, counted by the report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from judge.config import load_config
from judge.dataset import Item
from judge.errors import RubricError
from judge.generate import generate
from judge.grade import grade
from judge.grade.applicable import not_applicable_reason
from judge.report import build_report
from judge.rubric import parse_rubric
from judge.store import Store
from tests.fakes.server import FakeServer, Reply, find_schema, json_reply_for_schema
from tests.helpers import write_config, write_jsonl

FLUENCY = {
    "name": "fluency_test",
    "title": {"ru": "Беглость", "en": "Fluency"},
    "applies_to": {"langs": ["ru"]},
    "scale": {"min": 1, "max": 5},
    "include_reference": False,
    "not_applicable": {"answer_lang": "ru", "min_words": 3},
    "criteria": [
        {
            "id": cid,
            "title": {"ru": cid, "en": cid},
            "anchors": {1: {"ru": "плохо", "en": "bad"}, 5: {"ru": "хорошо", "en": "good"}},
        }
        for cid in ("grammar", "spelling")
    ],
}
DEPTH = {
    "name": "depth_test",
    "title": {"ru": "Глубина", "en": "Depth"},
    "scale": {"min": 1, "max": 5},
    "criteria": [
        {
            "id": "correctness",
            "title": {"ru": "Правильность", "en": "Correctness"},
            "anchors": {1: {"ru": "неверно", "en": "wrong"}, 5: {"ru": "верно", "en": "right"}},
            "weight": 2.0,
        },
        {
            "id": "edge_cases",
            "title": {"ru": "Крайние случаи", "en": "Edge cases"},
            "anchors": {1: {"ru": "нет", "en": "none"}, 5: {"ru": "все", "en": "all"}},
            "not_applicable_when": {"ru": "У задачи нет крайних случаев.", "en": "The task has no edge cases."},
        },
        {
            "id": "trap_awareness",
            "title": {"ru": "Ловушка", "en": "Trap"},
            "anchors": {1: {"ru": "попался", "en": "fell in"}, 5: {"ru": "назвал", "en": "named it"}},
            # decided by the program: the item has no trap tag and its reference names no trap
            "applies_if": {"tags_any": ["trap"], "reference_matches": "(?im)^\\W*(ловушка|trap)\\b"},
        },
    ],
}

RU_PROMPT = "Объясните, почему зимой на улице рано темнеет, в двух-трёх предложениях."
ANSWERS = {
    # model -> answer to the Russian prompt
    "russian": "Зимой Земля повёрнута к Солнцу так, что наше полушарие получает меньше света. "
    "Поэтому солнце поднимается невысоко и быстро садится, а день становится коротким.",
    "english": "In winter our hemisphere is tilted away from the Sun, so the Sun stays low in the sky "
    "and sets early, which makes the days short and the evenings dark.",
    "terse": "Наклон оси.",
}


def _yaml(data: dict) -> str:
    buf = io.StringIO()
    YAML().dump(data, buf)
    return buf.getvalue()


def _rubric(data: dict, tmp_path: Path) -> Path:
    p = tmp_path / "rubrics" / f"{data['name']}.yaml"
    p.parent.mkdir(exist_ok=True)
    p.write_text(_yaml(data), encoding="utf-8")
    return p


def _contestant(req: dict) -> Reply:
    return Reply(content=ANSWERS[req["model"]])


def _judge(req: dict) -> Reply:
    """Scores 4 everywhere, except "n/a" for edge_cases where the schema offers it."""
    found = find_schema(req)
    assert found is not None
    schema = found[0]
    content = json_reply_for_schema(schema=schema, score=4, rationale="ok")
    edge = schema["properties"].get("edge_cases")
    if edge is not None:
        ref = edge["$ref"].split("/")[-1]
        options = schema["$defs"][ref]["properties"]["score"].get("anyOf", [])
        if any(o.get("const") == "n/a" for o in options):
            content["edge_cases"] = {"rationale": "one-step task: no edge cases", "score": "n/a"}
    return Reply(content=json.dumps(content, ensure_ascii=False))


def _project(tmp_path: Path, gen_url: str, judge_url: str) -> Path:
    _rubric(FLUENCY, tmp_path)
    _rubric(DEPTH, tmp_path)
    write_jsonl(
        tmp_path / "data.jsonl",
        [{"id": "dark-ru", "lang": "ru", "category": "writing", "prompt": RU_PROMPT, "reference": "Наклон оси."}],
    )
    models = [{"name": m, "base_url": gen_url, "model": m} for m in ANSWERS]
    models.append({"name": "judge", "base_url": judge_url, "model": "judge-model", "max_attempts": 2})
    cfg = write_config(
        tmp_path / "judge.toml",
        models,
        judge={"model": "judge", "rubrics": ["rubrics/fluency_test.yaml", "rubrics/depth_test.yaml"]},
    )
    generate(load_config(cfg), models=list(ANSWERS))
    return cfg


def test_na_is_stored_shown_and_counted_never_averaged(tmp_path: Path) -> None:
    with FakeServer(reply=_contestant) as gen, FakeServer(reply=_judge) as jsrv:
        cfg = _project(tmp_path, gen.base_url, jsrv.base_url)
        s = grade(load_config(cfg), mode="single")
        assert s.errors == 0
        # the fluency judge was asked about the Russian answer only: the other two were decided by the program
        asked = [r for r in jsrv.requests if "grammar" in json.dumps(find_schema(r)[0])]  # type: ignore[index]
        assert len(asked) == 1
        assert ANSWERS["russian"] in asked[0]["messages"][-1]["content"]
        assert "<reference>" not in asked[0]["messages"][-1]["content"]  # include_reference: false

    with Store.open_readonly(load_config(cfg).db_path) as st:
        rows = st.query(
            "SELECT model, criterion, status, score, not_applicable, rationale, error, instruction_lang FROM scores"
            " WHERE rubric = 'fluency_test' ORDER BY model, criterion"
        )[1]
        depth = st.query(
            "SELECT model, criterion, status, score FROM scores WHERE rubric = 'depth_test' ORDER BY model, criterion"
        )[1]
    by = {(r[0], r[1]): r for r in rows}
    for crit in ("grammar", "spelling"):
        eng = by[("english", crit)]
        assert eng[2:5] == ("not_applicable", None, True)
        assert "not in ru" in eng[5] and "detected en" in eng[5]
        assert eng[6] is None  # not an error
        terse = by[("terse", crit)]
        assert terse[2:5] == ("not_applicable", None, True)
        assert "too short" in terse[5]
        assert by[("russian", crit)][2:4] == ("scored", 4.0)
    assert {r[7] for r in rows if r[2] == "scored"} == {"ru"}  # a Russian-only rubric instructs in Russian
    # the judge's own "n/a" where the criterion allows it; the other criterion is scored
    assert {(r[1], r[2], r[3]) for r in depth} == {
        ("correctness", "scored", 4.0),
        ("edge_cases", "not_applicable", None),
        ("trap_awareness", "not_applicable", None),  # the judge scored it; the program's rule wins
    }

    with Store.open_readonly(load_config(cfg).db_path) as st:
        rep = build_report(st, n_boot=200)
    cells = [
        r
        for r in rep.sections.overview.criteria
        if r.rubric == "fluency_test" and r.criterion == "grammar" and r.lang == "ru"
    ]
    na = {r.model: (r.n, r.n_na, r.mean) for r in cells}
    assert na["english"] == (0, 1, None)
    assert na["russian"] == (1, 0, 4.0)
    # the weighted total of depth_test is over the criteria that apply: correctness alone
    totals = {r.model: r.mean for r in rep.sections.overview.totals if r.rubric == "depth_test" and r.lang == "ru"}
    assert totals == {"english": 4.0, "russian": 4.0, "terse": 4.0}
    # the judge saw the visible answer only: the report says what that measures
    assert any(
        "depth_test, fluency_test: judged on the answer as the user sees it" in n for n in rep.sections.overview.notes
    )
    caveats = rep.sections.caveats
    # fluency: 2 criteria x (english, terse); depth: edge_cases and trap_awareness of all three answers
    assert caveats.not_applicable_rows == 2 * 2 + 3 + 3
    assert any("not applicable" in c for c in caveats.items)
    assert any(c.startswith("Judge instructions:") and "fluency_test: ru items in ru" in c for c in caveats.items)


def _item(lang: str = "ru", answer_lang: str | None = None) -> Item:
    return Item(id="x", lang=lang, category="writing", prompt="Вопрос?", answer_lang=answer_lang)  # type: ignore[arg-type]


def test_reason_by_language_length_and_requested_language() -> None:
    r = parse_rubric(_yaml(FLUENCY), "fluency_test.yaml")
    assert not_applicable_reason(r, _item(), ANSWERS["russian"]) is None
    assert "not in ru" in (not_applicable_reason(r, _item(), ANSWERS["english"]) or "")
    assert "too short" in (not_applicable_reason(r, _item(), "Да.") or "")
    # a Russian prompt that asks for a Spanish story: Russian fluency does not apply whatever the answer
    assert "asks for an answer in es" in (not_applicable_reason(r, _item(answer_lang="es"), ANSWERS["russian"]) or "")
    # undecidable language (a short, mixed line) is left to the judge, not made n/a
    assert not_applicable_reason(r, _item(), "Python 3.12 и pandas 2.2: ok") is None
    # a rubric without a rule always applies
    plain = parse_rubric(_yaml(DEPTH), "depth_test.yaml")
    assert not_applicable_reason(plain, _item(), "") is None


def _pair_judge(req: dict) -> Reply:
    found = find_schema(req)
    assert found is not None
    return Reply(content=json.dumps(json_reply_for_schema(schema=found[0], winner="A", rationale="ok")))


def test_pairwise_with_an_answer_it_does_not_apply_to_is_not_applicable(tmp_path: Path) -> None:
    with FakeServer(reply=_contestant) as gen, FakeServer(reply=_pair_judge) as jsrv:
        cfg = _project(tmp_path, gen.base_url, jsrv.base_url)
        s = grade(load_config(cfg), mode="pairwise", rubrics=["fluency_test"])
        assert s.errors == 0
        assert jsrv.requests == []  # every pair holds the English or the terse answer: nothing to ask
    with Store.open_readonly(load_config(cfg).db_path) as st:
        rows = st.query("SELECT model_a, model_b, status, winner, not_applicable, rationale_order1 FROM pairwise")[1]
    assert len(rows) == 3 * 2  # three pairs of models x two criteria
    for a, b, status, winner, na, why in rows:
        assert (status, winner, na) == ("not_applicable", None, True)
        assert ("english" in (a, b)) == ("not in ru" in why)


def test_a_criterion_applies_only_where_its_rule_holds() -> None:
    r = parse_rubric(_yaml(DEPTH), "depth_test.yaml")
    rule = r.criterion("trap_awareness").applies_if
    assert rule is not None
    assert rule.holds(["trap"], None)
    assert rule.holds([], "Решение…\nЛовушка: забыть про високосный год.")
    assert not rule.holds(["multi-step"], "Решение без подвохов.")
    assert not rule.holds([], None)
    with pytest.raises(RubricError, match="reference_matches"):
        bad = {**DEPTH, "criteria": [{**DEPTH["criteria"][2], "applies_if": {"reference_matches": "(["}}]}
        parse_rubric(_yaml(bad), "bad.yaml")
