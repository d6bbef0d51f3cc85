"""The report as the formats print it: sections with their tables, the models table, the scope line.

`sections(report)` yields each section with its tables (`tables`); Markdown, the terminal
(`markdown`) and the HTML page (`html`) all draw those same tables, so the formats never disagree
on what a column means. `printed_text` is what they all print, which `legend.select` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from judge.report import legend as lg
from judge.report.cells import View, criterion_label, criterion_rank, judged_rubrics, num
from judge.report.model import Report, Section
from judge.report.tables import TABLES
from judge.report.tables_answers import answers_view, trust_line

__all__ = [
    "SECTION_ORDER",
    "View",
    "answers_view",
    "criterion_label",
    "criterion_rank",
    "filters_line",
    "judged_rubrics",
    "models_view",
    "printed_text",
    "sections",
    "trust_line",
]

SECTION_ORDER = [
    "overview",
    "language_gap",
    "model_deltas",
    "depth",
    "pairwise",
    "accuracy",
    "language_fidelity",
    "cost",
    "judge_reliability",
    "jury",
    "caveats",
]


def sections(r: Report) -> Iterable[tuple[int, str, Section, list[View]]]:
    """(number, key, section, tables) in report order; skipped sections and caveats have no tables."""
    for i, key in enumerate(SECTION_ORDER, 1):
        sec = getattr(r.sections, key)
        views = [] if sec.skipped or key not in TABLES else TABLES[key](r)
        yield i, key, sec, views


def models_view(r: Report) -> View:
    v = View("Models", ["model", "model id", "precision", "base model", "params", "answers"], numeric={5})
    for m in r.models:
        params = {**m.params, **m.extra_body}
        v.rows.append(
            [
                m.model + ("" if m.current else f" {lg.RETIRED}"),
                m.model_id or "",
                m.quantization or "",
                m.base_model or "",
                ", ".join(f"{k}={_short(val)}" for k, val in params.items()),
                num(m.n_generations),
            ]
        )
    return v


def _short(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_short(x)}" for k, x in v.items()) + "}"
    return str(v)


def filters_line(r: Report) -> str:
    f = r.filters
    parts = [
        f"{k}={','.join(v)}"
        for k, v in (
            ("models", f.models),
            ("rubric", f.rubrics),
            ("judge", f.judges),
            ("lang", f.langs),
            ("category", f.categories),
        )
        if v
    ]
    scope = ", ".join(parts) if parts else "current model variants and rubric versions"
    return f"Scope: {scope}; bootstrap {f.n_boot} resamples, seed {f.seed}."


def printed_text(r: Report) -> str:
    """Everything the renderers print but the legend, as plain text: what `legend.select` reads."""
    # not the database path or the timestamp: a "+00:00" there is no signed difference to explain
    out = [filters_line(r), r.note or ""]
    a = r.sections.answers
    out += [a.title, a.skipped or "", *a.notes, *a.reasons]
    if not a.skipped:
        out += [trust_line(r), a.consensus or ""]
    for v in [answers_view(r), models_view(r)] + [v for _, _, _, views in sections(r) for v in views]:
        out += [v.title or "", *v.columns, *(c for row in v.rows for c in row)]
    for _, _, sec, _ in sections(r):
        out += [sec.title, sec.skipped or "", *sec.notes]
    out += r.sections.caveats.items
    return "\n".join(out)
