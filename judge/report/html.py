"""The report as one self-contained HTML file: inline CSS, inline SVG plots, no external URLs.

The tables are the ones `views` builds for every format; the plots (`svg`: dot-and-whisker charts
of means with CIs, bars of RU − EN gaps with CIs, score against reasoning tokens) are plain SVG
elements, so the file opens offline in any browser. The legend adds the plots' marks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from html import escape

from judge.report.legend import PLOT_LEGEND
from judge.report.markdown import LEGEND_TITLE
from judge.report.model import LegendEntry, Report
from judge.report.svg import Point, dot_whisker, scatter
from judge.report.views import (
    View,
    answers_view,
    criterion_label,
    criterion_rank,
    filters_line,
    judged_rubrics,
    models_view,
    sections,
    trust_line,
)

PALETTE = ["#2b6cb0", "#c53030", "#2f855a", "#6b46c1", "#dd6b20", "#975a16", "#b83280", "#0987a0"]
LANG_COLORS = {"en": "#2b6cb0", "ru": "#c53030", "all": "#4a5568"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1a202c;
     margin:0 auto;max-width:1120px;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 8px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#4a5568;margin:0 0 8px}
.note{background:#fffbea;border-left:4px solid #d69e2e;padding:8px 12px;font-weight:600}
.skipped{color:#718096;font-style:italic}.notes{color:#4a5568;font-size:13px}
nav{columns:2;font-size:13px;margin:12px 0}nav a{color:#2b6cb0;text-decoration:none}
table{border-collapse:collapse;margin:6px 0 14px;font-size:12.5px}
th,td{padding:3px 8px;border-bottom:1px solid #e2e8f0;text-align:left;white-space:nowrap}
th{background:#f7fafc;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#f7fafc}.wrap{overflow-x:auto}
svg{display:block;margin:8px 0 16px;font-size:11px}svg text{fill:#2d3748}
svg .grid{stroke:#e2e8f0}svg .axis{stroke:#a0aec0}svg .zero{stroke:#4a5568;stroke-dasharray:3 3}
ul.caveats li{margin:3px 0}#answers td{white-space:normal}.trusted{background:#f0fff4;border-left:4px solid #38a169;padding:8px 12px;font-weight:600}
"""


# -- plots per section --------------------------------------------------------------------------


def _model_colors(r: Report) -> dict[str, str]:
    names = sorted({m.model for m in r.models})
    return {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(names)}


def _scale(r: Report, rubric: str) -> tuple[float, float]:
    for ri in r.rubrics:
        if ri.rubric == rubric:
            return float(ri.scale_min), float(ri.scale_max)
    return 1.0, 5.0


def _overview_plots(r: Report) -> list[str]:
    s = r.sections.overview
    rank = criterion_rank(r)
    by: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for x in sorted(s.totals + s.criteria, key=lambda x: (rank.get((x.rubric, x.criterion), 99), x.criterion, x.model)):
        if x.lang == "all":
            continue
        by[(x.rubric, x.judge)].append(Point(criterion_label(x.criterion), x.model, x.lang, x.mean, x.lo, x.hi))
    out = []
    for (rubric, judge), pts in sorted(by.items()):
        colors = {**LANG_COLORS, **{p.series: PALETTE[i % 8] for i, p in enumerate(pts) if p.series not in LANG_COLORS}}
        out.append(
            dot_whisker(
                pts,
                colors,
                x_range=_zoom(pts, _scale(r, rubric)),
                title=f"{rubric}, judge {judge}: mean score [95 % CI] by language",
                axis_label="score",
            )
        )
    return out


def _by_judge(rubric: str, judge: str, multi: set[str]) -> str:
    """ ", judge X" where several judges hold verdicts of the rubric: their points are never drawn as one."""
    return f", judge {judge}" if rubric in multi else ""


def _zoom(pts: list[Point], scale: tuple[float, float]) -> tuple[float, float]:
    """The data's range padded to whole or half points, inside the rubric's scale."""
    vals = [v for p in pts for v in (p.lo, p.hi, p.mean) if v is not None]
    if not vals:
        return scale
    lo, hi = math.floor(min(vals) * 2) / 2, math.ceil(max(vals) * 2) / 2
    lo, hi = max(scale[0], lo), min(scale[1], hi)
    return (lo, hi) if hi > lo else scale


