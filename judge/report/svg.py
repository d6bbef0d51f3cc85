"""Plain SVG charts for the HTML report: dot-and-whisker (or bar) rows and polylines, no scripts, no fonts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

LABEL_W, PLOT_W, ROW_H = 230, 560, 18


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
