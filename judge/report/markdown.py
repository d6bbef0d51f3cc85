"""Text renderings of a `Report`: the tables every format shares, Markdown, and Rich for terminals.

`section_views(report)` turns each section into titled tables of display strings; Markdown,
the terminal and the HTML page (`report_html`) all draw those same tables, so the three never
disagree on what a column means.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from judge.report.model import Report, ScoreRow, Section
from judge.store.queries import TOTAL

LANG_ORDER = {"all": 0, "en": 1, "ru": 2}
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
    "caveats",
]


@dataclass
class View:
    """One table: a title, column headers and rows of display strings."""

    title: str | None
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)
    """Columns to right-align."""


# -- number formatting --------------------------------------------------------------------------


def num(x: float | int | None, d: int = 2) -> str:
    if x is None:
        return "—"
    if isinstance(x, int):
        return f"{x:,}".replace(",", " ")
    return f"{x:.{d}f}"


def ci(mean: float | None, lo: float | None, hi: float | None, d: int = 2) -> str:
    if mean is None:
        return "—"
    if lo is None or hi is None:
        return num(mean, d)
    return f"{mean:.{d}f} [{lo:.{d}f}, {hi:.{d}f}]"


def signed_ci(mean: float | None, lo: float | None, hi: float | None, d: int = 2) -> str:
    """A difference with its CI, starred when the CI excludes 0."""
    if mean is None:
        return "—"
    star = " *" if lo is not None and hi is not None and (lo > 0 or hi < 0) else ""
    return f"{mean:+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}]{star}" if lo is not None and hi is not None else f"{mean:+.{d}f}"


def pct(x: float | None, d: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{d}f} %"


def pct_ci(mean: float | None, lo: float | None, hi: float | None) -> str:
    if mean is None:
        return "—"
    if lo is None or hi is None:
        return pct(mean)
    return f"{100 * mean:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}]"


def pval(p: float | None) -> str:
    if p is None:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def n_err(n: int, err: int) -> str:
    return f"{num(n)} ({err})" if err else num(n)


def _lang_key(lang: str) -> tuple[int, str]:
    return LANG_ORDER.get(lang, 9), lang


# -- sections as tables -------------------------------------------------------------------------


def _overview(r: Report) -> list[View]:
    s = r.sections.overview
    order = {(ri.rubric, ri.rubric_version): ri.criteria for ri in r.rubrics}
    cells: dict[tuple[str, str, str], list[ScoreRow]] = defaultdict(list)
    for row in s.totals + s.criteria:
        cells[(row.judge, row.rubric, row.rubric_version)].append(row)
    judges = {k[0] for k in cells}
    views = []
    for (judge, rubric, version), rows in sorted(cells.items()):
        langs = sorted({x.lang for x in rows}, key=_lang_key)
        crit_order = [TOTAL] + order.get((rubric, version), [])
        by: dict[tuple[str, str], dict[str, ScoreRow]] = defaultdict(dict)
        for x in rows:
            by[(x.criterion, x.model)][x.lang] = x
        cols = ["criterion", "model"]
        for lang in langs:
            cols += [lang, f"n (err) {lang}"]
        title = f"{rubric} ({version})" + (f" — judge {judge}" if len(judges) > 1 else "")
        v = View(title, cols, numeric=set(range(2, len(cols))))
        keys = sorted(by, key=lambda k: (crit_order.index(k[0]) if k[0] in crit_order else 99, k[0], k[1]))
        for crit, model in keys:
            line = ["total (weighted)" if crit == TOTAL else crit, model]
            for lang in langs:
                cell = by[(crit, model)].get(lang)
                line += [ci(cell.mean, cell.lo, cell.hi), n_err(cell.n, cell.n_error)] if cell else ["", ""]
            v.rows.append(line)
        views.append(v)
    return views


def criterion_rank(r: Report) -> dict[tuple[str, str], int]:
    """(rubric, criterion) -> position: the weighted total first, then the rubric file's order."""
    out = {}
    for ri in r.rubrics:
        out[(ri.rubric, TOTAL)] = -1
        for i, c in enumerate(ri.criteria):
            out.setdefault((ri.rubric, c), i)
    return out


