"""The wall clock the in-memory store uses when no clock is injected."""

from __future__ import annotations

import threading
import time


class SystemClock:
    """Milliseconds since the epoch from :func:`time.time`, never going backwards.

    A wall clock can be stepped back (NTP, a manual change); holding the last
    reading keeps lease deadlines and dedup expiries monotonic within a process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0

    def now_ms(self) -> int:
        """The current time, or the last reading if the wall clock went back."""
        reading = int(time.time() * 1000)
        with self._lock:
            self._last_ms = max(self._last_ms, reading)
            return self._last_ms
