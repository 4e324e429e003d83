"""The gateway interface: how a queue reaches its server, as 6.0.0 defined it.

Subclass :class:`AbstractRedisGateway` to put a queue on storage of your own and pass
an instance as ``RedisMessageQueue(name, gateway=...)``. The queue always passes its
own key names (``queue.key.pending``, ``processing``, ``completed``, ``failed``) and
checks every result (see ``docs/gateways.md``). This module is the asyncio source;
the sync interface is generated from it.
"""

from __future__ import annotations

import abc

from redis_message_queue.adapters.gateway.claimed_message import ClaimedMessage
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
)


class AbstractRedisGateway(abc.ABC):
    """The server operations a queue needs; implement the seven abstract methods.

    A gateway that sets an attribute or property
    ``message_visibility_timeout_seconds`` to an int gives leases: its
    :meth:`wait_for_message_and_move` must then return :class:`ClaimedMessage`.
    """

    @property
    def is_redis_cluster(self) -> bool:
        """Whether the server is a cluster (the queue then checks its hash tags)."""
        return False

    @property
    def max_delivery_count(self) -> int | None:
        """Deliveries before the gateway dead-letters a message; None: no limit."""
        return None

    @property
    def dead_letter_queue(self) -> str | None:
        """The key the gateway dead-letters messages to, if any."""
        return None

    @abc.abstractmethod
    async def publish_message(self, queue: str, message: str, dedup_key: str) -> bool:
        """Push ``message`` onto the list ``queue`` unless ``dedup_key`` exists.

        Creating the marker ``dedup_key`` and pushing must be one atomic step.

        Returns:
            True if the message was pushed, False if the marker already existed.
        """

    @abc.abstractmethod
    async def add_message(self, queue: str, message: str) -> None:
        """Push ``message`` onto the list ``queue`` unconditionally.

        Must not be retried internally: a retry after a lost reply duplicates the
        message.
        """

    @abc.abstractmethod
    async def move_message(
        self,
        from_queue: str,
        to_queue: str,
        message: MessageData,
        *,
        lease_token: str | None = None,
    ) -> bool:
        """Move the exact stored element ``message`` from one list to another.

        With a ``lease_token``, refuse (return False, move nothing) when the token
        no longer holds the message.

        Returns:
            True if the message was moved.
        """

    @abc.abstractmethod
    async def remove_message(
        self, queue: str, message: MessageData, *, lease_token: str | None = None
    ) -> bool:
        """Remove the exact stored element ``message`` from ``queue``.

        With a ``lease_token``, refuse (return False) when the token no longer holds
        the message.

        Returns:
            True if the message was removed.
        """

    @abc.abstractmethod
    async def renew_message_lease(
        self,
        queue: str,
        message: MessageData,
        lease_token: str,
        *,
        is_interrupted: BaseGracefulInterruptHandler | None = None,
    ) -> bool:
        """Extend the lease ``lease_token`` holds on ``message``.

        Called from the heartbeat while the handler runs, concurrently with the
        queue's other calls. ``is_interrupted`` tells a retry loop to give up.

        Returns:
            True only if the lease was actually extended.
        """

    @abc.abstractmethod
    async def wait_for_message_and_move(
        self, from_queue: str, to_queue: str
    ) -> ClaimedMessage | MessageData | None:
        """Wait a bounded time (about 5 s at most) for a message and move it.

        Returns:
            The claimed message (a :class:`ClaimedMessage` when the gateway gives
            leases, else the stored element), or None when nothing arrived or the
            wait was interrupted.
        """

    @abc.abstractmethod
    async def trim_queue(self, queue: str, max_length: int) -> None:
        """Keep only the newest ``max_length`` entries of ``queue`` (best effort)."""
