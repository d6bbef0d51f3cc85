"""The caveats section: what the report leaves out, and what nothing in the store grades."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from judge.report.model import (
    Caveats,
    JudgeConfigRow,
    RubricInfo,
    RubricVersionRow,
    Sections,
    UncoveredRow,
    UnjudgedRow,
)

SMALL_N = 30


def caveats(
    counts: dict[str, Any], report: Sections, rubrics: list[RubricInfo], note: str | None, demo: bool
) -> Caveats:
    """Counts of what is left out, and one plain sentence per thing a reader must know to trust the rest."""
    s = Caveats(title="Caveats")
    c = counts
    s.generations, s.failed_generations = int(c["generations"]), int(c["failed_generations"])
    s.verdicts, s.failed_verdicts = int(c["verdicts"]), int(c["failed_verdicts"])
    s.comparisons, s.failed_comparisons = int(c["comparisons"]), int(c["failed_comparisons"])
    s.unmeasured_checks, s.retired_generations = int(c["unmeasured_checks"]), int(c["retired_generations"])
    s.rubric_versions = [RubricVersionRow(**r) for r in c["rubric_versions"]]
    s.judges = sorted({r.judge for r in s.rubric_versions if r.included})
    s.demo = demo
    cells = report.overview.criteria
    s.small_cells = sum(1 for r in cells if r.n_units < SMALL_N)
    items = []
    if note:
        items.append(note)
    items.append(f"{s.generations} generations in scope; {s.failed_generations} failed and are left out.")
    items.append(
        f"{s.verdicts} judge verdicts; {s.failed_verdicts} failed (stored as errors, never scored) and are "
        "left out of the means (the err columns)."
    )
    s.not_applicable_rows = int(c.get("not_applicable_rows") or 0)
    if s.not_applicable_rows:
        items.append(
            f"{s.not_applicable_rows} criterion rows are not applicable (the answer is in another language than "
            "the rubric grades, too short, or the judge found the criterion does not apply): counted in the "
            "n/a columns, never averaged."
        )
    langs = _instruction_langs(c.get("instruction_langs") or [])
    if langs:
        items.append(langs)
    if s.comparisons:
        items.append(f"{s.comparisons} pairwise comparisons; {s.failed_comparisons} failed and are left out.")
    if s.unmeasured_checks:
        items.append(f"{s.unmeasured_checks} check rows could not be measured and are left out.")
    used = [
        f"{r.rubric} {r.rubric_version}" + ("" if r.current else " (retired)") for r in s.rubric_versions if r.included
    ]
    if used:
        items.append(f"Rubric versions: {', '.join(sorted(set(used)))}; judges: {', '.join(s.judges)}.")
    old = sum(r.n_rows for r in s.rubric_versions if not r.included)
    if old:
        items.append(f"{old} verdict rows of other rubric versions or judges are left out.")
    if s.retired_generations:
        items.append(
            f"{s.retired_generations} generations of retired model variants are left out "
            "(include one with --models name@variant)."
        )
    if cells:
        lo, hi = min(r.n_units for r in cells), max(r.n_units for r in cells)
        items.append(
            f"Each score cell (model × language × criterion) rests on {lo if lo == hi else f'{lo}–{hi}'} prompts"
            + (
                f"; {s.small_cells} of {len(cells)} on fewer than {SMALL_N}, whose intervals are wide."
                if s.small_cells
                else "."
            )
        )
    selfj = [r for r in report.judge_reliability.self_judged if r.n_self]
    for r in selfj:
        items.append(
            f"Judge {r.judge} also competes: {100 * (r.share or 0):.1f} % of its verdict rows judge its own "
            "answers (see Judge reliability)."
        )
    items += _judges(s, c, rubrics, {x.rubric for x in report.jury.rubrics})
    items += _coverage(s, c)
    s.items = items
    return s


def _judges(s: Caveats, c: dict[str, Any], rubrics: list[RubricInfo], juries: set[str]) -> list[str]:
    items = []
    multi = {r.rubric: r.judges for r in rubrics if len(r.judges) > 1}
    for rubric, judges in sorted(multi.items()):
        pooled = (
            "only the consensus rows (see Jury) pool the judges in scope"
            if rubric in juries
            else "no mean pools two judges"
        )
        items.append(
            f"{len(judges)} judges hold verdicts of {rubric} ({', '.join(judges)}): every row from its verdicts "
            f"names its judge, and {pooled}."
        )
    s.judge_configs = [JudgeConfigRow(**r) for r in c.get("judge_configs", [])]
    for r in s.judge_configs:
        items.append(
            f"Judge {r.judge} graded {r.rubric} ({r.rubric_version}) under {r.n_configs} configurations "
            "(params or prompts changed): their verdicts are pooled under one judge name."
        )
    return items


def _coverage(s: Caveats, c: dict[str, Any]) -> list[str]:
    """Answers no rubric covers, and answers a rubric covers that no verdict grades: never silent."""
    items = []
    s.uncovered = [UncoveredRow(**r) for r in c.get("uncovered", [])]
    s.uncovered_answers = sum(r.n for r in s.uncovered)
    if s.uncovered_answers:
        if not c.get("current_rubrics"):
            why = "the database holds no current rubric (run `judge grade`)"
        else:
            why = "no current rubric applies to their language and category (see `applies_to` in the rubric files)"
        items.append(
            f"{s.uncovered_answers} answers are graded by no judge: {why}. "
            f"Models: {_names(r.model for r in s.uncovered)}; "
            f"languages: {_names(r.lang for r in s.uncovered)}; "
            f"categories: {_names(r.category or '(none)' for r in s.uncovered)}."
        )
    s.unjudged = [UnjudgedRow(**r) for r in c.get("unjudged", [])]
    for u in s.unjudged:
        who = f"from judge {u.judge}" if u.judge else "from any judge"
        items.append(
            f"{u.n} answers have no verdict {who} for rubric {u.rubric} ({u.rubric_version}) although it applies "
            "to them (run `judge grade`)."
        )
    return items


def _names(xs: Iterable[str]) -> str:
    return ", ".join(sorted(set(xs)))


def _instruction_langs(rows: list[dict[str, Any]]) -> str | None:
    """One sentence naming the language the judge was instructed in, per rubric and item language.

    Why: when Russian items are judged under Russian instructions and English ones under English,
    the RU−EN gap includes the judge's own language effect; the reader must know which it was.
    """
    per: dict[str, dict[str, set[str]]] = {}
    for r in rows:
        per.setdefault(r["rubric"], {}).setdefault(r["lang"], set()).add(r["instruction_lang"])
    if not per:
        return None
    parts = []
    for rubric, by_lang in sorted(per.items()):
        used = ", ".join(f"{lang} items in {'/'.join(sorted(il))}" for lang, il in sorted(by_lang.items()))
        mixed = len(by_lang) > 1 and len({il for v in by_lang.values() for il in v}) > 1
        parts.append(f"{rubric}: {used}" + (" (the RU−EN gap includes the judge's language effect)" if mixed else ""))
    return "Judge instructions: " + "; ".join(parts) + "."
