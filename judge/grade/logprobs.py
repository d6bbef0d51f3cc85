"""Probability-weighted scores from the judge's top logprobs at each criterion's score token.

llama.cpp reports logprobs before its grammar mask (forbidden tokens appear in the top list), so
the distribution is renormalised over the scale's values and the covered share is kept; vLLM's
are after the mask (coverage 1.0).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExpectedScore:
    expected: float
    dist: dict[int, float]
    coverage: float
    """Probability mass that fell on allowed score values (before renormalising)."""


def _tokens(completion: Any) -> list[Any] | None:
    try:
        lp = completion.choices[0].logprobs
    except (AttributeError, IndexError):
        return None
    content = getattr(lp, "content", None) if lp is not None else None
    return list(content) if content else None


def expected_scores(completion: Any, criteria: list[str], lo: int, hi: int) -> dict[str, ExpectedScore]:
    """Per criterion id, the expected score from the top logprobs at its score digit; {} if none."""
    toks = _tokens(completion)
    if not toks:
        return {}
    text, starts = "", []
    for t in toks:
        starts.append(len(text))
        text += t.token
    out: dict[str, ExpectedScore] = {}
    for cid in criteria:
        m = re.search(rf'"{re.escape(cid)}"\s*:\s*\{{', text)
        if not m:
            continue
        s = re.compile(r'"score"\s*:\s*(-?\d+)').search(text, m.end())
        if not s:
            continue
        pos = s.start(1)
        idx = max(i for i, st in enumerate(starts) if st <= pos)
        tok = toks[idx]
        if tok.token.strip() != s.group(1):
            continue  # the number is split over tokens, or glued to punctuation: no clean distribution
        mass: dict[int, float] = {}
        for alt in getattr(tok, "top_logprobs", None) or []:
            p = math.exp(alt.logprob)
            v = alt.token.strip()
            if re.fullmatch(r"-?\d+", v) and lo <= int(v) <= hi:
                mass[int(v)] = mass.get(int(v), 0.0) + p
        if not mass:
            mass = {int(s.group(1)): math.exp(tok.logprob)}
        covered = sum(mass.values())
        dist = {k: v / covered for k, v in sorted(mass.items())}
        out[cid] = ExpectedScore(expected=sum(k * p for k, p in dist.items()), dist=dist, coverage=min(1.0, covered))
    return out


def dist_json(e: ExpectedScore | None) -> str | None:
    return json.dumps({str(k): round(v, 6) for k, v in e.dist.items()}) if e else None