def _gap_plot(r: Report) -> list[str]:
    rows = r.sections.language_gap.rows
    rank = criterion_rank(r)
    colors = _model_colors(r)
    multi = judged_rubrics(r)
    pts = [
        Point(
            f"{x.rubric}{_by_judge(x.rubric, x.judge, multi)}: {criterion_label(x.criterion)}",
            x.model,
            x.model,
            x.diff,
            x.lo,
            x.hi,
        )
        for x in sorted(
            rows, key=lambda x: (x.rubric, x.judge, rank.get((x.rubric, x.criterion), 99), x.criterion, x.model)
        )
    ]
    vals = [v for p in pts for v in (p.lo, p.hi, p.mean) if v is not None]
    if not vals:
        return []
    m = max(0.25, max(abs(v) for v in vals) * 1.1)
    return [
        dot_whisker(
            pts,
            colors,
            x_range=(-m, m),
            zero=0.0,
            bars=True,
            title="RU − EN gap [95 % CI] per model",
            axis_label="RU − EN (negative: worse in Russian)",
        )
    ]


def _delta_plot(r: Report) -> list[str]:
    langs: dict[str, set[str]] = defaultdict(set)
    for x in r.sections.model_deltas.rows:
        langs[x.rubric].add(x.lang)
    # one language per rubric: pooled (`all`) where there is one, else the rubric's only language
    rows = [
        x
        for x in r.sections.model_deltas.rows
        if x.lang == ("all" if "all" in langs[x.rubric] else min(langs[x.rubric]))
    ]
    multi = judged_rubrics(r)
    pts = [
        Point(
            f"{x.rubric} ({x.lang}){_by_judge(x.rubric, x.judge, multi)}",
            f"{x.model_a} − {x.model_b}",
            "variants" if x.differs else "models",
            x.diff,
            x.lo,
            x.hi,
        )
        for x in sorted(rows, key=lambda x: (x.rubric, x.judge))
    ]
    vals = [v for p in pts for v in (p.lo, p.hi) if v is not None]
    if not vals:
        return []
    m = max(0.25, max(abs(v) for v in vals) * 1.1)
    return [
        dot_whisker(
            pts,
            {"models": "#2d3748", "variants": "#dd6b20"},
            x_range=(-m, m),
            zero=0.0,
            title="Paired model differences A − B [95 % CI]",
            axis_label="difference in weighted total",
        )
    ]


def _depth_plots(r: Report) -> list[str]:
    s = r.sections.depth
    colors = _model_colors(r)
    multi = judged_rubrics(r)
    by: dict[tuple[str, str], dict[str, list[tuple[float, float, int]]]] = defaultdict(lambda: defaultdict(list))
    for b in s.bins:
        if b.reasoning_tokens is not None and b.score is not None:
            by[(b.rubric, b.judge)][b.model].append((b.reasoning_tokens, b.score, b.n))
    return [
        scatter(
            lines,
            colors,
            title=f"{rubric}{_by_judge(rubric, judge, multi)}: score against reasoning tokens (deciles per model)",
            y_range=_scale(r, rubric),
            x_label="reasoning tokens (decile mean)",
            y_label="weighted total",
        )
        for (rubric, judge), lines in sorted(by.items())
    ]


def _pairwise_plot(r: Report) -> list[str]:
    rows = r.sections.pairwise.rows
    pts = [
        Point(f"{x.rubric}, judge {x.judge}", x.model, "Bradley-Terry", x.rating, x.rating_lo, x.rating_hi)
        for x in rows
    ]
    vals = [v for p in pts for v in (p.lo, p.hi) if v is not None]
    if not vals:
        return []
    return [
        dot_whisker(
            pts,
            {"Bradley-Terry": "#6b46c1"},
            x_range=(min(vals) - 20, max(vals) + 20),
            zero=1000.0,
            title="Bradley-Terry rating [95 % CI] (1000 = average)",
            axis_label="rating",
        )
    ]


