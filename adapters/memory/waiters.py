"""Wake-ups for consumers blocked until a queue may hold a message.

One registry serves threads and event loops: a waiter only has to know how to
wake itself. A thread waits on an :class:`threading.Event`; a coroutine awaits a
future that the waking thread resolves through ``call_soon_threadsafe``, so a
publish from any thread wakes a loop without it polling.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from collections.abc import Iterable
from typing import Protocol


class Waiter(Protocol):
    """Something blocked until a queue may hold a message."""

    def wake(self) -> None:
        """End the wait; safe to call from any thread, more than once."""
        ...


class ThreadWaiter:
    """A waiter for a blocked thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wake(self) -> None:
        """Release the waiting thread."""
        self._event.set()

    def wait(self, timeout_seconds: float) -> bool:
        """Block until woken or ``timeout_seconds`` pass.

        Returns:
            True if woken, False on timeout.
        """
        return self._event.wait(max(timeout_seconds, 0.0))


class LoopWaiter:
    """A waiter for a coroutine; create it inside the loop that will wait.

    Args:
        loop: The running loop of the waiting coroutine.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._future: asyncio.Future[None] = loop.create_future()

    def wake(self) -> None:
        """Resolve the future on its own loop, from whichever thread calls."""
        # A loop that has closed has no coroutine left to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._resolve)

    async def wait(self, timeout_seconds: float) -> bool:
        """Suspend until woken or ``timeout_seconds`` pass.

        Returns:
            True if woken, False on timeout.
        """
        try:
            async with asyncio.timeout(max(timeout_seconds, 0.0)):
                await self._future
        except TimeoutError:
            return False
        return True

    def _resolve(self) -> None:
        # The wait may have timed out and cancelled the future meanwhile.
        if not self._future.done():
            self._future.set_result(None)


class WaiterRegistry:
    """Waiters by the key they wait on.

    Not locked itself: the store calls it under its own lock, so checking a
    queue and registering a waiter happen in the same step as a publish, and no
    wake-up can fall between them.
    """

    def __init__(self) -> None:
        self._waiters: collections.defaultdict[str, set[Waiter]] = (
            collections.defaultdict(set)
        )

    def add(self, key: str, waiter: Waiter) -> None:
        """Register ``waiter`` for the next push onto ``key``."""
        self._waiters[key].add(waiter)

    def discard(self, key: str, waiter: Waiter) -> None:
        """Unregister ``waiter``; nothing happens if it is gone already."""
        waiters = self._waiters.get(key)
        if waiters is None:
            return
        waiters.discard(waiter)
        if not waiters:
            del self._waiters[key]

    def take(self, key: str) -> list[Waiter]:
        """Unregister and return every waiter on ``key``, to wake outside the lock."""
        return list(self._waiters.pop(key, ()))

    def count(self, key: str) -> int:
        """How many waiters are registered on ``key``."""
        return len(self._waiters.get(key, ()))


def wake_all(waiters: Iterable[Waiter]) -> None:
    """Wake each of ``waiters``."""
    for waiter in waiters:
        waiter.wake()
