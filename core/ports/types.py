"""Values that cross the backend port, in both directions."""

from __future__ import annotations

import enum

import attrs

from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.settings import OverloadPolicy


class Capability(enum.Enum):
    """Optional abilities of a backend; the contract suite skips what is absent."""

    BLOCKING_WAIT = "blocking_wait"
    """``wait_for_messages`` sleeps until a publish instead of returning at once."""

    SERVER_TIME = "server_time"
    """Lease deadlines are measured by the server's clock, not the client's."""

    MANUAL_CLOCK = "manual_clock"
    """Time is an injected clock the tests can move (see ``clock`` on the backend)."""

    CLUSTER_ROUTING = "cluster_routing"
    """The backend routes a queue's keys to cluster nodes by hash slot."""

    TYPE_CHECKED_KEYS = "type_checked_keys"
    """A key holding the wrong type is refused before anything is written."""


class Outcome(enum.Enum):
    """How a claimed message is settled."""

    ACK = "ack"
    NACK = "nack"


@attrs.frozen
class Publication:
    """One message to publish.

    Attributes:
        stored: The envelope text to push onto ``pending``.
        dedup_key: The full marker key; ``None`` publishes unconditionally.
    """

    stored: str
    dedup_key: str | None = None


@attrs.frozen
class PublishOptions:
    """How a publish treats duplicates and a full queue.

    Attributes:
        dedup_ttl_seconds: How long a dedup marker suppresses equal publishes.
        max_pending_length: The cap on ``pending``; ``None`` for no cap.
        overload_policy: ``RAISE`` and ``BLOCK`` refuse a batch that does not fit
            (the runtime retries ``BLOCK``); ``DROP_OLDEST`` makes room.
    """

    dedup_ttl_seconds: int = 3600
    max_pending_length: int | None = None
    overload_policy: OverloadPolicy = OverloadPolicy.RAISE


@attrs.frozen
class PublishResult:
    """What a publish did.

    Attributes:
        enqueued: One flag per publication, in order: True if pushed, False if a
            live dedup marker suppressed it.
        dropped: Stored values removed from the old end of ``pending`` to make room.
    """

    enqueued: tuple[bool, ...]
    dropped: tuple[MessageData, ...] = ()


@attrs.frozen
class ClaimOptions:
    """How a claim takes messages.

    Attributes:
        max_messages: Claim up to this many messages in one step.
        lease_ms: Lease length; ``None`` claims without a lease (never reclaimed).
        max_delivery_count: Deliveries before a message is dead-lettered.
        reclaim_limit: At most this many expired leases are taken back per step.
    """

    max_messages: int = 1
    lease_ms: int | None = None
    max_delivery_count: int | None = None
    reclaim_limit: int = 100


@attrs.frozen
class Claim:
    """A message handed to a consumer.

    Attributes:
        stored: The element exactly as stored (the handle for settle and renew).
        lease_token: The token that proves this consumer holds the message.
        delivery_count: Which delivery this is (1 for the first).
    """

    stored: MessageData
    lease_token: str
    delivery_count: int


@attrs.frozen
class ClaimResult:
    """What a claim step did.

    Attributes:
        claims: The messages now held by the caller, oldest first.
        reclaimed: Stored values whose lease had expired, put back on ``pending``.
        dead_lettered: Stored values (as taken from ``pending``) whose payloads
            were moved to the dead-letter list in this step.
        next_expiry_ms: Milliseconds until the earliest live lease expires, or
            ``None`` when no lease is held; lets an idle consumer wake in time.
    """

    claims: tuple[Claim, ...] = ()
    reclaimed: tuple[MessageData, ...] = ()
    dead_lettered: tuple[MessageData, ...] = ()
    next_expiry_ms: int | None = None


@attrs.frozen
class Settlement:
    """The end of one delivery.

    Attributes:
        stored: The claimed element.
        lease_token: The token the claim returned.
        outcome: Acknowledge (handler finished) or fail (handler raised).
        history_key: Where to keep the payload (completed or failed list), or
            ``None`` to drop it.
        history_payload: The payload to push onto ``history_key``.
        history_limit: Keep at most this many newest entries in ``history_key``.
        record_seconds: When set, a successful settle leaves a record of itself
            for this many seconds, so that repeating the call (its reply was
            lost) returns True again; ``None`` leaves no record.
    """

    stored: MessageData
    lease_token: str
    outcome: Outcome
    history_key: str | None = None
    history_payload: MessageData | None = None
    history_limit: int | None = None
    record_seconds: int | None = None


@attrs.frozen
class QueueDepths:
    """How many entries each part of a queue holds."""

    pending: int
    processing: int
    completed: int
    failed: int
    dead_letter: int
