"""Pure decisions about a message: deliver or dead-letter, lease deadlines, overload.

Adapters carry these decisions out atomically; server-side scripts restate the same
rules, and the contract suite checks that every adapter agrees with this module.
"""

from __future__ import annotations

import enum

from redis_message_queue.core.settings import OverloadPolicy


class ClaimDecision(enum.Enum):
    """What a claim does with the message it took from ``pending``."""

    DELIVER = "deliver"
    DEAD_LETTER = "dead_letter"


class PublishDecision(enum.Enum):
    """What a publish does, given how full ``pending`` is."""

    ENQUEUE = "enqueue"
    DROP_OLDEST_THEN_ENQUEUE = "drop_oldest_then_enqueue"
    REFUSE = "refuse"


def decide_claim(delivery_count: int, max_delivery_count: int | None) -> ClaimDecision:
    """Deliver the message unless this claim would exceed its delivery budget.

    Args:
        delivery_count: The delivery number this claim would be (first claim: 1).
        max_delivery_count: How many deliveries a message gets; ``None`` for no limit.
    """
    if max_delivery_count is not None and delivery_count > max_delivery_count:
        return ClaimDecision.DEAD_LETTER
    return ClaimDecision.DELIVER


def lease_deadline_ms(now_ms: int, lease_ms: int) -> int:
    """The time at which a lease taken or renewed at ``now_ms`` expires."""
    return now_ms + lease_ms


def lease_expired(deadline_ms: int, now_ms: int) -> bool:
    """Whether a lease may be taken back: only once its deadline has passed."""
    return deadline_ms < now_ms


def decide_publish(
    pending_length: int,
    incoming: int,
    max_pending_length: int | None,
    policy: OverloadPolicy,
) -> PublishDecision:
    """Decide a publish of ``incoming`` new messages against the pending cap.

    ``BLOCK`` refuses like ``RAISE``; the runtime retries until its timeout.
    """
    if max_pending_length is None or pending_length + incoming <= max_pending_length:
        return PublishDecision.ENQUEUE
    if policy is OverloadPolicy.DROP_OLDEST and incoming <= max_pending_length:
        return PublishDecision.DROP_OLDEST_THEN_ENQUEUE
    return PublishDecision.REFUSE


def overflow(pending_length: int, incoming: int, max_pending_length: int) -> int:
    """How many of the oldest pending messages must go to make room."""
    return max(0, pending_length + incoming - max_pending_length)
