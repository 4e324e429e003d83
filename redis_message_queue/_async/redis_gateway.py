"""``RedisGateway``: the gateway interface of 6.0.0 on our Redis backend.

A queue given ``gateway=RedisGateway(...)`` does not call these methods: it drives
the gateway's backend directly with the gateway's settings, one round trip per
operation, exactly as with ``client=``. The methods serve code that uses the
gateway on its own; each maps to backend operations on the queue that owns the key
names it is given. This module is the asyncio source; the sync gateway is generated.
"""

from __future__ import annotations

import collections
import logging

from redis_message_queue._async.claiming import Claimer
from redis_message_queue._async.emitter import EventEmitter
from redis_message_queue._async.publishing import publish_with_policy
from redis_message_queue._async.retrying import RetryingBackend
from redis_message_queue.adapters.gateway._async.interface import (
    AbstractRedisGateway,
)
from redis_message_queue.adapters.gateway.claimed_message import ClaimedMessage
from redis_message_queue.adapters.redis._async.primitives import AsyncRedisClient
from redis_message_queue.adapters.redis.connections import async_backend_for_client
from redis_message_queue.adapters.redis.errors import translated_errors
from redis_message_queue.core import validation
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.gateway_settings import (
    GatewaySettings,
    keys_from_key_name,
    validate_gateway_arguments,
)
from redis_message_queue.core.hash_slots import require_one_slot
from redis_message_queue.core.keys import DEFAULT_KEY_SEPARATOR, QueueKeyManager
from redis_message_queue.core.ports import (
    AsyncBackend,
    Capability,
    ClaimOptions,
    Outcome,
    Publication,
    PublishOptions,
    Settlement,
)
from redis_message_queue.core.retry import (
    DEFAULT_RETRY_BUDGET_SECONDS,
    DEFAULT_RETRY_INITIAL_DELAY_SECONDS,
    DEFAULT_RETRY_MAX_DELAY_SECONDS,
)
from redis_message_queue.core.settings import DEFAULT_BLOCK_TIMEOUT_SECONDS
from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
    require_interrupt_handler,
)

logger = logging.getLogger(__name__)

_REMEMBERED_LEASES = 10_000
"""Claims whose lease token a token-less settle can still find (oldest forgotten)."""


