"""What a stage run did, and the status its run row records: shared by generate and grade."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StageSummary:
    run_id: str
    planned: int = 0
    skipped: int = 0
    ok: int = 0
    errors: int = 0
    pending: int = 0
    """Work not stored because its endpoint was unreachable (breaker open): the next run does it."""
    unreachable: dict[str, str] = field(default_factory=dict)
    """Model or judge name -> why its endpoint was given up (see `pending`)."""
    earlier_errors: int = 0
    """Work stored as errors by an earlier run and not retried (`--retry-errors` retries it)."""

    @property
    def status(self) -> str:
        """The run's final status when nothing stopped it early."""
        if self.pending:
            return "incomplete"
        return "done_with_errors" if self.errors else "done"
