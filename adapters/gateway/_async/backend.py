"""The backend port over a user's gateway, so a queue can drive any gateway.

Each port call becomes one or two gateway calls, and every result is checked
(``adapters/gateway/contract.py``). The gateway owns its waiting, leases, caps and
dead letters; what the port asks beyond the gateway interface (counting, peeking)
is refused. This module is the asyncio source; the sync backend is generated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from redis_message_queue.adapters.gateway import contract
from redis_message_queue.adapters.gateway._async.interface import (
    AbstractRedisGateway,
)
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports._async.backend import AsyncBackend
from redis_message_queue.core.ports.types import (
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
)

logger = logging.getLogger(__name__)


class AsyncGatewayBackend(AsyncBackend):
    """Drives a user's :class:`AbstractRedisGateway` through the backend port.

    ``claim`` waits as long as the gateway's ``wait_for_message_and_move`` does
    (the port's claim never waits; a queue on this backend makes one claim call
    per wait). Publish options and claim options are the gateway's business and
    are not passed on.

    Args:
        gateway: The user's gateway, of the asyncio flavour.
        lease_capable: Whether the gateway gives leases, so that each claim must
            come with a lease token.
    """

    def __init__(
        self,
        gateway: AbstractRedisGateway,
        *,
        lease_capable: bool,
    ) -> None:
        self._gateway = gateway
        self._lease_capable = lease_capable
        self._emit: Callable[..., Any] | None = None

    def report_events_to(self, emit: Callable[..., Any]) -> None:
        """Send this backend's own events (failed trims) to ``emit``.

        Args:
            emit: The queue's event emitter, called as
                ``emit(operation, outcome, **fields)``.
        """
        self._emit = emit

    async def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """Publish each message with ``publish_message`` (dedup) or ``add_message``.

        Raises:
            GatewayContractError: The gateway returned the wrong type.
        """
        del options  # the gateway applies its own dedup window and cap
        enqueued = [await self._publish_one(queue, p) for p in publications]
        return PublishResult(enqueued=tuple(enqueued))

    async def _publish_one(
        self, queue: QueueKeyManager, publication: Publication
    ) -> bool:
        if publication.dedup_key is None:
            # User code may break its declared return type: that is what is checked.
            add_message: Callable[..., Any] = self._gateway.add_message
            added = await add_message(queue.pending, publication.stored)
            contract.require_none(added, "add_message", queue)
            return True

        published = await self._gateway.publish_message(
            queue.pending, publication.stored, publication.dedup_key
        )
        return contract.require_bool(published, "publish_message", queue)

    async def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """Claim one message with ``wait_for_message_and_move``.

        Raises:
            GatewayContractError: The gateway returned the wrong type, or no lease
                token although it gives leases.
        """
        del options, claim_id  # the gateway claims one message under its own rules
        result = await self._gateway.wait_for_message_and_move(
            queue.pending, queue.processing
        )
        claim = contract.claim_from_result(
            result, lease_capable=self._lease_capable, queue=queue
        )
        if claim is None:
            return ClaimResult()
        return ClaimResult(claims=(claim,))

    async def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """Move the message to its history list, or remove it; then trim the list.

        A failing trim is logged and reported as a ``trim_failed`` event, never
        raised: the message is already settled.

        Raises:
            GatewayContractError: The gateway returned the wrong type.
        """
        lease_token = contract.lease_token_or_none(settlement.lease_token)
        history_key = settlement.history_key
        if history_key is None:
            removed = await self._gateway.remove_message(
                queue.processing, settlement.stored, lease_token=lease_token
            )
            return contract.require_bool(removed, "remove_message", queue)

        moved = await self._gateway.move_message(
            queue.processing, history_key, settlement.stored, lease_token=lease_token
        )
        if contract.require_bool(moved, "move_message", queue):
            await self._trim(queue, history_key, settlement.history_limit)
        return moved

    async def _trim(
        self, queue: QueueKeyManager, key: str, max_length: int | None
    ) -> None:
        if max_length is None:
            return
        try:
            await self._gateway.trim_queue(key, max_length)
        except Exception as exc:
            logger.warning(
                "trimming %s of queue %s failed", key, queue.queue_name, exc_info=exc
            )
            if self._emit is not None:
                await self._emit(
                    EventOperation.TRIM_FAILED,
                    EventOutcome.FAILURE,
                    error=exc,
                    destination_queue=key,
                )

    async def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """Extend the lease with ``renew_message_lease`` (for the gateway's lease).

        Raises:
            GatewayContractError: The gateway returned the wrong type.
        """
        del lease_ms  # the gateway's own visibility timeout applies
        renewed = await self._gateway.renew_message_lease(
            queue.processing, stored, lease_token
        )
        return contract.require_bool(renewed, "renew_message_lease", queue)

    async def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Refused: the gateway interface cannot count messages.

        Raises:
            ConfigurationError: Always.
        """
        raise _unsupported(queue, "counting messages (stats())")

    async def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """Refused: the gateway interface cannot read lists.

        Raises:
            ConfigurationError: Always.
        """
        del key, count, oldest_first
        raise _unsupported(queue, "reading lists (peek())")

    async def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """Refused: the gateway interface cannot give claims back.

        Raises:
            ConfigurationError: Always.
        """
        del lease_tokens
        raise _unsupported(queue, "release of claims")

    async def purge(self, queue: QueueKeyManager, key: str) -> int:
        """Refused: the gateway interface cannot empty lists.

        Raises:
            ConfigurationError: Always.
        """
        del key
        raise _unsupported(queue, "purging (purge())")

    async def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """Refused: the gateway interface cannot move dead letters.

        Raises:
            ConfigurationError: Always.
        """
        del message_ids
        raise _unsupported(queue, "redriving dead letters")

    async def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """Refused: the gateway interface cannot delete dedup markers.

        Raises:
            ConfigurationError: Always.
        """
        del markers
        raise _unsupported(queue, "deleting dedup markers")


def _unsupported(queue: QueueKeyManager, what: str) -> ConfigurationError:
    return ConfigurationError(
        f"queue {queue.queue_name!r} runs on a custom gateway, which offers no "
        f"{what}; build the queue with client= for that"
    )