class RedisGateway(AbstractRedisGateway):
    """The gateway on a Redis or Valkey server; tune what ``client=`` cannot.

    Build one to choose the dedup window, the claim wait, the retry budget or a
    dead-letter key of your own, and pass it as ``RedisMessageQueue(name,
    gateway=...)``. Unlike the queue's ``client=`` default, a gateway gives leases
    only when ``message_visibility_timeout_seconds`` is set.

    Args:
        redis_client: A redis-py or valkey-py client of this gateway's flavour,
            single-node or cluster (not a pipeline, a Sentinel manager or a
            single-connection client).
        retry_budget_seconds: Total time for retrying a failed server call
            (0: no retries).
        retry_max_delay_seconds: The longest pause between retries.
        retry_initial_delay_seconds: The first pause between retries.
        message_deduplication_log_ttl_seconds: How long a dedup marker lives
            (``None``: 3600).
        message_wait_interval_seconds: How long one claim waits for a message
            (``None``: 5; 0 makes a single attempt).
        message_visibility_timeout_seconds: Lease length; ``None`` gives no
            leases (a crashed consumer's message stays in processing).
        max_delivery_count: Deliveries before a message is dead-lettered; needs
            the visibility timeout and ``dead_letter_queue``.
        dead_letter_queue: The key of the dead-letter list.
        max_pending_length: Cap on waiting messages; ``None`` for no cap.
        pending_overload_policy: ``"raise"``, ``"drop_oldest"`` or ``"block"``.
        pending_overload_block_timeout_seconds: How long ``"block"`` waits.
        interrupt: Stops waiting claims once it reports an interruption.

    Raises:
        TypeError: An argument has the wrong type, or the client is not one the
            gateway can share safely.
        ConfigurationError: An argument has a wrong value or arguments conflict.
    """

    def __init__(
        self,
        *,
        redis_client: AsyncRedisClient,
        retry_budget_seconds: int = DEFAULT_RETRY_BUDGET_SECONDS,
        retry_max_delay_seconds: float = DEFAULT_RETRY_MAX_DELAY_SECONDS,
        retry_initial_delay_seconds: float = DEFAULT_RETRY_INITIAL_DELAY_SECONDS,
        message_deduplication_log_ttl_seconds: int | None = None,
        message_wait_interval_seconds: int | None = None,
        message_visibility_timeout_seconds: int | None = None,
        max_delivery_count: int | None = None,
        dead_letter_queue: str | None = None,
        max_pending_length: int | None = None,
        pending_overload_policy: str = "raise",
        pending_overload_block_timeout_seconds: float = DEFAULT_BLOCK_TIMEOUT_SECONDS,
        interrupt: BaseGracefulInterruptHandler | None = None,
    ) -> None:
        self._server_backend = async_backend_for_client(redis_client)
        self._client = redis_client
        self._interrupt = require_interrupt_handler(interrupt)
        self._settings: GatewaySettings = validate_gateway_arguments(
            retry_budget_seconds=retry_budget_seconds,
            retry_max_delay_seconds=retry_max_delay_seconds,
            retry_initial_delay_seconds=retry_initial_delay_seconds,
            message_deduplication_log_ttl_seconds=(
                message_deduplication_log_ttl_seconds
            ),
            message_wait_interval_seconds=message_wait_interval_seconds,
            message_visibility_timeout_seconds=message_visibility_timeout_seconds,
            max_delivery_count=max_delivery_count,
            dead_letter_queue=dead_letter_queue,
            max_pending_length=max_pending_length,
            pending_overload_policy=pending_overload_policy,
            pending_overload_block_timeout_seconds=(
                pending_overload_block_timeout_seconds
            ),
        )
        self._backend: AsyncBackend = RetryingBackend(
            self._server_backend, self._settings.retry, interrupt=self._interrupt
        )
        self._bound_keys: dict[str, QueueKeyManager] = {}
        self._leases: collections.OrderedDict[MessageData, str] = (
            collections.OrderedDict()
        )

    # -- properties ---------------------------------------------------------------

    @property
    def message_visibility_timeout_seconds(self) -> int | None:
        """Lease length in seconds, or ``None`` when the gateway gives no leases."""
        return self._settings.visibility_timeout_seconds

    @property
    def max_delivery_count(self) -> int | None:
        """Deliveries before a message is dead-lettered, or ``None``."""
        return self._settings.max_delivery_count

    @property
    def dead_letter_queue(self) -> str | None:
        """The key of the dead-letter list, or ``None``."""
        return self._settings.dead_letter_queue

    @property
    def is_redis_cluster(self) -> bool:
        """Whether the client is a cluster client (queues then need a hash tag)."""
        return Capability.CLUSTER_ROUTING in self._server_backend.capabilities

    # -- publishing ---------------------------------------------------------------

    async def publish_message(self, queue: str, message: str, dedup_key: str) -> bool:
        """Push ``message`` onto the pending list ``queue`` unless ``dedup_key`` exists.

        Returns:
            True if enqueued, False if the marker suppressed it.

        Raises:
            QueueBackpressureError: The queue is full and the policy refused.
            LuaScriptError: A key holds a value of the wrong type.
        """
        keys = self._keys_for(queue, "pending")
        result = await publish_with_policy(
            self._backend,
            keys,
            Publication(stored=message, dedup_key=dedup_key),
            self._publish_options(),
            self._settings.pending_overload_block_timeout_seconds,
        )
        return result.enqueued[0]

    async def add_message(self, queue: str, message: str) -> None:
        """Push ``message`` onto the pending list ``queue`` unconditionally.

        Raises:
            QueueBackpressureError: The queue is full and the policy refused.
        """
        keys = self._keys_for(queue, "pending")
        await publish_with_policy(
            self._backend,
            keys,
            Publication(stored=message),
            self._publish_options(),
            self._settings.pending_overload_block_timeout_seconds,
        )

    # -- consuming ----------------------------------------------------------------

    async def wait_for_message_and_move(
        self, from_queue: str, to_queue: str
    ) -> ClaimedMessage | MessageData | None:
        """Claim the oldest message of ``from_queue``, waiting up to the interval.

        Expired leases are taken back and exhausted messages dead-lettered first.

        Args:
            from_queue: The queue's pending key.
            to_queue: The same queue's processing key.

        Returns:
            The claimed message with its lease token, or None when nothing arrived
            or the interrupt handler stopped the wait.

        Raises:
            ConfigurationError: The keys are not a pending and processing key of
                one queue.
        """
        keys = self._keys_for(from_queue, "pending")
        if to_queue != keys.processing:
            raise ConfigurationError(
                f"RedisGateway claims from a queue's pending list into its own "
                f"processing key ({keys.processing!r}), got {to_queue!r}"
            )
        claimer = Claimer(
            self._backend,
            keys,
            self._claim_options(),
            EventEmitter(keys.queue_name, None),
            interrupt=self._interrupt,
        )
        claims = await claimer.next_claims(self._settings.wait_seconds)
        if not claims:
            return None

        claim = claims[0]
        self._remember_lease(claim.stored, claim.lease_token)
        return ClaimedMessage(
            stored_message=claim.stored, lease_token=claim.lease_token
        )

    async def move_message(
        self,
        from_queue: str,
        to_queue: str,
        message: MessageData,
        *,
        lease_token: str | None = None,
    ) -> bool:
        """Settle a claimed message into the list ``to_queue`` (its bare payload).

        Args:
            from_queue: The queue's processing key.
            to_queue: The list that keeps the payload (completed, failed or any).
            message: The stored message as claimed.
            lease_token: The claim's token; without it, the token this gateway
                handed out for ``message`` is used.

        Returns:
            True if moved; False if the lease was lost or the message is unknown.
        """
        keys = self._keys_for(from_queue, "processing")
        outcome = Outcome.NACK if to_queue == keys.failed else Outcome.ACK
        return await self._settle(keys, message, lease_token, outcome, to_queue)

    async def remove_message(
        self, queue: str, message: MessageData, *, lease_token: str | None = None
    ) -> bool:
        """Settle a claimed message without keeping it.

        Args:
            queue: The queue's processing key.
            message: The stored message as claimed.
            lease_token: The claim's token (see :meth:`move_message`).

        Returns:
            True if removed; False if the lease was lost or the message is unknown.
        """
        keys = self._keys_for(queue, "processing")
        return await self._settle(keys, message, lease_token, Outcome.ACK, None)

    async def renew_message_lease(
        self,
        queue: str,
        message: MessageData,
        lease_token: str,
        *,
        is_interrupted: BaseGracefulInterruptHandler | None = None,
    ) -> bool:
        """Move the lease's deadline to now + the visibility timeout.

        Returns:
            True if renewed; False if the lease was lost or the gateway gives no
            leases.
        """
        lease_ms = self._settings.lease_ms
        if lease_ms is None:
            return False
        keys = self._keys_for(queue, "processing")
        backend = self._backend
        if is_interrupted is not None:
            # The caller's stop (a heartbeat ending) also ends the retries.
            either = _EitherInterrupt(self._interrupt, is_interrupted)
            backend = RetryingBackend(
                self._server_backend, self._settings.retry, interrupt=either
            )
        return await backend.renew(keys, message, lease_token, lease_ms)

    async def trim_queue(self, queue: str, max_length: int) -> None:
        """Keep only the newest ``max_length`` entries of the list ``queue``.

        Raises:
            TypeError: ``max_length`` is not an int.
            ConfigurationError: ``max_length`` is not greater than zero.
            LuaScriptError: ``queue`` holds a value of another type.
        """
        length = validation.positive_int("max_length", max_length)
        owner = QueueKeyManager(queue.rpartition(DEFAULT_KEY_SEPARATOR)[0] or queue)
        with translated_errors(owner, "trim"):
            await self._client.execute_command("LTRIM", queue, 0, length - 1)

    # -- the queue's hook ---------------------------------------------------------

    def _bind_queue_keys(self, keys: QueueKeyManager) -> None:
        """Learn a queue's key names, so its keys resolve with its separator."""
        self._bound_keys[keys.pending] = keys
        self._bound_keys[keys.processing] = keys

    # -- helpers ------------------------------------------------------------------

    async def _settle(
        self,
        keys: QueueKeyManager,
        message: MessageData,
        lease_token: str | None,
        outcome: Outcome,
        history_key: str | None,
    ) -> bool:
        token = lease_token if lease_token is not None else self._leases.get(message)
        if token is None:
            logger.warning(
                "no lease token for a message of queue %s; nothing settled",
                keys.queue_name,
            )
            return False
        settlement = Settlement(
            stored=message, lease_token=token, outcome=outcome, history_key=history_key
        )
        settled = await self._backend.settle(keys, settlement)
        self._leases.pop(message, None)
        return settled

    def _remember_lease(self, stored: MessageData, lease_token: str) -> None:
        self._leases[stored] = lease_token
        if len(self._leases) > _REMEMBERED_LEASES:
            self._leases.popitem(last=False)

    def _keys_for(self, key: str, role: str) -> QueueKeyManager:
        bound = self._bound_keys.get(key)
        if bound is not None:
            return bound
        keys = keys_from_key_name(key, role, self._settings)
        if self.is_redis_cluster:
            # Checked once per queue: its keys are remembered like a queue's.
            require_one_slot(keys)
            self._bind_queue_keys(keys)
        return keys

    def _claim_options(self) -> ClaimOptions:
        return ClaimOptions(
            max_messages=1,
            lease_ms=self._settings.lease_ms,
            max_delivery_count=self._settings.max_delivery_count,
        )

    def _publish_options(self) -> PublishOptions:
        return PublishOptions(
            dedup_ttl_seconds=self._settings.deduplication_ttl_seconds,
            max_pending_length=self._settings.max_pending_length,
            overload_policy=self._settings.pending_overload_policy,
        )


class _EitherInterrupt(BaseGracefulInterruptHandler):
    """Interrupted as soon as either of two handlers is."""

    def __init__(
        self,
        first: BaseGracefulInterruptHandler | None,
        second: BaseGracefulInterruptHandler,
    ) -> None:
        self._first = first
        self._second = second

    def is_interrupted(self) -> bool:
        """Whether either handler reports an interruption."""
        first = self._first is not None and self._first.is_interrupted()
        return first or self._second.is_interrupted()
