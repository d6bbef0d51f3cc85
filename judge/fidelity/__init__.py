"""`judge fidelity`: what quantization costs, measured at the source — the token distributions of a
model's variants against its full-precision base on the same texts (KLD, top-1 agreement, perplexity
ratio per language), through the endpoints' prompt log-probabilities."""

from .compare import APPROXIMATION
from .request import PromptLogprobsUnsupported
from .run import FidelitySummary, family_of, fidelity

__all__ = ["APPROXIMATION", "FidelitySummary", "PromptLogprobsUnsupported", "family_of", "fidelity"]
