"""The probe's statistics: bootstrap CIs of p_detect per cell, and what the results say.

Why the CI is computed here and stored: DuckDB has no bootstrap, and p_detect's interval must
resample texts, not verdicts (the copies of one clean text at several seeds are correlated), which
`judge.stats.cluster_mean_ci` does. n, p_detect, mean_drop and p_raise are computed by the
`probe_results` view itself from the stored verdicts; each CI row carries the signature of the
pairs it was computed from, and the view shows it only while the pairs are the same.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from judge.stats import cluster_mean_ci
from judge.store import Store, now
from judge.store.probes import cell_pairs, probe_results, write_cis

__all__ = ["LEVEL", "detection", "raising", "reference_dose", "results", "undetected", "write_summary"]

LEVEL = 0.95
CHANCE = 0.5
"""p_detect of a judge that cannot tell the copy from the clean text."""


def _seed(cell: dict[str, Any]) -> int:
    """A bootstrap seed of the cell's own: a cell's CI does not depend on which other cells exist."""
    key = "\0".join(str(cell[k]) for k in ("rubric", "rubric_version", "criterion", "lang", "operator", "dose"))
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def write_summary(store: Store, ident: str, run_id: str, *, n_boot: int = 2000) -> int:
    """Compute and store the CI of p_detect for every cell of the judge setup `ident`; the number of cells."""
    rows = []
    for cell, pairs in cell_pairs(store, ident):
        sums: dict[str, float] = {}
        sizes: dict[str, int] = {}
        for text, detect in pairs:
            sums[text] = sums.get(text, 0.0) + detect
            sizes[text] = sizes.get(text, 0) + 1
        est = cluster_mean_ci(list(sums.values()), list(sizes.values()), level=LEVEL, n_boot=n_boot, seed=_seed(cell))
        rows.append(
            {
                "judge_ident": ident,
                **{k: cell[k] for k in ("rubric", "rubric_version", "criterion", "lang", "operator", "dose")},
                "n": cell["n"],
                "signature": cell["signature"],
                "lo": None if math.isnan(est.lo) else est.lo,
                "hi": None if math.isnan(est.hi) else est.hi,
                "level": LEVEL,
                "n_boot": n_boot,
                "run_id": run_id,
                "computed_at": now(),
            }
        )
    write_cis(store, ident, rows)
    return len(rows)


def results(store: Store, judge: str | None = None, rubrics: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows of `probe_results` (one judge's, some rubrics'), ordered by rubric, criterion, language,
    operator and dose."""
    cols, rows = probe_results(store, judge, rubrics)
    return [dict(zip(cols, r)) for r in rows]


def reference_dose(rows: list[dict[str, Any]], preferred: int = 3) -> int | None:
    """The dose the one-line verdicts speak of: 3 when probed, else the highest probed."""
    doses = {r["dose"] for r in rows}
    if not doses:
        return None
    return preferred if preferred in doses else max(doses)


def detection(rows: list[dict[str, Any]], dose: int) -> dict[str, bool]:
    """`lang/operator` -> whether the judge detects that error operator at `dose`: on some criterion
    that graded it, the 95 % CI of p_detect lies above chance (0.5).

    Neutral operators (those with a `p_raise`) are not errors and never listed; cells without a CI
    (no pair scored, or computed before later verdicts) decide nothing.
    """
    out: dict[str, bool] = {}
    for r in rows:
        if r["dose"] != dose or r["p_raise"] is not None or r["lo"] is None:
            continue
        name = f"{r['lang']}/{r['operator']}"
        out[name] = out.get(name, False) or r["lo"] > CHANCE
    return out


def undetected(rows: list[dict[str, Any]], dose: int) -> list[str]:
    """The error operators the judge fails to detect at `dose` (see `detection`): on every criterion,
    the CI of p_detect reaches down to chance or below."""
    return sorted(name for name, detected in detection(rows, dose).items() if not detected)


def raising(rows: list[dict[str, Any]], dose: int) -> list[str]:
    """`lang/operator` of each neutral operator that raises the judge's score at `dose` on some
    criterion: p_raise's CI (1 − hi .. 1 − lo) lies above 0.5 (a length or style bias)."""
    out = set()
    for r in rows:
        if r["dose"] == dose and r["p_raise"] is not None and r["hi"] is not None and r["hi"] < CHANCE:
            out.add(f"{r['lang']}/{r['operator']}")
    return sorted(out)
