"""Gateways a user could write for 6.0.0, on plain Redis list commands.

``ListGateway`` gives no leases: it moves stored elements between lists, as the
gateway interface describes. ``LeasedListGateway`` also hands out lease tokens,
kept in a hash beside ``processing``. Each exists in both flavours and records
every call, so tests can check what the queue passed.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

import redis
import redis.asyncio

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import ClaimedMessage, MessageData
from redis_message_queue._stored_message import decode_stored_message
from redis_message_queue.interrupt_handler import BaseGracefulInterruptHandler

Call = tuple[Any, ...]


def _tokens_key(processing: str) -> str:
    return processing + ":tokens"


class ListGateway(redis_message_queue.AbstractRedisGateway):
    """A sync gateway without leases."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.calls: list[Call] = []

    def publish_message(self, queue: str, message: str, dedup_key: str) -> bool:
        """Push unless the marker exists (two commands: fine for a test)."""
        self.calls.append(("publish_message", queue, dedup_key))
        if not self.client.set(dedup_key, "", nx=True, ex=3600):
            return False
        self.client.lpush(queue, message)
        return True

    def add_message(self, queue: str, message: str) -> None:
        """Push unconditionally."""
        self.calls.append(("add_message", queue))
        self.client.lpush(queue, message)

    def move_message(
        self,
        from_queue: str,
        to_queue: str,
        message: MessageData,
        *,
        lease_token: str | None = None,
    ) -> bool:
        """Remove the element, keep its bare payload in ``to_queue``."""
        self.calls.append(("move_message", from_queue, to_queue, lease_token))
        if not self._release(from_queue, message, lease_token):
            return False
        self.client.lpush(to_queue, decode_stored_message(message))
        return True

    def remove_message(
        self, queue: str, message: MessageData, *, lease_token: str | None = None
    ) -> bool:
        """Remove the element."""
        self.calls.append(("remove_message", queue, lease_token))
        return self._release(queue, message, lease_token)

    def renew_message_lease(
        self,
        queue: str,
        message: MessageData,
        lease_token: str,
        *,
        is_interrupted: BaseGracefulInterruptHandler | None = None,
    ) -> bool:
        """No leases: nothing to renew."""
        self.calls.append(("renew_message_lease", queue, lease_token))
        return False

    def wait_for_message_and_move(
        self, from_queue: str, to_queue: str
    ) -> ClaimedMessage | MessageData | None:
        """Move the oldest element (a wait of zero: fine for a test)."""
        self.calls.append(("wait_for_message_and_move", from_queue, to_queue))
        moved: MessageData | None = self.client.lmove(
            from_queue, to_queue, "RIGHT", "LEFT"
        )
        return moved

    def trim_queue(self, queue: str, max_length: int) -> None:
        """Keep the newest entries."""
        self.calls.append(("trim_queue", queue, max_length))
        self.client.ltrim(queue, 0, max_length - 1)

    def _release(self, queue: str, message: MessageData, token: str | None) -> bool:
        removed: int = self.client.lrem(queue, 1, cast(str, message))
        return removed == 1


class LeasedListGateway(ListGateway):
    """A sync gateway with lease tokens (a token hash beside ``processing``)."""

    message_visibility_timeout_seconds = 30

    def wait_for_message_and_move(
        self, from_queue: str, to_queue: str
    ) -> ClaimedMessage | MessageData | None:
        """Move the oldest element and hand out a token for it."""
        moved = super().wait_for_message_and_move(from_queue, to_queue)
        if moved is None or isinstance(moved, ClaimedMessage):
            return moved
        token = uuid.uuid4().hex
        self.client.hset(_tokens_key(to_queue), token, moved)
        return ClaimedMessage(stored_message=moved, lease_token=token)

    def renew_message_lease(
        self,
        queue: str,
        message: MessageData,
        lease_token: str,
        *,
        is_interrupted: BaseGracefulInterruptHandler | None = None,
    ) -> bool:
        """The lease is alive while its token is known."""
        self.calls.append(("renew_message_lease", queue, lease_token))
        return bool(self.client.hexists(_tokens_key(queue), lease_token))

    def _release(self, queue: str, message: MessageData, token: str | None) -> bool:
        if token is None or not self.client.hdel(_tokens_key(queue), token):
            return False
        return super()._release(queue, message, token)


