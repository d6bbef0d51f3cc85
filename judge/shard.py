"""`--shard i/n`: a deterministic share of the work, so n processes (on n machines) split one run.

Why prompts, not work items: a shard takes every model's answers to its prompts, so the pairwise
comparisons of a prompt (which need both answers) fall in the shard that generated them, and
`judge grade --shard i/n` on shard i's database finds all it needs. Why a hash of the prompt's
content key, not a position: the share does not depend on the order of the dataset, on `--limit`
or on what another shard's database holds, so the n shards are disjoint and together cover the
run whatever each one stored before. `judge merge` joins the databases afterwards.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from judge.errors import ConfigError

_SHARD_RE = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def takes(self, prompt_key: str) -> bool:
        """Whether this shard owns the prompt with this content key."""
        if self.count == 1:
            return True
        digest = hashlib.sha256(prompt_key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str | None) -> Shard | None:
    """`"2/3"` -> Shard(2, 3); None for None. A bad value is a ConfigError naming the option."""
    if text is None:
        return None
    m = _SHARD_RE.fullmatch(text)
    if not m:
        raise ConfigError([f"--shard: {text!r} is not I/N (e.g. 2/3: the second of three shards)"])
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or n > 10_000 or not 1 <= i <= n:
        raise ConfigError([f"--shard: {text!r}: I must be between 1 and N, and N between 1 and 10000"])
    return Shard(i, n)
