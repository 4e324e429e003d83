"""How each Lua script is called: its KEYS and ARGV, and what its reply means.

Pure code shared by the sync and asyncio backends. The layouts here mirror the header
comment of each script in ``scripts/``; change both together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import attrs

from redis_message_queue.core.envelope import MessageData, decode, delivery_field
from redis_message_queue.core.errors import QueueBackpressureError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports.types import (
    Claim,
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
)
from redis_message_queue.core.replay import lease_tokens, marker_value
from redis_message_queue.core.settings import OverloadPolicy

ScriptArgument: TypeAlias = str | bytes | int
"""One ARGV entry as the client sends it."""

_NONE = ""
"""ARGV stand-in for ``None``: the scripts read it with ``tonumber`` as nil."""


@attrs.frozen
class ScriptCall:
    """The keys and arguments of one script call.

    Attributes:
        keys: KEYS, every key the script touches.
        args: ARGV, in the order the script's header names them.
    """

    keys: tuple[str, ...]
    args: tuple[ScriptArgument, ...]


def needs_publish_script(
    publications: Sequence[Publication], options: PublishOptions
) -> bool:
    """Whether a publish needs the script; a plain LPUSH does for the rest."""
    has_marker = any(p.dedup_key is not None for p in publications)
    return has_marker or options.max_pending_length is not None


def publish_call(
    queue: QueueKeyManager,
    publications: Sequence[Publication],
    options: PublishOptions,
) -> ScriptCall:
    """The call of ``publish.lua`` for ``publications``."""
    marker_keys: list[str] = []
    positions: dict[str, int] = {}
    triples: list[ScriptArgument] = []
    for publication in publications:
        position, marker = 0, ""
        if publication.dedup_key is not None:
            if publication.dedup_key not in positions:
                marker_keys.append(publication.dedup_key)
                positions[publication.dedup_key] = len(marker_keys)
            position = positions[publication.dedup_key]
            marker = marker_value(publication.stored)
        triples += [position, marker, publication.stored]

    drop_oldest = options.overload_policy is OverloadPolicy.DROP_OLDEST
    return ScriptCall(
        keys=(queue.pending, *marker_keys),
        args=(
            options.dedup_ttl_seconds,
            _optional(options.max_pending_length),
            "1" if drop_oldest else "0",
            *triples,
        ),
    )


def publish_result(queue: QueueKeyManager, reply: Any) -> PublishResult:
    """Read the reply of ``publish.lua``.

    Raises:
        QueueBackpressureError: The cap refused the call.
    """
    if int(reply[0]) == 0:
        raise QueueBackpressureError(
            f"queue {queue.queue_name!r} holds {int(reply[1])} pending messages; "
            "the batch does not fit under max_pending_length",
            queue=queue.queue_name,
            operation="publish",
        )
    _, enqueued, dropped = reply
    return PublishResult(
        enqueued=tuple(bool(flag) for flag in enqueued),
        dropped=tuple(dropped),
    )


def claim_call(
    queue: QueueKeyManager, options: ClaimOptions, claim_id: str
) -> ScriptCall:
    """The call of ``claim.lua``: one lease token per message it may deliver."""
    return ScriptCall(
        keys=(
            queue.pending,
            queue.processing,
            queue.lease_deadlines,
            queue.delivery_counts,
            queue.dead_letter,
        ),
        args=(
            options.max_messages,
            _optional(options.lease_ms),
            _optional(options.max_delivery_count),
            options.reclaim_limit,
            *lease_tokens(claim_id, options.max_messages),
        ),
    )


def claim_result(reply: Any) -> ClaimResult:
    """Read the reply of ``claim.lua``."""
    claims, reclaimed, dead_lettered, next_expiry_ms = reply
    return ClaimResult(
        claims=tuple(_claim(entry) for entry in claims),
        reclaimed=tuple(reclaimed),
        dead_lettered=tuple(dead_lettered),
        next_expiry_ms=None if int(next_expiry_ms) < 0 else int(next_expiry_ms),
    )


def settle_call(queue: QueueKeyManager, settlement: Settlement) -> ScriptCall:
    """The call of ``settle.lua``; the history key is passed only when kept."""
    keys: tuple[str, ...] = (
        queue.processing,
        queue.lease_deadlines,
        queue.delivery_counts,
        queue.settled(settlement.lease_token),
    )
    payload: MessageData = _NONE
    if settlement.history_key is not None:
        keys = (*keys, settlement.history_key)
        payload = _history_payload(settlement)
    return ScriptCall(
        keys=keys,
        args=(
            settlement.lease_token,
            delivery_field(settlement.stored),
            payload,
            _optional(settlement.history_limit),
            _optional(settlement.record_seconds),
        ),
    )


def renew_call(queue: QueueKeyManager, lease_token: str, lease_ms: int) -> ScriptCall:
    """The call of ``renew.lua``."""
    return ScriptCall(
        keys=(queue.processing, queue.lease_deadlines),
        args=(lease_token, lease_ms),
    )


def release_call(queue: QueueKeyManager, lease_tokens: Sequence[str]) -> ScriptCall:
    """The call of ``release.lua``."""
    return ScriptCall(
        keys=(
            queue.pending,
            queue.processing,
            queue.lease_deadlines,
            queue.delivery_counts,
        ),
        args=tuple(lease_tokens),
    )


def purge_call(queue: QueueKeyManager, key: str) -> ScriptCall:
    """The call of ``purge.lua``."""
    is_pending = "1" if key == queue.pending else "0"
    return ScriptCall(keys=(key, queue.delivery_counts), args=(is_pending,))


def redrive_call(queue: QueueKeyManager, message_ids: Sequence[str]) -> ScriptCall:
    """The call of ``redrive.lua``."""
    return ScriptCall(keys=(queue.dead_letter, queue.pending), args=tuple(message_ids))


def forget_markers_call(markers: Sequence[tuple[str, str]]) -> ScriptCall:
    """The call of ``forget_markers.lua``."""
    return ScriptCall(
        keys=tuple(key for key, _ in markers),
        args=tuple(message_id for _, message_id in markers),
    )


def depths_call(queue: QueueKeyManager) -> ScriptCall:
    """The call of ``depths.lua``."""
    return ScriptCall(
        keys=(
            queue.pending,
            queue.processing,
            queue.completed,
            queue.failed,
            queue.dead_letter,
        ),
        args=(),
    )


def depths_result(reply: Any) -> QueueDepths:
    """Read the reply of ``depths.lua`` (or of the same five counts pipelined)."""
    pending, processing, completed, failed, dead_letter = map(int, reply)
    return QueueDepths(
        pending=pending,
        processing=processing,
        completed=completed,
        failed=failed,
        dead_letter=dead_letter,
    )


def _optional(value: int | None) -> ScriptArgument:
    return _NONE if value is None else value


def _history_payload(settlement: Settlement) -> MessageData:
    if settlement.history_payload is not None:
        return settlement.history_payload
    return decode(settlement.stored).payload


def _claim(entry: Any) -> Claim:
    stored, token, count = entry
    return Claim(
        stored=stored,
        lease_token=token.decode("ascii") if isinstance(token, bytes) else str(token),
        delivery_count=int(count),
    )
