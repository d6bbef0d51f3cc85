"""Text renderings of a `Report`: Markdown, and Rich for terminals.

Both draw the tables of `views` (which the HTML page draws too) and end with the legend: every
mark and abbreviation the report printed, with its meaning.
"""

from __future__ import annotations

import io
from typing import Any

from judge.report.model import Report
from judge.report.views import View, answers_view, filters_line, models_view, sections, trust_line

LEGEND_TITLE = "Legend"


def legend_view(r: Report) -> View:
    v = View(None, ["symbol", "meaning"])
    v.rows = [[e.symbol, e.meaning] for e in r.legend]
    return v


# -- Markdown -----------------------------------------------------------------------------------


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _md_table(v: View) -> list[str]:
    out = [f"**{v.title}**", ""] if v.title else []
    out.append("| " + " | ".join(_md_cell(c) for c in v.columns) + " |")
    out.append("|" + "".join("---:|" if i in v.numeric else "---|" for i in range(len(v.columns))))
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in v.rows]
    return out + [""]


def _md_legend(r: Report) -> list[str]:
    # symbols as code spans: `*` and `|` then read as themselves, not as Markdown
    rows = [f"| `{_md_cell(e.symbol)}` | {_md_cell(e.meaning)} |" for e in r.legend]
    return [f"## {LEGEND_TITLE}", "", "| symbol | meaning |", "|---|---|", *rows, ""]


def _md_answers(r: Report) -> list[str]:
    a = r.sections.answers
    out = [f"## {a.title}", ""]
    if a.skipped:
        return out + [f"_Skipped: {a.skipped}._", ""]
    out += [f"**{trust_line(r)}**", ""] + ([f"**{a.consensus}**", ""] if a.consensus else [])
    out += [f"- {x}" for x in a.reasons] + [""]
    return out + _md_table(answers_view(r)) + [f"_{n}_" for n in a.notes] + [""]


def to_markdown(r: Report) -> str:
    lines = ["# judge report", "", f"Database `{r.database}`, generated {r.generated_at}. {filters_line(r)}", ""]
    if r.note:
        lines += [f"> **Note:** {r.note}", ""]
    lines += _md_answers(r)
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
    if r.legend:
        lines += _md_legend(r)
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

    # Text, never markup strings: "[low, high]" or a model named "[x]" must print as written
    def table(v: View) -> Table:
        title = Text(v.title) if v.title else None
        t = Table(title=title, title_justify="left", title_style="bold", show_lines=False, pad_edge=False)
        for i, c in enumerate(v.columns):
            t.add_column(Text(c), justify="right" if i in v.numeric else "left", overflow="fold")
        for row in v.rows:
            t.add_row(*(Text(c) for c in row))
        return t

    out.print(Text("judge report", style="bold"), Text(f"  {r.database}  {r.generated_at}", style="dim"))
    out.print(Text(filters_line(r), style="dim"))
    if r.note:
        out.print(Text(f"Note: {r.note}", style="bold yellow"))
    a = r.sections.answers
    out.rule(a.title, align="left")
    if a.skipped:
        out.print(Text(f"skipped: {a.skipped}", style="dim italic"))
    else:
        out.print(Text(trust_line(r), style="bold" if a.judge_trusted else "bold red"))
        if a.consensus:
            out.print(Text(a.consensus, style="bold"))
        for reason in a.reasons:
            out.print(Text(f"• {reason}"), highlight=False)
        out.print(table(answers_view(r)))
        for n in a.notes:
            out.print(Text(n, style="dim"))
    out.print(table(models_view(r)))
    for i, key, sec, views in sections(r):
        out.rule(f"{i}. {sec.title}", align="left")
        if sec.skipped:
            out.print(Text(f"skipped: {sec.skipped}", style="dim italic"))
            continue
        if key == "caveats":
            for item in r.sections.caveats.items:
                out.print(Text(f"• {item}"), highlight=False)
            continue
        for v in views:
            out.print(table(v))
        for n in sec.notes:
            out.print(Text(n, style="dim"))
    if r.legend:
        out.rule(LEGEND_TITLE, align="left")
        t = table(legend_view(r))
        t.show_header = False
        out.print(t)
    if console is None:
        return out.export_text()
    return None
