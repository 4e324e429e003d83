"""The queue users hold: publish messages, process them one delivery at a time.

This module is the asyncio source; the sync queue is generated from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from redis_message_queue._async import primitives
from redis_message_queue._async.claiming import Claimer
from redis_message_queue._async.emitter import EventEmitter
from redis_message_queue._async.gateway_link import GatewayLink
from redis_message_queue._async.heartbeat import Heartbeat
from redis_message_queue._async.publishing import publish_with_policy
from redis_message_queue._async.retrying import RetryingBackend
from redis_message_queue._async.settling import Settler
from redis_message_queue.core import envelope, payload, validation
from redis_message_queue.core.arguments import (
    explicit_arguments,
    records_explicit_arguments,
)
from redis_message_queue.core.dedup import (
    default_deduplication_key,
    markers_of_dropped,
    require_deduplication_value,
)
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import (
    ConfigurationError,
    QueueDrainedError,
)
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.gateway_settings import (
    refuse_queue_arguments_with_gateway,
)
from redis_message_queue.core.hash_slots import require_one_slot
from redis_message_queue.core.keys import DEFAULT_KEY_SEPARATOR, QueueKeyManager
from redis_message_queue.core.ports import (
    AsyncBackend,
    Capability,
    Claim,
    ClaimOptions,
    Publication,
    PublishOptions,
    PublishResult,
)
from redis_message_queue.core.settings import (
    DEFAULT_BLOCK_TIMEOUT_SECONDS,
    DEFAULT_HISTORY_LENGTH,
    DEFAULT_MAX_DELIVERY_COUNT,
    DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    QueueSettings,
    validate_queue_arguments,
)
from redis_message_queue.core.stats import QueueStats
from redis_message_queue.interrupt_handler._interface import (
    require_interrupt_handler,
)

logger = logging.getLogger(__name__)

_DRAIN_POLL_SECONDS = 0.01
_REDRIVE_BATCH = 100
_LONGEST_DRAINED_PAUSE_SECONDS = 1.0


class RedisMessageQueue:
    """A reliable queue: deduplicated publishes, leased deliveries, dead letters.

    Args:
        name: The queue's name; every server key of the queue starts with it.
        gateway: A custom gateway (the 6.0.0 extension point).
        client: A Redis or Valkey client of this queue's flavour, single-node or
            cluster. On a cluster the name needs a hash tag, such as
            ``"{orders}"``, so that every key of the queue lives in one slot.
        backend: A storage backend, for example the in-memory one for unit tests.
        deduplication: Suppress a publish whose dedup key was seen within the
            dedup window (one hour).
        enable_completed_queue: Keep payloads of acknowledged messages.
        enable_failed_queue: Keep payloads of messages whose handler raised.
        visibility_timeout_seconds: Lease length; an unsettled message comes back
            after it. ``None`` disables leases (a crashed consumer's message stays).
        heartbeat_interval_seconds: Renew the lease this often while the handler
            runs; less than half the visibility timeout.
        max_completed_length: Keep at most this many completed payloads.
        max_failed_length: Keep at most this many failed payloads.
        max_delivery_count: Deliveries before a message goes to the dead-letter
            list.
        max_pending_length: Cap on waiting messages; ``None`` for no cap.
        pending_overload_policy: ``"raise"``, ``"drop_oldest"`` or ``"block"``.
        pending_overload_block_timeout_seconds: How long ``"block"`` waits.
        key_separator: Text between the name and each key's role.
        get_deduplication_key: Computes the dedup value of a message; ``None``
            uses the stored text itself.
        interrupt: A graceful interrupt handler that stops waiting consumers.
        on_heartbeat_failure: Called once when a heartbeat loses its lease.
        on_event: Receives a :class:`QueueEvent` for each operation.
        max_payload_bytes: Refuse larger payloads before any I/O.
        max_payload_depth: Refuse dicts nested deeper before any I/O.
        message_wait_interval_seconds: How long ``process_message()`` waits for a
            message before yielding ``None`` (default 5; 0 claims once).

    Raises:
        TypeError: An argument has the wrong type.
        ConfigurationError: An argument has a wrong value or arguments conflict.
    """

    @records_explicit_arguments
    def __init__(
        self,
        name: str,
        *,
        gateway: object = None,
        client: object = None,
        backend: object = None,
        deduplication: bool = True,
        enable_completed_queue: bool = False,
        enable_failed_queue: bool = False,
        visibility_timeout_seconds: int | None = DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
        heartbeat_interval_seconds: float | None = None,
        max_completed_length: int | None = DEFAULT_HISTORY_LENGTH,
        max_failed_length: int | None = DEFAULT_HISTORY_LENGTH,
        max_delivery_count: int | None = DEFAULT_MAX_DELIVERY_COUNT,
        max_pending_length: int | None = None,
        pending_overload_policy: str = "raise",
        pending_overload_block_timeout_seconds: float = DEFAULT_BLOCK_TIMEOUT_SECONDS,
        key_separator: str = DEFAULT_KEY_SEPARATOR,
        get_deduplication_key: Callable[[Any], Any] | None = (
            default_deduplication_key
        ),
        interrupt: object = None,
        on_heartbeat_failure: Callable[[], Any] | None = None,
        on_event: Callable[..., Any] | None = None,
        max_payload_bytes: int | None = None,
        max_payload_depth: int | None = None,
        message_wait_interval_seconds: float | None = None,
    ) -> None:
        if gateway is not None:
            refuse_queue_arguments_with_gateway(
                explicit_arguments(self), client=client, interrupt=interrupt
            )
        self._settings: QueueSettings = validate_queue_arguments(
            name,
            asynchronous=primitives.IS_ASYNC,
            key_separator=key_separator,
            deduplication=deduplication,
            enable_completed_queue=enable_completed_queue,
            enable_failed_queue=enable_failed_queue,
            visibility_timeout_seconds=visibility_timeout_seconds,
            heartbeat_interval_seconds=heartbeat_interval_seconds,
            max_completed_length=max_completed_length,
            max_failed_length=max_failed_length,
            max_delivery_count=max_delivery_count,
            max_pending_length=max_pending_length,
            pending_overload_policy=pending_overload_policy,
            pending_overload_block_timeout_seconds=(
                pending_overload_block_timeout_seconds
            ),
            get_deduplication_key=get_deduplication_key,
            on_heartbeat_failure=on_heartbeat_failure,
            on_event=on_event,
            max_payload_bytes=max_payload_bytes,
            max_payload_depth=max_payload_depth,
            message_wait_interval_seconds=message_wait_interval_seconds,
        )
        self._emitter = EventEmitter(self._settings.name, on_event)
        chosen_backend, self._gateway = _choose_backend(
            gateway=gateway, client=client, backend=backend
        )
        self.key = QueueKeyManager(self._settings.name, self._settings.key_separator)
        interrupt_handler = require_interrupt_handler(interrupt)
        if self._gateway is not None:
            self._settings, self.key = self._gateway.attach(
                self._settings, self._emitter
            )
            interrupt_handler = self._gateway.interrupt
        elif Capability.CLUSTER_ROUTING in chosen_backend.capabilities:
            require_one_slot(self.key)
        self._backend = RetryingBackend(
            chosen_backend,
            self._gateway.retry_policy if self._gateway is not None else None,
            emitter=self._emitter,
            interrupt=interrupt_handler,
        )
        self._settler = Settler(self._backend, self.key, self._settings, self._emitter)
        self._claimer = Claimer(
            self._backend,
            self.key,
            self._claim_options(),
            self._emitter,
            interrupt=interrupt_handler,
        )
        self._draining = False
        self._in_flight = 0
        self._on_heartbeat_failure = on_heartbeat_failure

    # -- publishing ---------------------------------------------------------------

    async def publish(self, message: str | dict[str, Any]) -> bool:
        """Publish one message.

        Args:
            message: A str, or a dict with str keys (stored as canonical JSON).

        Returns:
            True if the message was enqueued, False if deduplication suppressed it.

        Raises:
            TypeError: The message or a top-level key has the wrong type.
            ValueError: The dict holds NaN or an infinity, or the text is not valid
                Unicode.
            QueueBackpressureError: The queue is full and the policy refused.
            QueueDrainedError: :meth:`drain` was called.
        """
        if self._draining:
            raise QueueDrainedError(
                "the queue was drained and publishes no more messages",
                queue=self._settings.name,
                operation="publish",
            )
        text = payload.serialize(message)
        payload.check_limits(
            message,
            text,
            max_bytes=self._settings.max_payload_bytes,
            max_depth=self._settings.max_payload_depth,
        )
        dedup_key = await self._deduplication_key(message, text)
        stored = envelope.encode(text)
        message_id = envelope.decode(stored).message_id

        started = time.perf_counter()
        try:
            result = await self._publish_with_policy(
                Publication(stored=stored, dedup_key=dedup_key)
            )
        except Exception as exc:
            await self._emitter.emit(
                EventOperation.PUBLISH,
                EventOutcome.FAILURE,
                error=exc,
                started=started,
                message_id=message_id,
            )
            raise

        enqueued = result.enqueued[0]
        await self._report_drops(result.dropped)
        await self._report_publish(enqueued, message_id, started)
        return enqueued

    async def _deduplication_key(self, message: object, text: str) -> str | None:
        if not self._settings.deduplication:
            return None
        function = self._settings.get_deduplication_key
        if function is None:
            return self.key.deduplication(text)

        value = await primitives.call_user_function(function, message)
        return self.key.deduplication(require_deduplication_value(value))

    async def _publish_with_policy(self, publication: Publication) -> PublishResult:
        return await publish_with_policy(
            self._backend,
            self.key,
            publication,
            self._publish_options(),
            self._settings.pending_overload_block_timeout_seconds,
        )

    async def _report_drops(self, dropped: tuple[MessageData, ...]) -> None:
        if not dropped:
            return
        for stored in dropped:
            message_id = envelope.decode(stored).message_id
            logger.warning(
                "queue %s is full; dropped its oldest message %s",
                self._settings.name,
                message_id,
            )
            await self._emitter.emit(
                EventOperation.DROPPED, EventOutcome.SUCCESS, message_id=message_id
            )
        # A dropped message was never delivered: its producer may publish it again.
        markers = markers_of_dropped(self._settings, self.key, dropped)
        if markers:
            await self._backend.forget_markers(self.key, markers)

    async def _report_publish(
        self, enqueued: bool, message_id: str | None, started: float
    ) -> None:
        if enqueued:
            operation, outcome = EventOperation.PUBLISH, EventOutcome.SUCCESS
        else:
            operation, outcome = EventOperation.PUBLISH_DEDUP_HIT, EventOutcome.SKIPPED
        await self._emitter.emit(
            operation, outcome, started=started, message_id=message_id
        )

    # -- consuming ----------------------------------------------------------------

    @asynccontextmanager
    async def process_message(self) -> AsyncIterator[MessageData | None]:
        """Claim one message and settle it when the ``with`` block ends.

        Yields the payload (``bytes``, or ``str`` when the client decodes
        responses), or ``None`` when nothing arrived within the wait. A block that
        ends normally acknowledges the message; one that raises an exception fails
        it (moved to the failed list when enabled) and the exception propagates.
        ``KeyboardInterrupt``, ``SystemExit`` and ``GeneratorExit`` leave the
        message claimed, so its lease brings it back later.
        """
        claim = await self._next_claim()
        if claim is None:
            yield None
            return

        message = envelope.decode(claim.stored)
        heartbeat = self._start_heartbeat(claim)
        self._in_flight += 1
        try:
            yield message.payload
        except BaseException as exc:
            if heartbeat is not None:
                await heartbeat.stop()
            await self._after_handler_raised(claim, message, exc)
            raise
        else:
            if heartbeat is not None:
                await heartbeat.stop()
            # A cancellation arriving now waits until the ack is done, then counts.
            await primitives.shielded(self._settler.acknowledge(claim, message))
        finally:
            self._in_flight -= 1

    async def process_message_callback(self, handler: Callable[[Any], Any]) -> bool:
        """Claim one message and run ``handler(payload)`` with the same lifecycle as
        :meth:`process_message`.

        Args:
            handler: Called with the payload; on the asyncio queue it may be async.

        Returns:
            True if a message was handled, False if none arrived within the wait.
        """
        async with self.process_message() as message:
            if message is None:
                return False
            await primitives.call_user_function(handler, message)
            return True

    def _start_heartbeat(self, claim: Claim) -> Heartbeat | None:
        interval = self._settings.heartbeat_interval_seconds
        lease_ms = self._settings.lease_ms
        if interval is None or lease_ms is None:
            return None
        heartbeat = Heartbeat(
            self._backend,
            self.key,
            claim,
            lease_ms=lease_ms,
            interval_seconds=interval,
            emitter=self._emitter,
            on_failure=self._on_heartbeat_failure,
        )
        heartbeat.start()
        return heartbeat

    async def _after_handler_raised(
        self, claim: Claim, message: envelope.Envelope, error: BaseException
    ) -> None:
        if primitives.leaves_message_claimed(error):
            logger.warning(
                "handler interrupted on queue %s; message %s stays claimed until "
                "its lease expires",
                self._settings.name,
                message.message_id,
            )
            return
        # The handler's exception is what the caller sees, so one cancellation
        # during this cleanup is absorbed rather than raised over it.
        await primitives.shielded(
            self._settler.fail(claim, message, error), absorb_cancellation=True
        )

    async def _next_claim(self) -> Claim | None:
        if self._draining:
            # Pausing keeps a consumer loop that ignores is_draining from spinning.
            pause = min(self._settings.wait_seconds, _LONGEST_DRAINED_PAUSE_SECONDS)
            await primitives.sleep(pause)
            await self._emitter.emit(EventOperation.CLAIM_EMPTY, EventOutcome.SKIPPED)
            return None

        started = time.perf_counter()
        claims = await self._claimer.next_claims(self._settings.wait_seconds)
        if not claims:
            await self._emitter.emit(EventOperation.CLAIM_EMPTY, EventOutcome.SKIPPED)
            return None

        claim = claims[0]
        await self._emitter.emit(
            EventOperation.CLAIM,
            EventOutcome.SUCCESS,
            started=started,
            lease_token=claim.lease_token,
            message_id=envelope.decode(claim.stored).message_id,
            # A custom gateway reports no count (0): the event says "unknown".
            delivery_count=claim.delivery_count or None,
        )
        return claim

    # -- inspection and shutdown --------------------------------------------------

    async def stats(self) -> QueueStats:
        """Count the messages in each part of the queue."""
        depths = await self._backend.depths(self.key)
        return QueueStats.from_depths(
            depths,
            completed_enabled=self._settings.enable_completed_queue,
            failed_enabled=self._settings.enable_failed_queue,
        )

    async def peek(
        self, count: int = 1, *, source: str = "pending"
    ) -> list[MessageData]:
        """Read payloads without changing anything.

        Args:
            count: How many at most.
            source: ``"pending"`` (the next messages a claim takes, in order),
                ``"completed"``, ``"failed"`` or ``"dead_letter"`` (newest first).

        Raises:
            TypeError: ``count`` is not an int.
            ConfigurationError: ``count`` is below 1 or ``source`` is unknown.
        """
        limit = validation.positive_int("count", count)
        key = self.key.list_key(source)
        stored = await self._backend.peek(
            self.key, key, limit, oldest_first=source == "pending"
        )
        return [envelope.decode(value).payload for value in stored]

    async def redrive_dead_letters(self, max_messages: int | None = None) -> int:
        """Move dead letters back to pending, oldest first, with a fresh budget.

        Each payload is published again in a fresh envelope, so its delivery count
        starts from zero. Dedup markers are not consulted.

        Args:
            max_messages: Move at most this many; ``None`` moves them all.

        Returns:
            How many messages were moved.
        """
        limit = validation.optional_positive_int("max_messages", max_messages)
        moved = 0
        while limit is None or moved < limit:
            batch = (
                _REDRIVE_BATCH if limit is None else min(_REDRIVE_BATCH, limit - moved)
            )
            ids = [envelope.new_message_id() for _ in range(batch)]
            step = await self._backend.redrive(self.key, ids)
            moved += step
            if step < batch:
                break
        logger.info("redrove %d dead letters of %s", moved, self._settings.name)
        return moved

    async def purge(self, *, target: str) -> int:
        """Delete every entry of one list of the queue.

        Args:
            target: ``"pending"``, ``"completed"``, ``"failed"`` or
                ``"dead_letter"``. Processing cannot be purged: its messages belong
                to running handlers.

        Returns:
            How many entries were deleted.

        Raises:
            ConfigurationError: ``target`` is ``"processing"`` or unknown.
        """
        if target == "processing":
            raise ConfigurationError(
                "processing cannot be purged: its messages belong to running handlers"
            )
        key = self.key.list_key(target, "target")
        removed = await self._backend.purge(self.key, key)
        logger.warning("purged %d entries from %s", removed, key)
        return removed

    @property
    def is_draining(self) -> bool:
        """Whether :meth:`drain` was called: no new deliveries start."""
        return self._draining

    @property
    def is_drained(self) -> bool:
        """Whether draining has finished: no delivery of this queue is running."""
        return self._draining and self._in_flight == 0

    async def drain(self, timeout: float | None = None) -> bool:
        """Stop new deliveries and wait for the running ones to settle.

        Later ``process_message()`` calls yield ``None`` without touching the
        server (after a short pause, so a loop that ignores :attr:`is_draining`
        does not spin), and ``publish()`` raises :class:`QueueDrainedError`.
        Running handlers are not interrupted.

        Args:
            timeout: Seconds to wait for running deliveries; ``None`` waits as long
                as they take, 0 only reports.

        Returns:
            True when no delivery of this queue is still running.

        Raises:
            TypeError: ``timeout`` is not a number.
            ConfigurationError: ``timeout`` is negative.
        """
        _check_timeout(timeout)
        self._draining = True
        deadline = None if timeout is None else primitives.monotonic() + timeout
        while self._in_flight:
            if deadline is not None and primitives.monotonic() >= deadline:
                return False
            await primitives.sleep(_DRAIN_POLL_SECONDS)
        await self._backend.release_unresolved_claims()
        if self._backend.has_unresolved_claims:
            return False
        if self._gateway is not None:
            return await self._gateway.drain(self.key, deadline)
        return True

    async def aclose(self, timeout: float | None = None) -> bool:
        """The same as :meth:`drain` (the asyncio spelling of 6.0.0)."""
        return await self.drain(timeout)

    # -- construction helpers -----------------------------------------------------

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


def _choose_backend(
    *, gateway: object, client: object, backend: object
) -> tuple[AsyncBackend, GatewayLink | None]:
    candidates = {"gateway": gateway, "client": client, "backend": backend}
    given = [label for label, value in candidates.items() if value is not None]
    if not given:
        raise ConfigurationError(
            "Either 'client' or 'gateway' must be provided (or 'backend', such as "
            "the in-memory backend for tests)"
        )
    if len(given) > 1:
        raise ConfigurationError(
            f"give only one of 'client', 'gateway' or 'backend', got {given}"
        )
    if backend is not None:
        return primitives.require_backend(backend), None
    if client is not None:
        return primitives.backend_for_client(client), None
    link = GatewayLink(gateway)
    return link.backend, link


def _check_timeout(timeout: object) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"'timeout' must be a number or None, got {timeout!r}")
    if timeout < 0:
        raise ConfigurationError(f"'timeout' must be >= 0, got {timeout!r}")
