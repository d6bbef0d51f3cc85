"""The answers section: a planted precision effect decided with its MDE, refused under a halo judge, nothing
decided under a random one; family labels, expected scores, and the section first in every format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from judge import stats
from judge.report import Report, build_report, render
from judge.report.model_answers import AnswerLine
from judge.store import Store
from tests.fakes.synth import RD, RF
from tests.report.conftest import PRECISION_COST, md_tables
from tests.report.test_gate import probe_rows, with_probe

BF16, FP8 = "qwen3-30b-a3b", "qwen3-30b-a3b-fp8"


def _report(path: Path) -> Report:
    with Store.open_readonly(path) as store:
        return build_report(store, n_boot=300)


def _lines(r: Report, question: str) -> list[AnswerLine]:
    return [x for x in r.sections.answers.questions if x.question == question]


def _precision(r: Report, rubric: str) -> AnswerLine:
    return next(x for x in _lines(r, "precision") if x.rubric == rubric and x.subject.startswith(BF16))


@pytest.fixture(scope="module")
def faithful(faithful_path: Path) -> Report:
    return _report(faithful_path)


@pytest.fixture(scope="module")
def trusted(faithful_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The faithful judge with probe results that validate russian_fluency too."""
    return _report(with_probe(faithful_path, tmp_path_factory.mktemp("t") / "t.duckdb", probe_rows(0.9)))


def test_a_planted_precision_effect_is_decided_with_its_mde(faithful: Report) -> None:
    line = _precision(faithful, RD)
    assert line.decided == "decided"
    assert (line.model_a, line.model_b, line.lang) == (FP8, BF16, "all")
    assert abs(line.diff - PRECISION_COST) < 0.15 and line.hi < 0
    assert line.mde is not None and 0.05 < line.mde < abs(line.diff)
    assert line.verdict.startswith(f"{FP8} − {BF16} -0.") and line.subject == f"{BF16} bf16 → fp8, {RD}"
    assert "lower precision costs" in line.verdict and "check:answer correctness flips on" in line.verdict
    row = next(
        r
        for r in faithful.sections.model_deltas.rows
        if (r.model_a, r.model_b, r.lang, r.rubric) == (BF16, FP8, "all", RD)
    )
    assert line.mde == pytest.approx(row.mde) and row.mde == pytest.approx(stats.mde(row.sd, row.n))
    # the same comparison on russian_fluency rests on a judge nothing validated: measured, not decided
    rf = _precision(faithful, RF)
    assert rf.lang == "ru" and rf.diff < 0
    assert (
        rf.decided
        == "judge not trusted for this criterion: not validated (no swap, probe, check or human test measured)"
    )


def test_a_family_in_one_precision_is_said_so(faithful: Report) -> None:
    line = next(x for x in _lines(faithful, "precision") if x.subject == "gpt-oss-120b")
    assert line.verdict == "gpt-oss-120b exists here only in MXFP4: no full-precision variant to compare"
    assert line.decided == "not decided (nothing to compare)" and line.mde is None


def test_a_halo_judge_is_refused_with_the_reason(halo_path: Path) -> None:
    r = _report(halo_path)
    line = _precision(r, RD)
    assert line.decided.startswith("judge not trusted for this criterion: halo 1.00 > 0.60")
    assert line.diff is not None and line.mde is not None  # measured, shown, not decided
    assert not r.sections.answers.judge_trusted
    assert all(x.decided != "decided" for x in r.sections.answers.questions)


def test_a_random_judge_decides_nothing(random_path: Path) -> None:
    r = _report(random_path)
    a = r.sections.answers
    assert not a.judge_trusted and a.reasons
    assert a.questions and all(x.decided != "decided" for x in a.questions)
    (rec,) = _lines(r, "recommendation")
    assert rec.verdict.startswith("cannot tell") and rec.decided.startswith("judge not trusted")
    # no star anywhere: a CI excluding 0 is not starred where the judge is not trusted
    assert all(row.trusted is False for row in r.sections.model_deltas.rows + r.sections.language_gap.rows)
    body = render(r, "md").split("\n## Legend\n")[0]
    assert not any(" *" in c for t in md_tables(body) for row in t for c in row)


