"""The SQL behind length and style bias in pairwise results: each comparison with its answers' style.

`pairwise_lengths(store, filters)` reads the `pairwise` view (both orders joined, one row per pair ×
criterion) under the report's filters, and joins each side's answer text to its measures:

- `chars_*`: characters (Unicode code points, not bytes: Cyrillic takes two bytes a letter);
- `words_*`: runs of non-space characters;
- `headers_*`, `bold_*`, `lists_*`: markdown headers (`#` to `######` at a line start), bold spans
  (`**…**` or `__…__` within a line) and list items (`-`, `*`, `+`, `1.` or `1)` at a line start),
  counted outside fenced code blocks (a `#` comment in code is not a header) — the counts
  Arena-Hard-Auto's style control uses.

Every comparison comes back, with its `status` as the view gives it: `decided` (winner A, B or a
tie, where a tie includes the two orders disagreeing), `error` (a judge call failed) or
`not_applicable` (the criterion did not apply to one of the answers). Only decided comparisons have
a `result`; `longer` is `A`, `B` or `equal` (same length in the unit asked for); `longer_won` is
true/false for a decided, non-tied comparison of unequal lengths and NULL otherwise (ties, equal
lengths, failed and not-applicable rows), so those are never counted as "the shorter answer won".

`length_summary` gives the same per judge × rubric × rubric version × criterion × language as
counts, in one GROUP BY. The filters mean what they mean in `ReportData` (same `Filters`): the
rubric versions and judges of `llm_where`, and both answers among those `answers_where` selects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from .filters import Filters
from .store import Store

Unit = Literal["chars", "words"]

# Fenced code blocks are cut first (an unclosed fence runs to the end of the answer).
_NO_CODE = r"regexp_replace(coalesce(answer, ''), '(?s)```.*?(```|$)', '', 'g')"
_MEASURES = rf"""
    SELECT gen_id, length(coalesce(answer, '')) AS chars,
           len(regexp_extract_all(coalesce(answer, ''), '\S+')) AS words,
           len(regexp_extract_all(t, '(?m)^#{{1,6}}[ \t]')) AS headers,
           len(regexp_extract_all(t, '\*\*[^*\n]+\*\*|__[^_\n]+__')) AS bold,
           len(regexp_extract_all(t, '(?m)^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S')) AS lists
    FROM (SELECT gen_id, answer, {_NO_CODE} AS t FROM generations
          WHERE gen_id IN (SELECT generation_a FROM _p UNION SELECT generation_b FROM _p))"""

FEATURE_COLUMNS = ("chars", "words", "headers", "bold", "lists")
"""The measures of each side, as `<measure>_a` and `<measure>_b` columns."""


def _where(filters: Filters) -> tuple[str, list[Any]]:
    lw, lp = filters.llm_where()
    aw, ap = filters.answers_where()
    in_scope = f"(SELECT generation_id FROM answers WHERE {aw})"
    return f"{lw} AND generation_a IN {in_scope} AND generation_b IN {in_scope}", lp + ap + ap


def _rows_sql(filters: Filters, unit: Unit) -> tuple[str, list[Any]]:
    if unit not in ("chars", "words"):
        raise ValueError(f"unit must be 'chars' or 'words', got {unit!r}")
    where, params = _where(filters)
    side = ", ".join(f"a.{c} AS {c}_a, b.{c} AS {c}_b" for c in FEATURE_COLUMNS)
    sql = f"""
        WITH _p AS (
            SELECT pair_id, prompt_id, pair, lang, category, judge, rubric, rubric_version, criterion,
                   model_a, model_b, generation_a, generation_b, winner, consistent, status,
                   CASE WHEN status <> 'decided' OR winner IS NULL THEN NULL WHEN winner = 'tie' THEN 'tie'
                        WHEN winner = model_a THEN 'A' ELSE 'B' END AS result
            FROM pairwise WHERE {where}),
        _m AS ({_MEASURES})
        SELECT p.*, {side},
               CASE WHEN a.{unit} > b.{unit} THEN 'A' WHEN b.{unit} > a.{unit} THEN 'B' ELSE 'equal' END AS longer,
               CASE WHEN p.result IN ('A', 'B') AND a.{unit} <> b.{unit}
                    THEN p.result = CASE WHEN a.{unit} > b.{unit} THEN 'A' ELSE 'B' END END AS longer_won
        FROM _p p JOIN _m a ON a.gen_id = p.generation_a JOIN _m b ON b.gen_id = p.generation_b"""
    return sql, params


def pairwise_lengths(store: Store, filters: Filters | None = None, *, unit: Unit = "chars") -> list[dict[str, Any]]:
    """Every comparison in scope (pair × criterion) with both answers' measures; see the module docstring.

    Columns: pair_id, prompt_id, pair, lang, category, judge, rubric, rubric_version, criterion,
    model_a, model_b, generation_a, generation_b, winner, consistent, status, result (A/B/tie,
    NULL unless decided), chars_a/_b, words_a/_b, headers_a/_b, bold_a/_b, lists_a/_b, longer
    (A/B/equal by `unit`), longer_won (NULL unless decided, not tied and of unequal length).
    Sorted by judge, rubric, rubric_version, criterion, lang, prompt_id, model_a, model_b.
    """
    sql, params = _rows_sql(filters or Filters(), unit)
    return store.records(
        f"SELECT * FROM ({sql}) ORDER BY judge, rubric, rubric_version, criterion, lang, prompt_id, model_a, model_b",
        params,
    )


def length_summary(
    store: Store, filters: Filters | None = None, *, unit: Unit = "chars", by: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Counts per judge × rubric × rubric_version × criterion × lang (or the columns `by` names).

    n: comparisons; n_decided (ties included), n_ties, n_error, n_na (not applicable),
    n_equal_length (decided, not tied, equal length), n_longer_won and n_shorter_won (decided, not
    tied, unequal lengths: their sum is the denominator of the longer-preferred rate),
    mean_chars_a/_b and mean_words_a/_b over decided comparisons.
    """
    keys = list(by or ("judge", "rubric", "rubric_version", "criterion", "lang"))
    allowed = {"judge", "rubric", "rubric_version", "criterion", "lang", "category", "model_a", "model_b"}
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise ValueError(f"cannot group by {bad} (allowed: {sorted(allowed)})")
    sql, params = _rows_sql(filters or Filters(), unit)
    k = ", ".join(keys)
    return store.records(
        f"""
        SELECT {k}, count(*) AS n,
               count(*) FILTER (WHERE status = 'decided') AS n_decided,
               count(*) FILTER (WHERE result = 'tie') AS n_ties,
               count(*) FILTER (WHERE status = 'error') AS n_error,
               count(*) FILTER (WHERE status = 'not_applicable') AS n_na,
               count(*) FILTER (WHERE result IN ('A', 'B') AND longer = 'equal') AS n_equal_length,
               count(*) FILTER (WHERE longer_won) AS n_longer_won,
               count(*) FILTER (WHERE NOT longer_won) AS n_shorter_won,
               avg(chars_a) FILTER (WHERE status = 'decided') AS mean_chars_a,
               avg(chars_b) FILTER (WHERE status = 'decided') AS mean_chars_b,
               avg(words_a) FILTER (WHERE status = 'decided') AS mean_words_a,
               avg(words_b) FILTER (WHERE status = 'decided') AS mean_words_b
        FROM ({sql}) GROUP BY {k} ORDER BY {k}""",
        params,
    )
