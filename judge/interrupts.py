"""SIGTERM and SIGHUP handled as Ctrl-C: the calls in flight are dropped, finished work is stored,
the run is recorded `interrupted`, and the exit code says which signal it was.

Why: the stages already stop cleanly on Ctrl-C (cancel the calls in flight, flush the finished
rows, record the run), but a service manager's SIGTERM or a closed terminal's SIGHUP killed the
process outright: exit 143, no message, finished answers lost, the run left `running`.

Inside `interrupt_on_signals()`, those signals do exactly what SIGINT would do at that moment:
under `asyncio.run` its handler cancels the main task (the stage's cleanup runs, then
KeyboardInterrupt is raised), anywhere else Python's default handler raises KeyboardInterrupt.
A second signal interrupts the cleanup, as a second Ctrl-C does. A signal that is ignored when
we start (`nohup` ignores SIGHUP) stays ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)


@dataclass
class Interruption:
    """Which signal ended the work, if one did (None: Ctrl-C itself, or none at all)."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        """The shell's convention, 128 + the signal: 143 for SIGTERM, 129 for SIGHUP, 130 for Ctrl-C."""
        return 128 + (self.signum or signal.SIGINT)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name


@contextmanager
def interrupt_on_signals(signums: tuple[int, ...] = SIGNALS) -> Iterator[Interruption]:
    """Within the block, `signums` interrupt as Ctrl-C does; the previous handlers come back after.

    Only the main thread can install signal handlers: elsewhere this does nothing.
    """
    caught = Interruption()
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        caught.signum = signum
        current = signal.getsignal(signal.SIGINT)
        if callable(current) and current is not handler:
            current(signal.SIGINT, frame)  # asyncio.run's handler, or signal.default_int_handler
        else:  # SIGINT ignored or at its OS default: no Python handler to borrow
            raise KeyboardInterrupt

    previous = {}
    for s in signums:
        if signal.getsignal(s) is signal.SIG_IGN:
            continue
        previous[s] = signal.signal(s, handler)
    try:
        yield caught
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
