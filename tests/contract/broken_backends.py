"""In-memory backends with one deliberate fault each, to prove the suite catches it.

Each store below breaks exactly one rule of ``docs/behaviour.md`` and otherwise
behaves as :class:`MemoryStore`. ``test_suite_catches_broken_backends.py`` runs the
packaged contract suite against each of them and expects at least one failure.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import attrs

from redis_message_queue.adapters.memory import MemoryStore, SyncMemoryBackend
from redis_message_queue.adapters.memory.record import MessageRecord
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.envelope import decode, encode
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import ClaimOptions, Settlement


class AckIgnoresToken(MemoryStore):
    """R9 broken: a settle with a stale token settles whoever holds the message."""

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        holders = self._processing[queue.processing]
        stored = settlement.stored
        value = stored.encode("utf-8") if isinstance(stored, str) else stored
        for token, record in list(holders.items()):
            if record.value == value:
                settlement = attrs.evolve(settlement, lease_token=token)
                break
        return super().settle(queue, settlement)


class MarkerNeverExpires(MemoryStore):
    """R3 broken: dedup markers are written without a TTL."""

    def _expire_markers(self, now_ms: int) -> None:
        return


class ReclaimForgetsCount(MemoryStore):
    """R7, R11 broken: a reclaimed message starts counting deliveries afresh."""

    def _reclaim(self, queue: QueueKeyManager, now_ms: int, limit: int) -> list[bytes]:
        reclaimed = super()._reclaim(queue, now_ms, limit)
        for record in self._pending[queue.pending]:
            if record.value in reclaimed:
                self._forget_count(queue, record)
        return reclaimed


class ClaimLeavesPending(MemoryStore):
    """R1, R20 broken: a claim leases a message but leaves a copy in pending.

    This is what a claim that reads the list and then moves the element in two
    steps does when two consumers race: both get the same message. Each message is
    doubled once, as one race would double it.
    """

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self._doubled: set[bytes] = set()

    def _take(
        self,
        queue: QueueKeyManager,
        now_ms: int,
        options: ClaimOptions,
        tokens: Sequence[str],
    ) -> tuple[list[tuple[bytes, str, int]], list[bytes]]:
        deliveries, dead_lettered = super()._take(queue, now_ms, options, tokens)
        pending = self._pending[queue.pending]
        for value, _, _ in reversed(deliveries):
            if value not in self._doubled:
                self._doubled.add(value)
                pending.append(MessageRecord(value))
        return deliveries, dead_lettered


class TrimsWrongEnd(MemoryStore):
    """R17 broken: history lists over their limit lose their newest entries."""

    def _keep_history(
        self, key: str, settlement: Settlement, record: MessageRecord
    ) -> None:
        super()._keep_history(key, attrs.evolve(settlement, history_limit=None), record)
        history = self._lists[key]
        limit = settlement.history_limit
        while limit is not None and len(history) > limit:
            history.popleft()


class ReleaseLosesMessage(MemoryStore):
    """R25, R20 broken: release forgets the claim instead of giving it back."""

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        with self._lock:
            released = 0
            for token in lease_tokens:
                if self._processing[queue.processing].pop(token, None) is not None:
                    self._deadlines[queue.lease_deadlines].discard(token)
                    released += 1
            return released


class RedriveKeepsOldId(MemoryStore):
    """R27 broken: a redriven dead letter keeps the envelope id it died with."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self._dead_ids: deque[str] = deque()

    def _dead_letter(self, queue: QueueKeyManager, record: MessageRecord) -> bytes:
        self._dead_ids.appendleft(decode(record.value).message_id or "")
        return super()._dead_letter(queue, record)

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        with self._lock:
            dead = self._lists[queue.dead_letter]
            moved = 0
            for _ in message_ids:
                if not dead:
                    break
                payload = dead.pop().decode("utf-8", errors="surrogateescape")
                old_id = self._dead_ids.pop() if self._dead_ids else None
                stored = encode(payload, old_id).encode("utf-8", "surrogateescape")
                self._pending[queue.pending].appendleft(MessageRecord(stored))
                moved += 1
            return moved


BROKEN_STORES: dict[str, type[MemoryStore]] = {
    "ack ignores the lease token": AckIgnoresToken,
    "dedup marker without TTL": MarkerNeverExpires,
    "reclaim forgets the delivery count": ReclaimForgetsCount,
    "claim leaves the message in pending": ClaimLeavesPending,
    "history trimmed at the wrong end": TrimsWrongEnd,
    "release loses the message": ReleaseLosesMessage,
    "redrive keeps the old envelope id": RedriveKeepsOldId,
}
"""Each fault, by a short description, and the store that has it."""


def broken_backend(name: str) -> SyncMemoryBackend:
    """A sync backend on a fresh broken store and its own :class:`ManualClock`."""
    return SyncMemoryBackend(BROKEN_STORES[name](ManualClock()))