def _accuracy_plot(r: Report) -> list[str]:
    pts = [
        Point("", x.model, x.lang, x.mean, x.lo, x.hi) for x in sorted(r.sections.accuracy.rows, key=lambda x: x.model)
    ]
    return [
        dot_whisker(
            pts,
            LANG_COLORS | {p.series: "#718096" for p in pts if p.series not in LANG_COLORS},
            x_range=(0.0, 1.0),
            title="check:answer accuracy [95 % CI]",
            axis_label="share correct",
        )
    ]


_PLOTS = {
    "overview": _overview_plots,
    "language_gap": _gap_plot,
    "model_deltas": _delta_plot,
    "depth": _depth_plots,
    "pairwise": _pairwise_plot,
    "accuracy": _accuracy_plot,
}


# -- the page -----------------------------------------------------------------------------------


def _table(v: View) -> str:
    head = "".join(
        f'<th class="n">{escape(c)}</th>' if i in v.numeric else f"<th>{escape(c)}</th>"
        for i, c in enumerate(v.columns)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if i in v.numeric else f"<td>{escape(c)}</td>" for i, c in enumerate(row)
        )
        + "</tr>"
        for row in v.rows
    )
    title = f"<h3>{escape(v.title)}</h3>" if v.title else ""
    return f'{title}<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def to_html(r: Report) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>judge report — {escape(r.database)}</title><style>{CSS}</style></head><body>",
        "<header><h1>judge report</h1>",
        f'<p class="meta">Database <code>{escape(r.database)}</code>, generated {escape(r.generated_at)}. '
        f"{escape(filters_line(r))}</p>",
    ]
    if r.note:
        parts.append(f'<p class="note">{escape(r.note)}</p>')
    listed = list(sections(r))
    a = r.sections.answers
    parts.append(
        "<nav>"
        + f'<div><a href="#answers">{escape(a.title)}</a></div>'
        + "".join(
            f'<div><a href="#{key}">{i}. {escape(sec.title)}</a>'
            + (" <em>(skipped)</em>" if sec.skipped else "")
            + "</div>"
            for i, key, sec, _ in listed
        )
        + f'<div><a href="#legend">{LEGEND_TITLE}</a></div>'
        + "</nav></header>"
    )
    parts.append(f'<section id="answers"><h2>{escape(a.title)}</h2>')
    if a.skipped:
        parts.append(f'<p class="skipped">Skipped: {escape(a.skipped)}.</p>')
    else:
        parts.append(f'<p class="{"trusted" if a.judge_trusted else "note"}">{escape(trust_line(r))}</p>')
        if a.consensus:
            parts.append(f'<p class="note">{escape(a.consensus)}</p>')
        parts.append('<ul class="caveats">' + "".join(f"<li>{escape(x)}</li>" for x in a.reasons) + "</ul>")
        parts.append(_table(answers_view(r)))
        parts += [f'<p class="notes">{escape(n)}</p>' for n in a.notes]
    parts.append("</section>")
    parts.append(_table(models_view(r)))
    plotted = False
    for i, key, sec, views in listed:
        parts.append(f'<section id="{key}"><h2>{i}. {escape(sec.title)}</h2>')
        if sec.skipped:
            parts.append(f'<p class="skipped">Skipped: {escape(sec.skipped)}.</p></section>')
            continue
        if key == "caveats":
            parts.append(
                '<ul class="caveats">'
                + "".join(f"<li>{escape(it)}</li>" for it in r.sections.caveats.items)
                + "</ul></section>"
            )
            continue
        plots = [p for p in _PLOTS[key](r) if p] if key in _PLOTS else []
        plotted = plotted or bool(plots)
        parts += plots
        parts += [_table(v) for v in views]
        parts += [f'<p class="notes">{escape(n)}</p>' for n in sec.notes]
        parts.append("</section>")
    parts.append(_legend(list(r.legend) + (list(PLOT_LEGEND) if plotted else [])))
    parts.append("</body></html>")
    return "\n".join(parts)


def _legend(entries: list[LegendEntry]) -> str:
    v = View(None, ["symbol", "meaning"], rows=[[e.symbol, e.meaning] for e in entries])
    return f'<section id="legend"><h2>{LEGEND_TITLE}</h2>{_table(v) if entries else ""}</section>'
