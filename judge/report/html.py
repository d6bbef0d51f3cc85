"""The report as one self-contained HTML file: inline CSS, inline SVG plots, no external URLs.

The tables are the ones `report_md.section_views` builds for every format; the plots are drawn
here as plain SVG elements (dot-and-whisker charts of means with CIs, bars of RU − EN gaps with
CIs, score against reasoning tokens), so the file opens offline in any browser.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from judge.report.markdown import (
    View,
    criterion_rank,
    filters_line,
    models_view,
    sections,
)
from judge.report.model import Report
from judge.store.queries import TOTAL

PALETTE = ["#2b6cb0", "#c53030", "#2f855a", "#6b46c1", "#dd6b20", "#975a16", "#b83280", "#0987a0"]
LANG_COLORS = {"en": "#2b6cb0", "ru": "#c53030", "all": "#4a5568"}
LABEL_W, PLOT_W, ROW_H = 230, 560, 18

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
ul.caveats li{margin:3px 0}
"""


@dataclass
class Point:
    """One dot (with its whisker) in a dot-and-whisker or bar chart."""

    group: str
    label: str
    series: str
    mean: float | None
    lo: float | None
    hi: float | None


def _ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    span = hi - lo or 1.0
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [round(start + i * step, 10) for i in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e4 else f"{v:.0f}"


def _legend(series: Sequence[str], colors: dict[str, str], x: float, y: float) -> str:
    out = []
    for s in series:
        out.append(
            f'<circle cx="{x + 5}" cy="{y - 4}" r="4" fill="{colors[s]}"/><text x="{x + 13}" y="{y}">{escape(s)}</text>'
        )
        x += 22 + 7 * len(s)
    return "".join(out)


def dot_whisker(
    points: list[Point],
    colors: dict[str, str],
    *,
    x_range: tuple[float, float],
    title: str,
    zero: float | None = None,
    bars: bool = False,
    axis_label: str = "",
) -> str:
    """Rows of labelled dots with CI whiskers (or bars from `zero`), grouped under bold headers."""
    series = list(dict.fromkeys(p.series for p in points))
    rows: dict[tuple[str, str], list[Point]] = {}
    for p in points:
        rows.setdefault((p.group, p.label), []).append(p)
    lo, hi = x_range
    if hi <= lo:
        hi = lo + 1
    x = lambda v: LABEL_W + (min(max(v, lo), hi) - lo) / (hi - lo) * PLOT_W  # noqa: E731
    body, y, last_group = [], 40, None
    offsets = {s: (i - (len(series) - 1) / 2) * min(5.0, 12.0 / max(len(series), 1)) for i, s in enumerate(series)}
    for (group, label), ps in rows.items():
        if group != last_group and group:
            y += 6
            body.append(f'<text x="4" y="{y + 12}" font-weight="600">{escape(group)}</text>')
            y += ROW_H
            last_group = group
        cy = y + ROW_H / 2
        body.append(f'<text x="16" y="{cy + 4}">{escape(label)}</text>')
        body.append(f'<line class="grid" x1="{LABEL_W}" x2="{LABEL_W + PLOT_W}" y1="{cy}" y2="{cy}"/>')
        for p in ps:
            if p.mean is None:
                continue
            c, yy = colors[p.series], cy + offsets[p.series]
            tip = escape(f"{p.series}: {p.mean:.3f}" + (f" [{p.lo:.3f}, {p.hi:.3f}]" if p.lo is not None else ""))
            if bars and zero is not None:
                x0, x1 = sorted((x(zero), x(p.mean)))
                body.append(
                    f'<rect x="{x0:.1f}" y="{yy - 4:.1f}" width="{max(x1 - x0, 1):.1f}" height="8" '
                    f'fill="{c}" fill-opacity="0.55"><title>{tip}</title></rect>'
                )
            if p.lo is not None and p.hi is not None:
                body.append(
                    f'<line x1="{x(p.lo):.1f}" x2="{x(p.hi):.1f}" y1="{yy:.1f}" y2="{yy:.1f}" '
                    f'stroke="{c}" stroke-width="1.6"/>'
                )
            if not bars:
                body.append(
                    f'<circle cx="{x(p.mean):.1f}" cy="{yy:.1f}" r="3.6" fill="{c}"><title>{tip}</title></circle>'
                )
        y += ROW_H
    height = y + 34
    axis = [f'<line class="axis" x1="{LABEL_W}" x2="{LABEL_W + PLOT_W}" y1="{y + 4}" y2="{y + 4}"/>']
    for t in _ticks(lo, hi):
        axis.append(
            f'<line class="grid" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="38" y2="{y + 4}"/>'
            f'<text x="{x(t):.1f}" y="{y + 18}" text-anchor="middle">{_fmt(t)}</text>'
        )
    if zero is not None and lo <= zero <= hi:
        axis.append(f'<line class="zero" x1="{x(zero):.1f}" x2="{x(zero):.1f}" y1="38" y2="{y + 4}"/>')
    if axis_label:
        axis.append(f'<text x="{LABEL_W + PLOT_W / 2}" y="{y + 31}" text-anchor="middle">{escape(axis_label)}</text>')
    head = f'<text x="4" y="14" font-weight="700" font-size="13">{escape(title)}</text>' + _legend(
        series, colors, LABEL_W, 32
    )
    width = LABEL_W + PLOT_W + 30
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{head}{"".join(axis)}{"".join(body)}</svg>'
    )


