"""The report's filters, its grouping dimensions and the per-cell sums (see `queries`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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

    def answers_where(self) -> tuple[str, list[Any]]:
        """A WHERE clause over the columns of `answers`."""
        parts, params = ["current"], []
        if self.models:
            sql, p = _in("model", self.models)
            parts, params = [sql], p
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
        if self.judges:
            sql, p = _in(f"{prefix}judge", self.judges)
            parts.append(sql)
            params += p
        return " AND ".join(parts), params


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

    @property
    def means(self) -> np.ndarray:
        """Per-unit means over samples; NaN where the unit has no scored row.

        Rounded to 1e-9: means of rubric scores are rationals, and equal ones must compare equal
        for the bootstrap's few-distinct-values shortcut (float noise would make them distinct).
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.round(np.where(self.sizes > 0, self.sums / np.maximum(self.sizes, 1), np.nan), 9)
