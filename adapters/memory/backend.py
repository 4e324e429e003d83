"""The backend port on a :class:`MemoryStore`, for threads and for asyncio.

Both flavours are thin: every operation is one short step under the store's lock,
so the asyncio flavour calls it directly without blocking its loop. Only waiting
differs, and the store's waiter registry serves both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from redis_message_queue.adapters.memory.store import MemoryStore
from redis_message_queue.adapters.memory.waiters import LoopWaiter, ThreadWaiter
from redis_message_queue.core.clock import Clock, ManualClock
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import ConfigurationError
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


class _MemoryBackendBase:
    """What both flavours share: the store, the clock and the capabilities."""

    capabilities: frozenset[Capability]
    decode_responses: bool

    def __init__(
        self,
        store: MemoryStore | None = None,
        *,
        clock: Clock | None = None,
        decode_responses: bool = False,
    ) -> None:
        if store is None:
            store = MemoryStore(clock, decode_responses=decode_responses)
        elif clock is not None and clock is not store.clock:
            raise ConfigurationError(
                "the store already has a clock; pass 'clock' to MemoryStore instead"
            )

        self.store = store
        self.decode_responses = decode_responses
        self.capabilities = _capabilities(store.clock)

    @property
    def clock(self) -> Clock:
        """The clock the store measures leases and dedup TTLs with."""
        return self.store.clock


class SyncMemoryBackend(_MemoryBackendBase, SyncBackend):
    """The in-memory backend for threads: the port on a :class:`MemoryStore`.

    Args:
        store: The store to share with other backends (a producer and a consumer
            in one test, say); a new one if omitted.
        clock: The clock of a new store. A :class:`ManualClock` lets tests move
            time and adds :attr:`Capability.MANUAL_CLOCK`. When passing a store,
            give the clock to the store instead.
        decode_responses: Hand values out as ``str`` rather than ``bytes``, as a
            Redis client with the same option does.

    Raises:
        ConfigurationError: ``clock`` differs from the given store's clock.
    """

    def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """See :meth:`SyncBackend.publish`."""
        return self.store.publish(
            queue, publications, options, decode_responses=self.decode_responses
        )

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """See :meth:`SyncBackend.claim`."""
        return self.store.claim(
            queue, options, claim_id=claim_id, decode_responses=self.decode_responses
        )

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """See :meth:`SyncBackend.settle`."""
        return self.store.settle(queue, settlement)

    def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """See :meth:`SyncBackend.renew`."""
        return self.store.renew(queue, stored, lease_token, lease_ms)

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """See :meth:`SyncBackend.depths`."""
        return self.store.depths(queue)

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """See :meth:`SyncBackend.release`."""
        return self.store.release(queue, lease_tokens)

    def purge(self, queue: QueueKeyManager, key: str) -> int:
        """See :meth:`SyncBackend.purge`."""
        return self.store.purge(queue, key)

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """See :meth:`SyncBackend.redrive`."""
        return self.store.redrive(queue, message_ids)

    def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """See :meth:`SyncBackend.forget_markers`."""
        del queue
        return self.store.forget_markers(markers)

    def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """See :meth:`SyncBackend.peek`."""
        return _peek(self, queue, key, count, oldest_first)

    def wait_for_messages(self, queue: QueueKeyManager, timeout_seconds: float) -> bool:
        """Block the thread until a message reaches ``pending`` or the timeout.

        Returns:
            True at once if ``pending`` holds a message; otherwise True when a
            push woke the wait, False on timeout.
        """
        waiter = ThreadWaiter()
        if not self.store.add_waiter(queue, waiter):
            return True
        try:
            return waiter.wait(timeout_seconds)
        finally:
            self.store.remove_waiter(queue, waiter)


class AsyncMemoryBackend(_MemoryBackendBase, AsyncBackend):
    """The in-memory backend for asyncio: the port on a :class:`MemoryStore`.

    Args:
        store: The store to share with other backends (a producer and a consumer
            in one test, say); a new one if omitted.
        clock: The clock of a new store. A :class:`ManualClock` lets tests move
            time and adds :attr:`Capability.MANUAL_CLOCK`. When passing a store,
            give the clock to the store instead.
        decode_responses: Hand values out as ``str`` rather than ``bytes``, as a
            Redis client with the same option does.

    Raises:
        ConfigurationError: ``clock`` differs from the given store's clock.
    """

    async def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """See :meth:`AsyncBackend.publish`."""
        return self.store.publish(
            queue, publications, options, decode_responses=self.decode_responses
        )

    async def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """See :meth:`AsyncBackend.claim`."""
        return self.store.claim(
            queue, options, claim_id=claim_id, decode_responses=self.decode_responses
        )

    async def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """See :meth:`AsyncBackend.settle`."""
        return self.store.settle(queue, settlement)

    async def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """See :meth:`AsyncBackend.renew`."""
        return self.store.renew(queue, stored, lease_token, lease_ms)

    async def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """See :meth:`AsyncBackend.depths`."""
        return self.store.depths(queue)

    async def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """See :meth:`AsyncBackend.release`."""
        return self.store.release(queue, lease_tokens)

    async def purge(self, queue: QueueKeyManager, key: str) -> int:
        """See :meth:`AsyncBackend.purge`."""
        return self.store.purge(queue, key)

    async def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """See :meth:`AsyncBackend.redrive`."""
        return self.store.redrive(queue, message_ids)

    async def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """See :meth:`AsyncBackend.forget_markers`."""
        del queue
        return self.store.forget_markers(markers)

    async def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """See :meth:`AsyncBackend.peek`."""
        return _peek(self, queue, key, count, oldest_first)

    async def wait_for_messages(
        self, queue: QueueKeyManager, timeout_seconds: float
    ) -> bool:
        """Suspend until a message reaches ``pending`` or the timeout.

        A push from any thread wakes the coroutine; the loop keeps running
        meanwhile.

        Returns:
            True at once if ``pending`` holds a message; otherwise True when a
            push woke the wait, False on timeout.
        """
        waiter = LoopWaiter(asyncio.get_running_loop())
        if not self.store.add_waiter(queue, waiter):
            return True
        try:
            return await waiter.wait(timeout_seconds)
        finally:
            self.store.remove_waiter(queue, waiter)


def _peek(
    backend: _MemoryBackendBase,
    queue: QueueKeyManager,
    key: str,
    count: int,
    oldest_first: bool,
) -> tuple[MessageData, ...]:
    # Every key of the queue lives in one store; the queue only routes on a cluster.
    del queue
    values = backend.store.values(
        key,
        max(count, 0),
        decode_responses=backend.decode_responses,
        oldest_first=oldest_first,
    )
    return tuple(values)


def _capabilities(clock: Clock) -> frozenset[Capability]:
    capabilities = {Capability.BLOCKING_WAIT}
    if isinstance(clock, ManualClock):
        capabilities.add(Capability.MANUAL_CLOCK)
    return frozenset(capabilities)
