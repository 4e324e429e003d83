"""Run the same queue scenario on the sync and the asyncio queue.

A scenario calls ``driver.publish(...)`` and ``driver.process(handler)``; the asyncio
driver runs each call on its own event loop, so one test body checks both flavours.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, NamedTuple

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.stats import QueueStats

Handler = Callable[[MessageData | None], Any]


class SyncQueueDriver:
    """Drives a sync :class:`RedisMessageQueue`."""

    def __init__(self, queue: redis_message_queue.RedisMessageQueue) -> None:
        self.queue = queue

    def publish(self, message: Any) -> bool:
        """Publish one message."""
        return self.queue.publish(message)

    def process(self, handler: Handler) -> Any:
        """Run ``handler`` inside ``process_message()``; return what it returned."""
        with self.queue.process_message() as message:
            return handler(message)

    def run(self, result: Any) -> Any:
        """Return a queue method's result (the sync queue's calls are done)."""
        return result

    def process_callback(self, handler: Handler) -> bool:
        """Run ``process_message_callback(handler)``."""
        return self.queue.process_message_callback(handler)

    def hold(
        self,
        seconds: float,
        *,
        clock: ManualClock | None = None,
        other: QueueDriver | None = None,
    ) -> Held:
        """Claim one message and keep it ``seconds`` while background work runs.

        Args:
            seconds: How long the delivery lasts (on ``clock`` when given).
            clock: A manual clock to move along, in small steps, meanwhile.
            other: Another consumer that tries to claim at the end of the hold.
        """
        with self.queue.process_message() as message:
            for pause, step in _hold_steps(seconds, clock):
                time.sleep(pause)
                step()
            taken = other.process(lambda value: value) if other is not None else None
            return Held(message, taken)

    def stats(self) -> QueueStats:
        """The queue's depths."""
        return self.queue.stats()

    def drain(self, timeout: float | None = None) -> bool:
        """Drain the queue."""
        return self.queue.drain(timeout)


class AsyncQueueDriver:
    """Drives an asyncio :class:`RedisMessageQueue` on a private event loop."""

    def __init__(
        self,
        queue: redis_message_queue.asyncio.RedisMessageQueue,
        runner: asyncio.Runner,
    ) -> None:
        self.queue = queue
        self._runner = runner

    def publish(self, message: Any) -> bool:
        """Publish one message."""
        return self._runner.run(self.queue.publish(message))

    def process(self, handler: Handler) -> Any:
        """Run ``handler`` inside ``process_message()``; return what it returned.

        The handler runs outside the event loop (between two steps of the
        asynchronous context manager), so it may drive other queues itself.
        """
        with self.held() as message:
            return handler(message)

    @contextlib.contextmanager
    def held(self) -> Iterator[MessageData | None]:
        """Enter ``process_message()`` on the loop and leave it there afterwards."""
        manager = self.queue.process_message()
        message = self._runner.run(manager.__aenter__())
        try:
            yield message
        except BaseException as exc:
            suppress = self._runner.run(manager.__aexit__(type(exc), exc, None))
            if not suppress:
                raise
        else:
            self._runner.run(manager.__aexit__(None, None, None))

    def run(self, result: Any) -> Any:
        """Await a queue method's coroutine on the loop and return its result."""
        return self._runner.run(result)

    def process_callback(self, handler: Handler) -> bool:
        """Run ``process_message_callback(handler)`` on the loop."""
        return self._runner.run(self.queue.process_message_callback(handler))

    def hold(
        self,
        seconds: float,
        *,
        clock: ManualClock | None = None,
        other: QueueDriver | None = None,
    ) -> Held:
        """Claim one message and keep it ``seconds`` while background work runs.

        The whole delivery runs on the loop, so the heartbeat task runs meanwhile;
        ``other`` must be an asyncio driver on the same loop.
        """

        async def delivery() -> Held:
            async with self.queue.process_message() as message:
                for pause, step in _hold_steps(seconds, clock):
                    await asyncio.sleep(pause)
                    step()
                taken = None
                if isinstance(other, AsyncQueueDriver):
                    async with other.queue.process_message() as taken:
                        pass
                return Held(message, taken)

        return self._runner.run(delivery())

    def stats(self) -> QueueStats:
        """The queue's depths."""
        return self._runner.run(self.queue.stats())

    def drain(self, timeout: float | None = None) -> bool:
        """Drain the queue."""
        return self._runner.run(self.queue.drain(timeout))


QueueDriver = SyncQueueDriver | AsyncQueueDriver


class Held(NamedTuple):
    """What :meth:`SyncQueueDriver.hold` saw."""

    message: MessageData | None
    """The message the held delivery got."""
    taken: MessageData | None
    """What the other consumer got at the end of the hold."""


_HOLD_STEP_SECONDS = 0.1
_MANUAL_STEP_PAUSE_SECONDS = 0.03


def _hold_steps(
    seconds: float, clock: ManualClock | None
) -> Iterator[tuple[float, Callable[[], None]]]:
    # On a manual clock time moves in small steps, with short real pauses between
    # them so that the heartbeat keeps up; otherwise real time passes.
    steps = max(1, round(seconds / _HOLD_STEP_SECONDS))
    for _ in range(steps):
        if clock is None:
            yield seconds / steps, lambda: None
        else:
            yield _MANUAL_STEP_PAUSE_SECONDS, partial(clock.advance, seconds / steps)


class FlavouredCallback:
    """A callback given in both kinds; the driver factory picks its queue's kind.

    Args:
        function: A regular function; the asyncio kind awaits nothing and calls it.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.sync = function

        async def asynchronous(*arguments: Any) -> Any:
            return function(*arguments)

        self.asynchronous = asynchronous

    def pick(self, flavour: str) -> Callable[..., Any]:
        """The kind of callback the ``flavour`` queue accepts."""
        return self.sync if flavour == "sync" else self.asynchronous
