"""The state of in-memory queues, laid out like the Redis data model.

Each structure is keyed by the key names of :class:`QueueKeyManager`, so a queue
here has the same parts as on a server: ``pending`` (a list; new end on the left,
claim end on the right), ``processing`` (lease token -> element), lease deadlines,
delivery counts (by :func:`~redis_message_queue.core.envelope.delivery_field`),
history and dead-letter lists (bare payloads, newest first) and dedup markers.

Values are kept as bytes, as a server keeps them, and handed out as ``bytes`` or,
with ``decode_responses``, as ``str``, as a Redis client would. One lock guards
everything and is held only for the few steps of one operation, so every operation
is atomic for threads and event loops alike.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import defaultdict, deque
from collections.abc import Sequence

from redis_message_queue.adapters.memory.clock import SystemClock
from redis_message_queue.adapters.memory.deadlines import DeadlineIndex
from redis_message_queue.adapters.memory.record import MessageRecord
from redis_message_queue.adapters.memory.waiters import (
    Waiter,
    WaiterRegistry,
    wake_all,
)
from redis_message_queue.core.clock import Clock
from redis_message_queue.core.envelope import (
    MessageData,
    decode,
    delivery_field,
    encode,
)
from redis_message_queue.core.errors import QueueBackpressureError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.lifecycle import Move
from redis_message_queue.core.policy import (
    ClaimDecision,
    PublishDecision,
    decide_claim,
    decide_publish,
    lease_deadline_ms,
    overflow,
)
from redis_message_queue.core.ports.types import (
    Claim,
    ClaimOptions,
    ClaimResult,
    Outcome,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
)
from redis_message_queue.core.replay import lease_tokens, marker_value, new_claim_id

logger = logging.getLogger(__name__)

_SETTLE_MOVES = {Outcome.ACK: Move.ACK, Outcome.NACK: Move.NACK}

# What a delivery is before it leaves the lock: stored value, token, count.
_Delivery = tuple[bytes, str, int]


class MemoryStore:
    """Any number of queues, shared by every backend built on this store.

    The methods carry out the backend port (see
    :class:`~redis_message_queue.core.ports.AsyncBackend` for the full contract)
    plus a few helpers for tests: :meth:`push_raw`, :meth:`values`, :meth:`flush`.

    Args:
        clock: The time for lease deadlines and dedup expiries; a wall clock on
            :func:`time.time` if omitted.
        decode_responses: Hand values out as ``str`` rather than ``bytes`` when a
            call does not choose itself.
    """

    def __init__(
        self, clock: Clock | None = None, *, decode_responses: bool = False
    ) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.decode_responses = decode_responses
        self._lock = threading.Lock()
        self._waiters = WaiterRegistry()
        self._clear()

    def _clear(self) -> None:
        self._pending: defaultdict[str, deque[MessageRecord]] = defaultdict(deque)
        self._processing: defaultdict[str, dict[str, MessageRecord]] = defaultdict(dict)
        self._deadlines: defaultdict[str, DeadlineIndex] = defaultdict(DeadlineIndex)
        self._counts: defaultdict[str, dict[bytes, int]] = defaultdict(dict)
        self._lists: defaultdict[str, deque[bytes]] = defaultdict(deque)
        self._markers = DeadlineIndex()
        self._marker_values: dict[str, str] = {}
        self._settled = DeadlineIndex()

    def flush(self) -> None:
        """Delete every queue and marker, as ``FLUSHDB`` would; waiters stay."""
        with self._lock:
            self._clear()

    def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
        *,
        decode_responses: bool | None = None,
    ) -> PublishResult:
        """Push messages onto ``pending``, skipping those with a live dedup marker.

        Args:
            queue: The queue to publish to.
            publications: The envelopes and their dedup keys, in order.
            options: Dedup TTL, pending cap and overload policy.
            decode_responses: Type of the values in ``dropped``; the store's
                setting if ``None``.

        Returns:
            One enqueued flag per publication, and what ``DROP_OLDEST`` removed.

        Raises:
            QueueBackpressureError: The cap refuses the call; nothing was written.
        """
        with self._lock:
            now_ms = self.clock.now_ms()
            self._expire_markers(now_ms)
            fresh = self._fresh_flags(publications)
            dropped = self._make_room(queue, sum(fresh), options)

            for publication, is_fresh in zip(publications, fresh, strict=True):
                if is_fresh:
                    self._enqueue(queue, publication, now_ms, options)
            woken = self._waiters.take(queue.pending) if any(fresh) else []
            enqueued = [
                is_fresh or self._marked_by(publication)
                for publication, is_fresh in zip(publications, fresh, strict=True)
            ]

        wake_all(woken)
        decode_values = self._decoding(decode_responses)
        return PublishResult(
            enqueued=tuple(enqueued),
            dropped=tuple(_client_value(value, decode_values) for value in dropped),
        )

    def _expire_markers(self, now_ms: int) -> None:
        for expired in self._markers.pop_expired(now_ms):
            del self._marker_values[expired]

    def _fresh_flags(self, publications: Sequence[Publication]) -> list[bool]:
        seen: set[str] = set()
        flags = []
        for publication in publications:
            key = publication.dedup_key
            duplicate = key is not None and (key in self._markers or key in seen)
            if key is not None:
                seen.add(key)
            flags.append(not duplicate)
        return flags

    def _marked_by(self, publication: Publication) -> bool:
        # A marker holding this publication's own id was set by an earlier run of
        # the same call, whose reply was lost: that run enqueued it.
        marker = marker_value(publication.stored)
        key = publication.dedup_key
        return (
            bool(marker) and key is not None and self._marker_values.get(key) == marker
        )

    def _make_room(
        self, queue: QueueKeyManager, incoming: int, options: PublishOptions
    ) -> list[bytes]:
        pending = self._pending[queue.pending]
        cap = options.max_pending_length
        decision = decide_publish(len(pending), incoming, cap, options.overload_policy)
        if decision is PublishDecision.REFUSE:
            raise QueueBackpressureError(
                f"{len(pending)} pending plus {incoming} new messages exceed "
                f"max_pending_length={cap}",
                queue=queue.queue_name,
                operation="publish",
            )
        if decision is PublishDecision.ENQUEUE or cap is None:
            return []

        excess = overflow(len(pending), incoming, cap)
        dropped = [pending.pop() for _ in range(excess)]
        # A dropped message never comes back, so nothing else would clear its count.
        for record in dropped:
            record.move(Move.DROP)
            self._forget_count(queue, record)
        logger.debug("dropped %d oldest messages of %s", excess, queue.queue_name)
        return [record.value for record in dropped]

    def _enqueue(
        self,
        queue: QueueKeyManager,
        publication: Publication,
        now_ms: int,
        options: PublishOptions,
    ) -> None:
        if publication.dedup_key is not None:
            expiry_ms = now_ms + options.dedup_ttl_seconds * 1000
            self._markers.set(publication.dedup_key, expiry_ms)
            self._marker_values[publication.dedup_key] = marker_value(
                publication.stored
            )
        record = MessageRecord(publication.stored.encode("utf-8"))
        self._pending[queue.pending].appendleft(record)

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
        decode_responses: bool | None = None,
    ) -> ClaimResult:
        """Take back expired leases, then take the oldest pending messages.

        Args:
            queue: The queue to claim from.
            options: How many, lease length, delivery budget, reclaim limit.
            claim_id: The id the lease tokens derive from; a fresh one if
                ``None``. When its tokens already hold messages (the call is a
                repeat), those are returned and nothing else is claimed.
            decode_responses: Type of the values handed out; the store's setting
                if ``None``.

        Returns:
            The deliveries (oldest first), what was reclaimed and dead-lettered,
            and the time until the earliest lease expires.
        """
        tokens = lease_tokens(claim_id or new_claim_id(), options.max_messages)
        with self._lock:
            now_ms = self.clock.now_ms()
            reclaimed: list[bytes] = []
            dead_lettered: list[bytes] = []
            deliveries = self._earlier_run(queue, tokens, now_ms, options.lease_ms)
            if not deliveries:
                reclaimed = self._reclaim(queue, now_ms, options.reclaim_limit)
                deliveries, dead_lettered = self._take(queue, now_ms, options, tokens)
            next_expiry_ms = self._next_expiry_ms(queue, now_ms)

            woken: list[Waiter] = []
            if reclaimed and self._pending[queue.pending]:
                woken = self._waiters.take(queue.pending)

        wake_all(woken)
        decode_values = self._decoding(decode_responses)
        return ClaimResult(
            claims=tuple(
                Claim(_client_value(value, decode_values), token, count)
                for value, token, count in deliveries
            ),
            reclaimed=tuple(_client_value(v, decode_values) for v in reclaimed),
            dead_lettered=tuple(_client_value(v, decode_values) for v in dead_lettered),
            next_expiry_ms=next_expiry_ms,
        )

    def _earlier_run(
        self,
        queue: QueueKeyManager,
        tokens: Sequence[str],
        now_ms: int,
        lease_ms: int | None,
    ) -> list[_Delivery]:
        # What an earlier run of the same claim left under its tokens; the lease
        # restarts, as if the claim had happened now.
        processing = self._processing[queue.processing]
        deadlines = self._deadlines[queue.lease_deadlines]
        deliveries: list[_Delivery] = []
        for token in tokens:
            record = processing.get(token)
            if record is None:
                continue
            if lease_ms is not None and token in deadlines:
                record.move(Move.RENEW)
                deadlines.set(token, lease_deadline_ms(now_ms, lease_ms))
            count = self._counts[queue.delivery_counts].get(_field(record), 1)
            deliveries.append((record.value, token, count))
        return deliveries

    def _reclaim(self, queue: QueueKeyManager, now_ms: int, limit: int) -> list[bytes]:
        tokens = self._deadlines[queue.lease_deadlines].pop_expired(now_ms, limit)
        processing = self._processing[queue.processing]
        records = [processing.pop(token) for token in tokens]

        # The claim end is the right: pushing the latest deadline first leaves the
        # earliest one to be claimed first.
        pending = self._pending[queue.pending]
        for record in reversed(records):
            record.move(Move.EXPIRE)
            pending.append(record)

        if records:
            logger.debug("reclaimed %d leases on %s", len(records), queue.queue_name)
        return [record.value for record in records]

    def _take(
        self,
        queue: QueueKeyManager,
        now_ms: int,
        options: ClaimOptions,
        tokens: Sequence[str],
    ) -> tuple[list[_Delivery], list[bytes]]:
        pending = self._pending[queue.pending]
        deliveries: list[_Delivery] = []
        dead_lettered: list[bytes] = []
        while pending and len(deliveries) < options.max_messages:
            record = pending.pop()
            count = self._count_delivery(queue, record)
            decision = decide_claim(count, options.max_delivery_count)
            if decision is ClaimDecision.DEAD_LETTER:
                dead_lettered.append(self._dead_letter(queue, record))
                continue

            token = tokens[len(deliveries)]
            self._lease(queue, record, token, now_ms, options.lease_ms)
            deliveries.append((record.value, token, count))
        return deliveries, dead_lettered

    def _count_delivery(self, queue: QueueKeyManager, record: MessageRecord) -> int:
        counts = self._counts[queue.delivery_counts]
        field = _field(record)
        counts[field] = counts.get(field, 0) + 1
        return counts[field]

    def _dead_letter(self, queue: QueueKeyManager, record: MessageRecord) -> bytes:
        record.move(Move.DEAD_LETTER)
        self._forget_count(queue, record)

        payload = _as_bytes(decode(record.value).payload)
        self._lists[queue.dead_letter].appendleft(payload)
        logger.debug("dead-lettered a message of %s", queue.queue_name)
        return record.value

    def _lease(
        self,
        queue: QueueKeyManager,
        record: MessageRecord,
        token: str,
        now_ms: int,
        lease_ms: int | None,
    ) -> None:
        record.move(Move.CLAIM)
        self._processing[queue.processing][token] = record
        if lease_ms is not None:
            deadline_ms = lease_deadline_ms(now_ms, lease_ms)
            self._deadlines[queue.lease_deadlines].set(token, deadline_ms)

    def _next_expiry_ms(self, queue: QueueKeyManager, now_ms: int) -> int | None:
        earliest = self._deadlines[queue.lease_deadlines].earliest()
        if earliest is None:
            return None
        return max(0, earliest - now_ms)

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """End a delivery: acknowledge or fail the claimed message.

        Args:
            queue: The queue the message was claimed from.
            settlement: The element, its token, the outcome and where to keep it.

        Returns:
            True if the token still held the message, or if a record says an
            earlier run of this settle succeeded; False, with nothing changed,
            otherwise.
        """
        token = settlement.lease_token
        with self._lock:
            now_ms = self.clock.now_ms()
            self._settled.pop_expired(now_ms)
            record = self._held(queue, token, settlement.stored)
            if record is None:
                return queue.settled(token) in self._settled

            record.move(_SETTLE_MOVES[settlement.outcome])
            del self._processing[queue.processing][token]
            self._deadlines[queue.lease_deadlines].discard(token)
            self._forget_count(queue, record)

            if settlement.history_key is not None:
                self._keep_history(settlement.history_key, settlement, record)
            if settlement.record_seconds is not None and settlement.record_seconds > 0:
                expiry_ms = now_ms + settlement.record_seconds * 1000
                self._settled.set(queue.settled(token), expiry_ms)
            return True

    def _keep_history(
        self, key: str, settlement: Settlement, record: MessageRecord
    ) -> None:
        payload = settlement.history_payload
        if payload is None:
            payload = decode(record.value).payload

        history = self._lists[key]
        history.appendleft(_as_bytes(payload))
        limit = settlement.history_limit
        while limit is not None and len(history) > limit:
            history.pop()

    def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """Extend a lease to now + ``lease_ms``.

        Args:
            queue: The queue the message was claimed from.
            stored: The claimed element.
            lease_token: The token the claim returned.
            lease_ms: The new lease length, counted from now.

        Returns:
            True if the token holds the message under a lease and the deadline
            moved; False, with nothing changed, otherwise (also for a message
            claimed without a lease).
        """
        with self._lock:
            deadlines = self._deadlines[queue.lease_deadlines]
            record = self._held(queue, lease_token, stored)
            if record is None or lease_token not in deadlines:
                return False

            record.move(Move.RENEW)
            deadline_ms = lease_deadline_ms(self.clock.now_ms(), lease_ms)
            deadlines.set(lease_token, deadline_ms)
            return True

    def _held(
        self, queue: QueueKeyManager, lease_token: str, stored: MessageData
    ) -> MessageRecord | None:
        record = self._processing[queue.processing].get(lease_token)
        if record is None or record.value != _as_bytes(stored):
            return None
        return record

    def _forget_count(self, queue: QueueKeyManager, record: MessageRecord) -> None:
        self._counts[queue.delivery_counts].pop(_field(record), None)

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """Give claims back unclaimed; see the port's ``release``."""
        with self._lock:
            processing = self._processing[queue.processing]
            pending = self._pending[queue.pending]
            released = 0
            for token in lease_tokens:
                record = processing.pop(token, None)
                if record is None:
                    continue
                record.move(Move.RELEASE)
                self._deadlines[queue.lease_deadlines].discard(token)
                self._undo_one_delivery(queue, record)
                pending.append(record)
                released += 1
            woken = self._waiters.take(queue.pending) if released else []

        wake_all(woken)
        return released

    def _undo_one_delivery(self, queue: QueueKeyManager, record: MessageRecord) -> None:
        counts = self._counts[queue.delivery_counts]
        field = _field(record)
        remaining = counts.get(field, 0) - 1
        if remaining > 0:
            counts[field] = remaining
        else:
            counts.pop(field, None)

    def purge(self, queue: QueueKeyManager, key: str) -> int:
        """Empty one list of ``queue``; see the port's ``purge``."""
        with self._lock:
            if key == queue.pending:
                records = self._pending.pop(key, deque())
                for record in records:
                    record.move(Move.DROP)
                    self._forget_count(queue, record)
                return len(records)
            return len(self._lists.pop(key, deque()))

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """Dead letters back to pending in fresh envelopes; see the port."""
        with self._lock:
            dead = self._lists[queue.dead_letter]
            pending = self._pending[queue.pending]
            moved = 0
            for message_id in message_ids:
                if not dead:
                    break
                payload = dead.pop().decode("utf-8", errors="surrogateescape")
                stored = encode(payload, message_id).encode("utf-8", "surrogateescape")
                pending.appendleft(MessageRecord(stored))
                moved += 1
            woken = self._waiters.take(queue.pending) if moved else []

        wake_all(woken)
        return moved

    def forget_markers(self, markers: Sequence[tuple[str, str]]) -> int:
        """Delete markers that still hold the given ids; see the port."""
        deleted = 0
        with self._lock:
            self._expire_markers(self.clock.now_ms())
            for key, message_id in markers:
                if key in self._markers and self._marker_values.get(key) == message_id:
                    self._markers.discard(key)
                    self._marker_values.pop(key, None)
                    deleted += 1
        return deleted

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Count the entries in each part of ``queue``."""
        with self._lock:
            return QueueDepths(
                pending=len(self._pending.get(queue.pending, ())),
                processing=len(self._processing.get(queue.processing, ())),
                completed=len(self._lists.get(queue.completed, ())),
                failed=len(self._lists.get(queue.failed, ())),
                dead_letter=len(self._lists.get(queue.dead_letter, ())),
            )

    def push_raw(self, queue: QueueKeyManager, value: MessageData) -> int:
        """Push a value that is not our envelope, as another program would.

        It bypasses dedup and the pending cap, like a plain ``LPUSH``, and is
        delivered unchanged.

        Args:
            queue: The queue whose ``pending`` list receives the value.
            value: Any text or bytes.

        Returns:
            The length of ``pending`` afterwards.
        """
        with self._lock:
            pending = self._pending[queue.pending]
            pending.appendleft(MessageRecord(_as_bytes(value)))
            length = len(pending)
            woken = self._waiters.take(queue.pending)

        wake_all(woken)
        return length

    def values(
        self,
        key: str,
        count: int | None = None,
        *,
        decode_responses: bool | None = None,
        oldest_first: bool = False,
    ) -> list[MessageData]:
        """The elements of a list key, newest first, as ``LRANGE`` gives them.

        Args:
            key: A ``pending``, history or dead-letter key of a queue.
            count: Return at most this many elements; ``None`` for all.
            decode_responses: Type of the values; the store's setting if ``None``.
            oldest_first: Start from the oldest end instead.
        """
        with self._lock:
            if key in self._pending:
                pending = self._pending[key]
                records = reversed(pending) if oldest_first else iter(pending)
                raw = [record.value for record in itertools.islice(records, count)]
            else:
                history = self._lists.get(key, deque())
                values = reversed(history) if oldest_first else iter(history)
                raw = list(itertools.islice(values, count))

        decode_values = self._decoding(decode_responses)
        return [_client_value(value, decode_values) for value in raw]

    def add_waiter(self, queue: QueueKeyManager, waiter: Waiter) -> bool:
        """Register ``waiter`` to be woken when a message reaches ``pending``.

        Returns:
            False, registering nothing, if ``pending`` already holds a message.
        """
        with self._lock:
            if self._pending.get(queue.pending):
                return False
            self._waiters.add(queue.pending, waiter)
            return True

    def remove_waiter(self, queue: QueueKeyManager, waiter: Waiter) -> None:
        """Unregister ``waiter``; nothing happens if a wake-up removed it already."""
        with self._lock:
            self._waiters.discard(queue.pending, waiter)

    def waiter_count(self, queue: QueueKeyManager) -> int:
        """How many waits on ``queue`` are blocked right now."""
        with self._lock:
            return self._waiters.count(queue.pending)

    def _decoding(self, decode_responses: bool | None) -> bool:
        if decode_responses is None:
            return self.decode_responses
        return decode_responses


def _as_bytes(value: MessageData) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _client_value(value: bytes, decode_responses: bool) -> MessageData:
    return value.decode("utf-8") if decode_responses else value


def _field(record: MessageRecord) -> bytes:
    return _as_bytes(delivery_field(record.value))