class AsyncListGateway(redis_message_queue.asyncio.AbstractRedisGateway):
    """An asyncio gateway without leases."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.client = client
        self.calls: list[Call] = []

    async def publish_message(self, queue: str, message: str, dedup_key: str) -> bool:
        """Push unless the marker exists."""
        self.calls.append(("publish_message", queue, dedup_key))
        if not await self.client.set(dedup_key, "", nx=True, ex=3600):
            return False
        await self.client.lpush(queue, message)
        return True

    async def add_message(self, queue: str, message: str) -> None:
        """Push unconditionally."""
        self.calls.append(("add_message", queue))
        await self.client.lpush(queue, message)

    async def move_message(
        self,
        from_queue: str,
        to_queue: str,
        message: MessageData,
        *,
        lease_token: str | None = None,
    ) -> bool:
        """Remove the element, keep its bare payload in ``to_queue``."""
        self.calls.append(("move_message", from_queue, to_queue, lease_token))
        if not await self._release(from_queue, message, lease_token):
            return False
        await self.client.lpush(to_queue, decode_stored_message(message))
        return True

    async def remove_message(
        self, queue: str, message: MessageData, *, lease_token: str | None = None
    ) -> bool:
        """Remove the element."""
        self.calls.append(("remove_message", queue, lease_token))
        return await self._release(queue, message, lease_token)

    async def renew_message_lease(
        self,
        queue: str,
        message: MessageData,
        lease_token: str,
        *,
        is_interrupted: BaseGracefulInterruptHandler | None = None,
    ) -> bool:
        """No leases: nothing to renew."""
        self.calls.append(("renew_message_lease", queue, lease_token))
        return False

    async def wait_for_message_and_move(
        self, from_queue: str, to_queue: str
    ) -> ClaimedMessage | MessageData | None:
        """Move the oldest element (a wait of zero: fine for a test)."""
        self.calls.append(("wait_for_message_and_move", from_queue, to_queue))
        moved: MessageData | None = await self.client.lmove(
            from_queue, to_queue, "RIGHT", "LEFT"
        )
        return moved

    async def trim_queue(self, queue: str, max_length: int) -> None:
        """Keep the newest entries."""
        self.calls.append(("trim_queue", queue, max_length))
        await self.client.ltrim(queue, 0, max_length - 1)

    async def _release(
        self, queue: str, message: MessageData, token: str | None
    ) -> bool:
        removed: int = await self.client.lrem(queue, 1, cast(str, message))
        return removed == 1


class AsyncLeasedListGateway(AsyncListGateway):
    """An asyncio gateway with lease tokens."""

    message_visibility_timeout_seconds = 30

    async def wait_for_message_and_move(
        self, from_queue: str, to_queue: str
    ) -> ClaimedMessage | MessageData | None:
        """Move the oldest element and hand out a token for it."""
        moved = await super().wait_for_message_and_move(from_queue, to_queue)
        if moved is None or isinstance(moved, ClaimedMessage):
            return moved
        token = uuid.uuid4().hex
        await self.client.hset(_tokens_key(to_queue), token, moved)
        return ClaimedMessage(stored_message=moved, lease_token=token)

    async def renew_message_lease(
        self,
        queue: str,
        message: MessageData,
        lease_token: str,
        *,
        is_interrupted: BaseGracefulInterruptHandler | None = None,
    ) -> bool:
        """The lease is alive while its token is known."""
        self.calls.append(("renew_message_lease", queue, lease_token))
        return bool(await self.client.hexists(_tokens_key(queue), lease_token))

    async def _release(
        self, queue: str, message: MessageData, token: str | None
    ) -> bool:
        if token is None or not await self.client.hdel(_tokens_key(queue), token):
            return False
        return await super()._release(queue, message, token)


AnyListGateway = ListGateway | AsyncListGateway
