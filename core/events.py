"""Observability events: what happened to which message, delivered to ``on_event``."""

from __future__ import annotations

import dataclasses
import enum
import hashlib


class EventOperation(enum.StrEnum):
    """The operation an event reports; values equal the 6.0.0 strings."""

    PUBLISH = "publish"
    PUBLISH_DEDUP_HIT = "publish_dedup_hit"
    CLAIM = "claim"
    CLAIM_EMPTY = "claim_empty"
    CLAIM_RECLAIM = "claim_reclaim"
    ACK = "ack"
    NACK = "nack"
    DLQ = "dlq"
    COMPLETED = "completed"
    FAILED = "failed"
    LEASE_RENEW = "lease_renew"
    LEASE_RENEW_FAILED = "lease_renew_failed"
    HEARTBEAT_STOP_TIMEOUT = "heartbeat_stop_timeout"
    STALE_LEASE_ACK = "stale_lease_ack"
    STALE_LEASE_NACK = "stale_lease_nack"
    CLEANUP_FAILED = "cleanup_failed"
    TRIM_FAILED = "trim_failed"
    RETRY_ATTEMPT = "retry_attempt"
    RETRY_EXHAUSTED = "retry_exhausted"
    DROPPED = "dropped"
    """A pending message removed by the ``drop_oldest`` policy (not in 6.0.0)."""


class EventOutcome(enum.StrEnum):
    """How the operation ended."""

    SUCCESS = "success"
    FAILURE = "failure"
    SKIPPED = "skipped"


@dataclasses.dataclass(frozen=True)
class QueueEvent:
    """One event passed to the queue's ``on_event`` callback.

    Attributes:
        queue: The queue name (not a server key).
        operation: What happened.
        outcome: How it ended.
        message_id: The envelope id, when a message is involved.
        claim_id: The id of a claim attempt, for claim retries and recoveries.
        lease_token_hash: First 16 hex digits of the SHA-256 of the lease token.
        destination_queue: The key a message was moved to, if any.
        exception_type: The class name of the exception behind a failure.
        duration_ms: How long the operation took, from ``time.perf_counter``.
        delivery_count: How many times the message has been delivered.
    """

    queue: str
    operation: EventOperation
    outcome: EventOutcome
    message_id: str | None = None
    claim_id: str | None = None
    lease_token_hash: str | None = None
    destination_queue: str | None = None
    exception_type: str | None = None
    duration_ms: float | None = None
    delivery_count: int | None = None


def hash_lease_token(lease_token: str) -> str:
    """Return the form of a lease token that events carry (never the token itself)."""
    return hashlib.sha256(lease_token.encode("utf-8")).hexdigest()[:16]
