"""The answers section and the validity gate as tables of display strings, the same for every format."""

from __future__ import annotations

from judge.report import legend as lg
from judge.report.cells import View, num
from judge.report.model import Report

QUESTIONS = {
    "precision": "What does lower precision cost?",
    "reasoning": "What do reasoning effort and thinking buy?",
    "russian": "Which model in Russian?",
    "english": "Which model in English?",
    "ru_en_gap": "How much worse in Russian than in English?",
    "recommendation": "Which model to run?",
}


def trust_line(r: Report) -> str:
    """One sentence above the answers: may the report decide at all?"""
    s = r.sections.answers
    if s.judge_trusted:
        return "Judge trusted: every judge and rubric passed the validity gate."
    return (
        "Judge not trusted everywhere: lines resting on a judge and rubric that failed the validity gate, or "
        "that no validity test measured, decide nothing."
    )


def answers_view(r: Report) -> View:
    """One row per answer line: the question, what it is about, the answer, whether it is decided, its MDE."""
    v = View(None, ["question", "about", "answer", "decided", lg.MDE], numeric={4})
    last = None
    for x in r.sections.answers.questions:
        ask = QUESTIONS.get(x.question, x.question)
        v.rows.append([ask if ask != last else "", x.subject, x.verdict, x.decided, num(x.mde)])
        last = ask
    return v


def gate_view(r: Report) -> View:
    """The validity gate, one row per test measured (or not) for a judge × rubric × criterion × language."""
    v = View(
        "Validity gate",
        ["judge", "rubric", "criterion", "lang", "test", lg.N, "result", "detail"],
        numeric={5},
        from_verdicts=True,
    )
    for x in r.sections.judge_reliability.gate:
        v.rows.append([x.judge, x.rubric, x.criterion or "", x.lang, x.test, num(x.n), x.status, x.text])
    return v