def scatter(
    lines: dict[str, list[tuple[float, float, int]]],
    colors: dict[str, str],
    *,
    title: str,
    y_range: tuple[float, float],
    x_label: str,
    y_label: str,
) -> str:
    """One polyline of (x, y) points per series; log x axis when x spans more than 20x."""
    xs = [p[0] for pts in lines.values() for p in pts if p[0] is not None]
    if not xs:
        return ""
    w, h, left, top = 640, 320, 60, 44
    log = min(xs) > 0 and max(xs) / max(min(xs), 1e-9) > 20
    tx = (lambda v: math.log10(max(v, 1e-9))) if log else (lambda v: v)
    x_lo, x_hi = tx(min(xs)), tx(max(xs))
    if x_hi - x_lo < 1e-9:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    pad = (x_hi - x_lo) * 0.05
    x_lo, x_hi = x_lo - pad, x_hi + pad
    y_lo, y_hi = y_range
    px = lambda v: left + (tx(v) - x_lo) / (x_hi - x_lo) * w  # noqa: E731
    py = lambda v: top + h - (v - y_lo) / ((y_hi - y_lo) or 1) * h  # noqa: E731
    out = [
        f'<text x="4" y="14" font-weight="700" font-size="13">{escape(title)}</text>',
        _legend(list(lines), colors, left, 32),
        f'<line class="axis" x1="{left}" x2="{left + w}" y1="{top + h}" y2="{top + h}"/>',
        f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + h}"/>',
    ]
    for t in _ticks(y_lo, y_hi, 5):
        out.append(
            f'<line class="grid" x1="{left}" x2="{left + w}" y1="{py(t):.1f}" y2="{py(t):.1f}"/>'
            f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>'
        )
    xt = [10**e for e in range(math.floor(x_lo), math.ceil(x_hi) + 1)] if log else _ticks(x_lo, x_hi)
    for t in xt:
        if x_lo <= tx(t) <= x_hi:
            out.append(
                f'<line class="grid" x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{top + h}"/>'
                f'<text x="{px(t):.1f}" y="{top + h + 14}" text-anchor="middle">{_fmt(t)}</text>'
            )
    for name, pts in lines.items():
        pts = [p for p in pts if p[0] is not None and p[1] is not None]
        c = colors[name]
        path = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b, _ in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="1.5" stroke-opacity="0.7"/>')
        for a, b, n in pts:
            out.append(
                f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="3.5" fill="{c}">'
                f"<title>{escape(f'{name}: {a:.0f} tokens, score {b:.2f} (n={n})')}</title></circle>"
            )
    out.append(
        f'<text x="{left + w / 2}" y="{top + h + 32}" text-anchor="middle">'
        f"{escape(x_label + (' (log scale)' if log else ''))}</text>"
    )
    out.append(
        f'<text x="14" y="{top + h / 2}" text-anchor="middle" transform="rotate(-90 14 {top + h / 2})">'
        f"{escape(y_label)}</text>"
    )
    width, height = left + w + 20, top + h + 44
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(out)}</svg>'
    )


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
    by: dict[str, list[Point]] = defaultdict(list)
    for x in sorted(s.totals + s.criteria, key=lambda x: (rank.get((x.rubric, x.criterion), 99), x.criterion, x.model)):
        if x.lang == "all":
            continue
        crit = "total (weighted)" if x.criterion == TOTAL else x.criterion
        by[f"{x.rubric} — judge {x.judge}"].append(Point(crit, x.model, x.lang, x.mean, x.lo, x.hi))
    out = []
    for title, pts in by.items():
        rubric = title.split(" — ")[0]
        colors = {**LANG_COLORS, **{p.series: PALETTE[i % 8] for i, p in enumerate(pts) if p.series not in LANG_COLORS}}
        out.append(
            dot_whisker(
                pts,
                colors,
                x_range=_zoom(pts, _scale(r, rubric)),
                title=f"{title}: mean score [95 % CI] by language",
                axis_label="score",
            )
        )
    return out


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
    pts = [
        Point(
            f"{x.rubric}: " + ("total (weighted)" if x.criterion == TOTAL else x.criterion),
            x.model,
            x.model,
            x.diff,
            x.lo,
            x.hi,
        )
        for x in sorted(rows, key=lambda x: (x.rubric, rank.get((x.rubric, x.criterion), 99), x.criterion, x.model))
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
    pts = [
        Point(
            f"{x.rubric} ({x.lang})",
            f"{x.model_a} − {x.model_b}",
            "variants" if x.differs else "models",
            x.diff,
            x.lo,
            x.hi,
        )
        for x in rows
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
    by: dict[tuple[str, str], dict[str, list[tuple[float, float, int]]]] = defaultdict(lambda: defaultdict(list))
    for b in s.bins:
        if b.reasoning_tokens is not None and b.score is not None:
            by[(b.rubric, b.judge)][b.model].append((b.reasoning_tokens, b.score, b.n))
    return [
        scatter(
            lines,
            colors,
            title=f"{rubric}: score against reasoning tokens (deciles per model)",
            y_range=_scale(r, rubric),
            x_label="reasoning tokens (decile mean)",
            y_label="weighted total",
        )
        for (rubric, _j), lines in sorted(by.items())
    ]


def _pairwise_plot(r: Report) -> list[str]:
    rows = r.sections.pairwise.rows
    pts = [
        Point(f"{x.rubric} — judge {x.judge}", x.model, "Bradley-Terry", x.rating, x.rating_lo, x.rating_hi)
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
    parts.append(
        "<nav>"
        + "".join(
            f'<div><a href="#{key}">{i}. {escape(sec.title)}</a>'
            + (" <em>(skipped)</em>" if sec.skipped else "")
            + "</div>"
            for i, key, sec, _ in listed
        )
        + "</nav></header>"
    )
    parts.append(_table(models_view(r)))
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
        parts += _PLOTS[key](r) if key in _PLOTS else []
        parts += [_table(v) for v in views]
        parts += [f'<p class="notes">{escape(n)}</p>' for n in sec.notes]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
