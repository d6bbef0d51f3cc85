"""`judge report`: the comparison as one Pydantic `Report`, rendered for a terminal, Markdown, HTML or JSON.

`build_report` checks the filters against the database (`scope`: a value that selects nothing is
an error), asks `queries.ReportData` for aggregates and per-unit vectors and has `sections`,
`reliability` and `caveats` turn them, through `stats`, into ten sections with stable keys; this
module adds what the report is about (models and their variants, rubrics and their judges,
filters) and the legend of the marks the report prints (`legend`). A section without data is
present with `skipped` set to a one-line reason. The records are in `model`; the tables every
format shares in `views`; rendering in `markdown` (terminal and Markdown) and `html` (one
self-contained HTML file with inline SVG plots).

The JSON form is `Report.model_dump_json()`: every key in `model` is part of the format
(`format_version` changes when a key is renamed or removed); NaN becomes null.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from judge.config import GateConfig
from judge.report import gate as gt
from judge.report import legend
from judge.report import sections as sec
from judge.report.answers import answers
from judge.report.caveats import caveats
from judge.report.compare import Comparer
from judge.report.cost import roles
from judge.report.jury import JuryReport
from judge.report.length import build_length_bias
from judge.report.model import (
    Caveats,
    FilterInfo,
    ModelInfo,
    Report,
    RubricInfo,
    Sections,
)
from judge.report.reliability import judge_reliability
from judge.report.scope import check_filters
from judge.report.stability import add_to_reliability
from judge.report.variants import pair_labels, variant_differences, variant_pairs
from judge.report.views import printed_text
from judge.store import Store
from judge.store.fidelity import fidelity_rows
from judge.store.gate import ExpectedScores
from judge.store.jury import JuryData
from judge.store.queries import TOTAL, Filters, ReportData, available

__all__ = ["DEMO_NOTE", "build_report", "render", "variant_differences"]

DEMO_NOTE = (
    "These verdicts come from tiny demo models (contestants and judge): they show that the pipeline "
    "works end to end, not a real ranking of models."
)
Fmt = Literal["terminal", "md", "html", "json"]


def _tuple(v: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if v is None:
        return None
    if isinstance(v, str):
        return tuple(s for s in (p.strip() for p in v.split(",")) if s) or None
    return tuple(v) or None


def _json(s: str | None) -> dict[str, Any]:
    try:
        v = json.loads(s) if s else {}
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}


def _model_infos(q: ReportData) -> list[ModelInfo]:
    return [
        ModelInfo(
            model=r["model"],
            name=r["name"],
            variant=r["variant"],
            model_id=r["model_id"],
            quantization=r["quantization"],
            base_model=r["base_model"],
            params=_json(r["params_json"]),
            extra_body=_json(r["extra_body_json"]),
            current=bool(r["current"]),
            n_generations=int(r["n_generations"]),
        )
        for r in q.models()
    ]


def _rubric_infos(q: ReportData, judges: dict[str, list[str]]) -> list[RubricInfo]:
    weights: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for dm in q.dims.values():
        if not dm.is_check and dm.criterion != TOTAL:
            weights[(dm.rubric, dm.rubric_version)][dm.criterion] = float(dm.weight if dm.weight is not None else 1.0)
    out = []
    for r in q.rubrics():
        w = weights.get((r["rubric"], r["rubric_version"]), {})
        listed = [c for c in (_json_list(r["criteria_json"])) if c in w]
        order = listed + sorted(set(w) - set(listed))
        out.append(
            RubricInfo(
                rubric=r["rubric"],
                rubric_version=r["rubric_version"],
                current=bool(r["current"]),
                scale_min=int(r["scale_min"]),
                scale_max=int(r["scale_max"]),
                criteria=order,
                weights={c: w[c] for c in order},
                include_reasoning=r["include_reasoning"],
                judges=judges.get(r["rubric"], []),
            )
        )
    return out


def _json_list(s: str | None) -> list[str]:
    try:
        v = json.loads(s) if s else []
    except ValueError:
        return []
    return [str(x) for x in v] if isinstance(v, list) else []


def build_report(
    store: Store,
    *,
    models: str | Sequence[str] | None = None,
    rubric: str | Sequence[str] | None = None,
    judge: str | Sequence[str] | None = None,
    lang: str | Sequence[str] | None = None,
    category: str | Sequence[str] | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    note: str | None = None,
    gate: GateConfig | None = None,
    consensus: str = "mean",
) -> Report:
    """Build the report from a store (read-only is enough).

    Filters take one value, a comma-separated string or a list. By default the report covers
    current model variants and current rubric versions; `models` may name a retired variant by
    its label (`name@xxxxxxxx`) and `rubric` an older version as `name@version-prefix`.
    `note` is shown above everything; without it, demo data (a run recorded with `demo = true`,
    or contestants all tagged "demo") gets the demo sentence. `gate` holds the validity gate's
    thresholds (`[report.gate]` in judge.toml; the defaults without it): the answers section, first
    in the report, decides only where the judge passes it. `consensus` (`[judge] consensus`: mean,
    median or majority) combines several judges of a rubric for the answers and model differences.

    Raises ConfigError (exit code 2) when a filter value selects nothing in the database (a model
    without answers, a language or category absent from the selected answers, an unknown rubric,
    rubric version or judge), naming the values that are there.
    """
    filters = Filters(
        models=_tuple(models),
        rubrics=_tuple(rubric),
        judges=_tuple(judge),
        langs=_tuple(lang),
        categories=_tuple(category),
    )
    avail = available(store, filters)
    check_filters(filters, avail)
    judges: dict[str, list[str]] = defaultdict(list)
    for rubric, judge_name in avail.rubric_judges:
        judges[rubric].append(judge_name)
    with ReportData(store, filters) as q, JuryData(q, consensus) as jd:
        b = sec.Context(q, seed, n_boot)
        jury = JuryReport(b, jd)  # several judges of a rubric: their consensus heads the report
        infos = _model_infos(q)
        rubrics = _rubric_infos(q, judges)
        demo = q.demo_flag()
        note = note or (DEMO_NOTE if demo else None)
        sections: dict[str, Any] = {
            "overview": sec.overview(b),
            "language_gap": sec.language_gap(b, filters.langs),
            "model_deltas": sec.model_deltas(jury.beside(b), variant_pairs(infos)),
            "depth": sec.depth(b),
            "pairwise": sec.pairwise(b),
            "accuracy": sec.accuracy(b),
            "language_fidelity": sec.language_fidelity(b),
            "cost": sec.cost(b),
            "judge_reliability": judge_reliability(b, rubrics),
            "jury": jury.section(),
        }
        if not sections["pairwise"].skipped:
            # how often the longer answer won, and style-controlled ratings, beside each pairwise result
            length = sections["pairwise"].length = build_length_bias(store, filters, seed=seed, n_boot=n_boot)
            sections["pairwise"].notes += length.notes
        _visible_answer_note(sections["overview"], rubrics)
        _label_families(sections["model_deltas"], infos)
        sections["cost"].roles = roles(q)  # the judge's calls apart from the contestants'
        rel = sections["judge_reliability"]
        add_to_reliability(q, rel)  # stability across repeats, thinking re-asks
        rel.gate = gt.evaluate(b, rel, gate or GateConfig())
        trust = jury.trust(gt.Trust(rel.gate))
        gt.mark(sections["model_deltas"].rows, trust, lambda r: [r.lang])
        gt.mark(sections["language_gap"].rows, trust, lambda r: ["ru", "en"])
        for key in ("model_deltas", "language_gap"):
            rows = sections[key].rows
            if rows:
                sections[key].notes.append("MDE: the smallest true difference a row finds 80 % of the time at its n.")
            if any(r.trusted is False for r in rows):
                sections[key].notes.append(
                    "No star where the validity gate does not trust the row's judge (see Answers, Judge reliability)."
                )
        with ExpectedScores(q) as exp:
            sections["answers"] = answers(
                Comparer(jury.instead(b), exp),
                trust,
                infos,
                sections["model_deltas"].flips,
                sections["cost"].rows,
                fidelity_rows(store),  # `judge fidelity`'s measure beside the precision deltas
            )
        jury.headline(sections["answers"])
        partial = Sections.model_construct(**sections, caveats=Caveats(title="Caveats"))
        sections["caveats"] = caveats(q.counts(), partial, rubrics, note, demo)
    report = Report(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database=str(store.path),
        note=note,
        models=infos,
        rubrics=rubrics,
        filters=FilterInfo(
            models=_l(filters.models),
            rubrics=_l(filters.rubrics),
            judges=_l(filters.judges),
            langs=_l(filters.langs),
            categories=_l(filters.categories),
            seed=seed,
            n_boot=n_boot,
        ),
        sections=Sections(**sections),
    )
    # The legend lists the marks this report prints, read off the text every format shares.
    report.legend = legend.select(printed_text(report))
    return report


def _label_families(deltas: Any, infos: list[ModelInfo]) -> None:
    """Say what differs between two families too (`family A → B; precision ...`), never leave it empty."""
    labels = pair_labels(infos)
    for r in deltas.rows:
        if r.differs is None:
            r.differs = labels.get((r.model_a, r.model_b))


def _visible_answer_note(overview: Any, rubrics: list[RubricInfo]) -> None:
    """Say what the scores measure when the judge saw only the visible answer.

    Why: model families differ in how much reasoning they write into the answer and how much they
    keep in a hidden trace; a judge of the visible answer scores the explained reasoning only, and
    a reader comparing families must know it before reading a depth or self-verification gap.
    """
    names = sorted({r.rubric for r in rubrics if r.include_reasoning is False})
    if names and not overview.skipped:
        overview.notes.append(
            f"{', '.join(names)}: judged on the answer as the user sees it, not on the hidden reasoning trace, "
            "so these scores measure reasoning shown in the answer; a model that reasons in its trace and "
            "shows only the result scores lower on criteria about explained steps. The depth section shows "
            "each model's reasoning tokens beside its scores."
        )


def _l(t: tuple[str, ...] | None) -> list[str] | None:
    return list(t) if t else None


def render(report: Report, fmt: Fmt = "terminal", console: Any = None) -> str | None:
    """Render a report. terminal: printed to `console` (returns None) or returned as text without one;
    md / html / json: returned as a string."""
    if fmt == "json":
        return report.model_dump_json(indent=2)
    if fmt == "md":
        from judge.report.markdown import to_markdown

        return to_markdown(report)
    if fmt == "html":
        from judge.report.html import to_html

        return to_html(report)
    if fmt == "terminal":
        from judge.report.markdown import to_terminal

        return to_terminal(report, console)
    raise ValueError(f"unknown report format {fmt!r} (terminal, md, html, json)")
