"""Rubric loading, file:line errors, warnings, version hash, round trip, verdict models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from judge.dataset import Item
from judge.errors import RubricError
from judge.rubric import (
    Bilingual,
    Criterion,
    Rubric,
    Scale,
    applies,
    check_rubric_files,
    load_rubric,
    max_tokens_for,
    pairwise_verdict_model,
    parse_rubric,
    rubric_version,
    single_verdict_model,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "rubrics"
CLARITY = DATA / "clarity.yaml"

GOOD = """\
name: mini
title: {ru: "Мини", en: "Mini"}
scale: {min: 1, max: 5}
criteria:
  - id: grammar
    title: {ru: "Грамматика", en: "Grammar"}
    anchors:
      1: {ru: "Много ошибок.", en: "Many errors."}
      5: {ru: "Ошибок нет.", en: "No errors."}
"""


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_of(path: Path) -> list[str]:
    with pytest.raises(RubricError) as ei:
        load_rubric(path)
    return ei.value.problems


# ---------------------------------------------------------------- loading


def test_fixture_loads() -> None:
    r = load_rubric(CLARITY)
    assert r.name == "clarity"
    assert [c.id for c in r.criteria] == ["structure", "concision"]
    assert r.scale == Scale(min=1, max=5)
    assert r.criteria[1].weight == 0.5
    assert r.criteria[1].description is None
    assert r.criteria[0].anchors[3].get("ru") == "Порядок в целом логичен, есть повторы."
    assert r.applies_to.langs == ["ru", "en"]
    assert r.source_text == CLARITY.read_text(encoding="utf-8")
    assert r.source_path == str(CLARITY)
    assert r.version == rubric_version(r)


BROKEN = [
    # (case, text, line, field, words in the message)
    (
        "bad_yaml",
        GOOD.replace('title: {ru: "Мини", en: "Mini"}', 'title: {ru: "Мини", en: "Mini"'),
        3,
        None,
        "invalid YAML",
    ),
    ("duplicate_yaml_key", GOOD.replace("      5: {ru", "      1: {ru"), 9, None, "duplicate key"),
    (
        "missing_anchor_max",
        GOOD.replace('      5: {ru: "Ошибок нет.", en: "No errors."}\n', ""),
        7,
        "criteria[0].anchors",
        "missing 5",
    ),
    ("inverted_scale", GOOD.replace("{min: 1, max: 5}", "{min: 5, max: 1}"), 3, "scale", "inverted scale"),
    (
        "duplicate_criterion_id",
        GOOD + GOOD[GOOD.index("  - id") :],
        10,
        "criteria[1].id",
        "duplicate criterion id 'grammar'",
    ),
    (
        "unknown_key",
        GOOD.replace("    anchors:", "    wieght: 2\n    anchors:"),
        7,
        "criteria[0].wieght",
        "did you mean 'weight'",
    ),
    ("wrong_type", GOOD.replace("{min: 1, max: 5}", "{min: one, max: 5}"), 3, "scale.min", "valid integer"),
    (
        "anchor_out_of_scale",
        GOOD.replace("      5: {ru", '      7: {ru: "x", en: "y"}\n      5: {ru'),
        9,
        "criteria[0].anchors.7",
        "outside the scale 1..5",
    ),
    (
        "anchor_key_not_int",
        GOOD.replace("      5: {ru", '      high: {ru: "x", en: "y"}\n      5: {ru'),
        9,
        "criteria[0].anchors.high",
        "integer score level",
    ),
    ("empty_file", "# nothing here yet\n", None, None, "file is empty"),
    ("not_a_mapping", "- name: mini\n- scale: 5\n", 1, None, "must be a mapping"),
    (
        "bad_lang",
        GOOD.replace("scale:", "applies_to:\n  langs: [ru, de]\nscale:"),
        4,
        "applies_to.langs[1]",
        "unknown language 'de'",
    ),
    ("missing_name", GOOD.replace("name: mini\n", "# no name\n"), 2, "name", "required key is missing"),
    ("weight_zero", GOOD + "    weight: 0\n", 10, "criteria[0].weight", "greater than 0"),
    ("bad_name", GOOD.replace("name: mini", "name: Mini-Rubric"), 1, "name", "lowercase latin letters"),
    (
        "no_text",
        GOOD.replace('{ru: "Грамматика", en: "Grammar"}', '{ru: "", en: " "}'),
        6,
        "criteria[0].title",
        "needs text in ru or en",
    ),
    ("no_criteria", GOOD[: GOOD.index("criteria:")] + "criteria: []\n", 4, "criteria", "at least 1 item"),
    ("reasoning_not_bool", GOOD + "include_reasoning: maybe\n", 10, "include_reasoning", "true or false"),
]


@pytest.mark.parametrize(("case", "text", "line", "field", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_rubric_names_file_line_field(
    tmp_path: Path, case: str, text: str, line: int | None, field: str | None, words: str
) -> None:
    path = write(tmp_path, text, f"{case}.yaml")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    loc = f"{path}:{line}" if line is not None else f"{path}"
    head = f"{loc}: {field}: " if field else f"{loc}: "
    assert problems[0].startswith(head), problems[0]
    assert words in problems[0]


def test_all_problems_are_collected_sorted_by_line(tmp_path: Path) -> None:
    text = """\
