"""A circuit breaker per replica: a dead endpoint costs a few seconds, not minutes of retries per item.

After `threshold` consecutive failures that say the server is not there (connection refused or
reset, timeouts, gateway errors), the breaker opens: calls fail at once with `CircuitOpen`, and the
stages leave that work pending for the next run instead of storing it as error rows. After
`cooldown` seconds one call goes through as a probe (half-open): its success closes the breaker,
its failure opens it again. Any HTTP answer counts as success: the server is there.

Own code rather than a library: the state is a few fields touched from one event loop (no locks),
and the libraries around (pybreaker, aiobreaker, purgatory) wrap calls in ways that would hide the
difference between "the endpoint is down" and "this item failed", which is the point here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Breaker:
    threshold: int = 5
    cooldown: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    last_failure: str = ""

    def allow(self) -> bool:
        """May a call go out now? In the half-open state, exactly one call (the probe) may."""
        if self.opened_at is None:
            return True
        if self.probing or time.monotonic() - self.opened_at < self.cooldown:
            return False
        self.probing = True
        return True

    def success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def failure(self, why: str) -> None:
        self.failures += 1
        self.last_failure = why
        if self.probing or self.failures >= self.threshold:
            self.opened_at = time.monotonic()
        self.probing = False

    def release(self) -> None:
        """A call ended without telling (cancelled): a probe slot is given back."""
        self.probing = False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def describe(self) -> str:
        return f"{self.failures} failures in a row (last: {self.last_failure})"
