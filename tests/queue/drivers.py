"""Run the same queue scenario on the sync and the asyncio queue.

A scenario calls ``driver.publish(...)`` and ``driver.process(handler)``; the asyncio
driver runs each call on its own event loop, so one test body checks both flavours.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import redis_message_queue
import redis_message_queue.asyncio
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

    def stats(self) -> QueueStats:
        """The queue's depths."""
        return self._runner.run(self.queue.stats())

    def drain(self, timeout: float | None = None) -> bool:
        """Drain the queue."""
        return self._runner.run(self.queue.drain(timeout))


QueueDriver = SyncQueueDriver | AsyncQueueDriver


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