name: BAD
title: {ru: "x", en: "y", de: "z"}
scale: {min: 5, max: 1}
criteria:
  - id: a
    title: {ru: "x"}
    anchors: {1: {ru: "a"}}
    weight: -1
  - id: a
    titel: {ru: "x"}
    anchors: {1: {ru: "a"}}
"""
    problems = problems_of(write(tmp_path, text))
    fields = [p.split(": ")[1] for p in problems]
    assert fields == [
        "name",
        "title.de",
        "scale",
        "criteria[0].weight",
        "criteria[1].id",
        "criteria[1].title",
        "criteria[1].titel",
    ]
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines) == [1, 2, 3, 8, 9, 9, 10]


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    assert "file not found" in problems_of(tmp_path / "nope.yaml")[0]
    p = tmp_path / "latin1.yaml"
    p.write_bytes("name: m\ntitle: {ru: 'é'}\n".encode("latin-1"))
    assert "not UTF-8" in problems_of(p)[0]


def test_error_message_lists_every_problem(tmp_path: Path) -> None:
    text = GOOD.replace("{min: 1, max: 5}", "{min: 5, max: 1}") + "    weight: 0\n"
    with pytest.raises(RubricError) as ei:
        load_rubric(write(tmp_path, text))
    assert ei.value.message.startswith("2 problems:")
    assert ei.value.exit_code == 2


def test_rubric_built_in_python_is_checked_too() -> None:
    with pytest.raises(ValidationError, match="inverted scale"):
        Rubric(
            name="x",
            title=Bilingual(en="X"),
            scale=Scale(min=5, max=1),
            criteria=[Criterion(id="a", title=Bilingual(en="A"), anchors={1: Bilingual(en="a"), 5: Bilingual(en="b")})],
        )


# ---------------------------------------------------------------- check: problems and warnings


def test_check_reports_missing_translations_and_gaps_as_warnings() -> None:
    path = DATA / "untranslated.yaml"
    check = check_rubric_files([path])
    assert check.ok and check.problems == []
    assert [r.name for r in check.rubrics] == ["untranslated"]
    assert check.warnings == [
        f"{path}:3: title.en: missing en translation",
        f"{path}:7: criteria[0].title.en: missing en translation",
        f"{path}:10: criteria[0].anchors.5.ru: missing ru translation",
        f"{path}:8: criteria[0].anchors: no anchor for score levels 2, 3, 4 of criterion 'grammar'",
    ]


def test_check_collects_problems_across_files(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace("{min: 1, max: 5}", "{min: 5, max: 1}"), "bad.yaml")
    dup = write(tmp_path, GOOD, "dup1.yaml")
    dup2 = write(tmp_path, GOOD, "dup2.yaml")
    check = check_rubric_files([CLARITY, bad, dup, dup2, DATA / "reasoning_trace.yaml"])
    assert not check.ok
    assert len(check.problems) == 2
    assert check.problems[0].startswith(f"{bad}:3: scale: inverted scale")
    assert check.problems[1] == f"{dup2}:1: name: rubric 'mini' is also defined in {dup}"
    assert {r.name for r in check.rubrics} == {"clarity", "mini", "trace_quality"}
    # clarity anchors 1, 3, 5 leave 2 and 4 without an anchor: a warning, not a problem
    assert (
        f"{CLARITY}:15: criteria[0].anchors: no anchor for score levels 2, 4 of criterion 'structure'" in check.warnings
    )


def test_unknown_category_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("scale:", "applies_to: {categories: [writting]}\nscale:"))
    check = check_rubric_files([path])
    assert check.ok
    assert any(w.startswith(f"{path}:3: applies_to.categories[0]: category 'writting'") for w in check.warnings)


# ---------------------------------------------------------------- version


def test_version_ignores_comments_whitespace_and_key_order(tmp_path: Path) -> None:
    base = rubric_version(parse_rubric(GOOD))
    assert base.startswith("r1:") and len(base) == 3 + 16
    reformatted = """\
