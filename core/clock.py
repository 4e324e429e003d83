"""Time as a port, so that lease decisions can be tested without waiting."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock milliseconds for lease deadlines."""

    def now_ms(self) -> int:
        """Milliseconds since the epoch, never going backwards within a process."""
        ...


class ManualClock:
    """A clock that only moves when told to: for tests and simulations.

    Args:
        start_ms: The time it reads at first.
    """

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        """The current reading."""
        return self._now_ms

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now_ms += round(seconds * 1000)