def _gap(r: Report) -> list[View]:
    v = View(
        None,
        ["rubric", "criterion", "model", "RU", "EN", "RU − EN [95 % CI]", "pairs", "p (Holm)"],
        numeric={3, 4, 5, 6, 7},
    )
    rank = criterion_rank(r)
    for x in sorted(
        r.sections.language_gap.rows,
        key=lambda x: (x.judge, x.rubric, rank.get((x.rubric, x.criterion), 99), x.criterion, x.model),
    ):
        v.rows.append(
            [
                x.rubric,
                "total (weighted)" if x.criterion == TOTAL else x.criterion,
                x.model,
                num(x.mean_ru),
                num(x.mean_en),
                signed_ci(x.diff, x.lo, x.hi),
                num(x.n_pairs),
                pval(x.p_holm),
            ]
        )
    return [v]


def _deltas(r: Report) -> list[View]:
    s = r.sections.model_deltas
    v = View(
        "Paired differences (weighted rubric total)",
        ["rubric", "lang", "A", "B", "mean A", "mean B", "A − B [95 % CI]", "n", "p (Holm)", "variants: what differs"],
        numeric={4, 5, 6, 7, 8},
    )
    for x in s.rows:
        v.rows.append(
            [
                x.rubric,
                x.lang,
                x.model_a,
                x.model_b,
                num(x.mean_a),
                num(x.mean_b),
                signed_ci(x.diff, x.lo, x.hi),
                num(x.n),
                pval(x.p_holm),
                x.differs or "",
            ]
        )
    views = [v]
    if s.flips:
        f = View(
            "Variants: check:answer flips",
            [
                "base model",
                "A",
                "B",
                "what differs",
                "lang",
                "flip rate",
                "n",
                "A only right",
                "B only right",
                "acc. A",
                "acc. B",
            ],
            numeric={5, 6, 7, 8, 9, 10},
        )
        labels = {(p.model_a, p.model_b): p.label for p in s.variants}
        for fl in s.flips:
            f.rows.append(
                [
                    fl.base_model,
                    fl.model_a,
                    fl.model_b,
                    labels.get((fl.model_a, fl.model_b), ""),
                    fl.lang,
                    pct(fl.rate),
                    num(fl.n),
                    num(fl.a_only),
                    num(fl.b_only),
                    pct(fl.accuracy_a),
                    pct(fl.accuracy_b),
                ]
            )
        views.append(f)
    elif s.variants:
        f = View("Variants", ["base model", "A", "B", "what differs"])
        f.rows = [[p.base_model, p.model_a, p.model_b, p.label] for p in s.variants]
        views.append(f)
    return views


def _depth(r: Report) -> list[View]:
    v = View(
        None,
        ["rubric", "model", "n", "reasoning tokens (mean)", "median", "estimated", "score (mean)", "Spearman ρ"],
        numeric={2, 3, 4, 5, 6, 7},
    )
    for x in r.sections.depth.rows:
        v.rows.append(
            [
                x.rubric,
                x.model,
                num(x.n),
                num(x.mean_reasoning_tokens, 0),
                num(x.median_reasoning_tokens, 0),
                pct(x.estimated_share, 0),
                num(x.mean_score),
                num(x.spearman),
            ]
        )
    return [v]


def _pairwise(r: Report) -> list[View]:
    v = View(
        None,
        ["rubric", "model", "wins", "losses", "ties", "games", "win rate [95 % CI]", "Bradley-Terry [95 % CI]"],
        numeric={2, 3, 4, 5, 6, 7},
    )
    for x in r.sections.pairwise.rows:
        v.rows.append(
            [
                x.rubric,
                x.model,
                num(x.wins),
                num(x.losses),
                num(x.ties),
                num(x.n),
                pct_ci(x.win_rate, x.lo, x.hi),
                ci(x.rating, x.rating_lo, x.rating_hi, 0),
            ]
        )
    return [v]


