"""The legend: every mark the report prints is explained at the end of every format."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from judge.report import Report, build_report, legend, render
from judge.store import Store
from tests.fakes.synth import DEFAULT_MODELS, synthetic_db
from tests.report.conftest import md_tables

# Characters that are plain text or Markdown syntax, not marks a reader needs explained.
PLAIN = set(string.ascii_letters + string.digits + string.whitespace + ".,:;()'\"`-_/=!?{}#>|\\")


@pytest.fixture(scope="module")
def report(two_judges_path: Path) -> Report:
    """Two judges, retired variants, pairwise games, human labels: most marks the renderers have."""
    with Store.open_readonly(two_judges_path) as store:
        return build_report(store, n_boot=200, models=_all_models(store))


def _all_models(store: Store) -> list[str]:
    """Every model label, a retired variant (`name@xxxxxxxx`) included."""
    return [r[0] for r in store.query("SELECT DISTINCT model FROM answers")[1]]


def _split(md: str) -> tuple[str, dict[str, str]]:
    """The Markdown before the legend, plain (no bold markers, no escapes), and the legend's symbol -> meaning."""
    body, sep, tail = md.partition("\n## Legend\n")
    assert sep, "no legend section"
    (table,) = md_tables(tail)
    assert table[0] == ["symbol", "meaning"]
    entries = {sym.strip("`"): meaning for sym, meaning in table[1:]}
    return body.replace("**", "").replace("\\|", "|"), entries


def test_every_mark_constant_has_a_legend_entry() -> None:
    marks = legend.marks()
    assert {"MISSING", "SIG_STAR", "ARROW", "N_ERR", "VARIANT_AT", "PERCENT", "CI_OPEN", "P_FLOOR"} <= set(marks)
    for name, mark in marks.items():
        assert legend.entry_of(mark).meaning, name


def test_a_new_mark_without_an_entry_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legend, "SECTION_SIGN", "§", raising=False)
    assert legend.marks()["SECTION_SIGN"] == "§"
    with pytest.raises(KeyError):
        legend.entry_of("§")


def test_markdown_explains_every_mark_it_prints(report: Report) -> None:
    body, entries = _split(render(report, "md"))
    assert len(entries) == len(report.legend) and len(entries) > 20
    printed = [name for name, mark in legend.marks().items() if legend.found(legend.entry_of(mark), body)]
    for name in printed:
        entry = legend.entry_of(legend.marks()[name])
        assert entry.symbol in entries, f"{name} is printed but not in the legend"
        assert entries[entry.symbol] == entry.meaning
    # the marks this report must show (a sanity check that detection works at all)
    assert {"MISSING", "SIG_STAR", "ARROW", "N_ERR", "VARIANT_AT", "RETIRED", "P_FLOOR", "KAPPA", "ALPHA"} <= set(
        printed
    )
    # and any character beyond plain text, whether or not a constant names it, is in some legend symbol
    symbols = "".join(entries)
    unexplained = sorted({c for c in body if c not in PLAIN and c not in symbols})
    assert not unexplained, unexplained


def test_the_legend_lists_only_what_the_report_prints(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    models = [m.model_copy(update={"reasoning_tokens": 0.0}) for m in DEFAULT_MODELS[::2]]
    synthetic_db(path, n_generations=200, models=models, pairwise_share=0, human_labels=0, retired=False)
    with Store.open_readonly(path) as store:
        r = build_report(store, n_boot=200)
    shown = {e.symbol for e in r.legend}
    for mark in (legend.BRADLEY_TERRY, legend.KAPPA, legend.ALPHA, legend.RETIRED):
        assert legend.entry_of(mark).symbol not in shown, mark
    assert legend.entry_of(legend.CI_OPEN).symbol in shown


def test_every_format_ends_with_the_legend(report: Report) -> None:
    text = render(report, "terminal")
    caveats, legend_at = text.index("11. Caveats"), text.rindex("Legend ─")
    assert caveats < legend_at
    tail = text[legend_at:]
    for e in report.legend:
        assert e.symbol in tail, e.symbol
    html = render(report, "html")
    section = html[html.index('<section id="legend">') :]
    assert html.index('<section id="caveats">') < html.index('<section id="legend">')
    for e in [*report.legend, *legend.PLOT_LEGEND]:  # the HTML also explains its plots' marks
        assert re.sub(r"\s+", " ", e.meaning.replace("'", "&#x27;")) in section, e.symbol
    data = json.loads(render(report, "json"))
    assert data["legend"] == [e.model_dump() for e in report.legend]
    md = render(report, "md")
    assert md.index("## 11. Caveats") < md.index("## Legend")
