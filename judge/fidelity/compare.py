"""Token-by-token comparison of a variant's distributions with its base's, on the same text.

The servers return the top k of each distribution, not the whole vocabulary, so the KL divergence
is computed on a coarsened vocabulary (APPROXIMATION below, stored with every result): the tokens
whose probability both sides returned (each side's top k and the text's own token, which both
always return), plus one bucket holding the rest of each side's mass. Every probability used is
one a server returned, and merging tokens into a bucket can only lower a KL divergence
(data-processing inequality), so this is a lower bound on the full-vocabulary KLD, tight when the
top k hold most of the mass (`tail_mass` says how much they did not). Guessing the probabilities a
side did not return instead can overshoot the true value.

Top-1 agreement compares the most likely token of each side; the perplexity ratio uses the
log-probabilities of the text's own tokens, which both formats return exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .request import TextLogprobs

APPROXIMATION = (
    "KLD(base || variant) over the tokens whose probability both sides returned (top k of each, the text's "
    "own token) plus one bucket with the rest of each side's mass: a coarsening, so a lower bound on the "
    "full-vocabulary KLD, tight when tail_mass is small."
)
_EPS = 1e-12


class TokenizerMismatch(ValueError):
    """The two endpoints tokenized one text differently: their distributions cannot be compared."""


@dataclass
class TextResult:
    """One text, one variant against the base: per-token KLDs and the sums the statistics need."""

    kld: list[float]
    agree: int
    """Positions where both sides' most likely token is the same."""
    nll_base: float
    nll_variant: float
    """Sums of −log p of the text's own tokens."""
    tail_base: float
    """Sum over positions of the base's probability outside its top k."""

    @property
    def n(self) -> int:
        return len(self.kld)


def aligned(base: TextLogprobs, variant: TextLogprobs) -> tuple[TextLogprobs, TextLogprobs]:
    """Both keyed alike (token ids when both have them, else token text); TokenizerMismatch when the
    texts' tokens differ (the first differing position is named)."""
    if base.mode != variant.mode:
        base, variant = base.by_text(), variant.by_text()
    if base.token_ids is not None and variant.token_ids is not None:
        a, b = [str(x) for x in base.token_ids], [str(x) for x in variant.token_ids]
        what = "token ids"
    else:
        a, b = base.keys, variant.keys
        what = "tokens"
    if a != b:
        i = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        show_a = a[i] if i < len(a) else "(end)"
        show_b = b[i] if i < len(b) else "(end)"
        raise TokenizerMismatch(
            f"{what} differ: {len(a)} vs {len(b)}, first at position {i} ({show_a!r} vs {show_b!r})"
        )
    return base, variant


def position_kld(
    p_top: dict[str, float], p_own: tuple[str, float], q_top: dict[str, float], q_own: tuple[str, float]
) -> float:
    """KLD(P || Q) at one position, a lower bound (module docstring): from the two top-k distributions
    (log-probabilities) and the text's own token with each side's log-probability."""
    p_known, q_known = {**p_top, p_own[0]: p_own[1]}, {**q_top, q_own[0]: q_own[1]}
    both = p_known.keys() & q_known.keys()
    p = {t: math.exp(p_known[t]) for t in both}
    q = {t: math.exp(q_known[t]) for t in both}
    p_rest = max(1.0 - sum(p.values()), _EPS)
    q_rest = max(1.0 - sum(q.values()), _EPS)
    kl = sum(pv * math.log(pv / q[t]) for t, pv in p.items() if pv > 0)
    kl += p_rest * math.log(p_rest / q_rest)
    return max(kl, 0.0)  # both sides sum to 1, so only rounding can make it negative


def _argmax(d: dict[str, float], own: tuple[str, float]) -> str:
    best = max(d.items(), key=lambda kv: (kv[1], kv[0]), default=own)
    return best[0] if best[1] >= own[1] else own[0]


def compare(base: TextLogprobs, variant: TextLogprobs) -> TextResult:
    """Every position of one text: KLD, top-1 agreement, the own tokens' log-probabilities."""
    base, variant = aligned(base, variant)
    klds: list[float] = []
    agree = 0
    tail = 0.0
    for i, own in enumerate(base.keys):
        p_own, q_own = (own, base.actual[i]), (own, variant.actual[i])
        pt, qt = base.top[i], variant.top[i]
        klds.append(position_kld(pt, p_own, qt, q_own))
        agree += _argmax(pt, p_own) == _argmax(qt, q_own)
        tail += max(0.0, 1.0 - sum(math.exp(v) for v in pt.values()))
    return TextResult(
        kld=klds,
        agree=agree,
        nll_base=-sum(base.actual),
        nll_variant=-sum(variant.actual),
        tail_base=tail,
    )
