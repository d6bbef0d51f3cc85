"""Whether a rubric applies to an answer at all, decided before any judge call.

Why in the program and not only in the prompt: a small judge asked to grade the Russian grammar of
an English answer gives it a 5 (there are no Russian errors in it), and a verdict built on that is
wrong, not merely noisy. A rubric's `not_applicable` rule names the language its text must be in
and the fewest words worth grading; an answer that fails it gets "not applicable" on every
criterion, with the reason, stored as such: never a score, never an error.
"""

from __future__ import annotations

from typing import Any

from judge.checks import langid
from judge.checks.language import language_match, prose_words
from judge.dataset import Item
from judge.rubric import Rubric


def not_applicable_reason(rubric: Rubric, item: Item, answer: str) -> str | None:
    """Why `rubric` does not apply to `answer` (to `item`), or None when it does (or cannot tell).

    Language identification that cannot decide (too few letters, a close call) leaves the answer to
    the judge: only a certain mismatch makes the verdict "not applicable".
    """
    rule = rubric.not_applicable
    if rule is None:
        return None
    want = rule.answer_lang
    if item.answer_lang:
        asked = langid.iso_639_1(item.answer_lang) or item.answer_lang
        if asked != want:
            return f"the task asks for an answer in {asked}; {rubric.name} grades text in {want} only"
    if rule.min_words:
        n = prose_words(answer)
        if n == 0:
            return "no prose to grade: the answer is code, formulas, numbers or URLs only"
        if n < rule.min_words:
            return f"too short to grade: {n} word{'s' * (n != 1)} of prose (the rubric needs {rule.min_words})"
    row = language_match(want, answer)
    if row.passed is False:
        return f"the answer is not in {want}: {row.detail}"
    return None


def criterion_reasons(rubric: Rubric, item: Item) -> dict[str, str]:
    """Criterion id -> why it does not apply to `item`, for criteria with an `applies_if` rule."""
    out = {}
    for c in rubric.criteria:
        rule = c.applies_if
        if rule is not None and not rule.holds(item.tags, item.reference):
            what = [f"no tag {' or '.join(rule.tags_any)}"] if rule.tags_any else []
            if rule.reference_matches:
                what.append("no reference" if not item.reference else "the reference does not name it")
            out[c.id] = f"{c.id} does not apply to this item ({', '.join(what)})"
    return out


def na_rows(base: dict[str, Any], rubric: Rubric, reason: str, *, single: bool) -> list[dict[str, Any]]:
    """Criterion rows of a verdict (or one comparison order) that does not apply: no score, no winner."""
    extra: dict[str, Any] = {"not_applicable": True, "rationale": reason, "attempts": 0}
    return [{**base, "criterion": c.id, **({"weight": c.weight} if single else {}), **extra} for c in rubric.criteria]
