"""Drives any backend, sync or asyncio, through one synchronous interface.

The contract tests are written once against :class:`PortDriver`; an asyncio backend
runs on the test's own event loop, so the same test checks both flavours.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol, TypeVar, cast

from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    AsyncBackend,
    Capability,
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
    SyncBackend,
)

T = TypeVar("T")


class PortDriver:
    """Calls a backend's port methods synchronously, whatever its flavour.

    Args:
        backend: The backend under test.
        runner: The event loop runner for an asyncio backend.
    """

    def __init__(self, backend: SyncBackend | AsyncBackend, runner: asyncio.Runner):
        self.backend = backend
        self._runner = runner

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the backend declares it can do."""
        return self.backend.capabilities

    def _call(self, result: T | Coroutine[Any, Any, T]) -> T:
        if isinstance(result, Coroutine):
            return cast(T, self._runner.run(result))
        return result

    def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions | None = None,
    ) -> PublishResult:
        """Run the backend's ``publish``."""
        options = options or PublishOptions()
        return self._call(self.backend.publish(queue, publications, options))

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """Run the backend's ``claim``."""
        return self._call(self.backend.claim(queue, options, claim_id=claim_id))

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """Run the backend's ``settle``."""
        return self._call(self.backend.settle(queue, settlement))

    def renew(
        self, queue: QueueKeyManager, stored: MessageData, token: str, lease_ms: int
    ) -> bool:
        """Run the backend's ``renew``."""
        return self._call(self.backend.renew(queue, stored, token, lease_ms))

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Run the backend's ``depths``."""
        return self._call(self.backend.depths(queue))

    def wait_for_messages(self, queue: QueueKeyManager, timeout: float) -> bool:
        """Run the backend's ``wait_for_messages``."""
        return self._call(self.backend.wait_for_messages(queue, timeout))

    def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """Run the backend's ``peek``."""
        return self._call(
            self.backend.peek(queue, key, count, oldest_first=oldest_first)
        )

    def wait_while_another_publishes(
        self,
        queue: QueueKeyManager,
        timeout: float,
        delay: float,
        publication: Publication,
    ) -> bool:
        """Wait for messages while a concurrent publisher publishes after ``delay``.

        The publisher is another thread for a sync backend and another task on the
        same event loop for an asyncio backend.
        """
        backend = self.backend
        if isinstance(backend, AsyncBackend):
            return self._runner.run(
                _wait_with_async_publisher(backend, queue, timeout, delay, publication)
            )

        publisher = threading.Timer(
            delay, backend.publish, [queue, [publication], PublishOptions()]
        )
        publisher.start()
        try:
            return backend.wait_for_messages(queue, timeout)
        finally:
            publisher.join()

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """Run the backend's ``release``."""
        return self._call(self.backend.release(queue, lease_tokens))

    def purge(self, queue: QueueKeyManager, key: str) -> int:
        """Run the backend's ``purge``."""
        return self._call(self.backend.purge(queue, key))

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """Run the backend's ``redrive``."""
        return self._call(self.backend.redrive(queue, message_ids))

    def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """Run the backend's ``forget_markers``."""
        return self._call(self.backend.forget_markers(queue, markers))

    def close(self) -> None:
        """Run the backend's ``close``."""
        self._call(self.backend.close())


async def _wait_with_async_publisher(
    backend: AsyncBackend,
    queue: QueueKeyManager,
    timeout: float,
    delay: float,
    publication: Publication,
) -> bool:
    async def publish_later() -> None:
        await asyncio.sleep(delay)
        await backend.publish(queue, [publication], PublishOptions())

    publisher = asyncio.create_task(publish_later())
    try:
        return await backend.wait_for_messages(queue, timeout)
    finally:
        await publisher


class TimeControl(Protocol):
    """Lets a test make time pass for leases and dedup windows."""

    def advance(self, seconds: float) -> None:
        """Make ``seconds`` pass as far as the backend can tell."""


class ManualTime:
    """Moves a backend's injected :class:`ManualClock` (no waiting)."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self._clock.advance(seconds)


class RealTime:
    """Waits for real, for backends that read a real clock (a server's)."""

    def advance(self, seconds: float) -> None:
        """Sleep."""
        time.sleep(seconds)
