"""The report's filters, the values they can take, its grouping dimensions and the per-cell sums (see `queries`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .store import Store

TOTAL = "weighted_total"
"""The criterion name under which rows carry a rubric's weighted total."""


def _in(col: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    return f"{col} IN ({', '.join('?' * len(values))})", list(values)


def int_list(codes: Sequence[int]) -> str:
    """A SQL list literal of integer codes (never user text), e.g. for `d IN (...)`."""
    return "(" + ", ".join(str(int(c)) for c in codes) + ")" if codes else "(NULL)"


@dataclass(frozen=True)
class Filters:
    """What the report covers. None means the default: current variants, current rubric versions."""

    models: tuple[str, ...] | None = None
    """Model labels (`answers.model`); a retired variant is included only by its label `name@xxxx`."""
    rubrics: tuple[str, ...] | None = None
    """Rubric names (their current version) or `name@version-prefix` for an older version."""
    judges: tuple[str, ...] | None = None
    """LLM judge names; the deterministic checks are always kept."""
    langs: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None

    def models_where(self) -> tuple[str, list[Any]]:
        """The model part of `answers_where`: the named labels, else the current variants."""
        return _in("model", self.models) if self.models else ("current", [])

    def answers_where(self) -> tuple[str, list[Any]]:
        """A WHERE clause over the columns of `answers`."""
        sql, params = self.models_where()
        parts = [sql]
        for col, vals in (("lang", self.langs), ("category", self.categories)):
            if vals:
                sql, p = _in(col, vals)
                parts.append(sql)
                params += p
        return " AND ".join(parts), params

    def llm_where(self, prefix: str = "", current: str = "rubric_current") -> tuple[str, list[Any]]:
        """Which LLM verdict rows (judge, rubric version) count; `prefix` qualifies the columns."""
        parts, params = [], []
        if self.rubrics:
            alts = []
            for r in self.rubrics:
                name, _, version = r.partition("@")
                if version:
                    alts.append(f"({prefix}rubric = ? AND starts_with({prefix}rubric_version, ?))")
                    params += [name, version]
                else:
                    alts.append(f"({prefix}rubric = ? AND {current})")
                    params.append(name)
            parts.append("(" + " OR ".join(alts) + ")")
        else:
            parts.append(current)
        sql, p = self.judges_where(prefix)
        return " AND ".join([*parts, sql]), params + p

    def judges_where(self, prefix: str = "") -> tuple[str, list[Any]]:
        """The judge part of `llm_where` ("true" without a judge filter)."""
        return _in(f"{prefix}judge", self.judges) if self.judges else ("true", [])

    def selects_rubric(self, rubric: str, version: str) -> bool:
        """Whether the rubric filter keeps this (current) rubric version."""
        if not self.rubrics:
            return True
        for r in self.rubrics:
            name, _, prefix = r.partition("@")
            if name == rubric and version.startswith(prefix):
                return True
        return False


@dataclass(frozen=True)
class Dim:
    """What a `d` code stands for: one criterion (or the weighted total) of one rubric version and judge."""

    judge: str
    rubric: str
    rubric_version: str
    criterion: str
    is_check: bool
    weight: float | None = None


@dataclass
class Group:
    """One cell (e.g. judge × rubric × criterion × model × lang) as per-unit vectors."""

    key: dict[str, Any]
    units: np.ndarray
    """Unit codes (prompt or pair), comparable across the groups of one call: align models on them."""
    sums: np.ndarray
    sizes: np.ndarray
    """Scored rows per unit (several samples; 0 when every row of the unit failed)."""
    n_error: int
    n_na: int = 0
    """Rows where the criterion does not apply: counted here, never in `sums`."""

    @property
    def means(self) -> np.ndarray:
        """Per-unit means over samples; NaN where the unit has no scored row.

        Rounded to 1e-9: means of rubric scores are rationals, and equal ones must compare equal
        for the bootstrap's few-distinct-values shortcut (float noise would make them distinct).
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.round(np.where(self.sizes > 0, self.sums / np.maximum(self.sizes, 1), np.nan), 9)


@dataclass(frozen=True)
class Available:
    """What the report's filters can select in a database, to name the choices when one selects nothing."""

    models: list[str]
    """Model labels with answers (current names and retired `name@xxxxxxxx`)."""
    lang_categories: list[tuple[str, str | None]]
    """(language, category) of the answers of the selected models (the `models` filter applied)."""
    rubric_versions: list[tuple[str, str, bool]]
    """(rubric, version, current) of LLM rubrics: registered, graded or compared."""
    rubric_judges: list[tuple[str, str]]
    """(rubric, judge) for every LLM judge holding verdicts or comparisons of a rubric (any version)."""


def available(store: Store, filters: Filters) -> Available:
    """Read the values each filter can take (whole database; only the language and category pairs follow `models`)."""
    mw, mp = filters.models_where()
    llm = """
        SELECT DISTINCT rubric, rubric_version, judge FROM verdicts WHERE mode = 'single' AND judge NOT LIKE 'check:%'
        UNION SELECT DISTINCT rubric, rubric_version, judge FROM comparisons"""

    def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return store.query(sql, list(params))[1]

    return Available(
        models=[r[0] for r in rows("SELECT DISTINCT model FROM answers ORDER BY 1")],
        lang_categories=[(r[0], r[1]) for r in rows(f"SELECT DISTINCT lang, category FROM answers WHERE {mw}", mp)],
        rubric_versions=[
            (r[0], r[1], bool(r[2]))
            for r in rows(f"""
                SELECT rubric, rubric_version, bool_or(current) FROM (
                    SELECT l.rubric, l.rubric_version, coalesce(r.retired_at IS NULL, true) AS current
                    FROM ({llm}) l LEFT JOIN rubrics r ON r.name = l.rubric AND r.version = l.rubric_version
                    UNION ALL SELECT name, version, retired_at IS NULL FROM rubrics)
                GROUP BY ALL ORDER BY ALL""")
        ],
        rubric_judges=[(r[0], r[1]) for r in rows(f"SELECT DISTINCT rubric, judge FROM ({llm}) ORDER BY ALL")],
    )


def filled(a: Any) -> np.ndarray:
    """A fetched column as a plain array: NULL -> NaN for numbers, None otherwise."""
    if isinstance(a, np.ma.MaskedArray):
        if a.dtype.kind in "fiub":
            return np.ma.filled(a.astype(float), np.nan)
        return np.ma.filled(a.astype(object), None)
    return np.asarray(a)


def build_groups(
    a: dict[str, np.ndarray], keys: Sequence[str], decode: Callable[[dict[str, int]], dict[str, Any]]
) -> list[Group]:
    """Per-unit rows (key codes, `_u` unit, `_s` sum, `_n` count, `_e` errors, `_a` not applicable) -> one Group per key cell.

    Groups come sorted by their decoded keys.
    """
    if not a or a["_u"].size == 0:
        return []
    # one int64 cell key from the key columns' dense ranks (mixed radix), then one stable sort
    cell = np.zeros(a["_u"].size, dtype=np.int64)
    levels = []
    for c in keys:
        lv, idx = np.unique(a[c], return_inverse=True)
        cell = cell * len(lv) + idx.ravel()
        levels.append(lv)
    units = a["_u"].astype(np.int64)
    order = np.lexsort((units, cell))  # units sorted within a cell: resampling is reproducible
    cell = cell[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    bounds = np.r_[starts, cell.size]
    sums, sizes, units, errs = (
        np.round(np.nan_to_num(a["_s"][order]), 9),
        a["_n"][order].astype(float),
        units[order],
        a["_e"][order],
    )
    nas = a["_a"][order] if "_a" in a else np.zeros_like(errs)
    out = []
    for i, start in enumerate(starts):
        sl = slice(start, bounds[i + 1])
        rest, key = int(cell[start]), {}
        for c, lv in zip(reversed(keys), reversed(levels)):
            rest, j = divmod(rest, len(lv))
            key[c] = int(lv[j])
        out.append(Group(decode(key), units[sl], sums[sl], sizes[sl], int(errs[sl].sum()), int(nas[sl].sum())))
    out.sort(key=lambda g: tuple(str(v) for v in g.key.values()))
    return out
