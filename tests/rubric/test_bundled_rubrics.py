"""The bundled rubrics: they load cleanly, every level is anchored in both languages, the two fluency
rubrics stay parallel (ids, scale, weights, and the error bands parsed out of their anchors), and
the not-applicable rules are the ones designed (see rubrics/README.md)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from pydantic import ValidationError

from judge.rubric import Rubric, check_rubric_files, load_rubric, single_verdict_model

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
BUNDLED = sorted(RUBRICS.glob("*.yaml"))
LANGS = ("ru", "en")

# russian_fluency id -> english_fluency id. The same ids on purpose: the RU−EN fluency comparison
# joins the two rubrics on `criterion` ("orthography" is titled "Spelling" in English).
FLUENCY_IDS = {
    "orthography": "orthography",
    "grammar": "grammar",
    "word_choice": "word_choice",
    "calques": "calques",
    "language_fidelity": "language_fidelity",
    "style_register": "style_register",
    "punctuation_typography": "punctuation_typography",
    "repetition": "repetition",
}
# Every fluency criterion counts errors on the shared bands, except repetition (its own scale).
COUNTED = [cid for cid in FLUENCY_IDS if cid != "repetition"]
# reasoning_depth criteria where the judge may answer "n/a" (one-step tasks, tasks without a trap).
RD_MAY_BE_NA = {"logical_validity", "depth", "self_verification", "trap_awareness"}


@cache
def rubric(name: str) -> Rubric:
    return load_rubric(RUBRICS / f"{name}.yaml")


def texts(r: Rubric, cid: str) -> list[str]:
    """Every text of a criterion the judge can read, in both languages."""
    c = r.criterion(cid)
    parts = [c.title, c.description, c.not_applicable_when, *c.anchors.values()]
    return [getattr(b, lang) or "" for b in parts if b is not None for lang in LANGS]


# ---------------------------------------------------------------- every bundled rubric


def test_the_bundled_set() -> None:
    assert {p.stem for p in BUNDLED} == {"reasoning_depth", "russian_fluency", "english_fluency"}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_loads_without_problems_or_warnings(path: Path) -> None:
    res = check_rubric_files([path])
    assert res.ok, res.problems
    assert res.warnings == []
    assert load_rubric(path).name == path.stem


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_criterion_anchors_every_level_in_both_languages(path: Path) -> None:
    r = load_rubric(path)
    assert r.title.missing() == [] and r.description is not None and r.description.missing() == []
    for c in r.criteria:
        assert sorted(c.anchors) == list(r.scale.levels()), c.id
        for level, text in c.anchors.items():
            assert text.missing() == [], f"{c.id} {level}"
        assert c.title.missing() == [] and c.description is not None and c.description.missing() == [], c.id
        if c.not_applicable_when is not None:
            assert c.not_applicable_when.missing() == [], c.id


# ---------------------------------------------------------------- the fluency pair


def test_fluency_rubrics_are_parallel() -> None:
    ru, en = rubric("russian_fluency"), rubric("english_fluency")
    assert [c.id for c in ru.criteria] == list(FLUENCY_IDS)
    assert [c.id for c in en.criteria] == list(FLUENCY_IDS.values())
    assert ru.scale == en.scale
    for rid, eid in FLUENCY_IDS.items():
        assert ru.criterion(rid).weight == en.criterion(eid).weight, rid
        assert ru.criterion(rid).not_applicable_when is None and en.criterion(eid).not_applicable_when is None
    assert ru.applies_to.langs == ["ru"] and en.applies_to.langs == ["en"]
    assert ru.include_reasoning is False and en.include_reasoning is False


def test_russian_fluency_has_orthography_and_its_na_rule() -> None:
    ru = rubric("russian_fluency")
    assert "orthography" in [c.id for c in ru.criteria]
    assert ru.not_applicable is not None and ru.not_applicable.answer_lang == "ru"
    assert ru.not_applicable.min_words > 0
    assert ru.judge_lang("ru") == "ru"


def test_english_fluency_na_rule() -> None:
    en = rubric("english_fluency")
    assert en.not_applicable is not None and en.not_applicable.answer_lang == "en"
    assert en.not_applicable.min_words > 0
    assert en.judge_lang("en") == "en"


@pytest.mark.parametrize("name", ["russian_fluency", "english_fluency"])
def test_the_description_states_the_na_rule_the_program_applies(name: str) -> None:
    r = rubric(name)
    assert r.not_applicable is not None and r.description is not None
    n = r.not_applicable.min_words
    assert f"короче {n} слов" in (r.description.ru or "")
    assert f"shorter than {n} words" in (r.description.en or "")


@pytest.mark.parametrize("name", ["russian_fluency", "english_fluency"])
def test_no_fluency_criterion_refers_to_the_reference_or_correctness(name: str) -> None:
    r = rubric(name)
    assert r.include_reference is False
    banned = re.compile(r"эталон|reference|правильност|correctness", re.IGNORECASE)
    for c in r.criteria:
        for t in texts(r, c.id):
            assert not banned.search(t), f"{name}.{c.id}: {t[:80]}"


# ---------------------------------------------------------------- error bands

# Each counted anchor opens with the band as a formula in N, then says it per started 100 words and
# as an absolute count for an answer of up to 100 words. Both languages, both rubrics, every
# counted criterion must give the same numbers.
_FORMULA = {
    "ru": (re.compile(r"^От (\d*N\+1|\d+) до (\d*N) ошибок"), re.compile(r"^Больше (\d*N) ошибок")),
    "en": (re.compile(r"^From (\d*N\+1|\d+) to (\d*N) errors"), re.compile(r"^More than (\d*N) errors")),
}
_PER_100 = {
    "ru": re.compile(r"\(((?:не )?больше \w+(?:, но не больше \w+)?) на каждые начатые 100 слов;"),
    "en": re.compile(r"\(((?:at most|more than) \w+(?: but at most \w+)?) per started 100 words;"),
}
_NUMBER_WORDS = {"одной": 1, "трёх": 3, "пяти": 5, "one": 1, "three": 3, "five": 5}
_SHORT = {
    "ru": re.compile(r"в ответе до 100 слов — (ровно (\d+) ошибка|(\d+) или (\d+) ошиб\w+|(\d+) ошибок и больше)"),
    "en": re.compile(
        r"in an answer of up to 100 words, (exactly (\d+) error|(\d+) or (\d+) errors|(\d+) errors or more)"
    ),
}
_ZERO = {"ru": "(0)", "en": "(0)"}


def _value(expr: str, n: int) -> int:
    """'3N+1' at N=2 -> 7; '1' -> 1."""
    m = re.fullmatch(r"(\d*)(N?)(?:\+(\d+))?", expr)
    assert m, expr
    k, has_n, plus = m.groups()
    if not has_n:
        return int(k)
    return int(k or 1) * n + int(plus or 0)


def _per_100(phrase: str) -> tuple[int | None, int | None]:
    """'больше трёх, но не больше пяти' -> (3, 5): more than 3, at most 5; None is open."""
    nums = [_NUMBER_WORDS[w] for w in re.findall(r"\w+", phrase) if w in _NUMBER_WORDS]
    if phrase.startswith(("не больше", "at most")):
        return (0, nums[0])
    return (nums[0], nums[1] if len(nums) > 1 else None)


def band(text: str, lang: str) -> tuple:
    """The band an anchor states: ('0',) for "no errors", else (lo, hi, per-100 range, short-answer range)."""
    text = " ".join(text.split())
    rng, over = _FORMULA[lang]
    if (m := rng.match(text)) is not None:
        lo, hi = m.groups()
    elif (m := over.match(text)) is not None:
        lo, hi = f"more than {m.group(1)}", None
    else:
        assert _ZERO[lang] in text, f"no band in {text[:90]!r}"
        return ("0",)
    p = _PER_100[lang].search(text)
    assert p, f"no per-100-words clause in {text[:120]!r}"
    s = _SHORT[lang].search(text)
    assert s, f"no short-answer clause in {text[:160]!r}"
    _, exactly, a, b, at_least = s.groups()
    short = (int(exactly), int(exactly)) if exactly else (int(a), int(b)) if a else (int(at_least), None)
    return (lo, hi, _per_100(p.group(1)), short)


def bands(r: Rubric, cid: str, lang: str) -> dict[int, tuple]:
    return {level: band(t.get(lang), lang) for level, t in sorted(r.criterion(cid).anchors.items())}


def test_every_counted_fluency_criterion_states_the_same_bands() -> None:
    ru, en = rubric("russian_fluency"), rubric("english_fluency")
    reference = bands(ru, "grammar", "ru")
    for cid in COUNTED:
        for r, lang in ((ru, "ru"), (ru, "en"), (en, "ru"), (en, "en")):
            assert bands(r, FLUENCY_IDS[cid] if r is en else cid, lang) == reference, f"{r.name}.{cid} ({lang})"


def test_the_bands_are_the_designed_ones_and_do_not_overlap() -> None:
    b = bands(rubric("russian_fluency"), "grammar", "ru")
    assert b == {
        5: ("0",),
        4: ("1", "N", (0, 1), (1, 1)),
        3: ("N+1", "3N", (1, 3), (2, 3)),
        2: ("3N+1", "5N", (3, 5), (4, 5)),
        1: ("more than 5N", None, (5, None), (6, None)),
    }
    for n in range(1, 8):
        # 0 errors -> 5; then 4, 3, 2 cover consecutive ranges; 1 starts right after 2 ends
        edge = 0
        for level in (4, 3, 2):
            lo, hi = b[level][0], b[level][1]
            assert _value(lo, n) == edge + 1, (n, level)
            edge = _value(hi, n)
            per_lo, per_hi = b[level][2]
            assert edge == per_hi * n and _value(lo, n) == per_lo * n + 1
        assert b[1][0] == f"more than {b[2][1]}" and _value(b[2][1], n) == edge
    # the short-answer counts are the formulas at N = 1
    for level in (4, 3, 2):
        assert b[level][3] == (_value(b[level][0], 1), _value(b[level][1], 1))
    assert b[1][3][0] == _value(b[2][1], 1) + 1


@pytest.mark.parametrize("name", ["russian_fluency", "english_fluency"])
def test_the_description_summarises_the_same_bands(name: str) -> None:
    r = rubric(name)
    assert r.description is not None
    ru = " ".join((r.description.ru or "").split())
    en = " ".join((r.description.en or "").split())
    assert "4 — от 1 до N; 3 — от N+1 до 3N; 2 — от 3N+1 до 5N; 1 — больше 5N" in ru
    assert "4 from 1 to N; 3 from N+1 to 3N; 2 from 3N+1 to 5N; 1 more than 5N" in en
    assert "N = 1" in ru and "N = 1" in en


def test_repetition_keeps_its_own_scale() -> None:
    for name in ("russian_fluency", "english_fluency"):
        for lang in LANGS:
            for t in rubric(name).criterion("repetition").anchors.values():
                assert "5N" not in t.get(lang) and " N " not in t.get(lang)


# ---------------------------------------------------------------- reasoning_depth


def test_reasoning_depth_na_criteria_are_the_designed_ones() -> None:
    rd = rubric("reasoning_depth")
    assert {c.id for c in rd.criteria if c.not_applicable_when} == RD_MAY_BE_NA
    assert rd.not_applicable is None  # content is graded in any language


def test_reasoning_depth_keeps_correctness_the_weight_2_criterion() -> None:
    rd = rubric("reasoning_depth")
    weights = {c.id: c.weight for c in rd.criteria}
    assert weights.pop("correctness") == 2
    assert set(weights.values()) == {1}
    assert rd.criterion("correctness").not_applicable_when is None


def test_reasoning_depth_is_for_both_languages_under_english_instructions() -> None:
    rd = rubric("reasoning_depth")
    assert rd.applies_to.langs is None
    assert rd.instruction_lang == "en"
    assert rd.judge_lang("ru") == rd.judge_lang("en") == "en"
    assert rd.include_reference is True  # correctness and trap_awareness need it


def test_reasoning_depth_states_what_it_grades_and_credits_the_trap() -> None:
    rd = rubric("reasoning_depth")
    assert rd.description is not None
    assert "shows" in (rd.description.en or "") and "показывает" in (rd.description.ru or "")
    trap = rd.criterion("trap_awareness")
    assert "Trap:" in (trap.description.en or "") and "Ловушка:" in (trap.description.en or "")  # type: ignore[union-attr]
    for cid in ("depth", "self_verification", "logical_validity"):
        na = rd.criterion(cid).not_applicable_when
        assert na is not None and "one-step" in (na.en or "") and "одношагов" in (na.ru or ""), cid


def test_the_verdict_schema_offers_na_only_where_the_rubric_allows_it() -> None:
    rd = rubric("reasoning_depth")
    model = single_verdict_model(rd)
    ok = {c.id: {"rationale": "r", "score": 5} for c in rd.criteria}
    model.model_validate({**ok, **{cid: {"rationale": "one-step task", "score": "n/a"} for cid in RD_MAY_BE_NA}})
    with pytest.raises(ValidationError):
        model.model_validate({**ok, "correctness": {"rationale": "r", "score": "n/a"}})