def _accuracy(r: Report) -> list[View]:
    rows = r.sections.accuracy.rows
    langs = sorted({x.lang for x in rows}, key=_lang_key)
    cols = ["model"]
    for lang in langs:
        cols += [lang, f"n (err) {lang}"]
    v = View(None, cols, numeric=set(range(1, len(cols))))
    by: dict[str, dict[str, Any]] = defaultdict(dict)
    for x in rows:
        by[x.model][x.lang] = x
    for model in sorted(by):
        line = [model]
        for lang in langs:
            cell = by[model].get(lang)
            line += [pct_ci(cell.mean, cell.lo, cell.hi), n_err(cell.n, cell.n_error)] if cell else ["", ""]
        v.rows.append(line)
    return [v]


def _fidelity(r: Report) -> list[View]:
    v = View(
        None,
        [
            "model",
            "lang",
            "n",
            "wrong language [95 % CI]",
            "mixed-script words / answer",
            "answers with mixed words",
            "Latin share (ru)",
            "over threshold (ru)",
        ],
        numeric={2, 3, 4, 5, 6, 7},
    )
    for x in sorted(r.sections.language_fidelity.rows, key=lambda x: (x.model, _lang_key(x.lang))):
        v.rows.append(
            [
                x.model,
                x.lang,
                num(x.n),
                pct_ci(x.wrong_language_rate, x.lo, x.hi),
                num(x.mixed_script_mean),
                pct(x.mixed_script_share),
                pct(x.latin_share_mean),
                pct(x.latin_share_over),
            ]
        )
    return [v]


def _cost(r: Report) -> list[View]:
    v = View(
        None,
        [
            "model",
            "lang",
            "answers",
            "failed",
            "truncated",
            "prompt tok",
            "completion tok",
            "reasoning tok",
            "estimated",
            "latency p50 s",
            "p95 s",
            "tok/s",
        ],
        numeric=set(range(2, 12)),
    )
    for x in sorted(r.sections.cost.rows, key=lambda x: (x.model, _lang_key(x.lang))):
        v.rows.append(
            [
                x.model,
                x.lang,
                num(x.n),
                num(x.n_error),
                num(x.n_truncated),
                num(x.prompt_tokens, 0),
                num(x.completion_tokens, 0),
                num(x.reasoning_tokens, 0),
                pct(x.reasoning_estimated_share, 0),
                num(_s(x.latency_p50_ms), 1),
                num(_s(x.latency_p95_ms), 1),
                num(x.tokens_per_s, 1),
            ]
        )
    return [v]


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def _reliability(r: Report) -> list[View]:
    s = r.sections.judge_reliability
    views = []
    if s.swap:
        v = View(
            "Position swap",
            ["judge", "rubric", "pairs", "consistent [95 % CI]", "picks first shown"],
            numeric={2, 3, 4},
        )
        v.rows = [
            [x.judge, x.rubric, num(x.n), pct_ci(x.consistency, x.lo, x.hi), pct(x.first_position_rate)] for x in s.swap
        ]
        views.append(v)
    if s.check_agreement:
        v = View(
            "Judge vs check:answer",
            [
                "judge",
                "rubric",
                "criterion",
                "n",
                "Spearman ρ",
                "point-biserial r",
                "AUC",
                "mean if correct",
                "mean if wrong",
            ],
            numeric={3, 4, 5, 6, 7, 8},
        )
        v.rows = [
            [
                x.judge,
                x.rubric,
                x.criterion,
                num(x.n),
                num(x.spearman),
                num(x.point_biserial),
                num(x.auc),
                num(x.mean_score_correct),
                num(x.mean_score_wrong),
            ]
            for x in s.check_agreement
        ]
        views.append(v)
    if s.cross_language:
        v = View(
            "RU/EN consistency on paired items",
            ["judge", "rubric", "n", "Spearman ρ", "mean |RU − EN|"],
            numeric={2, 3, 4},
        )
        v.rows = [[x.judge, x.rubric, num(x.n), num(x.spearman), num(x.mean_abs_diff)] for x in s.cross_language]
        views.append(v)
    if s.self_judged:
        v = View(
            "Self-judging",
            ["judge", "verdict rows", "self-judged", "share", "mean when self", "mean otherwise"],
            numeric={1, 2, 3, 4, 5},
        )
        v.rows = [
            [x.judge, num(x.n), num(x.n_self), pct(x.share), num(x.mean_self), num(x.mean_other)] for x in s.self_judged
        ]
        views.append(v)
    if s.human:
        v = View(
            "Agreement with human labels",
            ["judge", "rubric", "items", "labels", "annotators", "weighted κ", "α (judge + humans)", "α (humans only)"],
            numeric={2, 3, 4, 5, 6, 7},
        )
        v.rows = [
            [
                x.judge,
                x.rubric,
                num(x.n_items),
                num(x.n_labels),
                num(x.n_annotators),
                num(x.weighted_kappa),
                num(x.alpha),
                num(x.alpha_humans),
            ]
            for x in s.human
        ]
        views.append(v)
    return views


