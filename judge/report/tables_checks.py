"""The tables of the deterministic checks (accuracy, language fidelity) and of the generations (cost)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from judge.report import legend as lg
from judge.report.cells import CI95, View, lang_key, n_err, num, pct, pct_ci
from judge.report.cost import role_cost_views
from judge.report.model import Report


def accuracy(r: Report) -> list[View]:
    rows = r.sections.accuracy.rows
    langs = sorted({x.lang for x in rows}, key=lang_key)
    cols = ["model"]
    for lang in langs:
        cols += [lang, f"{lg.N_ERR} {lang}"]
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


def fidelity(r: Report) -> list[View]:
    v = View(
        None,
        [
            "model",
            "lang",
            lg.N,
            f"wrong language {CI95}",
            "mixed-script words / answer",
            "answers with mixed words",
            "Latin share (ru)",
            "over threshold (ru)",
        ],
        numeric={2, 3, 4, 5, 6, 7},
    )
    for x in sorted(r.sections.language_fidelity.rows, key=lambda x: (x.model, lang_key(x.lang))):
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


def cost(r: Report) -> list[View]:
    v = View(
        None,
        [
            "model",
            "lang",
            "answers",
            "failed",
            "truncated",
            f"prompt {lg.TOK}",
            f"completion {lg.TOK}",
            f"reasoning {lg.TOK}",
            lg.ESTIMATED,
            f"latency {lg.P50} {lg.SECONDS}",
            f"{lg.P95} {lg.SECONDS}",
            lg.TOK_S,
        ],
        numeric=set(range(2, 12)),
    )
    for x in sorted(r.sections.cost.rows, key=lambda x: (x.model, lang_key(x.lang))):
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
    return [v, *role_cost_views(r.sections.cost.roles)]


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000
