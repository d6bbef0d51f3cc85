"""The weighted rubric total of a verdict, from criterion rows: one rule for every snapshot that needs it."""

from __future__ import annotations


def totals_sql(src: str, dst: str) -> str:
    """`CREATE TEMP TABLE dst` of weighted totals per `g` × `r` from the criterion rows of `src`.

    A verdict counts towards the weighted total only when every criterion that applies was
    scored; the total is then the weighted mean over those criteria (a criterion that does not
    apply is left out, not counted as a score). A verdict where none applies is itself n/a.
    `src` has the columns of the report's score snapshot (`queries.ReportData`).
    """
    return f"""
        CREATE TEMP TABLE {dst} AS
        SELECT g, any_value(m) AS m, any_value(p) AS p, any_value(q) AS q, any_value(l) AS l,
               any_value(sample) AS sample, r AS d,
               CASE WHEN count(score) = count(*) FILTER (WHERE NOT na) AND count(score) > 0
                    THEN sum(weight * score) / sum(weight) FILTER (WHERE score IS NOT NULL) END AS score,
               bool_or(failed) AS failed, bool_and(na) AS na
        FROM {src} WHERE NOT is_check GROUP BY g, r"""