# a comment that does not count
scale:
    max: 5      # trailing comment
    min: 1
title:
    en: Mini
    ru: Мини


name: 'mini'
criteria:
-   title: {en: "Grammar", ru: "Грамматика"}
    anchors:
        5: {en: "No errors.", ru: "Ошибок нет."}
        1: {en: "Many errors.", ru: "Много ошибок."}
    id: grammar
    weight: 1.0
include_reasoning: false
"""
    assert rubric_version(parse_rubric(reformatted)) == base
    assert rubric_version(load_rubric(write(tmp_path, reformatted))) == base


def test_version_changes_with_any_anchor_text() -> None:
    base = rubric_version(parse_rubric(GOOD))
    assert rubric_version(parse_rubric(GOOD.replace("Ошибок нет.", "Ошибок нет!"))) != base
    assert rubric_version(parse_rubric(GOOD.replace("No errors.", "No errors at all."))) != base
    assert rubric_version(parse_rubric(GOOD + "    weight: 2\n")) != base


def test_version_is_reproducible_from_stored_text() -> None:
    r = load_rubric(CLARITY)
    assert r.source_text is not None
    assert parse_rubric(r.source_text).version == r.version


# ---------------------------------------------------------------- applies


def item(lang: str, category: str) -> Item:
    return Item(id=f"x-{lang}", lang=lang, category=category, prompt="?")  # type: ignore[arg-type]


def test_applies_by_lang_and_category() -> None:
    clarity = load_rubric(CLARITY)  # ru+en; writing, reading, logic
    trace = load_rubric(DATA / "reasoning_trace.yaml")  # en; logic
    everything = parse_rubric(GOOD)
    assert applies(clarity, item("ru", "writing")) and applies(clarity, item("en", "logic"))
    assert not applies(clarity, item("ru", "code"))
    assert applies(trace, item("en", "logic"))
    assert not applies(trace, item("ru", "logic")) and not applies(trace, item("en", "writing"))
    assert applies(everything, item("ru", "anything"))


# ---------------------------------------------------------------- verdict models


def verdict_json(**scores: object) -> str:
    return json.dumps({k: {"rationale": "ok", "score": v} for k, v in scores.items()})


def test_single_verdict_accepts_valid_and_rejects_out_of_range() -> None:
    model = single_verdict_model(load_rubric(CLARITY))
    v = model.model_validate_json(verdict_json(structure=5, concision=1))
    assert {k: s.score for k, s in v.by_criterion().items()} == {"structure": 5, "concision": 1}
    assert v.model_dump(by_alias=True)["structure"] == {"rationale": "ok", "score": 5}
    for bad in (
        verdict_json(structure=6, concision=1),
        verdict_json(structure=0, concision=1),
        verdict_json(structure=True, concision=1),
        verdict_json(structure="4", concision=1),
        verdict_json(structure=3.5, concision=1),
        verdict_json(structure=3),  # a criterion missing
        verdict_json(structure=3, concision=3, extra=3),
        json.dumps(
            {"structure": {"score": 3, "rationale": "x", "note": 1}, "concision": {"rationale": "x", "score": 3}}
        ),
    ):
        with pytest.raises(ValidationError):
            model.model_validate_json(bad)


def test_single_verdict_respects_scale_and_rationale_cap() -> None:
    model = single_verdict_model(load_rubric(DATA / "reasoning_trace.yaml"), rationale_cap=20)
    assert model.model_validate_json(verdict_json(validity=0)).by_criterion()["validity"].score == 0
    with pytest.raises(ValidationError):
        model.model_validate_json(verdict_json(validity=3))
    with pytest.raises(ValidationError):
        model.model_validate_json(json.dumps({"validity": {"rationale": "x" * 21, "score": 1}}))


def test_verdict_schema_fits_grammar_backends() -> None:
    schema = single_verdict_model(load_rubric(CLARITY)).model_json_schema()
    assert list(schema["properties"]) == ["structure", "concision"]
    assert schema["required"] == ["structure", "concision"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["structure"] == {"$ref": "#/$defs/CriterionScore"}
    inner = schema["$defs"]["CriterionScore"]
    assert list(inner["properties"]) == ["rationale", "score"]  # rationale is written first
    assert inner["properties"]["rationale"]["maxLength"] == 300
    assert (inner["properties"]["score"]["minimum"], inner["properties"]["score"]["maximum"]) == (1, 5)
    assert inner["additionalProperties"] is False
    json.dumps(schema)  # plain JSON, nothing a grammar compiler would choke on


def test_pairwise_verdict_model() -> None:
    model = pairwise_verdict_model(load_rubric(CLARITY))
    v = model.model_validate_json(
        json.dumps(
            {
                "structure": {"rationale": "A is ordered", "winner": "A"},
                "concision": {"rationale": "same", "winner": "tie"},
            }
        )
    )
    assert {k: p.winner for k, p in v.by_criterion().items()} == {"structure": "A", "concision": "tie"}
    with pytest.raises(ValidationError):
        model.model_validate_json(
            json.dumps({"structure": {"rationale": "", "winner": "C"}, "concision": {"rationale": "", "winner": "A"}})
        )
    inner = model.model_json_schema()["$defs"]["CriterionPreference"]
    assert list(inner["properties"]) == ["rationale", "winner"]
    assert inner["properties"]["winner"]["enum"] == ["A", "B", "tie"]


def test_criterion_ids_that_shadow_pydantic_names() -> None:
    text = GOOD.replace("id: grammar", "id: model_config") + GOOD[GOOD.index("  - id") :].replace(
        "id: grammar", "id: schema"
    )
    model = single_verdict_model(parse_rubric(text))
    v = model.model_validate_json(verdict_json(model_config=2, schema=4))
    assert {k: s.score for k, s in v.by_criterion().items()} == {"model_config": 2, "schema": 4}


def test_max_tokens_covers_every_criterion() -> None:
    one = parse_rubric(GOOD)
    two = load_rubric(CLARITY)
    assert max_tokens_for(two) > max_tokens_for(one) >= 300
    assert max_tokens_for(two, 100) < max_tokens_for(two, 300)
    assert max_tokens_for(two, reasoning_tokens=1000) == max_tokens_for(two) + 1000
    # room for every rationale at its cap, one token per character (Cyrillic is expensive)
    assert max_tokens_for(two, 300) >= 2 * 300 + 100