_VIEWS = {
    "overview": _overview,
    "language_gap": _gap,
    "model_deltas": _deltas,
    "depth": _depth,
    "pairwise": _pairwise,
    "accuracy": _accuracy,
    "language_fidelity": _fidelity,
    "cost": _cost,
    "judge_reliability": _reliability,
}


def sections(r: Report) -> Iterable[tuple[int, str, Section, list[View]]]:
    """(number, key, section, tables) in report order; skipped sections and caveats have no tables."""
    for i, key in enumerate(SECTION_ORDER, 1):
        sec = getattr(r.sections, key)
        views = [] if sec.skipped or key not in _VIEWS else _VIEWS[key](r)
        yield i, key, sec, views


def models_view(r: Report) -> View:
    v = View("Models", ["model", "model id", "precision", "base model", "params", "answers"], numeric={5})
    for m in r.models:
        params = {**m.params, **m.extra_body}
        v.rows.append(
            [
                m.model + ("" if m.current else " (retired)"),
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


# -- Markdown -----------------------------------------------------------------------------------


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _md_table(v: View) -> list[str]:
    out = [f"**{v.title}**", ""] if v.title else []
    out.append("| " + " | ".join(_md_cell(c) for c in v.columns) + " |")
    out.append("|" + "".join("---:|" if i in v.numeric else "---|" for i in range(len(v.columns))))
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in v.rows]
    return out + [""]


def to_markdown(r: Report) -> str:
    lines = ["# judge report", "", f"Database `{r.database}`, generated {r.generated_at}. {filters_line(r)}", ""]
    if r.note:
        lines += [f"> **Note:** {r.note}", ""]
    lines += _md_table(models_view(r))
    for i, key, sec, views in sections(r):
        lines += [f"## {i}. {sec.title}", ""]
        if sec.skipped:
            lines += [f"_Skipped: {sec.skipped}._", ""]
            continue
        if key == "caveats":
            lines += [f"- {item}" for item in r.sections.caveats.items] + [""]
            continue
        for v in views:
            lines += _md_table(v)
        lines += [f"_{n}_" for n in sec.notes] + ([""] if sec.notes else [])
    return "\n".join(lines).rstrip() + "\n"


# -- terminal (Rich) ----------------------------------------------------------------------------


def to_terminal(r: Report, console: Any = None) -> str | None:
    """Print with Rich to `console`; without one, return the text (no colour codes)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = console
    if out is None:
        out = Console(file=io.StringIO(), record=True, width=160, color_system=None, force_terminal=False)

    def table(v: View) -> Table:
        t = Table(title=v.title, title_justify="left", title_style="bold", show_lines=False, pad_edge=False)
        for i, c in enumerate(v.columns):
            t.add_column(c, justify="right" if i in v.numeric else "left", overflow="fold")
        for row in v.rows:
            t.add_row(*row)
        return t

    out.print(Text("judge report", style="bold"), Text(f"  {r.database}  {r.generated_at}", style="dim"))
    out.print(Text(filters_line(r), style="dim"))
    if r.note:
        out.print(Text(f"Note: {r.note}", style="bold yellow"))
    out.print(table(models_view(r)))
    for i, key, sec, views in sections(r):
        out.rule(f"{i}. {sec.title}", align="left")
        if sec.skipped:
            out.print(Text(f"skipped: {sec.skipped}", style="dim italic"))
            continue
        if key == "caveats":
            for item in r.sections.caveats.items:
                out.print(f"• {item}", highlight=False)
            continue
        for v in views:
            out.print(table(v))
        for n in sec.notes:
            out.print(Text(n, style="dim"))
    if console is None:
        return out.export_text()
    return None