def test_every_question_is_answered(trusted: Report) -> None:
    a = trusted.sections.answers
    assert a.judge_trusted and a.title == "Answers" and a.skipped is None
    assert {x.question for x in a.questions} == {
        "precision",
        "reasoning",
        "russian",
        "english",
        "ru_en_gap",
        "recommendation",
    }
    for x in a.questions:
        assert x.decided == "decided" or x.decided.startswith(("not decided (", "judge not trusted")), x
    effort = next(x for x in _lines(trusted, "reasoning") if x.rubric == RD)
    assert effort.subject.startswith("gpt-oss-120b → gpt-oss-120b-low (reasoning effort high → low)")
    assert "reasoning tokens" in effort.verdict and effort.decided == "decided" and effort.diff > 0
    gaps = {x.model_a: x for x in _lines(trusted, "ru_en_gap")}
    assert len(gaps) == 4 and all(x.lang is None and x.rubric == RD for x in gaps.values())
    (rec,) = _lines(trusted, "recommendation")
    assert rec.decided == "decided" and rec.verdict.startswith(
        "run gpt-oss-120b: it leads wherever the judge is trusted"
    )
    assert rec.mde == max(x.mde for x in _lines(trusted, "russian") + _lines(trusted, "english"))


def test_cross_family_differences_say_what_is_mixed(faithful: Report) -> None:
    ru = next(x for x in _lines(faithful, "russian") if x.rubric == RD)
    assert (ru.model_a, ru.model_b) == ("gpt-oss-120b", BF16) or ru.model_b == FP8
    assert "different families: family, " in ru.verdict and "precision" in ru.verdict and "are mixed" in ru.verdict
    row = next(r for r in faithful.sections.model_deltas.rows if (r.model_a, r.model_b) == ("gpt-oss-120b", BF16))
    assert row.variant_of is None
    assert row.differs.startswith("family gpt-oss-120b → qwen3-30b-a3b; precision mxfp4 → bf16")
    variant = next(r for r in faithful.sections.model_deltas.rows if (r.model_a, r.model_b) == (BF16, FP8))
    assert variant.differs == "precision bf16 → fp8" and variant.variant_of == BF16
    flip = next(f for f in faithful.sections.model_deltas.flips if f.lang == "all")
    assert flip.lo <= flip.rate <= flip.hi


def test_expected_scores_are_used_where_present_and_said(faithful_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "logprobs.duckdb"
    shutil.copy(faithful_path, path)
    with Store.open(path) as store:  # a logprob-weighted score pulled towards the middle of the scale
        store.con.execute(
            "UPDATE verdicts SET expected_score = 3 + 0.8 * (score - 3) WHERE rubric = ? AND mode = 'single'", [RD]
        )
    r = _report(path)
    line, sampled = _precision(r, RD), _precision(_report(faithful_path), RD)
    assert line.expected_scores and "(logprob-weighted expected scores)" in line.verdict
    assert line.diff == pytest.approx(0.8 * sampled.diff, abs=1e-9)
    assert not _precision(r, RF).expected_scores  # that rubric's verdicts have no logprobs


def test_the_answers_come_first_in_every_format(faithful: Report) -> None:
    data = json.loads(render(faithful, "json"))
    assert next(iter(data["sections"])) == "answers"
    answers = data["sections"]["answers"]
    assert list(answers)[:6] == ["title", "skipped", "notes", "judge_trusted", "reasons", "questions"]
    assert {"question", "subject", "verdict", "decided", "mde"} <= set(answers["questions"][0])
    md = render(faithful, "md")
    assert md.index("## Answers") < md.index("**Models**") < md.index("## 1. Scores by model and language")
    answer_table = md_tables(md)[0]
    assert answer_table[0] == ["question", "about", "answer", "decided", "MDE"]
    text = render(faithful, "terminal")
    assert text.index("Answers") < text.index("1. Scores by model and language")
    html = render(faithful, "html")
    assert html.index('<section id="answers">') < html.index('<section id="overview">')
    legend = {e.symbol for e in faithful.legend}
    assert "MDE" in legend and "halo 0.97 > 0.60, swap consistency 0.40 < 0.65" in legend


def test_many_lines_do_not_make_chance_differences_decided() -> None:
    from judge.report.answers import _holm

    def line(p: float, decided: str = "decided") -> AnswerLine:
        text = "A − B +0.20 [+0.01, +0.39] on r (English); A is ahead by 0.20"
        return AnswerLine(question="english", subject="r", verdict=text, decided=decided, mde=0.3, p_value=p)

    lines = [line(0.03), line(0.04), line(0.5, "not decided (CI crosses 0)"), line(1e-6)]
    _holm(lines)
    assert [x.p_holm for x in lines] == pytest.approx([0.09, 0.09, 0.5, 4e-6])
    assert lines[0].decided == "not decided (p 0.09 after Holm over the answers)"
    assert "ahead by" not in lines[0].verdict and "not after correcting" in lines[0].verdict
    assert lines[3].decided == "decided" and lines[2].decided == "not decided (CI crosses 0)"
