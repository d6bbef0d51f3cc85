"""Rubric refusals from the red-team pass (issue 12): aliases, depth, scale and weight bounds, long
numbers, files that are not regular files; and the up-front check of the judge templates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from judge.errors import RubricError
from judge.prompts import check_templates
from judge.resources import data_dir
from judge.rubric import load_rubric, parse_rubric
from judge.rubric.load import MAX_DEPTH, MAX_RUBRIC_BYTES
from judge.rubric.model import MAX_LEVELS, SCALE_BOUND

CRITERIA = """\
criteria:
  - id: grammar
    title: {ru: "Грамматика", en: "Grammar"}
    anchors:
      LO: {ru: "Много ошибок.", en: "Many errors."}
      HI: {ru: "Ошибок нет.", en: "No errors."}
"""


def rubric(lo: int = 1, hi: int = 5, extra: str = "") -> str:
    crit = CRITERIA.replace("LO", str(lo)).replace("HI", str(hi))
    return f'name: mini\ntitle: {{ru: "Мини", en: "Mini"}}\nscale: {{min: {lo}, max: {hi}}}\n{crit}{extra}'


def problems(text: str) -> list[str]:
    with pytest.raises(RubricError) as e:
        parse_rubric(text, "r.yaml")
    return e.value.problems


def test_the_template_rubric_is_valid() -> None:
    assert parse_rubric(rubric()).scale.max == 5


# ---------------------------------------------------------------- aliases and depth


def test_billion_laughs_is_refused_before_it_expands() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    assert problems("\n".join(lines)) == [
        "r.yaml:2: YAML aliases (*a) are not allowed in a rubric; write the value out"
    ]


def test_even_one_alias_is_refused_and_an_unused_anchor_is_harmless() -> None:
    text = rubric().replace('title: {ru: "Мини", en: "Mini"}', 'title: &t {ru: "Мини", en: "Mini"}')
    assert parse_rubric(text).title.en == "Mini"
    with_alias = text + "description: *t\n"
    assert problems(with_alias) == ["r.yaml:10: YAML aliases (*t) are not allowed in a rubric; write the value out"]
    merge = text.replace("  - id: grammar", "  - <<: {weight: 2}\n    id: grammar")
    assert parse_rubric(merge).criteria[0].weight == 2  # a merge key without an alias is plain data


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 5000])
def test_deep_flow_nesting_is_refused(levels: int) -> None:
    text = rubric(extra="description: " + "[" * levels + "]" * levels + "\n")
    assert problems(text) == [f"r.yaml:10: mappings and lists nested deeper than {MAX_DEPTH} levels"]


def test_deep_block_nesting_is_refused_at_its_line() -> None:
    text = rubric(extra="description:\n" + "".join("  " * (i + 1) + "-\n" for i in range(300)))
    assert problems(text) == [f"r.yaml:{10 + MAX_DEPTH}: mappings and lists nested deeper than {MAX_DEPTH} levels"]


def test_nesting_at_the_limit_reaches_validation() -> None:
    levels = MAX_DEPTH - 1  # the document's own mapping is the first level
    out = problems(rubric(extra="description: " + "[" * levels + "]" * levels + "\n"))
    assert out and all("nested" not in p for p in out)


def test_long_numbers_are_refused_before_int_sees_them() -> None:
    assert problems(rubric().replace("max: 5", "max: " + "9" * 5000)) == [
        "r.yaml:3: number of 5000 characters is too long"
    ]
    assert problems(rubric().replace("max: 5", "max: 0x" + "f" * 5000)) == [
        "r.yaml:3: number of 5002 characters is too long"
    ]
    quoted = parse_rubric(rubric().replace('en: "Mini"', 'en: "' + "9" * 5000 + '"'))  # a string is text
    assert quoted.title.en == "9" * 5000


# ---------------------------------------------------------------- scale and weights


@pytest.mark.parametrize(
    ("lo", "hi", "message"),
    [
        (1, 1_000_000_000, f"r.yaml:3: scale.max: Input should be less than or equal to {SCALE_BOUND}"),
        (-3_000_000_000, 5, f"r.yaml:3: scale.min: Input should be greater than or equal to -{SCALE_BOUND}"),
        (1, 2**31, f"r.yaml:3: scale.max: Input should be less than or equal to {SCALE_BOUND}"),
        (0, MAX_LEVELS, f"r.yaml:3: scale: scale 0..{MAX_LEVELS} has {MAX_LEVELS + 1} levels, more than {MAX_LEVELS}"),
        (-500, 500, f"r.yaml:3: scale: scale -500..500 has 1001 levels, more than {MAX_LEVELS}"),
    ],
)
def test_scale_is_bounded(lo: int, hi: int, message: str) -> None:
    out = problems(rubric(lo, hi))
    assert message in out, out


@pytest.mark.parametrize(
    ("lo", "hi"), [(0, MAX_LEVELS - 1), (SCALE_BOUND - 50, SCALE_BOUND), (-SCALE_BOUND, -SCALE_BOUND + 1)]
)
def test_scales_within_the_bounds_load(lo: int, hi: int) -> None:
    r = parse_rubric(rubric(lo, hi))
    assert (r.scale.min, r.scale.max) == (lo, hi)


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (".inf", "Input should be a finite number"),
        ("-.inf", "Input should be a finite number"),
        (".nan", "Input should be a finite number"),
        ("1e400", "Input should be a finite number"),
        ("1001", "Input should be less than or equal to 1000"),
        ("0", "Input should be greater than 0"),
    ],
)
def test_weights_are_finite_and_bounded(weight: str, message: str) -> None:
    text = rubric().replace("    anchors:", f"    weight: {weight}\n    anchors:")
    assert problems(text) == [f"r.yaml:7: criteria[0].weight: {message}"]


def test_weight_at_the_bound_loads() -> None:
    assert parse_rubric(rubric().replace("    anchors:", "    weight: 1000\n    anchors:")).criteria[0].weight == 1000


# ---------------------------------------------------------------- files


def test_paths_that_are_not_regular_files(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path, message in [
        (folder, "is a directory, not a file"),
        (fifo, "is a pipe (FIFO), not a regular file"),
        (Path("/dev/zero"), "is a device, not a regular file"),
        (tmp_path / "missing.yaml", "file not found"),
    ]:
        with pytest.raises(RubricError) as e:
            load_rubric(path)
        assert e.value.problems == [f"{path}: {message}"]


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    p = tmp_path / "huge.yaml"
    with p.open("wb") as f:
        f.truncate(3 * 1024**3)  # sparse: no disk used, and never read
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert e.value.problems == [f"{p}: file is {3 * 1024**3} bytes, over the {MAX_RUBRIC_BYTES} limit"]
    with pytest.raises(RubricError, match="over the limit"):
        parse_rubric("#" * (MAX_RUBRIC_BYTES + 1))


# ---------------------------------------------------------------- judge templates


def _prompts(tmp_path: Path) -> Path:
    d = tmp_path / "prompts"
    shutil.copytree(data_dir("prompts"), d)
    return d


def test_check_templates_passes_on_the_bundled_templates_and_rubrics() -> None:
    check_templates()
    check_templates(None, [load_rubric(p) for p in sorted(data_dir("rubrics").glob("*.yaml"))])


def test_check_templates_finds_a_syntax_error_at_its_line(tmp_path: Path) -> None:
    d = _prompts(tmp_path)
    t = d / "judge_pairwise.j2"
    lines = t.read_text(encoding="utf-8").splitlines()
    assert lines[6].startswith("Сравните")  # a text line, after the comment block
    lines[6] += " {% if %}"
    t.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RubricError) as e:
        check_templates(d)
    assert e.value.problems[0].startswith(f"{t}:7: template syntax error:")


def test_check_templates_runs_the_branch_without_a_reference(tmp_path: Path) -> None:
    d = _prompts(tmp_path)
    t = d / "judge_single.j2"
    text = t.read_text(encoding="utf-8")
    assert "{% if reference is not none %}" in text
    t.write_text(text + "{% if reference is none %}{{ no_such_variable }}{% endif %}\n", encoding="utf-8")
    with pytest.raises(RubricError) as e:
        check_templates(d)
    assert e.value.problems[0].startswith(f"{t}:")
    assert "UndefinedError" in e.value.problems[0] and "no_such_variable" in e.value.problems[0]


def test_check_templates_refuses_unsafe_missing_and_odd_files(tmp_path: Path) -> None:
    d = _prompts(tmp_path)
    (d / "judge_system.j2").write_text("{{ ''.__class__.__mro__ }}\n", encoding="utf-8")
    with pytest.raises(RubricError, match=r"judge_system\.j2:1: template error \(SecurityError\)"):
        check_templates(d)
    (d / "judge_system.j2").unlink()
    with pytest.raises(RubricError, match=r"judge_system\.j2: file not found"):
        check_templates(d)
    os.mkfifo(d / "judge_system.j2")
    with pytest.raises(RubricError, match=r"judge_system\.j2: is a pipe"):
        check_templates(d)
