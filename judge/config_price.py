"""`price = {...}` on a `[[models]]` entry (or the judge's own endpoint table): what its tokens cost.

Kept apart from judge.config (which uses it on `ModelConfig`) because that module is near its size
limit. A price never enters a model's identity: repricing a model must not make its answers stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from judge.config_base import Strict

if TYPE_CHECKING:
    from judge.config import Config

__all__ = ["Price", "configured_prices"]


class Price(Strict):
    """Money per million tokens, in one currency of your choice (the report does not name it).

    Completion tokens include the reasoning tokens on OpenAI-compatible servers, and providers bill
    reasoning as output, so `output_per_mtok` prices both.
    """

    input_per_mtok: float = Field(ge=0)
    """Price of a million prompt tokens."""
    output_per_mtok: float = Field(ge=0)
    """Price of a million completion tokens (reasoning included)."""


def configured_prices(cfg: Config) -> dict[str, tuple[float, float] | None]:
    """Model name -> (input, output) per million tokens, None where judge.toml sets no price: every
    `[[models]]` entry and every judge with an endpoint table of its own."""
    entries = list(cfg.models)
    if cfg.judge is not None:
        entries += [m for m in cfg.judge_models() if all(m is not e for e in cfg.models)]
    return {m.name: (m.price.input_per_mtok, m.price.output_per_mtok) if m.price else None for m in entries}
